"""The expression trees behind the stepper's formulas: each built once, shown twice.

A step's formula is built once as a tree of :class:`Expr` nodes (numbers with their symbol,
sums, products, differences, quotients, squares, function calls).  The same tree is written
in symbols (:meth:`Expr.symbols`) and with its numbers (:meth:`Expr.numbers`), so the two can
never disagree, and precedence is decided in one place:

* a factor of a product is parenthesised when it is a sum, a difference, a quotient or a
  negative number: ``0.5·(−0.2)``, ``(1−o²)·(…)``;
* a term of a sum after the first, the right side of a difference, the base of a square
  and the numerator or denominator of a quotient are parenthesised when negative or
  compound: ``0.1 + (−0.2)``, ``0.6 − (−0.9)``, ``(−0.01689)²``;
* every symbol is replaced by its number, so the numbers string is plain arithmetic whose
  value is the one after the last ``=``.

A long sum shows its first :data:`MAX_TERMS` terms, then how many more there are and what
they add up to, then its bias term (a bias is never the one term hidden, and a sum is cut
only when at least two terms would be hidden).

Examples
--------
>>> tanh_prime = Difference(Num(1.0), Square(Num(-0.01689, "o")), tight=True)
>>> rest = Sum([Product([Num(0.3, "w"), Num(-0.04006, "δ")])], symbol="Σ_k w_kj·δ_k")
>>> expression = Product([tanh_prime, rest])
>>> expression.symbols()
'(1−o²)·Σ_k w_kj·δ_k'
>>> expression.numbers(4)
'(1−(−0.0169)²)·(0.3·(−0.0401))'
>>> Equation("δ(1-0)", expression, -0.0120).numbers(4)
'δ(1-0) = (1−(−0.0169)²)·(0.3·(−0.0401)) = −0.012'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphnet.math.numbers import DEFAULT_DIGITS, format_number

#: Terms of a long sum shown before the rest is counted (and summed).
MAX_TERMS = 6
#: Every number of a formula is written by the one writer of :mod:`graphnet.math.numbers`.
number = format_number


class Expr:
    """A node of a formula: written in symbols or with its numbers."""

    #: How the node binds: "atom" (a number, a name, a call, a square), "product", "quotient", "sum".
    kind = "atom"

    def write(self, digits: int | None) -> str:
        """In symbols (``digits`` None), or with its numbers to ``digits`` decimal places."""
        raise NotImplementedError

    def symbols(self) -> str:
        """The expression in symbols."""
        return self.write(None)

    def numbers(self, digits: int = DEFAULT_DIGITS) -> str:
        """The expression with every symbol replaced by its number."""
        return self.write(digits)


@dataclass(frozen=True)
class Num(Expr):
    """A number, written as ``symbol`` in symbols (the number itself when there is none)."""

    value: float
    symbol: str | None = None

    def write(self, digits: int | None) -> str:
        if digits is None:
            return self.symbol if self.symbol is not None else number(self.value)
        return number(self.value, digits)


def _wrap(text: str) -> str:
    return f"({text})"


def _operand(expr: Expr, digits: int | None, *, wrap_kinds: tuple[str, ...], wrap_negative: bool = True) -> str:
    """``expr`` as an operand: parenthesised when it binds more loosely than its place, or is negative."""
    text = expr.write(digits)
    if expr.kind in wrap_kinds or (wrap_negative and digits is not None and text.startswith("−")):
        return _wrap(text)
    return text


@dataclass(frozen=True)
class Product(Expr):
    """``a·b·…``: sums, differences, quotients and negative numbers among the factors in parentheses."""

    factors: Sequence[Expr]
    kind = "product"

    def write(self, digits: int | None) -> str:
        return "·".join(_operand(f, digits, wrap_kinds=("sum", "quotient")) for f in self.factors)


@dataclass(frozen=True)
class Quotient(Expr):
    """``a/b``: a sum or negative numerator and any compound or negative denominator in parentheses."""

    numerator: Expr
    denominator: Expr
    kind = "quotient"

    def write(self, digits: int | None) -> str:
        top = _operand(self.numerator, digits, wrap_kinds=("sum",))
        bottom = _operand(self.denominator, digits, wrap_kinds=("sum", "product", "quotient"))
        return f"{top}/{bottom}"


@dataclass(frozen=True)
class Difference(Expr):
    """``a − b`` (``a−b`` when ``tight``): a compound or negative right side in parentheses."""

    left: Expr
    right: Expr
    tight: bool = False
    kind = "sum"

    def write(self, digits: int | None) -> str:
        left = self.left.write(digits)
        right = _operand(self.right, digits, wrap_kinds=("sum",))
        return f"{left}{'−' if self.tight else ' − '}{right}"


@dataclass(frozen=True)
class Square(Expr):
    """``b²``, the base in parentheses unless it is a plain non-negative number or name."""

    base: Expr

    def write(self, digits: int | None) -> str:
        return _operand(self.base, digits, wrap_kinds=("sum", "product", "quotient")) + "²"


@dataclass(frozen=True)
class Call(Expr):
    """``name(argument)``, e.g. ``σ(net)`` and ``σ(0.3)``."""

    name: str
    argument: Expr

    def write(self, digits: int | None) -> str:
        return f"{self.name}({self.argument.write(digits)})"


@dataclass(frozen=True)
class Exp(Expr):
    """``e^x``: ``e^(net_j)`` in symbols, ``e^0.3`` or ``e^(−0.3)`` with numbers."""

    exponent: Expr

    def write(self, digits: int | None) -> str:
        if digits is None:
            return f"e^({self.exponent.symbols()})"
        return "e^" + _operand(self.exponent, digits, wrap_kinds=("sum", "product", "quotient"))


@dataclass(frozen=True)
class Sum(Expr):
    """``(a + b + …)``: in symbols ``symbol`` (e.g. ``Σ_i w_ji·o_i``), with numbers every term.

    Terms after the first are parenthesised when negative.  With more than
    :data:`MAX_TERMS` + 1 terms, the first :data:`MAX_TERMS` are shown, then
    ``(k more terms: s)`` with their count and sum (``values``: each term's value), then the
    last term when it is the bias (``keep_last``), so the bias is never hidden.
    """

    terms: Sequence[Expr]
    symbol: str | None = None
    keep_last: bool = False
    values: Sequence[float] = field(default=())
    kind = "atom"  # always written in its own parentheses

    def write(self, digits: int | None) -> str:
        if digits is None:
            if self.symbol is not None:
                return self.symbol
            return _wrap(" + ".join(_operand(t, None, wrap_kinds=("sum",)) for t in self.terms))
        terms = list(self.terms)
        values = list(self.values)
        tail: list[Expr] = []
        if self.keep_last and len(terms) > MAX_TERMS + 1:
            tail, terms, values = terms[-1:], terms[:-1], values[:-1]
        shown = terms if len(terms) <= MAX_TERMS + 1 else terms[:MAX_TERMS]
        parts = [t.numbers(digits) if i == 0 else _operand(t, digits, wrap_kinds=("sum",)) for i, t in enumerate(shown)]
        hidden = len(terms) - len(shown)
        if hidden and values:
            parts.append(f"({hidden} more terms: {number(sum(values[len(shown) :]), digits)})")
        elif hidden:  # no values given: the count only
            parts.append(f"({hidden} more terms)")
        parts.extend(_operand(t, digits, wrap_kinds=("sum",)) for t in tail)
        return _wrap(" + ".join(parts)) if parts else "0"


@dataclass(frozen=True)
class Equation:
    """``lhs = expression`` in symbols; ``lhs = numbers = value`` with numbers.

    ``arrow`` replaces ``=`` after ``lhs`` (``w ← …`` for an update); ``note`` follows the
    formula in symbols (e.g. ``(K = 2 outputs)``).  The value is not repeated when the
    numbers already are just that value (``o(0-0) = 1``).
    """

    lhs: str
    expression: Expr
    value: float
    arrow: str = "="
    note: str = ""

    def symbols(self) -> str:
        return f"{self.lhs} {self.arrow} {self.expression.symbols()}{self.note}"

    def numbers(self, digits: int = DEFAULT_DIGITS) -> str:
        written, result = self.expression.numbers(digits), number(self.value, digits)
        tail = "" if written == result else f" = {result}"
        return f"{self.lhs} {self.arrow} {written}{tail}"


def join_symbols(equations: Sequence[Equation]) -> str:
    """Several equations in symbols, ``;``-separated, in the order they are computed."""
    return ";  ".join(e.symbols() for e in equations)


def join_numbers(equations: Sequence[Equation], digits: int) -> str:
    """Several equations with their numbers, ``;``-separated."""
    return ";  ".join(e.numbers(digits) for e in equations)
