"""Step through one training step of the graph, one node or one connection at a time.

A :class:`Stepper` drives the network's *own* phase generators (see
:mod:`graphnet.graph.network`): each step calls the same per-node or per-connection method
that ``forward``, ``backward`` and ``update`` call, in the same order.  It is not a second
implementation; after :meth:`Stepper.run` the network is exactly as after one training
step on that sample (``net.train([x], [t], rate=rate, epochs=1)``).

Each step becomes an :class:`Event` holding the formula in symbols and the same formula
with its numbers (built once, by :mod:`graphnet.tools.formulas`), e.g.::

    δ(1-2) = o·(1−o)·Σ_k w_kj·δ_k
    δ(1-2) = 0.4512·0.5488·(0.13·0.021 + (−0.07)·0.004) = 0.0005988

The numbers are plain arithmetic (negative numbers and compound factors in parentheses)
to ``digits`` decimal places (4 unless ``net.stepper(..., digits=8)`` says otherwise).

``ascii=True`` (or the environment variable ``GRAPHNET_ASCII=1``) writes every formula in
plain ASCII, its numbers valid Python arithmetic: ``delta(1-2) = 0.5075*0.4925*(…) = -0.00217``.

``names="textbook"`` writes the classic walk-through's names (:mod:`graphnet.graph.names`)
in the lines and formulas: ``[28] update w5: w5 ← 0.4 − 0.5·0.082167041 = 0.35891648``,
``δ(o1) = …``, ``o(h1) = …``; the events' ``label`` stays the graph label (``name`` holds
the textbook one).  Graph names (``1-0``, ``w(1-0→2-0)``) are the default.

One numbering: events count from 0 (``[0] input 0-0: o(0-0) = 1``, what the REPL shows
for an event), and ``step k/N`` means k of the N steps are taken, so the next one is [k]
and the last one taken is [k−1].

Symbols follow the library's sign convention: δ_j = ∂E/∂net_j, ∂E/∂w_ji = δ_j·o_i,
w ← w − η·∂E/∂w (η is the learning rate).

With an optimizer other than plain SGD the update events show its rule and its state
(g = ∂E/∂w), e.g. ``v ← μ·v − η·g = 0.9·0.01 − 0.5·0.02 = −0.001;  w ← w + v = …``.  With
dropout, the stepper uses one sample's masks (drawn as ``train`` would, or given): a
dropped node's events say so, and its formulas show the factor m/q.

Examples
--------
>>> from graphnet import Network
>>> net = Network([2, 2, 1], seed=0)
>>> steps = net.stepper([1.0, 0.0], target=[1.0], rate=0.5)
>>> steps.next().phase
'input'
>>> steps.run_to("forward", layer=1, node=1).label
'1-1'
>>> _ = steps.run()
>>> steps.done, steps.position == steps.total
(True, True)
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphnet.common import display, extensions
from graphnet.common.checks import check_differentiable, check_masks, check_target, select_optimizer
from graphnet.graph import phases
from graphnet.graph.names import check_scheme, connection_names, node_names
from graphnet.graph.network import Network
from graphnet.graph.objects import Connection, Node
from graphnet.math.activations import Softmax
from graphnet.math.dropout import mask_rows
from graphnet.math.errors import GraphnetError, IncompatibleError
from graphnet.math.numbers import DEFAULT_DIGITS, ascii_wanted, check_digits, to_ascii
from graphnet.math.optimizers import SGD
from graphnet.math.validation import as_sample, check_positive_number
from graphnet.tools import formulas
from graphnet.tools.expressions import Equation, join_numbers, join_symbols

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.math.dropout import MasksLike
    from graphnet.math.optimizers import Optimizer

#: Phases in the order they run, and the names :meth:`Stepper.run_to` also accepts.
PHASES = ("input", "forward", "output_delta", "hidden_delta", "gradient", "update")
#: Event phases that belong to the ``forward`` phase (softmax layers split it in two).
FORWARD_PARTS = ("forward", "net_input", "output")


@dataclass(frozen=True)
class Event:
    """One computed quantity: which phase, which node or connection, the formula, the numbers.

    Attributes
    ----------
    index : int
        0 for the first step.
    phase : str
        ``input``, ``forward``, ``net_input``, ``output``, ``output_delta``,
        ``hidden_delta``, ``gradient`` or ``update``.
    layer : int
        Layer of the node (of the downstream node for a connection).
    node : int
        Index of the node (of the downstream node for a connection).
    source : int or None
        Index of the upstream node for a connection (the bias node's index for a bias).
    label : str
        ``1-2`` for a node, ``(0-1) -> (1-2)`` for a connection.
    quantity : str
        What changed: ``o``, ``net``, ``δ``, ``∂E/∂w`` or ``w``.
    formula : str
        The formula in symbols.
    numbers : str
        The formula with the numbers filled in and the result.
    before, after : float
        The quantity before and after the step.
    dropped : bool
        True for a step of a node that dropout dropped (m = 0) for this sample.
    name : str
        The node's or connection's name in the stepper's naming scheme (``h1``, ``w5`` with
        textbook names); the label when empty or with graph names.
    """

    index: int
    phase: str
    layer: int
    node: int
    source: int | None
    label: str
    quantity: str
    formula: str
    numbers: str
    before: float
    after: float
    dropped: bool = False
    name: str = ""

    @property
    def shown_name(self) -> str:
        """The name the event's line uses: :attr:`name`, else :attr:`label`."""
        return self.name or self.label

    @property
    def main_phase(self) -> str:
        """The phase among :data:`PHASES` this event belongs to."""
        return "forward" if self.phase in FORWARD_PARTS else self.phase

    def __str__(self) -> str:
        return f"[{self.index}] {self.phase} {self.shown_name}: {self.numbers}"

    def __repr__(self) -> str:
        """The one line a REPL shows: ``[0] input 0-0: o(0-0) = 1`` (the fields are attributes)."""
        return str(self)

    def __rich__(self) -> RenderableType:
        return display.rich(self)

    def _repr_html_(self) -> str:
        """In a notebook: the line, then the formula and its numbers typeset with MathML."""
        return display.html(self)


