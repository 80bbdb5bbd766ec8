"""Layers of nodes, and the collection of all connections.

A :class:`Layer` is a list of :class:`Node` plus, unless built with ``bias=False``, one
:class:`ConstNode` at its end whose downstream connections carry the next layer's biases.

The array layout (DESIGN.md): layer l ≥ 1 has ``W`` of shape (n_out, n_in) and ``b`` of
shape (n_out,).  Node j's upstream list *is* row j of the augmented matrix ``[W | b]``:
``nodes[j].upstream[i]`` is w_ji = ``W[j, i]`` and ``nodes[j].upstream[n_in]`` is ``b[j]``.
:meth:`Layer.parameter_rows` and :meth:`Layer.set_parameter_rows` are the one place that
mapping lives.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from graphnet.common import display
from graphnet.common.sync import changed, settle
from graphnet.graph.objects import Connection, ConstNode, Node
from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation, get_activation
from graphnet.math.dropout import keep_probability
from graphnet.math.errors import ShapeError, unknown_name
from graphnet.math.validation import check_count

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.math.optimizers import ParameterState

_weight_of = attrgetter("_weight")  # the slots behind the properties: callers settle first
_gradient_of = attrgetter("gradient")


class Layer:
    """One layer: its nodes, its activation, and its bias node (if any).

    Attributes
    ----------
    index : int
        0 for the input layer.
    nodes : list of Node
    bias : ConstNode or None
        The bias node feeding the *next* layer (None on the output layer or without bias).
    activation : Activation or None
        None on the input layer.
    dropout, keep : float
        p, the probability that training drops a node of this (hidden) layer, and q = 1 − p
        (0 and 1 without dropout); see :mod:`graphnet.math.dropout`.
    """

    __slots__ = ("activation", "bias", "dropout", "index", "keep", "nodes")

    def __init__(self, index: int, size: int, activation: Activation | None) -> None:
        self.index = index
        self.activation = activation
        self.nodes = [Node(index, j, activation) for j in range(size)]
        self.bias: ConstNode | None = None
        self.dropout = 0.0
        self.keep = 1.0

    def set_dropout(self, rate: float) -> None:
        """Drop each node with probability p = ``rate`` while training (q = 1 − p on every node)."""
        self.dropout = rate
        self.keep = keep_probability(rate)
        for node in self.nodes:
            node.keep = self.keep
            node.mask = None

    @property
    def masks(self) -> list[float | None]:
        """m_j of every node for the last sample (1.0 kept, 0.0 dropped, None: no mask applied)."""
        return [node.mask for node in self.nodes]

    @property
    def size(self) -> int:
        """Number of nodes, not counting the bias node."""
        return len(self.nodes)

    @property
    def outputs(self) -> list[float]:
        """o_j of every node, in order."""
        return [node.output for node in self.nodes]

    @property
    def net_inputs(self) -> list[float]:
        """net_j of every node, in order."""
        return [node.net_input for node in self.nodes]

    @property
    def deltas(self) -> list[float]:
        """δ_j of every node, in order."""
        return [node.delta for node in self.nodes]

    def connect_from(self, below: Layer, weights: NDArray[np.float64], biases: NDArray[np.float64] | None) -> None:
        """Create the connections from ``below`` into this layer: w_ji = weights[j, i].

        Python's cyclic garbage collector is paused meanwhile: a new object starts its
        passes, and the older passes walk every connection made so far, so at 784-300-10
        (238,510 connections) they took 2–4 times as long as the building itself, by
        different amounts from run to run.  Nothing made here is garbage.
        """
        sources: list[Node | ConstNode] = list(below.nodes)
        if biases is not None:
            below.bias = ConstNode(below.index, below.size)
            sources.append(below.bias)
        rows = np.column_stack([weights, biases]) if biases is not None else weights
        with _collector_paused():
            for node, row in zip(self.nodes, rows.tolist(), strict=True):
                for source, weight in zip(sources, row, strict=True):
                    connection = Connection(source, node, weight)
                    node.upstream.append(connection)
                    source.downstream.append(connection)

    def parameter_rows(self) -> NDArray[np.float64]:
        """The augmented matrix [W | b] read from the connections, shape (n_out, n_in + bias)."""
        return self._rows(_weight_of)

    def gradient_rows(self) -> NDArray[np.float64]:
        """The augmented matrix [dW | db] read from the connections' gradients."""
        return self._rows(_gradient_of)

    def _rows(self, read: Callable[[Connection], float]) -> NDArray[np.float64]:
        settle()
        width = len(self.nodes[0].upstream)
        connections = chain.from_iterable(node.upstream for node in self.nodes)
        flat = np.fromiter(map(read, connections), dtype=np.float64, count=width * len(self.nodes))
        return flat.reshape(len(self.nodes), width)

    def state_rows(self, field: str) -> NDArray[np.float64]:
        """One optimizer state value of every connection as [W | b] rows (0 where there is no state)."""

        def read(connection: Connection) -> float:
            state = connection._state
            return 0.0 if state is None else float(getattr(state, field))

        return self._rows(read)

    def set_state_rows(self, state_type: type[ParameterState[float]], rows: Sequence[NDArray[np.floating]]) -> None:
        """Give every connection a new ``state_type`` state holding these [W | b] rows (one per field)."""
        settle()
        row_lists = [values.tolist() for values in rows]
        for node, *field_rows in zip(self.nodes, *row_lists, strict=True):
            for connection, state in zip(node.upstream, map(state_type, *field_rows), strict=True):
                connection._state = state
        changed()

    def set_parameter_rows(self, rows: NDArray[np.floating]) -> None:
        """Write the augmented matrix [W | b] into the connections (as Python floats)."""
        width = len(self.nodes[0].upstream)
        if rows.shape != (len(self.nodes), width):
            raise ShapeError(
                f"layer {self.index} parameters must have shape {(len(self.nodes), width)}; got {rows.shape}"
            )
        settle()
        for node, row in zip(self.nodes, rows.tolist(), strict=True):
            for connection, weight in zip(node.upstream, row, strict=True):
                connection._weight = weight
        changed()

    def __repr__(self) -> str:
        kind = "input" if self.activation is None else self.activation.name
        bias = " + bias" if self.bias is not None else ""
        return f"Layer {self.index} ({self.size} {kind} nodes{bias})"

    def __rich__(self) -> RenderableType:
        return display.rich(self)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) until the block ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Connections:
    """All connections of a network, in layer order, then node j, then source i (bias last).

    Iterable and sized; ``connections[layer, i, j]`` is the connection from node i of layer
    ``layer − 1`` to node j of layer ``layer`` (i = ``"bias"`` for the bias connection).

    Examples
    --------
    >>> from graphnet import Network
    >>> net = Network([2, 3, 1], seed=0)
    >>> len(net.connections)   # (2 + 1)·3 + (3 + 1)·1
    13
    >>> net.connections[1, 0, 2]
    (0-0) -> (1-2) = ...
    """

    __slots__ = ("_layers",)

    def __init__(self, layers: list[Layer]) -> None:
        self._layers = layers

    def __iter__(self) -> Iterator[Connection]:
        for layer in self._layers[1:]:
            for node in layer.nodes:
                yield from node.upstream

    def __len__(self) -> int:
        return sum(len(layer.nodes) * len(layer.nodes[0].upstream) for layer in self._layers[1:])

    def in_layer(self, layer: int) -> Iterator[Connection]:
        """The connections into layer ``layer`` (its W and b), row by row."""
        for node in self._layers[layer].nodes:
            yield from node.upstream

    def __getitem__(self, key: tuple[int, int | str, int]) -> Connection:
        if not (isinstance(key, tuple) and len(key) == 3):
            raise ShapeError(f"connections are looked up by (layer, from, to); got {key!r}")
        layer, source, target = key
        n_layers = len(self._layers)
        if not isinstance(layer, int) or not 1 <= layer < n_layers:
            raise ShapeError(f"layer must be 1 … {n_layers - 1} (the layer the connection leads into); got {layer!r}")
        nodes = self._layers[layer].nodes
        below = self._layers[layer - 1]
        if not isinstance(target, int) or not 0 <= target < len(nodes):
            raise ShapeError(f"to must be a node index 0 … {len(nodes) - 1} of layer {layer}; got {target!r}")
        if source == "bias":
            if below.bias is None:
                raise ShapeError(f"layer {layer - 1} has no bias node (built with bias=False)")
            source = below.size
        if not isinstance(source, int) or not 0 <= source < len(nodes[target].upstream):
            bias = f", {below.size} (its bias node) or 'bias'" if below.bias is not None else " (no bias node)"
            raise ShapeError(
                f"from must be a node index 0 … {below.size - 1} of layer {layer - 1}{bias}; got {source!r}"
            )
        return nodes[target].upstream[source]

    def __repr__(self) -> str:
        return f"Connections({len(self)} in {len(self._layers) - 1} layers)"


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """Layer sizes, input layer first: at least two whole numbers ≥ 1."""
    if (
        isinstance(sizes, str | bytes)
        or not isinstance(sizes, Sequence | np.ndarray)
        or (isinstance(sizes, np.ndarray) and sizes.ndim != 1)
    ):
        raise ShapeError(f"sizes must be a list of layer sizes such as [3, 4, 2]; got {sizes!r}")
    if len(sizes) < 2:
        raise ShapeError(f"sizes needs at least an input and an output layer; got {list(sizes)}")
    return [check_count(size, name=f"sizes[{i}]") for i, size in enumerate(sizes)]


def layer_activations(
    activation: str | Activation | Sequence[str | Activation],
    output_activation: str | Activation | None,
    n_layers: int,
) -> list[Activation]:
    """F of each non-input layer: one for all, or one per layer, the output one overridable."""
    if isinstance(activation, str | Activation) or (isinstance(activation, type)):
        activations = [get_activation(activation) for _ in range(n_layers)]  # type: ignore[arg-type]
    elif not isinstance(activation, Sequence):
        raise unknown_name("activation", activation, BUILTIN_ACTIVATIONS)
    else:
        if len(activation) != n_layers:
            raise ShapeError(f"activation list needs one entry per non-input layer ({n_layers}); got {len(activation)}")
        activations = [get_activation(a) for a in activation]
    if output_activation is not None:
        activations[-1] = get_activation(output_activation)
    return activations
