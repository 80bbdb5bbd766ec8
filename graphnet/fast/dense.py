"""A dense layer on numpy arrays: the fast path's building block.

It follows the modular contract of the classic layer libraries: ``forward(X)`` keeps what
the backward pass needs and returns Y = f(X·Wᵀ + b); ``backward(dE_dY)`` sets ``dW`` and
``db`` and returns ``dE_dX`` for the layer below.

Shapes for a batch of n samples: X (n, n_in), W (n_out, n_in), b (n_out,), Z and Y
(n, n_out).  Row r of Z holds the net inputs the graph's nodes would hold for sample r,
``delta`` the per-sample δ of every node (not scaled by the batch reduction).

Dropout (training only): ``forward(X, mask=F)`` with F = M/q of shape (n, n_out) gives
Y = f(Z)·F, and ``backward`` then uses δ = f′(Z)·F·∂E/∂Y, as the graph's nodes do.

Training reuses its arrays: :func:`train_forward` writes Z into an array kept for batches
of that length, and :func:`sgd_backward` (plain SGD) writes (step·δ)ᵀ·X into one kept
array of W's shape and subtracts it from W in place: no new array of W's size per batch,
and one pass over it fewer than ``W -= step·(δᵀ·X)``.  The sums over the batch's rows
(Σ δ for b) are one BLAS product with a kept vector of ones (:meth:`DenseLayer.row_sum`).
A sigmoid's σ(Z) and its δ = o·(1 − o)·∂E/∂Y are each computed in one new array, step
after step in place (the same operations, in the same order).  Both are one loop over
the layers: the training batch's Python work is the numpy calls.  Z, Y and δ are bit for
bit those of :meth:`DenseLayer.forward` and :meth:`DenseLayer.backward_delta` (tested);
the weights are :meth:`DenseLayer.update`'s to rounding (the step multiplies δ before the
product, not after, and Σ δ adds the rows in order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.fast.gemm import FUSED_UPDATE_BYTES, subtract_product
from graphnet.math.activations import Activation, Sigmoid, Softmax
from graphnet.math.validation import surely_finite

if TYPE_CHECKING:
    from graphnet.math.losses import Loss
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
        dW = scale·weight_sum + λ·W and db = scale·bias_sum + λ_b·b.  Without L2 only δ and X
        are kept, and dW = (scale·δ)ᵀ·X, db = Σ scale·δ (the scale on δ, not on a sum of W's
        size); plain SGD then updates with the step (rate·scale) on δ, as the classic loops
        do, and forms dW, db and the sums only when read.
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
        #: True while the sums δᵀ·X and Σ δ are still to be formed from ``_sums_of`` (when read)
        self._sum_scaled = False
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
        #: the batch's δ and X, when only they were kept (no L2): dW, db and the sums are formed from them
        self._sums_of: tuple[Array, Array] | None = None
        self.mask: Array | None = None
        self.activated = empty  # f(Z) before the dropout factors
        self.weight_state: Any = None
        self.bias_state: Any = None
        #: arrays kept for training, by (name, shape): written again by every batch
        self._buffers: dict[tuple[str, tuple[int, ...]], Array] = {}
        self._batch_buffers: dict[int, tuple[Array, Array, Array, Array, Array]] = {}

    @property
    def weight_sum(self) -> Array:
        """Σ_batch δᵀ·X of the last backward pass."""
        if self._sum_scaled:
            self._form_sums()
        weight_sum: Array = self._weight_sum
        return weight_sum

    @weight_sum.setter
    def weight_sum(self, value: Array) -> None:
        self._weight_sum = value

    @property
    def bias_sum(self) -> Array | None:
        """Σ_batch δ of the last backward pass (None without bias)."""
        if self._sum_scaled:
            self._form_sums()
        return self._bias_sum

    @bias_sum.setter
    def bias_sum(self, value: Array | None) -> None:
        self._bias_sum = value

    def _form_sums(self) -> None:
        """The sums δᵀ·X and Σ δ from that batch's δ and X, after :func:`sgd_backward` kept only their stepped forms."""
        self._sum_scaled = False
        assert self._sums_of is not None
        delta, X = self._sums_of
        self._weight_sum = delta.T @ X
        self._bias_sum = self.row_sum(delta) if self.b is not None else None

    def buffers(self, n: int) -> tuple[Array, Array, Array, Array, Array]:
        """Kept arrays of a training batch of n rows: Z (n, n_out), the product (W's shape), ∂E/∂X, step·δ, n ones."""
        kept = self._batch_buffers.get(n)
        if kept is None:
            if len(self._batch_buffers) > 4:  # many batch lengths over time: keep memory bounded
                self._batch_buffers.clear()
            n_out, n_in = self.W.shape
            kept = self._batch_buffers[n] = (
                self._buffer("Z", (n, n_out)),
                self._buffer("weight_sum", (n_out, n_in)),
                self._buffer("dE_dX", (n, n_in)),
                self._buffer("step·δ", (n, n_out)),
                self.ones(n),
            )
        return kept

    def ones(self, n: int) -> Array:
        """A kept vector of n ones, for :meth:`row_sum`."""
        ones = self._buffers.get(("ones", (n,)))
        if ones is None:
            ones = self._buffer("ones", (n,))
            ones.fill(1.0)
        return ones

    def row_sum(self, values: Array) -> Array:
        """Σ_rows values = 1ᵀ·values (n × n_out → n_out): one BLAS product with a kept vector of n ones.

        numpy's reduction along the rows takes about three times as long at batch 128 (it
        walks the columns of a row-major array); the product adds the rows in order, where
        numpy adds pairwise: the same sum up to rounding.
        """
        total: Array = self.ones(len(values)) @ values
        return total

    def _buffer(self, name: str, shape: tuple[int, ...]) -> Array:
        """The kept array ``name`` of this shape (made on first use; the last batch of an epoch may be shorter)."""
        key = (name, shape)
        buffer = self._buffers.get(key)
        if buffer is None:
            if len(self._buffers) > 16:  # many batch lengths over time: keep memory bounded
                self._buffers.clear()
                self._batch_buffers.clear()
            buffer = self._buffers[key] = np.empty(shape, dtype=self.W.dtype)
        return buffer

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
        return self.backward_delta(self.delta_from(dE_dY), scale=scale, propagate=propagate)

    def delta_from(self, dE_dY: Array) -> Array:
        """δ = f′(Z)·∂E/∂Y (dropout: f′(Z)·F·∂E/∂Y) of the last batch."""
        if self.mask is None and type(self.activation) is Sigmoid:
            return sigmoid_delta(self.Y, dE_dY)
        if self.mask is not None:
            return self.derivative() * self.mask * dE_dY
        return self.derivative() * dE_dY

    def backward_delta(self, delta: Array, *, scale: float = 1.0, propagate: bool = True) -> Array | None:
        """Given δ = ∂E/∂Z: dW = scale·δᵀ·X + λ·W, db = scale·Σ_rows δ + λ_b·b; return ∂E/∂X = δ·W.

        Mirrors the graph's ``gradient`` phase (∂E/∂w_ji = δ_j·o_i summed over the batch)
        and ``downstream_sum`` (Σ_k w_kj·δ_k) of the nodes below.  ``propagate=False`` (the
        first layer) skips ∂E/∂X, which nothing below needs.  With L2, keeps the batch sums
        δᵀ·X and Σ δ and forms dW and db from them at once (from this W).  Without, forms
        dW = (scale·δ)ᵀ·X and db = Σ scale·δ: the scale multiplies δ (n × n_out) rather than a
        sum of W's size, a pass over W fewer (the same numbers to rounding); the sums are then
        formed from δ and X only if read.
        """
        self.delta = delta
        self.scale = scale
        if self.l2 == 0.0 and self.l2_bias == 0.0:
            self._sums_of = (delta, self.X)
            self._sum_scaled = True
            self._form_gradients()
        else:
            self._sum_scaled, self._sums_of = False, None  # both sums set here
            self.weight_sum = delta.T @ self.X
            self.bias_sum = self.row_sum(delta) if self.b is not None else None
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
            self._form_gradients()
        assert self._dW is not None
        return self._dW

    @property
    def db(self) -> Array | None:
        """∂E/∂b = scale·Σ_batch δ (+ λ_b·b) of the last backward pass (None without bias)."""
        if self._db is None and self.b is not None:
            self._form_gradients()
        return self._db

    def _form_gradients(self) -> None:
        """Form dW = (scale·δ)ᵀ·X and db = Σ scale·δ when only δ and X were kept, else scale times the kept sums."""
        if self._sums_of is not None:  # (whether or not the sums were formed since: the same numbers)
            delta, X = self._sums_of
            scaled = delta * self.scale if self.scale != 1.0 else delta
            self._dW = scaled.T @ X
            self._db = self.row_sum(scaled) if self.b is not None else None
            return
        if self._dW is None:  # (with L2, dW or db was formed at once and stays)
            self._dW = self._scaled(self.weight_sum)
        if self._db is None and self.bias_sum is not None:
            self._db = self._scaled(self.bias_sum)

    def _scaled(self, batch_sum: Array) -> Array:
        return batch_sum * self.scale if self.scale != 1.0 else batch_sum

    def update(self, rate: float, optimizer: Optimizer | None = None) -> None:
        """W ← W − rate·dW, b ← b − rate·db, or the optimizer's array form with this layer's state.

        Mirrors ``Connection.update``.
        """
        if optimizer is None:
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


