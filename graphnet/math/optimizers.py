"""Optimizers: how a gradient becomes a weight change, one class per rule.

Plain gradient descent changes a weight by −η·g (η the learning rate, g = ∂E/∂w, including
the L2 term λ·w when the network has one).  The optimizers here keep a little memory per
parameter and use it to shape the step:

========= ======================================================== =======================
name      update for one parameter w with gradient g               state per parameter
========= ======================================================== =======================
sgd       w ← w − η·g                                              none
momentum  v ← μ·v − η·g;  w ← w + v                                velocity v
nesterov  v ← μ·v − η·g;  w ← w + μ·v − η·g                        velocity v
adagrad   G ← G + g²;  w ← w − η·g/(√G + ε)                        G, the sum of all g²
rmsprop   s ← ρ·s + (1−ρ)·g²;  w ← w − η·g/(√s + ε)                s, a running mean of g²
adam      m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;              m and v, running means
          m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  w ← w − η·m̂/(√v̂ + ε)       of g and of g²
========= ======================================================== =======================

Nesterov momentum is written in the form that needs the gradient at w only (Sutskever et
al. 2013, as in CS231n): it equals "look ahead to w + μ·v, take the gradient there" after
the change of variable w_ahead = w + μ·v.  Every state starts at 0.

Each optimizer is one class with two forms side by side, so no formula exists twice (as
:mod:`graphnet.math.activations` does):

* the **scalar form** ``update(weight, gradient, state, rate) -> new weight`` for one
  connection of the object graph, whose state lives on the connection
  (``connection.state``, e.g. ``Velocity(v=−0.001)``);
* the **array form** ``update_array(W, dW, state, rate)`` for a whole W or b of the fast
  path, in place, whose state holds arrays of W's or b's shape.

Both forms do the same floating-point operations in the same order.

Where the state lives
---------------------
Per-parameter values (v, G, s, m and v) live with the parameter: on the graph in the one
``state`` slot of each :class:`~graphnet.graph.objects.Connection` (None until an optimizer
that keeps state first updates it), on the fast path in arrays of the parameters' shapes
(``DenseLayer.weight_state`` and ``bias_state``).  The graph holds the truth; the fast path
copies the state in before training and back after, as it does with the weights.

The counts live on the optimizer object: ``step_count`` t (updates made) and
``epoch_count`` (epochs completed).  One count serves every parameter because all
parameters step together: each update changes every weight and bias once.  Adam's bias
corrections 1 − β₁ᵗ and 1 − β₂ᵗ are computed from it once per update.

Learning-rate schedules
-----------------------
``rate`` given to ``train`` is the base rate η₀; a schedule turns it into the rate η of
each update, before the optimizer uses it:

============== ========================= ==========================================
schedule       η of an update            counts
============== ========================= ==========================================
constant       η = η₀                    nothing (the default)
step decay     η = η₀·γ^⌊e/k⌋            e = epochs completed before this update
1/t decay      η = η₀/(1 + κ·t)          t = updates made before this one (0 first)
============== ========================= ==========================================

A schedule belongs to its optimizer (``Adam(schedule=StepDecay(every=10, factor=0.5))``),
whose counts it reads, so it continues where it was when training continues.

Examples
--------
>>> opt = Momentum(momentum=0.9)
>>> state = opt.new_state()
>>> opt.begin_update(0.5)
0.5
>>> opt.update(0.3, 0.02, state, 0.5), state
(0.29, Velocity(v=−0.01))
>>> W, dW = np.array([0.3, -0.1]), np.array([0.02, 0.04])
>>> arrays = opt.new_state_array(W)
>>> opt.update_array(W, dW, arrays, 0.5)
>>> W.tolist(), arrays.velocity.tolist()
([0.29, -0.12000000000000001], [-0.01, -0.02])
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from graphnet.math.activations import format_factor, format_number
from graphnet.math.errors import IncompatibleError, unknown_name

Array = NDArray[np.floating]
#: A state holds Python floats (graph) or arrays (fast path).
Value = TypeVar("Value", float, Array)
AnyState = TypeVar("AnyState", bound="ParameterState[Any]")

f = format_number
factor = format_factor


# ---------------------------------------------------------------------------- per-parameter state
class ParameterState(Generic[Value]):
    """What an optimizer remembers about one parameter (graph) or one W or b (fast path).

    Subclasses name their values in ``fields`` (attribute names) and ``symbols`` (how the
    formulas write them).  Slotted, so a connection's state stays small.
    """

    __slots__ = ()
    fields: ClassVar[tuple[str, ...]] = ()
    symbols: ClassVar[tuple[str, ...]] = ()

    def values(self) -> tuple[Value, ...]:
        """The values in the order of ``fields``."""
        return tuple(getattr(self, name) for name in self.fields)

    def copy(self: AnyState) -> AnyState:
        """A copy (arrays copied too)."""
        return type(self)(*(value.copy() if isinstance(value, np.ndarray) else value for value in self.values()))

    def short(self) -> str:
        """``v=−0.001`` or ``m=0.002 v=4e−07``: the values with their symbols."""
        parts = []
        for symbol, value in zip(self.symbols, self.values(), strict=True):
            shown = f"array{value.shape}" if isinstance(value, np.ndarray) else f(value)
            parts.append(f"{symbol}={shown}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.short().replace(' ', ', ')})"


class Velocity(ParameterState[Value]):
    """v: momentum's velocity, μ times the last one minus η·g."""

    __slots__ = ("velocity",)
    fields = ("velocity",)
    symbols = ("v",)

    def __init__(self, velocity: Value) -> None:
        self.velocity: Value = velocity


