"""The phases of one training step as generators of steps, in the documented order.

Each generator *announces* a step, ``(phase, object)``, and then performs it by calling
that object's own method.  ``Network.update`` runs :func:`update_steps` to the end; the
stepper (:mod:`graphnet.tools.stepper`) runs all six one step at a time, so what a learner
steps through is what training computes (the fused loops of :mod:`graphnet.graph.fused`
compute the same numbers in the same order, only faster).

1. ``input``:        o_i = x_i for each input node i
2. ``forward``:      net_j = Σ_i w_ji·o_i, o_j = f(net_j), layer 1 … L, node 0 … n−1
   (a softmax layer: ``net_input`` for every node, then ``output`` for every node;
   a dropout layer in training: o_j = f(net_j)·m_j/q)
3. ``output_delta``: δ_j of each output node
4. ``hidden_delta``: δ_j = f′(net_j)·Σ_k w_kj·δ_k, layers L−1 … 1 (dropout: ·m_j/q)
5. ``gradient``:     ∂E/∂w_ji = δ_j·o_i (+ λ·w_ji), layers 1 … L, node j, source i, bias last
6. ``update``:       w_ji ← w_ji − rate·∂E/∂w_ji, same order (or the network's optimizer's
   rule, e.g. Adam's; the optimizer counts the update once before the first connection)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphnet.common.checks import check_differentiable
from graphnet.graph.layer import Connections, Layer
from graphnet.math.activations import Softmax
from graphnet.math.losses import Loss
from graphnet.math.optimizers import Optimizer

Step = tuple[str, Any]
#: One sample's dropout masks: per non-input layer, its m_j (or None: nothing dropped).
RowMasks = Sequence[list[float] | None]


def input_steps(layers: Sequence[Layer], x: Sequence[float]) -> Iterator[Step]:
    """o_i = x_i for each input node, one step each."""
    for node, value in zip(layers[0].nodes, x, strict=True):
        yield "input", node
        node.set_input(value)


def forward_steps(layers: Sequence[Layer], masks: RowMasks | None = None) -> Iterator[Step]:
    """net_j and o_j of every node, layer 1 … L (softmax: all nets first).

    ``masks``: one sample's dropout masks (training); without, no node is masked.
    """
    for number, layer in enumerate(layers[1:]):
        if isinstance(layer.activation, Softmax):
            for node in layer.nodes:
                yield "net_input", node
                node.compute_net_input()
            outputs = Softmax.layer_values(layer.net_inputs)
            for node, output in zip(layer.nodes, outputs, strict=True):
                yield "output", node
                node.output = output
            continue
        mask = masks[number] if masks is not None and layer.keep < 1.0 else None
        for index, node in enumerate(layer.nodes):
            yield "forward", node
            if layer.keep < 1.0:
                node.mask = None if mask is None else mask[index]
            node.compute_net_input()
            node.compute_output()


def output_delta_steps(layers: Sequence[Layer], loss: Loss, target: Sequence[float]) -> Iterator[Step]:
    """δ of every output node."""
    check_differentiable([layer.activation for layer in layers[1:] if layer.activation is not None])
    output_layer = layers[-1]
    n_outputs = output_layer.size
    if isinstance(output_layer.activation, Softmax) and loss.canonical_activation is None:
        # E depends on every output, and every output on every net input: δ = Jᵀ·g
        output_gradients = [
            loss.output_gradient(node.output, t, n_outputs) for node, t in zip(output_layer.nodes, target, strict=True)
        ]
        weighted_gradient = sum(node.output * g for node, g in zip(output_layer.nodes, output_gradients, strict=True))
        for node, gradient in zip(output_layer.nodes, output_gradients, strict=True):
            yield "output_delta", node
            node.compute_softmax_delta(gradient, weighted_gradient)
    else:
        for node, t in zip(output_layer.nodes, target, strict=True):
            yield "output_delta", node
            node.compute_output_delta(t, loss, n_outputs)


def hidden_delta_steps(layers: Sequence[Layer]) -> Iterator[Step]:
    """δ of every hidden node, layers L−1 … 1."""
    for layer in reversed(layers[1:-1]):
        for node in layer.nodes:
            yield "hidden_delta", node
            node.compute_hidden_delta()


def gradient_steps(connections: Connections, l2: float, l2_bias: float = 0.0) -> Iterator[Step]:
    """∂E/∂w_ji = δ_j·o_i + λ·w_ji for every connection (biases: δ_j + λ_b·b_j, λ_b = ``l2_bias``)."""
    for connection in connections:
        yield "gradient", connection
        connection.compute_gradient(l2_bias if connection.is_bias else l2)


def update_steps(connections: Connections, optimizer: Optimizer, rate: float) -> Iterator[Step]:
    """The optimizer's rule (plain SGD: w_ji ← w_ji − η·∂E/∂w_ji) for every connection.

    The optimizer first counts the update and turns ``rate`` into this update's η.
    """
    step_rate = optimizer.begin_update(rate)
    for connection in connections:
        yield "update", connection
        connection.update(step_rate, optimizer)
