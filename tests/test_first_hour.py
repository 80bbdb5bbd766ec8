"""What a newcomer meets in the REPL: values the graph cannot use are refused at once, by name."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from graphnet import GraphnetError, Network
from graphnet.math.errors import IncompatibleError, NonFiniteError, NotANumberError, ShapeError

X = [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
T = [[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]]


def make_net() -> Network:
    return Network([3, 4, 2], seed=0)


@pytest.mark.parametrize("value", ["0.5", None, [0.5], True, np.bool_(True), 1 + 2j, object()])
@pytest.mark.parametrize("which", [(1, 0, 2), (1, "bias", 2), (2, 3, 1)])
def test_a_weight_or_bias_that_is_not_a_number_is_refused_at_once(value: object, which: tuple) -> None:
    net = make_net()
    connection = net.connections[which]
    before = connection.weight
    with pytest.raises(NotANumberError) as caught:
        connection.weight = value  # type: ignore[assignment]
    assert isinstance(caught.value, GraphnetError) and isinstance(caught.value, TypeError)
    kind = "bias" if connection.is_bias else "weight"
    assert f"the {kind} of {connection.label} must be a real number" in str(caught.value)
    assert repr(value)[:40] in str(caught.value)  # what was given
    assert connection.weight == before
    net.forward(X[0])  # and the network still works


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")])
def test_a_non_finite_weight_is_refused_at_once(value: float) -> None:
    net = make_net()
    connection = net.connections[1, 0, 2]
    before = connection.weight
    with pytest.raises(NonFiniteError, match=re.escape(f"the weight of {connection.label} must be finite; got")):
        connection.weight = value
    assert isinstance(connection.weight, float) and connection.weight == before


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**6), 10**6)))
def test_every_finite_number_is_stored_as_that_float_and_used_by_both_engines(value: float) -> None:
    net = Network([2, 1], activation="identity", seed=0)
    net.connections[1, 0, 0].weight = value
    stored = net.connections[1, 0, 0].weight
    assert type(stored) is float and stored == float(value)
    net.connections[1, 0, 0].weight = np.float64(0.25)  # numpy numbers become Python floats
    net.connections[1, 1, 0].weight = 0.0
    net.connections[1, "bias", 0].weight = np.int64(1)
    assert type(net.connections[1, 0, 0].weight) is float
    assert net.forward([2.0, 5.0]) == [1.5] and net.vectorized().predict([2.0, 5.0]).tolist() == [1.5]


def test_backward_before_any_forward_is_refused() -> None:
    net = make_net()
    with pytest.raises(IncompatibleError, match=r"backward\(\) needs the outputs of a forward pass"):
        net.backward(T[0])
    assert all(c.gradient == 0.0 for c in net.connections)  # nothing computed
    net.forward(X[0])
    net.backward(T[0])  # now it runs
    assert any(c.gradient != 0.0 for c in net.connections)


@pytest.mark.parametrize(
    "first_pass",
    [
        lambda net: net.predict(X),
        lambda net: net.gradients(X, T),
        lambda net: net.loss(X, T, engine="graph"),
        lambda net: net.train(X, T, rate=0.1, epochs=1),
        lambda net: net.stepper(X[0], T[0]).run(),
    ],
    ids=["predict", "gradients", "loss", "train", "stepper"],
)
def test_every_pass_through_the_graph_lets_backward_run(first_pass) -> None:
    net = make_net()
    first_pass(net)
    net.backward(T[0])


def rich_text(net: Network) -> str:
    console = Console(file=io.StringIO(), width=120)
    console.print(net)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_after_fast_training_the_rich_view_says_the_node_values_are_stale() -> None:
    net = make_net()
    assert net.node_values == "none" and "no sample has gone through yet" in rich_text(net)
    net.forward(X[0])
    net.backward(T[0])
    assert net.node_values == "graph" and "stale" not in rich_text(net)
    output_before = net.layers[2].nodes[0].output
    net.train(X, T, rate=0.5, epochs=5, engine="fast")
    assert net.node_values == "stale"
    shown = rich_text(net)
    assert "from the last graph pass, before the fast path changed the weights" in shown
    assert net.layers[2].nodes[0].output == output_before  # the old values, as the note says
    net.forward(X[0])  # refreshes them
    assert net.node_values == "graph" and "before the fast path" not in rich_text(net)
    assert net.layers[2].nodes[0].output != output_before


def test_a_fast_update_also_makes_the_node_values_stale() -> None:
    net = make_net()
    net.forward(X[0])
    fast = net.vectorized()
    fast.gradients(X, T)
    fast.update(0.5)
    assert net.node_values == "stale"


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_batch_larger_than_the_data_is_refused_naming_both(engine: str) -> None:
    net = make_net()
    with pytest.raises(IncompatibleError, match=r"batch_size=100 is more than the 3 samples given; expected at most 3"):
        net.train(X, T, rate=0.1, epochs=1, batch_size=100, engine=engine)
    net.train(X, T, rate=0.1, epochs=1, batch_size=3, engine=engine)  # exactly the data: fine
    net.train(X, T, rate=0.1, epochs=1, batch_size=None, engine=engine)


def test_a_connection_index_out_of_range_states_the_range_with_the_bias_index() -> None:
    net = make_net()
    with pytest.raises(ShapeError) as caught:
        net.connections[1, 5, 0]
    assert str(caught.value) == "from must be a node index 0 … 2 of layer 0, 3 (its bias node) or 'bias'; got 5"
    assert net.connections[1, 3, 0] is net.connections[1, "bias", 0]  # 3 is what the message says
    plain = Network([3, 2], bias=False, seed=0)
    with pytest.raises(ShapeError, match=r"0 … 2 of layer 0 \(no bias node\); got 3"):
        plain.connections[1, 3, 0]


def test_a_connection_repr_shows_its_gradient() -> None:
    net = make_net()
    net.forward(X[0])
    net.backward(T[0])
    connection = net.connections[1, 0, 2]
    assert repr(connection) == f"(0-0) -> (1-2) = {connection.weight:.4f} gradient={connection.gradient:.4g}"
    assert connection.gradient != 0.0


def test_the_gradient_report_shows_the_measure_its_worst_first_order_sorts_by() -> None:
    from graphnet import gradient_check
    from graphnet.math.activations import get_activation
    from graphnet.tools.gradcheck import PlantedBug

    net = Network([3, 4, 2], activation=[PlantedBug(get_activation("sigmoid")), "sigmoid"], seed=0)
    report = gradient_check(net, X[0], T[0])
    order = report.worst_order
    ratios = report.bound_ratios[order]
    verdicts = [report.row(int(i)).verdict for i in order]
    for a, b, ratio_a, ratio_b in zip(verdicts, verdicts[1:], ratios, ratios[1:], strict=False):
        assert a != b or ratio_a >= ratio_b  # within a verdict: the shown measure never rises
    row = report.row(int(order[0]))
    bound = report.absolute_tolerance + report.relative_tolerance * max(abs(row.graph), abs(row.numeric))
    # what the caption says: the bound adds the numeric's own round-off to atol + rtol·max, so the
    # ratio is at most the one without it, and close to it when the error is far above round-off
    assert ratios[0] <= abs(row.graph - row.numeric) / bound * (1 + 1e-9)
    assert ratios[0] == pytest.approx(abs(row.graph - row.numeric) / bound, rel=1e-3)
    text = report.to_text(max_rows=3)
    assert "worst first: by verdict, then by error ÷ bound" in text and "÷ bound" in text.splitlines()[3]
    assert f"{ratios[0]:.2g}" in text.splitlines()[4]
    console = Console(file=io.StringIO(), width=160)
    console.print(report.render(max_rows=3))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "÷ bound" in shown and f"{ratios[0]:.1e}" in shown


@pytest.mark.parametrize("width", [80, 60])
def test_demo_gradcheck_shows_its_source_without_cutting_a_word(width: int) -> None:
    import inspect

    from graphnet.demos import demo_gradcheck
    from graphnet.demos.gradcheck import SloppySigmoid

    console = Console(file=io.StringIO(), width=width, color_system=None)
    demo_gradcheck(console)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    words = " ".join(shown.split())
    source = inspect.getsource(SloppySigmoid)
    for line in source.splitlines():
        assert len(line) < 72 or width < 72
        if line.strip():
            assert " ".join(line.split()) in words, line  # every word of the line, in order, none cut
    if width >= 72:
        for line in source.splitlines():
            assert line.rstrip() in shown, line  # at 80 columns each line whole, on one line


def test_the_stepper_grid_shows_the_bias_nodes_and_says_how_many_rows_it_cut() -> None:
    from graphnet.views.render import MAX_ROWS_PER_LAYER

    size = MAX_ROWS_PER_LAYER + 3
    net = Network([size, 3, 2], seed=0)
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(net.stepper([0.1] * size, [0.9, 0.1]))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "… 3 more" in shown
    assert f"0-{MAX_ROWS_PER_LAYER - 1}  o" in shown and f"0-{MAX_ROWS_PER_LAYER}  o" not in shown
    assert f"0-{size}  o 1  (bias)" in shown and "1-3  o 1  (bias)" in shown  # each layer's bias node, o = 1
    small = Network([2, 2, 1], bias=False, seed=0)
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(small.stepper([1.0, 0.0], [1.0]))
    assert "(bias)" not in console.file.getvalue() and "more" not in console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "error"), [("0.5", NotANumberError), (math.nan, NonFiniteError), (None, NotANumberError)]
)
def test_setting_an_input_node_to_what_it_cannot_hold_is_refused(value: object, error: type) -> None:
    node = make_net().layers[0].nodes[1]
    with pytest.raises(error, match=r"the input o\(0-1\) must be"):
        node.set_input(value)  # type: ignore[arg-type]
    node.set_input(np.float64(0.25))
    assert node.output == 0.25 and type(node.output) is float
