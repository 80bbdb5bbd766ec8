"""The network as a picture: an SVG drawing with no dependency beyond the standard library.

Layers are columns of neurons, input on the left.  Each neuron is a circle labelled
``layer-node`` and filled by its output (white for the lowest output, dark for the
highest); the bias node of a layer is an amber square at the bottom of its column.
Connections are lines, blue for a positive weight and red for a negative one, thicker for
a larger |w|.  Hovering over a neuron shows its net input, output and δ; hovering over a
connection shows w and ∂E/∂w, and the optimizer's state when it keeps one (momentum's v,
Adam's m and v; SVG ``<title>`` tooltips).  A node that dropout dropped for the last
training sample (``node.dropped``) is drawn faded with a dashed outline, and its tooltip
gives m/q.

Large layers stay legible: a layer with more than ``max_nodes`` nodes shows only its first
and last few nodes and a "… 776 more" marker between them, and the connections to or from
the hidden nodes are *aggregated*: one dashed line per pair of drawn groups, coloured by the
sign of the mean weight, its width set by the mean |w|, its tooltip giving the count.

Every element has an id the browser player (:mod:`graphnet.views.player`) uses to highlight it:

* ``node-1-2`` for node 1-2 (also for a bias node, whose label is ``layer-size``),
  ``node-0-more`` for the marker that stands for the hidden nodes of layer 0;
* ``conn-0-1-1-2`` for the connection (0-1) -> (1-2), and ``conn-0-more-1-2`` for the
  aggregated line from the hidden nodes of layer 0 to node 1-2.

What this module leaves out: animation and interaction (the player adds them with a few
lines of JavaScript), and any styling beyond an inline ``<style>`` block.

Examples
--------
>>> from graphnet import Network
>>> net = Network([3, 4, 2], seed=0)
>>> svg = net.to_svg()
>>> svg.startswith("<svg") and svg.count("<circle") == 3 + 4 + 2
True
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from graphnet.common import display
from graphnet.graph.layer import Layer
from graphnet.graph.names import connection_names, node_names
from graphnet.graph.network import Network
from graphnet.math.errors import IncompatibleError
from graphnet.math.numbers import check_digits, format_number
from graphnet.math.validation import check_count
from graphnet.views.graph_labels import (
    EDGE_LABEL_LIMIT,
    LABEL_STYLE,
    Geometry,
    NodeValues,
    check_show,
    computed_values,
    connection_tooltip,
    cross,
    edge_label,
    geometry,
    loss_elements,
    node_tooltip,
    place_labels,
    sample_loss,
)

#: The attribute of a dropped node and of its connections.
DROPPED_MARK = ' data-dropped="true"'
#: Layers with more nodes than this are collapsed to their first and last few nodes.
MAX_NODES = 10
#: Colour of a connection with a positive, negative and zero weight.
POSITIVE, NEGATIVE, ZERO = "#2563eb", "#dc2626", "#9ca3af"
#: Stroke width of a connection with |w| = 0 and with the largest |w| drawn.
THIN, THICK = 0.6, 4.0
#: Geometry, in SVG user units (pixels at 100 %).
RADIUS, ROW, COLUMN, MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 20, 54, 170, 70, 56, 64

STYLE = """
.conn { stroke-linecap: round; opacity: 0.7; }
.conn.agg { stroke-dasharray: 5 4; opacity: 0.55; }
.node circle, .node rect { stroke: #374151; stroke-width: 1.2; }
.node text { pointer-events: none; }
.node:hover circle, .node:hover rect, .conn:hover { stroke-width: 3; opacity: 1; }
.node.dropped { opacity: 0.45; }
.node.dropped circle { stroke-dasharray: 3 3; }
.more text { fill: #4b5563; font-style: italic; }
.label { font-size: 10px; font-weight: 600; }
.value { font-size: 8.5px; }
.header { font-size: 12px; font-weight: 600; fill: #111827; }
.legend { font-size: 11px; fill: #4b5563; }
"""


# ---------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Slot:
    """One drawn place in a column: a node, the marker for hidden nodes, or the bias node.

    Attributes
    ----------
    key : str
        ``1-2`` for a node (or the bias node), ``1-more`` for the marker.
    kind : {"node", "more", "bias"}
    indices : tuple of int
        The node indices the slot stands for (the bias node's index is the layer size).
    y : float
        Vertical centre.
    """

    key: str
    kind: str
    indices: tuple[int, ...]
    y: float


@dataclass(frozen=True)
class Layout:
    """Where every layer, node and marker of a network is drawn.

    Attributes
    ----------
    columns : list of list of Slot
        One list per layer, top to bottom.
    keys : list of dict
        Per layer, node index (the bias node's is the layer size) → key of its slot.
    x : list of float
        Horizontal centre of each layer's column.
    width, height : float
        Size of the whole drawing.
    """

    columns: list[list[Slot]]
    keys: list[dict[int, str]]
    x: list[float]
    width: float
    height: float

    def slot_key(self, layer: int, index: int) -> str:
        """The key of the slot that draws node ``layer-index``: its own, or the marker's."""
        return self.keys[layer][index]


def collapse(size: int, *, max_nodes: int = MAX_NODES) -> tuple[list[int], int]:
    """The node indices drawn for a layer of ``size`` nodes, and how many are hidden.

    A layer of at most ``max_nodes`` nodes is drawn whole; a larger one shows its first and
    last ``(max_nodes − 1) // 2`` nodes.

    Examples
    --------
    >>> collapse(4)
    ([0, 1, 2, 3], 0)
    >>> shown, hidden = collapse(784)
    >>> shown, hidden
    ([0, 1, 2, 3, 780, 781, 782, 783], 776)
    """
    if size <= max_nodes:
        return list(range(size)), 0
    ends = (max_nodes - 1) // 2
    return [*range(ends), *range(size - ends, size)], size - 2 * ends


def layout(network: Network, *, max_nodes: int = MAX_NODES, sizes: Geometry | None = None) -> Layout:
    """Compute the columns and rows of the drawing; see :func:`network_svg` (``sizes``: row, column, margin)."""
    row, column_width = (ROW, COLUMN) if sizes is None else (sizes.row, sizes.column)
    right = 0.0 if sizes is None else sizes.right
    max_nodes = check_count(max_nodes, name="max_nodes", minimum=3)
    raw_columns: list[list[tuple[str, str, tuple[int, ...]]]] = []
    for layer in network.layers:
        shown, hidden = collapse(layer.size, max_nodes=max_nodes)
        column: list[tuple[str, str, tuple[int, ...]]] = []
        for position, index in enumerate(shown):
            if hidden and position == len(shown) // 2:
                hidden_indices = tuple(range(shown[position - 1] + 1, index))
                column.append((f"{layer.index}-more", "more", hidden_indices))
            column.append((f"{layer.index}-{index}", "node", (index,)))
        if layer.bias is not None:
            column.append((layer.bias.label, "bias", (layer.size,)))
        raw_columns.append(column)
    rows = max(len(column) for column in raw_columns)
    body = rows * row
    columns = []
    for column in raw_columns:
        top = MARGIN_TOP + (body - len(column) * row) / 2 + row / 2
        columns.append([Slot(key, kind, indices, top + n * row) for n, (key, kind, indices) in enumerate(column)])
    x = [float(MARGIN_X + index * column_width) for index in range(len(network.layers))]
    width = 2 * MARGIN_X + (len(network.layers) - 1) * column_width + right
    keys = [{index: slot.key for slot in column for index in slot.indices} for column in columns]
    return Layout(columns, keys, x, float(max(width, 420)), float(MARGIN_TOP + body + MARGIN_BOTTOM))


# ---------------------------------------------------------------------------- colours
def output_range(network: Network) -> tuple[float, float]:
    """The outputs the grey scale spans: [min(0, lowest output), max(1, highest output)]."""
    outputs = [node.output for layer in network.layers for node in layer.nodes]
    return min(0.0, *outputs), max(1.0, *outputs)


def weight_scale(network: Network) -> float:
    """The largest |w| of the network (1 when every weight is 0): the thickest line."""
    largest = max((abs(c.weight) for c in network.connections), default=0.0)
    return largest if largest > 0 and math.isfinite(largest) else 1.0


def node_fill(output: float, low: float, high: float) -> tuple[str, str]:
    """Fill and text colour of a node: white for ``low``, dark grey for ``high``.

    Examples
    --------
    >>> node_fill(0.0, 0.0, 1.0), node_fill(1.0, 0.0, 1.0)
    (('rgb(255,255,255)', '#111827'), ('rgb(40,40,40)', '#ffffff'))
    """
    share = 0.0 if not math.isfinite(output) or high <= low else min(max((output - low) / (high - low), 0.0), 1.0)
    level = round(255 - 215 * share)
    return f"rgb({level},{level},{level})", "#ffffff" if share > 0.55 else "#111827"


def stroke(weight: float, scale: float) -> tuple[str, float]:
    """Colour (by sign) and width (by |w| relative to ``scale``) of a connection line.

    Examples
    --------
    >>> stroke(0.5, 1.0), stroke(-1.0, 1.0)
    (('#2563eb', 2.3), ('#dc2626', 4.0))
    """
    colour = POSITIVE if weight > 0 else NEGATIVE if weight < 0 else ZERO
    share = min(abs(weight) / scale, 1.0) if math.isfinite(weight) else 1.0
    return colour, round(THIN + (THICK - THIN) * share, 2)


# ---------------------------------------------------------------------------- drawing
@display.svg.register(Network)
def network_svg(
    network: Network,
    *,
    max_nodes: int = MAX_NODES,
    dropped: Collection[str] = (),
    outputs: tuple[float, float] | None = None,
    scale: float | None = None,
    title: str | None = None,
    show: str | Collection[str] | None = None,
    digits: int = 4,
    names: str = "graph",
    target: Sequence[float] | None = None,
    loss_after: float | None = None,
    computed: Collection[str] | None = None,
) -> str:
    """Draw ``network`` in its current state as a standalone SVG document, its values printed on it.

    Parameters
    ----------
    network : Network
    max_nodes : int, default 10
        Layers with more nodes show their first and last ``(max_nodes − 1) // 2`` nodes and
        a marker for the rest; connections of hidden nodes are aggregated.  At least 3.
    dropped : collection of str, optional
        Labels (``"1-2"``) of nodes to draw as dropped: crossed out, faded, dashed outline,
        their connections faded (class ``dropped``, ``data-dropped="true"``).  Nodes whose
        dropout mask is 0 (``node.dropped``) are always drawn dropped.
    outputs : (low, high), optional
        The outputs the grey scale spans; default :func:`output_range` of the network.
    scale : float, optional
        The |w| drawn thickest; default :func:`weight_scale` of the network.
    title : str, optional
        Text of the drawing's ``<title>``; default the network's repr.
    show : str or collection of str, optional
        Values printed on the drawing (see :mod:`graphnet.views.graph_labels`): ``net``,
        ``o``, ``δ``, ``w``, ``grad``, ``E``; default all.  Edge labels (w, ∂E/∂w) are drawn
        when at most 40 single lines are drawn; hover tooltips are always there.
    digits : int, default 4
        Significant digits of the printed values (E: at least 10).
    names : {"graph", "textbook"}
        ``graph``: labels ``1-2``; ``textbook``: ``i1 h1 o1``, ``w1 … w8``, ``b1→h2``
        (see :mod:`graphnet.graph.names`).
    target : sequence of float, optional
        The sample's target: printed beside the outputs, with the loss E of the sample.
    loss_after : float, optional
        E after the training step, printed under E.
    computed : collection of str, optional
        Which of ``delta``, ``grad`` count as computed; default: those not all zero.

    Returns
    -------
    str
        An ``<svg>`` element with the SVG namespace, valid XML; all text is escaped.

    Raises
    ------
    IncompatibleError
        If ``max_nodes`` is not a whole number ≥ 3, ``digits`` not 1 … 17, ``show`` or
        ``names`` unknown, or ``target`` not one number per output.
    """
    shown, digits = check_show(show), check_digits(digits)
    node_name, connection_name = node_names(network, names), connection_names(network, names)
    if target is not None:
        target = [float(t) for t in target]
        if len(target) != network.sizes[-1]:
            raise IncompatibleError(f"target must have {network.sizes[-1]} values, one per output; got {len(target)}")
    done = set(computed) if computed is not None else computed_values(network)
    plan = layout(network, max_nodes=max_nodes)
    single = sum(pair is not None for layer in network.layers[1:] for pair in _pairs(plan, layer.index))
    labels = bool({"w", "grad"} & shown) and single <= EDGE_LABEL_LIMIT
    sizes = geometry(shown, digits, edge_labels=labels, target=target is not None)
    plan = layout(network, max_nodes=max_nodes, sizes=sizes)
    low, high = outputs if outputs is not None else output_range(network)
    scale = scale if scale is not None and scale > 0 else weight_scale(network)
    dropped_labels = set(dropped) | {node.label for layer in network.layers for node in layer.nodes if node.dropped}
    width, height = plan.width, plan.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphnet-network" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" font-family="Helvetica, Arial, sans-serif" role="img" '
        f'data-digits="{digits}" data-names="{escape(names)}">',
        f"<title>{escape(title if title is not None else repr(network))}</title>",
        f"<style>{STYLE}{LABEL_STYLE}</style>",
        '<g class="connections">',
    ]
    for layer in network.layers[1:]:
        parts.extend(_connection_lines(network, layer, plan, scale, dropped_labels))
    parts.append("</g>")
    parts.append('<g class="nodes">')
    values = NodeValues(shown, digits, done, sizes.radius)
    for layer in network.layers:
        kind = "input" if layer.activation is None else layer.activation.name
        parts.append(
            f'<text class="header" x="{plan.x[layer.index]:g}" y="{MARGIN_TOP - 26:g}" text-anchor="middle">'
            f"{escape(f'layer {layer.index} · {kind} ({layer.size})')}</text>"
        )
        for slot in plan.columns[layer.index]:
            parts.append(
                _slot_element(layer, slot, plan.x[layer.index], (low, high), dropped_labels, values, node_name)
            )
    parts.append("</g>")
    if labels:
        parts.extend(_edge_labels(network, plan, values, connection_name))
    if target is not None and "E" in shown:
        last = plan.columns[-1]
        drawn = [slot for slot in last if slot.kind == "node"]  # a large output layer shows some of its nodes
        spots = [(slot.key, plan.x[-1] + sizes.radius + 26, slot.y) for slot in drawn]
        loss = sample_loss(network, target)
        parts.extend(loss_elements(spots, [target[slot.indices[0]] for slot in drawn], loss, loss_after, digits))
    legend = [
        f"lines: blue w > 0, red w < 0, width ∝ |w| (thickest: |w| = {format_number(scale)})",
        f"fill: output {format_number(low)} white … {format_number(high)} dark · square: bias node, o = 1",
    ]
    for row, text in enumerate(legend):
        parts.append(f'<text class="legend" x="12" y="{height - 36 + 16 * row:g}">{escape(text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _slot_element(
    layer: Layer,
    slot: Slot,
    x: float,
    grey: tuple[float, float],
    dropped: set[str],
    values: NodeValues,
    name: dict[str, str],
) -> str:
    y = slot.y
    if slot.kind == "more":
        first, last = slot.indices[0], slot.indices[-1]
        tip = f"{len(slot.indices)} nodes not drawn: {layer.index}-{first} … {layer.index}-{last}"
        return (
            f'<g id="node-{slot.key}" class="more"><title>{escape(tip)}</title>'
            f'<rect class="more-box" x="{x - 38:g}" y="{y - 10:g}" width="76" height="20" rx="10" fill="#ffffff" '
            f'stroke="#9ca3af"/>'
            f'<text x="{x:g}" y="{y + 4:g}" text-anchor="middle" font-size="11">'
            f"{escape(f'… {len(slot.indices)} more')}</text></g>"
        )
    if slot.kind == "bias":
        tip = f"bias node {slot.key}: output 1; its weights are the biases b_j of layer {layer.index + 1}"
        side = 2 * RADIUS * 0.85
        return (
            f'<g id="node-{slot.key}" class="node bias" data-label="{slot.key}" data-name="{escape(name[slot.key])}">'
            f"<title>{escape(tip)}</title>"
            f'<rect class="bias" x="{x - side / 2:g}" y="{y - side / 2:g}" width="{side:g}" height="{side:g}" '
            f'rx="3" fill="#fde68a"/>'
            f'<text class="label" x="{x:g}" y="{y - 1:g}" text-anchor="middle">{escape(name[slot.key])}</text>'
            f'<text class="value" x="{x:g}" y="{y + 10:g}" text-anchor="middle">1</text></g>'
        )
    node = layer.nodes[slot.indices[0]]
    fill, ink = node_fill(node.output, *grey)
    is_dropped = node.label in dropped
    tip = node_tooltip(
        node.label, node.net_input, node.output, node.delta, dropped=is_dropped, input_node=layer.index == 0
    )
    if node.mask is not None:
        tip += f"\ndropout mask m/q = {format_number(node.mask)}/{format_number(node.keep)}"
    classes, mark = ("node dropped", DROPPED_MARK) if is_dropped else ("node", "")
    radius = values.radius
    output = (
        f'<text class="value" x="{x:g}" y="{y + 10:g}" text-anchor="middle" fill="{ink}">'
        f"{escape(values.text(node.output))}</text>"
        if "o" in values.show
        else ""
    )
    return (
        f'<g id="node-{slot.key}" class="{classes}" data-label="{escape(node.label)}" '
        f'data-name="{escape(name[node.label])}"{mark}><title>{escape(tip)}</title>'
        f'<circle cx="{x:g}" cy="{y:g}" r="{radius:g}" fill="{fill}"/>'
        f'<text class="label" x="{x:g}" y="{y - 1:g}" text-anchor="middle" fill="{ink}">'
        f"{escape(name[node.label])}</text>{output}"
        f"{cross(x, y, radius) if is_dropped else ''}{values.element(node, x, y)}</g>"
    )


def _pairs(plan: Layout, index: int) -> list[tuple[Slot, Slot] | None]:
    """Each drawn (source, target) pair into layer ``index``: the pair for a single line, None for an aggregate."""
    pairs: list[tuple[Slot, Slot] | None] = []
    for source in plan.columns[index - 1]:
        for target in plan.columns[index]:
            if target.kind == "bias":
                continue
            pairs.append((source, target) if source.kind != "more" and target.kind != "more" else None)
    return pairs


def _connection_lines(network: Network, layer: Layer, plan: Layout, scale: float, dropped: set[str]) -> list[str]:
    """One line per drawn (source, target) pair; an aggregated line where a group hides nodes."""
    below = network.layers[layer.index - 1]
    weights = layer.parameter_rows()  # [W | b]: row j, column i is w_ji
    gradients = layer.gradient_rows()
    x1, x2 = plan.x[below.index], plan.x[layer.index]
    lines = []
    for source in plan.columns[below.index]:
        columns = list(source.indices)
        for target in plan.columns[layer.index]:
            if target.kind == "bias":  # the bias node has no upstream connections
                continue
            rows = list(target.indices)
            block = weights[np.ix_(rows, columns)]
            element_id = f"conn-{source.key}-{target.key}"
            faded = source.key in dropped or target.key in dropped
            if block.size == 1:
                connection = layer.nodes[rows[0]].upstream[columns[0]]
                colour, width = stroke(connection.weight, scale)
                state = connection.state.short() if connection.state is not None else ""
                tip = connection_tooltip(connection.label, connection.weight, connection.gradient, state)
                classes = "conn"
            else:  # the sign of the mean weight, the width of the mean |w|
                mean = float(block.mean())
                magnitude = float(np.abs(block).mean())
                colour, width = stroke(mean, scale)[0], stroke(magnitude, scale)[1]
                tip = (
                    f"{block.size} connections from {_group_name(below.index, source)} to "
                    f"{_group_name(layer.index, target)}\nmean w = {format_number(mean)}, "
                    f"mean |w| = {format_number(magnitude)}\n"
                    f"mean ∂E/∂w = {format_number(float(gradients[np.ix_(rows, columns)].mean()))}"
                )
                classes = "conn agg"
            if faded:
                classes += " dropped"  # faded, with data-dropped="true"
                tip += "\n(an end is dropped for this sample)"
            lines.append(
                f'<line id="{element_id}" class="{classes}" x1="{x1:g}" y1="{source.y:g}" x2="{x2:g}" '
                f'y2="{target.y:g}" stroke="{colour}" stroke-width="{width:g}"'
                f"{DROPPED_MARK if faded else ''}><title>{escape(tip)}</title></line>"
            )
    return lines


def _edge_labels(network: Network, plan: Layout, values: NodeValues, name: dict[str, str]) -> list[str]:
    """The w and ∂E/∂w label of every single line, placed where it overlaps no neuron and no other label."""
    obstacles = [
        box for index, column in enumerate(plan.columns) for slot in column for box in values.boxes(plan.x[index], slot)
    ]
    found, segments, texts = [], [], []
    for layer in network.layers[1:]:
        for pair in _pairs(plan, layer.index):
            if pair is None:
                continue
            source, target = pair
            connection = layer.nodes[target.indices[0]].upstream[source.indices[0]]
            found.append((f"conn-{source.key}-{target.key}", connection))
            segments.append((plan.x[layer.index - 1], source.y, plan.x[layer.index], target.y))
            texts.append(values.edge_text(connection, name[connection.label]))
    centres = place_labels(segments, texts, obstacles)
    parts = ['<g class="edge-labels">']
    for (element, connection), (x, y) in zip(found, centres, strict=True):
        lines = values.edge_lines(connection, name[connection.label])
        parts.append(edge_label(element, x, y, lines, name[connection.label]))
    parts.append("</g>")
    return parts


def _group_name(layer: int, slot: Slot) -> str:
    if slot.kind == "more":
        return f"{layer}-{slot.indices[0]} … {layer}-{slot.indices[-1]}"
    return slot.key