def train_forward(layers: Sequence[DenseLayer], X: Array) -> Array:
    """Every layer's Z = X·Wᵀ + b (into its kept array) and Y = f(Z), no dropout; returns the output Y.

    The same numbers as ``forward(X, guarded=False)`` layer by layer; callers
    silence numpy's overflow warnings (the training loop).
    """
    n = len(X)
    for layer in layers:
        W = layer.W
        Z = np.matmul(X, W.T, out=layer.buffers(n)[0])
        if layer.b is not None:
            Z += layer.b
        layer.X = X
        layer.Z = Z
        layer.mask = None
        if type(layer.activation) is Sigmoid:  # Sigmoid.value_array_unguarded: 1/(1 + e^(−Z)), in one new array
            Y = np.negative(Z)
            np.exp(Y, out=Y)
            Y += 1.0
            X = layer.Y = np.reciprocal(Y, out=Y)
        else:
            X = layer.Y = layer.activation.value_array_unguarded(Z)
    return X


def output_delta(output: DenseLayer, loss: Loss, targets: Array, *, canonical: bool) -> Array:
    """δ of the output layer from the loss: y − t when it is the output activation's canonical loss."""
    if canonical:
        return output.Y - targets  # δ = y − t
    if isinstance(output.activation, Softmax):
        gradient = loss.output_gradient_array(output.Y, targets)
        weighted = (output.Y * gradient).sum(axis=1, keepdims=True)
        softmax_delta: Array = output.Y * (gradient - weighted)  # δ_j = o_j·(g_j − Σ_k o_k·g_k)
        return softmax_delta
    if type(output.activation) is Sigmoid and output.mask is None:
        return sigmoid_delta(output.Y, loss.output_gradient_array(output.Y, targets))
    delta: Array = output.derivative() * loss.output_gradient_array(output.Y, targets)
    return delta


