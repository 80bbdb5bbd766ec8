"""The graph's hot loops: the same per-node formulas, fused into fewer passes.

The readable reference is the phase generators of :mod:`graphnet.graph.phases`,
which call one method per node or connection (``compute_net_input``, ``compute_output_delta``,
``compute_hidden_delta``, ``compute_gradient``, ``update``) and which the stepper walks.  The
functions here compute *exactly the same numbers* — the same products, summed in the same
order with the same ``sum`` — but read and write the connections' plain-float slots
(``_weight``, ``_state``: the storage behind the ``weight`` and ``state`` properties) in
list comprehensions and one fused loop per node.  So each function that reads them
settles first, and each that writes them records one change, as the properties would (see
:mod:`graphnet.common.sync`).  A property test holds them to bit
identity with the reference on random networks.

What is fused, per training sample:

1. forward: ``net_j = sum([w_ji·o_i for each connection])`` with the layer below's
   outputs collected once (the bias node contributes 1), over the outputs that are not
   exactly +0 when a quarter or more are (:class:`Zeros`: the same sums, bit for bit);
2. output deltas: the nodes' own ``compute_output_delta`` (a few nodes);
3. for each layer from the top: the deltas of the layer below,
   ``δ_i = f′(net_i)·Σ_k w_ki·δ_k``, computed *before* the weights into this layer
   change, then one pass over each node's upstream connections that stores
   ``gradient = δ_j·o_i (+ λ·w_ji)`` and updates ``w_ji ← w_ji − rate·gradient`` (from an
   output of +0, without L2 and into a layer whose connections stay in the CPU's caches,
   only the gradient δ_j·(+0) is stored: w_ji stays the same, see :data:`SPARSE_UPDATE_CONNECTIONS`).

The update of the weights into layer l cannot change the deltas of layer l−1 (computed
first) nor the deltas below (they use other weights), so the result equals
"all deltas, then all gradients, then all updates".

Dropout adds, on the layers that have it, o_j ← o_j·(m_j/q) after the forward pass and
the factor (m_j/q) in δ_j, exactly as ``Node.compute_output`` and ``compute_hidden_delta``
write it.  An optimizer other than plain SGD updates in one more pass,
:func:`optimizer_update`, after all gradients (the same order as :func:`graphnet.graph.phases.update_steps`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from math import copysign, isfinite
from operator import itemgetter
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from graphnet.common.sync import changed, owed, settle
from graphnet.common.training import BadInputs
from graphnet.graph.layer import Connections, Layer
from graphnet.graph.phases import RowMasks, output_delta_steps
from graphnet.math.activations import Softmax
from graphnet.math.dropout import Masks, mask_rows
from graphnet.math.losses import Loss
from graphnet.math.optimizers import SGD, Optimizer
from graphnet.math.regularization import L2Term
from graphnet.math.validation import all_finite


class Network(Protocol):
    """What the hot loops read of a graph network: its layers, its loss and its λ."""

    layers: list[Layer]
    connections: Connections
    loss_function: Loss
    l2: float
    optimizer: Optimizer
    node_values: str

    @property
    def l2_term(self) -> L2Term: ...


def _outputs_with_bias(layer: Layer) -> list[float]:
    """o_i of every node of ``layer``, then 1 for its bias node (if it has one)."""
    outputs = [node.output for node in layer.nodes]
    if layer.bias is not None:
        outputs.append(1.0)
    return outputs


def forward(network: Network, x: Sequence[float], masks: RowMasks | None = None) -> None:
    """o_i = x_i; then net_j = Σ_i w_ji·o_i and o_j = f(net_j), layer by layer.

    With ``masks`` (training with dropout) a dropout layer's outputs become f(net_j)·m_j/q;
    without, its nodes' masks are reset to None (evaluation: no mask, no scaling).
    """
    _forward(network, x, masks)


def _forward(network: Network, x: Sequence[float], masks: RowMasks | None) -> list[Zeros | None]:
    """:func:`forward`; returns, per layer above the input layer, the :class:`Zeros` of the outputs below it."""
    if owed:
        settle()
    network.node_values = "graph"
    layers = network.layers
    for node, value in zip(layers[0].nodes, x, strict=True):
        node.output = value
    found: list[Zeros | None] = []
    for number, (below, layer) in enumerate(itertools.pairwise(layers)):
        if layer.keep < 1.0:
            _dropout_forward(below, layer, None if masks is None else masks[number])
            found.append(None)
            continue
        outputs = _outputs_with_bias(below)
        zeros = Zeros.of(outputs)
        sparse_update = zeros is not None and len(outputs) * len(layer.nodes) <= SPARSE_UPDATE_CONNECTIONS
        found.append(zeros if sparse_update else None)
        if zeros is not None:  # the terms w_ji·(+0) add nothing: the sum of the others is the same number
            take, outputs = zeros.take_others, zeros.others
        activation = layer.activation
        if isinstance(activation, Softmax):
            for node in layer.nodes:
                upstream = node.upstream if zeros is None else take(node.upstream)
                node.net_input = sum([c._weight * o for c, o in zip(upstream, outputs, strict=True)])
            for node, output in zip(layer.nodes, Softmax.layer_values(layer.net_inputs), strict=True):
                node.output = output
            continue
        assert activation is not None
        activate = activation.value
        for node in layer.nodes:
            upstream = node.upstream if zeros is None else take(node.upstream)
            net_input = sum([c._weight * o for c, o in zip(upstream, outputs, strict=True)])
            node.net_input = net_input
            node.output = activate(net_input)
    return found


#: Connections into a layer up to which the update leaves the weights from outputs of +0 alone
#: (:func:`_sparse_update`).  Beyond, the connections (Python objects, about 110 bytes each with
#: their floats) do not stay in the CPU's caches, and the weights that do change get new floats
#: wherever the allocator has room: sample after sample they scatter, and the forward sums, which
#: read them, slow down.  Updating every weight keeps them in memory order (each new float takes the
#: place of one just freed).  Measured over 7 repeated runs, per connection and sample: into 785·30
#: connections the sparse update is 1.06x faster; into 785·100 it starts 1.1x faster and ends 1.2x slower.
SPARSE_UPDATE_CONNECTIONS = 30_000


class Zeros:
    """The outputs of a layer that are exactly +0 (at least a quarter of them), and the others.

    An input pixel of 0 (most of an MNIST digit) or a ReLU that is off sends w·(+0) = ±0 up
    its connections.  Adding ±0 to a sum that starts from +0 leaves it the same number, bit
    for bit (x + ±0 = x for x ≠ 0, and +0 + ±0 = +0), so the net inputs are summed over the
    other terms alone, in their order; and the update of such a connection, w ← w − η·(δ·(+0)),
    leaves w as it is, except that η·(−0) turns a weight of −0 into +0, which is done.
    (A weight of inf or NaN would make the skipped term NaN: training never runs with one.)
    ``take_others(connections)`` picks the connections from the other outputs (for the sums);
    ``outputs`` keeps them all, in order (for the update, one pass in memory order).
    """

    __slots__ = ("others", "outputs", "take_others")

    def __init__(self, other: list[int], outputs: list[float]) -> None:
        self.take_others = itemgetter(*other)
        self.others = [outputs[i] for i in other]
        self.outputs = outputs

    @classmethod
    def of(cls, outputs: list[float]) -> Zeros | None:
        """The split of ``outputs``, or None when fewer than a quarter (or fewer than 2, or all but 1) are +0."""
        zero = [i for i, output in enumerate(outputs) if not output]
        if len(zero) < max(2, len(outputs) // 4) or len(zero) > len(outputs) - 2:
            return None
        if any(copysign(1.0, outputs[i]) < 0.0 for i in zero):  # −0 (rare): δ·(−0) has the other sign
            return None
        return cls([i for i, output in enumerate(outputs) if output], outputs)


def _dropout_forward(below: Layer, layer: Layer, mask: list[float] | None) -> None:
    """Net inputs and outputs of a dropout layer: o_j = f(net_j)·m_j/q, or f(net_j) without a mask."""
    outputs = _outputs_with_bias(below)
    assert layer.activation is not None
    activate = layer.activation.value
    keep = layer.keep
    for index, node in enumerate(layer.nodes):
        net_input = sum([c._weight * o for c, o in zip(node.upstream, outputs, strict=True)])
        node.net_input = net_input
        if mask is None:
            node.mask = None
            node.output = activate(net_input)
        else:
            m = node.mask = mask[index]
            node.output = activate(net_input) * (m / keep)


def _deltas_below(layer: Layer, below: Layer) -> None:
    """δ_i = f′(net_i)·Σ_k w_ki·δ_k (with dropout ·m_i/q) for every node i of the hidden layer ``below``."""
    deltas = [node.delta for node in layer.nodes]
    assert below.activation is not None
    derivative = below.activation.derivative
    if below.keep < 1.0:
        keep = below.keep
        for node in below.nodes:
            downstream_sum = sum([c._weight * d for c, d in zip(node.downstream, deltas, strict=True)])
            mask = node.mask
            if mask is None:
                node.delta = derivative(node.net_input) * downstream_sum
            else:
                node.delta = derivative(node.net_input) * (mask / keep) * downstream_sum
        return
    for node in below.nodes:
        node.delta = derivative(node.net_input) * sum(
            [c._weight * d for c, d in zip(node.downstream, deltas, strict=True)]
        )


def gradients(network: Network) -> None:
    """∂E/∂w_ji = δ_j·o_i + λ·w_ji on every connection (biases: δ_j + λ_b·b_j), from the current δ."""
    if owed:
        settle()
    l2, l2_bias = network.l2_term.coefficients(1)
    for below, layer in zip(network.layers, network.layers[1:], strict=False):
        outputs = [node.output for node in below.nodes]
        has_bias = below.bias is not None
        for node in layer.nodes:
            delta = node.delta
            if l2:
                for connection, output in zip(node.upstream, outputs, strict=False):
                    connection.gradient = delta * output + l2 * connection._weight
            else:
                for connection, output in zip(node.upstream, outputs, strict=False):
                    connection.gradient = delta * output
            if has_bias:
                bias = node.upstream[-1]
                bias.gradient = delta * 1.0 + l2_bias * bias._weight if l2_bias else delta * 1.0


def accumulate_gradients(network: Network, *, first: bool) -> None:
    """Gradient (=, or += after the first sample) δ_j·o_i on every connection; no L2 here."""
    layers = network.layers
    for below, layer in itertools.pairwise(layers):
        outputs = _outputs_with_bias(below)
        for node in layer.nodes:
            delta = node.delta
            if first:
                for connection, output in zip(node.upstream, outputs, strict=True):
                    connection.gradient = delta * output
            else:
                for connection, output in zip(node.upstream, outputs, strict=True):
                    connection.gradient += delta * output


def deltas(network: Network, target: Sequence[float]) -> None:
    """Every δ: the output layer's, then the hidden layers' from the top."""
    if owed:
        settle()
    for _ in output_delta_steps(network.layers, network.loss_function, target):
        pass
    layers = network.layers
    for index in range(len(layers) - 1, 1, -1):
        _deltas_below(layers[index], layers[index - 1])


def optimizer_update(network: Network, optimizer: Optimizer, rate: float) -> None:
    """Every connection by the optimizer's rule, its state on the connection (created at 0 if missing)."""
    if owed:
        settle()
    update = optimizer.update
    new_state = optimizer.new_state
    for layer in network.layers[1:]:
        for node in layer.nodes:
            for connection in node.upstream:
                state = connection._state
                if state is None:
                    state = connection._state = new_state()
                connection._weight = update(connection._weight, connection.gradient, state, rate)
    changed()


