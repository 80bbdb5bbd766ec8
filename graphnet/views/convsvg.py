"""A small conv network as an SVG drawing, every connection drawn, a shared weight's connections marked together.

The same picture language as :mod:`graphnet.views.svg` (one column per layer, grey nodes
by output, blue/red lines by the sign of w, width by |w|) and the same element ids
(``node-1-3``, ``conn-0-4-1-3``), so the HTML player (:mod:`graphnet.views.player`) plays
a conv net's training step on it.  Each kernel connection carries ``data-shared`` (the
shared weight's label, e.g. ``K1[0,0,1,1]``) and the class ``kernel``; pooling connections
the class ``pool`` (dashed).  ``highlight="K1[0,0,1,1]"`` draws every connection sharing
that weight in orange, thick, on top: one weight, all the positions it touches.

Every node is drawn, so only small nets fit (each layer at most ``max_nodes`` nodes);
a larger one is refused with a clear error.
"""

from __future__ import annotations

from html import escape
from typing import Any

from graphnet.common import display
from graphnet.graph.conv import KernelConnection, PoolConnection, SharedWeight
from graphnet.graph.convnet import ConvNetwork
from graphnet.graph.objects import Connection
from graphnet.math.errors import IncompatibleError
from graphnet.views.graph_labels import connection_tooltip, format_value, node_tooltip
from graphnet.views.svg import RADIUS, Layout, Slot, layout, node_fill, stroke, weight_scale

__all__ = [
    "MAX_CONV_NODES",
    "SharedWeight",
    "conv_network_svg",
    "is_conv",
    "shared_weight_changes",
    "shared_weight_step",
]

#: The most nodes a layer of a drawn conv net may have (each node is drawn).
MAX_CONV_NODES = 40
HIGHLIGHT = "#f59e0b"
STYLE = (
    ".conn.pool{stroke-dasharray:3 2}.conn.shared{stroke:" + HIGHLIGHT + ";opacity:1}"
    "text{font-size:10px}.header{font-size:11px;fill:#374151}"
    ".current{stroke:#111827;stroke-width:3}.used{opacity:1;stroke-width:2.5}"
)


@display.svg.register(ConvNetwork)
def conv_network_svg(
    network: Any,
    *,
    max_nodes: int = MAX_CONV_NODES,
    highlight: str | None = None,
    outputs: tuple[float, float] | None = None,
    scale: float | None = None,
    **_unused: Any,
) -> str:
    """The network as an SVG string; ``highlight``: the label of a shared weight whose connections stand out.

    ``outputs`` (low, high) and ``scale`` (the largest |w|) set the colour scales as in
    :func:`graphnet.views.svg.network_svg`, whose other options it accepts and ignores
    (values, names and targets are not printed on a conv net's picture).
    """
    max_nodes = max(max_nodes, MAX_CONV_NODES)
    largest = max(layer.size for layer in network.layers)
    if largest > max_nodes:
        raise IncompatibleError(
            f"a conv net is drawn node by node: at most {max_nodes} nodes per layer; this one has {largest} "
            "(step the big net in the terminal: net.stepper(x, t))"
        )
    shared = _shared(network, highlight)
    plan = layout(network, max_nodes=max_nodes)  # duck-typed: it reads layers, sizes and bias nodes
    scale = scale if scale is not None and scale > 0 else weight_scale(network)  # type: ignore[arg-type]  # duck-typed: layers, connections
    low, high = outputs if outputs is not None else (0.0, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphnet-network conv" width="{plan.width:g}" '
        f'height="{plan.height:g}" viewBox="0 0 {plan.width:g} {plan.height:g}" '
        'font-family="Helvetica, Arial, sans-serif" role="img">',
        f"<title>{escape(repr(network))}</title><style>{STYLE}</style>",
        '<g class="connections">',
    ]
    on_top: list[str] = []
    slots = {slot.key: slot for column in plan.columns for slot in column}
    for layer in network.layers[1:]:
        for node in layer.nodes:
            for c in node.upstream:
                line = _line(c, plan, slots, scale, shared)
                (on_top if shared and isinstance(c, KernelConnection) and c.parameter is shared else parts).append(line)
    parts.extend(on_top)
    parts.append('</g><g class="nodes">')
    for layer, plan_layer in zip(network.layers, network.plans, strict=True):
        x = plan.x[layer.index]
        parts.append(f'<text class="header" x="{x:g}" y="30" text-anchor="middle">{escape(_header(plan_layer))}</text>')
        for slot in plan.columns[layer.index]:
            if slot.kind == "bias":
                parts.append(_bias(slot.key, x, slot.y))
                continue
            node = layer.nodes[slot.indices[0]]
            fill, ink = node_fill(node.output, low, high)
            tip = node_tooltip(
                node.label, node.net_input, node.output, node.delta, dropped=False, input_node=layer.index == 0
            )
            parts.append(
                f'<g id="node-{slot.key}" class="node" data-label="{node.label}" data-name="{node.label}">'
                f"<title>{escape(tip)}</title>"
                f'<circle cx="{x:g}" cy="{slot.y:g}" r="{RADIUS * 0.7:g}" fill="{fill}"/>'
                f'<text class="label" x="{x:g}" y="{slot.y - 1:g}" text-anchor="middle" fill="{ink}">'
                f"{node.label}</text>"
                f'<text class="value" x="{x:g}" y="{slot.y + 9:g}" text-anchor="middle" fill="{ink}">'
                f"{escape(format_value(node.output))}</text></g>"
            )
    parts.append("</g></svg>")
    return "".join(parts)


