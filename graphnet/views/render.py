"""How graphnet objects show themselves: rich renderables and plain-text dumps.

The objects' ``__rich__`` methods call the functions here, so ``rich.print(net)`` or an
IPython cell shows a table; :func:`dump_network` gives the classic plain-text dump for
copy-paste.  Nothing here prints: callers (the CLI, demos, notebooks) do.

Dump format, one block per node, one connection per line::

    1-2: output: 0.531200 delta: -0.0123
        downstream:
            (1-2) -> (2-0) = 0.053100
        upstream:
            (0-0) -> (1-2) = -0.021000
            (0-1) -> (1-2) = 0.004000

A connection whose optimizer keeps state shows it after the weight, by its symbols
(``(0-0) -> (1-2) = -0.021000  m: 0.002 v: 4e-07``); a node of a dropout layer shows its
mask and keep probability after its delta (``m/q: 0/0.5 dropped``), and the dump starts
with the optimizer and its counts when it is not plain SGD at a constant rate.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from graphnet.common import display
from graphnet.common.training import History
from graphnet.graph.layer import Layer
from graphnet.graph.names import check_scheme, connection_names, node_names
from graphnet.graph.network import Network
from graphnet.graph.objects import Connection, ConstNode, Node
from graphnet.tools.bench import BenchResult
from graphnet.tools.expressions import number
from graphnet.tools.stepper import Event, Stepper

#: Sparkline glyphs from low to high.
SPARK_GLYPHS = "▁▂▃▄▅▆▇█"
#: Most glyphs of a history's loss sparkline (longer curves are averaged down).
SPARK_WIDTH = 60
#: Rows shown per layer in the rich view before the rest is counted.
MAX_ROWS_PER_LAYER = 12


def _signed_style(value: float) -> str:
    return "green" if value > 0 else "red" if value < 0 else "dim"


def _connection_line(connection: Connection, names: Mapping[str, str] | None = None) -> str:
    """``(1-0) -> (2-0) = 0.400000``; with textbook ``names`` ``w5 (h1 -> o1) = 0.400000``."""
    up, down = connection.upstream.label, connection.downstream.label
    if names is None:
        line = f"({up}) -> ({down}) = {connection.weight:f}"
    else:
        line = f"{names[connection.label]} ({names[up]} -> {names[down]}) = {connection.weight:f}"
    state = connection.state
    if state is not None:
        line += "  " + " ".join(
            f"{symbol}: {value:.6g}" for symbol, value in zip(state.symbols, state.values(), strict=True)
        )
    return line


def _mask_text(node: Node) -> str:
    """``m/q: 1/0.5`` or ``m/q: 0/0.5 dropped`` for a masked node, else empty."""
    if node.mask is None:
        return ""
    return f" m/q: {node.mask:g}/{node.keep:g}" + (" dropped" if node.mask == 0.0 else "")


def dump_node(node: Node | ConstNode, names: Mapping[str, str] | None = None) -> str:
    """One node in the classic format: its values, then its downstream and upstream connections.

    ``names`` (label → name, nodes and connections: :mod:`graphnet.graph.names`) renames them.
    """
    label = node.label if names is None else names[node.label]
    if isinstance(node, ConstNode):
        head = f"{label}: output: 1 (bias)"
        upstream: list[Connection] = []
    else:
        head = f"{label}: output: {node.output:f} delta: {node.delta:.6g}{_mask_text(node)}"
        upstream = node.upstream
    lines = [head]
    lines.append("    downstream:")
    lines.extend("        " + _connection_line(c, names) for c in node.downstream)
    if not isinstance(node, ConstNode):
        lines.append("    upstream:")
        lines.extend("        " + _connection_line(c, names) for c in upstream)
    return "\n".join(lines)


@display.text.register(Network)
def dump_network(network: Network, *, names: str = "graph") -> str:
    """The whole network, layer by layer, node by node (bias nodes last in their layer).

    ``names="textbook"`` writes the classic names (``h1: output: …``, ``w5 (h1 -> o1) = 0.400000``).
    """
    scheme = check_scheme(names)
    renamed = None if scheme == "graph" else {**node_names(network, scheme), **connection_names(network, scheme)}
    blocks = [repr(network)]
    optimizer = network.optimizer
    if repr(optimizer) != "SGD()":  # anything but plain SGD at a constant rate
        blocks.append(f"optimizer: {optimizer!r}, t = {optimizer.step_count}, epochs = {optimizer.epoch_count}")
    for layer in network.layers:
        blocks.append(f"layer {layer.index}:")
        nodes: list[Node | ConstNode] = list(layer.nodes)
        if layer.bias is not None:
            nodes.append(layer.bias)
        blocks.extend(dump_node(node, renamed) for node in nodes)
    return "\n".join(blocks)


@display.rich.register(Node)
def render_node(node: Node) -> RenderableType:
    """A node's values and its connections as a small table."""
    table = Table(title=f"Node {node.label}", show_header=True, title_justify="left")
    table.add_column("connection")
    table.add_column("weight", justify="right")
    table.add_column("gradient", justify="right")
    connections = [*node.upstream, *node.downstream]
    with_state = any(connection.state is not None for connection in connections)
    if with_state:
        table.add_column("optimizer state", justify="right")
    for connection in connections:
        cells: list[Text] = [
            Text(connection.label),
            Text(f"{connection.weight:.4f}", style=_signed_style(connection.weight)),
            Text(f"{connection.gradient:.4g}"),
        ]
        if with_state:
            cells.append(Text(connection.state.short() if connection.state is not None else ""))
        table.add_row(*cells)
    activation = node.activation.name if node.activation is not None else "input"
    dropout = _mask_text(node)
    summary = Text.assemble(
        ("net ", "dim"),
        f"{node.net_input:.4f}  ",
        ("output ", "dim"),
        (f"{node.output:.4f}", "bold"),
        "  ",
        ("delta ", "dim"),
        (f"{node.delta:.4g}", _signed_style(node.delta)),
        "  ",
        (f"({activation})", "dim"),
        (dropout, "bold red" if node.dropped else "dim"),
    )
    return Group(summary, table)


