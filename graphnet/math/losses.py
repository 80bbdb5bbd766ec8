"""Loss functions E(y, t) for one sample, in scalar form and array form side by side.

Sign convention (the whole library uses it): the error term of a unit is
``δ_j = ∂E/∂net_j`` and a connection's gradient is ``∂E/∂w_ji = δ_j·o_i``; training
updates ``w ← w − rate·∂E/∂w``.  Texts that write δ with (t − y) use the opposite sign
and add: ``w ← w + rate·δ·o``; the updates are the same.

========================= ================================== ===========================
name                      E for one sample (K outputs)       ∂E/∂y_k
========================= ================================== ===========================
squared_error             ½·Σ_k (t_k − y_k)²                 y_k − t_k
mean_squared_error        (1/K)·Σ_k (t_k − y_k)²             2·(y_k − t_k)/K
binary_cross_entropy      −Σ_k t_k·ln y_k + (1−t_k)·ln(1−y_k) (sigmoid outputs only)
categorical_cross_entropy −Σ_k t_k·ln y_k                    (softmax outputs only)
========================= ================================== ===========================

The two cross-entropies are only meaningful with their *canonical* output activation
(sigmoid and softmax); there the output delta simplifies to ``δ_k = y_k − t_k`` and the
loss is computed from the net inputs z, which stays finite when y rounds to 0 or 1:

* binary:      E = Σ_k max(z_k, 0) − t_k·z_k + ln(1 + e^(−|z_k|))
* categorical: E = Σ_k t_k·(logsumexp(z) − z_k)        (targets sum to 1)

Other pairings are refused by :meth:`Loss.check_output_activation`.  L2 regularisation
(λ/2)·Σ w² is added by the network, not here (:mod:`graphnet.math.regularization`).

Your own loss
-------------
Subclass :class:`Loss`, set ``name`` and write four methods: the value of one sample
``value(outputs, targets, net_inputs)`` (Python floats) and of a batch ``value_array`` (one
value per row), and ∂E/∂y: ``output_gradient(output, target, n_outputs)`` for one output
unit and ``output_gradient_array(outputs, targets)`` element by element.  The network then
computes the output δ_k = f′(net_k)·∂E/∂y_k (softmax: its Jacobian times ∂E/∂y).  Set
``canonical_activation`` only for a loss whose δ with that output activation is y − t (the
cross-entropies); leave it None otherwise.  ``check_targets`` may refuse targets outside the
loss's domain.  A loss with kinks (the hinge max(0, 1 − y·t) at y·t = 1, |y − t| at y = t)
needs nothing more: the gradient checker finds them numerically; a ``kinks`` attribute
documents where they are, in the loss's own input (e.g. ``kinks = (1.0,)`` for y·t = 1), and
is not read by graphnet.  The README has the hinge loss of micrograd's demo as an example:

>>> class AbsoluteError(Loss):
...     name = "absolute_error"
...     def value(self, outputs, targets, net_inputs):
...         return sum(abs(y - t) for y, t in zip(outputs, targets))
...     def value_array(self, outputs, targets, net_inputs):
...         return np.abs(outputs - targets).sum(axis=1)
...     def output_gradient(self, output, target, n_outputs):
...         return float(np.sign(output - target))
...     def output_gradient_array(self, outputs, targets):
...         return np.sign(outputs - targets)
>>> AbsoluteError().value([0.5, 2.0], [1.0, 1.0], [0.5, 2.0])
1.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from graphnet.math.activations import Activation
from graphnet.math.errors import IncompatibleError, unknown_name

Array = NDArray[np.floating]

#: How far a categorical target row may sum away from 1 (rounding in user data).
TARGET_SUM_TOLERANCE = 1e-6


class Loss:
    """Base class: a per-sample loss E(y, t), its gradient ∂E/∂y, scalar and array form.

    Attributes
    ----------
    name : str
        The name used in ``Network(loss=name)``.
    formula : str
        E in symbols.
    canonical_activation : str or None
        The output activation this loss pairs with; with it the output delta is y − t.
    kinks : tuple of float, optional
        Not set on the base class; a custom loss may document where it has no derivative,
        in its own input (the hinge: y·t = 1).  The gradient checker finds kinks without it
        (:mod:`graphnet.tools.kinks`) and accepts, at a kink, any ∂E/∂y between the two
        one-sided values.
    """

    name: ClassVar[str] = "loss"
    formula: ClassVar[str] = "E(y, t)"
    gradient_formula: ClassVar[str] = "∂E/∂y"
    canonical_activation: ClassVar[str | None] = None

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        """E for one sample from its output-layer values (Python floats)."""
        raise NotImplementedError

    def value_array(self, outputs: Array, targets: Array, net_inputs: Array) -> Array:
        """E for each row of a batch: shape (n_samples,)."""
        raise NotImplementedError

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        """∂E/∂y_k for one output unit."""
        raise NotImplementedError

    def output_gradient_array(self, outputs: Array, targets: Array) -> Array:
        """∂E/∂Y element by element, shape of ``outputs``."""
        raise NotImplementedError

    def check_output_activation(self, activation: Activation, n_outputs: int) -> None:
        """Refuse output activations with which this loss is wrong or meaningless.

        Raises
        ------
        IncompatibleError
            For a cross-entropy without its canonical activation, softmax on one unit, or a
            step output (a network with it can predict but not train).
        """
        if activation.layerwise and n_outputs < 2:
            raise IncompatibleError(
                f"softmax over {n_outputs} output unit always gives 1; use at least 2 outputs or a sigmoid output"
            )
        if self.canonical_activation is not None and activation.name != self.canonical_activation:
            raise IncompatibleError(
                f"loss {self.name!r} needs a {self.canonical_activation!r} output layer; got {activation.name!r}"
            )

    def check_targets(self, targets: Array) -> None:
        """Refuse targets outside this loss's domain (no-op for squared errors)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """E = ½·Σ_k (t_k − y_k)²; ∂E/∂y_k = y_k − t_k (the ½ cancels the 2)."""

    name = "squared_error"
    formula = "E = ½·Σ(t−y)²"
    gradient_formula = "y − t"

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        """½·Σ_k (t_k − y_k)²."""
        return 0.5 * sum((t - y) * (t - y) for y, t in zip(outputs, targets, strict=True))

    def value_array(self, outputs: Array, targets: Array, net_inputs: Array) -> Array:
        """½·Σ_k (T − Y)² per row."""
        result: Array = 0.5 * ((targets - outputs) ** 2).sum(axis=1)
        return result

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        """y_k − t_k."""
        return output - target

    def output_gradient_array(self, outputs: Array, targets: Array) -> Array:
        """Y − T."""
        return outputs - targets


