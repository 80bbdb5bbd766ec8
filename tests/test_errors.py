"""Bad input raises a GraphnetError subclass naming what was expected and what was given."""

import numpy as np
import pytest

from graphnet import GraphnetError, Network
from graphnet.math.errors import (
    EmptyDataError,
    IncompatibleError,
    NonFiniteError,
    ShapeError,
    UnknownNameError,
)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Network([3]), ShapeError, r"at least an input and an output layer; got \[3\]"),
        (lambda: Network([3, 0, 2]), IncompatibleError, r"sizes\[1\] must be a whole number ≥ 1; got 0"),
        (lambda: Network("342"), ShapeError, "list of layer sizes"),
        (lambda: Network([3, 2.5, 2]), IncompatibleError, r"sizes\[1\]"),
        (
            lambda: Network([3, 2], activation="sigmod"),
            UnknownNameError,
            "unknown activation 'sigmod'; known:",
        ),
        (lambda: Network([3, 2], loss="hinge"), UnknownNameError, "unknown loss 'hinge'"),
        (lambda: Network([3, 2], init="zeros"), UnknownNameError, "unknown init 'zeros'; known: glorot, he"),
        (
            lambda: Network([3, 4, 2], activation=["relu"]),
            ShapeError,
            r"one entry per non-input layer \(2\); got 1",
        ),
        (
            lambda: Network([3, 4, 2], activation=["softmax", "sigmoid"]),
            IncompatibleError,
            "output layer only",
        ),
        (
            lambda: Network([3, 2], loss="categorical_cross_entropy"),
            IncompatibleError,
            "needs a 'softmax' output",
        ),
        (
            lambda: Network([3, 2], output_activation="softmax", loss="bce"),
            IncompatibleError,
            "needs a 'sigmoid'",
        ),
        (lambda: Network([3, 1], output_activation="softmax"), IncompatibleError, "softmax over 1 output"),
        (lambda: Network([3, 2], l2=-0.1), IncompatibleError, "l2 must be finite and ≥ 0; got -0.1"),
        (lambda: Network([3, 2], bias_init=float("nan")), NonFiniteError, "bias_init must be finite"),
    ],
)
def test_bad_construction(build, error, message):
    with pytest.raises(error, match=message) as info:
        build()
    assert isinstance(info.value, GraphnetError) and isinstance(info.value, ValueError)


NET = Network([3, 4, 2], seed=0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: NET.predict([1.0, 2.0]),
            ShapeError,
            r"x has 2 values; this network expects 3 \(sizes=\[3, 4, 2\]\)",
        ),
        (lambda: NET.forward([[1.0, 2.0, 3.0]]), ShapeError, r"x must be one sample .* got shape \(1, 3\)"),
        (
            lambda: NET.predict([1.0, np.nan, 0.0]),
            NonFiniteError,
            r"x must be finite; got nan at index \(1,\)",
        ),
        (lambda: NET.predict([1.0, np.inf, 0.0]), NonFiniteError, "x must be finite; got inf"),
        (lambda: NET.predict(["a", "b", "c"]), ShapeError, "x must hold numbers; got an array of dtype <U1"),
        (lambda: NET.predict([[1, 2, 3], [1, 2]]), ShapeError, "rectangular array of numbers"),
        (lambda: NET.predict(np.zeros((2, 2, 3))), ShapeError, r"X must be 2-D \(n_samples, 3\)"),
        (lambda: NET.backward([0.5]), ShapeError, "target has 1 values; this network expects 2"),
        (
            lambda: NET.train(np.zeros((0, 3)), np.zeros((0, 2)), rate=0.1),
            EmptyDataError,
            "X holds no samples",
        ),
        (
            lambda: NET.train(np.zeros((4, 3)), np.zeros((3, 2)), rate=0.1),
            ShapeError,
            "X has 4 samples but T has 3",
        ),
        (
            lambda: NET.train(np.zeros((4, 3)), np.zeros((4, 3)), rate=0.1),
            ShapeError,
            "T has 3 columns; this network expects 2",
        ),
        (lambda: NET.loss(np.zeros((4, 3)), np.full((4, 2), np.nan)), NonFiniteError, "T must be finite"),
        (
            lambda: NET.accuracy(np.zeros((2, 3)), [0, 5]),
            ShapeError,
            r"labels must be whole numbers in \[0, 1\]",
        ),
        (lambda: NET.connections[0, 0, 0], ShapeError, "layer must be 1 … 2"),
        (
            lambda: NET.connections[1, 7, 0],
            ShapeError,
            r"from must be a node index 0 … 2 of layer 0, 3 \(its bias node\) or 'bias'; got 7",
        ),
        (
            lambda: NET.set_flat_params(np.zeros(5)),
            ShapeError,
            r"must have 26 values \(sizes=\[3, 4, 2\]\); got shape \(5,\)",
        ),
        (lambda: NET.gradients(np.zeros((1, 3))), ShapeError, "needs both X and T"),
    ],
)
def test_bad_calls(call, error, message):
    with pytest.raises(error, match=message):
        call()
