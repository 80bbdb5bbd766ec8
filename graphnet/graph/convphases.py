"""The phases of a training step of a convolutional graph network, as generators of steps.

Input, forward, output δ and hidden δ are the dense phases of :mod:`graphnet.graph.phases`
unchanged (conv nodes are plain nodes, pooling nodes identity nodes, see
:mod:`graphnet.graph.conv`).  The gradient and the update differ, because a conv layer's
parameters are shared:

5. ``gradient``: layer by layer, bottom to top.  A conv layer: for each shared parameter
   (K[m, c, u, v] in order, then b[m]), first one ``gradient`` step per connection sharing
   it (its contribution δ_j·o_i), then one ``shared_gradient`` step summing them:
   ∂E/∂K = Σ δ_j·o_i (+ λ·K).  A dense layer: ∂E/∂w_ji = δ_j·o_i (+ λ·w_ji) per connection.
6. ``update``: each parameter once, in the same order (a shared weight once, not once per
   connection); the optimizer counts the update before the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from graphnet.graph.conv import SharedWeight
from graphnet.graph.layer import Layer
from graphnet.graph.objects import Connection
from graphnet.graph.phases import Step
from graphnet.math.optimizers import Optimizer

Parameter = SharedWeight | Connection


class ParameterLayers(Protocol):
    """What the phases need of the network: its layers and, per layer, its parameters in order."""

    layers: list[Layer]
    l2: float

    def layer_parameters(self, index: int) -> Sequence[Parameter]:
        """The parameters of layer ``index`` in order (empty for input and pooling layers)."""


def gradient_steps(network: ParameterLayers) -> Iterator[Step]:
    """The contributions δ_j·o_i and each shared parameter's sum; dense connections as usual."""
    l2 = network.l2
    for layer in network.layers[1:]:
        for parameter in network.layer_parameters(layer.index):
            if isinstance(parameter, SharedWeight):
                for connection in parameter.connections:
                    yield "gradient", connection
                    connection.compute_contribution()
                yield "gradient", parameter
                parameter.collect_gradient(0.0 if parameter.is_bias else l2)
            else:
                yield "gradient", parameter
                parameter.compute_gradient(0.0 if parameter.is_bias else l2)


def update_steps(network: ParameterLayers, optimizer: Optimizer, rate: float) -> Iterator[Step]:
    """The optimizer's rule (SGD: p ← p − η·∂E/∂p) once for every parameter, shared ones once."""
    step_rate = optimizer.begin_update(rate)
    for layer in network.layers[1:]:
        for parameter in network.layer_parameters(layer.index):
            yield "update", parameter
            parameter.update(step_rate, optimizer)
