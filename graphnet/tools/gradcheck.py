"""The gradient checker: central differences beside the graph's and the fast path's gradients.

"How do I know my backprop is right?"  Compute every ∂E/∂w three ways and compare:

* **numeric**: a central difference of the loss E, evaluated on the fast path's arrays,
  which knows nothing of δ or of any activation's derivative;
* **graph**: the object graph's own backward pass, :meth:`Network.gradients`;
* **fast**: the vectorized mirror's backward pass, :meth:`FastNetwork.gradients`.

:func:`gradient_check` returns a :class:`GradientReport`: one row per parameter (named by
its connection, e.g. ``(1-3) -> (2-0)``, biases as ``(1-4) -> (2-0)`` from the bias node),
with the three values, the relative and the absolute error, and a verdict.  It renders
itself as a rich table (worst rows first) and as plain text (:meth:`GradientReport.to_text`).

Modes, for networks of any size:

* ``"full"``: every parameter;
* ``"sample"``: a seeded random sample of ``per_layer`` parameters in each layer;
* ``"directional"``: ``directions`` random directions v per layer, comparing g·v with the
  difference quotient of E along v; its cost does not grow with the number of parameters.

What this module leaves out: it checks first derivatives of the loss with respect to the
parameters, not gradients with respect to the inputs, and it does not train or change the
network (every parameter is exactly as it was afterwards).

Examples
--------
>>> from graphnet import Network
>>> net = Network([3, 4, 2], activation="tanh", seed=0)
>>> report = gradient_check(net, [0.5, -1.0, 2.0], [0.2, 0.7])
>>> report.passed, len(report.rows), report.max_relative_error < 1e-7
(True, 26, True)
>>> report.rows[0].label
'(0-0) -> (1-0)'
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.math.activations import Activation, LeakyReLU, ReLU
from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_count, check_positive_number

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.fast.dense import DenseLayer
    from graphnet.fast.network import FastNetwork
    from graphnet.graph.network import Network
    from graphnet.math.dropout import MasksLike

Array = NDArray[np.floating]
Mode = Literal["full", "sample", "directional"]
Verdict = Literal["ok", "kink", "suspicious", "wrong", "mismatch"]

#: Unit round-off of float64: u = 2⁻⁵³ ≈ 1.1e-16.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0
#: Default step of the stencil of each order, u^(1/(order+1)) (see :func:`gradient_check`).
DEFAULT_EPSILON = {order: UNIT_ROUNDOFF ** (1.0 / (order + 1)) for order in (2, 4, 6)}
#: Central-difference stencils: accuracy order → ((multiple of the step, weight), …).
#: The estimate is Σ weight·E(θ + multiple·h·e) / h.
STENCILS: dict[int, tuple[tuple[int, float], ...]] = {
    2: ((-1, -1.0 / 2.0), (1, 1.0 / 2.0)),
    4: ((-2, 1.0 / 12.0), (-1, -8.0 / 12.0), (1, 8.0 / 12.0), (2, -1.0 / 12.0)),
    6: (
        (-3, -1.0 / 60.0),
        (-2, 9.0 / 60.0),
        (-1, -45.0 / 60.0),
        (1, 45.0 / 60.0),
        (2, -9.0 / 60.0),
        (3, 1.0 / 60.0),
    ),
}
#: Relative error at or below which a gradient is "ok" (float64 guidance).
OK_RELATIVE_ERROR = 1e-7
#: Relative error above which a gradient is "wrong" (between the two: "suspicious").
WRONG_RELATIVE_ERROR = 1e-4
#: Absolute error always accepted: below it a gradient is indistinguishable from 0.
ABSOLUTE_TOLERANCE = 1e-9
#: Graph and fast path must agree to this relative precision (the mirror invariant) …
MIRROR_RELATIVE_TOLERANCE = 1e-9
#: … or to this absolute precision, times max(1, the largest gradient).
MIRROR_ABSOLUTE_TOLERANCE = 1e-12
#: The smallest source output used to size a step (see :func:`gradient_check`, Notes).
MIN_SOURCE_SCALE = 1e-6
#: A row whose stencil reaches over a kink is recomputed with a step this much smaller …
KINK_SHRINK = 10.0
#: … up to this many times (the error budget allows it: see :func:`gradient_check`).
KINK_RETRIES = 3
#: Where the built-in kinked activations have their kink (net input values).
BUILTIN_KINKS: dict[type[Activation], tuple[float, ...]] = {ReLU: (0.0,), LeakyReLU: (0.0,)}
#: What :class:`PlantedBug` multiplies the true derivative by, unless told otherwise.
PLANTED_BUG_FACTOR = 1.1
#: Rows shown by the rich view and the text view unless told otherwise.
DEFAULT_MAX_ROWS = 20
#: Elements per work array when perturbations are batched (bounds memory, keeps caches warm).
CHUNK_ELEMENTS = 1 << 18

VERDICTS: tuple[Verdict, ...] = ("ok", "kink", "suspicious", "wrong", "mismatch")
#: Severity order for sorting and summaries: the worst first.
SEVERITY: dict[str, int] = {"mismatch": 4, "wrong": 3, "suspicious": 2, "kink": 1, "ok": 0}
VERDICT_STYLES: dict[str, str] = {
    "ok": "green",
    "kink": "cyan",
    "suspicious": "yellow",
    "wrong": "bold red",
    "mismatch": "bold magenta",
}
_OK, _KINK, _SUSPICIOUS, _WRONG, _MISMATCH = range(5)


# ---------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class GradientRow:
    """One checked parameter (or, in directional mode, one direction) of a report.

    Attributes
    ----------
    label : str
        The connection, ``(i-layer-i) -> (j-layer-j)``, or ``layer l · direction d``.
    layer : int
        The layer the connection leads into (1 … L).
    target, source : int or None
        j and i of w_ji (``source`` is the bias node's index for a bias); None in
        directional mode.
    is_bias : bool
    weight : float
        w_ji (NaN in directional mode).
    numeric, graph, fast : float
        ∂E/∂w_ji from central differences, from the graph and from the fast path
        (directional mode: the derivative along the direction, g·v).
    relative_error : float
        |a − n| / max(|a|, |n|), the worse of a = graph and a = fast (0 when both are 0).
    absolute_error : float
        |a − n|, the worse of the two.
    mirror_error : float
        |graph − fast|.
    step : float
        The step h of the central difference in units of this parameter.
    kink : bool
        A kinked activation had a net input within the reach of the perturbation even at
        the smallest step tried.
    near_kink : bool
        The default step reached over a kink, so the row was recomputed with smaller steps
        (it is less precise: about 1e-11 instead of 1e-14 absolute).
    verdict : str
        "ok", "kink", "suspicious", "wrong" or "mismatch" (see :func:`gradient_check`).
    """

    label: str
    layer: int
    target: int | None
    source: int | None
    is_bias: bool
    weight: float
    numeric: float
    graph: float
    fast: float
    relative_error: float
    absolute_error: float
    mirror_error: float
    step: float
    kink: bool
    near_kink: bool
    verdict: Verdict

    @property
    def failed(self) -> bool:
        """True for "wrong" and "mismatch"."""
        return self.verdict in ("wrong", "mismatch")


@dataclass(frozen=True)
class LayerSummary:
    """The rows of one layer at a glance.

    Attributes
    ----------
    layer : int
        1 … L.
    activation : str
        The name of the layer's activation.
    n_parameters, n_checked : int
        Parameters in the layer (W and b) and rows checked (directions in directional mode).
    counts : dict
        Rows per verdict.
    max_relative_error : float
        The largest relative error among the layer's non-tiny rows (see
        :attr:`GradientReport.max_relative_error`).
    worst : GradientRow or None
        The row that looks worst.
    near_kink : int
        Rows recomputed with smaller steps because the default one reached over a kink.
    """

    layer: int
    activation: str
    n_parameters: int
    n_checked: int
    counts: dict[str, int]
    max_relative_error: float
    worst: GradientRow | None
    near_kink: int = 0

    @property
    def failed(self) -> bool:
        """True when a row of this layer is "wrong" or "mismatch"."""
        return self.counts["wrong"] + self.counts["mismatch"] > 0


class GradientReport:
    """What :func:`gradient_check` found: one row per checked parameter, and summaries.

    The rows are held as columns (numpy arrays), so a report over a quarter of a million
    parameters stays small; :attr:`rows` builds :class:`GradientRow` objects on demand.

    Attributes
    ----------
    mode : str
        "full", "sample" or "directional".
    order : int
        Accuracy order of the central difference (2, 4 or 6).
    epsilon : float
        The step in net-input units (see :func:`gradient_check`).
    sizes : list of int
    activations : list of str
        One per non-input layer.
    loss_name : str
    loss : float
        E at the unperturbed parameters (including the L2 term).
    n_samples : int
    reduction : str
    n_parameters : int
        Parameters in the network.
    evaluations : int
        Perturbed loss values computed (each a forward pass over the batch; in full and
        sample mode they run in batched blocks, so most cost far less than a full pass).
    seconds : float
        Wall time of the check.
    layer_index, target_index, source_index : int arrays
        Where each row's parameter sits (target and source are −1 in directional mode).
    numeric, graph, fast, weights, steps : float arrays
    relative_errors, absolute_errors, mirror_errors : float arrays
    kinks, near_kinks : bool arrays
        The final stencil reaches over a kink; the first one did (see :func:`gradient_check`).
    verdict_codes : int array
        Index into :data:`VERDICTS`.
    relative_tolerance, wrong_tolerance, absolute_tolerance : float
        The thresholds the verdicts used.
    """

    def __init__(
        self,
        *,
        mode: str,
        order: int,
        epsilon: float,
        network: Network,
        loss: float,
        n_samples: int,
        reduction: str,
        columns: dict[str, NDArray[Any]],
        evaluations: int,
        seconds: float,
        relative_tolerance: float,
        wrong_tolerance: float,
        absolute_tolerance: float,
    ) -> None:
        self.mode = mode
        self.order = order
        self.epsilon = epsilon
        self.sizes = list(network.sizes)
        self.activations = [activation.name for activation in network.activations]
        self.loss_name = network.loss_function.name
        self.loss = loss
        self.n_samples = n_samples
        self.reduction = reduction
        self.n_parameters = network.n_parameters
        self.layer_parameters = [
            size * (below + (1 if network.bias else 0))
            for below, size in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        ]
        self.evaluations = evaluations
        self.seconds = seconds
        self.relative_tolerance = relative_tolerance
        self.wrong_tolerance = wrong_tolerance
        self.absolute_tolerance = absolute_tolerance
        self.layer_index: NDArray[np.intp] = columns["layer"]
        self.target_index: NDArray[np.intp] = columns["target"]
        self.source_index: NDArray[np.intp] = columns["source"]
        self.weights: Array = columns["weight"]
        self.numeric: Array = columns["numeric"]
        self.graph: Array = columns["graph"]
        self.fast: Array = columns["fast"]
        self.steps: Array = columns["step"]
        self.kinks: NDArray[np.bool_] = columns["kink"]
        self.near_kinks: NDArray[np.bool_] = columns["near_kink"]
        self._grade()

    # ------------------------------------------------------------------ verdicts
    def _grade(self) -> None:
        """Relative and absolute errors and the verdict of every row (the rule of gradient_check)."""
        numeric = self.numeric
        finite = np.isfinite(numeric) & np.isfinite(self.graph) & np.isfinite(self.fast)
        worst_absolute = np.zeros_like(numeric)
        worst_relative = np.zeros_like(numeric)
        badness = np.zeros_like(numeric)
        codes = np.full(numeric.shape, _OK, dtype=np.intp)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for analytic in (self.graph, self.fast):
                # |a − n| against atol + rtol·max(|a|, |n|)
                absolute = np.abs(analytic - numeric)
                scale = np.maximum(np.abs(analytic), np.abs(numeric))
                relative = np.where(scale > 0, absolute / np.where(scale > 0, scale, 1.0), 0.0)
                ok_bound = self.absolute_tolerance + self.relative_tolerance * scale
                wrong_bound = self.absolute_tolerance + self.wrong_tolerance * scale
                code = np.where(absolute > wrong_bound, _WRONG, np.where(absolute > ok_bound, _SUSPICIOUS, _OK))
                codes = np.maximum(codes, code)
                worst_absolute = np.maximum(worst_absolute, absolute)
                worst_relative = np.maximum(worst_relative, relative)
                # how far past the "ok" bound a row is: the sort key within a verdict
                badness = np.maximum(
                    badness, np.where(ok_bound > 0, absolute / np.where(ok_bound > 0, ok_bound, 1.0), 0.0)
                )
        codes[(codes != _OK) & self.kinks] = _KINK
        self.mirror_errors: Array = np.abs(self.graph - self.fast)
        largest = float(np.abs(self.graph[finite]).max()) if finite.any() else 0.0
        mirror_bound = MIRROR_ABSOLUTE_TOLERANCE * max(1.0, largest) + MIRROR_RELATIVE_TOLERANCE * np.maximum(
            np.abs(self.graph), np.abs(self.fast)
        )
        codes[self.mirror_errors > mirror_bound] = _MISMATCH
        # a NaN or infinite value anywhere is wrong, whatever the comparisons said
        codes[~finite] = _WRONG
        worst_absolute[~finite] = math.inf
        worst_relative[~finite] = math.inf
        badness[~finite] = math.inf
        self.absolute_errors: Array = worst_absolute
        self.relative_errors: Array = worst_relative
        self.verdict_codes: NDArray[np.intp] = codes
        self._badness: Array = badness

    # ------------------------------------------------------------------ rows
    def __len__(self) -> int:
        return int(self.numeric.size)

    def row(self, index: int) -> GradientRow:
        """Row ``index`` as a :class:`GradientRow`."""
        layer = int(self.layer_index[index])
        target = int(self.target_index[index])
        source = int(self.source_index[index])
        directional = target < 0
        n_in = self.sizes[layer - 1]
        if directional:
            label = f"layer {layer} · direction {source}"
        else:
            label = f"({layer - 1}-{source}) -> ({layer}-{target})"
        return GradientRow(
            label=label,
            layer=layer,
            target=None if directional else target,
            source=None if directional else source,
            is_bias=(not directional) and source == n_in,
            weight=float(self.weights[index]),
            numeric=float(self.numeric[index]),
            graph=float(self.graph[index]),
            fast=float(self.fast[index]),
            relative_error=float(self.relative_errors[index]),
            absolute_error=float(self.absolute_errors[index]),
            mirror_error=float(self.mirror_errors[index]),
            step=float(self.steps[index]),
            kink=bool(self.kinks[index]),
            near_kink=bool(self.near_kinks[index]),
            verdict=VERDICTS[int(self.verdict_codes[index])],
        )

    @cached_property
    def rows(self) -> tuple[GradientRow, ...]:
        """Every row, in network order (layer, node j, source i, bias last)."""
        return tuple(self.row(index) for index in range(len(self)))

    def __iter__(self) -> Iterator[GradientRow]:
        return iter(self.rows)

    @cached_property
    def _worst_order(self) -> NDArray[np.intp]:
        """Row indices, worst first: by verdict severity, then by distance past the ok bound."""
        severity = np.array([SEVERITY[v] for v in VERDICTS])[self.verdict_codes]
        order: NDArray[np.intp] = np.lexsort((-self._badness, -severity))
        return order

    def worst(self, n: int = 5) -> list[GradientRow]:
        """The ``n`` rows that look worst (failures first, then the largest errors)."""
        return [self.row(int(index)) for index in self._worst_order[: check_count(n, name="n", minimum=0)]]

    # ------------------------------------------------------------------ summaries
    @property
    def counts(self) -> dict[str, int]:
        """Rows per verdict."""
        tally = np.bincount(self.verdict_codes, minlength=len(VERDICTS))
        return {verdict: int(count) for verdict, count in zip(VERDICTS, tally, strict=True)}

    @property
    def passed(self) -> bool:
        """True when no row is "wrong" or "mismatch" ("suspicious" and "kink" rows pass)."""
        return not bool(np.any(self.verdict_codes >= _WRONG))

    def _non_tiny(self) -> NDArray[np.bool_]:
        scale = np.maximum(np.abs(self.numeric), np.maximum(np.abs(self.graph), np.abs(self.fast)))
        mask: NDArray[np.bool_] = ((scale > self.absolute_tolerance) | np.isnan(scale)) & ~self.kinks
        return mask

    @property
    def max_relative_error(self) -> float:
        """The largest relative error over rows whose gradient exceeds the absolute tolerance.

        Rows at a kink are left out; on near-zero gradients the relative error is noise
        (that is why the verdict also has an absolute tolerance).  0.0 if no row qualifies.
        """
        mask = self._non_tiny()
        return float(self.relative_errors[mask].max()) if mask.any() else 0.0

    @property
    def max_absolute_error(self) -> float:
        """The largest absolute error |a − n| over all rows."""
        return float(self.absolute_errors.max()) if len(self) else 0.0

    @cached_property
    def layers(self) -> list[LayerSummary]:
        """One :class:`LayerSummary` per non-input layer."""
        non_tiny = self._non_tiny()
        # the first row of each layer in worst-first order is that layer's worst row
        layers_worst_first = self.layer_index[self._worst_order]
        present, first = np.unique(layers_worst_first, return_index=True)
        worst_of = {int(layer): int(self._worst_order[at]) for layer, at in zip(present, first, strict=True)}
        summaries = []
        for layer, (activation, n_parameters) in enumerate(
            zip(self.activations, self.layer_parameters, strict=True), start=1
        ):
            in_layer = self.layer_index == layer
            tally = np.bincount(self.verdict_codes[in_layer], minlength=len(VERDICTS))
            relevant = in_layer & non_tiny
            summaries.append(
                LayerSummary(
                    layer=layer,
                    activation=activation,
                    n_parameters=n_parameters,
                    n_checked=int(in_layer.sum()),
                    counts={verdict: int(count) for verdict, count in zip(VERDICTS, tally, strict=True)},
                    max_relative_error=float(self.relative_errors[relevant].max()) if relevant.any() else 0.0,
                    worst=self.row(worst_of[layer]) if layer in worst_of else None,
                    near_kink=int(self.near_kinks[in_layer].sum()),
                )
            )
        return summaries

    @property
    def failing_layers(self) -> list[int]:
        """The layers (1 … L) that hold a "wrong" or "mismatch" row."""
        return sorted({int(layer) for layer in self.layer_index[self.verdict_codes >= _WRONG]})

    @property
    def suspect_layer(self) -> int | None:
        """The highest failing layer: where a wrong derivative most likely enters.

        A wrong f′ in layer l spoils δ of layer l, and through backpropagation the δ and
        the gradients of every layer below it, while the layers above stay right.  None
        when the check passed.
        """
        failing = self.failing_layers
        return failing[-1] if failing else None

    @property
    def summary(self) -> str:
        """One or two sentences: passed or not, and where the trouble is."""
        counts = self.counts
        what = "directions" if self.mode == "directional" else "parameters"
        head = (
            f"{len(self)} {what} checked ({self.mode}, order {self.order}, ε={self.epsilon:.1e}); "
            f"max relative error {self.max_relative_error:.1e}"
        )
        notes = [f"{counts[v]} {v}" for v in ("kink", "suspicious") if counts[v]]
        near = int(self.near_kinks.sum())
        if near:
            notes.append(f"{near} near a kink (smaller steps)")
        if self.passed:
            return f"PASSED: {head}" + (f"; {', '.join(notes)}" if notes else "")
        parts = []
        for summary in reversed(self.layers):
            if not summary.failed:
                continue
            bad = summary.counts["wrong"] + summary.counts["mismatch"]
            example = f", e.g. {summary.worst.label}" if summary.worst is not None else ""
            kind = "wrong" if summary.counts["wrong"] else "mismatched"
            parts.append(
                f"layer {summary.layer} ({summary.activation}): {bad} of {summary.n_checked} {what} {kind}{example}"
            )
        sentence = f"FAILED: {'; '.join(parts)}."
        if len(parts) > 1:
            sentence += (
                f" The error most likely enters at layer {self.suspect_layer}, the highest one failing;"
                " the layers below inherit it through δ."
            )
        return f"{sentence} {head}"

    def __repr__(self) -> str:
        state = "passed" if self.passed else f"failed in layers {self.failing_layers}"
        return (
            f"GradientReport({self.sizes}, mode={self.mode!r}, rows={len(self)}, {state}, "
            f"max_relative_error={self.max_relative_error:.1e})"
        )

    # ------------------------------------------------------------------ showing itself
    def render(self, *, max_rows: int = DEFAULT_MAX_ROWS) -> RenderableType:
        """A rich view: the summary line, the worst ``max_rows`` rows, the per-layer table."""
        max_rows = check_count(max_rows, name="max_rows", minimum=0)
        headline = Text(self.summary, style="bold green" if self.passed else "bold red")
        what = "direction" if self.mode == "directional" else "parameter"
        rows = Table(
            title=f"∂E/∂w: numeric vs graph vs fast, worst first ({self.loss_name}, E={self.loss:.6g})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 1, 0, 0),
            pad_edge=False,
        )
        rows.add_column(what, no_wrap=True)
        for name in ("numeric", "graph", "fast", "rel.err", "abs.err"):
            rows.add_column(name, justify="right", no_wrap=True)
        rows.add_column("verdict", no_wrap=True)
        shown = self._worst_order[:max_rows]
        for index in shown:
            row = self.row(int(index))
            rows.add_row(
                Text(row.label),
                Text(f"{row.numeric:.5g}"),
                Text(f"{row.graph:.5g}"),
                Text(f"{row.fast:.5g}"),
                Text(f"{row.relative_error:.1e}"),
                Text(f"{row.absolute_error:.1e}"),
                Text(row.verdict, style=VERDICT_STYLES[row.verdict]),
            )
        hidden = len(self) - len(shown)
        if hidden > 0:
            rows.add_row(Text(f"… {hidden} more rows", style="dim"), *([""] * 6))
        layers = Table(title="per layer", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for name in ("layer", "activation", "checked", "verdicts", "max rel. error"):
            layers.add_column(name, justify="right" if name in ("layer", "checked") else "left")
        for summary in self.layers:
            verdicts = Text(", ").join(
                Text(f"{summary.counts[v]} {v}", style=VERDICT_STYLES[v])
                for v in reversed(VERDICTS)
                if summary.counts[v]
            )
            if summary.near_kink:
                verdicts.append(f" ({summary.near_kink} near a kink)", style="dim")
            layers.add_row(
                Text(str(summary.layer), style="bold red" if summary.failed else ""),
                Text(summary.activation),
                Text(f"{summary.n_checked}/{summary.n_parameters}"),
                verdicts,
                Text(f"{summary.max_relative_error:.1e}"),
            )
        return Group(headline, rows, layers)

    def __rich__(self) -> RenderableType:
        return self.render()

    def to_text(self, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
        """The report as plain text for logs: summary, worst ``max_rows`` rows, per-layer lines."""
        max_rows = check_count(max_rows, name="max_rows", minimum=0)
        what = "direction" if self.mode == "directional" else "parameter"
        labels = [self.row(int(i)) for i in self._worst_order[:max_rows]]
        width = max([len(what), *(len(row.label) for row in labels)])
        lines = [
            self.summary,
            f"loss {self.loss_name} E={self.loss:.10g}  samples {self.n_samples} ({self.reduction})  "
            f"evaluations {self.evaluations}  {self.seconds:.3f} s",
            f"{what:<{width}}  {'numeric':>16}  {'graph':>16}  {'fast':>16}  "
            f"{'rel. error':>10}  {'abs. error':>10}  verdict",
        ]
        for row in labels:
            lines.append(
                f"{row.label:<{width}}  {row.numeric:>16.9e}  {row.graph:>16.9e}  {row.fast:>16.9e}  "
                f"{row.relative_error:>10.1e}  {row.absolute_error:>10.1e}  {row.verdict}"
            )
        hidden = len(self) - len(labels)
        if hidden > 0:
            lines.append(f"… {hidden} more rows")
        lines.append("per layer:")
        for summary in self.layers:
            counts = ", ".join(f"{summary.counts[v]} {v}" for v in VERDICTS if summary.counts[v])
            lines.append(
                f"  layer {summary.layer} ({summary.activation}): {summary.n_checked}/"
                f"{summary.n_parameters} checked: {counts or 'none'}"
                + (f" ({summary.near_kink} near a kink)" if summary.near_kink else "")
                + "; "
                f"max relative error {summary.max_relative_error:.1e}"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- the check
def gradient_check(
    network: Network | FastNetwork,
    x: ArrayLike,
    t: ArrayLike,
    *,
    mode: Mode = "full",
    epsilon: float | None = None,
    order: int = 6,
    per_layer: int = 10,
    directions: int = 3,
    seed: int | np.random.Generator | None = 0,
    reduction: str = "mean",
    relative_tolerance: float = OK_RELATIVE_ERROR,
    wrong_tolerance: float = WRONG_RELATIVE_ERROR,
    absolute_tolerance: float = ABSOLUTE_TOLERANCE,
    masks: MasksLike | None = None,
) -> GradientReport:
    """Compare ∂E/∂w from central differences with the graph's and the fast path's backprop.

    Parameters
    ----------
    network : Network
        The graph network to check (a FastNetwork stands for the network it mirrors).
        Its parameters are exactly the same afterwards.
    x : array (n_inputs,) or (n_samples, n_inputs)
        One sample, or a batch.
    t : array (n_outputs,) or (n_samples, n_outputs)
        The target(s), in the loss's domain.
    mode : {"full", "sample", "directional"}, default "full"
        Every parameter; ``per_layer`` random parameters of each layer; or ``directions``
        random directions per layer.
    epsilon : float, optional
        The step ε, in units of the net input it moves; default u^(1/(order+1)): 4.8e-6
        for order 2, 6.4e-4 for order 4, 5.3e-3 for order 6 (see Notes).
    order : {6, 4, 2}, default 6
        Accuracy order of the central difference.  2: the textbook
        (E(w+h) − E(w−h)) / 2h; 4: (E(w−2h) − 8·E(w−h) + 8·E(w+h) − E(w+2h)) / 12h, the
        Richardson extrapolation of the textbook quotient; 6: the next one, on ±h, ±2h, ±3h.
    per_layer : int, default 10
        Parameters drawn from each layer in ``"sample"`` mode (all, if the layer has fewer).
    directions : int, default 3
        Directions per layer in ``"directional"`` mode.
    seed : int or numpy.random.Generator, default 0
        Draws the sample of parameters or the directions.
    reduction : {"mean", "sum"}, default "mean"
        How the per-sample losses of a batch combine into E (as in training).
    relative_tolerance, wrong_tolerance, absolute_tolerance : float
        The thresholds of the verdict rule (defaults 1e-7, 1e-4, 1e-9; see Notes).
    masks : list, optional
        Fixed dropout masks (row r for sample r, e.g. ``net.draw_masks(n)``): check the
        gradients training computes under them, o_j = f(net_j)·m_j/q.  Default: none, the
        network in evaluation mode.

    Returns
    -------
    GradientReport
        One row per checked parameter (or direction), the verdicts and summaries;
        ``report.passed`` says whether no row is "wrong" or "mismatch".

    Raises
    ------
    ShapeError, IncompatibleError, NonFiniteError
        For inputs or targets that do not fit the network, or bad options.
    NotDifferentiableError
        If a layer uses the step activation.

    Notes
    -----
    **The loss.**  E = reduction over the samples of E(y, t), plus (λ/2)·Σ w² when the
    network has ``l2 > 0``: the same E that training descends, so the L2 term λ·w is part of
    every weight's gradient.

    **The numeric gradient** is computed on the fast path's arrays, never by backprop.
    A weight w_ji of layer l acts only through unit j's net input, net_j = Σ_i w_ji·o_i + b_j:
    moving it by h moves net_j by h·o_i and nothing else in layer l.  So all perturbations
    of layer l are handled as one batch of net inputs of that unit, and only the layers
    above are recomputed, starting with the rank-one change W_{l+1}[:, j]·Δo_j of the next
    layer's net inputs.  The network's parameters are never written.  The L2 term is a
    quadratic, for which a central difference is exact; its change (λ/2)·Δw·(2w + Δw) is
    computed without cancellation.  In directional mode the whole network is evaluated at
    θ + s·h·v for the stencil's points s (``order`` forward passes per direction), and the
    parameters are put back as the very same arrays afterwards.

    **The step.**  A central difference trades truncation error against round-off.  The
    textbook quotient (order 2) has truncation error h²·|E‴|/6 and round-off about u·|E|/h,
    where u = 2⁻⁵³ ≈ 1.1e-16 is the float64 unit round-off (each E carries a relative error
    of about u, and the difference is divided by h).  Their sum is least near
    h ≈ u^(1/3) ≈ 5e-6, in units where E and its derivatives are of order 1, and leaves an
    error of about u^(2/3) ≈ 2e-11: too coarse to certify a gradient of 1e-6 to a relative
    error of 1e-7 (measured: up to 1e-5).  A stencil of order p cancels the Taylor terms
    below h^p, so its best step is ε ≈ u^(1/(p+1)) and its error about u^(p/(p+1)):

    ===== ============== ================== =========
    order points         default ε          error
    ===== ============== ================== =========
    2     ±h             u^(1/3) ≈ 4.8e-6   ≈ 2e-11
    4     ±h, ±2h        u^(1/5) ≈ 6.4e-4   ≈ 2e-13
    6     ±h, ±2h, ±3h   u^(1/7) ≈ 5.3e-3   ≈ 2e-14
    ===== ============== ================== =========

    The default is order 6: three times the evaluations of the textbook quotient and a
    thousand times finer.  The step is sized where w_ji acts, on net_j: h = ε / |o_i|
    (the largest |o_i| over the samples, at least 1e-6; a bias has o = 1), so net_j moves by
    ε whatever the size of o_i.  Activations have their features at net inputs of order 1
    whatever the size of the weight, so ε is not scaled by |w|.

    **Kinks.**  ReLU and leaky ReLU have no derivative at 0 (a custom activation lists its
    kinks in a ``kinks`` attribute, e.g. ``kinks = (0.0,)``).  A row's stencil *reaches over
    a kink* when, in some sample, some unit of a kinked layer has net inputs over the
    stencil's perturbed passes that do not all lie on one side of the kink (for the perturbed
    unit itself: |net_j − kink| ≤ s_max·h·|o_i|, s_max = order/2; order 6 reaches 3ε ≈ 0.016).
    The difference quotient then mixes two slopes and means nothing, so the row is
    recomputed with steps 10, 100 and 1000 times smaller (``near_kink``); these are still
    accurate to about 1e-11.  Only if even the smallest step reaches over the kink (a net
    input within about 1e-5 of it, or on it) does the row keep the ``kink`` flag.

    **The verdict** of a row, with a = the graph's and then the fast path's gradient and
    n = the numeric one, taking the worse of the two:

    * "ok" when |a − n| ≤ atol + 1e-7·max(|a|, |n|);
    * "suspicious" when |a − n| ≤ atol + 1e-4·max(|a|, |n|) (but not ok);
    * "wrong" otherwise;
    * "kink" instead of "suspicious" or "wrong" when the row keeps the ``kink`` flag (see
      Kinks): the loss is not differentiable there, so no number is wrong;
    * "mismatch" when graph and fast disagree by more than 1e-9 relative (plus 1e-12 of the
      largest gradient): the two engines must agree whatever the numbers say.

    The relative error |a − n| / max(|a|, |n|) alone explodes on gradients near zero,
    where both values are dominated by round-off; the absolute tolerance atol (default
    1e-9) accepts those.  The float64 guidance: below 1e-7 all is well, above 1e-4 a
    derivative is almost certainly wrong.  "wrong" and "mismatch" fail the check.

    Examples
    --------
    >>> from graphnet import Network
    >>> net = Network([2, 3, 1], activation="relu", seed=1)
    >>> report = gradient_check(net, [[0.5, -0.2], [1.0, 0.3]], [[0.1], [0.9]], mode="sample", per_layer=4)
    >>> report.passed, [s.n_checked for s in report.layers]
    (True, [4, 4])
    """
    from graphnet.fast.network import FastNetwork

    started = time.perf_counter()
    if isinstance(network, FastNetwork):
        network = network.network
    graph = _check_network(network)
    options = _check_options(
        mode=mode,
        epsilon=epsilon,
        order=order,
        per_layer=per_layer,
        directions=directions,
        relative_tolerance=relative_tolerance,
        wrong_tolerance=wrong_tolerance,
        absolute_tolerance=absolute_tolerance,
    )
    step_epsilon, stencil = options
    inputs, targets = graph._check_data(x, t)
    check_schedule(len(inputs), None, reduction)
    graph._check_differentiable()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    checked_masks = graph._check_masks(masks, len(inputs))
    graph_gradients = graph.gradients(inputs, targets, reduction=reduction, masks=checked_masks)
    fast = graph.vectorized(np.float64)
    # pull, forward, backward
    fast_gradients = fast.gradients(inputs, targets, reduction=reduction, masks=checked_masks)
    engine = _Perturbations(fast, inputs, targets, stencil, reduction, fast._factors(checked_masks))
    if mode == "directional":
        columns = engine.directional(graph_gradients, fast_gradients, step_epsilon, directions, rng)
    else:
        columns = engine.per_parameter(graph_gradients, fast_gradients, step_epsilon, mode, per_layer, rng)
    return GradientReport(
        mode=mode,
        order=order,
        epsilon=step_epsilon,
        network=graph,
        loss=engine.base_loss,
        n_samples=len(inputs),
        reduction=reduction,
        columns=columns,
        evaluations=engine.evaluations,
        seconds=time.perf_counter() - started,
        relative_tolerance=relative_tolerance,
        wrong_tolerance=wrong_tolerance,
        absolute_tolerance=absolute_tolerance,
    )


def _check_network(network: object) -> Network:
    from graphnet.graph.network import Network

    if not isinstance(network, Network):
        raise IncompatibleError(
            f"gradient_check needs a graphnet Network (or its vectorized mirror); got {type(network).__name__}"
        )
    return network


def _check_options(
    *,
    mode: str,
    epsilon: float | None,
    order: int,
    per_layer: int,
    directions: int,
    relative_tolerance: float,
    wrong_tolerance: float,
    absolute_tolerance: float,
) -> tuple[float, tuple[tuple[int, float], ...]]:
    if mode not in ("full", "sample", "directional"):
        raise IncompatibleError(f"mode must be 'full', 'sample' or 'directional'; got {mode!r}")
    if isinstance(order, bool) or order not in STENCILS:
        raise IncompatibleError(f"order must be 2, 4 or 6; got {order!r}")
    if epsilon is None:
        epsilon = DEFAULT_EPSILON[order]
    epsilon = check_positive_number(epsilon, name="epsilon")
    if epsilon >= 1.0:
        raise IncompatibleError(f"epsilon is a step in net-input units and must be < 1; got {epsilon!r}")
    check_count(per_layer, name="per_layer")
    check_count(directions, name="directions")
    check_positive_number(relative_tolerance, name="relative_tolerance")
    check_positive_number(absolute_tolerance, name="absolute_tolerance", allow_zero=True)
    check_positive_number(wrong_tolerance, name="wrong_tolerance")
    if wrong_tolerance < relative_tolerance:
        raise IncompatibleError(
            f"wrong_tolerance must be ≥ relative_tolerance ({relative_tolerance:g}); got {wrong_tolerance!r}"
        )
    return epsilon, STENCILS[order]


def kinks_of(activation: Activation) -> tuple[float, ...]:
    """The net inputs where ``activation`` has a kink (no derivative): () for smooth ones.

    Built-in: ReLU and leaky ReLU at 0.  A custom activation declares its own with a class
    attribute, e.g. ``kinks = (0.0,)``.

    Examples
    --------
    >>> from graphnet.math.activations import get_activation
    >>> kinks_of(get_activation("relu")), kinks_of(get_activation("tanh"))
    ((0.0,), ())
    """
    declared = getattr(activation, "kinks", None)
    if declared is not None:
        return tuple(float(k) for k in declared)
    for kind, positions in BUILTIN_KINKS.items():
        if isinstance(activation, kind):
            return positions
    return ()


# ---------------------------------------------------------------------------------- the engine
class _KinkTracker:
    """Running min and max of net inputs over a stencil's passes, to see if any straddle a kink."""

    def __init__(self, kinks: tuple[float, ...]) -> None:
        self.kinks = kinks
        self.low: Array | None = None
        self.high: Array | None = None

    def add(self, net_inputs: Array) -> None:
        if not self.kinks:
            return
        if self.low is None or self.high is None:
            self.low = net_inputs.copy()
            self.high = net_inputs.copy()
        else:
            np.minimum(self.low, net_inputs, out=self.low)
            np.maximum(self.high, net_inputs, out=self.high)

    def straddles(self, n_rows: int) -> NDArray[np.bool_]:
        """Per leading row: True if an element has low ≤ kink ≤ high and low < high."""
        result = np.zeros(n_rows, dtype=bool)
        if self.low is None or self.high is None:
            return result
        low = self.low.reshape(n_rows, -1)
        high = self.high.reshape(n_rows, -1)
        for kink in self.kinks:
            result |= ((low <= kink) & (kink <= high) & (low < high)).any(axis=1)
        return result


