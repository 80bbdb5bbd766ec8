"""Activation functions, each one class holding its value and its derivative.

Every activation has two forms side by side, so no formula exists twice:

* the **scalar form** ``value(z)`` / ``derivative(z)`` on Python floats, used by the object
  graph one node at a time;
* the **array form** ``value_array(Z)`` / ``derivative_array(Z)`` on numpy arrays, used by
  the vectorized fast path on whole batches.

Convention, stated once: ``derivative`` takes the **net input** z (not the output) and
returns f′(z).  For the sigmoid that is σ(z)·(1 − σ(z)), the textbook o·(1 − o).

========== ============================== ====================================
name       f(z)                           f′(z)
========== ============================== ====================================
sigmoid    σ(z) = 1 / (1 + e^(−z))        σ(z)·(1 − σ(z))
tanh       tanh(z)                        1 − tanh(z)²
relu       max(0, z)                      1 if z > 0 else 0
leaky_relu z if z > 0 else α·z            1 if z > 0 else α
identity   z                              1
step       1 if z ≥ 0 else 0              none: backpropagation refuses
softmax    e^(z_j) / Σ_k e^(z_k)          layer-level (a Jacobian), see below
========== ============================== ====================================

Softmax is a *layer-level* activation: an output depends on every net input of its layer,
so the graph computes all net inputs of the layer first.  It is allowed on the output layer
only; there its delta comes from the loss (see :mod:`graphnet.math.losses`).

Your own activation: subclass :class:`Activation`, set ``name``, and implement ``value``
and ``derivative`` (the array forms default to applying them element by element; override
them with numpy code for speed).  If f has kinks (points without a derivative, like ReLU's
0), you may list them in a ``kinks`` attribute; the gradient checker finds kinks without it
(see :mod:`graphnet.tools.kinks`), the declaration only makes it step back from them sooner.

Examples
--------
>>> sig = get_activation("sigmoid")
>>> sig.value(0.0), sig.derivative(0.0)
(0.5, 0.25)
>>> float(sig.value_array(np.array([1000.0]))[0])
1.0
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from graphnet.math.errors import IncompatibleError, NotDifferentiableError, unknown_name

Array = NDArray[np.floating]


class Activation:
    """Base class: an activation f with its derivative f′, in scalar and array form.

    Subclasses implement :meth:`value` and :meth:`derivative` (scalar, on floats); the array
    forms apply them element by element unless overridden.

    Attributes
    ----------
    name : str
        The name used in ``Network(activation=name)`` and in saved files.
    formula : str
        f(z) in symbols, for the stepper and the docs.
    derivative_formula : str
        f′(z) in symbols.
    differentiable : bool
        False for the step function: a network refuses to backpropagate through it.
    layerwise : bool
        True for softmax: an output depends on all net inputs of the layer.
    kinks : tuple of float, optional
        Not set on the base class.  A custom activation may declare the net inputs where
        it has no derivative, e.g. ``kinks = (0.0,)`` for a ReLU; built-in ReLU and leaky
        ReLU are known to have theirs at 0.  :func:`~graphnet.tools.gradcheck.gradient_check`
        needs no declaration (it compares one-sided difference quotients, see
        :mod:`graphnet.tools.kinks`); a declared kink the stencil reaches over makes it retry
        with smaller steps at once.  ``derivative`` at a kink may return either one-sided
        value (or one between): the checker accepts any.
    """

    name: ClassVar[str] = "activation"
    symbol: ClassVar[str] = "f"
    formula: ClassVar[str] = "f(net)"
    derivative_formula: ClassVar[str] = "f′(net)"
    differentiable: ClassVar[bool] = True
    layerwise: ClassVar[bool] = False

    def value(self, z: float) -> float:
        """f(z) for one net input."""
        raise NotImplementedError

    def derivative(self, z: float) -> float:
        """f′(z) for one net input."""
        raise NotImplementedError

    def value_array(self, z: Array) -> Array:
        """f(Z) element by element; override with numpy code for speed."""
        flat = [self.value(float(v)) for v in np.ravel(z)]
        return np.asarray(flat, dtype=z.dtype).reshape(z.shape)

    def value_array_unguarded(self, z: Array) -> Array:
        """f(Z) for callers that already silence floating-point warnings (the training loop).

        Defaults to :meth:`value_array`; the sigmoid skips its own ``np.errstate`` here.
        """
        return self.value_array(z)

    def derivative_from_output_array(self, output: Array) -> Array | None:
        """f′ written in terms of the output o = f(z), when that is cheaper (else None).

        The fast path's backward pass uses it to avoid recomputing f(z): σ′ = o·(1−o).
        """
        return None

    def derivative_array(self, z: Array) -> Array:
        """f′(Z) element by element; override with numpy code for speed."""
        flat = [self.derivative(float(v)) for v in np.ravel(z)]
        return np.asarray(flat, dtype=z.dtype).reshape(z.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))

    def config(self) -> dict[str, float]:
        """Parameters that define this activation besides its name (for saving)."""
        return {}


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^(−z)); σ′(z) = σ(z)·(1 − σ(z)).

    Both forms avoid overflow: for z < 0 they use e^z / (1 + e^z), so |z| = 1000 gives
    exactly 0 or 1 with no warning.
    """

    name = "sigmoid"
    symbol = "σ"
    formula = "σ(net) = 1/(1+e^(−net))"
    derivative_formula = "o·(1−o)"

    def value(self, z: float) -> float:
        """σ(z) = 1 / (1 + e^(−z))."""
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        exp_z = math.exp(z)
        return exp_z / (1.0 + exp_z)

    def derivative(self, z: float) -> float:
        """σ′(z) = σ(z)·(1 − σ(z))."""
        output = self.value(z)
        return output * (1.0 - output)

    def value_array(self, z: Array) -> Array:
        """σ(Z) = 1 / (1 + e^(−Z)); e^(−Z) overflows to inf for Z < −709, giving the exact limit 0."""
        with np.errstate(over="ignore"):
            return self.value_array_unguarded(z)

    def value_array_unguarded(self, z: Array) -> Array:
        """σ(Z) without its own ``np.errstate`` (the caller silences the harmless overflow)."""
        result: Array = 1.0 / (1.0 + np.exp(-z))
        return result

    def derivative_from_output_array(self, output: Array) -> Array | None:
        """σ′ = o·(1 − o)."""
        result: Array = output * (1.0 - output)
        return result

    def derivative_array(self, z: Array) -> Array:
        """σ′(Z) = σ(Z)·(1 − σ(Z))."""
        output = self.value_array(z)
        return output * (1.0 - output)


