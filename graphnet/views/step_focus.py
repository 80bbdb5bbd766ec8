"""What the player shows around a step: the elements the step uses, the dropped nodes, E after the step.

* A net input (``forward``, ``net_input``) uses its incoming connections and the nodes below;
  a hidden delta uses its downstream connections and the deltas above (Σ_k w_kj·δ_k); an
  output delta uses the target beside its node; a gradient uses its two ends (the player
  marks those as *endpoints*), an update its own connection only.
* E after the step is the loss of the same sample, under the same dropout masks, computed
  by a forward pass on a replica of the updated network (the network itself is not touched);
  :func:`keep_biases` gives the E of a weights-only update (the classic walk-through's).

Examples
--------
>>> from graphnet import Network
>>> net = Network([2, 2, 1], seed=0)
>>> uses("forward", net.node(1, 0), lambda n: f"node-{n.label}", lambda c: "conn")
('conn', 'node-0-0', 'node-0-1', 'node-0-2')
>>> dropped_labels(net, [[1.0, 0.0], None])
['1-1']
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from graphnet.graph.conv import SharedWeight
from graphnet.graph.convnet import ConvNetwork
from graphnet.graph.network import Network
from graphnet.graph.objects import Connection, ConstNode, Node
from graphnet.math.dropout import MasksLike
from graphnet.tools.stepper import Snapshot, restore_state

NodeLike = Node | ConstNode


def uses(
    phase: str,
    current: Node | Connection | SharedWeight,
    node_element: Callable[[NodeLike], str],
    connection_element: Callable[[Connection], str],
) -> tuple[str, ...]:
    """The SVG ids of the elements a step of ``phase`` on ``current`` reads (besides itself), in order, once each."""
    found: list[str] = []
    if isinstance(current, Node):
        if phase in ("forward", "net_input"):
            found = [connection_element(c) for c in current.upstream] + [
                node_element(c.upstream) for c in current.upstream
            ]
        elif phase == "hidden_delta":
            found = [connection_element(c) for c in current.downstream]
            found += [node_element(c.downstream) for c in current.downstream]
        elif phase == "output_delta":
            found = [f"target-{current.label}"]
    if isinstance(current, SharedWeight):  # a conv net's shared weight: every connection sharing it
        found = [connection_element(c) for c in current.connections]
        return tuple(dict.fromkeys(found))
    own = node_element(current) if isinstance(current, Node) else connection_element(current)
    return tuple(element for element in dict.fromkeys(found) if element != own)


def dropped_labels(network: Network, masks: Sequence[Sequence[float] | None] | None) -> list[str]:
    """Labels of the nodes one sample's masks (one list per non-input layer, or None) drop."""
    if masks is None:
        return []
    return [
        f"{layer}-{index}"
        for layer, row in enumerate(masks, start=1)
        if row is not None
        for index, mask in enumerate(row)
        if mask == 0.0
    ]


def loss_after(
    twin: Network,
    x: Sequence[float],
    target: Sequence[float],
    masks: MasksLike | None,
    loss: Callable[[Network], float],
) -> float:
    """E of the sample on ``twin`` (a replica holding the updated weights): forward under ``masks``, then ``loss``."""
    twin.forward(list(x), masks=masks)
    return loss(twin)


def keep_biases(twin: Network, state: Snapshot, weights: Sequence[float]) -> Network:
    """``twin`` restored to ``state``, then every bias weight set back to ``weights`` (one per connection, in order).

    E of the result is what the step would give had it updated the weights only, as the classic
    worked example (2-2-2, biases .35/.60 held fixed) does.
    """
    restore_state(twin, state)
    for connection, weight in zip(twin.connections, weights, strict=True):
        if isinstance(connection.upstream, ConstNode):
            connection.weight = weight
    return twin


def replica(network: Network) -> Network:
    """A new network of the same structure, activations, loss, bias, λ and dropout (its own weights).

    Its optimizer is a copy of ``network``'s, with the same settings and counts.  (A conv
    network's replica holds its parameters too: :meth:`ConvNetwork.replica`.)
    """
    if isinstance(network, ConvNetwork):
        return network.replica()  # type: ignore[return-value]
    twin = Network(
        network.sizes,
        activation=network.activations,
        loss=network.loss_function,
        bias=network.bias,
        l2=network.l2,
        dropout=network.dropout,
        seed=0,
    )
    twin.optimizer = copy.deepcopy(network.optimizer)
    return twin
