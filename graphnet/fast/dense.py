"""A dense layer on numpy arrays: the fast path's building block.

It follows the modular contract of the classic layer libraries: ``forward(X)`` keeps what
the backward pass needs and returns Y = f(X·Wᵀ + b); ``backward(dE_dY)`` sets ``dW`` and
``db`` and returns ``dE_dX`` for the layer below.

Shapes for a batch of n samples: X (n, n_in), W (n_out, n_in), b (n_out,), Z and Y
(n, n_out).  Row r of Z holds the net inputs the graph's nodes would hold for sample r,
``delta`` the per-sample δ of every node (not scaled by the batch reduction).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from graphnet.activations import Activation

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
    X, Z, Y, delta : arrays (n, ·)
        Inputs, net inputs, outputs and δ = ∂E/∂Z of the last batch.
    """

    def __init__(self, W: Array, b: Array | None, activation: Activation, *, l2: float = 0.0) -> None:
        self.W = W
        self.b = b
        self.activation = activation
        self.l2 = l2
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b) if b is not None else None
        empty = np.empty((0, W.shape[0]), dtype=W.dtype)
        self.X = np.empty((0, W.shape[1]), dtype=W.dtype)
        self.Z = empty
        self.Y = empty
        self.delta = empty

    def forward(self, X: Array, *, guarded: bool = True) -> Array:
        """Z = X·Wᵀ + b; Y = f(Z).  Mirrors the graph's ``forward`` phase for this layer.

        ``guarded=False`` is for callers that already run under ``np.errstate(over="ignore")``.
        """
        self.X = X
        Z = X @ self.W.T
        if self.b is not None:
            Z += self.b
        self.Z = Z
        activation = self.activation
        self.Y = activation.value_array(Z) if guarded else activation.value_array_unguarded(Z)
        return self.Y

    def derivative(self) -> Array:
        """f′(Z) of the last batch (from the outputs when the activation allows: σ′ = o·(1−o))."""
        from_output = self.activation.derivative_from_output_array(self.Y)
        return from_output if from_output is not None else self.activation.derivative_array(self.Z)

    def backward(self, dE_dY: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """δ = f′(Z)·∂E/∂Y, then :meth:`backward_delta`.  Mirrors ``compute_hidden_delta``."""
        return self.backward_delta(self.derivative() * dE_dY, scale=scale, propagate=propagate)

    def backward_delta(self, delta: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """Given δ = ∂E/∂Z: dW = scale·δᵀ·X + λ·W, db = scale·Σ_rows δ; return ∂E/∂X = δ·W.

        Mirrors the graph's ``gradient`` phase (∂E/∂w_ji = δ_j·o_i summed over the batch)
        and ``downstream_sum`` (Σ_k w_kj·δ_k) of the nodes below.  ``propagate=False`` (the
        first layer) skips ∂E/∂X, which nothing below needs.
        """
        self.delta = delta
        dW = delta.T @ self.X
        if scale != 1.0:
            dW *= scale
        if self.l2 != 0.0:
            dW += self.l2 * self.W
        self.dW = dW
        if self.b is not None:
            self.db = delta.sum(axis=0) * scale if scale != 1.0 else delta.sum(axis=0)
        if not propagate:
            return None
        dE_dX: Array = delta @ self.W
        return dE_dX

    def update(self, rate: float) -> None:
        """W ← W − rate·dW, b ← b − rate·db.  Mirrors ``Connection.update``."""
        self.W -= rate * self.dW
        if self.b is not None and self.db is not None:
            self.b -= rate * self.db

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", no bias"
        return f"DenseLayer({self.W.shape[1]} → {self.W.shape[0]}, {self.activation.name}{bias}, {self.W.dtype})"
