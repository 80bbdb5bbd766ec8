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

Where the state, the counts and the schedule live
-------------------------------------------------
Per-parameter values (v, G, s, m and v) live with the parameter, in the state objects of
:mod:`graphnet.math.optimizer_state`.  The counts (t, epochs) and the learning-rate
schedule (:mod:`graphnet.math.lr_schedules`) live on the optimizer object; what every rule
shares is its base class, :class:`~graphnet.math.optimizer_base.Optimizer`.

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
from collections.abc import Callable
from functools import partial

import numpy as np

from graphnet.math.errors import unknown_name
from graphnet.math.lr_schedules import (
    SCHEDULES,
    ConstantRate,
    InverseTimeDecay,
    LinearDecay,
    Schedule,
    StepDecay,
    get_schedule,
)
from graphnet.math.numbers import format_factor, format_number
from graphnet.math.optimizer_base import Optimizer
from graphnet.math.optimizer_state import Array, Moments, ParameterState, SquareMean, SquareSum, Value, Velocity
from graphnet.math.validation import check_range

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "AdaGrad",
    "Adam",
    "Array",
    "ConstantRate",
    "InverseTimeDecay",
    "LinearDecay",
    "Moments",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "ParameterState",
    "RMSprop",
    "Schedule",
    "SquareMean",
    "SquareSum",
    "StepDecay",
    "Value",
    "Velocity",
    "get_optimizer",
    "get_schedule",
]

Formatter = Callable[[float], str]


def formatters(digits: int = 4) -> tuple[Formatter, Formatter]:
    """``(number, factor)``: :func:`format_number` and :func:`format_factor` to ``digits`` decimal places.

    The ``explain`` methods write their numbers with these (``digits=``, 4 unless the stepper says otherwise).

    >>> number, factor = formatters(8)
    >>> number(0.3589164795), factor(-0.2)
    ('0.35891648', '(−0.2)')
    """
    return partial(format_number, digits=digits), partial(format_factor, digits=digits)


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

    def explain(self, weight: float, gradient: float, state: None, rate: float, *, digits: int = 4) -> str:
        """``w ← 0.3 − 0.5·0.02 = 0.29``."""
        f, factor = formatters(digits)
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
        self.momentum = check_range(momentum, name="momentum")

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

    def explain(self, weight: float, gradient: float, state: Velocity[float], rate: float, *, digits: int = 4) -> str:
        """``v ← μ·v − η·g = 0.9·0.01 − 0.5·0.02 = −0.001; w ← w + v = …``."""
        f, factor = formatters(digits)
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

    def explain(self, weight: float, gradient: float, state: Velocity[float], rate: float, *, digits: int = 4) -> str:
        """``v ← μ·v − η·g = …; w ← w + μ·v − η·g = …``."""
        f, factor = formatters(digits)
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
        self.epsilon = check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)

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

    def explain(self, weight: float, gradient: float, state: SquareSum[float], rate: float, *, digits: int = 4) -> str:
        """``G ← G + g² = …; w ← w − η·g/(√G + ε) = …``."""
        f, factor = formatters(digits)
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
        self.decay = check_range(decay, name="decay")
        self.epsilon = check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)

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

    def explain(self, weight: float, gradient: float, state: SquareMean[float], rate: float, *, digits: int = 4) -> str:
        """``s ← ρ·s + (1−ρ)·g² = …; w ← w − η·g/(√s + ε) = …``."""
        f, factor = formatters(digits)
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
        self.beta1 = check_range(beta1, name="beta1")
        self.beta2 = check_range(beta2, name="beta2")
        self.epsilon = check_range(epsilon, name="epsilon", low=0.0, high=math.inf, include_low=False)
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
        """M ← β₁·M + (1−β₁)·dW; V ← β₂·V + (1−β₂)·dW²; W ← W − η·M̂/(√V̂ + ε).

        The same operations in the same order as :meth:`update` (so the same numbers), in two
        temporaries of W's size rather than one per operation.
        """
        first, second = state.first_moment, state.second_moment
        scratch = np.multiply(gradient, 1.0 - self.beta1)
        first *= self.beta1
        first += scratch  # M = β₁·M + (1−β₁)·dW
        np.multiply(gradient, gradient, out=scratch)
        scratch *= 1.0 - self.beta2
        second *= self.beta2
        second += scratch  # V = β₂·V + (1−β₂)·dW²
        np.divide(second, self.correction2, out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon  # √V̂ + ε
        step = np.divide(first, self.correction1)
        step *= rate  # η·M̂
        step /= scratch
        weight -= step

    def explain(self, weight: float, gradient: float, state: Moments[float], rate: float, *, digits: int = 4) -> str:
        """``t = 1; m ← … = …; v ← … = …; m̂ = …, v̂ = …; w ← w − η·m̂/(√v̂ + ε) = …``."""
        f, factor = formatters(digits)
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
