"""Per-parameter optimizer state: what an update rule remembers about one parameter.

An optimizer that keeps memory (see :mod:`graphnet.math.optimizers`) keeps it in one of
these small slotted objects, one kind per rule:

=========== ========= ========================================================
state       symbols   kept by
=========== ========= ========================================================
Velocity    v         momentum and Nesterov: μ·v − η·g, summed over the steps
SquareSum   G         AdaGrad: the sum of every g²
SquareMean  s         RMSprop: a running mean of g²
Moments     m, v      Adam: running means of g and of g²
=========== ========= ========================================================

Per-parameter values live with the parameter: on the graph in the one ``state`` slot of
each :class:`~graphnet.graph.objects.Connection` (None until an optimizer that keeps state
first updates it), on the fast path in arrays of the parameters' shapes
(``DenseLayer.weight_state`` and ``bias_state``).  The graph holds the truth; the fast path
copies the state in before training and back after, as it does with the weights.  So a
state holds Python floats (graph) or arrays (fast path) of the same names.

Examples
--------
>>> Moments(0.002, 4e-07)
Moments(m=0.002, v=4e−07)
>>> Velocity(np.zeros((2, 3))).short()
'v=array(2, 3)'
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from graphnet.math.numbers import format_number

Array = NDArray[np.floating]
#: A state holds Python floats (graph) or arrays (fast path).
Value = TypeVar("Value", float, Array)
AnyState = TypeVar("AnyState", bound="ParameterState[Any]")

f = format_number


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

    def is_finite(self) -> bool:
        """True when every value (a float, or every entry of an array) is finite."""
        return all(bool(np.isfinite(value).all()) for value in self.values())

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