class MeanSquaredError(Loss):
    """E = (1/K)·Σ_k (t_k − y_k)²; ∂E/∂y_k = 2·(y_k − t_k)/K (mean over the K outputs)."""

    name = "mean_squared_error"
    formula = "E = (1/K)·Σ(t−y)²"
    gradient_formula = "2·(y − t)/K"

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        """(1/K)·Σ_k (t_k − y_k)²."""
        total = sum((t - y) * (t - y) for y, t in zip(outputs, targets, strict=True))
        return total / len(outputs)

    def value_array(self, outputs: Array, targets: Array, net_inputs: Array) -> Array:
        """(1/K)·Σ_k (T − Y)² per row."""
        result: Array = ((targets - outputs) ** 2).sum(axis=1) / outputs.shape[1]
        return result

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        """2·(y_k − t_k)/K."""
        return 2.0 * (output - target) / n_outputs

    def output_gradient_array(self, outputs: Array, targets: Array) -> Array:
        """2·(Y − T)/K."""
        result: Array = 2.0 * (outputs - targets) / outputs.shape[1]
        return result


class _CrossEntropy(Loss):
    """Shared pieces of the two cross-entropies: gradients come through y − t only."""

    def output_gradient(self, output: float, target: float, n_outputs: int) -> float:
        """Not used: with the canonical activation the delta is y − t directly."""
        raise IncompatibleError(f"{self.name} is only defined with a {self.canonical_activation} output")

    def output_gradient_array(self, outputs: Array, targets: Array) -> Array:
        """Not used: with the canonical activation the delta is Y − T directly."""
        raise IncompatibleError(f"{self.name} is only defined with a {self.canonical_activation} output")


