"""The plain-text dump of a conv network: its shared weights with their gradients, then every node.

Like the dense dump (:func:`graphnet.views.render.dump_network`, whose node format it
uses): after ``net.forward(x)`` and ``net.backward(t)`` every node shows its output and δ
and every connection its weight and its own gradient, which for a kernel connection is its
share δ_j·o_i of the shared weight's gradient.  Each conv layer first lists its shared
weights: value, ∂E/∂K (the sum of the shares) and how many connections share it.
"""

from __future__ import annotations

from graphnet.common import display
from graphnet.graph.conv import SharedWeight
from graphnet.graph.convnet import ConvNetwork
from graphnet.graph.objects import ConstNode, Node
from graphnet.math.errors import IncompatibleError
from graphnet.views.render import dump_node


def dump_shared_weight(parameter: SharedWeight) -> str:
    """``K1[0,0,1,1] = 0.123400  ∂E/∂K: 0.0123  (4 connections)``."""
    return (
        f"{parameter.label} = {parameter.weight:f}  ∂E/∂{parameter.label[0]}: {parameter.gradient:.6g}  "
        f"({len(parameter.connections)} connections)"
    )


@display.text.register(ConvNetwork)
def dump_conv_network(network: ConvNetwork, *, names: str = "graph") -> str:
    """The whole conv network, layer by layer: shared weights first, then node by node (bias nodes last)."""
    if names != "graph":
        raise IncompatibleError(f"a conv network's dump has graph names only; got names={names!r}")
    blocks = [repr(network)]
    optimizer = network.optimizer
    if repr(optimizer) != "SGD()":
        blocks.append(f"optimizer: {optimizer!r}, t = {optimizer.step_count}, epochs = {optimizer.epoch_count}")
    for layer, plan in zip(network.layers, network.plans, strict=True):
        blocks.append(f"layer {layer.index} ({plan.describe() if plan.index else 'input'}):")
        if plan.kind == "conv":
            kernel, biases = network.kernels[plan.index]
            blocks.append("    shared weights:")
            blocks.extend("        " + dump_shared_weight(p) for p in [*kernel.ravel().tolist(), *biases])
        nodes: list[Node | ConstNode] = list(layer.nodes)
        if layer.bias is not None:
            nodes.append(layer.bias)
        blocks.extend(dump_node(node) for node in nodes)
    return "\n".join(blocks)
