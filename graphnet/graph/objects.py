"""The graph's objects: Node, ConstNode and Connection, each computing with Python floats.

A :class:`Node` is one neuron j.  It knows its upstream connections (w_ji from each node i
of the layer below, the bias connection last) and its downstream connections (w_kj to each
node k of the layer above).  Each per-node method is one formula:

* ``compute_net_input``:    net_j = Σ_i w_ji·o_i           (the bias node's o is 1)
* ``compute_output``:       o_j = f(net_j)                  (·m_j/q under dropout)
* ``compute_output_delta``: δ_j = f′(net_j)·∂E/∂y_j         (y_j − t_j with the canonical loss)
* ``compute_hidden_delta``: δ_j = f′(net_j)·Σ_k w_kj·δ_k    (f′(net_j)·(m_j/q)·Σ… under dropout)

and each :class:`Connection` w_ji computes ``gradient = ∂E/∂w_ji = δ_j·o_i`` (+ λ·w_ji for
L2) and updates ``w_ji ← w_ji − rate·gradient``, or by an optimizer's rule (momentum, Adam,
…; see :mod:`graphnet.math.optimizers`) whose per-connection memory it keeps in ``state``.

Dropout (see :mod:`graphnet.math.dropout`): a node of a hidden layer with drop probability p
has ``keep`` = q = 1 − p and, while training, ``mask`` = m_j ∈ {0, 1}; m_j = 0 means the node
is dropped for this sample.  Without dropout, and in evaluation, ``mask`` is None: no mask,
no scaling.

Sign convention: δ_j = ∂E/∂net_j, so the update subtracts.  Texts that define δ with (t − y)
add instead; the numbers of the update are the same.

Storage: every value is a plain Python float in a ``__slots__`` attribute.  A connection's
``weight`` and ``state`` are properties over the slots ``_weight`` and ``_state``: reading
one first collects any newer values a fast mirror owes the graph, and writing one tells the
mirrors to copy again (see :mod:`graphnet.common.sync`).  Only the hot loops of
:mod:`graphnet.graph.fused` use the slots directly, after settling.  This module
deliberately holds no loops over layers; :mod:`graphnet.graph.network` orders the work.
"""

from __future__ import annotations

from math import isfinite
from typing import TYPE_CHECKING, Any

from graphnet.common import display
from graphnet.common.sync import changed, owed, settle
from graphnet.math.activations import Activation
from graphnet.math.errors import NumericalOverflowError
from graphnet.math.validation import check_parameter

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.math.losses import Loss
    from graphnet.math.optimizers import Optimizer, ParameterState