class BinaryCrossEntropy(_CrossEntropy):
    """E = −Σ_k [t_k·ln y_k + (1 − t_k)·ln(1 − y_k)] with y = σ(z); δ_k = y_k − t_k.

    Computed from the net input as Σ_k max(z,0) − t·z + ln(1 + e^(−|z|)), finite for any z.
    Targets must lie in [0, 1].
    """

    name = "binary_cross_entropy"
    formula = "E = −Σ[t·ln y + (1−t)·ln(1−y)]"
    gradient_formula = "δ = y − t"
    canonical_activation = "sigmoid"

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        """Σ_k max(z_k,0) − t_k·z_k + ln(1 + e^(−|z_k|))."""
        return sum(
            max(z, 0.0) - t * z + math.log1p(math.exp(-abs(z))) for z, t in zip(net_inputs, targets, strict=True)
        )

    def value_array(self, outputs: Array, targets: Array, net_inputs: Array) -> Array:
        """Per-row binary cross-entropy from the net inputs Z."""
        z = net_inputs
        with np.errstate(over="ignore"):  # only a sum beyond ±1.8e308 overflows, to inf
            result: Array = (np.maximum(z, 0.0) - targets * z + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
        return result

    def check_targets(self, targets: Array) -> None:
        """Targets must lie in [0, 1]."""
        if targets.size and (targets.min() < 0.0 or targets.max() > 1.0):
            raise IncompatibleError(
                f"binary_cross_entropy needs targets in [0, 1]; got values from {targets.min():g} to {targets.max():g}"
            )


class CategoricalCrossEntropy(_CrossEntropy):
    """E = −Σ_k t_k·ln y_k with y = softmax(z); δ_k = y_k − t_k (targets sum to 1).

    Computed from the net inputs as Σ_k t_k·(logsumexp(z) − z_k), finite for any z.
    """

    name = "categorical_cross_entropy"
    formula = "E = −Σ t·ln y"
    gradient_formula = "δ = y − t"
    canonical_activation = "softmax"

    def value(self, outputs: Sequence[float], targets: Sequence[float], net_inputs: Sequence[float]) -> float:
        """Σ_k t_k·(logsumexp(z) − z_k)."""
        shift = max(net_inputs)
        log_sum_exp = shift + math.log(sum(math.exp(z - shift) for z in net_inputs))
        # terms with t_k = 0 are skipped: they are 0, even where logsumexp(z) − z_k overflows
        return sum(t * (log_sum_exp - z) for z, t in zip(net_inputs, targets, strict=True) if t != 0.0)

    def value_array(self, outputs: Array, targets: Array, net_inputs: Array) -> Array:
        """Per-row categorical cross-entropy from the net inputs Z."""
        shift = net_inputs.max(axis=1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):  # z − m may round to −inf, and e^(−inf) = 0
            log_sum_exp = shift + np.log(np.exp(net_inputs - shift).sum(axis=1, keepdims=True))
            terms = targets * (log_sum_exp - net_inputs)
            terms[targets == 0.0] = 0.0  # 0·(logsumexp(z) − z_k) is 0 even where the difference overflows
            result: Array = terms.sum(axis=1)
        return result

    def check_targets(self, targets: Array) -> None:
        """Targets must lie in [0, 1] and each row must sum to 1 (one-hot or probabilities)."""
        if not targets.size:
            return
        if targets.min() < 0.0 or targets.max() > 1.0:
            raise IncompatibleError(
                f"categorical_cross_entropy needs targets in [0, 1]; got values from "
                f"{targets.min():g} to {targets.max():g}"
            )
        row_sums = targets.sum(axis=1)
        worst = int(np.argmax(np.abs(row_sums - 1.0)))
        if abs(row_sums[worst] - 1.0) > TARGET_SUM_TOLERANCE:
            raise IncompatibleError(
                "categorical_cross_entropy needs each target row to sum to 1 (one-hot); "
                f"row {worst} sums to {row_sums[worst]:g}"
            )


BUILTIN_LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (SquaredError, MeanSquaredError, BinaryCrossEntropy, CategoricalCrossEntropy)
}
LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "cross_entropy": "categorical_cross_entropy",
    "bce": "binary_cross_entropy",
    "sse": "squared_error",
}


def get_loss(spec: str | Loss) -> Loss:
    """Return the loss for a name (or alias such as ``"mse"``) or a :class:`Loss` instance.

    Raises
    ------
    UnknownNameError
        If ``spec`` names no built-in loss.
    """
    if isinstance(spec, Loss):
        return spec
    name = LOSS_ALIASES.get(spec, spec) if isinstance(spec, str) else spec
    if not isinstance(name, str) or name not in BUILTIN_LOSSES:
        raise unknown_name("loss", spec, [*BUILTIN_LOSSES, *LOSS_ALIASES])
    return BUILTIN_LOSSES[name]()
