"""The values printed on the network picture: what to show, how many digits, where edge labels go.

:func:`graphnet.views.svg.network_svg` and the browser player print, beside the drawing
(not only in hover tooltips, so they survive a projector or a printout):

* under each neuron: its net input ``net`` and, once computed, its delta ``δ`` (its output
  ``o`` is printed inside the circle, as before);
* on each connection (all of them for a small net, see :data:`EDGE_LABEL_LIMIT`): its weight
  ``w`` and, once computed, its gradient ``∂E/∂w``;
* beside each output neuron its target ``t``, and under the outputs the loss ``E`` of the
  sample (when the target is known).

``show`` picks among ``net``, ``o``, ``δ`` (or ``delta``), ``w``, ``grad`` (or ``∂E/∂w``)
and ``E``; ``digits`` is the number of decimal places (E is printed with at least 10, the
precision a worked example quotes it with).

Examples
--------
>>> sorted(check_show("net δ E"))
['E', 'delta', 'net']
>>> format_value(-0.0821670405, 4), format_value(0.0821670405, 8)
('−0.0822', '0.08216704')
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape

from graphnet.graph.network import Network
from graphnet.graph.objects import Connection, Node
from graphnet.math.errors import IncompatibleError
from graphnet.math.numbers import format_number

#: Every value the picture can print, in canonical names.
VALUES: tuple[str, ...] = ("net", "o", "delta", "w", "grad", "E")
#: Other spellings ``show`` accepts.
ALIASES = {"δ": "delta", "output": "o", "weight": "w", "gradient": "grad", "∂E/∂w": "grad", "loss": "E"}
#: Edge labels are drawn on every connection when at most this many single lines are drawn.
EDGE_LABEL_LIMIT = 40
#: Significant digits of E at least (a worked example quotes E to 10 digits).
LOSS_DIGITS = 10
#: Font sizes of the value text and of the edge labels, and the height of one text line.
VALUE_FONT, EDGE_FONT, LINE = 10.5, 10.0, 12.5
#: The styles of the printed values, appended to the picture's ``<style>``.
LABEL_STYLE = f"""
.values text {{ font-size: {VALUE_FONT}px; fill: #111827; }}
.edge-label rect {{ fill: #ffffff; opacity: 0.88; }}
.edge-label text {{ font-size: {EDGE_FONT}px; fill: #1f2937; }}
.edge-label .edge-grad {{ fill: #92400e; }}
.loss text {{ font-size: {VALUE_FONT + 0.5}px; fill: #111827; }}
.loss .loss-value {{ font-weight: 600; }}
.cross {{ stroke: #991b1b; stroke-width: 2.2; fill: none; }}
.node.dropped circle {{ fill-opacity: 0.5; }}
.conn.dropped {{ opacity: 0.15; stroke-dasharray: 2 4; }}
"""
#: Width of one character relative to the font size (a safe estimate for Helvetica digits).
CHAR = 0.6


def check_show(show: str | Collection[str] | None) -> frozenset[str]:
    """The canonical set of values to print (see :data:`VALUES`); ``None`` or ``"all"``: all of them.

    Raises
    ------
    IncompatibleError
        If a name is not one of :data:`VALUES` or their aliases.
    """
    if show is None:
        return frozenset(VALUES)
    items = show.replace(",", " ").split() if isinstance(show, str) else list(show)
    if items == ["all"]:
        return frozenset(VALUES)
    if items == ["none"]:
        return frozenset()
    chosen = set()
    for item in items:
        name = ALIASES.get(item, item) if isinstance(item, str) else item
        if name not in VALUES:
            known = ", ".join([*VALUES, *ALIASES, "all", "none"])
            raise IncompatibleError(f"show must name values among {known}; got {item!r}")
        chosen.add(name)
    return frozenset(chosen)


def format_value(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` decimal places (:func:`~graphnet.math.numbers.format_number`); — when not finite."""
    return format_number(value, digits) if math.isfinite(value) else "—"


def loss_digits(digits: int) -> int:
    """Digits E is printed with: at least :data:`LOSS_DIGITS`."""
    return max(digits, LOSS_DIGITS)


@dataclass(frozen=True)
class Geometry:
    """Sizes of the drawing for the values it prints (SVG user units).

    Attributes
    ----------
    radius : float
        Neuron circle; grows with ``digits`` so the output fits inside.
    row, column : float
        Distance between the centres of two neurons of a column, and between two columns.
    value_lines : int
        Lines of text under a neuron (net, δ).
    right : float
        Extra room right of the output column for the targets and E.
    """

    radius: float
    row: float
    column: float
    value_lines: int
    right: float


def geometry(show: frozenset[str], digits: int, *, edge_labels: bool, target: bool) -> Geometry:
    """The sizes for printing ``show`` with ``digits`` digits (today's sizes when nothing extra is shown)."""
    radius = max(20.0, round(CHAR * 8.5 * (digits + 3) / 2 + 3, 1))
    lines = int("net" in show) + int("delta" in show)
    row = max(54.0, 2 * radius + 14 + lines * LINE, 4.6 * 2 * LINE if edge_labels else 0.0)
    width = CHAR * EDGE_FONT * (digits + 12)
    column = max(170.0, 3.3 * width) if edge_labels else 170.0
    right = CHAR * VALUE_FONT * (loss_digits(digits) + 12) + 30 if target and ("E" in show) else 0.0
    return Geometry(radius, row, column, lines, right)


# ---------------------------------------------------------------------------- edge labels
Box = tuple[float, float, float, float]  # left, top, right, bottom


def overlap(a: Box, b: Box) -> float:
    """Area shared by two boxes (0 when apart)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def text_box(x: float, y: float, lines: Sequence[str], font: float = EDGE_FONT) -> Box:
    """The box of ``lines`` of text centred on (x, y)."""
    width = CHAR * font * max((len(line) for line in lines), default=0) + 4
    height = LINE * len(lines) + 2
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2


#: Where along a line (0: source, 1: target) an edge label may sit, in order of preference.
FRACTIONS = (0.5, *(f for step in range(1, 8) for f in (0.5 - 0.05 * step, 0.5 + 0.05 * step)))


def place_labels(
    lines: Sequence[tuple[float, float, float, float]], texts: Sequence[Sequence[str]], obstacles: Sequence[Box]
) -> list[tuple[float, float]]:
    """A centre for each edge label: the first point on (or just beside) its line that overlaps nothing.

    ``lines`` are (x1, y1, x2, y2); ``texts`` the label's lines; ``obstacles`` the boxes of
    the neurons and their values.  Greedy, in order: each label avoids the obstacles and
    the labels placed before it; where every point overlaps something, the least overlap wins.

    Examples
    --------
    >>> place_labels([(0, 0, 100, 0), (0, 0, 100, 0)], [["w = 1"], ["w = 2"]], [])
    [(50.0, 0.0), (15.0, 0.0)]
    """
    placed: list[Box] = []
    centres = []
    for (x1, y1, x2, y2), text in zip(lines, texts, strict=True):
        best: tuple[float, float, float, Box] | None = None
        for shift, fraction in ((shift, f) for shift in (0.0, -0.45, 0.45, -0.9, 0.9) for f in FRACTIONS):
            x, y = x1 + (x2 - x1) * fraction, y1 + (y2 - y1) * fraction + shift * LINE * len(text)
            box = text_box(x, y, text)
            cost = sum(overlap(box, other) for other in [*obstacles, *placed])
            if best is None or cost < best[0]:
                best = (cost, x, y, box)
            if cost == 0:
                break
        assert best is not None
        placed.append(best[3])
        centres.append((round(best[1], 2), round(best[2], 2)))
    return centres


def sample_loss(network: Network, target: Sequence[float]) -> float:
    """E of the sample the network last saw: its loss of the outputs and ``target``, plus (λ/2)·Σ w²."""
    output_layer = network.layers[-1]
    value = network.loss_function.value(output_layer.outputs, list(target), output_layer.net_inputs)
    return float(value) + network.l2_penalty()


# ---------------------------------------------------------------------------- SVG pieces
def cross(x: float, y: float, radius: float) -> str:
    """The X drawn over a dropped neuron."""
    d = round(radius * 0.72, 2)
    return f'<path class="cross" d="M{x - d:g} {y - d:g}L{x + d:g} {y + d:g}M{x + d:g} {y - d:g}L{x - d:g} {y + d:g}"/>'


@dataclass(frozen=True)
class NodeValues:
    """What and how precisely to print: ``show``, ``digits``, which of δ/∂E/∂w are ``done``, the neuron ``radius``."""

    show: frozenset[str]
    digits: int
    done: set[str]
    radius: float

    def text(self, value: float) -> str:
        """``value`` with :attr:`digits` digits."""
        return format_value(value, self.digits)

    def node_lines(self, node: Node) -> list[tuple[str, str]]:
        """(kind, text) of the lines under a neuron: net and δ; none for an input."""
        if node.layer_index == 0:
            return []
        lines = []
        if "net" in self.show:
            lines.append(("net", f"net = {self.text(node.net_input)}"))
        if "delta" in self.show:
            lines.append(("delta", f"δ = {self.text(node.delta)}" if "delta" in self.done else ""))
        return lines

    def element(self, node: Node, x: float, y: float) -> str:
        """The ``<g class="values">`` under a neuron (ids ``val-net-1-2``, ``val-delta-1-2``)."""
        lines = self.node_lines(node)
        if not lines:
            return ""
        texts = [
            f'<text id="val-{kind}-{node.label}" class="value-{kind}" x="{x:g}" '
            f'y="{y + self.radius + LINE * (row + 1) - 1:g}" text-anchor="middle">{escape(text)}</text>'
            for row, (kind, text) in enumerate(lines)
        ]
        return f'<g class="values">{"".join(texts)}</g>'

    def boxes(self, x: float, slot: object) -> list[Box]:
        """The boxes a slot (neuron, bias node or marker) and its value lines cover."""
        y, kind = slot.y, slot.kind  # type: ignore[attr-defined]
        if kind == "more":
            return [(x - 40, y - 12, x + 40, y + 12)]
        r = self.radius + 2
        boxes = [(x - r, y - r, x + r, y + r)]
        lines = int("net" in self.show) + int("delta" in self.show)
        if kind == "node" and lines:
            half = CHAR * VALUE_FONT * (self.digits + 9) / 2
            boxes.append((x - half, y + r, x + half, y + r + LINE * lines + 2))
        return boxes

    def edge_lines(self, connection: Connection, name: str, *, sizing: bool = False) -> list[tuple[str, str]]:
        """(kind, text) of an edge label: ``w5 = 0.4``, ``∂E/∂w5 = 0.0822`` (empty until computed)."""
        # a bias weight keeps its target (b1→h1, b1→h2 are two weights); graph names show just "w"
        short = "w" if name.startswith("w(") else name
        lines = []
        if "w" in self.show:
            lines.append(("w", f"{short} = {self.text(connection.weight)}"))
        if "grad" in self.show:
            grad = "0" * (self.digits + 3) if sizing else self.text(connection.gradient)
            of = f"({short})" if "→" in short else short
            lines.append(("grad", f"∂E/∂{of} = {grad}" if sizing or "grad" in self.done else ""))
        return lines

    def edge_text(self, connection: Connection, name: str) -> list[str]:
        """The label's lines as wide as they can get (for placing it)."""
        return [text for _, text in self.edge_lines(connection, name, sizing=True)]


def edge_label(element: str, x: float, y: float, lines: list[tuple[str, str]], name: str) -> str:
    """One edge label centred on (x, y): ids ``label-conn-…``, ``w-conn-…``, ``grad-conn-…``."""
    box = text_box(x, y, [text for _, text in lines] or [""])
    top = y - LINE * len(lines) / 2
    texts = [
        f'<text id="{kind}-{element}" class="edge-{kind}" x="{x:g}" y="{top + LINE * (row + 1) - 2.5:g}" '
        f'text-anchor="middle">{escape(text)}</text>'
        for row, (kind, text) in enumerate(lines)
    ]
    return (
        f'<g id="label-{element}" class="edge-label" data-connection="{element}" data-name="{escape(name)}">'
        f'<rect x="{box[0]:g}" y="{box[1]:g}" width="{box[2] - box[0]:g}" height="{box[3] - box[1]:g}" rx="3"/>'
        f"{''.join(texts)}</g>"
    )


def loss_elements(
    spots: Sequence[tuple[str, float, float]],
    target: Sequence[float],
    loss: float | None,
    loss_after: float | None,
    digits: int,
) -> list[str]:
    """Targets beside the outputs (``target-2-0``), E (``loss``) and E after the step (``loss-after``) under them."""
    parts = ['<g class="loss">']
    for (key, x, y), value in zip(spots, target, strict=True):
        parts.append(
            f'<text id="target-{key}" class="target" x="{x:g}" y="{y + 4:g}">t = {escape(format_value(value, digits))}'
            "</text>"
        )
    x, y = spots[-1][1], spots[-1][2] + 2.2 * LINE
    before = "" if loss is None else f"E = {format_value(loss, loss_digits(digits))}"
    after = "" if loss_after is None else f"E after = {format_value(loss_after, loss_digits(digits))}"
    parts.append(f'<text id="loss" class="loss-value" x="{x:g}" y="{y:g}">{escape(before)}</text>')
    parts.append(f'<text id="loss-after" class="loss-value" x="{x:g}" y="{y + 1.3 * LINE:g}">{escape(after)}</text>')
    parts.append("</g>")
    return parts


# ---------------------------------------------------------------------------- tooltips
def computed_values(network: Network) -> set[str]:
    """``delta`` and ``grad`` when some delta (gradient) of the network is not 0: a backward pass ran."""
    done = set()
    if any(node.delta != 0 for layer in network.layers[1:] for node in layer.nodes):
        done.add("delta")
    if any(connection.gradient != 0 for connection in network.connections):
        done.add("grad")
    return done


def node_tooltip(
    label: str, net_input: float, output: float, delta: float, *, dropped: bool = False, input_node: bool = False
) -> str:
    """The hover text of a node: its net input (not for inputs), output and δ (not for inputs)."""
    lines = [f"node {label}" + (" (dropped)" if dropped else "")]
    if not input_node:
        lines.append(f"net = {format_number(net_input)}")
    lines.append(f"output o = {format_number(output)}")
    lines.append(f"delta δ = {format_number(delta)}")
    return "\n".join(lines)


def connection_tooltip(label: str, weight: float, gradient: float, state: str = "") -> str:
    """The hover text of one connection line: w and ∂E/∂w (and the optimizer's state, if any)."""
    text = f"{label}\nw = {format_number(weight)}\n∂E/∂w = {format_number(gradient)}"
    return f"{text}\noptimizer state {state}" if state else text
