"""The stepper's formula strings: precedence, every symbol a number, and numbers that add up.

``to_python`` reads a numbers string back as Python arithmetic, independently of how
graphnet writes it, so every event's numbers can be evaluated and compared with the value
the engine computed (``test_every_numbers_string_evaluates_to_the_events_value``).
"""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from test_stepper_golden import OUTPUTS

from graphnet import Network
from graphnet.math.errors import IncompatibleError
from graphnet.math.numbers import format_number
from graphnet.tools.expressions import MAX_TERMS, Difference, Num, Product, Quotient, Square, Sum

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")

FUNCTIONS = {
    "exp": math.exp,
    "sigma": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "ident": lambda z: z,
    "sqrt": math.sqrt,
}
NUMBER = r"[0-9.]+(?:e[+-][0-9]+)?"


def to_python(expression):
    """The arithmetic of a numbers string as Python source.

    A negative number must stand in parentheses wherever it follows an operator (``+ −0.2``,
    ``·−0.2``, ``− −0.2``, ``1−−0.2²`` are refused: only ``(−0.2)`` or a leading minus).
    """
    unparenthesised = re.search(r"(?:[·/^]|[+−] |−)−", expression)
    assert unparenthesised is None, f"a negative number after an operator: {expression!r}"
    text = expression.replace("−", "-").replace("·", "*").replace("²", "**2")
    text = re.sub(r"\(\d+ more terms: (-?" + NUMBER + r")\)", r"(\1)", text)
    text = re.sub(r"e\^(" + NUMBER + ")", r"exp(\1)", text).replace("e^(", "exp(")
    text = text.replace("σ(", "sigma(").replace("id(", "ident(")
    text = re.sub(r"√(" + NUMBER + ")", r"sqrt(\1)", text)
    leftover = re.sub(r"exp|sigma|tanh|relu|ident|leaky|sqrt", "", text)
    assert re.fullmatch(r"[-+*/(). 0-9e]*", leftover), f"not plain arithmetic: {expression!r} → {leftover!r}"
    return text


def evaluate_parts(numbers, alpha=0.01):
    """(the expression's value, the value written after its last '=') for each ';'-separated equation."""
    numbers = numbers.removesuffix(" (dropped)")
    results = []
    for part in numbers.split(";  "):
        _, rest = re.split(r" (?:=|←) ", part, maxsplit=1)
        expression, _, value = rest.rpartition(" = ")
        expression = expression or value  # "o(0-0) = 1": just the value
        functions = {**FUNCTIONS, "leaky": lambda z: z if z > 0 else alpha * z}
        computed = eval(to_python(expression), {"__builtins__": {}}, functions)
        results.append((float(computed), float(value.replace("−", "-"))))
    return results


def close(a, b, rel=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def target_for(loss, n, draw_values):
    if loss == "categorical_cross_entropy":
        hot = draw_values[0] % n if draw_values else 0
        return [1.0 if k == int(hot) else 0.0 for k in range(n)]
    if loss == "binary_cross_entropy":
        return [min(max(abs(v), 0.0), 1.0) for v in draw_values[:n]]
    return list(draw_values[:n])


# ------------------------------------------------------------------ evaluation (hypothesis)
@settings(max_examples=300)
@given(
    hidden=st.sampled_from(HIDDEN),
    output=st.sampled_from(OUTPUTS),
    dropout=st.sampled_from([0.0, 0.5]),
    l2=st.sampled_from([0.0, 0.1]),
    l2_bias=st.sampled_from([0.0, 0.05]),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=2),
    seed=st.integers(0, 2**16),
    values=st.lists(st.floats(-2, 2, allow_nan=False), min_size=12, max_size=12),
)
def test_every_numbers_string_evaluates_to_the_events_value(hidden, output, dropout, l2, l2_bias, sizes, seed, values):
    activation, loss = output
    n_in, hidden_sizes = sizes[0], sizes[1:]
    n_out = 2 if activation == "softmax" else 1 + seed % 3
    net = Network(
        [n_in, *hidden_sizes, n_out],
        activation=hidden,
        output_activation=activation,
        loss=loss,
        init="normal",
        seed=seed,
        l2=l2,
        l2_bias=l2_bias,
        dropout=dropout if hidden_sizes else 0.0,
    )
    target = target_for(
        loss, n_out, [round(v, 3) for v in values[9:]] if loss != "categorical_cross_entropy" else [seed]
    )
    stepper = net.stepper(values[:n_in], target, rate=0.3, digits=17)
    for event in stepper.run():
        parts = evaluate_parts(event.numbers)
        for computed, written in parts:
            assert close(computed, written), (event, computed, written)
        assert close(parts[-1][1], event.after), (event, event.after)


