"""The graph's parameters as arrays: ``[(W, b), …]``, one flat vector θ, and snapshots.

The connections hold the weights one float each; these methods read and write them as the
matrices of the fast path and of the textbooks.  Layer l has W of shape (n_out, n_in) and
b of shape (n_out,); the connection from node i of layer l−1 to node j of layer l is
``W[j, i]`` (target first, as in w_ji), and the bias node carries ``b[j]``.  The mapping
itself lives in one place, :meth:`graphnet.graph.layer.Layer.parameter_rows` (rows
[W | b]).  :class:`ParameterMethods` is a base class of :class:`~graphnet.graph.network.Network`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.mirror import Params
from graphnet.graph.layer import Connections, Layer
from graphnet.math.errors import ShapeError
from graphnet.math.optimizers import Optimizer
from graphnet.math.regularization import L2Term
from graphnet.math.validation import as_float_array


class ParameterMethods:
    """get/set of ``[(W, b), …]`` and of θ, the (λ/2)·Σw² term, and snapshots for the training loop."""

    sizes: list[int]
    layers: list[Layer]
    connections: Connections
    bias: bool
    l2: float
    l2_bias: float
    l2_per_batch: bool
    optimizer: Optimizer

    @property
    def n_parameters(self) -> int:
        """Number of weights and biases (= number of connections)."""
        return len(self.connections)

    def split_rows(self, rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        """[W | b] → (W, b) as copies (b is None without bias)."""
        if self.bias:
            return rows[:, :-1].copy(), rows[:, -1].copy()
        return rows.copy(), None

    def get_params(self) -> Params:
        """The parameters as ``[(W, b), …]``, W of shape (n_out, n_in), b (n_out,) or None."""
        return [self.split_rows(layer.parameter_rows()) for layer in self.layers[1:]]

    def set_params(self, params: Sequence[tuple[ArrayLike, ArrayLike | None]]) -> None:
        """Write ``[(W, b), …]`` into the connections (b is None for a network without bias)."""
        if not isinstance(params, Sequence) or isinstance(params, str | bytes):
            raise ShapeError(
                f"params must be a list of (W, b) pairs, one per layer ({len(self.layers) - 1} for "
                f"sizes={self.sizes}); got {type(params).__name__}"
            )
        if len(params) != len(self.layers) - 1:
            raise ShapeError(
                f"params must have one (W, b) pair per layer: "
                f"{len(self.layers) - 1} for sizes={self.sizes}; got {len(params)}"
            )
        rows_per_layer = []
        for layer, pair in zip(self.layers[1:], params, strict=True):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ShapeError(f"params for layer {layer.index} must be a (W, b) pair; got {type(pair).__name__}")
            weights = as_float_array(pair[0], name=f"W of layer {layer.index}")
            expected = (layer.size, self.sizes[layer.index - 1])
            if weights.shape != expected:
                raise ShapeError(f"W of layer {layer.index} must have shape {expected}; got {weights.shape}")
            if self.bias:
                if pair[1] is None:
                    raise ShapeError(
                        f"b of layer {layer.index} is None but the network has biases; "
                        f"expected an array of shape ({layer.size},)"
                    )
                biases = as_float_array(pair[1], name=f"b of layer {layer.index}")
                if biases.shape != (layer.size,):
                    raise ShapeError(f"b of layer {layer.index} must have shape ({layer.size},); got {biases.shape}")
                rows_per_layer.append(np.column_stack([weights, biases]))
            else:
                if pair[1] is not None:
                    raise ShapeError(f"b of layer {layer.index} must be None: the network has no bias")
                rows_per_layer.append(weights)
        for layer, rows in zip(self.layers[1:], rows_per_layer, strict=True):
            layer.set_parameter_rows(rows)

    def get_flat_params(self) -> NDArray[np.float64]:
        """All parameters as one vector: layer by layer, W row by row, then b."""
        return np.concatenate(
            [np.concatenate([W.ravel(), b]) if b is not None else W.ravel() for W, b in self.get_params()]
        )

    def set_flat_params(self, vector: ArrayLike) -> None:
        """Inverse of :meth:`get_flat_params`."""
        flat = as_float_array(vector, name="parameter vector")
        if flat.ndim != 1 or flat.size != self.n_parameters:
            raise ShapeError(
                f"parameter vector must have {self.n_parameters} values (sizes={self.sizes}); got shape {flat.shape}"
            )
        params: Params = []
        start = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            weights = flat[start : start + n_out * n_in].reshape(n_out, n_in)
            start += n_out * n_in
            biases = None
            if self.bias:
                biases = flat[start : start + n_out]
                start += n_out
            params.append((weights, biases))
        self.set_params(params)

    @property
    def l2_term(self) -> L2Term:
        """λ, λ_b and the per-batch option as one :class:`~graphnet.math.regularization.L2Term`."""
        return L2Term(self.l2, self.l2_bias, self.l2_per_batch)

    def l2_penalty(self, n_batch: int = 1) -> float:
        """(λ/2)·Σ w² over the weights plus (λ_b/2)·Σ b² over the biases (both /n_b with ``l2_per_batch``)."""
        term = self.l2_term
        if not term.active:
            return 0.0
        weight_squares = sum(c.weight * c.weight for c in self.connections if not c.is_bias)
        bias_squares = sum(c.weight * c.weight for c in self.connections if c.is_bias) if self.l2_bias else 0.0
        return term.penalty(weight_squares=weight_squares, bias_squares=bias_squares, n_batch=n_batch)

    def reset_optimizer(self) -> None:
        """Start the network's optimizer afresh: counts back to 0 and every connection's state cleared."""
        self.optimizer.reset()
        for connection in self.connections:
            connection.state = None

    # ------------------------------------------------------------------ for the training loop
    def parameters_finite(self) -> bool:
        """True when every weight and bias, and every value of their optimizer state, is finite."""
        layers = self.layers[1:]
        if not all(np.isfinite(layer.parameter_rows()).all() for layer in layers):
            return False
        state_type = self.optimizer.state_type
        fields = () if state_type is None else state_type.fields
        return all(np.isfinite(layer.state_rows(field)).all() for layer in layers for field in fields)

    def snapshot(self) -> list[NDArray[np.floating]]:
        """The augmented matrices [W | b] of every layer, then its optimizer state rows (copies)."""
        snapshot: list[NDArray[np.floating]] = [layer.parameter_rows() for layer in self.layers[1:]]
        state_type = self.optimizer.state_type
        if state_type is not None:
            snapshot += [layer.state_rows(field) for layer in self.layers[1:] for field in state_type.fields]
        return snapshot

    def restore(self, snapshot: list[NDArray[np.floating]]) -> None:
        """Set the parameters and the optimizer's state to a :meth:`snapshot`'s."""
        layers = self.layers[1:]
        for layer, rows in zip(layers, snapshot, strict=False):
            layer.set_parameter_rows(rows)
        state_type = self.optimizer.state_type
        if state_type is not None and len(snapshot) > len(layers):
            n_fields = len(state_type.fields)
            for number, layer in enumerate(layers):
                start = len(layers) + number * n_fields
                layer.set_state_rows(state_type, snapshot[start : start + n_fields])

    def sync_to_graph(self) -> None:
        """Nothing to do: the graph's connections are this engine's parameters."""

    def sync_from_graph(self) -> None:
        """Nothing to do: the graph's connections are this engine's parameters."""
