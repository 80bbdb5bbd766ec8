"""Formulas typeset with MathML (native in browsers and Jupyter, no dependency).

The stepper writes each formula once, from its expression tree, as text
(:mod:`graphnet.tools.expressions`); :func:`formula_mathml` typesets that very text, so
terminal, REPL, notebook and player show one formula.  Numbers become ``<mn>`` (a negative
one whole: ``(−0.1013)``), names ``<mi>`` (``w_kj`` with its subscript, ``Σ_k`` with its
index; a textbook name's number its subscript, ``w5`` → w₅; a graph label ``1-0`` one
upright name), operators ``<mo>``; a parenthesised group is one ``<mrow>``, so
``(−0.0169)²`` squares the whole group; ``e^(…)`` and ``x²``/``β1ᵗ`` are superscripts and ``√x`` a root.

An event shows itself in a notebook (``_repr_html_``) as its line, then the formula and the
numbers as MathML; the player shows the same two lines.

Examples
--------
>>> formula_mathml("o·(1−o)", display_block=False)
'<math><mi>o</mi><mo>·</mo><mrow><mo>(</mo><mn>1</mn><mo>−</mo><mi>o</mi><mo>)</mo></mrow></math>'
>>> formula_mathml("(−0.5)²")
'<math display="block"><msup><mrow><mo>(</mo><mn>−0.5</mn><mo>)</mo></mrow><mn>2</mn></msup></math>'
"""

from __future__ import annotations

import re
from html import escape

from graphnet.common import display
from graphnet.tools.stepper import Event

#: One token of a formula's text: a number, a name (with its ``_`` subscript), a superscript, an operator.
TOKEN = re.compile(
    r"(?P<label>\d+-\d+)"  # a graph label such as 1-0: one name, not a subtraction (numbers use −)
    r"|(?P<number>(?:(?:(?<=\()|(?<== )|(?<=← )|^)−)?\d+(?:\.\d+)?(?:e[−+-]?\d+)?)"
    r"|(?P<power>[²ᵗ])"
    r"|(?P<name>[^\W\d_²ᵗ](?:[^\W_²ᵗ]|̂|′)*(?:_[^\W_]+)?)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
#: Superscript characters and what they raise to.
POWERS = {"²": "<mn>2</mn>", "ᵗ": "<mi>t</mi>"}
#: Names set as words (upright text, spaced) rather than as variables.
WORDS = frozenset({"if", "else", "more", "terms", "outputs", "dropped", "adam", "momentum", "nesterov"})


def formula_mathml(text: str, *, display_block: bool = True) -> str:
    """``text`` (a formula as graphnet writes it) as one ``<math>`` element."""
    stack: list[list[str]] = [[]]
    pending: list[str] = []  # "^" or "√" waiting for the next element
    for match in TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "power":
            _raise_last(stack[-1], POWERS[token])
            continue
        if token == "(":
            stack.append([f"<mo>{token}</mo>"])
            continue
        if token == ")" and len(stack) > 1:
            group = stack.pop()
            _append(stack[-1], "<mrow>" + "".join(group) + "<mo>)</mo></mrow>", pending)
            continue
        if token in ("^", "√"):
            pending.append(token)
            continue
        _append(stack[-1], _element(kind, token), pending)
    for sign in pending:  # a root or a power with nothing after it
        stack[-1].append("<msqrt><mrow></mrow></msqrt>" if sign == "√" else "<mo>^</mo>")
    while len(stack) > 1:  # an unclosed group: keep its content
        group = stack.pop()
        stack[-1].append("<mrow>" + "".join(group) + "</mrow>")
    mode = ' display="block"' if display_block else ""
    return f"<math{mode}>" + "".join(stack[0]) + "</math>"


def _element(kind: str | None, token: str) -> str:
    if kind == "number":
        return f"<mn>{escape(token)}</mn>"
    if kind == "label":
        return f'<mi mathvariant="normal">{escape(token)}</mi>'
    if kind == "name" and "_" not in token and (digits := re.search(r"\d+$", token)) and digits.start() > 0:
        return f"<msub><mi>{escape(token[: digits.start()])}</mi><mn>{digits.group()}</mn></msub>"  # w5 → w₅
    if kind == "name":
        base, _, subscript = token.partition("_")
        if base in WORDS:
            return f"<mtext>&#160;{escape(base)}&#160;</mtext>"
        element = f"<mi>{escape(base)}</mi>"
        return f"<msub>{element}<mi>{escape(subscript)}</mi></msub>" if subscript else element
    return f"<mo>{escape(token)}</mo>"


def _append(row: list[str], element: str, pending: list[str]) -> None:
    """Add ``element`` to ``row``: as the exponent of the one before after ``^``, under a root after ``√``."""
    if pending and pending[-1] == "√":
        pending.pop()
        element = f"<msqrt>{element}</msqrt>"
    if pending and pending[-1] == "^":
        pending.pop()
        if row:
            row[-1] = f"<msup>{row[-1]}{element}</msup>"
            return
    row.append(element)


def _raise_last(row: list[str], exponent: str) -> None:
    if row:
        row[-1] = f"<msup>{row[-1]}{exponent}</msup>"
    else:
        row.append(exponent)


def event_mathml(event: Event) -> list[str]:
    """The event's formula and numbers as two inline ``<math>`` elements (what the player shows)."""
    return [formula_mathml(event.formula, display_block=False), formula_mathml(event.numbers, display_block=False)]


def event_html(event: Event) -> str:
    """An event in a notebook: its line (``[k] phase name``), then formula and numbers as MathML."""
    formula, numbers = event_mathml(event)
    return (
        f'<div class="graphnet-event"><div><b>[{event.index}]</b> {escape(event.phase)} '
        f"{escape(event.shown_name)}</div><div>{formula}</div><div>{numbers}</div></div>"
    )


@display.html.register(Event)
def _event_view(event: Event, **options: object) -> str:
    return event_html(event)
