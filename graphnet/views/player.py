"""Play one training step back in a browser: a single self-contained HTML file.

:func:`record` runs the whole training step of a :class:`~graphnet.tools.stepper.Stepper` on a
*replica* of its network (same structure, the parameters and values the stepper started
from), so the stepper and its network are left untouched.  For every step it keeps the
:class:`~graphnet.tools.stepper.Event` (formula in symbols and with numbers) and the values the
step changed, each as ``(field, index, before, after)``:

* ``input``, ``output``:       the node's ``output``;
* ``forward``:                 the node's ``net`` and ``output``;
* ``net_input``:               the node's ``net``;
* ``output_delta``, ``hidden_delta``: the node's ``delta``;
* ``gradient``, ``update``:    the connection's ``gradient``, ``weight``.

Together with the state at the start, these *changes* give every node's net input, output
and δ and every connection's weight and gradient after any step
(:meth:`Recording.state`), at a cost of one or two numbers per step rather than a copy
of the whole network per step.  The player does the same in JavaScript: forward by
applying ``after`` values, backward by restoring ``before`` values.

:func:`player_html` writes the recording as JSON into a
``<script type="application/json">`` block of one HTML page, beside the network drawn by
:mod:`graphnet.views.svg` and about 200 lines of plain JavaScript.  The page needs no network
access: no CDN, no fonts, no images.  Its controls: buttons and keys for next (→, n),
back (←, b), next phase (p), play/pause (space), start/end (Home/End), and a slider over
all steps.

Examples
--------
>>> from graphnet import Network
>>> net = Network([2, 2, 1], seed=0)
>>> stepper = net.stepper([1.0, 0.0], [1.0], rate=0.5)
>>> recording = record(stepper)
>>> len(recording.steps) == stepper.total, stepper.position
(True, 0)
>>> recording.steps[0].changes
(Change(field='output', index=0, before=0.0, after=1.0),)
>>> html = player_html(stepper)
>>> html.startswith("<!DOCTYPE html>") and "http" not in html.replace("http://www.w3.org/2000/svg", "")
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from graphnet.common import display
from graphnet.graph.names import connection_names, node_names
from graphnet.graph.objects import Connection, ConstNode, Node
from graphnet.math.errors import IncompatibleError, MissingFileError
from graphnet.math.numbers import check_digits
from graphnet.math.validation import check_count
from graphnet.tools.stepper import FORWARD_PARTS, Event, Stepper, network_state, restore_state
from graphnet.views.graph_labels import sample_loss
from graphnet.views.mathml import event_mathml
from graphnet.views.render import to_html
from graphnet.views.step_focus import dropped_labels, keep_biases, loss_after, replica, uses
from graphnet.views.svg import MAX_NODES, layout, network_svg

#: Which values of its node or connection a step of each phase changes (field, attribute).
PHASE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "input": (("output", "output"),),
    "forward": (("net", "net_input"), ("output", "output")),
    "net_input": (("net", "net_input"),),
    "output": (("output", "output"),),
    "output_delta": (("delta", "delta"),),
    "hidden_delta": (("delta", "delta"),),
    "gradient": (("gradient", "gradient"),),
    "update": (("weight", "weight"),),
}
#: The fields of a node and of a connection, in the order :meth:`Recording.state` keeps them.
NODE_FIELDS = ("net", "output", "delta")
CONNECTION_FIELDS = ("weight", "gradient")
#: The page template and its script, shipped in the package folder.
TEMPLATE, SCRIPT = "player.html", "player.js"


@dataclass(frozen=True)
class Change:
    """One value a step changed: ``field`` of node (or connection) number ``index``.

    Nodes are numbered layer by layer (bias nodes excluded, they never change), connections
    in the order of ``network.connections``.
    """

    field: str
    index: int
    before: float
    after: float


@dataclass(frozen=True)
class RecordedStep:
    """One step of the recording: its event, the SVG elements it concerns, its changes.

    Attributes
    ----------
    event : Event
    kind : {"node", "connection"}
    target : int
        Number of the node or connection the step computes.
    element : str
        Id of the SVG element that draws it (a marker or an aggregated line if it is hidden).
    endpoints : tuple of str
        For a connection, the SVG ids of its upstream and downstream nodes.
    changes : tuple of Change
    uses : tuple of str
        SVG ids of what the step reads besides itself (see :mod:`graphnet.views.step_focus`).
    """

    event: Event
    kind: str
    target: int
    element: str
    endpoints: tuple[str, ...]
    changes: tuple[Change, ...]
    uses: tuple[str, ...] = ()


@dataclass
class Recording:
    """A whole training step: the start state, every step with its changes, the picture.

    Attributes
    ----------
    title : str
        The network's repr.
    x, target : list of float
    rate : float
    node_labels, connection_labels : list of str
    node_elements, connection_elements : list of str
        SVG id drawing each node and connection.
    initial : dict of str to list of float
        ``net``, ``output``, ``delta`` per node and ``weight``, ``gradient`` per connection
        at the start of the step.
    steps : list of RecordedStep
    svg : str
        The network drawn in its start state, with the ids the player highlights.
    output_range : (float, float)
        Lowest and highest output anywhere in the step: the grey scale of every frame.
    weight_scale : float
        Largest |w| anywhere in the step: the thickest line of every frame.
    start : int
        The position of the stepper that was recorded; the player opens there.
    digits : int
        Decimal places of the printed values.
    node_names, connection_names : list of str
        Names on the picture (graph labels or textbook names, :mod:`graphnet.graph.names`).
    loss : dict
        ``before`` (E of the forward pass) and ``known`` (the position from which it is
        known), ``after`` (E after the whole step) and ``after_known``, ``weights_only`` (E had
        the step left the biases alone, as the classic walk-through does; None without biases).
    dropped : list of str
        Labels of the nodes the sample's dropout masks drop.
    biases : list of int
        Numbers of the connections that are bias weights (from a bias node).
    """

    title: str
    x: list[float]
    target: list[float]
    rate: float
    node_labels: list[str]
    connection_labels: list[str]
    node_elements: list[str]
    connection_elements: list[str]
    initial: dict[str, list[float]]
    steps: list[RecordedStep]
    svg: str
    output_range: tuple[float, float]
    weight_scale: float
    start: int = 0
    digits: int = 4
    node_names: list[str] = field(default_factory=list)
    connection_names: list[str] = field(default_factory=list)
    loss: dict[str, float | int | None] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    biases: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of steps."""
        return len(self.steps)

    def state(self, position: int) -> dict[str, list[float]]:
        """Every value after ``position`` steps (0: the start): the initial state plus the changes.

        Raises
        ------
        IncompatibleError
            If ``position`` is not 0 … :attr:`total`.
        """
        position = check_count(position, name="position", minimum=0)
        if position > self.total:
            raise IncompatibleError(f"position must be 0 … {self.total}; got {position}")
        values = {name: list(numbers) for name, numbers in self.initial.items()}
        for step in self.steps[:position]:
            for change in step.changes:
                values[change.field][change.index] = change.after
        return values

    def to_data(self) -> dict[str, Any]:
        """The recording as plain JSON-ready data (non-finite numbers become ``null``)."""
        drawn_nodes = [
            i
            for i, (label, element) in enumerate(zip(self.node_labels, self.node_elements, strict=True))
            if element == f"node-{label}"
        ]
        drawn_connections = [i for i, element in enumerate(self.connection_elements) if "more" not in element]
        return {
            "title": self.title,
            "x": _numbers(self.x),
            "target": _numbers(self.target),
            "rate": _number(self.rate),
            "start": self.start,
            "nodes": {"labels": self.node_labels, "elements": self.node_elements, "drawn": drawn_nodes},
            "connections": {
                "labels": self.connection_labels,
                "elements": self.connection_elements,
                "drawn": drawn_connections,
                "biases": self.biases,
            },
            "initial": {name: _numbers(values) for name, values in self.initial.items()},
            "range": {
                "low": _number(self.output_range[0]),
                "high": _number(self.output_range[1]),
                "scale": _number(self.weight_scale),
            },
            "steps": [_step_data(step) for step in self.steps],
            "digits": self.digits,
            "names": {"nodes": self.node_names, "connections": self.connection_names},
            "loss": {k: (_number(v) if isinstance(v, float) else v) for k, v in self.loss.items()},
            "dropped": self.dropped,
        }


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _numbers(values: Sequence[float]) -> list[float | None]:
    return [_number(v) for v in values]