def sgd_update(network: Network, rate: float) -> None:
    """Plain SGD, w ← w − rate·∂E/∂w, on every connection."""
    if owed:
        settle()
    for layer in network.layers[1:]:
        for node in layer.nodes:
            for connection in node.upstream:
                connection._weight -= rate * connection.gradient
    changed()


def output_deltas_finite(network: Network) -> bool:
    """True when every output δ is finite (the divergence guard of :mod:`graphnet.tools.train`: K numbers)."""
    return all(map(isfinite, [node.delta for node in network.layers[-1].nodes]))


def train_step(
    network: Network, x: Sequence[float], target: Sequence[float], rate: float, masks: RowMasks | None = None
) -> bool:
    """One per-sample SGD step: forward, deltas, then per layer ∂E/∂w and w ← w − rate·∂E/∂w.

    Returns False, having changed no weight, when an output δ is NaN or inf (the divergence
    guard of :mod:`graphnet.tools.train`: K numbers per sample); True after the step.
    """
    found = _forward(network, x, masks)
    for _ in output_delta_steps(network.layers, network.loss_function, target):
        pass
    if not output_deltas_finite(network):
        return False
    layers = network.layers
    l2, l2_bias = network.l2_term.coefficients(1)
    for index in range(len(layers) - 1, 0, -1):
        layer, below = layers[index], layers[index - 1]
        if index > 1:
            _deltas_below(layer, below)  # uses the weights into ``layer`` before they change
        zeros = found[index - 1]
        if zeros is not None and not l2 and not l2_bias:
            _sparse_update(layer, zeros.outputs, rate)
            continue
        outputs = [node.output for node in below.nodes]
        has_bias = below.bias is not None
        for node in layer.nodes:
            delta = node.delta
            upstream = node.upstream
            if l2:
                for connection, output in zip(upstream, outputs, strict=False):
                    gradient = delta * output + l2 * connection._weight
                    connection.gradient = gradient
                    connection._weight -= rate * gradient
            else:
                for connection, output in zip(upstream, outputs, strict=False):
                    gradient = delta * output
                    connection.gradient = gradient
                    connection._weight -= rate * gradient
            if has_bias:
                bias = upstream[-1]
                gradient = delta * 1.0 + l2_bias * bias._weight if l2_bias else delta * 1.0
                bias.gradient = gradient
                bias._weight -= rate * gradient
    changed()
    return True


