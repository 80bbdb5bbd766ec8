"""The one truth, from the mirror's side: copy the graph's parameters in, owe newer ones back.

The graph's connections hold the parameters.  A fast call computes on copies of them in W
and b, so it copies them in first (:meth:`MirrorSync._pull`), unless nothing has changed
them through the graph since the last copy (the change count of
:mod:`graphnet.common.sync`); a call that changes them leaves its newer values owed to the
graph (:meth:`MirrorSync._changed_here`), which collects them before anybody reads a
connection.  The optimizer's state follows the same rule.  :class:`MirrorSync` is the base
class of :class:`~graphnet.fast.network.FastNetwork`; :class:`EpochSnapshots` gives both
mirrors (dense and convolutional) what the training loop keeps and puts back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from graphnet.common import sync
from graphnet.common.checks import select_optimizer
from graphnet.common.mirror import ParameterGraph
from graphnet.fast.dense import Array, DenseLayer
from graphnet.math.optimizers import Optimizer, ParameterState
from graphnet.math.validation import all_finite, check_computed_finite


def parameter_arrays(layers: Iterable[Any]) -> list[Array]:
    """Every layer's W and b (a layer without b: W only), then its optimizer state arrays: the arrays themselves.

    What both mirrors' ``snapshot`` copies and ``parameters_finite`` looks at, in this order.
    """
    layers = list(layers)
    arrays = [array for layer in layers for array in (layer.W, layer.b) if array is not None]
    for layer in layers:
        for state in (layer.weight_state, layer.bias_state):
            if state is not None:
                arrays.extend(state.values())
    return arrays


def snapshot_layers(layers: Iterable[Any]) -> list[Array]:
    """Copies of :func:`parameter_arrays`: every W and b, then every optimizer state array.

    Both mirrors' ``snapshot`` (dense layers, and a conv net's learned layers) are this.
    """
    return [array.copy() for array in parameter_arrays(layers)]


def restore_layers(layers: Iterable[Any], snapshot: Sequence[Array]) -> None:
    """Put back what :func:`snapshot_layers` copied, in the same order."""
    layers, arrays = list(layers), iter(snapshot)
    for layer in layers:
        layer.W = next(arrays).copy()
        if layer.b is not None:
            layer.b = next(arrays).copy()
    for layer in layers:
        for state in (layer.weight_state, layer.bias_state):
            if state is not None:
                for field in state.fields:
                    setattr(state, field, next(arrays).copy())


class _Mirror(Protocol):
    """What :class:`EpochSnapshots` needs of a mirror."""

    @property
    def network(self) -> Any: ...

    @property
    def parameter_layers(self) -> Sequence[Any]: ...

    def _pull(self) -> None: ...

    def _pull_state(self, optimizer: Optimizer) -> None: ...

    def _write_back(self) -> None: ...


class EpochSnapshots:
    """What the training loop keeps and puts back of a mirror: both mirrors' ``snapshot``, ``restore``, syncs.

    A mirror names its layers with parameters in ``parameter_layers`` (a dense net's every
    layer, a conv net's learned ones).
    """

    def snapshot(self: _Mirror) -> list[Array]:
        """Copies of every W and b, then of the optimizer's state arrays (if it keeps state)."""
        return snapshot_layers(self.parameter_layers)

    def restore(self: _Mirror, snapshot: Sequence[Array]) -> None:
        """Put back what :meth:`snapshot` copied."""
        restore_layers(self.parameter_layers, snapshot)

    def parameters_finite(self: _Mirror) -> bool:
        """True when every W and b, and every optimizer state array, is finite (one dot each: ``all_finite``)."""
        return all_finite(*parameter_arrays(self.parameter_layers))

    def sync_to_graph(self: _Mirror) -> None:
        """Write the parameters and the optimizer's state into the graph (for a checkpoint)."""
        self._write_back()

    def sync_from_graph(self: _Mirror) -> None:
        """Read the parameters and the optimizer's state from the graph (after a resume changed them)."""
        self._pull()
        self._pull_state(self.network.optimizer)


class MirrorSync:
    """Copying in and writing back between a mirror's dense layers and the graph it mirrors."""

    network: ParameterGraph
    dtype: np.dtype[Any]
    layers: list[DenseLayer]
    #: sync.version() when W and b (the state arrays) last equalled the graph; None: copy again
    _weights_version: int | None
    _state_version: int | None
    _state_type: type[ParameterState[Any]] | None

    def _pull(self) -> None:
        """Make W and b the graph's connection weights (and copy its λ): copy unless already current."""
        sync.settle(keep=self._write_back)
        for dense in self.layers:
            dense.l2 = self.network.l2
        if self._weights_version == sync.version():
            return
        for dense, layer in zip(self.layers, self.network.layers[1:], strict=True):
            rows = layer.parameter_rows()
            n_in = dense.W.shape[1]
            dense.W = self._cast(rows[:, :n_in])
            dense.b = self._cast(rows[:, n_in]) if dense.b is not None else None
        self._weights_version = sync.version()

    def _cast(self, values: NDArray[np.floating]) -> Array:
        """The graph's float64 values as a contiguous array of this path's dtype (refusing float32 overflow)."""
        if self.dtype == np.float64:
            return np.ascontiguousarray(values, dtype=np.float64)
        with np.errstate(over="ignore"):
            cast: Array = np.ascontiguousarray(values, dtype=self.dtype)
        if not np.isfinite(cast).all():
            check_computed_finite(cast, what="the weights as float32 (use the float64 path for weights beyond ±3.4e38)")
        return cast

    def _pull_state(self, optimizer: Optimizer) -> None:
        """Make the state arrays the optimizer state of the graph's connections (0 where there is none)."""
        sync.settle(keep=self._write_back)
        state_type = optimizer.state_type
        if self._state_version == sync.version() and self._state_type is state_type:
            return
        for dense, layer in zip(self.layers, self.network.layers[1:], strict=True):
            if state_type is None:
                dense.weight_state = dense.bias_state = None
                continue
            n_in = dense.W.shape[1]
            rows = [layer.state_rows(field) for field in state_type.fields]
            dense.weight_state = state_type(*(self._cast(values[:, :n_in]) for values in rows))
            dense.bias_state = (
                state_type(*(self._cast(values[:, n_in]) for values in rows)) if dense.b is not None else None
            )
        self._state_type = state_type
        self._state_version = sync.version()

    def _start_updating(self, optimizer: str | Optimizer | None) -> Optimizer:
        """Copy in the weights, then choose the optimizer (as ``Network.train``), then copy in its state.

        The weights come first so that a float32 overflow is refused before the optimizer
        changes; and again after, as a fresh optimizer clears the connections' states.
        """
        self._pull()
        chosen = select_optimizer(self.network, optimizer)
        self._pull()
        self._pull_state(chosen)
        return chosen

    def _changed_here(self) -> None:
        """W, b (and the state arrays) now hold newer values than the graph: owe them to it.

        The graph's node values (outputs, δ) then come from older weights: marked "stale".
        """
        sync.owe(self._write_back)
        if self.network.node_values == "graph":
            self.network.node_values = "stale"

    def _forget(self) -> None:
        """Drop the working arrays' claim to be current: the next call copies from the graph again."""
        self._weights_version = self._state_version = None
        sync.owed[:] = [write_back for write_back in sync.owed if write_back != self._write_back]

    def _write_back(self) -> None:
        """Write W and b, and the optimizer's state arrays, into the graph's connections."""
        for dense, layer in zip(self.layers, self.network.layers[1:], strict=True):
            rows = dense.W if dense.b is None else np.column_stack([dense.W, dense.b])
            layer.set_parameter_rows(rows.astype(np.float64))
        state_type = self._state_type
        if state_type is not None:
            for dense, layer in zip(self.layers, self.network.layers[1:], strict=True):
                if dense.weight_state is None:
                    continue
                weight_values = dense.weight_state.values()
                bias_values = dense.bias_state.values() if dense.bias_state is not None else None
                state_rows = [
                    np.asarray(values if bias_values is None else np.column_stack([values, bias_values[k]]), np.float64)
                    for k, values in enumerate(weight_values)
                ]
                layer.set_state_rows(state_type, state_rows)
        self._weights_version = self._state_version = sync.version()