class Stepper:
    """One training step of ``network`` on (x, target), taken one step at a time.

    Build it with :meth:`Network.stepper`.  ``next()`` computes one quantity and returns its
    :class:`Event`; ``back()`` undoes one; ``next_phase()``, ``run_to(...)`` and ``run()``
    take many.

    Attributes
    ----------
    history : list of Event
        The steps taken so far, oldest first.
    total : int
        How many steps one training step has on this network.
    """

    def __init__(
        self,
        network: Network,
        x: Any,
        target: Any,
        *,
        rate: float = 0.5,
        optimizer: str | Optimizer | None = None,
        masks: MasksLike | None = None,
        digits: int = DEFAULT_DIGITS,
        names: str = "graph",
        ascii: bool | None = None,
    ) -> None:
        check_differentiable(network.activations)
        #: Decimal places of the numbers in each event (17: every float64 exactly).
        self.digits = check_digits(digits)
        #: Plain ASCII formulas and names (``-``, ``*``, ``delta``); None: as ``GRAPHNET_ASCII`` says.
        self.ascii = ascii_wanted(ascii)
        #: The naming scheme of the formulas and lines: "graph" (``1-0``) or "textbook" (``h1``, ``w5``).
        self.names = check_scheme(names)
        #: Node and connection label → the name the formulas write (see :mod:`graphnet.graph.names`).
        self.name_of: dict[str, str] = {
            **node_names(network, self.names),
            **connection_names(network, self.names),
        }
        self.network = network
        self.x = as_sample(x, network.sizes[0], name="x", sizes=network.sizes)
        self.target = check_target(target, sizes=network.sizes, loss=network.loss_function)
        self.rate = check_positive_number(rate, name="rate")
        self.optimizer = select_optimizer(network, optimizer)
        checked = check_masks(masks, 1, sizes=network.sizes, keeps=network.keeps)
        if checked is None and network.has_dropout:
            checked = network.draw_masks(1)
        #: This sample's dropout masks (one list of m_j per non-input layer, or None).
        self.masks = mask_rows(checked, 0)
        #: The network's state before the first step (what :meth:`back` and the player return to).
        self.initial_state = network_state(network)
        self.history: list[Event] = []
        self._steps = self._new_steps()
        self._pending: tuple[str, Any] | None = next(self._steps, None)
        self.total = self._count_steps()

    # ------------------------------------------------------------------ driving
    def _new_steps(self) -> Iterator[tuple[str, Any]]:
        net = self.network
        return itertools.chain(
            phases.input_steps(net.layers, self.x),
            phases.forward_steps(net.layers, self.masks),
            phases.output_delta_steps(net.layers, net.loss_function, self.target),
            phases.hidden_delta_steps(net.layers),
            phases.gradient_steps(net.connections, net.l2, net.l2_bias),
            phases.update_steps(net.connections, self.optimizer, self.rate),
        )

    def _count_steps(self) -> int:
        net = self.network
        forward = sum(layer.size * (2 if isinstance(layer.activation, Softmax) else 1) for layer in net.layers[1:])
        hidden = sum(layer.size for layer in net.layers[1:-1])
        return net.sizes[0] + forward + net.sizes[-1] + hidden + 2 * len(net.connections)

    @property
    def done(self) -> bool:
        """True when the whole training step has been taken."""
        return self._pending is None

    @property
    def position(self) -> int:
        """Number of steps taken."""
        return len(self.history)

    @property
    def current(self) -> Node | Connection | None:
        """The node or connection the *next* step computes (None when done)."""
        return None if self._pending is None else self._pending[1]

    @property
    def next_phase_name(self) -> str | None:
        """The phase of the next step (None when done)."""
        return None if self._pending is None else self._pending[0]

    def next(self) -> Event:
        """Take one step and return its event.

        Raises
        ------
        IncompatibleError
            If the training step is already complete.
        NumericalOverflowError
            If the step is an update that would make a weight or its optimizer state NaN or
            inf: nothing changes, and the same step stays the next one.
        """
        if self._pending is None:
            raise IncompatibleError(
                f"all {self.total} steps are done; expected a step still to take: use back() or a new stepper"
            )
        phase, target = self._pending
        before = _quantity(phase, target)
        state = None
        if phase == "update" and self.optimizer.state_type is not None:
            state = target.state.copy() if target.state is not None else self.optimizer.new_state()
        try:
            self._pending = next(self._steps, None)  # the generator performs the announced step
        except GraphnetError:  # refused (e.g. an update to inf): nothing changed, this step stays next
            self._replay(len(self.history))
            raise
        event = self._describe(len(self.history), phase, target, before, state)
        self.history.append(event)
        return event

    def back(self) -> Event | None:
        """Undo the last step, restoring every value it changed; return the undone event."""
        if not self.history:
            return None
        undone = self.history.pop()
        self._replay(len(self.history))
        return undone

    def _replay(self, keep: int) -> None:
        """Start again from the initial state and take the first ``keep`` steps (deterministic: the same values)."""
        restore_state(self.network, self.initial_state)
        self._steps = self._new_steps()
        self._pending = next(self._steps, None)
        for _ in range(keep):
            self._pending = next(self._steps, None)

    def next_phase(self) -> list[Event]:
        """Take steps until the current phase is complete; return them."""
        if self._pending is None:
            return []
        phase = _main_phase(self._pending[0])
        events = []
        while self._pending is not None and _main_phase(self._pending[0]) == phase:
            events.append(self.next())
        return events

    def run_to(self, phase: str, *, layer: int | None = None, node: int | None = None) -> Event:
        """Take steps until one of ``phase`` (and ``layer``, ``node`` if given) is taken.

        ``phase`` is one of :data:`PHASES`, a finer event phase, or ``"delta"`` for either
        delta phase.  For a connection, ``layer`` and ``node`` name its downstream node.

        Raises
        ------
        IncompatibleError
            If no remaining step matches.
        """
        known = {*PHASES, *FORWARD_PARTS, "delta"}
        if phase not in known:
            raise IncompatibleError(f"unknown phase {phase!r}; known: {', '.join(sorted(known))}")
        while self._pending is not None:
            event = self.next()
            if _matches(event, phase) and layer in (None, event.layer) and node in (None, event.node):
                return event
        raise IncompatibleError(
            f"no remaining step matches phase={phase!r}, layer={layer}, node={node}; expected one still to come"
        )

    def run(self) -> list[Event]:
        """Take every remaining step; the network is then as after one training step."""
        events = []
        while self._pending is not None:
            events.append(self.next())
        return events

    # ------------------------------------------------------------------ formulas
    def _describe(self, index: int, phase: str, target: Any, before: float, state: Any = None) -> Event:
        after = _quantity(phase, target)
        dropped = False
        if isinstance(target, Connection):
            formula, numbers, quantity = self._connection_formula(phase, target, before, state)
            node, source = target.downstream, target.upstream.node_index
        else:
            equations = self._node_equations(phase, target)
            formula, numbers = join_symbols(equations), join_numbers(equations, self.digits)
            quantity = {"input": "o", "forward": "o", "output": "o", "net_input": "net"}.get(phase, "δ")
            node, source = target, None
            dropped = phase in ("forward", "hidden_delta") and target.dropped
            if dropped:
                numbers += " (dropped)"
        name = self.shown(target.label)
        if self.ascii:
            formula, numbers, name = to_ascii(formula), to_ascii(numbers), to_ascii(name)
        return Event(
            index,
            phase,
            node.layer_index,
            node.node_index,
            source,
            target.label,
            quantity,
            formula,
            numbers,
            before,
            after,
            dropped,
            name,
        )

    def shown(self, label: str) -> str:
        """The name of the node or connection ``label`` in this stepper's scheme (the label for graph names)."""
        return label if self.names == "graph" else self.name_of.get(label, label)

    def _node_equations(self, phase: str, node: Node) -> list[Equation]:
        layer_nodes = self.network.layers[node.layer_index].nodes
        names = self.name_of
        if phase == "input":
            return formulas.input_formula(node, self.x[node.node_index], names)
        if phase == "net_input":
            return formulas.net_input_formula(node, names)
        if phase == "forward":
            return formulas.forward_formula(node, names)
        if phase == "output":
            return formulas.softmax_output_formula(node, layer_nodes, names)
        if phase == "output_delta":
            return formulas.output_delta_formula(node, self.network.loss_function, self.target, layer_nodes, names)
        return formulas.hidden_delta_formula(node, names)

    def _connection_formula(self, phase: str, c: Connection, before: float, state: Any = None) -> tuple[str, str, str]:
        if phase == "gradient":
            equations = formulas.gradient_formula(c, self.network.l2, self.name_of, self.network.l2_bias)
            return join_symbols(equations), join_numbers(equations, self.digits), "∂E/∂w"
        optimizer = self.optimizer
        rate = optimizer.current_rate if optimizer.current_rate is not None else self.rate
        if type(optimizer) is SGD:
            equations = formulas.sgd_update_formula(c, before, rate, self.name_of)
            return join_symbols(equations), join_numbers(equations, self.digits), "w"
        w = formulas.weight_name(c, self.name_of)
        return (
            f"{w}: {optimizer.formula}  (g = ∂E/∂w, {optimizer.name})",
            f"{w}: {explain_update(optimizer, before, c.gradient, state, rate, self.digits)}",
            "w",
        )

    # ------------------------------------------------------------------ showing
    def __repr__(self) -> str:
        upcoming = "done" if self._pending is None else f"next: {self._pending[0]} {self.shown(self._pending[1].label)}"
        last = f"\n{self.history[-1]}" if self.history else ""
        return f"Stepper(step {self.position}/{self.total}, {upcoming}){last}"

    def __rich__(self) -> RenderableType:
        return display.rich(self)

    def to_html(self, *, max_nodes: int = 10) -> str:
        """The whole training step as one self-contained HTML page with a player.

        The page plays back every step in a browser (no network access needed) and opens
        at this stepper's position; see :mod:`graphnet.views.player`.  The stepper is unchanged.
        """
        return display.html(self, max_nodes=max_nodes)

    def _repr_html_(self) -> str:
        return display.html(self, player=False)


