"""Kinks found numerically: where the loss along a perturbation is not smooth, and what brackets its derivative.

The gradient checker (:func:`~graphnet.tools.gradcheck.gradient_check`) asks, for every
row and every sample r, whether the per-sample loss e_r along the row's perturbation is
smooth over the stencil's reach.  It needs no declaration: the same points E(θ + s·h) that
give the central difference give two **one-sided** difference quotients,

* right: R_r = Σ_m a_m·(e_r(m·h) − e_r(0)) / h,  m = 1 … k,
* left:  L_r = −Σ_m a_m·(e_r(−m·h) − e_r(0)) / h,

with k = order/2 and the one-sided weights a of :data:`ONE_SIDED` (order k in h:
(e(h) − e(0))/h; (4·e(h) − e(2h) − 3·e(0))/2h; (18·e(h) − 9·e(2h) + 2·e(3h) − 11·e(0))/6h).
On a smooth e_r they agree to the truncation error (h³·e⁗/4 for k = 3) and round-off; across
a kink (ReLU at 0, a hinge at y·t = 1, |y − t| at y = t) they differ by the jump in slope.
Not everywhere: a kink between the stencil's points can leave R_r = L_r (at 6h/11 and 12h/7
for order 6, 2h/3 for order 4), but then the central quotient C_r is off their mean (a
smooth e_r puts it there to O(h⁴)).  A sample is **rough** when

    max(|R_r − L_r|, |C_r − (L_r + R_r)/2|) > :data:`SMOOTH_TOLERANCE`·min(max(|R_r|, |L_r|), |Σ_s C_s| / n)
                  + :data:`ROUNDOFF_FACTOR`·u·max_s |e_r(s)| / h + :data:`JUMP_FLOOR` / scale

(scale: 1/n for a mean, 1 for a sum; a jump that moves E by less than 1e-13 is no kink that
matters).  A sample that passes has C_r within 1.5 times the bound of a one-sided
derivative; the bound is relative to the row's mean |Σ_s C_s| / n where that is smaller
than the sample's own slope, so that samples whose parts cancel (±1 in a total of 0.03)
cannot hide jumps that are small for each of them but not for the row.  Where some samples
are rough, the row total is taken as the smallest the rough samples' one-sided pairs allow
(a rough sample's part may cancel the rest), and the test is repeated until no sample changes.

Each quotient's round-off, which the verdict allows beside the truncation, is
u·R_r·Σ_s |c_s| / h, where R_r is what e_r's round-off is relative to
(:func:`~graphnet.tools.perturbations.roundoff_scales`: the net inputs and outputs, computed
again for every point, weighted by their δ): a sample at the loss's minimum has a tiny e_r
but outputs of size 1, and at the smallest steps their rounding is most of its quotient.
The one-sided pairs are widened by the same.

A row with a rough sample is retried with smaller steps; only if a sample is
still rough at the smallest step is the row a **kink** row.  There the derivative does not
exist (or the step cannot resolve it), and the row is graded by a bracket instead of a
number:

* the samples that stay smooth give the numeric value of their part, n_rest;
* each rough sample r gives its one-sided pair [min(L_r, R_r), max(L_r, R_r)] (widened by
  what the quotients may be off: the bound of the test above, relative to the sample's own
  slope), and its own
  analytic ∂e_r/∂w, g_r (one backward pass of that sample alone) is compared with the pair;
* the row's reference is n_rest + scale·Σ_r clip(g_r, min, max) (+ the exact L2 part): a
  correct analytic gradient, whichever one-sided derivative (or anything between) its
  convention picks at the kink, equals it; a wrong one differs on the smooth samples or
  falls outside a pair.

What it cannot do: a sample on **two kinks at once** (a ReLU unit at 0 whose output puts
the loss exactly on its hinge, within the smallest step) may have a derivative that comes
from a stretch narrower than any step: e flat on both sides at every scale the stencil sees,
the analytic value not 0.  Such a row is graded "wrong"; it takes data placed on two kinks
to the last bits.

:func:`locate` names what is near the kink for the report: the unit whose activation is not
smooth at its net input (one sample's forward pass, probed on both sides), or the loss at
its input y.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from graphnet.fast.network import FastNetwork
from graphnet.math.dropout import Masks
from graphnet.tools.gradient_rows import no_samples

Array = NDArray[np.floating]

__all__ = [
    "JUMP_FLOOR",
    "ONE_SIDED",
    "ROUNDOFF_FACTOR",
    "SMOOTH_TOLERANCE",
    "KinkTracker",
    "Quotients",
    "RoughRow",
    "locate",
    "quotients",
    "reference_values",
    "resolve",
]

#: One-sided difference weights a_m (m = 1 … k) for the points a stencil of each order has.
ONE_SIDED: dict[int, tuple[float, ...]] = {2: (1.0,), 4: (2.0, -0.5), 6: (3.0, -1.5, 1.0 / 3.0)}
#: Relative disagreement of the one-sided quotients above which a sample is rough.
SMOOTH_TOLERANCE = 1e-4
#: Round-off allowance: this many units of round-off of the largest |e_r| over the points, per step.
ROUNDOFF_FACTOR = 64.0
#: A jump whose share of E (scale·|R_r − L_r|) is below this is not a kink that matters.
JUMP_FLOOR = 1e-13
#: Relative jump in slope above which :func:`locate` names an element.
LOCATE_THRESHOLD = 1e-3
_UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0


class KinkTracker:
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


@dataclass
class Quotients:
    """Per-sample difference quotients of one block of p rows over n samples (arrays (p, n))."""

    central: Array
    left: Array
    right: Array
    rough: NDArray[np.bool_]
    #: what the one-sided quotients may be off by (the smoothness bound, relative to the sample's own slope)
    pad: Array
    #: the round-off of each sample's central quotient, u·max_s |e_r(s)|·Σ_s |c_s| / h
    noise: Array


def quotients(
    differences: dict[int, Array],
    stencil: Sequence[tuple[int, float]],
    h: Array,
    magnitude: Array,
    scale: float,
    roundoff: Array | None = None,
) -> Quotients:
    """Central, left and right quotients per sample, and which samples are rough.

    ``differences[s]`` holds e_r(s·h) − e_r(0) for each stencil multiple s, shape (p, n);
    ``h`` the step of each row, shape (p, 1); ``magnitude`` max over the points of |e_r|;
    ``roundoff`` what each e_r's round-off is relative to (shape (n,); default: ``magnitude``),
    see :func:`graphnet.tools.perturbations.roundoff_scales`.
    """
    central = sum(coefficient * differences[multiple] for multiple, coefficient in stencil) / h
    weights = ONE_SIDED[2 * max(multiple for multiple, _ in stencil)]
    right = sum(a * differences[m] for m, a in enumerate(weights, start=1)) / h
    left = -sum(a * differences[-m] for m, a in enumerate(weights, start=1)) / h
    # a kink between the stencil's points can leave R = L (at 6h/11 for order 6) but not also
    # the central quotient on their mean: the central one is off by at most 1.5 times the larger
    jump = np.maximum(np.abs(right - left), np.abs(central - 0.5 * (left + right)))
    slope = np.maximum(np.abs(right), np.abs(left))
    floor = ROUNDOFF_FACTOR * _UNIT_ROUNDOFF * magnitude / h + JUMP_FLOOR / scale
    # a jump under the tolerance still moves the sample's central quotient (by half of it at the
    # centre): measured against the row's mean |Σ_r c_r| / n too, it stays a small part of a row
    # whose samples cancel
    rough = _rough(central, left, right, jump, slope, floor)
    size = magnitude if roundoff is None else np.maximum(magnitude, roundoff)
    # a one-sided quotient sums k + 1 values, each off by u·size
    pad = SMOOTH_TOLERANCE * slope + floor + _UNIT_ROUNDOFF * size * (1.0 + sum(map(abs, weights))) / h
    noise = _UNIT_ROUNDOFF * size * sum(abs(coefficient) for _, coefficient in stencil) / h
    return Quotients(np.asarray(central), np.asarray(left), np.asarray(right), rough, pad, noise)


def _rough(central: Array, left: Array, right: Array, jump: Array, slope: Array, floor: Array) -> NDArray[np.bool_]:
    """Which samples are rough: a jump above the tolerance, relative to the smallest row total they allow.

    The row total is Σ_s C_s for smooth samples; a rough sample's part may be anything
    between its one-sided quotients, so the total may be as small as the interval
    [Σ low, Σ high] allows (0 when it holds 0).  Each new rough sample widens the interval,
    so this repeats until no sample changes (at most once per sample).
    """
    n = central.shape[-1]
    rough = jump > SMOOTH_TOLERANCE * np.minimum(slope, np.abs(central.sum(axis=-1, keepdims=True)) / n) + floor
    low_side, high_side = np.minimum(left, right), np.maximum(left, right)
    for _ in range(n):
        if not rough.any():
            break
        low = np.where(rough, low_side, central).sum(axis=-1, keepdims=True)
        high = np.where(rough, high_side, central).sum(axis=-1, keepdims=True)
        smallest = np.where((low <= 0) & (high >= 0), 0.0, np.minimum(np.abs(low), np.abs(high))) / n
        again = rough | (jump > SMOOTH_TOLERANCE * np.minimum(slope, smallest) + floor)
        if (again == rough).all():
            break
        rough = again
    result: NDArray[np.bool_] = np.asarray(rough)
    return result


@dataclass
class RoughRow:
    """A kink row: its rough samples' one-sided pairs, and the numeric value of the rest.

    Attributes
    ----------
    row : int
        Index of the row in the report's columns.
    samples : int array
        The rough samples r.
    left, right : arrays
        L_r and R_r of those samples (per sample, not scaled).
    rest : float
        scale·Σ over the smooth samples of their central quotient, plus the L2 part.
    pad : array
        How much L_r and R_r may be off (truncation and round-off): the pair is widened by it.
    direction : list of (V, v_b), optional
        Directional mode: the realized direction of every layer (zeros but the row's layer).
    """

    row: int
    samples: NDArray[np.intp]
    left: Array
    right: Array
    rest: float
    pad: Array
    direction: list[tuple[Array, Array | None]] | None = field(default=None)

    @property
    def worst_sample(self) -> int:
        """The rough sample with the largest jump |R_r − L_r|."""
        return int(self.samples[int(np.argmax(np.abs(self.right - self.left)))])


def _sample_masks(masks: Masks | None, sample: int) -> Masks | None:
    if masks is None:
        return None
    return [None if mask is None else mask[sample : sample + 1] for mask in masks]


class _Gradients(Protocol):
    def __call__(
        self, X: Array, T: Array, *, reduction: str = "mean", masks: Masks | None = None
    ) -> list[tuple[Array, Array | None]]: ...


def sample_gradients(
    gradients: _Gradients,
    fast: FastNetwork,
    inputs: Array,
    targets: Array,
    masks: Masks | None,
    samples: Sequence[int],
) -> dict[int, list[tuple[Array, Array | None]]]:
    """∂e_r/∂(W, b) of each sample r alone by one engine's ``gradients``, without the L2 term.

    For the graph, which runs a batch one sample at a time, the same numbers as in the batch.
    """
    weight_l2, bias_l2 = fast.network.l2_term.coefficients(1)
    params = fast.network.get_params()
    result = {}
    for sample in samples:
        per_layer = gradients(
            inputs[sample : sample + 1],
            targets[sample : sample + 1],
            reduction="sum",
            masks=_sample_masks(masks, sample),
        )
        pure = []
        for (dW, db), (W, b) in zip(per_layer, params, strict=True):
            if weight_l2:
                dW = dW - weight_l2 * W
            if db is not None and bias_l2 and b is not None:
                db = db - bias_l2 * b
            pure.append((dW, db))
        result[int(sample)] = pure
    return result


def batch_sample_gradients(
    fast: FastNetwork, inputs: Array, targets: Array, masks: Masks | None, samples: Sequence[int]
) -> dict[int, list[tuple[Array, Array | None]]]:
    """∂e_r/∂(W, b) of sample r as the mirror's batch pass computes it: δ_r·x_rᵀ and δ_r per layer.

    Read from one backward pass over the whole batch (not from the sample alone: a batch's
    matrix products may round a net input to the other side of a kink).
    """
    fast.gradients(inputs, targets, reduction="sum", masks=masks)
    return {
        int(r): [
            (np.outer(layer.delta[r], layer.X[r]), None if layer.b is None else layer.delta[r].copy())
            for layer in fast.layers
        ]
        for r in samples
    }


def reference_values(
    rows: Sequence[RoughRow],
    per_sample: dict[int, list[tuple[Array, Array | None]]],
    analytic_of: dict[int, tuple[int, int, int]],
    scale: float,
) -> tuple[Array, Array, Array]:
    """Per rough row: the reference value, and the row's bracket (low, high).

    ``analytic_of[row]`` is (layer index, j, i) of a per-parameter row (i = n_in for a
    bias); directional rows carry their direction instead.
    """
    reference = np.empty(len(rows))
    low = np.empty(len(rows))
    high = np.empty(len(rows))
    for number, rough in enumerate(rows):
        g = np.array([_analytic(per_sample[int(r)], rough, analytic_of) for r in rough.samples])
        lower = np.minimum(rough.left, rough.right) - rough.pad
        upper = np.maximum(rough.left, rough.right) + rough.pad
        reference[number] = rough.rest + scale * float(np.clip(g, lower, upper).sum())
        low[number] = rough.rest + scale * float(lower.sum())
        high[number] = rough.rest + scale * float(upper.sum())
    return reference, low, high


def _analytic(
    gradients: list[tuple[Array, Array | None]], rough: RoughRow, analytic_of: dict[int, tuple[int, int, int]]
) -> float:
    if rough.direction is not None:
        total = 0.0
        for (dW, db), (V, v_b) in zip(gradients, rough.direction, strict=True):
            total += float(np.sum(dW * V))
            if db is not None and v_b is not None:
                total += float(np.dot(db, v_b))
        return total
    index, j, i = analytic_of[rough.row]
    dW, db = gradients[index]
    if i < dW.shape[1]:
        return float(dW[j, i])
    assert db is not None
    return float(db[j])


def resolve(
    rough_rows: Sequence[RoughRow],
    columns: dict[str, NDArray[Any]],
    fast: FastNetwork,
    graph_gradients: _Gradients,
    inputs: Array,
    targets: Array,
    masks: Masks | None,
    scale: float,
    reach: float,
) -> None:
    """Grade kink rows by their brackets: each engine's reference value, the bracket, what is near the kink.

    Fills the columns ``numeric`` (the mirror's reference), ``graph_numeric`` (the graph's),
    ``low``, ``high``, ``kink_at`` and ``kink_samples`` (the rough samples, bracketed).  Runs
    after every perturbed pass (it overwrites the mirror's caches): one backward pass per
    rough sample, one forward pass per kink row.
    """
    n_rows = columns["layer"].size
    columns["low"] = np.full(n_rows, math.nan)
    columns["high"] = np.full(n_rows, math.nan)
    columns["kink_at"] = np.full(n_rows, "", dtype=object)
    columns["kink_samples"] = no_samples(n_rows)
    if not rough_rows:
        return
    samples = sorted({int(r) for rough in rough_rows for r in rough.samples})
    analytic_of = {}
    for rough in rough_rows:
        layer = int(columns["layer"][rough.row]) - 1
        analytic_of[rough.row] = (layer, int(columns["target"][rough.row]), int(columns["source"][rough.row]))
    rows = np.array([rough.row for rough in rough_rows], dtype=np.intp)
    columns["graph_numeric"] = columns["numeric"].copy()
    # each engine against its own reference: at a kink the two may round to different sides
    from_graph = sample_gradients(graph_gradients, fast, inputs, targets, masks, samples)
    from_fast = batch_sample_gradients(fast, inputs, targets, masks, samples)
    for column, per_sample in (("numeric", from_fast), ("graph_numeric", from_graph)):
        reference, low, high = reference_values(rough_rows, per_sample, analytic_of, scale)
        columns[column][rows] = reference
    columns["low"][rows], columns["high"][rows] = low, high
    for rough in rough_rows:
        columns["kink_samples"][rough.row] = tuple(int(r) for r in rough.samples)
        sample = rough.worst_sample
        layer, target, _ = analytic_of[rough.row]
        prefer = None if rough.direction is not None else (layer + 1, target)
        columns["kink_at"][rough.row] = locate(
            fast, inputs[sample], targets[sample], _sample_masks(masks, sample), reach, sample, prefer
        )


def locate(
    fast: FastNetwork,
    x: Array,
    t: Array,
    masks: Masks | None,
    probe: float,
    sample: int,
    prefer: tuple[int, int] | None = None,
) -> str:
    """What is near a kink in one sample: a unit's net input, or the loss's input y.

    Runs the sample forward, then probes every activation at its net input z and the loss
    at its outputs y with one-sided quotients of width ``probe``; names the element whose
    slopes on the two sides differ most (relative to the slope), if any differs by more
    than :data:`LOCATE_THRESHOLD`.  ``prefer`` (layer, unit): the unit a row perturbs, named
    first when it is at a kink.
    """
    outputs = fast.forward(x[None, :], masks=masks)
    best = (LOCATE_THRESHOLD, f"sample {sample}: not located")
    for number, layer in enumerate(fast.layers, start=1):
        if layer.activation.layerwise:
            continue
        z = layer.Z[0].astype(np.float64)
        f = layer.activation.value_array
        score = _jump(f(z - probe), f(z), f(z + probe))
        if prefer is not None and prefer[0] == number and score[prefer[1]] > LOCATE_THRESHOLD:
            return f"sample {sample}, layer {number} unit {prefer[1]}: net input {z[prefer[1]]:.6g}"
        at = int(np.argmax(score))
        if score[at] > best[0]:
            best = (float(score[at]), f"sample {sample}, layer {number} unit {at}: net input {z[at]:.6g}")
    output = fast.layers[-1]
    y = np.asarray(outputs, dtype=np.float64)[0]
    k = y.size
    shifted = np.repeat(y[None, :], 2 * k + 1, axis=0)
    shifted[1 : k + 1][np.arange(k), np.arange(k)] -= probe
    shifted[k + 1 :][np.arange(k), np.arange(k)] += probe
    values = fast.loss_function.value_array(
        shifted, np.repeat(t[None, :], 2 * k + 1, axis=0), np.repeat(output.Z[0:1], 2 * k + 1, axis=0)
    )
    score = _jump(values[1 : k + 1], np.full(k, values[0]), values[k + 1 :])
    at = int(np.argmax(score))
    if score[at] > best[0]:
        best = (float(score[at]), f"sample {sample}, the loss at output {at}: y {y[at]:.6g}, target {t[at]:.6g}")
    return best[1]


def _jump(below: Array, here: Array, above: Array) -> Array:
    """|right slope − left slope| / max(|slopes|), element by element (0 where both are 0)."""
    left = here - below
    right = above - here
    scale = np.maximum(np.abs(left), np.abs(right))
    with np.errstate(invalid="ignore", divide="ignore"):
        score: Array = np.where(scale > 0, np.abs(right - left) / np.where(scale > 0, scale, 1.0), 0.0)
    return score
