"""The graph's hot loops: the same per-node formulas, fused into fewer passes.

The readable reference is the phase generators of :mod:`graphnet.graph.phases`,
which call one method per node or connection (``compute_net_input``, ``compute_output_delta``,
``compute_hidden_delta``, ``compute_gradient``, ``update``) and which the stepper walks.  The
functions here compute *exactly the same numbers* — the same products, summed in the same
order with the same ``sum`` — but read and write the connections' plain-float slots
(``_weight``, ``_state``: the storage behind the ``weight`` and ``state`` properties) in
C-level ``map`` calls and one fused loop per node.  So each function that reads them
settles first, and each that writes them records one change, as the properties would (see
:mod:`graphnet.common.sync`).  A property test holds them to bit
identity with the reference on random networks.

What is fused, per training sample:

1. forward: ``net_j = sum(map(mul, weights_j, outputs_below))`` with the layer below's
   outputs collected once (the bias node contributes 1);
2. output deltas: the nodes' own ``compute_output_delta`` (a few nodes);
3. for each layer from the top: the deltas of the layer below,
   ``δ_i = f′(net_i)·Σ_k w_ki·δ_k``, computed *before* the weights into this layer
   change, then one pass over each node's upstream connections that stores
   ``gradient = δ_j·o_i (+ λ·w_ji)`` and updates ``w_ji ← w_ji − rate·gradient``.

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
from math import isfinite
from operator import attrgetter, mul
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

weight_of = attrgetter("_weight")


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
    if owed:
        settle()
    network.node_values = "graph"
    layers = network.layers
    for node, value in zip(layers[0].nodes, x, strict=True):
        node.output = value
    for number, (below, layer) in enumerate(itertools.pairwise(layers)):
        if layer.keep < 1.0:
            _dropout_forward(below, layer, None if masks is None else masks[number])
            continue
        outputs = _outputs_with_bias(below)
        activation = layer.activation
        if isinstance(activation, Softmax):
            for node in layer.nodes:
                node.net_input = sum(map(mul, map(weight_of, node.upstream), outputs))
            for node, output in zip(layer.nodes, Softmax.layer_values(layer.net_inputs), strict=True):
                node.output = output
            continue
        assert activation is not None
        activate = activation.value
        for node in layer.nodes:
            net_input = sum(map(mul, map(weight_of, node.upstream), outputs))
            node.net_input = net_input
            node.output = activate(net_input)


def _dropout_forward(below: Layer, layer: Layer, mask: list[float] | None) -> None:
    """Net inputs and outputs of a dropout layer: o_j = f(net_j)·m_j/q, or f(net_j) without a mask."""
    outputs = _outputs_with_bias(below)
    assert layer.activation is not None
    activate = layer.activation.value
    keep = layer.keep
    for index, node in enumerate(layer.nodes):
        net_input = sum(map(mul, map(weight_of, node.upstream), outputs))
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
            downstream_sum = sum(map(mul, map(weight_of, node.downstream), deltas))
            mask = node.mask
            if mask is None:
                node.delta = derivative(node.net_input) * downstream_sum
            else:
                node.delta = derivative(node.net_input) * (mask / keep) * downstream_sum
        return
    for node in below.nodes:
        node.delta = derivative(node.net_input) * sum(map(mul, map(weight_of, node.downstream), deltas))


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
    forward(network, x, masks)
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