class _Perturbations:
    """Loss differences under perturbed parameters, on the fast path's arrays.

    Holds the unperturbed forward pass (each layer's X, Z, Y as the fast gradients left them)
    and evaluates E at perturbed parameters in batched blocks.
    """

    def __init__(
        self,
        fast: FastNetwork,
        inputs: Array,
        targets: Array,
        stencil: tuple[tuple[int, float], ...],
        reduction: str,
        factors: list[Array | None] | None = None,
    ) -> None:
        self.fast = fast
        self.factors = factors  # dropout's m/q per layer, fixed (None: no dropout)
        self.layers: list[DenseLayer] = fast.layers
        self.inputs = inputs
        self.targets = targets
        self.stencil = stencil
        self.reduction = reduction
        self.scale = reduction_scale(reduction, len(inputs))  # 1/n for "mean", 1 for "sum"
        self.l2 = fast.network.l2
        self.kinks = [kinks_of(layer.activation) for layer in self.layers]
        self.base_loss = fast._loss(inputs, targets, reduction, masks=factors)  # E, one unperturbed forward pass
        output = self.layers[-1]
        self.base_losses = fast.loss_function.value_array(output.Y, targets, output.Z)  # e_r, (n,)
        self.evaluations = 0

    # ------------------------------------------------------------------ full and sample
    def per_parameter(
        self,
        graph_gradients: Sequence[tuple[Array, Array | None]],
        fast_gradients: Sequence[tuple[Array, Array | None]],
        epsilon: float,
        mode: str,
        per_layer: int,
        rng: np.random.Generator,
    ) -> dict[str, NDArray[Any]]:
        """Numeric ∂E/∂w for every parameter (or a sample per layer), and the analytic ones."""
        parts: dict[str, list[NDArray[Any]]] = {name: [] for name in _COLUMNS}
        for index, layer in enumerate(self.layers):
            n_out, n_in = layer.W.shape
            width = n_in + (1 if layer.b is not None else 0)
            n_parameters = n_out * width
            if mode == "sample" and per_layer < n_parameters:
                flat = np.sort(rng.choice(n_parameters, size=per_layer, replace=False))
            else:
                flat = np.arange(n_parameters)
            targets, sources = np.divmod(flat, width)
            numeric, steps, kinks, near_kinks = self._layer_numeric(index, targets, sources, epsilon)
            parts["layer"].append(np.full(flat.size, index + 1, dtype=np.intp))
            parts["target"].append(targets.astype(np.intp))
            parts["source"].append(sources.astype(np.intp))
            parts["weight"].append(_augmented(layer.W, layer.b).ravel()[flat])
            parts["numeric"].append(numeric)
            parts["graph"].append(_augmented(*graph_gradients[index]).ravel()[flat])
            parts["fast"].append(_augmented(*fast_gradients[index]).ravel()[flat])
            parts["step"].append(steps)
            parts["kink"].append(kinks)
            parts["near_kink"].append(near_kinks)
        return {name: np.concatenate(values) for name, values in parts.items()}

    def _layer_numeric(
        self, index: int, targets: NDArray[np.intp], sources: NDArray[np.intp], epsilon: float
    ) -> tuple[Array, Array, NDArray[np.bool_], NDArray[np.bool_]]:
        """Central differences for the given w_ji of layer ``index`` (0-based), in blocks.

        Returns the estimates, their steps, whether the final stencil still reaches over a
        kink, and whether the first one did (the step was then made smaller).
        """
        layer = self.layers[index]
        n_samples = len(self.inputs)
        # the widest work array: the net inputs of a layer above, or the output row if index is last
        widest = max([dense.W.shape[0] for dense in self.layers[index + 1 :]] or [layer.W.shape[0]])
        block = max(1, CHUNK_ELEMENTS // (n_samples * widest))
        numeric = np.empty(targets.size)
        steps = np.empty(targets.size)
        kinks = np.empty(targets.size, dtype=bool)
        near_kinks = np.empty(targets.size, dtype=bool)
        source_outputs = _with_ones(layer.X) if layer.b is not None else layer.X  # o_i, bias o = 1
        for start in range(0, targets.size, block):
            part = slice(start, start + block)
            j, i = targets[part], sources[part]
            o = source_outputs[:, i].T  # (p, n): o_i of each parameter, per sample
            net = layer.Z[:, j].T  # (p, n): net_j, per sample
            h = epsilon / np.maximum(np.abs(o).max(axis=1), MIN_SOURCE_SCALE)
            estimate, kink = self._block(index, j, i, o, net, h)
            near_kinks[part] = kink
            for _ in range(KINK_RETRIES):  # step back from kinks where a smaller step can
                retry = np.flatnonzero(kink)
                if retry.size == 0:
                    break
                h[retry] /= KINK_SHRINK
                estimate[retry], kink[retry] = self._block(index, j[retry], i[retry], o[retry], net[retry], h[retry])
            numeric[part], kinks[part], steps[part] = estimate, kink, h
        return numeric, steps, kinks, near_kinks

    def _block(
        self, index: int, j: NDArray[np.intp], i: NDArray[np.intp], o: Array, net: Array, h: Array
    ) -> tuple[Array, NDArray[np.bool_]]:
        """Σ_s c_s·E(w + s·h) / h for a block of p parameters of layer ``index``."""
        layer = self.layers[index]
        p, n = net.shape
        weighted = np.zeros((p, n))  # Σ_s c_s·(e_r(s) − e_r) per parameter and sample
        trackers = [_KinkTracker(kinks) for kinks in self.kinks[index:]]
        for multiple, coefficient in self.stencil:
            shifted = net + (multiple * h)[:, None] * o  # net_j + s·h·o_i, (p, n)
            trackers[0].add(shifted)
            per_sample = self._losses_above(index, j, shifted, trackers)
            # Σ_s c_s = 0: subtracting the unperturbed e_r changes nothing but the round-off
            weighted += coefficient * (per_sample - self.base_losses)
            self.evaluations += p
        numeric: Array = weighted.sum(axis=1) * self.scale / h
        if self.l2 != 0.0:
            weight = layer.W[j, np.minimum(i, layer.W.shape[1] - 1)]
            is_weight = i < layer.W.shape[1]
            # change of (λ/2)·w² when w moves by Δw: (λ/2)·Δw·(2w + Δw), computed without cancellation
            penalty = sum(
                coefficient * 0.5 * self.l2 * (multiple * h) * (2.0 * weight + multiple * h)
                for multiple, coefficient in self.stencil
            )
            numeric += np.where(is_weight, penalty / h, 0.0)
        kinks = np.zeros(p, dtype=bool)
        for tracker in trackers:
            kinks |= tracker.straddles(p)
        return numeric, kinks

    def _losses_above(self, index: int, j: NDArray[np.intp], shifted: Array, trackers: list[_KinkTracker]) -> Array:
        """Per-sample losses e_r when unit j of layer ``index`` has the net inputs ``shifted``."""
        layer = self.layers[index]
        p, n = shifted.shape
        last = len(self.layers) - 1
        if index == last:
            # the output layer: the row of net inputs with column j replaced (softmax needs it all)
            net_rows = np.repeat(layer.Z[None, :, :], p, axis=0)
            net_rows[np.arange(p), :, j] = shifted
            net_rows = net_rows.reshape(p * n, -1)
            outputs = layer.activation.value_array(net_rows)
        else:
            shifted_outputs = layer.activation.value_array(shifted)
            if layer.mask is not None:  # dropout's fixed m_j/q of unit j, per sample
                shifted_outputs = shifted_outputs * layer.mask[:, j].T
            change = shifted_outputs - layer.Y[:, j].T  # Δo_j, (p, n)
            above = self.layers[index + 1]
            # rank one: net_k += w_kj·Δo_j for every unit k of the next layer
            net_rows = (above.Z[None, :, :] + change[:, :, None] * above.W[:, j].T[:, None, :]).reshape(p * n, -1)
            trackers[1].add(net_rows)
            outputs = self._masked(above, above.activation.value_array(net_rows), p)
            for offset, dense in enumerate(self.layers[index + 2 :], start=2):
                net_rows = outputs @ dense.W.T
                if dense.b is not None:
                    net_rows += dense.b
                trackers[offset].add(net_rows)
                outputs = self._masked(dense, dense.activation.value_array(net_rows), p)
        repeated_targets = np.broadcast_to(self.targets[None, :, :], (p, *self.targets.shape)).reshape(p * n, -1)
        per_sample: Array = self.fast.loss_function.value_array(outputs, repeated_targets, net_rows)
        return per_sample.reshape(p, n)

    @staticmethod
    def _masked(dense: DenseLayer, outputs: Array, p: int) -> Array:
        """Outputs (p·n rows, p copies of the batch) times the layer's fixed dropout factors."""
        if dense.mask is None:
            return outputs
        masked: Array = outputs * np.tile(dense.mask, (p, 1))
        return masked

    # ------------------------------------------------------------------ directional
    def directional(
        self,
        graph_gradients: Sequence[tuple[Array, Array | None]],
        fast_gradients: Sequence[tuple[Array, Array | None]],
        epsilon: float,
        directions: int,
        rng: np.random.Generator,
    ) -> dict[str, NDArray[Any]]:
        """g·v against the difference quotient of E along v, ``directions`` per layer."""
        parts: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        originals = [(dense.W, dense.b) for dense in self.layers]
        # the unperturbed pass, before the passes along the directions overwrite the caches
        below_outputs_per_layer = [dense.X for dense in self.layers]
        try:
            for index, below_outputs in enumerate(below_outputs_per_layer):
                W0, b0 = originals[index]
                for number in range(directions):
                    V = rng.standard_normal(W0.shape)
                    v_b = rng.standard_normal(b0.shape) if b0 is not None else None
                    # size the step in net-input space, as for single parameters
                    net_change = below_outputs @ V.T + (v_b if v_b is not None else 0.0)
                    change_scale = max(float(np.abs(net_change).max()), MIN_SOURCE_SCALE)
                    h = epsilon / change_scale
                    numeric, realized, kink = self._along(index, V, v_b, h)
                    parts["near_kink"].append(kink)
                    for _ in range(KINK_RETRIES):  # step back from kinks where a smaller step can
                        if not kink:
                            break
                        h /= KINK_SHRINK
                        numeric, realized, kink = self._along(index, V, v_b, h)
                    graph_W, graph_b = graph_gradients[index]
                    fast_W, fast_b = fast_gradients[index]
                    parts["layer"].append(index + 1)
                    parts["target"].append(-1)
                    parts["source"].append(number)
                    parts["weight"].append(math.nan)
                    parts["numeric"].append(numeric)
                    parts["graph"].append(_dot(graph_W, graph_b, realized))
                    parts["fast"].append(_dot(fast_W, fast_b, realized))
                    parts["step"].append(h)
                    parts["kink"].append(kink)
        finally:
            for dense, (W0, b0) in zip(self.layers, originals, strict=True):
                dense.W, dense.b = W0, b0
        dtypes = {"layer": np.intp, "target": np.intp, "source": np.intp, "kink": bool, "near_kink": bool}
        return {name: np.array(values, dtype=dtypes.get(name, np.float64)) for name, values in parts.items()}

    def _along(
        self, index: int, V: Array, v_b: Array | None, h: float
    ) -> tuple[float, tuple[Array, Array | None], bool]:
        """Σ_s c_s·E(θ + s·h·v) / h, the realized direction Σ_s c_s·Δθ_s / h, and the kink flag.

        Each E is one forward pass of the fast network (``_loss``) with layer ``index``'s
        W and b replaced by new arrays; the caller puts the original arrays back.
        """
        dense = self.layers[index]
        W0, b0 = dense.W, dense.b
        estimate = 0.0
        realized_W = np.zeros_like(W0)
        realized_b = np.zeros_like(b0) if b0 is not None else None
        trackers = [_KinkTracker(kinks) for kinks in self.kinks]
        for multiple, coefficient in self.stencil:
            dense.W = W0 + (multiple * h) * V
            realized_W += coefficient * (dense.W - W0)
            if b0 is not None and v_b is not None and realized_b is not None:
                dense.b = b0 + (multiple * h) * v_b
                realized_b += coefficient * (dense.b - b0)
            loss = self.fast._loss(self.inputs, self.targets, self.reduction, masks=self.factors)
            estimate += coefficient * (loss - self.base_loss)
            self.evaluations += 1
            for tracker, layer in zip(trackers, self.layers, strict=True):
                tracker.add(layer.Z)
        dense.W, dense.b = W0, b0
        kink = any(bool(tracker.straddles(1)[0]) for tracker in trackers)
        return estimate / h, (realized_W / h, None if realized_b is None else realized_b / h), kink


_COLUMNS = ("layer", "target", "source", "weight", "numeric", "graph", "fast", "step", "kink", "near_kink")


def _augmented(W: Array, b: Array | None) -> Array:
    """[W | b] (or W without bias): row j holds w_ji for i = 0 … n_in − 1, then b_j."""
    return W if b is None else np.column_stack([W, b])


def _with_ones(outputs: Array) -> Array:
    """The outputs of the layer below with the bias node's constant 1 as a last column."""
    return np.column_stack([outputs, np.ones(len(outputs))])


def _dot(dW: Array, db: Array | None, direction: tuple[Array, Array | None]) -> float:
    """g·v over one layer's W and b."""
    V, v_b = direction
    total = float(np.sum(dW * V))
    if db is not None and v_b is not None:
        total += float(np.dot(db, v_b))
    return total


# ---------------------------------------------------------------------------------- planted bug
class PlantedBug(Activation):
    """An activation whose derivative is deliberately wrong: f′(z)·factor, for demonstrations.

    The value is the wrapped activation's; only the derivative lies.  A network with this
    activation trains (badly) and the gradient checker must flag every parameter whose
    gradient passes through it.

    Parameters
    ----------
    base : Activation
        The activation to imitate (not softmax, which has no element-wise derivative).
    factor : float, default 1.1
        What the true derivative is multiplied by.

    Examples
    --------
    >>> from graphnet.math.activations import get_activation
    >>> bug = PlantedBug(get_activation("sigmoid"))
    >>> bug.value(0.0), round(bug.derivative(0.0), 10)
    (0.5, 0.275)
    """

    name: ClassVar[str] = "planted_bug"
    formula: ClassVar[str] = "f(net)"
    derivative_formula: ClassVar[str] = "f′(net)·factor (wrong on purpose)"

    def __init__(self, base: Activation, factor: float = PLANTED_BUG_FACTOR) -> None:
        if base.layerwise or not base.differentiable:
            raise IncompatibleError(
                f"a planted bug needs an element-wise, differentiable activation; got {base.name!r}"
            )
        self.base = base
        self.factor = float(factor)

    @property
    def kinks(self) -> tuple[float, ...]:
        """The wrapped activation's kinks."""
        return kinks_of(self.base)

    def value(self, z: float) -> float:
        """f(z) of the wrapped activation."""
        return self.base.value(z)

    def derivative(self, z: float) -> float:
        """f′(z)·factor: the planted bug."""
        return self.base.derivative(z) * self.factor

    def value_array(self, z: NDArray[np.floating]) -> NDArray[np.floating]:
        """f(Z) of the wrapped activation."""
        return self.base.value_array(z)

    def derivative_array(self, z: NDArray[np.floating]) -> NDArray[np.floating]:
        """f′(Z)·factor: the planted bug."""
        result: NDArray[np.floating] = self.base.derivative_array(z) * self.factor
        return result

    def __repr__(self) -> str:
        return f"PlantedBug({self.base!r}, factor={self.factor})"


def random_sample(
    network: Network, *, n_samples: int | None = None, seed: int | np.random.Generator | None = 0
) -> tuple[Array, Array]:
    """A random input x ~ N(0, 1) and a target t in the domain of the network's loss.

    Targets are uniform in (0.05, 0.95) (each row normalised to sum to 1 for categorical
    cross-entropy), so no target sits on a boundary.

    Parameters
    ----------
    network : Network
    n_samples : int, optional
        None: one sample, x of shape (n_inputs,) and t (n_outputs,); k: a batch of k rows.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    x, t : arrays

    Examples
    --------
    >>> from graphnet import Network
    >>> x, t = random_sample(Network([3, 4, 2], seed=0), n_samples=5)
    >>> x.shape, t.shape
    ((5, 3), (5, 2))
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows = 1 if n_samples is None else check_count(n_samples, name="n_samples")
    x = rng.standard_normal((rows, network.sizes[0]))
    t = rng.uniform(0.05, 0.95, size=(rows, network.sizes[-1]))
    if network.loss_function.name == "categorical_cross_entropy":
        t /= t.sum(axis=1, keepdims=True)
    return (x[0], t[0]) if n_samples is None else (x, t)


# ---------------------------------------------------------------------------------- timing
def time_gradient_checks(quick: bool = True, *, repeats: int = 3, seed: int = 0) -> dict[str, float]:
    """Seconds (median of ``repeats`` runs) of gradient checks on MNIST-sized networks.

    Each network is sigmoid with a softmax output and cross-entropy, one random sample with
    pixel-like inputs in [0, 1) and a one-hot target; every check must pass.

    Parameters
    ----------
    quick : bool, default True
        Time only 784-30-10 (full, order 6 and order 2) and 784-300-10 (directional);
        otherwise also the full check of 784-300-10.
    repeats : int, default 3
    seed : int, default 0

    Returns
    -------
    dict
        Name of the check → median seconds, e.g. ``{"784-30-10 full": 0.2, …}``.
    """
    from graphnet.graph.network import Network

    repeats = check_count(repeats, name="repeats")
    rng = np.random.default_rng(seed)
    cases: list[tuple[str, list[int], dict[str, Any]]] = [
        ("784-30-10 full", [784, 30, 10], {"mode": "full"}),
        ("784-30-10 full order 2", [784, 30, 10], {"mode": "full", "order": 2}),
        ("784-300-10 directional", [784, 300, 10], {"mode": "directional"}),
        ("784-300-10 sampled", [784, 300, 10], {"mode": "sample"}),
    ]
    if not quick:
        cases.append(("784-300-10 full", [784, 300, 10], {"mode": "full"}))
    timings: dict[str, float] = {}
    networks: dict[tuple[int, ...], Network] = {}
    for name, sizes, options in cases:
        key = tuple(sizes)
        if key not in networks:
            networks[key] = Network(
                sizes,
                activation="sigmoid",
                output_activation="softmax",
                loss="categorical_cross_entropy",
                init="xavier",
                seed=seed,
            )
        x = rng.uniform(0.0, 1.0, size=sizes[0])
        t = np.eye(sizes[-1])[rng.integers(sizes[-1])]
        runs = []
        for _ in range(repeats):
            begin = time.perf_counter()
            report = gradient_check(networks[key], x, t, **options)
            runs.append(time.perf_counter() - begin)
            if not report.passed:
                raise IncompatibleError(f"the timed check {name!r} did not pass: {report.summary}")
        timings[name] = statistics.median(runs)
    return timings
