"""Learning-rate schedules: the rate η of each update from the base rate η₀ and the counts.

``rate`` given to ``train`` is the base rate η₀; a schedule turns it into the rate η of
each update, before the optimizer (:mod:`graphnet.math.optimizers`) uses it:

============== ========================= ==========================================
schedule       η of an update            counts
============== ========================= ==========================================
constant       η = η₀                    nothing (the default)
step decay     η = η₀·γ^⌊e/k⌋            e = epochs completed before this update
1/t decay      η = η₀/(1 + κ·t)          t = updates made before this one (0 first)
linear         η = η₀ + (η₁ − η₀)·min(t, n)/n   t as above; η₁ after n updates, then held
============== ========================= ==========================================

A schedule belongs to its optimizer (``Adam(schedule=StepDecay(every=10, factor=0.5))``),
whose counts it reads, so it continues where it was when training continues.

Examples
--------
>>> get_schedule("step", {"every": 5})
StepDecay(every=5, factor=0.5)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from graphnet.math.errors import IncompatibleError, unknown_name
from graphnet.math.validation import check_range


class Schedule:
    """A learning-rate schedule: the rate η of an update from the base rate η₀ and the counts."""

    name: ClassVar[str] = "schedule"
    formula: ClassVar[str] = "η = η₀"
    #: What the schedule counts: "nothing", "epochs" or "updates".
    counts: ClassVar[str] = "nothing"

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η for the update after ``updates`` updates and ``epochs`` completed epochs."""
        raise NotImplementedError

    def config(self) -> dict[str, float]:
        """The schedule's parameters (for saving and comparing)."""
        return {}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.config() == other.config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.config().items()))))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class ConstantRate(Schedule):
    """η = η₀ for every update."""

    name = "constant"
    formula = "η = η₀"

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η₀."""
        return base_rate


class StepDecay(Schedule):
    """η = η₀·γ^⌊e/k⌋: multiply the rate by γ (``factor``) every k (``every``) epochs.

    e counts the epochs completed before the update, so epochs 0 … k−1 use η₀, epochs
    k … 2k−1 use η₀·γ, and so on.

    Examples
    --------
    >>> schedule = StepDecay(every=2, factor=0.5)
    >>> [schedule.rate(0.8, updates=0, epochs=e) for e in range(5)]
    [0.8, 0.8, 0.4, 0.4, 0.2]
    """

    name = "step"
    formula = "η = η₀·γ^⌊e/k⌋"
    counts = "epochs"

    def __init__(self, *, every: int = 10, factor: float = 0.5) -> None:
        if isinstance(every, bool) or not isinstance(every, int | np.integer) or every < 1:
            raise IncompatibleError(f"every must be a whole number of epochs ≥ 1; got {every!r}")
        self.every = int(every)
        self.factor = check_range(factor, name="factor", low=0.0, high=1.0, include_low=False, include_high=True)

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η₀·γ^⌊e/k⌋."""
        return base_rate * self.factor ** (epochs // self.every)

    def config(self) -> dict[str, float]:
        """``every`` (k) and ``factor`` (γ)."""
        return {"every": self.every, "factor": self.factor}


class InverseTimeDecay(Schedule):
    """η = η₀/(1 + κ·t): the rate falls like 1/t, t the updates made before this one.

    Examples
    --------
    >>> schedule = InverseTimeDecay(decay=0.5)
    >>> [schedule.rate(1.0, updates=t, epochs=0) for t in range(4)]
    [1.0, 0.6666666666666666, 0.5, 0.4]
    """

    name = "inverse_time"
    formula = "η = η₀/(1 + κ·t)"
    counts = "updates"

    def __init__(self, *, decay: float = 0.01) -> None:
        self.decay = check_range(decay, name="decay", low=0.0, high=math.inf, include_low=True, include_high=False)

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η₀/(1 + κ·t)."""
        return base_rate / (1.0 + self.decay * updates)

    def config(self) -> dict[str, float]:
        """``decay`` (κ)."""
        return {"decay": self.decay}


class LinearDecay(Schedule):
    """η = η₀ + (η₁ − η₀)·min(t, n)/n: from η₀ to η₁ (``end``) over n (``updates``) updates, then held.

    t counts the updates made before this one, so the first update uses η₀ and update n + 1
    and every later one η₁.  micrograd's demo, ``1.0 − 0.9·k/100`` for its updates k = 0 … 99,
    is ``LinearDecay(end=0.1, updates=100)`` with ``rate=1.0``.

    Examples
    --------
    >>> schedule = LinearDecay(end=0.1, updates=3)
    >>> [round(schedule.rate(1.0, updates=t, epochs=0), 12) for t in range(5)]
    [1.0, 0.7, 0.4, 0.1, 0.1]
    >>> schedule.rate(1.0, updates=3, epochs=0)
    0.1
    """

    name = "linear"
    formula = "η = η₀ + (η₁ − η₀)·min(t, n)/n"
    counts = "updates"

    def __init__(self, *, end: float = 0.0, updates: int = 100) -> None:
        if isinstance(updates, bool) or not isinstance(updates, int | np.integer) or updates < 1:
            raise IncompatibleError(f"updates must be a whole number of updates ≥ 1; got {updates!r}")
        self.end = check_range(end, name="end", low=0.0, high=math.inf, include_low=True, include_high=False)
        self.updates = int(updates)

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η₀ + (η₁ − η₀)·t/n for t < n; η₁ from then on (exactly)."""
        if updates >= self.updates:
            return self.end
        return base_rate + (self.end - base_rate) * updates / self.updates

    def config(self) -> dict[str, float]:
        """``end`` (η₁) and ``updates`` (n)."""
        return {"end": self.end, "updates": self.updates}


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantRate, StepDecay, InverseTimeDecay, LinearDecay)
}


def get_schedule(spec: str | Schedule | None, config: dict[str, Any] | None = None) -> Schedule:
    """The schedule for a name (with ``config`` as keyword arguments), an instance, or None (constant).

    Raises
    ------
    UnknownNameError
        If ``spec`` is a string that names no schedule.
    """
    if spec is None:
        return ConstantRate()
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, str) and spec in SCHEDULES:
        return SCHEDULES[spec](**(config or {}))
    raise unknown_name("learning-rate schedule", spec, SCHEDULES)