class Tanh(Activation):
    """tanh(z); tanh′(z) = 1 − tanh(z)²."""

    name = "tanh"
    symbol = "tanh"
    formula = "tanh(net)"
    derivative_formula = "1−o²"

    def value(self, z: float) -> float:
        """tanh(z)."""
        return math.tanh(z)

    def derivative(self, z: float) -> float:
        """1 − tanh(z)²."""
        output = math.tanh(z)
        return 1.0 - output * output

    def value_array(self, z: Array) -> Array:
        """tanh(Z)."""
        return np.tanh(z)

    def derivative_from_output_array(self, output: Array) -> Array | None:
        """tanh′ = 1 − o²."""
        result: Array = 1.0 - output * output
        return result

    def derivative_array(self, z: Array) -> Array:
        """1 − tanh(Z)²."""
        output = np.tanh(z)
        return 1.0 - output * output


class ReLU(Activation):
    """max(0, z); derivative 1 for z > 0 and 0 otherwise (0 at the kink z = 0)."""

    name = "relu"
    symbol = "relu"
    formula = "max(0, net)"
    derivative_formula = "1 if net>0 else 0"

    def value(self, z: float) -> float:
        """max(0, z)."""
        return z if z > 0.0 else 0.0

    def derivative(self, z: float) -> float:
        """1 if z > 0 else 0."""
        return 1.0 if z > 0.0 else 0.0

    def value_array(self, z: Array) -> Array:
        """max(0, Z) element by element."""
        return np.where(z > 0, z, 0.0).astype(z.dtype, copy=False)

    def derivative_array(self, z: Array) -> Array:
        """1 where Z > 0, else 0."""
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    """z for z > 0, α·z otherwise; derivative 1 or α (α at the kink z = 0)."""

    name = "leaky_relu"
    symbol = "leaky"
    formula = "net if net>0 else α·net"
    derivative_formula = "1 if net>0 else α"

    def __init__(self, alpha: float = 0.01) -> None:
        if not (math.isfinite(alpha) and 0.0 <= alpha < 1.0):
            raise IncompatibleError(f"leaky_relu alpha must be in [0, 1); got {alpha!r}")
        self.alpha = float(alpha)

    def value(self, z: float) -> float:
        """Z if z > 0 else α·z."""
        return z if z > 0.0 else self.alpha * z

    def derivative(self, z: float) -> float:
        """1 if z > 0 else α."""
        return 1.0 if z > 0.0 else self.alpha

    def value_array(self, z: Array) -> Array:
        """Z where Z > 0, else α·Z."""
        return np.where(z > 0, z, self.alpha * z).astype(z.dtype, copy=False)

    def derivative_array(self, z: Array) -> Array:
        """1 where Z > 0, else α."""
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype, copy=False)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"

    def config(self) -> dict[str, float]:
        """The slope α for negative net inputs."""
        return {"alpha": self.alpha}


