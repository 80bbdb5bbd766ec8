"""Textbook names in the stepper's lines, its rich view and the dump (issue 16); graph names unchanged.

The classic 2-2-2 walk-through (Mazur): w5 = 0.4, ∂E/∂w5 = 0.082167041, η = 0.5, so
w5 ← 0.4 − 0.5·0.082167041 = 0.4 − 0.0410835205 = 0.3589164795 (0.35891648 to 8 digits).
"""

import pytest
from rich.console import Console
from test_stepper_golden import classic

from graphnet import Network
from graphnet.math.errors import IncompatibleError
from graphnet.math.optimizers import SGD, Momentum


def textbook(digits=8):
    steps = classic("sigmoid", "squared_error", False, digits=digits)
    return steps.network.stepper([0.05, 0.10], [0.01, 0.99], rate=0.5, digits=digits, names="textbook")


def test_the_classic_walk_through_with_textbook_names():
    lines = [repr(event) for event in textbook().run()]
    assert 0.4 - 0.5 * 0.082167041 == pytest.approx(0.3589164795, abs=1e-12)  # the hand check
    golden = {
        0: "[0] input i1: o(i1) = 0.05",
        2: "[2] forward h1: net(h1) = (0.15·0.05 + 0.2·0.1 + 0.35·1) = 0.3775;  o(h1) = σ(0.3775) = 0.59326999",
        6: "[6] output_delta o1: δ(o1) = 0.75136507·0.24863493·(0.75136507 − 0.01) = 0.13849856",
        8: "[8] hidden_delta h1: δ(h1) = 0.59326999·0.40673001·(0.4·0.13849856 + 0.5·(−0.03809824)) = 0.00877135",
        16: "[16] gradient w5: ∂E/∂w5 = 0.13849856·0.59326999 = 0.08216704",
        18: "[18] gradient b2→o1: ∂E/∂(b2→o1) = 0.13849856·1 = 0.13849856",
        24: "[24] update b1→h1: b1→h1 ← 0.35 − 0.5·0.00877135 = 0.34561432",
        28: "[28] update w5: w5 ← 0.4 − 0.5·0.08216704 = 0.35891648",
        33: "[33] update b2→o2: b2→o2 ← 0.6 − 0.5·(−0.03809824) = 0.61904912",
    }
    assert {index: lines[index] for index in golden} == golden
    names = [line.split(":")[0].split()[-1] for line in lines[10:22]]
    assert names == ["w1", "w2", "b1→h1", "w3", "w4", "b1→h2", "w5", "w6", "b2→o1", "w7", "w8", "b2→o2"]


def test_textbook_names_change_only_the_names():
    graph = classic("sigmoid", "squared_error", False, digits=8).run()
    named = textbook().run()
    assert [(e.phase, e.label, e.after) for e in graph] == [(e.phase, e.label, e.after) for e in named]
    assert all(e.name == e.label for e in graph)  # graph names: the label, lines as before
    assert graph[28].numbers == "w(1-0→2-0) ← 0.4 − 0.5·0.08216704 = 0.35891648"
    assert named[28].label == "(1-0) -> (2-0)" and named[28].name == "w5"
    assert textbook(digits=4).run()[16].numbers == "∂E/∂w5 = 0.1385·0.5933 = 0.0822"


def test_the_rich_view_and_the_repr_use_the_names():
    steps = textbook(digits=4)
    steps.run_to("output_delta", layer=2, node=0)
    console = Console(record=True, width=200, color_system=None)
    console.print(steps)
    text = console.export_text()
    assert text.startswith(f"step 7/{steps.total}  next output_delta o2")
    assert "[6] output_delta o1" in text and "h1  o 0.5933  δ –" in text and "i1  o 0.05" in text
    assert "1-0" not in text
    assert repr(steps).startswith("Stepper(step 7/34, next: output_delta o2)")


def test_optimizer_lines_with_textbook_names_and_the_steppers_digits():
    net = classic("sigmoid", "squared_error", False).network
    event = net.stepper([0.05, 0.10], [0.01, 0.99], optimizer=Momentum(), digits=8, names="textbook").run()[28]
    # v ← 0.9·0 − 0.5·0.082167041 = −0.0410835205; w5 ← 0.4 + (−0.0410835205) = 0.3589164795
    assert event.numbers == (
        "w5: v ← μ·v − η·g = 0.9·0 − 0.5·0.08216704 = −0.04108352;  w ← w + v = 0.4 + (−0.04108352) = 0.35891648"
    )
    assert event.formula.startswith("w5: v ← μ·v − η·g")


def test_explain_default_digits_unchanged_and_digits_honoured():
    assert SGD().explain(0.3, 0.02, None, 0.5) == "w ← 0.3 − 0.5·0.02 = 0.29"
    assert SGD().explain(0.4, 0.082167041, None, 0.5, digits=8) == "w ← 0.4 − 0.5·0.08216704 = 0.35891648"
    momentum = Momentum()
    state = momentum.new_state()
    assert momentum.explain(0.4, 0.082167041, state, 0.5) == (
        "v ← μ·v − η·g = 0.9·0 − 0.5·0.0822 = −0.0411;  w ← w + v = 0.4 + (−0.0411) = 0.3589"
    )


def test_an_optimizer_of_your_own_without_digits_still_explains():
    class Halving(SGD):
        name = "halving"

        def explain(self, weight, gradient, state, rate):
            return f"w ← {weight}/2"

    net = Network([1, 1], seed=0)
    event = net.stepper([1.0], [0.5], optimizer=Halving(), digits=8, names="textbook").run()[-1]
    assert event.numbers == f"b1→o1: w ← {event.before}/2"


def test_the_dump_with_textbook_names():
    net = classic("sigmoid", "squared_error", False).network
    graph = net.dump()
    assert net.dump(names="graph") == graph and "(1-0) -> (2-0) = 0.400000" in graph
    lines = net.dump(names="textbook").splitlines()
    assert lines[0] == graph.splitlines()[0]
    assert lines[1:4] == ["layer 0:", "i1: output: 0.000000 delta: 0", "    downstream:"]
    assert "h1: output: 0.000000 delta: 0" in lines and "b2: output: 1 (bias)" in lines
    assert lines.count("        w5 (h1 -> o1) = 0.400000") == 2  # downstream of h1, upstream of o1
    assert "        b2→o1 (b2 -> o1) = 0.600000" in lines and "        w8 (h2 -> o2) = 0.550000" in lines
    assert not any("1-0" in line for line in lines[1:])


@pytest.mark.parametrize("bad", ["Textbook", "", 3, None])
def test_unknown_names_are_refused(bad):
    net = Network([2, 2, 1], seed=0)
    with pytest.raises(IncompatibleError, match="names must be one of 'graph', 'textbook'; got"):
        net.stepper([1.0, 0.0], [1.0], names=bad)
    with pytest.raises(IncompatibleError, match="names must be one of"):
        net.dump(names=bad)


def test_inputs_are_numbered_as_their_textbook_names():
    events = textbook(digits=4).run()
    assert [(e.shown_name, e.formula, e.numbers) for e in events[:2]] == [
        ("i1", "o(i1) = x_1", "o(i1) = 0.05"),
        ("i2", "o(i2) = x_2", "o(i2) = 0.1"),
    ]
    graph = Network([2, 2, 2], seed=0).stepper([0.05, 0.1], [0.01, 0.99]).run()
    assert [e.formula for e in graph[:2]] == ["o(0-0) = x_0", "o(0-1) = x_1"]