def _sparse_update(layer: Layer, outputs: list[float], rate: float) -> None:
    """Store gradient = δ_j·o_i and w_ji ← w_ji − rate·gradient on every connection into ``layer`` (no L2).

    ``outputs``: the o_i of the layer below, its bias node's 1 last, with no −0 among them
    (:class:`Zeros`).  From an output o_i = +0 the gradient is δ_j·(+0), one float for the
    node, and w_ji stays as it is: w − rate·(±0) = w, except that a step of −0 turns a
    weight of −0 into +0, which is done (see :class:`Zeros`).  One pass in memory order, so
    a new float is made only for the weights that change.
    """
    for node in layer.nodes:
        delta = node.delta
        upstream = node.upstream
        zero_gradient = delta * 0.0
        zero_step = rate * zero_gradient
        if not isfinite(zero_step):  # inf·0 is NaN: every weight from a zero output becomes NaN
            for connection, output in zip(upstream, outputs, strict=True):
                gradient = delta * output
                connection.gradient = gradient
                connection._weight -= rate * gradient
        elif copysign(1.0, zero_step) > 0.0:  # w − (+0) = w for every w, −0 included
            for connection, output in zip(upstream, outputs, strict=True):
                if output:
                    gradient = delta * output
                    connection.gradient = gradient
                    connection._weight -= rate * gradient
                else:
                    connection.gradient = zero_gradient
        else:  # w − (−0) = w + (+0): a weight of −0 becomes +0
            for connection, output in zip(upstream, outputs, strict=True):
                if output:
                    gradient = delta * output
                    connection.gradient = gradient
                    connection._weight -= rate * gradient
                else:
                    connection.gradient = zero_gradient
                    if not connection._weight:
                        connection._weight -= zero_step