class Node:
    """A neuron: its net input, output and error term δ, and its connections.

    Attributes
    ----------
    layer_index, node_index : int
        Position in the network; printed as ``layer-node`` (e.g. ``1-2``).
    activation : Activation
        f, applied to the net input (the input layer's nodes use none).
    upstream : list of Connection
        w_ji from each node i of the layer below, in order, the bias connection last.
    downstream : list of Connection
        w_kj to each node k of the layer above, in order.
    net_input, output, delta : float
        net_j, o_j and δ_j = ∂E/∂net_j from the last forward and backward pass.
    mask : float or None
        m_j of dropout for the last sample: 1.0 kept, 0.0 dropped; None when no mask was
        applied (no dropout in this layer, or evaluation).
    keep : float
        q = 1 − p, the keep probability of this node's layer (1.0: no dropout).
    """

    __slots__ = (
        "activation",
        "delta",
        "downstream",
        "keep",
        "layer_index",
        "mask",
        "net_input",
        "node_index",
        "output",
        "upstream",
    )

    def __init__(self, layer_index: int, node_index: int, activation: Activation | None) -> None:
        self.layer_index = layer_index
        self.node_index = node_index
        self.activation = activation
        self.upstream: list[Connection] = []
        self.downstream: list[Connection] = []
        self.net_input = 0.0
        self.output = 0.0
        self.delta = 0.0
        self.mask: float | None = None
        self.keep = 1.0

    @property
    def label(self) -> str:
        """``layer-node``, e.g. ``1-2``."""
        return f"{self.layer_index}-{self.node_index}"

    @property
    def dropped(self) -> bool:
        """True when dropout dropped this node for the last sample (m_j = 0)."""
        return self.mask == 0.0

    def set_input(self, value: float) -> None:
        """o_i = x_i: an input node's output is its input value (a finite number, else refused at once)."""
        if type(value) is not float or value - value != 0.0:
            value = check_parameter(value, name=f"the input o({self.label})")
        self.output = value

    def compute_net_input(self) -> float:
        """net_j = Σ_i w_ji·o_i over the upstream connections (bias: o = 1)."""
        self.net_input = sum(c.weight * c.upstream.output for c in self.upstream)
        return self.net_input

    def compute_output(self) -> float:
        """o_j = f(net_j); with dropout o_j = f(net_j)·m_j/q."""
        assert self.activation is not None  # input nodes never call this
        if self.mask is not None:
            self.output = self.activation.value(self.net_input) * (self.mask / self.keep)
        else:
            self.output = self.activation.value(self.net_input)
        return self.output

    def downstream_sum(self) -> float:
        """Σ_k w_kj·δ_k over the downstream connections: that is ∂E/∂o_j."""
        return sum(c.weight * c.downstream.delta for c in self.downstream)

    def compute_hidden_delta(self) -> float:
        """δ_j = f′(net_j)·Σ_k w_kj·δ_k; with dropout δ_j = f′(net_j)·(m_j/q)·Σ_k w_kj·δ_k."""
        assert self.activation is not None
        if self.mask is not None:
            self.delta = self.activation.derivative(self.net_input) * (self.mask / self.keep) * self.downstream_sum()
        else:
            self.delta = self.activation.derivative(self.net_input) * self.downstream_sum()
        return self.delta

    def compute_output_delta(self, target: float, loss: Loss, n_outputs: int) -> float:
        """δ_j = f′(net_j)·∂E/∂y_j; with the loss's canonical activation δ_j = y_j − t_j."""
        assert self.activation is not None
        if loss.canonical_activation == self.activation.name:
            self.delta = self.output - target
        else:
            output_gradient = loss.output_gradient(self.output, target, n_outputs)
            self.delta = self.activation.derivative(self.net_input) * output_gradient
        return self.delta

    def compute_softmax_delta(self, output_gradient: float, weighted_gradient: float) -> float:
        """δ_j = o_j·(g_j − Σ_k o_k·g_k), the softmax Jacobian applied to g = ∂E/∂o."""
        self.delta = self.output * (output_gradient - weighted_gradient)
        return self.delta

    def __repr__(self) -> str:
        dropped = " dropped" if self.mask == 0.0 else ""
        return f"Node {self.label} output={self.output:.4f} delta={self.delta:.4g}{dropped}"

    def __rich__(self) -> RenderableType:
        return display.rich(self)


class ConstNode:
    """The bias node at the end of a layer: its output is always 1.

    It has downstream connections only; their weights are the next layer's biases b_j.
    ``output`` is a read-only class attribute, so it cannot be changed by accident.
    """

    __slots__ = ("downstream", "layer_index", "node_index")

    output = 1.0
    net_input = 1.0
    delta = 0.0

    def __init__(self, layer_index: int, node_index: int) -> None:
        self.layer_index = layer_index
        self.node_index = node_index
        self.downstream: list[Connection] = []

    @property
    def label(self) -> str:
        """``layer-node`` of the bias node, e.g. ``0-3`` after inputs 0-0 … 0-2."""
        return f"{self.layer_index}-{self.node_index}"

    def __repr__(self) -> str:
        return f"ConstNode {self.label} output=1"


class GraphParameter:
    """A parameter the graph holds: its ``weight`` and the optimizer's ``state``, in step with fast mirrors.

    A :class:`Connection` is one, and so is a conv layer's shared kernel entry
    (:class:`~graphnet.graph.conv.SharedWeight`).  Reading either first collects what a fast
    mirror owes the graph; writing one records a change, so the mirrors copy it in again
    (see :mod:`graphnet.common.sync`).  The two slots live here; a subclass names itself for
    error messages (:meth:`_parameter_name`).
    """

    __slots__ = ("_state", "_weight")

    def _parameter_name(self) -> str:
        """How an error message names this parameter ("the weight of (0-1) -> (1-0)")."""
        raise NotImplementedError

    @property
    def weight(self) -> float:
        """The value (a fast mirror's newer values are written back first)."""
        if owed:
            settle()
        return self._weight

    @weight.setter
    def weight(self, value: float) -> None:
        if type(value) is not float or value - value != 0.0:  # the fast test passes every finite float
            value = check_parameter(value, name=self._parameter_name())
        if owed:
            settle()
        self._weight = value
        changed()

    @property
    def state(self) -> ParameterState[float] | None:
        """The optimizer's memory for this parameter (may be changed in place: counts as a change)."""
        if owed:
            settle()
        state = self._state
        if state is not None:
            changed()
        return state

    @state.setter
    def state(self, value: ParameterState[float] | None) -> None:
        if owed:
            settle()
        self._state = value
        changed()

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """For ``copy`` and ``pickle``: every slot of every class, once a fast mirror has written back what it owes."""
        if owed:
            settle()
        names = [name for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ())]
        return None, {name: getattr(self, name) for name in dict.fromkeys(names)}


