"""A dense layer on numpy arrays: the fast path's building block.

It follows the modular contract of the classic layer libraries: ``forward(X)`` keeps what
the backward pass needs and returns Y = f(X·Wᵀ + b); ``backward(dE_dY)`` sets ``dW`` and
``db`` and returns ``dE_dX`` for the layer below.

Shapes for a batch of n samples: X (n, n_in), W (n_out, n_in), b (n_out,), Z and Y
(n, n_out).  Row r of Z holds the net inputs the graph's nodes would hold for sample r,
``delta`` the per-sample δ of every node (not scaled by the batch reduction).

Dropout (training only): ``forward(X, mask=F)`` with F = M/q of shape (n, n_out) gives
Y = f(Z)·F, and ``backward`` then uses δ = f′(Z)·F·∂E/∂Y, as the graph's nodes do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.math.activations import Activation

if TYPE_CHECKING:
    from graphnet.math.optimizers import Optimizer

Array = NDArray[np.floating]


class DenseLayer:
    """Z = X·Wᵀ + b, Y = f(Z): the array form of one graph layer with its incoming connections.

    Attributes
    ----------
    W : array (n_out, n_in)
        W[j, i] is the weight of the graph connection from node i below to node j here.
    b : array (n_out,) or None
    dW, db : arrays of the same shapes
        ∂E/∂W and ∂E/∂b from the last backward pass (reduced over the batch, plus λ·W).
    weight_sum, bias_sum, scale : the batch sums Σ δᵀ·X and Σ δ, and the reduction's factor
        dW = scale·weight_sum + λ·W and db = scale·bias_sum + λ_b·b.  Plain SGD without L2 updates
        from the sums with the step (rate·scale), as the classic loops do, so dW and db are
        only formed when read: two passes over small arrays fewer per batch.
    X, Z, Y, delta : arrays (n, ·)
        Inputs, net inputs, outputs and δ = ∂E/∂Z of the last batch.
    mask : array (n, n_out) or None
        The dropout factors m/q of the last batch (None: no dropout applied).
    weight_state, bias_state : ParameterState of arrays, or None
        The optimizer's state for W and for b (arrays of their shapes); None for plain SGD.
    """

    def __init__(
        self, W: Array, b: Array | None, activation: Activation, *, l2: float = 0.0, l2_bias: float = 0.0
    ) -> None:
        self.W = W
        self.b = b
        self.activation = activation
        self.l2 = l2
        self.l2_bias = l2_bias
        self.weight_sum = np.zeros_like(W)
        self.bias_sum = np.zeros_like(b) if b is not None else None
        self.scale = 1.0
        self._dW: Array | None = self.weight_sum
        self._db: Array | None = self.bias_sum
        empty = np.empty((0, W.shape[0]), dtype=W.dtype)
        self.X = np.empty((0, W.shape[1]), dtype=W.dtype)
        self.Z = empty
        self.Y = empty
        self.delta = empty
        self.mask: Array | None = None
        self.activated = empty  # f(Z) before the dropout factors
        self.weight_state: Any = None
        self.bias_state: Any = None

    def forward(self, X: Array, *, guarded: bool = True, mask: Array | None = None) -> Array:
        """Z = X·Wᵀ + b; Y = f(Z) (with dropout factors F = M/q: Y = f(Z)·F).

        Mirrors the graph's ``forward`` phase for this layer.  ``guarded=False`` is for
        callers that already run under ``np.errstate(over="ignore")``.
        """
        self.X = X
        Z = X @ self.W.T
        if self.b is not None:
            Z += self.b
        self.Z = Z
        activation = self.activation
        Y = activation.value_array(Z) if guarded else activation.value_array_unguarded(Z)
        self.mask = mask
        if mask is not None:
            self.activated = Y
            Y = Y * mask
        self.Y = Y
        return Y

    def derivative(self) -> Array:
        """f′(Z) of the last batch (from the outputs when the activation allows: σ′ = o·(1−o))."""
        outputs = self.activated if self.mask is not None else self.Y
        from_output = self.activation.derivative_from_output_array(outputs)
        return from_output if from_output is not None else self.activation.derivative_array(self.Z)

    def backward(self, dE_dY: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """δ = f′(Z)·∂E/∂Y (dropout: f′(Z)·F·∂E/∂Y), then :meth:`backward_delta`.

        Mirrors ``compute_hidden_delta``.
        """
        if self.mask is not None:
            return self.backward_delta(self.derivative() * self.mask * dE_dY, scale=scale, propagate=propagate)
        return self.backward_delta(self.derivative() * dE_dY, scale=scale, propagate=propagate)

    def backward_delta(self, delta: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """Given δ = ∂E/∂Z: dW = scale·δᵀ·X + λ·W, db = scale·Σ_rows δ + λ_b·b; return ∂E/∂X = δ·W.

        Mirrors the graph's ``gradient`` phase (∂E/∂w_ji = δ_j·o_i summed over the batch)
        and ``downstream_sum`` (Σ_k w_kj·δ_k) of the nodes below.  ``propagate=False`` (the
        first layer) skips ∂E/∂X, which nothing below needs.  Keeps the batch sums δᵀ·X and
        Σ δ; dW and db are formed from them when read (with L2 at once, from this W).
        """
        self.delta = delta
        self.weight_sum = delta.T @ self.X
        self.bias_sum = delta.sum(axis=0) if self.b is not None else None
        self.scale = scale
        self._dW = self._db = None
        if self.l2 != 0.0:
            self._dW = self._scaled(self.weight_sum) + self.l2 * self.W
        if self.l2_bias != 0.0 and self.b is not None and self.bias_sum is not None:
            self._db = self._scaled(self.bias_sum) + self.l2_bias * self.b
        if not propagate:
            return None
        dE_dX: Array = delta @ self.W
        return dE_dX

    @property
    def dW(self) -> Array:
        """∂E/∂W = scale·Σ_batch δᵀ·X + λ·W of the last backward pass."""
        if self._dW is None:
            self._dW = self._scaled(self.weight_sum)
        return self._dW

    @property
    def db(self) -> Array | None:
        """∂E/∂b = scale·Σ_batch δ (+ λ_b·b) of the last backward pass (None without bias)."""
        if self._db is None and self.bias_sum is not None:
            self._db = self._scaled(self.bias_sum)
        return self._db

    def _scaled(self, batch_sum: Array) -> Array:
        return batch_sum * self.scale if self.scale != 1.0 else batch_sum

    def update(self, rate: float, optimizer: Optimizer | None = None) -> None:
        """W ← W − rate·dW, b ← b − rate·db, or the optimizer's array form with this layer's state.

        Mirrors ``Connection.update``.  Plain SGD without L2 steps by (rate·scale) times the
        batch sums, which is the same update.
        """
        if optimizer is None:
            if self._dW is None and (self._db is None or self.l2_bias == 0.0):
                step = rate * self.scale
                self.W -= step * self.weight_sum
                if self.b is not None and self.bias_sum is not None:
                    self.b -= step * self.bias_sum
                return
            self.W -= rate * self.dW
            if self.b is not None and self.db is not None:
                self.b -= rate * self.db
            return
        if self.weight_state is None:
            self.weight_state = optimizer.new_state_array(self.W)
        optimizer.update_array(self.W, self.dW, self.weight_state, rate)
        db = self.db
        if self.b is not None and db is not None:
            if self.bias_state is None:
                self.bias_state = optimizer.new_state_array(self.b)
            optimizer.update_array(self.b, db, self.bias_state, rate)

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", no bias"
        return f"DenseLayer({self.W.shape[1]} → {self.W.shape[0]}, {self.activation.name}{bias}, {self.W.dtype})"