def _step_data(step: RecordedStep) -> dict[str, Any]:
    event = step.event
    return {
        "index": event.index,
        "phase": event.phase,
        "main_phase": event.main_phase,
        "label": event.label,
        "quantity": event.quantity,
        "formula": event.formula,
        "numbers": event.numbers,
        "mathml": event_mathml(event),
        "before": _number(event.before),
        "after": _number(event.after),
        "kind": step.kind,
        "target": step.target,
        "element": step.element,
        "endpoints": list(step.endpoints),
        "changes": [[c.field, c.index, _number(c.before), _number(c.after)] for c in step.changes],
        "uses": list(step.uses),
    }


# ---------------------------------------------------------------------------- recording
def record(
    stepper: Stepper,
    *,
    max_nodes: int = MAX_NODES,
    show: str | Collection[str] | None = None,
    digits: int = 4,
    names: str = "graph",
) -> Recording:
    """Record the whole training step of ``stepper`` (from its start) without changing it.

    Parameters
    ----------
    stepper : Stepper
        Any stepper; how far it has stepped only sets where the player opens.
    max_nodes : int, default 10
        Layers with more nodes are drawn collapsed (see :func:`graphnet.views.svg.network_svg`).
    show, digits, names
        The values printed on the picture, their digits, the names (as for
        :func:`~graphnet.views.svg.network_svg`).

    Returns
    -------
    Recording
    """
    digits = check_digits(digits)
    node_name, connection_name = node_names(stepper.network, names), connection_names(stepper.network, names)
    network = replica(stepper.network)
    restore_state(network, stepper.initial_state)
    plan = layout(network, max_nodes=max_nodes)
    nodes = [node for layer in network.layers for node in layer.nodes]
    connections = list(network.connections)
    node_number = {node: number for number, node in enumerate(nodes)}
    connection_number = {connection: number for number, connection in enumerate(connections)}

    def node_element(node: Node | ConstNode) -> str:
        return f"node-{plan.slot_key(node.layer_index, node.node_index)}"

    def connection_element(connection: Connection) -> str:
        up, down = connection.upstream, connection.downstream
        return f"conn-{plan.slot_key(up.layer_index, up.node_index)}-{plan.slot_key(down.layer_index, down.node_index)}"

    initial = {
        "net": [node.net_input for node in nodes],
        "output": [node.output for node in nodes],
        "delta": [node.delta for node in nodes],
        "weight": [c.weight for c in connections],
        "gradient": [c.gradient for c in connections],
    }
    masks = None if stepper.masks is None else [None if m is None else [m] for m in stepper.masks]
    x, t, rate, digits_of_events = stepper.x, stepper.target, stepper.rate, stepper.digits
    replay = Stepper(
        network, x, t, rate=rate, optimizer=network.optimizer, masks=masks, digits=digits_of_events, names=names
    )
    steps: list[RecordedStep] = []
    loss: dict[str, float | int | None] = dict.fromkeys(("before", "known", "after", "after_known", "weights_only"))
    biases = [number for number, c in enumerate(connections) if isinstance(c.upstream, ConstNode)]
    while not replay.done:
        phase, current = replay.next_phase_name, replay.current
        assert phase is not None and current is not None
        fields = PHASE_FIELDS[phase]
        before = [float(getattr(current, attribute)) for _, attribute in fields]
        event = replay.next()
        if isinstance(current, Connection):
            kind, target = "connection", connection_number[current]
            element = connection_element(current)
            endpoints: tuple[str, ...] = (
                f"node-{plan.slot_key(current.upstream.layer_index, current.upstream.node_index)}",
                node_element(current.downstream),
            )
        else:
            kind, target, element, endpoints = "node", node_number[current], node_element(current), ()
        changes = tuple(
            Change(field, target, old, float(getattr(current, attribute)))
            for (field, attribute), old in zip(fields, before, strict=True)
        )
        used = uses(phase, current, node_element, connection_element)
        steps.append(RecordedStep(event, kind, target, element, endpoints, changes, used))
        upcoming = replay.next_phase_name
        if event.main_phase == "forward" and (upcoming is None or upcoming not in FORWARD_PARTS):
            loss["before"], loss["known"] = sample_loss(network, stepper.target), len(steps)
        if event.phase == "update" and loss["after_known"] is None:
            loss["after_known"] = len(steps)
    if loss["after_known"] is not None:
        twin = replica(network)
        restore_state(twin, network_state(network))
        twin_loss = lambda n: sample_loss(n, stepper.target)  # noqa: E731
        loss["after"] = loss_after(twin, stepper.x, stepper.target, masks, twin_loss)
        if biases:  # E had the step left the biases alone (the classic walk-through)
            untouched = keep_biases(replica(network), network_state(network), initial["weight"])
            loss["weights_only"] = loss_after(untouched, stepper.x, stepper.target, masks, twin_loss)
    outputs = [*initial["output"], *(c.after for s in steps for c in s.changes if c.field == "output")]
    weights = [*initial["weight"], *(c.after for s in steps for c in s.changes if c.field == "weight")]
    finite_outputs = [v for v in outputs if math.isfinite(v)] or [0.0]
    output_range = (min(0.0, *finite_outputs), max(1.0, *finite_outputs))
    largest = max((abs(w) for w in weights if math.isfinite(w)), default=0.0)
    scale = largest if largest > 0 else 1.0
    restore_state(network, stepper.initial_state)  # draw the start state
    dropped = dropped_labels(network, stepper.masks)
    svg = network_svg(
        network,
        max_nodes=max_nodes,
        outputs=output_range,
        scale=scale,
        dropped=dropped,
        show=show,
        digits=digits,
        names=names,
        target=stepper.target,
        computed=("delta", "grad"),
    )
    return Recording(
        title=repr(stepper.network),
        x=list(stepper.x),
        target=list(stepper.target),
        rate=stepper.rate,
        node_labels=[node.label for node in nodes],
        connection_labels=[c.label for c in connections],
        node_elements=[node_element(node) for node in nodes],
        connection_elements=[connection_element(c) for c in connections],
        initial=initial,
        steps=steps,
        svg=svg,
        output_range=output_range,
        weight_scale=scale,
        start=stepper.position,
        digits=digits,
        node_names=[node_name[node.label] for node in nodes],
        connection_names=[connection_name[c.label] for c in connections],
        loss=loss,
        dropped=dropped,
        biases=biases,
    )