class SquareSum(ParameterState[Value]):
    """G: AdaGrad's sum of every squared gradient so far."""

    __slots__ = ("square_sum",)
    fields = ("square_sum",)
    symbols = ("G",)

    def __init__(self, square_sum: Value) -> None:
        self.square_sum: Value = square_sum


class SquareMean(ParameterState[Value]):
    """s: RMSprop's running (exponentially weighted) mean of the squared gradients."""

    __slots__ = ("square_mean",)
    fields = ("square_mean",)
    symbols = ("s",)

    def __init__(self, square_mean: Value) -> None:
        self.square_mean: Value = square_mean


class Moments(ParameterState[Value]):
    """m and v: Adam's running means of the gradient and of its square."""

    __slots__ = ("first_moment", "second_moment")
    fields = ("first_moment", "second_moment")
    symbols = ("m", "v")

    def __init__(self, first_moment: Value, second_moment: Value) -> None:
        self.first_moment: Value = first_moment
        self.second_moment: Value = second_moment


# ---------------------------------------------------------------------------- schedules
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
        self.factor = _check_range(factor, name="factor", low=0.0, high=1.0, include_low=False, include_high=True)

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
        self.decay = _check_range(decay, name="decay", low=0.0, high=math.inf, include_low=True, include_high=False)

    def rate(self, base_rate: float, *, updates: int, epochs: int) -> float:
        """η₀/(1 + κ·t)."""
        return base_rate / (1.0 + self.decay * updates)

    def config(self) -> dict[str, float]:
        """``decay`` (κ)."""
        return {"decay": self.decay}


SCHEDULES: dict[str, type[Schedule]] = {cls.name: cls for cls in (ConstantRate, StepDecay, InverseTimeDecay)}


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


# ---------------------------------------------------------------------------- optimizers
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

    def explain(self, weight: float, gradient: float, state: Any, rate: float) -> str:
        """The update of one weight written with its numbers (``state`` as before the update)."""
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


class SGD(Optimizer):
    """Plain gradient descent: w ← w − η·g.  Keeps no state.

    Examples
    --------
    >>> SGD().update(0.3, 0.02, None, 0.5)
    0.29
    """

    name = "sgd"
    formula = "w ← w − η·g"

    def update(self, weight: float, gradient: float, state: None, rate: float) -> float:
        """The new weight w − η·g."""
        return weight - rate * gradient

    def update_array(self, weight: Array, gradient: Array, state: None, rate: float) -> None:
        """W ← W − η·dW."""
        weight -= rate * gradient

    def explain(self, weight: float, gradient: float, state: None, rate: float) -> str:
        """``w ← 0.3 − 0.5·0.02 = 0.29``."""
        return f"w ← {f(weight)} − {f(rate)}·{factor(gradient)} = {f(self.update(weight, gradient, state, rate))}"


