"""Tests for graphnet.datasets.gates: the truth tables against Python's own operators."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from graphnet.datasets.gates import GATE_NAMES, logic_gate, xor
from graphnet.math.errors import GraphnetError, UnknownNameError

ORACLES = {
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "nand": lambda a, b: not (a and b),
    "nor": lambda a, b: not (a or b),
    "xor": operator.xor,
    "xnor": lambda a, b: not operator.xor(a, b),
}


def test_every_known_gate_has_an_oracle() -> None:
    assert set(GATE_NAMES) == set(ORACLES)


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_truth_table_matches_python_operators(name: str) -> None:
    X, T = logic_gate(name)
    assert X.dtype == np.float64 and X.shape == (4, 2)
    assert T.dtype == np.float64 and T.shape == (4, 1)
    assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    expected = [[float(ORACLES[name](bool(a), bool(b)))] for a, b in X]
    assert_array_equal(T, expected)


def test_names_ignore_letter_case() -> None:
    assert_array_equal(logic_gate("NAND")[1], logic_gate("nand")[1])
    assert_array_equal(logic_gate("Xor")[1], xor()[1])


def test_xor_is_the_xor_gate() -> None:
    X, T = xor()
    assert_array_equal(T.ravel(), [0, 1, 1, 0])
    assert_array_equal(X, logic_gate("xor")[0])


def test_each_call_returns_new_arrays() -> None:
    X, T = xor()
    X[:] = 9.0
    T[:] = 9.0
    X2, T2 = xor()
    assert X2.max() == 1.0 and T2.max() == 1.0


@pytest.mark.parametrize("name", ["xro", "", "and2", 3])
def test_unknown_gate_lists_the_known_ones(name: object) -> None:
    with pytest.raises(UnknownNameError) as caught:
        logic_gate(name)  # type: ignore[arg-type]
    message = str(caught.value)
    assert repr(name) in message
    for known in GATE_NAMES:
        assert known in message
    assert isinstance(caught.value, GraphnetError) and isinstance(caught.value, ValueError)