class Connection(GraphParameter):
    """A weight w_ji from node i (upstream) to node j (downstream), and its gradient.

    Attributes
    ----------
    upstream : Node or ConstNode
        Node i of the layer below (a ConstNode for a bias).
    downstream : Node
        Node j of the layer above.
    weight : float
        w_ji; in the array layout this is ``W[j, i]`` of layer j's ``layer_index`` (or
        ``b[j]`` for a bias connection).
    gradient : float
        ∂E/∂w_ji from the last backward pass (including the L2 term λ·w_ji, not on biases).
    state : ParameterState or None
        What the network's optimizer remembers about this weight (momentum's velocity v,
        AdaGrad's G, RMSprop's s, Adam's m and v); None until such an optimizer updates it.
    """

    __slots__ = ("downstream", "gradient", "upstream")

    def __init__(self, upstream: Node | ConstNode, downstream: Node, weight: float) -> None:
        self.upstream = upstream
        self.downstream = downstream
        self._weight = weight
        self.gradient = 0.0
        self._state: ParameterState[float] | None = None

    def _parameter_name(self) -> str:
        return f"the {'bias' if self.is_bias else 'weight'} of {self.label}"

    @property
    def is_bias(self) -> bool:
        """True when the upstream node is a bias node (the weight is b_j)."""
        return isinstance(self.upstream, ConstNode)

    @property
    def label(self) -> str:
        """``(i-layer-i) -> (j-layer-j)``, e.g. ``(0-1) -> (1-2)``."""
        return f"({self.upstream.label}) -> ({self.downstream.label})"

    def compute_gradient(self, l2: float = 0.0) -> float:
        """∂E/∂w_ji = δ_j·o_i + λ·w_ji (λ = ``l2``; for a bias the network's λ_b, 0 by default)."""
        self.gradient = self.downstream.delta * self.upstream.output + l2 * self.weight
        return self.gradient

    def accumulate_gradient(self) -> None:
        """Gradient += δ_j·o_i (sums a batch before one update; L2 is added once after)."""
        self.gradient += self.downstream.delta * self.upstream.output

    def update(self, rate: float, optimizer: Optimizer | None = None) -> float:
        """w_ji ← w_ji − rate·∂E/∂w_ji, or the ``optimizer``'s rule with this connection's state.

        The guard every parameter write keeps: a new weight or optimizer state that is NaN or
        inf is refused with :class:`~graphnet.math.errors.NumericalOverflowError`, and the
        weight and the state stay as they were.
        """
        if optimizer is None:
            weight, state = self.weight - rate * self.gradient, None
        else:
            state = optimizer.new_state() if self.state is None else self.state.copy()
            weight = optimizer.update(self.weight, self.gradient, state, rate)
        if not isfinite(weight) or (state is not None and not state.is_finite()):
            what = f"w = {weight!r}" if not isfinite(weight) else f"its {optimizer!r} state {state!r}"
            raise NumericalOverflowError(
                f"the update of {self.label} with rate {rate:g} would make {what} (beyond ±1.8e308); "
                "expected finite values, so the weight and its state are left as they were: lower the rate"
            )
        self.weight = weight
        if state is not None:
            self.state = state
        return weight

    def __repr__(self) -> str:
        state = f" {self.state.short()}" if self.state is not None else ""
        return f"{self.label} = {self.weight:.4f} gradient={self.gradient:.4g}{state}"

    def __rich__(self) -> RenderableType:
        return display.rich(self)
