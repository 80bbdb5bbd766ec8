"""What a gradient check found, and how it is graded: the rows, the verdicts, the summaries.

:class:`GradientReport` holds one row per checked parameter (or direction), as columns of
numpy arrays: the numeric ∂E/∂w of :mod:`graphnet.tools.perturbations`, the graph's and the
fast path's.  It grades each row against the tolerances here (|a − n| against
atol + rtol·max(|a|, |n|), the rule of :func:`~graphnet.tools.gradcheck.gradient_check`),
and sums them up per layer (:class:`LayerSummary`) and in a sentence
(:attr:`GradientReport.summary`).  :class:`GradientRow` is one row as an object.

The report shows itself through :mod:`graphnet.common.display` (``__rich__``,
:meth:`GradientReport.to_text`); the drawing is in :mod:`graphnet.views.report`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common import display
from graphnet.math.validation import check_count
from graphnet.tools.gradient_rows import GradientRow, LayerSummary, Verdict, no_samples

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.graph.network import Network

Array = NDArray[np.floating]

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
#: The precision of a central difference of each order relative to the magnitude of the terms it sums
#: (scale·Σ_r |∂e_r/∂w|): added to the absolute tolerance, so that a gradient whose samples cancel
#: is not judged by a relative error of round-off.
NUMERIC_PRECISION = {2: 1e-8, 4: 1e-10, 6: 1e-11}
#: Multiples of a row's estimated round-off (u·|e|·Σ|c_s|/h, summed over the samples) also accepted:
#: the steps made smaller near a kink cost precision, most for order 2.
NOISE_FACTOR = 8.0
#: Rows shown by the rich view and the text view unless told otherwise.
DEFAULT_MAX_ROWS = 20

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


class GradientReport:
    """What :func:`~graphnet.tools.gradcheck.gradient_check` found: one row per checked parameter, and summaries.

    The rows are held as columns (numpy arrays), so a report over a quarter of a million
    parameters stays small; :attr:`rows` builds :class:`GradientRow` objects on demand.

    Attributes
    ----------
    mode : str
        "full", "sample" or "directional".
    order : int
        Accuracy order of the central difference (2, 4 or 6).
    epsilon : float
        The step in net-input units (see :func:`~graphnet.tools.gradcheck.gradient_check`).
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
        The loss is still not smooth at the final step (a kink row); the first step reached
        over a kink (see :func:`~graphnet.tools.gradcheck.gradient_check`).
    lows, highs : float arrays
        A kink row's bracket (NaN for the other rows).
    kink_at : object array of str
        A kink row's sample and what is near the kink ("" for the other rows).
    kink_samples : object array of tuple of int
        A kink row's samples that sit on the kink, graded by their brackets (() for the other rows).
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
        n_rows = self.numeric.size
        self.magnitudes: Array = columns.get("magnitude", np.zeros(n_rows))
        self.noises: Array = columns.get("noise", np.zeros(n_rows))
        #: what the graph's gradient is graded against: ``numeric``, but at a kink row its own reference
        self.graph_numeric: Array = columns.get("graph_numeric", self.numeric)
        self.lows: Array = columns.get("low", np.full(n_rows, math.nan))
        self.highs: Array = columns.get("high", np.full(n_rows, math.nan))
        self.kink_at: NDArray[Any] = columns.get("kink_at", np.full(n_rows, "", dtype=object))
        self.kink_samples: NDArray[Any] = columns.get("kink_samples", no_samples(n_rows))
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
            for analytic, numeric in ((self.graph, self.graph_numeric), (self.fast, self.numeric)):
                # |a − n| against atol + rtol·max(|a|, |n|)
                absolute = np.abs(analytic - numeric)
                scale = np.maximum(np.abs(analytic), np.abs(numeric))
                relative = np.where(scale > 0, absolute / np.where(scale > 0, scale, 1.0), 0.0)
                floor = (
                    self.absolute_tolerance
                    + NUMERIC_PRECISION.get(self.order, 0.0) * self.magnitudes
                    + NOISE_FACTOR * self.noises
                )
                ok_bound = floor + self.relative_tolerance * scale
                wrong_bound = floor + self.wrong_tolerance * scale
                code = np.where(absolute > wrong_bound, _WRONG, np.where(absolute > ok_bound, _SUSPICIOUS, _OK))
                codes = np.maximum(codes, code)
                worst_absolute = np.maximum(worst_absolute, absolute)
                worst_relative = np.maximum(worst_relative, relative)
                # how far past the "ok" bound a row is: the sort key within a verdict
                badness = np.maximum(
                    badness, np.where(ok_bound > 0, absolute / np.where(ok_bound > 0, ok_bound, 1.0), 0.0)
                )
        # a kink row passes as "kink" unless its analytic value left the bracket (then it is wrong)
        codes[(codes != _WRONG) & self.kinks] = _KINK
        self.mirror_errors: Array = np.abs(self.graph - self.fast)
        largest = float(np.abs(self.graph[finite]).max()) if finite.any() else 0.0
        mirror_bound = MIRROR_ABSOLUTE_TOLERANCE * max(1.0, largest) + MIRROR_RELATIVE_TOLERANCE * np.maximum(
            np.abs(self.graph), np.abs(self.fast)
        )
        # (not at a kink: there the two engines may round a net input to different sides of it)
        codes[(self.mirror_errors > mirror_bound) & ~self.kinks] = _MISMATCH
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
            low=float(self.lows[index]),
            high=float(self.highs[index]),
            kink_at=str(self.kink_at[index]),
            kink_samples=tuple(self.kink_samples[index]),
        )

    @cached_property
    def rows(self) -> tuple[GradientRow, ...]:
        """Every row, in network order (layer, node j, source i, bias last)."""
        return tuple(self.row(index) for index in range(len(self)))

    def __iter__(self) -> Iterator[GradientRow]:
        return iter(self.rows)

    @property
    def bound_ratios(self) -> Array:
        """Each row's |analytic − numeric| ÷ (atol + round-off + rtol·max(|analytic|, |numeric|)), the worse engine's.

        The round-off is the numeric derivative's own (its stencil's precision times the
        size of the loss, and the noise measured between step sizes).

        The error as a multiple of the "ok" bound: above 1 a row is suspicious or wrong; inf
        for a NaN or inf value.  Within a verdict, :attr:`worst_order` sorts by it.
        """
        return self._badness

    @cached_property
    def worst_order(self) -> NDArray[np.intp]:
        """Row indices, worst first: by verdict severity, then by :attr:`bound_ratios` (error ÷ ok bound)."""
        severity = np.array([SEVERITY[v] for v in VERDICTS])[self.verdict_codes]
        order: NDArray[np.intp] = np.lexsort((-self._badness, -severity))
        return order

    def worst(self, n: int = 5) -> list[GradientRow]:
        """The ``n`` rows that look worst (failures first, then the largest errors)."""
        return [self.row(int(index)) for index in self.worst_order[: check_count(n, name="n", minimum=0)]]

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
        """The largest absolute error |a − n| over the rows that count (kink rows are reported apart)."""
        counted = ~self.kinks
        return float(self.absolute_errors[counted].max()) if counted.any() else 0.0

    @property
    def kink_rows(self) -> list[GradientRow]:
        """The kink rows, graded by their brackets (see :mod:`graphnet.tools.kinks`), worst first."""
        return [self.row(int(index)) for index in self.worst_order if self.kinks[index]]

    @property
    def kink_max_absolute_error(self) -> float:
        """The largest |a − reference| over the kink rows (0.0 if there are none)."""
        return float(self.absolute_errors[self.kinks].max()) if self.kinks.any() else 0.0

    @cached_property
    def layers(self) -> list[LayerSummary]:
        """One :class:`LayerSummary` per non-input layer."""
        non_tiny = self._non_tiny()
        # the first row of each layer in worst-first order is that layer's worst row
        layers_worst_first = self.layer_index[self.worst_order]
        present, first = np.unique(layers_worst_first, return_index=True)
        worst_of = {int(layer): int(self.worst_order[at]) for layer, at in zip(present, first, strict=True)}
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
        notes = [f"{counts[v]} {v}" for v in ("suspicious",) if counts[v]]
        if self.kinks.any():
            example = next((row.kink_at for row in self.kink_rows if row.kink_at), "")
            notes.append(
                f"{int(self.kinks.sum())} at a kink (not counted; bracketed to {self.kink_max_absolute_error:.1e}"
                + (f"; e.g. {example}" if example else "")
                + ")"
            )
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
        return display.rich(self, max_rows=max_rows)

    def __rich__(self) -> RenderableType:
        return display.rich(self)

    def to_text(self, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
        """The report as plain text for logs: summary, worst ``max_rows`` rows, per-layer lines."""
        return display.text(self, max_rows=max_rows)
