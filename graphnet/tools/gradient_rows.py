"""One row of a gradient check and one layer's summary: :class:`GradientRow`, :class:`LayerSummary`.

:class:`~graphnet.tools.verdicts.GradientReport` holds its rows as columns and builds these
objects on demand; the verdict rule is :func:`~graphnet.tools.gradcheck.gradient_check`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Verdict = Literal["ok", "kink", "suspicious", "wrong", "mismatch"]

__all__ = ["GradientRow", "LayerSummary", "Verdict", "no_samples"]


def no_samples(n_rows: int) -> NDArray[Any]:
    """An object column of ``n_rows`` empty tuples (the ``kink_samples`` of rows away from kinks)."""
    column = np.empty(n_rows, dtype=object)
    for row in range(n_rows):
        column[row] = ()
    return column


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
        The loss along the perturbation is not smooth (its one-sided derivatives differ)
        even at the smallest step tried: graded by its bracket, reported apart.
    near_kink : bool
        The default step reached over a kink, so the row was recomputed with smaller steps
        (it is less precise: about 1e-11 instead of 1e-14 absolute).
    low, high : float
        A kink row's bracket: what the numeric one-sided derivatives allow (NaN otherwise).
    kink_at : str
        A kink row's sample and what is near the kink there: a unit's net input, or the
        loss at its input y ("" otherwise).
    kink_samples : tuple of int
        A kink row's samples that sit on the kink: each is graded by its one-sided bracket,
        the others by their numeric part (() otherwise).
    verdict : str
        "ok", "kink", "suspicious", "wrong" or "mismatch" (see :func:`~graphnet.tools.gradcheck.gradient_check`).
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
    low: float = float("nan")
    high: float = float("nan")
    kink_at: str = ""
    kink_samples: tuple[int, ...] = ()

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
