"""The optimizer base class: what every update rule shares (counts, schedule, zero states).

A rule (:mod:`graphnet.math.optimizers`) subclasses :class:`Optimizer` and gives its
formula twice, ``update`` for one weight of the object graph and ``update_array`` for a
whole W or b of the fast path; the base class keeps the rest.

The counts live on the optimizer object: ``step_count`` t (updates made) and
``epoch_count`` (epochs completed).  One count serves every parameter because all
parameters step together: each update changes every weight and bias once.  Adam's bias
corrections 1 − β₁ᵗ and 1 − β₂ᵗ are computed from it once per update.

The schedule (:mod:`graphnet.math.lr_schedules`) belongs to the optimizer too
(``Adam(schedule=StepDecay(every=10, factor=0.5))``): :meth:`Optimizer.begin_update` asks it
for the rate η of each update from the base rate η₀ and those counts, so it continues where
it was when training continues.

Examples
--------
>>> class Halving(Optimizer):
...     name = "halving"
...     def update(self, weight, gradient, state, rate):
...         return weight - 0.5 * rate * gradient
>>> opt = Halving(schedule="step")
>>> opt.begin_update(0.2), opt.counts()
(0.2, (1, 0, 0.2))
>>> opt.update(1.0, 0.4, opt.new_state(), 0.2)
0.96
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from graphnet.math.lr_schedules import ConstantRate, Schedule, get_schedule
from graphnet.math.optimizer_state import Array, ParameterState


class Optimizer:
    """Base class: an update rule, its scalar and array forms, its counts and its schedule.

    Parameters
    ----------
    schedule : Schedule or str, optional
        How the learning rate changes over training (default: constant).

    Attributes
    ----------
    name : str
        The name ``train(optimizer=name)`` accepts.
    formula : str
        The update in symbols (g = ∂E/∂w, η the rate of this update).
    state_type : type of ParameterState or None
        What each parameter keeps (None: nothing).
    step_count : int
        t, the number of updates made (all parameters step together).
    epoch_count : int
        Epochs completed (what a step-decay schedule counts).
    current_rate : float or None
        η of the latest update, after the schedule (None before the first).
    """

    name: ClassVar[str] = "optimizer"
    formula: ClassVar[str] = "w ← w − η·g"
    state_type: ClassVar[type[ParameterState[Any]] | None] = None

    def __init__(self, *, schedule: Schedule | str | None = None) -> None:
        self.schedule = get_schedule(schedule)
        self.step_count = 0
        self.epoch_count = 0
        self.current_rate: float | None = None

    # ------------------------------------------------------------------ counts
    def begin_update(self, base_rate: float) -> float:
        """Start one update of every parameter: t ← t + 1; return η from the schedule."""
        self.step_count += 1
        self.current_rate = self.schedule.rate(base_rate, updates=self.step_count - 1, epochs=self.epoch_count)
        self._prepare(self.step_count)
        return self.current_rate

    def _prepare(self, step: int) -> None:
        """Per-update constants shared by every parameter (Adam's bias corrections)."""

    def end_epoch(self) -> None:
        """Count one completed epoch."""
        self.epoch_count += 1

    def reset(self) -> None:
        """Back to the start: counts 0 (the network clears the states)."""
        self.step_count = 0
        self.epoch_count = 0
        self.current_rate = None

    def counts(self) -> tuple[int, int, float | None]:
        """``(step_count, epoch_count, current_rate)``: what :meth:`set_counts` puts back."""
        return self.step_count, self.epoch_count, self.current_rate

    def set_counts(self, step_count: int, epoch_count: int, current_rate: float | None = None) -> None:
        """Continue from saved counts (loading a checkpoint, undoing a step)."""
        self.step_count = int(step_count)
        self.epoch_count = int(epoch_count)
        self.current_rate = current_rate
        if self.step_count:
            self._prepare(self.step_count)

    # ------------------------------------------------------------------ state
    def new_state(self) -> ParameterState[float] | None:
        """A zero state for one graph connection (None when the rule keeps none)."""
        if self.state_type is None:
            return None
        state: ParameterState[float] = self.state_type(*(0.0 for _ in self.state_type.fields))
        return state

    def new_state_array(self, like: Array) -> ParameterState[Array] | None:
        """A zero state of ``like``'s shape and dtype for the fast path (None when the rule keeps none)."""
        if self.state_type is None:
            return None
        state: ParameterState[Array] = self.state_type(*(np.zeros_like(like) for _ in self.state_type.fields))
        return state

    # ------------------------------------------------------------------ the rule, two forms
    def update(self, weight: float, gradient: float, state: Any, rate: float) -> float:
        """Scalar form: the new value of one weight; updates ``state`` in place."""
        raise NotImplementedError

    def update_array(self, weight: Array, gradient: Array, state: Any, rate: float) -> None:
        """Array form: update ``weight`` (a W or b) and its ``state`` arrays in place."""
        raise NotImplementedError

    def explain(self, weight: float, gradient: float, state: Any, rate: float, *, digits: int = 4) -> str:
        """The update of one weight written with its numbers to ``digits`` decimal places (``state`` before it).

        An optimizer of your own may leave ``digits`` out: the stepper then shows its own digits.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ settings
    def config(self) -> dict[str, float]:
        """The hyper-parameters besides the name and the schedule (for saving and comparing)."""
        return {}

    def same_settings(self, other: Optimizer) -> bool:
        """True when ``other`` is the same rule with the same hyper-parameters and schedule."""
        return type(self) is type(other) and self.config() == other.config() and self.schedule == other.schedule

    def __repr__(self) -> str:
        arguments = [f"{key}={value!r}" for key, value in self.config().items()]
        if not isinstance(self.schedule, ConstantRate):
            arguments.append(f"schedule={self.schedule!r}")
        return f"{type(self).__name__}({', '.join(arguments)})"