@display.rich.register(Layer)
def render_layer(layer: Layer) -> RenderableType:
    """A layer as a table of its nodes: net input, output, delta (long layers are cut)."""
    kind = "input" if layer.activation is None else layer.activation.name
    table = Table(
        title=f"Layer {layer.index} · {layer.size} {kind} nodes" + (" + bias" if layer.bias is not None else ""),
        title_justify="left",
    )
    if layer.keep < 1.0:
        table.title = f"{table.title} · dropout p={layer.dropout:g} (q={layer.keep:g})"
    columns = ["node", "net input", "output", "delta"]
    if layer.keep < 1.0:
        columns.append("mask m/q")
    for column in columns:
        table.add_column(column, justify="right" if column != "node" else "left")
    for node in layer.nodes[:MAX_ROWS_PER_LAYER]:
        cells: list[Text | str] = [
            node.label,
            f"{node.net_input:.4f}",
            Text(f"{node.output:.4f}", style="bold"),
            Text(f"{node.delta:.4g}", style=_signed_style(node.delta)),
        ]
        if layer.keep < 1.0:
            if node.mask is None:
                cells.append(Text("none (evaluation)", style="dim"))
            else:
                cells.append(
                    Text(
                        f"{node.mask:g}/{node.keep:g}" + (" dropped" if node.dropped else ""),
                        style="bold red" if node.dropped else "",
                    )
                )
        table.add_row(*cells, style="dim strike" if node.dropped else None)
    blank = [""] * (len(columns) - 1)
    hidden = layer.size - MAX_ROWS_PER_LAYER
    if hidden > 0:
        table.add_row(Text(f"… {hidden} more", style="dim"), *blank)
    if layer.bias is not None:
        table.add_row(Text(f"{layer.bias.label} (bias)", style="dim"), "", "1", *blank[2:])
    return table