class Identity(Activation):
    """f(z) = z; f′(z) = 1 (linear units, regression outputs)."""

    name = "identity"
    symbol = "id"
    formula = "net"
    derivative_formula = "1"

    def value(self, z: float) -> float:
        """Z."""
        return z

    def derivative(self, z: float) -> float:
        """1."""
        return 1.0

    def value_array(self, z: Array) -> Array:
        """Z (a copy)."""
        copy: Array = z.copy()
        return copy

    def derivative_array(self, z: Array) -> Array:
        """Ones of Z's shape."""
        return np.ones_like(z)


class Step(Activation):
    """The perceptron's threshold: 1 if z ≥ 0 else 0.  Forward only.

    Its derivative is 0 almost everywhere and undefined at 0, so gradient descent cannot
    learn through it; a network refuses to backpropagate through a step layer.
    """

    name = "step"
    symbol = "step"
    formula = "1 if net≥0 else 0"
    derivative_formula = "undefined"
    differentiable = False

    def value(self, z: float) -> float:
        """1 if z ≥ 0 else 0."""
        return 1.0 if z >= 0.0 else 0.0

    def derivative(self, z: float) -> float:
        """Refuse: the step function has no useful derivative."""
        raise NotDifferentiableError("the step activation has no derivative; use sigmoid or tanh to train by backprop")

    def value_array(self, z: Array) -> Array:
        """1 where Z ≥ 0, else 0."""
        return (z >= 0).astype(z.dtype)

    def derivative_array(self, z: Array) -> Array:
        """Refuse: the step function has no useful derivative."""
        return np.asarray(self.derivative(0.0))


class Softmax(Activation):
    """o_j = e^(z_j − m) / Σ_k e^(z_k − m) with m = max_k z_k (the shift avoids overflow).

    Layer-level: use :meth:`layer_values` / :meth:`value_array` on a whole layer.  Its
    Jacobian is ∂o_j/∂z_i = o_j·([i = j] − o_i); a layer's delta is therefore
    δ_j = o_j·(g_j − Σ_k o_k·g_k) with g = ∂E/∂o (see :mod:`graphnet.math.losses`).
    """

    name = "softmax"
    symbol = "softmax"
    formula = "e^(net_j)/Σ_k e^(net_k)"
    derivative_formula = "o_j·(g_j − Σ_k o_k·g_k)"
    layerwise = True

    def value(self, z: float) -> float:
        """Refuse: softmax needs the whole layer's net inputs."""
        raise IncompatibleError("softmax is computed for a whole layer; use layer_values")

    def derivative(self, z: float) -> float:
        """Refuse: softmax has a Jacobian, not an element-wise derivative."""
        raise IncompatibleError("softmax has a Jacobian, not an element-wise derivative")

    @staticmethod
    def layer_values(net_inputs: list[float]) -> list[float]:
        """Softmax of one layer's net inputs (Python floats), shifted by their maximum."""
        shift = max(net_inputs)
        # e^(z − m), with e^0 = 1 at the maximum itself, so that m = ±inf gives no inf − inf
        exps = [1.0 if z == shift else math.exp(z - shift) for z in net_inputs]
        total = sum(exps)
        return [e / total for e in exps]

    def value_array(self, z: Array) -> Array:
        """Row-wise softmax of Z (n_samples, n_units), shifted by each row's maximum."""
        shift = z.max(axis=-1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):  # z − m may round to −inf: e^(−inf) = 0
            shifted = z - shift
            if not np.isfinite(shift).all():  # m = ±inf: e^0 = 1 at the maximum, not e^(inf − inf)
                shifted[z == shift] = 0.0
            exps = np.exp(shifted)
        result: Array = exps / exps.sum(axis=-1, keepdims=True)
        return result

    def derivative_array(self, z: Array) -> Array:
        """Refuse: softmax has a Jacobian, not an element-wise derivative."""
        raise IncompatibleError("softmax has a Jacobian, not an element-wise derivative")


BUILTIN_ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Step, Softmax)
}


def get_activation(spec: str | Activation) -> Activation:
    """Return the activation for a name or an :class:`Activation` instance.

    Raises
    ------
    UnknownNameError
        If ``spec`` is a string that names no built-in activation.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, type) and issubclass(spec, Activation):
        return spec()
    if not isinstance(spec, str) or spec not in BUILTIN_ACTIVATIONS:
        raise unknown_name("activation", spec, BUILTIN_ACTIVATIONS)
    return BUILTIN_ACTIVATIONS[spec]()
