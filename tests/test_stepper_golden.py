"""Golden strings of the stepper's formulas for every output activation × loss, with and without dropout.

The network is the classic 2-2-2 worked example (weights .15 .20 .25 .30 / .40 .45 .50 .55,
biases .35 / .60, x = (.05, .10), t = (.01, .99), η = .5); a hidden layer of the same
activation as the output (sigmoid under softmax); with dropout, hidden node 1-1 dropped.
``tests/golden/stepper_formulas.txt`` holds, for each combination, the formula and the
numbers of: both hidden nodes' forward steps, output node 2-0's steps, both hidden deltas,
the gradients of w5 = w(1-0→2-0) and of the bias b(2-0), and w5's update.  The strings were
read one by one (precedence, parentheses, every symbol a number) and their arithmetic is
checked in ``test_formulas.py``; the sigmoid case is checked against the textbook's numbers.
"""

from pathlib import Path

import numpy as np
import pytest

from graphnet import Network

GOLDEN = Path(__file__).parent / "golden" / "stepper_formulas.txt"
#: Every output activation with every loss it may be paired with.
OUTPUTS = (
    ("sigmoid", "squared_error"),
    ("sigmoid", "mean_squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("tanh", "squared_error"),
    ("tanh", "mean_squared_error"),
    ("relu", "squared_error"),
    ("relu", "mean_squared_error"),
    ("leaky_relu", "squared_error"),
    ("leaky_relu", "mean_squared_error"),
    ("identity", "squared_error"),
    ("identity", "mean_squared_error"),
    ("softmax", "squared_error"),
    ("softmax", "mean_squared_error"),
    ("softmax", "categorical_cross_entropy"),
)
WANTED = {
    ("forward", "1-0"),
    ("forward", "1-1"),
    ("forward", "2-0"),
    ("net_input", "2-0"),
    ("output", "2-0"),
    ("output_delta", "2-0"),
    ("hidden_delta", "1-0"),
    ("hidden_delta", "1-1"),
    ("gradient", "(1-0) -> (2-0)"),
    ("gradient", "(1-2) -> (2-0)"),
    ("update", "(1-0) -> (2-0)"),
}


def classic(activation, loss, dropout, digits=4):
    hidden = "sigmoid" if activation == "softmax" else activation
    net = Network(
        [2, 2, 2], activation=hidden, output_activation=activation, loss=loss, dropout=0.5 if dropout else 0.0
    )
    net.set_params(
        [
            (np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([0.35, 0.35])),
            (np.array([[0.40, 0.45], [0.50, 0.55]]), np.array([0.60, 0.60])),
        ]
    )
    target = [0.0, 1.0] if loss == "categorical_cross_entropy" else [0.01, 0.99]
    masks = [np.array([[1.0, 0.0]]), None] if dropout else None
    return net.stepper([0.05, 0.10], target, rate=0.5, masks=masks, digits=digits)


def golden_sections():
    sections, name = {}, None
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            name = line[3:]
            sections[name] = []
        elif line:
            sections[name].append(line)
    return sections


@pytest.mark.parametrize("dropout", [False, True], ids=["", "dropout"])
@pytest.mark.parametrize(("activation", "loss"), OUTPUTS)
def test_formula_and_numbers_strings_are_the_golden_ones(activation, loss, dropout):
    lines = []
    for event in classic(activation, loss, dropout).run():
        if (event.phase, event.label) in WANTED:
            lines += [f"[{event.index}] {event.phase} {event.label}", f"  {event.formula}", f"  {event.numbers}"]
    assert lines == golden_sections()[f"{activation} {loss}{' dropout' if dropout else ''}"]


def test_every_combination_has_its_golden_section():
    names = {f"{a} {loss}{d}" for a, loss in OUTPUTS for d in ("", " dropout")}
    assert set(golden_sections()) == names


def test_the_textbook_walk_through_numbers():
    """Mazur's step-by-step example: o(h1) = 0.593269992, δ(o1) = 0.138498562, ∂E/∂w5 = 0.082167041."""
    events = {(e.phase, e.label): e for e in classic("sigmoid", "squared_error", False, digits=8).run()}
    assert events[("forward", "1-0")].numbers.endswith("o(1-0) = σ(0.3775) = 0.59326999")
    assert events[("output_delta", "2-0")].numbers == "δ(2-0) = 0.75136507·0.24863493·(0.75136507 − 0.01) = 0.13849856"
    assert events[("gradient", "(1-0) -> (2-0)")].numbers == "∂E/∂w(1-0→2-0) = 0.13849856·0.59326999 = 0.08216704"
    assert events[("update", "(1-0) -> (2-0)")].numbers == "w(1-0→2-0) ← 0.4 − 0.5·0.08216704 = 0.35891648"
    four = {(e.phase, e.label): e for e in classic("sigmoid", "squared_error", False).run()}
    assert four[("gradient", "(1-0) -> (2-0)")].numbers.endswith(" = 0.0822")