class Momentum(Optimizer):
    """Momentum: v ← μ·v − η·g; w ← w + v.

    The velocity v sums the past steps, each older one weighted by a further μ, so steps
    that agree add up and steps that alternate cancel.

    Parameters
    ----------
    momentum : float, default 0.9
        μ, in [0, 1).
    schedule : Schedule, optional
    """

    name = "momentum"
    formula = "v ← μ·v − η·g;  w ← w + v"
    state_type = Velocity

    def __init__(self, *, momentum: float = 0.9, schedule: Schedule | str | None = None) -> None:
        super().__init__(schedule=schedule)
        self.momentum = _check_range(momentum, name="momentum")

    def update(self, weight: float, gradient: float, state: Velocity[float], rate: float) -> float:
        """Velocity v ← μ·v − η·g; returns the new weight w + v."""
        velocity = self.momentum * state.velocity - rate * gradient
        state.velocity = velocity
        return weight + velocity

    def update_array(self, weight: Array, gradient: Array, state: Velocity[Array], rate: float) -> None:
        """V ← μ·V − η·dW; W ← W + V."""
        velocity = state.velocity
        velocity *= self.momentum
        velocity -= rate * gradient
        weight += velocity

    def explain(self, weight: float, gradient: float, state: Velocity[float], rate: float) -> str:
        """``v ← μ·v − η·g = 0.9·0.01 − 0.5·0.02 = −0.001; w ← w + v = …``."""
        after = state.copy()
        new_weight = self.update(weight, gradient, after, rate)
        return (
            f"v ← μ·v − η·g = {f(self.momentum)}·{factor(state.velocity)} − {f(rate)}·{factor(gradient)}"
            f" = {f(after.velocity)};  w ← w + v = {f(weight)} + {factor(after.velocity)} = {f(new_weight)}"
        )

    def config(self) -> dict[str, float]:
        """``momentum`` (μ)."""
        return {"momentum": self.momentum}


class Nesterov(Momentum):
    """Nesterov momentum: v ← μ·v − η·g; w ← w + μ·v − η·g.

    The step takes the new velocity's look-ahead μ·v plus the plain gradient step: the
    gradient-at-w form of "step to w + μ·v, then correct with the gradient there".

    Parameters
    ----------
    momentum : float, default 0.9
        μ, in [0, 1).
    schedule : Schedule, optional
    """

    name = "nesterov"
    formula = "v ← μ·v − η·g;  w ← w + μ·v − η·g"

    def update(self, weight: float, gradient: float, state: Velocity[float], rate: float) -> float:
        """Velocity v ← μ·v − η·g; returns the new weight w + μ·v − η·g."""
        step = rate * gradient
        velocity = self.momentum * state.velocity - step
        state.velocity = velocity
        return weight + self.momentum * velocity - step

    def update_array(self, weight: Array, gradient: Array, state: Velocity[Array], rate: float) -> None:
        """V ← μ·V − η·dW; W ← W + μ·V − η·dW."""
        step = rate * gradient
        velocity = state.velocity
        velocity *= self.momentum
        velocity -= step
        weight += self.momentum * velocity
        weight -= step

    def explain(self, weight: float, gradient: float, state: Velocity[float], rate: float) -> str:
        """``v ← μ·v − η·g = …; w ← w + μ·v − η·g = …``."""
        after = state.copy()
        new_weight = self.update(weight, gradient, after, rate)
        mu, step = f(self.momentum), f"{f(rate)}·{factor(gradient)}"
        return (
            f"v ← μ·v − η·g = {mu}·{factor(state.velocity)} − {step} = {f(after.velocity)};  "
            f"w ← w + μ·v − η·g = {f(weight)} + {mu}·{factor(after.velocity)} − {step} = {f(new_weight)}"
        )


