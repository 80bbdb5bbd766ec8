"""ASCII mode: every printed formula line is Python arithmetic that gives the value it states.

``graphnet --ascii step …`` (or ``GRAPHNET_ASCII=1``) and ``net.stepper(..., ascii=True)``
write formulas with ``-`` and ``*``.  These tests print whole stepping sessions in ASCII
mode, cut each numbers line into its equations, evaluate every numeric side with Python's own
``eval`` (only math functions defined) and compare it with the value after the last ``=``.
"""

import io
import math
import re

import pytest

from graphnet import Network
from graphnet.cli import main

#: The functions an ASCII formula may call, as graphnet defines them.
FUNCTIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z, alpha=0.01: z if z > 0 else alpha * z,
    "identity": lambda z: z,
    "exp": math.exp,
    "sqrt": math.sqrt,
}
NUMERIC = re.compile(r"(?:[-+*/(). 0-9e]|sigmoid|tanh|relu|leaky_relu|identity|exp|sqrt)+")


def top_level_split(text, separators):
    """``text`` cut at each separator that stands outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        found = next((s for s in separators if depth == 0 and text.startswith(s, i)), None)
        if found:
            parts.append(text[start:i])
            i = start = i + len(found)
        else:
            i += 1
    return [*parts, text[start:]]


def equations_of(line):
    """The equations of one printed numbers line, each as its list of sides."""
    line = line.split("  # ")[0]
    head, colon, rest = line.partition(": ")
    if colon and "=" not in head and "<-" not in head:  # an update's "w(0-0->1-0): …"
        line = rest
    return [top_level_split(e, (" = ", " <- ")) for e in top_level_split(line, (";  ", ", "))]


def check_line(line, rel):
    """Every numeric side of every equation evaluates to the value written last; returns how many sides."""
    checked = 0
    for sides in equations_of(line):
        value = float(sides[-1])
        if len(sides) > 2:  # the side just before the value is its numbers
            assert NUMERIC.fullmatch(sides[-2]), (line, sides[-2])
        for side in sides[1:-1]:
            if not NUMERIC.fullmatch(side):
                continue  # a side in symbols (an optimizer writes its rule before its numbers)
            computed = eval(side, {"__builtins__": {}}, FUNCTIONS)
            if rel is not None:  # at few places cancellation may move the last digits: Python, not exact
                assert computed == pytest.approx(value, rel=rel, abs=1e-300), (line, side)
            checked += 1
    return checked


def session(capsys, monkeypatch, argv):
    monkeypatch.setattr("sys.stdin", io.StringIO("r\nq\n"))
    assert main(["--ascii", "step", *argv]) == 0
    return capsys.readouterr().out


CASES = [
    ["--layers", "3", "4", "2"],
    ["--layers", "3", "9", "2", "--activation", "tanh", "--optimizer", "adam"],
    ["--layers", "2", "3", "3", "--output-activation", "softmax", "--loss", "categorical_cross_entropy"],
    ["--layers", "2", "3", "1", "--activation", "relu", "--optimizer", "rmsprop", "--names", "textbook"],
    [
        "--layers",
        "2",
        "3",
        "2",
        "--activation",
        "leaky_relu",
        "--loss",
        "mean_squared_error",
        "--optimizer",
        "momentum",
    ],
    ["--layers", "4", "12", "2", "--dropout", "0.5", "--optimizer", "nesterov"],
    ["--layers", "2", "2", "1", "--output-activation", "identity", "--optimizer", "adagrad"],
]


@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a[1:4]))
def test_every_printed_formula_line_is_python_arithmetic(capsys, monkeypatch, argv):
    sizes = [int(s) for s in argv[1:] if s.isdigit()][:3]
    sample = ["--input", *["0.5"] * sizes[0], "--target", *(["1"] + ["0"] * (sizes[-1] - 1))]
    exact = session(capsys, monkeypatch, [*argv, *sample, "--digits", "17"])
    shown = session(capsys, monkeypatch, [*argv, *sample])
    for text, rel in ((exact, 1e-12), (shown, None)):
        assert text.isascii()
        lines = text.splitlines()
        headers = [i for i, line in enumerate(lines) if re.match(r"\[\d+\] \w+ ", line)]
        assert len(headers) > 10
        sides = 0
        for i in headers:
            sides += check_line(lines[i + 2], rel)
        assert sides >= len(headers) - sizes[0]  # every event but the inputs (o = 1) has a side to check


def test_the_environment_variable_and_the_stepper_option(capsys, monkeypatch):
    monkeypatch.setenv("GRAPHNET_ASCII", "1")
    monkeypatch.setattr("sys.stdin", io.StringIO("r\nq\n"))
    assert main(["step", "--layers", "3", "4", "2"]) == 0
    assert capsys.readouterr().out.isascii()
    net = Network([3, 4, 2], seed=0)
    event = net.stepper([1.0, 0.0, 1.0], [0.9, 0.1]).run_to("delta", layer=1, node=2)
    assert (
        repr(event)
        == "[13] hidden_delta 1-2: delta(1-2) = 0.5075*0.4925*(0.0459*(-0.1013) + (-0.0401)*0.1007) = -0.00217"
    )
    monkeypatch.delenv("GRAPHNET_ASCII")
    plain = Network([3, 4, 2], seed=0).stepper([1.0, 0.0, 1.0], [0.9, 0.1], ascii=True).run()
    unicode = Network([3, 4, 2], seed=0).stepper([1.0, 0.0, 1.0], [0.9, 0.1]).run()
    assert [e.numbers for e in plain] != [e.numbers for e in unicode] and not unicode[20].numbers.isascii()
    assert [e.after for e in plain] == [e.after for e in unicode]


def test_the_checker_can_fail():
    assert check_line("delta(1-0) = 0.5*(-0.2) = -0.1", 1e-12) == 1
    with pytest.raises(AssertionError):
        check_line("delta(1-0) = 0.5*(-0.2) = 0.1", 1e-12)
    with pytest.raises(ValueError):
        check_line("o(1-1) = sigmoid(0.3)*0/0.5 = 0 (dropped)", 1e-12)  # not Python: the unicode line's tail
    with pytest.raises(AssertionError):
        check_line("net = (2 more terms: 0.5) = 0.5", 1e-12)  # a cut sum must become a number
