"""Convolution and pooling in the per-neuron graph: shared-weight connections, pooling connections.

A conv layer's output nodes are ordinary :class:`~graphnet.graph.objects.Node` objects,
one per (map m, row y, column x).  Each of its upstream connections is a
:class:`KernelConnection` from one input node o[c, row, column] inside the window, whose
weight *is* one entry K[m, c, u, v] of the map's kernel, a :class:`SharedWeight`; the bias
connection (from the layer's :class:`~graphnet.graph.objects.ConstNode`) shares b[m].
Reading or assigning ``connection.weight`` on any of them reads or assigns the one shared
parameter, so the node computes the convolution by the dense formula:

* net[m, y, x] = Σ_{c,u,v} K[m, c, u, v]·o[c, s·y + u − p, s·x + v − p] + b[m]

Backpropagation needs no new formula either: each input node's δ sums w_kj·δ_k over its
downstream kernel connections.  Only the gradient is new: a connection's own
``gradient`` is its contribution δ_j·o_i at this one position, and the shared parameter's
gradient is the sum over every connection that shares it:

* ∂E/∂K[m, c, u, v] = Σ_{positions} δ[m, y, x]·o[c, s·y + u − p, s·x + v − p]  (+ λ·K)
* ∂E/∂b[m] = Σ_{y,x} δ[m, y, x]

Pooling layers are nodes with the identity activation whose upstream connections are
:class:`PoolConnection` objects with a fixed weight, not parameters: 1/k² for average
pooling; for max pooling the weight is 1 on the connection from the window's maximum (the
first one, in window order, on a tie) and 0 on the others, chosen by the
:class:`MaxPoolNode` in its forward step.  So δ routing is visible per connection: the
input node's δ = f′(net)·Σ_k w_kj·δ_k receives the pool node's δ only where it won.
Zero padding has no nodes: the window entries outside the input have no connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common.convspec import LayerPlan, window_positions
from graphnet.graph.layer import Layer
from graphnet.graph.objects import Connection, ConstNode, GraphParameter, Node
from graphnet.math.errors import IncompatibleError

if TYPE_CHECKING:
    from graphnet.math.optimizers import Optimizer, ParameterState


class SharedWeight(GraphParameter):
    """One shared parameter of a conv layer: a kernel entry K[m, c, u, v] or a map's bias b[m].

    Attributes
    ----------
    layer_index : int
        The conv layer it belongs to.
    index : tuple of int
        (m, c, u, v) for a kernel entry, (m,) for a bias.
    connections : list of KernelConnection
        Every connection whose weight this is, in the order the gradient sums them.
    weight : float
        The value (a fast mirror's newer values are written back first).
    gradient : float
        ∂E/∂K = Σ over ``connections`` of δ_j·o_i (+ λ·K, not on biases) from the last backward pass.
    state : ParameterState or None
        The optimizer's memory for this parameter.
    """

    __slots__ = ("connections", "gradient", "index", "layer_index")

    def __init__(self, layer_index: int, index: tuple[int, ...], weight: float) -> None:
        self.layer_index = layer_index
        self.index = index
        self._weight = weight
        self.gradient = 0.0
        self._state: ParameterState[float] | None = None
        self.connections: list[KernelConnection] = []

    @property
    def is_bias(self) -> bool:
        """True for a map's bias b[m]."""
        return len(self.index) == 1

    @property
    def label(self) -> str:
        """``K1[0,0,2,1]`` (layer 1, map 0, channel 0, kernel row 2, column 1) or ``b1[0]``."""
        name = "b" if self.is_bias else "K"
        return f"{name}{self.layer_index}[{','.join(map(str, self.index))}]"

    def _parameter_name(self) -> str:
        return f"the shared {'bias' if self.is_bias else 'kernel entry'} {self.label}"

    def collect_gradient(self, l2: float = 0.0) -> float:
        """∂E/∂K = Σ_connections δ_j·o_i + λ·K: the sum of the contributions left on its connections."""
        total = 0.0
        for connection in self.connections:
            total += connection.gradient
        self.gradient = total + l2 * self.weight
        return self.gradient

    def update(self, rate: float, optimizer: Optimizer | None = None) -> float:
        """K ← K − rate·∂E/∂K once for all its connections, or the ``optimizer``'s rule.

        This is :meth:`Connection.update` itself (it reads and writes only ``weight``,
        ``gradient``, ``state`` and ``label``, which a shared weight has too): a NaN or inf
        weight or state is refused with :class:`~graphnet.math.errors.NumericalOverflowError`,
        nothing changed.
        """
        return Connection.update(self, rate, optimizer)  # type: ignore[arg-type]  # (duck-typed, see above)

    def __repr__(self) -> str:
        return f"{self.label} = {self.weight:.4f} ({len(self.connections)} connections)"


class KernelConnection(Connection):
    """A connection of a conv layer whose weight is a :class:`SharedWeight`.

    ``weight`` and ``state`` read and write the shared parameter; ``gradient`` is this
    connection's own contribution δ_j·o_i to the shared parameter's gradient.
    """

    __slots__ = ("parameter",)

    def __init__(self, upstream: Node | ConstNode, downstream: Node, parameter: SharedWeight) -> None:
        super().__init__(upstream, downstream, 0.0)
        self.parameter = parameter
        parameter.connections.append(self)

    @property  # type: ignore[override]
    def weight(self) -> float:
        """The shared parameter's value K[m, c, u, v] (or b[m])."""
        return self.parameter.weight

    @weight.setter
    def weight(self, value: float) -> None:
        self.parameter.weight = value

    @property  # type: ignore[override]
    def state(self) -> ParameterState[float] | None:
        """The shared parameter's optimizer state."""
        return self.parameter.state

    @state.setter
    def state(self, value: ParameterState[float] | None) -> None:
        self.parameter.state = value

    def compute_contribution(self) -> float:
        """The share of this position in of ∂E/∂K: δ_j·o_i (the shared parameter sums them)."""
        self.gradient = self.downstream.delta * self.upstream.output
        return self.gradient

    def update(self, rate: float, optimizer: Optimizer | None = None) -> float:
        """Refused: a shared weight is updated once, through its :class:`SharedWeight`."""
        raise IncompatibleError(f"{self.label} shares {self.parameter.label}: update the shared weight instead")

    def __repr__(self) -> str:
        return f"{self.label} = {self.parameter.label} = {self.weight:.4f}"


class MaxPoolNode(Node):
    """A max-pooling node: net = o of the window's (first) maximum; its winning connection weighs 1."""

    __slots__ = ("winner",)

    def __init__(self, layer_index: int, node_index: int, activation: Any) -> None:
        super().__init__(layer_index, node_index, activation)
        self.winner: Connection | None = None

    def compute_net_input(self) -> float:
        """net_j = max_i o_i over the window (Σ_i w_ji·o_i with w = 1 for the maximum, 0 elsewhere)."""
        best = self.upstream[0]
        for connection in self.upstream[1:]:
            if connection.upstream.output > best.upstream.output:
                best = connection
        self.winner = best
        self.net_input = best.upstream.output
        return self.net_input


class PoolConnection(Connection):
    """A pooling connection: a fixed weight, not a parameter (no gradient, no update).

    Average pooling: w = 1/k².  Max pooling: w = 1 from the window's maximum, 0 elsewhere
    (decided by the last forward pass), so Σ_k w_kj·δ_k routes δ to the maximum only.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def weight(self) -> float:
        """1/k² (average), or 1 from the maximum and 0 from the others (max)."""
        downstream = self.downstream
        if isinstance(downstream, MaxPoolNode):
            return 1.0 if downstream.winner is self else 0.0
        return self._weight

    @weight.setter
    def weight(self, value: float) -> None:
        raise IncompatibleError(f"{self.label} is a pooling connection: its weight is fixed, not a parameter")

    def update(self, rate: float, optimizer: Optimizer | None = None) -> float:
        """Refused: pooling has no parameters."""
        raise IncompatibleError(f"{self.label} is a pooling connection: it has no parameter to update")


def _node_at(plan: LayerPlan, c: int, row: int, column: int) -> int:
    _, height, width = plan.out_shape
    return (c * height + row) * width + column


def connect_conv(
    layer: Layer, below: Layer, plan: LayerPlan, kernels: NDArray[np.float64], biases: NDArray[np.float64]
) -> tuple[NDArray[np.object_], list[SharedWeight]]:
    """Build the kernel connections of conv layer ``layer`` over ``below``; return K and b as SharedWeights.

    ``kernels`` (maps, C, k, k) and ``biases`` (maps,) are the starting values.  Node
    (m, y, x) of the layer is ``layer.nodes[(m·OH + y)·OW + x]``; its upstream connections
    are its window's in-bounds entries in the order c, u, v, then the bias.
    """
    maps, out_h, out_w = plan.out_shape
    kernel = np.empty(kernels.shape, dtype=object)
    for index, value in np.ndenumerate(kernels):
        kernel[index] = SharedWeight(layer.index, tuple(int(i) for i in index), float(value))
    bias_weights = [SharedWeight(layer.index, (m,), float(biases[m])) for m in range(maps)]
    below.bias = ConstNode(below.index, below.size)
    in_plan = LayerPlan(below.index, "input", None, plan.in_shape, plan.in_shape)
    for y in range(out_h):
        for x in range(out_w):
            window = window_positions(plan, y, x)
            for m in range(maps):
                node = layer.nodes[_node_at(plan, m, y, x)]
                for c, u, v, row, column in window:
                    source = below.nodes[_node_at(in_plan, c, row, column)]
                    connection = KernelConnection(source, node, kernel[m, c, u, v])
                    node.upstream.append(connection)
                    source.downstream.append(connection)
                connection = KernelConnection(below.bias, node, bias_weights[m])
                node.upstream.append(connection)
                below.bias.downstream.append(connection)
    return kernel, bias_weights


def connect_pool(layer: Layer, below: Layer, plan: LayerPlan) -> None:
    """Build the pooling connections of ``layer`` over ``below`` (window order: row u, column v)."""
    channels, out_h, out_w = plan.out_shape
    size = plan.pool.size
    weight = 1.0 / (size * size)
    in_plan = LayerPlan(below.index, "input", None, plan.in_shape, plan.in_shape)
    for c in range(channels):
        for y in range(out_h):
            for x in range(out_w):
                node = layer.nodes[_node_at(plan, c, y, x)]
                for _, _, _, row, column in window_positions(plan, y, x):
                    source = below.nodes[_node_at(in_plan, c, row, column)]
                    connection = PoolConnection(source, node, weight)
                    node.upstream.append(connection)
                    source.downstream.append(connection)


def pool_layer(index: int, plan: LayerPlan, identity: Any) -> Layer:
    """A pooling layer of identity nodes (:class:`MaxPoolNode` for max pooling)."""
    layer = Layer(index, 0, identity)
    node_type = MaxPoolNode if plan.kind == "max_pool" else Node
    layer.nodes = [node_type(index, j, identity) for j in range(plan.size)]
    return layer
