"""The checks of notebook 07's exercises: a right answer passes, each typical mistake is named, no answer shown."""

import numpy as np
import pytest

from graphnet.tools.exercises import Check, check_derivative, check_hidden_delta, check_training_step


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def step(W, b, x, t, rate, *, sign=-1.0, factor=True, bias=True):
    o = sigmoid(W @ x + b)
    delta = (o - t) * (o * (1.0 - o) if factor else 1.0)
    return W + sign * rate * np.outer(delta, x), b + (sign * rate * delta if bias else 0.0)


@pytest.mark.parametrize(
    ("derivative", "expected"),
    [
        (lambda z: 1.0 - np.tanh(z) ** 2, "✓ tanh derivative: matches the slope measured by central differences"),
        (lambda z: None, "✗ tanh derivative: not written yet: return f′(z) for the array z"),
        (lambda z: np.tanh(z) ** 2 - 1.0, "✗ tanh derivative: has the wrong sign everywhere"),
        (lambda z: 2.0 * (1.0 - np.tanh(z) ** 2), "✗ tanh derivative: off by a constant factor of 2 everywhere"),
        (lambda z: 1.0 - np.tanh(z), "✗ tanh derivative: right at z = 0 but not away from it; f′(z) differs at z = -3"),
        (lambda z: z[:2], "✗ tanh derivative: f′(z) must have shape (13,), one value per z; got (2,)"),
        (lambda z: 1 / 0, "✗ tanh derivative: your function raised ZeroDivisionError: division by zero"),
    ],
)
def test_derivative_check(derivative, expected):
    assert str(check_derivative(derivative, "tanh")).startswith(expected)


def test_derivative_check_works_for_another_activation():
    assert check_derivative(lambda z: sigmoid(z) * (1.0 - sigmoid(z)), "sigmoid").passed
    assert not check_derivative(lambda z: 1.0 - np.tanh(z) ** 2, "sigmoid").passed


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (lambda o, W, d: o * (1 - o) * (W.T @ d), "✓ hidden delta: equals the δ of graphnet's backward pass"),
        (lambda o, W, d: W.T @ d, "✗ hidden delta: the sum over the next layer is right, but the factor f′(net_j)"),
        (lambda o, W, d: (1 - o**2) * (W.T @ d), "✗ hidden delta: the sum is right, but the unit's own factor is tanh"),
        (lambda o, W, d: -o * (1 - o) * (W.T @ d), "✗ hidden delta: has the wrong sign"),
        (lambda o, W, d: o * (1 - o) * (W @ d), "✗ hidden delta: your function raised ValueError"),
        (lambda o, W, d: o * (W.T @ d), "✗ hidden delta: δ differs at hidden unit"),
        (lambda o, W, d: None, "✗ hidden delta: not written yet: return δ, one per hidden unit"),
    ],
)
def test_hidden_delta_check(delta, expected):
    assert str(check_hidden_delta(delta)).startswith(expected)


@pytest.mark.parametrize(
    ("training_step", "expected"),
    [
        (step, "✓ training step: equals graphnet's own SGD step"),
        (lambda W, b, x, t, rate: step(W, b, x, t, rate, bias=False), "✗ training step: W is right but b is not"),
        (lambda W, b, x, t, rate: step(W, b, x, t, rate, sign=1.0), "✗ training step: the step went uphill"),
        (lambda W, b, x, t, rate: step(W, b, x, t, 2 * rate), "✗ training step: every change is 2 times"),
        (lambda W, b, x, t, rate: step(W, b, x, t, rate, factor=False), "✗ training step: δ of the output units lacks"),
        (lambda W, b, x, t, rate: (W, b), "✗ training step: W and b did not change"),
        (lambda W, b, x, t, rate: W, "✗ training step: return two things"),
        (lambda W, b, x, t, rate: None, "✗ training step: not written yet"),
    ],
)
def test_training_step_check(training_step, expected):
    assert str(check_training_step(training_step)).startswith(expected)


def test_a_check_shows_as_its_text():
    check = Check("x", True, "fine")
    assert repr(check) == str(check) == "✓ x: fine"