def explain_update(optimizer: Optimizer, weight: float, gradient: float, state: Any, rate: float, digits: int) -> str:
    """``optimizer.explain(...)`` to ``digits`` decimal places (one of your own without ``digits``: its own)."""
    if "digits" in inspect.signature(optimizer.explain).parameters:
        return optimizer.explain(weight, gradient, state, rate, digits=digits)
    return optimizer.explain(weight, gradient, state, rate)


def _main_phase(phase: str) -> str:
    return "forward" if phase in FORWARD_PARTS else phase


def _matches(event: Event, phase: str) -> bool:
    if phase == "delta":
        return event.phase in ("output_delta", "hidden_delta")
    return phase in (event.phase, event.main_phase)


def _quantity(phase: str, target: Any) -> float:
    """The value a step of ``phase`` changes on ``target``."""
    if phase == "gradient":
        return float(target.gradient)
    if phase == "update":
        return float(target.weight)
    if phase in ("output_delta", "hidden_delta"):
        return float(target.delta)
    if phase == "net_input":
        return float(target.net_input)
    return float(target.output)


Snapshot = tuple[
    list[tuple[float, float, float, float | None]],
    list[tuple[float, float, Any]],
    tuple[int, int, float | None],
]


def network_state(network: Network) -> Snapshot:
    """Every node's net, o, δ and mask, every connection's w, ∂E/∂w and state, the optimizer's counts."""
    nodes = [(n.net_input, n.output, n.delta, n.mask) for layer in network.layers for n in layer.nodes]
    connections = [(c.weight, c.gradient, None if c.state is None else c.state.copy()) for c in network.connections]
    optimizer = network.optimizer
    return nodes, connections, (optimizer.step_count, optimizer.epoch_count, optimizer.current_rate)


def restore_state(network: Network, snapshot: Snapshot) -> None:
    """Put back what :func:`network_state` took."""
    node_values, connection_values, (steps, epochs, current_rate) = snapshot
    all_nodes = [n for layer in network.layers for n in layer.nodes]
    for node, (net_input, output, delta, mask) in zip(all_nodes, node_values, strict=True):
        node.net_input, node.output, node.delta, node.mask = net_input, output, delta, mask
    for connection, (weight, gradient, state) in zip(network.connections, connection_values, strict=True):
        connection.weight, connection.gradient = weight, gradient
        connection.state = None if state is None else state.copy()
    network.optimizer.set_counts(steps, epochs, current_rate)


extensions.stepper.plug(Stepper)
