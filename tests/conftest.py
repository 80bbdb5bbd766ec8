"""Shared test helpers: the combinations graphnet allows, and an independent numeric oracle."""

from __future__ import annotations

import itertools
import os

import numpy as np
from hypothesis import settings

# Local runs draw new examples each time (and replay failures from the example database);
# under CI=true the same examples run every time, so a landing cannot fail by the luck of
# the draw: what a random local run finds is fixed and kept as a regression test.
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=os.environ.get("CI") == "true")
settings.load_profile("ci")

HIDDEN_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
#: (output activation, loss) pairs graphnet accepts.
OUTPUT_PAIRS = [
    *[(a, loss) for a in [*HIDDEN_ACTIVATIONS, "softmax"] for loss in ("squared_error", "mean_squared_error")],
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
]
#: Every allowed hidden activation × output pair × bias.
COMBINATIONS = [
    (hidden, output, loss, bias)
    for hidden, (output, loss), bias in itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_PAIRS, (True, False))
]


def valid_targets(loss: str, n_samples: int, n_outputs: int, rng: np.random.Generator) -> np.ndarray:
    """Random targets in the domain of ``loss``, asymmetric on purpose."""
    if loss == "categorical_cross_entropy":
        raw = rng.uniform(0.05, 1.0, size=(n_samples, n_outputs))
        return raw / raw.sum(axis=1, keepdims=True)
    return rng.uniform(0.05, 0.95, size=(n_samples, n_outputs))


def central_difference(f, theta: np.ndarray, epsilon: float = 1e-6) -> np.ndarray:
    """(f(θ + εe_k) − f(θ − εe_k)) / 2ε for every k: the oracle for gradients."""
    gradient = np.zeros_like(theta)
    for k in range(theta.size):
        step = np.zeros_like(theta)
        step[k] = epsilon
        gradient[k] = (f(theta + step) - f(theta - step)) / (2 * epsilon)
    return gradient