@display.rich.register(Network)
def render_network(network: Network) -> RenderableType:
    """The network: a summary line, then one table per layer."""
    header = Text.assemble(
        ("Network ", "bold"),
        str(network.sizes),
        "  ",
        ("loss ", "dim"),
        network.loss_function.name,
        "  ",
        ("parameters ", "dim"),
        str(network.n_parameters),
        ("  λ=" + f"{network.l2:g}") if network.l2 else "",
        ("  optimizer ", "dim"),
        f"{network.optimizer!r} (t={network.optimizer.step_count})",
    )
    notes = {
        "none": "no sample has gone through yet: every net input, output and delta is 0 (net.forward(x) fills them)",
        "stale": "the net inputs, outputs and deltas are from the last graph pass, before the fast path changed "
        "the weights (net.forward(x) and net.backward(t) refresh them)",
    }
    note = [Text(notes[network.node_values], style="yellow")] if network.node_values in notes else []
    return Group(header, *note, *(render_layer(layer) for layer in network.layers))


@display.rich.register(Connection)
def render_connection(connection: Connection) -> RenderableType:
    """One connection: ``(0-1) -> (1-2) = 0.0531  ∂E/∂w = …``."""
    state = connection.state
    return Text.assemble(
        connection.label,
        " = ",
        (f"{connection.weight:.4f}", _signed_style(connection.weight)),
        ("  ∂E/∂w = ", "dim"),
        f"{connection.gradient:.4g}",
        ("  state ", "dim") if state is not None else "",
        state.short() if state is not None else "",
    )


def sparkline(
    values: list[float], *, width: int | None = None, low: float | None = None, high: float | None = None
) -> str:
    """Values as a row of block glyphs, lowest ▁ to highest █ (empty for no values).

    With ``width``, a longer series is first averaged over ``width`` equal runs, so a
    curve of 1000 epochs still fits on one line.  ``low`` and ``high`` fix the scale
    (default: the smallest and largest value), e.g. ``low=0, high=1`` for accuracies.

    Examples
    --------
    >>> sparkline([3.0, 2.0, 1.0, 1.0]), sparkline([4.0, 2.0, 1.0, 1.0], width=2)
    ('█▅▁▁', '█▁')
    >>> sparkline([0.5, 1.0], low=0.0, high=1.0)
    '▅█'
    """
    if not values:
        return ""
    if width is not None and 0 < width < len(values):
        edges = [round(k * len(values) / width) for k in range(width + 1)]
        values = [sum(values[a:b]) / (b - a) for a, b in itertools.pairwise(edges)]
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    span = high - low
    top = len(SPARK_GLYPHS) - 1
    return "".join(SPARK_GLYPHS[0 if span == 0 else min(max(round((v - low) / span * top), 0), top)] for v in values)


@display.rich.register(History)
def render_history(history: History) -> RenderableType:
    """Training summary with a loss sparkline."""
    optimizer = f", {history.optimizer}" if history.optimizer != "sgd" else ""
    return Text.assemble(
        (f"{history.engine} training ", "bold"),
        f"{history.epochs} epochs, {history.updates} updates, rate {history.rate:g}{optimizer}  ",
        ("loss ", "dim"),
        sparkline(history.losses, width=SPARK_WIDTH),
        " ",
        (f"{history.final_loss:.6g}", "bold"),
    )


PHASE_STYLES = {
    "input": "cyan",
    "forward": "green",
    "net_input": "green",
    "output": "green",
    "output_delta": "magenta",
    "hidden_delta": "magenta",
    "gradient": "yellow",
    "update": "blue",
}


@display.rich.register(Event)
def render_event(event: Event) -> RenderableType:
    """One step: ``[index] phase label`` as in its repr, the formula in symbols, and with numbers."""
    style = PHASE_STYLES.get(event.phase, "white")
    return Group(
        Text.assemble((f"[{event.index}] ", "dim"), (event.phase, f"bold {style}"), " ", (event.shown_name, "bold")),
        Text(event.formula, style="italic"),
        Text(event.numbers, style=style),
    )


def _node_cell(
    node: Node, highlight: str | None, digits: int, computed: set[tuple[str, str]], name: str | None = None
) -> Text:
    """``1-2  o 0.5075  δ −0.002171`` (``name`` for the label): "–" for a value not computed yet; inputs have no δ."""
    output = number(node.output, digits) if (node.label, "o") in computed else "–"
    text = Text.assemble((name or node.label, "bold"), "  o ", output)
    if node.layer_index > 0:
        text.append("  δ ")
        if (node.label, "δ") in computed:
            text.append(number(node.delta, digits), _signed_style(node.delta))
        else:
            text.append("–")
    if node.dropped:
        text.stylize("dim strike")
        text.append(" dropped", style="bold red")
    if highlight:
        text.stylize(highlight)
    return text


