"""Convolution and pooling on numpy arrays: the fast path's mirror of :mod:`graphnet.graph.conv`.

Same contract as :class:`~graphnet.fast.dense.DenseLayer`: ``forward(X)`` keeps what the
backward pass needs; ``backward(dE_dY)`` sets the gradients and returns ∂E/∂X.  Shapes for
a batch of n samples: X (n, C, H, W), a conv layer's K (maps, C, k, k) and b (maps,),
Z and Y (n, maps, OH, OW).  The windows are a strided view of the zero-padded input
(``sliding_window_view``, no copy), so

* Z[n, m, y, x] = Σ_{c,u,v} K[m, c, u, v]·Xp[n, c, s·y + u, s·x + v] + b[m]   (Xp: X padded by p)
* dK = scale·Σ_{n,y,x} δ[n, m, y, x]·Xp[n, c, s·y + u, s·x + v] + λ·K,   db = scale·Σ_{n,y,x} δ
* ∂E/∂Xp[n, c, s·y + u, s·x + v] += Σ_m K[m, c, u, v]·δ[n, m, y, x], one (u, v) at a time, then cropped.

Pooling: Y = max (or mean) of each window; max pooling sends δ back to the first maximum
in window order (row u, then column v), as the graph's max-pool nodes choose it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from graphnet.fast.dense import Array
from graphnet.math.activations import Activation

if TYPE_CHECKING:
    from graphnet.math.optimizers import Optimizer


def windows(X: Array, size: int, stride: int) -> Array:
    """The (n, C, OH, OW, k, k) view of every size×size window of X (n, C, H, W) at this stride."""
    view: Array = sliding_window_view(X, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return view


class ConvLayer:
    """Z = K ⋆ X + b, Y = f(Z) on a batch: the array form of a graph conv layer.

    Attributes
    ----------
    W, b : arrays (maps, C, k, k) and (maps,)
        The kernels K and the biases (named W like a dense layer's, for the shared code).
    dW, db : the gradients of the last backward pass (scaled, plus λ·K)
    X, Z, Y, delta : the last batch's inputs, net inputs, outputs and δ = ∂E/∂Z
    weight_state, bias_state : the optimizer's state for K and b (or None)
    """

    def __init__(self, W: Array, b: Array, activation: Activation, *, stride: int, padding: int, l2: float = 0.0):
        self.W = W
        self.b = b
        self.activation = activation
        self.stride = stride
        self.padding = padding
        self.l2 = l2
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b)
        self.X: Array = np.empty((0,), dtype=W.dtype)
        self.Z: Array = self.X
        self.Y: Array = self.X
        self.delta: Array = self.X
        self._windows: Array = self.X
        self.weight_state: Any = None
        self.bias_state: Any = None

    def forward(self, X: Array) -> Array:
        """Z[n, m, y, x] = Σ_{c,u,v} K[m, c, u, v]·Xp[n, c, s·y + u, s·x + v] + b[m]; Y = f(Z)."""
        self.X = X
        p = self.padding
        padded = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p))) if p else X
        self._windows = windows(padded, self.W.shape[2], self.stride)
        Z = np.tensordot(self._windows, self.W, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
        Z = np.ascontiguousarray(Z) + self.b[None, :, None, None]
        self.Z = Z
        self.Y = self.activation.value_array(Z)
        return self.Y

    def derivative(self) -> Array:
        """f′(Z) of the last batch."""
        from_output = self.activation.derivative_from_output_array(self.Y)
        return from_output if from_output is not None else self.activation.derivative_array(self.Z)

    def backward(self, dE_dY: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """δ = f′(Z)·∂E/∂Y, then :meth:`backward_delta`."""
        return self.backward_delta(self.derivative() * dE_dY, scale=scale, propagate=propagate)

    def backward_delta(self, delta: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """Given δ = ∂E/∂Z: dK = scale·Σ δ·windows + λ·K, db = scale·Σ δ; return ∂E/∂X."""
        self.delta = delta
        self.dW = np.tensordot(delta, self._windows, axes=([0, 2, 3], [0, 2, 3])) * scale
        if self.l2 != 0.0:
            self.dW = self.dW + self.l2 * self.W
        self.db = delta.sum(axis=(0, 2, 3)) * scale
        if not propagate:
            return None
        n, channels, height, width = self.X.shape
        p, s, k = self.padding, self.stride, self.W.shape[2]
        out_h, out_w = delta.shape[2], delta.shape[3]
        dX = np.zeros((n, channels, height + 2 * p, width + 2 * p), dtype=delta.dtype)
        for u in range(k):
            for v in range(k):
                # Σ_m K[m, c, u, v]·δ[n, m, y, x] lands on Xp[n, c, s·y + u, s·x + v]
                part = np.tensordot(delta, self.W[:, :, u, v], axes=([1], [0])).transpose(0, 3, 1, 2)
                dX[:, :, u : u + s * (out_h - 1) + 1 : s, v : v + s * (out_w - 1) + 1 : s] += part
        return dX[:, :, p : p + height, p : p + width] if p else dX

    def update(self, rate: float, optimizer: Optimizer | None = None) -> None:
        """K ← K − rate·dK, b ← b − rate·db, or the optimizer's array form (one state per K, per b)."""
        if optimizer is None:
            self.W -= rate * self.dW
            self.b -= rate * self.db
            return
        if self.weight_state is None:
            self.weight_state = optimizer.new_state_array(self.W)
        if self.bias_state is None:
            self.bias_state = optimizer.new_state_array(self.b)
        optimizer.update_array(self.W, self.dW, self.weight_state, rate)
        optimizer.update_array(self.b, self.db, self.bias_state, rate)

    def __repr__(self) -> str:
        maps, channels, k, _ = self.W.shape
        return (
            f"ConvLayer({channels} → {maps} maps {k}x{k}, stride {self.stride}, padding {self.padding}, {self.W.dtype})"
        )


class PoolLayer:
    """Max or average pooling on a batch: Y (n, C, PH, PW) from X (n, C, H, W); no parameters."""

    def __init__(self, kind: str, size: int, stride: int) -> None:
        self.kind = kind
        self.size = size
        self.stride = stride
        self.X: Array = np.empty((0,))
        self.Y: Array = self.X
        self.delta: Array = self.X
        self._winner: Any = None

    def forward(self, X: Array) -> Array:
        """Y = max of each window (first maximum in window order) or its mean (1/k²)·Σ."""
        self.X = X
        view = windows(X, self.size, self.stride)
        flat = view.reshape(*view.shape[:4], self.size * self.size)
        if self.kind == "max_pool":
            self._winner = flat.argmax(axis=4)
            self.Y = np.take_along_axis(flat, self._winner[..., None], axis=4)[..., 0]
        else:
            self.Y = flat.sum(axis=4) * (1.0 / (self.size * self.size))
        return self.Y

    def backward(self, dE_dY: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """δ = ∂E/∂Y (identity nodes); ∂E/∂X: δ to the window's maximum, or δ/k² to each entry."""
        self.delta = dE_dY
        if not propagate:
            return None
        dX = np.zeros_like(self.X, dtype=dE_dY.dtype)
        out_h, out_w = dE_dY.shape[2], dE_dY.shape[3]
        s, k = self.stride, self.size
        average = dE_dY * (1.0 / (k * k))
        for u in range(k):
            for v in range(k):
                share = np.where(self._winner == u * k + v, dE_dY, 0.0) if self.kind == "max_pool" else average
                dX[:, :, u : u + s * (out_h - 1) + 1 : s, v : v + s * (out_w - 1) + 1 : s] += share
        return dX

    def update(self, rate: float, optimizer: Optimizer | None = None) -> None:
        """Nothing to update: pooling has no parameters."""

    def __repr__(self) -> str:
        return f"PoolLayer({self.kind}, {self.size}x{self.size}, stride {self.stride})"
