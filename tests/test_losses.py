import warnings

import numpy as np
import pytest

from graphnet.math.activations import get_activation
from graphnet.math.errors import IncompatibleError, UnknownNameError
from graphnet.math.losses import BUILTIN_LOSSES, get_loss

RNG = np.random.default_rng(5)
Z = RNG.normal(size=(4, 3)) * 3
T_PROB = np.array([[0.1, 0.7, 0.2], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4], [0.0, 0.0, 1.0]])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("name", "output_of", "expected"),
    [
        ("squared_error", _sigmoid, lambda y, t: 0.5 * ((t - y) ** 2).sum(axis=1)),
        ("mean_squared_error", _sigmoid, lambda y, t: ((t - y) ** 2).mean(axis=1)),
        (
            "binary_cross_entropy",
            _sigmoid,
            lambda y, t: -(t * np.log(y) + (1 - t) * np.log(1 - y)).sum(axis=1),
        ),
        ("categorical_cross_entropy", _softmax, lambda y, t: -(t * np.log(y)).sum(axis=1)),
    ],
)
def test_value_matches_the_textbook_formula_in_both_forms(name, output_of, expected):
    loss = get_loss(name)
    y = output_of(Z)
    want = expected(y, T_PROB)
    np.testing.assert_allclose(loss.value_array(y, T_PROB, Z), want, rtol=1e-12)
    for row in range(len(Z)):
        got = loss.value(y[row].tolist(), T_PROB[row].tolist(), Z[row].tolist())
        assert got == pytest.approx(want[row], rel=1e-12)


@pytest.mark.parametrize("name", ["squared_error", "mean_squared_error"])
def test_output_gradient_matches_central_difference(name):
    loss = get_loss(name)
    y, t = _sigmoid(Z[0]), T_PROB[0]
    h = 1e-6
    for k in range(3):
        up, down = y.copy(), y.copy()
        up[k] += h
        down[k] -= h
        numeric = (loss.value(up.tolist(), t.tolist(), []) - loss.value(down.tolist(), t.tolist(), [])) / (2 * h)
        assert loss.output_gradient(float(y[k]), float(t[k]), 3) == pytest.approx(numeric, rel=1e-7)
    np.testing.assert_allclose(
        loss.output_gradient_array(y[None], t[None])[0],
        [loss.output_gradient(float(a), float(b), 3) for a, b in zip(y, t, strict=True)],
    )


def test_cross_entropies_stay_finite_and_silent_for_huge_net_inputs():
    z = np.array([[1000.0, -1000.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bce = get_loss("binary_cross_entropy").value_array(
            _sigmoid(np.clip(z, -500, 500)), np.array([[0.0, 1.0, 0.5]]), z
        )
        cce = get_loss("categorical_cross_entropy").value_array(_softmax(z), np.array([[0.0, 1.0, 0.0]]), z)
    np.testing.assert_allclose(bce, [1000.0 + 1000.0 + np.log(2)], rtol=1e-12)
    np.testing.assert_allclose(cce, [2000.0], rtol=1e-12)


@pytest.mark.parametrize(
    ("loss", "activation", "n_outputs", "message"),
    [
        ("binary_cross_entropy", "softmax", 3, "needs a 'sigmoid' output"),
        ("binary_cross_entropy", "relu", 1, "needs a 'sigmoid' output"),
        ("categorical_cross_entropy", "sigmoid", 3, "needs a 'softmax' output"),
        ("squared_error", "softmax", 1, "softmax over 1 output"),
    ],
)
def test_meaningless_pairings_are_refused(loss, activation, n_outputs, message):
    with pytest.raises(IncompatibleError, match=message):
        get_loss(loss).check_output_activation(get_activation(activation), n_outputs)


def test_target_domains_are_checked():
    with pytest.raises(IncompatibleError, match=r"targets in \[0, 1\]"):
        get_loss("bce").check_targets(np.array([[1.5]]))
    with pytest.raises(IncompatibleError, match="sum to 1"):
        get_loss("cross_entropy").check_targets(np.array([[0.9, 0.1, 0.1]]))
    get_loss("cross_entropy").check_targets(T_PROB)


def test_unknown_loss_and_aliases():
    assert get_loss("mse").name == "mean_squared_error"
    with pytest.raises(UnknownNameError, match="known: .*squared_error"):
        get_loss("hinge")
    assert len(BUILTIN_LOSSES) == 4