@display.rich.register(Stepper)
def render_stepper(stepper: Stepper) -> RenderableType:
    """The network as columns of nodes (the next node highlighted), then the last formula.

    The header ``step k/N  next …`` counts the steps taken, so the next step is [k] and the
    event shown below it, the last one taken, is [k−1] (the numbering of :class:`Event`).
    """
    network = stepper.network
    current = stepper.current
    next_nodes: set[str] = set()
    if isinstance(current, Connection):
        next_nodes = {current.upstream.label, current.downstream.label}
    elif current is not None:
        next_nodes = {current.label}
    last_nodes: set[str] = set()
    if stepper.history:
        last = stepper.history[-1]
        last_nodes = (
            {last.label} if last.source is None else {f"{last.layer - 1}-{last.source}", f"{last.layer}-{last.node}"}
        )
    computed = {(event.label, event.quantity) for event in stepper.history}
    table = Table(show_header=True, box=None, padding=(0, 2))
    for layer in network.layers:
        kind = "input" if layer.activation is None else layer.activation.name
        table.add_column(f"layer {layer.index} ({kind})")
    columns: list[list[Text]] = []
    for layer in network.layers:
        column = []
        for node in layer.nodes[:MAX_ROWS_PER_LAYER]:
            highlight = "reverse" if node.label in next_nodes else ("underline" if node.label in last_nodes else None)
            column.append(_node_cell(node, highlight, stepper.digits, computed, stepper.shown(node.label)))
        if layer.size > MAX_ROWS_PER_LAYER:
            column.append(Text(f"… {layer.size - MAX_ROWS_PER_LAYER} more", style="dim"))
        if layer.bias is not None:  # o = 1 always: its weights into the next layer are the biases
            column.append(Text.assemble((stepper.shown(layer.bias.label), "bold"), "  o 1  (bias)", style="dim"))
        columns.append(column)
    for row in range(max(len(column) for column in columns)):
        table.add_row(*(column[row] if row < len(column) else "" for column in columns))
    status = Text.assemble(
        ("step ", "dim"),
        f"{stepper.position}/{stepper.total}",
        "  ",
        ("next ", "dim"),
        "done" if current is None else f"{stepper.next_phase_name} {stepper.shown(current.label)}",
    )
    parts: list[RenderableType] = [status, table]
    if stepper.history:
        parts.append(render_event(stepper.history[-1]))
    return Group(*parts)


def to_html(renderable: RenderableType, *, width: int = 110) -> str:
    """Render through rich into an HTML fragment with inline styles (for Jupyter)."""
    import io

    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO())
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format='<pre style="font-family:monospace">{code}</pre>')


@display.rich.register(BenchResult)
def render_bench(result: BenchResult) -> RenderableType:
    """The benchmark run: timings (median, min–max), facts, ratios and notes."""
    timings = Table(title="timings (median of interleaved repetitions)", title_justify="left")
    for column in ("case", "median", "min – max", "unit", "notes"):
        timings.add_column(column, justify="right" if column in ("median", "min – max") else "left")
    for measurement in result.measurements.values():
        extra = ", ".join(
            f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in measurement.info.items()
            if k not in ("connections", "samples")
        )
        timings.add_row(
            measurement.name,
            f"{measurement.median:.4g}",
            f"{measurement.low:.4g} – {measurement.high:.4g}",
            measurement.unit,
            extra,
        )
    facts = Table(title="facts", title_justify="left")
    facts.add_column("what")
    facts.add_column("value", justify="right")
    for name, value in result.facts.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.4g}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:.4g}"
        facts.add_row(name, str(value))
    ratios = Table(title="ratios (same run)", title_justify="left")
    ratios.add_column("ratio")
    ratios.add_column("value", justify="right")
    for name, value in result.ratios.items():
        ratios.add_row(name, f"{value:.3g}")
    parts: list[RenderableType] = [timings, facts, ratios]
    parts.extend(Text(note, style="yellow" if note.startswith("warning") else "dim") for note in result.notes)
    return Group(*parts)
