"""micrograd's demo with graphnet's public options, against a plain-numpy version of the same loop.

micrograd's demo.ipynb: an MLP 2-16-16-1 (ReLU, linear output) on 100 two-moons points with
labels ±1, the SVM "max-margin" loss mean(max(0, 1 − y·score)) + α·Σ p² over every parameter
(α = 1e-4), full batch, 100 steps of SGD with the rate 1.0 − 0.9·k/100.  In graphnet: a
custom ``Loss``, ``l2 = l2_bias = 2α`` (graphnet's term is (λ/2)·Σ p²), ``LinearDecay``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from graphnet import Loss, Network
from graphnet.datasets import toy_dataset
from graphnet.math.lr_schedules import LinearDecay
from graphnet.math.optimizers import SGD
from graphnet.tools.gradcheck import gradient_check

ALPHA = 1e-4
STEPS = 100


class Hinge(Loss):
    """E = max(0, 1 − y·t) for one output, t = ±1; ∂E/∂y = −t where 1 − y·t > 0, else 0."""

    name = "hinge"

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        return sum(max(0.0, 1.0 - y * t) for y, t in zip(outputs, targets, strict=True))

    def value_array(self, outputs: np.ndarray, targets: np.ndarray, net_inputs: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, 1.0 - outputs * targets).sum(axis=1)

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        return -target if 1.0 - output * target > 0 else 0.0

    def output_gradient_array(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.where(1.0 - outputs * targets > 0, -targets, 0.0)


def moons() -> tuple[np.ndarray, np.ndarray]:
    X, labels = toy_dataset("two_moons", 100, noise=0.1, seed=1)
    return X, (2.0 * labels - 1.0)[:, None]  # y = ±1


def demo_network() -> Network:
    return Network(
        [2, 16, 16, 1],
        activation="relu",
        output_activation="identity",
        loss=Hinge(),
        init="uniform",
        l2=2 * ALPHA,
        l2_bias=2 * ALPHA,
        seed=1337,
    )


def numpy_demo(params: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """micrograd's loop in plain numpy: the losses after each step and the final parameters."""
    (W1, b1), (W2, b2), (W3, b3) = [(W.copy(), b.copy()) for W, b in params]
    n = len(X)
    losses = []
    for k in range(STEPS):
        Z1 = X @ W1.T + b1
        H1 = np.maximum(Z1, 0.0)
        Z2 = H1 @ W2.T + b2
        H2 = np.maximum(Z2, 0.0)
        scores = H2 @ W3.T + b3
        margins = 1.0 - y * scores
        d_scores = np.where(margins > 0, -y, 0.0) / n  # ∂(mean hinge)/∂score
        gW3, gb3 = d_scores.T @ H2, d_scores.sum(axis=0)
        d_Z2 = (d_scores @ W3) * (Z2 > 0)
        gW2, gb2 = d_Z2.T @ H1, d_Z2.sum(axis=0)
        d_Z1 = (d_Z2 @ W2) * (Z1 > 0)
        gW1, gb1 = d_Z1.T @ X, d_Z1.sum(axis=0)
        rate = 1.0 - 0.9 * k / 100  # micrograd's schedule
        for p, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            p -= rate * (g + 2 * ALPHA * p)  # ∂(α·Σp²)/∂p = 2α·p, on every parameter
        scores = np.maximum(np.maximum(X @ W1.T + b1, 0.0) @ W2.T + b2, 0.0) @ W3.T + b3
        penalty = ALPHA * sum(float((p * p).sum()) for p in (W1, b1, W2, b2, W3, b3))
        losses.append(float(np.maximum(0.0, 1.0 - y * scores).mean()) + penalty)
    return losses, [(W1, b1), (W2, b2), (W3, b3)]


@pytest.mark.parametrize("engine", ["fast", "graph"])
def test_the_micrograd_demo_with_public_options_equals_plain_numpy(engine):
    X, y = moons()
    net = demo_network()
    expected_losses, expected_params = numpy_demo(net.get_params(), X, y)
    history = net.train(
        X,
        y,
        rate=1.0,
        epochs=STEPS,
        batch_size=None,
        optimizer=SGD(schedule=LinearDecay(end=0.1, updates=STEPS)),
        engine=engine,
        check_gradients="first",
    )
    np.testing.assert_allclose(history.losses, expected_losses, rtol=0, atol=1e-12)
    for (W, b), (W_expected, b_expected) in zip(net.get_params(), expected_params, strict=True):
        np.testing.assert_allclose(W, W_expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(b, b_expected, rtol=0, atol=1e-12)
    assert history.losses[-1] < 0.5 * history.losses[0]  # it learns the moons
    # the schedule's last rate is micrograd's last one
    assert net.optimizer.current_rate == pytest.approx(1.0 - 0.9 * 99 / 100, abs=1e-15)


def test_the_demo_hinge_loss_gets_no_false_alarm_from_the_gradient_check():
    """The issue's case: a correct hinge loss on the demo's 100 samples, some near the hinge."""
    X, y = moons()
    net = demo_network()
    net.train(X, y, rate=1.0, epochs=30, batch_size=None, optimizer=SGD(schedule=LinearDecay(end=0.1, updates=STEPS)))
    report = gradient_check(net, X, y)
    margins = 1.0 - y * net.predict(X)
    assert report.passed, report.to_text()
    assert report.counts["wrong"] == report.counts["mismatch"] == 0
    assert np.abs(margins).min() < 0.016  # a sample within the order-6 stencil's reach (3ε) of the hinge


def test_a_sign_flipped_derivative_stops_training_at_the_first_batch():
    class FlippedHinge(Hinge):
        name = "flipped_hinge"

        def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
            return -super().output_gradient(output, target, n_outputs)

        def output_gradient_array(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
            return -super().output_gradient_array(outputs, targets)

    from graphnet.math.errors import WrongGradientError

    X, y = moons()
    for engine in ("fast", "graph"):
        net = Network([2, 16, 16, 1], activation="relu", output_activation="identity", loss=FlippedHinge(), seed=1)
        before = net.get_flat_params()
        with pytest.raises(WrongGradientError, match="gradient check on the first batch failed") as caught:
            net.train(X, y, rate=0.1, epochs=3, batch_size=10, engine=engine, check_gradients="first")
        assert isinstance(caught.value, ValueError) and not caught.value.report.passed
        np.testing.assert_array_equal(net.get_flat_params(), before)  # no update was made
        # without the guard it trains silently
        net.train(X, y, rate=0.1, epochs=1, batch_size=10, engine=engine)
        assert not np.array_equal(net.get_flat_params(), before)


def test_check_gradients_passes_and_changes_nothing():
    X, y = moons()
    runs = []
    for check in (None, "first"):
        net = demo_network()
        history = net.train(X, y, rate=0.5, epochs=3, batch_size=20, shuffle=True, seed=3, check_gradients=check)
        runs.append((net.get_flat_params(), history.losses))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