def _shared(network: ConvNetwork, highlight: str | None) -> SharedWeight | None:
    if highlight is None:
        return None
    for parameter in network.parameters:
        if isinstance(parameter, SharedWeight) and parameter.label == highlight:
            return parameter
    known = [p.label for p in network.parameters if isinstance(p, SharedWeight)]
    raise IncompatibleError(f"highlight must name a shared weight such as {known[0]!r}; got {highlight!r}")


def _header(plan: object) -> str:
    describe = getattr(plan, "describe", None)
    return "input" if getattr(plan, "kind", "") == "input" else str(describe() if describe else plan)


def _line(c: Connection, plan: Layout, slots: dict[str, Slot], scale: float, shared: SharedWeight | None) -> str:
    up, down = c.upstream, c.downstream
    up_key, down_key = plan.slot_key(up.layer_index, up.node_index), plan.slot_key(down.layer_index, down.node_index)
    x1, x2 = plan.x[up.layer_index], plan.x[down.layer_index]
    weight = float(c.weight)
    colour, width = stroke(weight, scale)
    classes, data = "conn", ""
    tip = connection_tooltip(c.label, weight, float(c.gradient))
    if isinstance(c, KernelConnection):
        classes += " kernel" + (" shared" if c.parameter is shared else "")
        data = f' data-shared="{escape(c.parameter.label)}"'
        tip += f"\nshares {c.parameter.label} with {len(c.parameter.connections) - 1} other connections"
        if c.parameter is shared:
            colour, width = HIGHLIGHT, max(width, 3.0)
    elif isinstance(c, PoolConnection):
        classes += " pool"
        tip += "\npooling: a fixed weight, not a parameter"
    return (
        f'<line id="conn-{up_key}-{down_key}" class="{classes}"{data} x1="{x1:g}" y1="{slots[up_key].y:g}" '
        f'x2="{x2:g}" y2="{slots[down_key].y:g}" stroke="{colour}" stroke-width="{width:g}">'
        f"<title>{escape(tip)}</title></line>"
    )


def _bias(key: str, x: float, y: float) -> str:
    side = RADIUS * 1.2
    return (
        f'<g id="node-{key}" class="node bias" data-label="{key}" data-name="{key}"><title>bias node {key}: output 1'
        f'</title><rect class="bias" x="{x - side / 2:g}" y="{y - side / 2:g}" width="{side:g}" height="{side:g}" '
        f'rx="3" fill="#fde68a"/><text class="label" x="{x:g}" y="{y - 1:g}" text-anchor="middle">{key}</text>'
        f'<text class="value" x="{x:g}" y="{y + 9:g}" text-anchor="middle">1</text></g>'
    )


def is_conv(network: object) -> bool:
    """True for a :class:`ConvNetwork` (the player draws it with :func:`conv_network_svg`)."""
    return isinstance(network, ConvNetwork)


def shared_weight_step(
    parameter: SharedWeight, connection_number: dict[Connection, int]
) -> tuple[str, int, str, tuple[str, ...]]:
    """How the player records a step of a shared weight: (kind, target, element, endpoints).

    The step concerns every connection sharing the weight (the player marks them all, see
    :func:`graphnet.views.step_focus.uses`); the first one stands for it.
    """
    first = parameter.connections[0]
    up, down = first.upstream, first.downstream
    element = f"conn-{up.layer_index}-{up.node_index}-{down.layer_index}-{down.node_index}"
    return "connection", connection_number[first], element, ()


def shared_weight_changes(
    current: object, phase: str, changes: tuple[Any, ...], connection_number: dict[Connection, int], change: Any
) -> tuple[Any, ...]:
    """``changes`` of a step, unless it is a shared weight's: its update changes every connection's weight.

    (The sum of its gradient changes no connection: each keeps its own share.)  ``change``
    builds one change from (field, index, before, after).
    """
    if not isinstance(current, SharedWeight):
        return changes
    if phase != "update":
        return ()
    before = changes[0].before
    return tuple(change("weight", connection_number[c], before, current.weight) for c in current.connections)