def sigmoid_delta(outputs: Array, dE_dY: Array) -> Array:
    """δ = σ′(Z)·∂E/∂Y = o·(1 − o)·∂E/∂Y for sigmoid outputs o (``delta_from``'s numbers, in one new array)."""
    delta = np.subtract(1.0, outputs)
    delta *= outputs
    delta *= dE_dY
    return delta


def first_bad_row(output_delta: Array) -> int | None:
    """The first row of a batch's output δ holding NaN or inf (None when every δ is finite).

    One pass when all is well (:func:`~graphnet.math.validation.surely_finite`, under the
    training loop's ``np.errstate``); else the rows are looked at, as a total of finite δs
    may merely overflow.
    """
    if surely_finite(output_delta, guarded=False):
        return None
    bad_rows = np.flatnonzero(~np.isfinite(output_delta).all(axis=1))
    return int(bad_rows[0]) if bad_rows.size else None


def sgd_backward(layers: Sequence[DenseLayer], delta: Array, rate: float, scale: float) -> int | None:
    """Given the output δ: from the top, each layer's ∂E/∂X = δ·W, then W ← W − rate·dW, b ← b − rate·db.

    ∂E/∂X is taken before W changes, as ``backward`` on every layer, then ``update(rate)`` on
    every layer, would.  Without L2, W ← W − ((rate·scale)·δ)ᵀ·X: for a W of
    ``FUSED_UPDATE_BYTES`` or more in one gemm with β = 1
    (:func:`~graphnet.fast.gemm.subtract_product`, the same numbers); for a smaller W into
    the array kept at W's shape, then subtracted (for one row the outer product: the same
    numbers as the one-term matrix product, without the BLAS call).  The
    step scales δ (n × n_out) rather than the product (W's size): a pass over W fewer, and
    numbers that differ from step·(δᵀ·X) only by rounding; b ← b − Σ_rows step·δ likewise.
    ``weight_sum`` and ``bias_sum`` (hence ``dW`` and ``db``) are formed from δ and X only if
    read before the next batch.

    Returns the first row of the output δ that holds NaN or inf, having changed nothing (the
    divergence guard); None after the update.  The check costs nothing when the output layer
    has a bias: Σ_rows step·δ, which its update needs anyway, is finite when every δ is.
    """
    step = rate * scale
    n = len(delta)
    top = len(layers) - 1
    for index in range(top, -1, -1):
        layer = layers[index]
        if layer.l2 != 0.0 or layer.l2_bias != 0.0:
            if index == top and (bad := first_bad_row(delta)) is not None:
                return bad
            dE_dX = layer.backward_delta(delta, scale=scale, propagate=index > 0)
            layer.update(rate)
        else:
            W = layer.W
            _, product, into, stepped, ones = layer.buffers(n)
            np.multiply(delta, step, out=stepped)
            bias_step = None if layer.b is None else ones @ stepped  # (row_sum)
            if index == top:  # the output δ, checked before any update
                finite = math.isfinite(sum(bias_step.tolist())) if bias_step is not None else False
                if not finite and (bad := first_bad_row(delta)) is not None:
                    return bad
            dE_dX = np.matmul(delta, W, out=into) if index else None
            if n > 1 and W.nbytes >= FUSED_UPDATE_BYTES:
                subtract_product(W, stepped, layer.X, product)  # one gemm: W ← W − (step·δ)ᵀ·X
            else:
                if n == 1:
                    np.multiply(stepped.T, layer.X, out=product)
                else:
                    np.matmul(stepped.T, layer.X, out=product)
                W -= product
            if layer.b is not None and bias_step is not None:
                layer.b -= bias_step
            layer.delta = delta
            layer.scale = scale
            layer._dW = layer._db = None
            layer._sums_of = (delta, layer.X)  # (arrays of this batch only: no kept array among them)
            layer._sum_scaled = True
        if index:
            assert dE_dX is not None
            delta = layers[index - 1].delta_from(dE_dX)
    return None