class AdaGrad(Optimizer):
    """AdaGrad: G ← G + g²; w ← w − η·g/(√G + ε).

    Each parameter's step shrinks with the sum of its squared gradients: rarely changed
    parameters keep large steps.  The rate only ever falls.

    Parameters
    ----------
    epsilon : float, default 1e-8
        ε > 0, keeps the division finite while G is 0.
    schedule : Schedule, optional
    """

    name = "adagrad"
    formula = "G ← G + g²;  w ← w − η·g/(√G + ε)"
    state_type = SquareSum

    def __init__(self, *, epsilon: float = 1e-8, schedule: Schedule | str | None = None) -> None:
        super().__init__(schedule=schedule)
        self.epsilon = _check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)

    def update(self, weight: float, gradient: float, state: SquareSum[float], rate: float) -> float:
        """Sum G ← G + g²; returns the new weight w − η·g/(√G + ε)."""
        square_sum = state.square_sum + gradient * gradient
        state.square_sum = square_sum
        return weight - rate * gradient / (math.sqrt(square_sum) + self.epsilon)

    def update_array(self, weight: Array, gradient: Array, state: SquareSum[Array], rate: float) -> None:
        """G ← G + dW²; W ← W − η·dW/(√G + ε)."""
        square_sum = state.square_sum
        square_sum += gradient * gradient
        weight -= rate * gradient / (np.sqrt(square_sum) + self.epsilon)

    def explain(self, weight: float, gradient: float, state: SquareSum[float], rate: float) -> str:
        """``G ← G + g² = …; w ← w − η·g/(√G + ε) = …``."""
        after = state.copy()
        new_weight = self.update(weight, gradient, after, rate)
        return (
            f"G ← G + g² = {f(state.square_sum)} + {factor(gradient)}² = {f(after.square_sum)};  "
            f"w ← w − η·g/(√G + ε) = {f(weight)} − {f(rate)}·{factor(gradient)}/(√{f(after.square_sum)}"
            f" + {f(self.epsilon)}) = {f(new_weight)}"
        )

    def config(self) -> dict[str, float]:
        """``epsilon`` (ε)."""
        return {"epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: s ← ρ·s + (1−ρ)·g²; w ← w − η·g/(√s + ε).

    Like AdaGrad, but s forgets old gradients (a running mean with weight ρ), so the
    step size can grow again.

    Parameters
    ----------
    decay : float, default 0.9
        ρ, in [0, 1): how much of the old mean each update keeps.
    epsilon : float, default 1e-8
        ε > 0.
    schedule : Schedule, optional
    """

    name = "rmsprop"
    formula = "s ← ρ·s + (1−ρ)·g²;  w ← w − η·g/(√s + ε)"
    state_type = SquareMean

    def __init__(self, *, decay: float = 0.9, epsilon: float = 1e-8, schedule: Schedule | str | None = None) -> None:
        super().__init__(schedule=schedule)
        self.decay = _check_range(decay, name="decay")
        self.epsilon = _check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)

    def update(self, weight: float, gradient: float, state: SquareMean[float], rate: float) -> float:
        """Mean square s ← ρ·s + (1−ρ)·g²; returns the new weight w − η·g/(√s + ε)."""
        square_mean = self.decay * state.square_mean + (1.0 - self.decay) * (gradient * gradient)
        state.square_mean = square_mean
        return weight - rate * gradient / (math.sqrt(square_mean) + self.epsilon)

    def update_array(self, weight: Array, gradient: Array, state: SquareMean[Array], rate: float) -> None:
        """S ← ρ·S + (1−ρ)·dW²; W ← W − η·dW/(√S + ε)."""
        square_mean = state.square_mean
        square_mean *= self.decay
        square_mean += (1.0 - self.decay) * (gradient * gradient)
        weight -= rate * gradient / (np.sqrt(square_mean) + self.epsilon)

    def explain(self, weight: float, gradient: float, state: SquareMean[float], rate: float) -> str:
        """``s ← ρ·s + (1−ρ)·g² = …; w ← w − η·g/(√s + ε) = …``."""
        after = state.copy()
        new_weight = self.update(weight, gradient, after, rate)
        return (
            f"s ← ρ·s + (1−ρ)·g² = {f(self.decay)}·{factor(state.square_mean)} + {f(1.0 - self.decay)}·"
            f"{factor(gradient)}² = {f(after.square_mean)};  w ← w − η·g/(√s + ε) = {f(weight)} − {f(rate)}·"
            f"{factor(gradient)}/(√{f(after.square_mean)} + {f(self.epsilon)}) = {f(new_weight)}"
        )

    def config(self) -> dict[str, float]:
        """``decay`` (ρ) and ``epsilon`` (ε)."""
        return {"decay": self.decay, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam: running means of g and g², bias-corrected, give each parameter its own step.

    m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);
    w ← w − η·m̂/(√v̂ + ε), with t the optimizer's update count (1 for the first update).

    m and v start at 0, which biases them towards 0 early on; dividing by 1 − βᵗ undoes
    that.  L2 (if the network has it) is inside g, as in the original paper (not AdamW's
    decoupled weight decay).

    Parameters
    ----------
    beta1 : float, default 0.9
        β₁, in [0, 1).
    beta2 : float, default 0.999
        β₂, in [0, 1).
    epsilon : float, default 1e-8
        ε > 0.
    schedule : Schedule, optional
    """

    name = "adam"
    formula = "m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  w ← w − η·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)"
    state_type = Moments

    def __init__(
        self,
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        schedule: Schedule | str | None = None,
    ) -> None:
        super().__init__(schedule=schedule)
        self.beta1 = _check_range(beta1, name="beta1")
        self.beta2 = _check_range(beta2, name="beta2")
        self.epsilon = _check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)
        self.correction1 = 1.0  # 1 − β₁ᵗ of the current update
        self.correction2 = 1.0  # 1 − β₂ᵗ

    def _prepare(self, step: int) -> None:
        """1 − β₁ᵗ and 1 − β₂ᵗ, once per update."""
        self.correction1 = 1.0 - self.beta1**step
        self.correction2 = 1.0 - self.beta2**step

    def update(self, weight: float, gradient: float, state: Moments[float], rate: float) -> float:
        """Moments m ← β₁·m + (1−β₁)·g, v ← β₂·v + (1−β₂)·g²; returns the new weight w − η·m̂/(√v̂ + ε)."""
        first = self.beta1 * state.first_moment + (1.0 - self.beta1) * gradient
        second = self.beta2 * state.second_moment + (1.0 - self.beta2) * (gradient * gradient)
        state.first_moment = first
        state.second_moment = second
        return weight - rate * (first / self.correction1) / (math.sqrt(second / self.correction2) + self.epsilon)

    def update_array(self, weight: Array, gradient: Array, state: Moments[Array], rate: float) -> None:
        """M ← β₁·M + (1−β₁)·dW; V ← β₂·V + (1−β₂)·dW²; W ← W − η·M̂/(√V̂ + ε)."""
        first, second = state.first_moment, state.second_moment
        first *= self.beta1
        first += (1.0 - self.beta1) * gradient
        second *= self.beta2
        second += (1.0 - self.beta2) * (gradient * gradient)
        weight -= rate * (first / self.correction1) / (np.sqrt(second / self.correction2) + self.epsilon)

    def explain(self, weight: float, gradient: float, state: Moments[float], rate: float) -> str:
        """``t = 1; m ← … = …; v ← … = …; m̂ = …, v̂ = …; w ← w − η·m̂/(√v̂ + ε) = …``."""
        after = state.copy()
        new_weight = self.update(weight, gradient, after, rate)
        m_hat = after.first_moment / self.correction1
        v_hat = after.second_moment / self.correction2
        return (
            f"t = {self.step_count};  m ← β₁·m + (1−β₁)·g = {f(self.beta1)}·{factor(state.first_moment)} + "
            f"{f(1.0 - self.beta1)}·{factor(gradient)} = {f(after.first_moment)};  v ← β₂·v + (1−β₂)·g² = "
            f"{f(self.beta2)}·{factor(state.second_moment)} + {f(1.0 - self.beta2)}·{factor(gradient)}² = "
            f"{f(after.second_moment)};  m̂ = m/(1−β₁ᵗ) = {f(after.first_moment)}/{f(self.correction1)} = "
            f"{f(m_hat)}, v̂ = v/(1−β₂ᵗ) = {f(after.second_moment)}/{f(self.correction2)} = {f(v_hat)};  "
            f"w ← w − η·m̂/(√v̂ + ε) = {f(weight)} − {f(rate)}·{factor(m_hat)}/(√{f(v_hat)} + {f(self.epsilon)})"
            f" = {f(new_weight)}"
        )

    def config(self) -> dict[str, float]:
        """``beta1``, ``beta2`` and ``epsilon``."""
        return {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam)}


def get_optimizer(spec: str | Optimizer) -> Optimizer:
    """A new optimizer with default hyper-parameters for a name, or the instance given.

    Raises
    ------
    UnknownNameError
        If ``spec`` names no optimizer (or is neither a name nor an Optimizer).

    Examples
    --------
    >>> get_optimizer("adam")
    Adam(beta1=0.9, beta2=0.999, epsilon=1e-08)
    """
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec in OPTIMIZERS:
        return OPTIMIZERS[spec]()
    raise unknown_name("optimizer", spec, OPTIMIZERS)


def _check_range(
    value: float,
    *,
    name: str,
    low: float = 0.0,
    high: float = 1.0,
    include_low: bool = True,
    include_high: bool = False,
) -> float:
    """A real number in the interval given (by default [0, 1)), or IncompatibleError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise IncompatibleError(f"{name} must be a number; got {value!r}")
    number = float(value)
    above = number >= low if include_low else number > low
    below = number <= high if include_high else number < high
    if not (math.isfinite(number) and above and below):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise IncompatibleError(f"{name} must be in {interval}; got {value!r}")
    return number