def evaluate_update(numbers):
    """(value, written value) of each step of an optimizer's update: ``… = arithmetic = value``, per ``;``/``,`` part."""
    results = []
    for part in re.split(r";  |, (?=\S+ = )", numbers.removeprefix(numbers.split(": ", 1)[0] + ": ")):
        segments = part.split(" = ")
        if len(segments) < 3:  # "t = 1": a count, no arithmetic
            continue
        computed = eval(to_python(segments[-2]), {"__builtins__": {}}, FUNCTIONS)
        results.append((float(computed), float(segments[-1].replace("−", "-"))))
    return results


@settings(max_examples=60)
@given(
    optimizer=st.sampled_from(["momentum", "nesterov", "adagrad", "rmsprop", "adam"]),  # sgd: the Equation path
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    seed=st.integers(0, 2**16),
    steps=st.integers(0, 2),
)
def test_every_optimizer_update_string_evaluates_to_the_new_weight(optimizer, sizes, seed, steps):
    """At 17 digits each step of an update's numbers (v ← …, m̂ = …, w ← …) evaluates to the value written."""
    net = Network(sizes, init="normal", seed=seed)
    x, t = [0.5] * sizes[0], [0.25] * sizes[-1]
    if steps:  # an optimizer state that is not all zeros
        net.train([x], [t], rate=0.1, epochs=steps, optimizer=optimizer)
    for event in net.stepper(x, t, rate=0.3, optimizer=optimizer, digits=17).run():
        if event.phase != "update":
            continue
        parts = evaluate_update(event.numbers)
        assert parts, event
        for computed, written in parts:
            assert math.isclose(computed, written, rel_tol=1e-12, abs_tol=1e-15), (event, computed, written)
        assert close(parts[-1][1], event.after), (event, event.after)


def test_the_update_evaluator_can_fail():
    momentum = "w(0-0→1-0): v ← μ·v − η·g = 0.9·0.01 − 0.5·0.02 = −0.001;  w ← w + v = 0.3 + (−0.001) = 0.299"
    assert [close(a, b) for a, b in evaluate_update(momentum)] == [True, True]
    assert not close(*evaluate_update("w: w ← w − η·g = 0.3 − 0.5·0.02 = 0.28")[0])
    adam = "w: t = 1;  m̂ = m/(1−β₁ᵗ) = 0.01/0.1 = 0.1, v̂ = v/(1−β₂ᵗ) = 0.004/0.001 = 4;  w ← w = √4 + 1e−08 = 2"
    assert len(evaluate_update(adam)) == 3 and all(close(a, b, rel=1e-8) for a, b in evaluate_update(adam))


def test_the_evaluator_can_fail():
    assert evaluate_parts("δ = 0.5·(−0.2) = −0.1") == [(-0.1, -0.1)]
    ((computed, written),) = evaluate_parts("δ = 1−(−0.5)² = 0.75")
    assert close(computed, written)
    with pytest.raises(AssertionError, match="a negative number after an operator"):
        evaluate_parts("δ = 1−−0.5² = 0.75")  # the old tanh string
    with pytest.raises(AssertionError, match="a negative number after an operator"):
        evaluate_parts("net = (0.1·0.2 + −0.04006·0.1007) = 0.02")  # the old sums
    assert not close(*evaluate_parts("δ = 1−(−0.5)² = 1.25")[0])  # a wrong value is caught
    with pytest.raises(AssertionError, match="not plain arithmetic"):
        evaluate_parts("δ = 0.5·(0.1 − Σ_k o_k·g_k) = 0.1")


# ------------------------------------------------------------------ the expression trees
def test_precedence_of_factors_terms_and_powers():
    tanh_prime = Difference(Num(1.0), Square(Num(-0.01689, "o")), tight=True)
    relu_prime = Num(1.0, "(1 if net>0 else 0)")
    downstream = Sum([Product([Num(0.3), Num(-0.5)]), Product([Num(-0.04006), Num(0.2)])], symbol="Σ_k w_kj·δ_k")
    assert Product([tanh_prime, downstream]).symbols() == "(1−o²)·Σ_k w_kj·δ_k"
    assert Product([tanh_prime, downstream]).numbers(5) == "(1−(−0.01689)²)·(0.3·(−0.5) + (−0.04006)·0.2)"
    assert Product([relu_prime, downstream]).symbols() == "(1 if net>0 else 0)·Σ_k w_kj·δ_k"
    assert Sum([Num(0.1), Num(-0.04006)]).numbers(5) == "(0.1 + (−0.04006))"
    assert Difference(Num(0.6, "y"), Num(-0.9, "t")).numbers() == "0.6 − (−0.9)"
    mse = Quotient(Product([Num(2.0, "2"), Difference(Num(0.6, "y"), Num(0.9, "t"))]), Num(3.0, "K"))
    assert mse.symbols() == "2·(y − t)/K" and mse.numbers() == "2·(0.6 − 0.9)/3"
    assert Product([Num(0.25, "f′"), mse]).numbers() == "0.25·(2·(0.6 − 0.9)/3)"
    assert Quotient(Num(1.0), Product([Num(2.0), Num(3.0)])).numbers() == "1/(2·3)"
    assert Square(Num(0.5, "o")).numbers() == "0.5²" and Square(Num(-0.5, "o")).numbers() == "(−0.5)²"