# ---------------------------------------------------------------------------- the page
def script_json(data: Any) -> str:
    r"""JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\u003c``, ``\u003e`` and ``\u0026`` (they only
    occur inside JSON strings), so no ``</script>`` or ``<!--`` can end the block early.

    Examples
    --------
    >>> script_json({"formula": "</script><b>"})
    '{"formula": "\\u003c/script\\u003e\\u003cb\\u003e"}'
    >>> json.loads(script_json({"formula": "</script>"}))["formula"]
    '</script>'
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def player_html(
    source: Stepper | Recording,
    *,
    max_nodes: int = MAX_NODES,
    title: str | None = None,
    show: str | Collection[str] | None = None,
    digits: int = 4,
    names: str = "graph",
) -> str:
    """One self-contained HTML page that plays back the training step of ``source``.

    Parameters
    ----------
    source : Stepper or Recording
        A stepper is recorded first with :func:`record` (it is not changed).
    max_nodes : int, default 10
        Layers with more nodes are drawn collapsed.
    title : str, optional
        Heading of the page; default "One training step of" and the network.
    show, digits, names
        What the picture prints, with how many digits, under which names (see :func:`record`).

    Returns
    -------
    str
        The page: HTML, inline CSS and JavaScript, the recording as JSON, the SVG picture.
    """
    recording = (
        source
        if isinstance(source, Recording)
        else record(source, max_nodes=max_nodes, show=show, digits=digits, names=names)
    )
    heading = title if title is not None else f"One training step of {recording.title}"
    package = resources.files("graphnet")
    template = package.joinpath(TEMPLATE).read_text(encoding="utf-8")
    pieces = {
        "/*SCRIPT*/": package.joinpath(SCRIPT).read_text(encoding="utf-8"),
        "<!--TITLE-->": escape(heading),
        "<!--SVG-->": recording.svg,
        "<!--DATA-->": script_json(recording.to_data()),
    }
    for marker, text in pieces.items():  # the title twice (<title> and <h1>), the others once
        template = template.replace(marker, text)
    return template


def write_player(
    source: Stepper | Recording,
    path: str | Path,
    *,
    max_nodes: int = MAX_NODES,
    show: str | Collection[str] | None = None,
    digits: int = 4,
    names: str = "graph",
) -> Path:
    """Write :func:`player_html` of ``source`` to ``path`` (UTF-8) and return the path.

    Raises
    ------
    MissingFileError
        If the folder ``path`` should go into does not exist.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise MissingFileError(f"cannot write {str(target)!r}: folder {str(target.parent)!r} does not exist")
    target.write_text(player_html(source, max_nodes=max_nodes, show=show, digits=digits, names=names), encoding="utf-8")
    return target


@display.html.register(Stepper)
def stepper_html(stepper: Stepper, *, max_nodes: int = MAX_NODES, player: bool = True) -> str:
    """``stepper.to_html()``: the player page; ``player=False``: the rich view as HTML (Jupyter)."""
    return player_html(stepper, max_nodes=max_nodes) if player else to_html(stepper)
