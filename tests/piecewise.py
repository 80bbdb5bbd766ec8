"""User-defined piecewise activations and losses (as a learner writes them), for the kink tests.

Each comes with and without a ``kinks`` declaration, and with a ``factor`` that plants a
derivative error (factor 1: correct).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphnet.math.activations import Activation
from graphnet.math.losses import Loss


class UserReLU(Activation):
    """max(0, z); f′ = 1 for z > 0 else 0 (times ``factor``)."""

    name = "user_relu"

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def value(self, z: float) -> float:
        return max(0.0, z)

    def derivative(self, z: float) -> float:
        return self.factor if z > 0 else 0.0

    def value_array(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)

    def derivative_array(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, self.factor, 0.0)


class UserLeakyReLU(Activation):
    """z for z > 0 else 0.1·z; f′ = 1 or 0.1 (times ``factor``)."""

    name = "user_leaky_relu"

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def value(self, z: float) -> float:
        return z if z > 0 else 0.1 * z

    def derivative(self, z: float) -> float:
        return (1.0 if z > 0 else 0.1) * self.factor

    def value_array(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, z, 0.1 * z)

    def derivative_array(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, 1.0, 0.1) * self.factor


class DeclaredReLU(UserReLU):
    kinks = (0.0,)


class DeclaredLeakyReLU(UserLeakyReLU):
    kinks = (0.0,)


class Hinge(Loss):
    """E = Σ_k max(0, 1 − y_k·t_k), t = ±1; ∂E/∂y_k = −t_k where 1 − y_k·t_k > 0, else 0."""

    name = "hinge"

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        return sum(max(0.0, 1.0 - y * t) for y, t in zip(outputs, targets, strict=True))

    def value_array(self, outputs: np.ndarray, targets: np.ndarray, net_inputs: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, 1.0 - outputs * targets).sum(axis=1)

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        return -target * self.factor if 1.0 - output * target > 0 else 0.0

    def output_gradient_array(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.where(1.0 - outputs * targets > 0, -targets * self.factor, 0.0)


class AbsoluteError(Loss):
    """E = Σ_k |y_k − t_k|; ∂E/∂y_k = sign(y_k − t_k) (0 at y = t)."""

    name = "absolute_error"

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        return sum(abs(y - t) for y, t in zip(outputs, targets, strict=True))

    def value_array(self, outputs: np.ndarray, targets: np.ndarray, net_inputs: np.ndarray) -> np.ndarray:
        return np.abs(outputs - targets).sum(axis=1)

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        return float(np.sign(output - target)) * self.factor

    def output_gradient_array(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.sign(outputs - targets) * self.factor


class DeclaredHinge(Hinge):
    kinks = (1.0,)  # where y·t = 1


class DeclaredAbsoluteError(AbsoluteError):
    kinks = (0.0,)  # where y − t = 0


ACTIVATIONS = {
    "relu": UserReLU,
    "relu+kinks": DeclaredReLU,
    "leaky": UserLeakyReLU,
    "leaky+kinks": DeclaredLeakyReLU,
}
LOSSES = {
    "hinge": Hinge,
    "hinge+kinks": DeclaredHinge,
    "absolute": AbsoluteError,
    "absolute+kinks": DeclaredAbsoluteError,
}