def test_a_long_sum_shows_its_bias_and_says_what_it_hides():
    terms = [Num(float(k)) for k in range(1, 11)]
    values = [float(k) for k in range(1, 11)]
    written = Sum(terms, keep_last=True, values=values).numbers()
    assert written == f"({' + '.join(str(k) for k in range(1, MAX_TERMS + 1))} + (3 more terms: 24) + 10)"
    # one term more than MAX_TERMS is never hidden alone, with or without a bias
    assert "more" not in Sum(terms[: MAX_TERMS + 1], values=values[: MAX_TERMS + 1]).numbers()
    assert "more" not in Sum(terms[: MAX_TERMS + 2], keep_last=True, values=values[: MAX_TERMS + 2]).numbers()


def test_a_cut_sum_in_a_wide_layer_still_adds_up_and_shows_the_bias():
    net = Network([10, 2, 1], init="normal", seed=1, bias_init=0.25)
    event = net.stepper([0.5] * 10, [1.0], digits=17).run_to("forward", layer=1, node=0)
    assert "(4 more terms: " in event.numbers and ") + 0.25·1) = " in event.numbers
    for computed, written in evaluate_parts(event.numbers):
        assert close(computed, written)


# ------------------------------------------------------------------ the event, its repr and the numbering
def test_event_repr_is_the_readme_line_and_rich_shows_the_same():
    net = Network([3, 4, 2], activation="sigmoid", loss="squared_error", seed=0)
    steps = net.stepper([1.0, 0.0, 1.0], target=[0.9, 0.1], rate=0.5)
    first = steps.next()
    assert repr(first) == str(first) == "[0] input 0-0: o(0-0) = 1"
    event = steps.run_to("delta", layer=1, node=2)
    assert repr(event) == (
        "[13] hidden_delta 1-2: δ(1-2) = 0.5075·0.4925·(0.0459·(−0.1013) + (−0.0401)·0.1007) = −0.00217"
    )
    console = Console(record=True, width=200, color_system=None)
    console.print(event)
    lines = console.export_text().splitlines()
    assert lines == ["[13] hidden_delta 1-2", event.formula, event.numbers]


def test_the_rich_view_numbers_steps_as_the_events_and_shows_no_delta_on_inputs():
    net = Network([3, 4, 2], seed=0)
    steps = net.stepper([1.0, 0.0, 1.0], target=[0.9, 0.1], digits=6)
    steps.run_to("delta", layer=1, node=2)
    console = Console(record=True, width=200, color_system=None)
    console.print(steps)
    text = console.export_text()
    assert text.startswith(f"step {steps.position}/{steps.total}  next hidden_delta 1-3")
    assert f"[{steps.position - 1}] hidden_delta 1-2" in text and f"step {steps.position - 1}" not in text
    input_rows = [line.split()[:3] for line in text.splitlines() if line.strip().startswith("0-")]
    assert input_rows == [["0-0", "o", "1"], ["0-1", "o", "0"], ["0-2", "o", "1"], ["0-3", "o", "1"]]  # 0-3: bias
    assert "0-0  o 1  δ" not in text and "δ –" in text  # 1-3's δ is not computed yet
    assert f"δ {format_number(net.node(1, 2).delta, 6)}" in text


def test_digits_option():
    net = Network([2, 2, 1], seed=0)
    eight = net.stepper([1.0, 0.5], [1.0], digits=8).run()
    four = Network([2, 2, 1], seed=0).stepper([1.0, 0.5], [1.0]).run()
    assert [e.after for e in eight] == [e.after for e in four]
    assert all(e.numbers.endswith(format_number(e.after, 8)) for e in eight)
    assert all(e.numbers.endswith(format_number(e.after)) for e in four)
    for bad in (0, 18, 2.5, True, "4"):
        with pytest.raises(IncompatibleError, match="digits .*must be a whole number"):
            net.stepper([1.0, 0.5], [1.0], digits=bad)