def train_batch(
    network: Network,
    inputs: NDArray[np.floating],
    targets: NDArray[np.floating],
    rate: float,
    scale: float,
    masks: Masks | None = None,
) -> int | None:
    """One update from one batch by the network's optimizer: ``Network.train_batch``."""
    if not all_finite(inputs):
        raise BadInputs
    optimizer = network.optimizer
    if len(inputs) == 1:
        x, t, row = inputs[0].tolist(), targets[0].tolist(), mask_rows(masks, 0)
        if type(optimizer) is SGD:
            return None if train_step(network, x, t, rate, row) else 0
        forward(network, x, row)
        deltas(network, t)
        if not output_deltas_finite(network):
            return 0
        gradients(network)
    else:
        bad = accumulate_batch(network, inputs, targets, scale, masks)
        if bad is not None:
            return bad
    if type(optimizer) is SGD:
        sgd_update(network, rate)
    else:
        optimizer_update(network, optimizer, rate)
    return None


def accumulate_batch(
    network: Network,
    inputs: NDArray[np.floating],
    targets: NDArray[np.floating],
    scale: float,
    masks: Masks | None = None,
) -> int | None:
    """Gradient = scale·Σ_samples δ_j·o_i + λ·w_ji (biases: λ_b·b_j) on every connection (masks: row r for sample r).

    Stops at, and returns the row of, the first sample whose output δ is NaN or inf (the
    divergence guard: K numbers per sample); returns None when every sample is finite.
    """
    output_nodes = network.layers[-1].nodes
    for number, (x, t) in enumerate(zip(inputs.tolist(), targets.tolist(), strict=True)):
        forward(network, x, mask_rows(masks, number))
        deltas(network, t)
        if not all(isfinite(node.delta) for node in output_nodes):
            return number
        accumulate_gradients(network, first=number == 0)
    l2, l2_bias = network.l2_term.coefficients(len(inputs))
    for connection in network.connections:
        connection.gradient = connection.gradient * scale + (l2_bias if connection.is_bias else l2) * connection.weight
    return None
