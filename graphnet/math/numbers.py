"""How graphnet writes a number for a reader: ``digits`` decimal places, a real minus sign.

One function writes every number a learner reads in a formula, on a picture or in an update
rule: :func:`format_number`.  ``digits`` counts the places after the decimal point, as a
worked example prints them (``0.0822`` with 4, ``0.08216704`` with 8); trailing zeros are
dropped (``1``, ``0.5``).  A number too small for that many places (below 0.001 in size) is
written with ``digits`` significant digits instead, so it never reads as 0
(``−0.0006123``, ``1.234e−07``); one of a million or more keeps 15 significant digits.

:func:`to_ascii` turns any such text into plain ASCII for pasting into Python: ``-`` for
``−``, ``*`` for ``·``, ``**2`` for ``²``, ``exp(x)`` for ``e^x``, names spelled out
(``delta``, ``eta``, ``dE/dw``).  Its numbers part is valid Python arithmetic.

Examples
--------
>>> format_number(0.08216704093), format_number(0.08216704093, 8), format_number(1.0)
('0.0822', '0.08216704', '1')
>>> format_number(-0.000612345), format_number(-0.0), format_number(12345.678)
('−0.000612', '0', '12345.678')
>>> to_ascii("δ(o1) = 0.7414·(1−0.7414)·(−0.2)² = 0.0077")
'delta(o1) = 0.7414*(1-0.7414)*(-0.2)**2 = 0.0077'
"""

from __future__ import annotations

import math
import os
import re
import unicodedata

from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_count

#: Decimal places unless ``digits=`` says otherwise.
DEFAULT_DIGITS = 4
#: Most decimal places ``digits=`` accepts; 17 means exact: 17 significant digits, every float64 as it is.
MAX_DIGITS = 17
#: Fewest significant digits a number between :data:`SMALL` and :data:`LARGE` is written with.
MIN_SIGNIFICANT = 3
#: Below this size a number is written with ``digits`` significant digits instead of places.
SMALL = 1e-4
#: From this size on a number is written with :data:`LARGE_DIGITS` significant digits.
LARGE = 1e6
LARGE_DIGITS = 15
#: The environment variable that asks for plain ASCII output everywhere (``1``, ``true``, ``yes``).
ASCII_VARIABLE = "GRAPHNET_ASCII"


def format_number(value: float, digits: int = DEFAULT_DIGITS) -> str:
    """``value`` to ``digits`` decimal places (trailing zeros dropped) with a real minus sign ``−``.

    At least :data:`MIN_SIGNIFICANT` and at most 17 significant digits; below :data:`SMALL`
    in size ``digits`` significant digits, from :data:`LARGE` on :data:`LARGE_DIGITS`.
    """
    value = float(value) + 0.0  # + 0.0 writes −0.0 as 0
    size = abs(value)
    if value == 0.0 or not math.isfinite(value):
        text = f"{value:g}"
    elif digits >= MAX_DIGITS:  # exact: the 17 significant digits that give back the float64
        text = f"{value:.17g}"
    elif size < SMALL:
        text = f"{value:.{digits}g}"
    elif size >= LARGE:
        text = f"{value:.{LARGE_DIGITS}g}"
    else:
        leading = math.floor(math.log10(size)) + 1  # digits before the point (≤ 0 below 1)
        places = min(max(digits, MIN_SIGNIFICANT - leading), 17 - leading)
        text = f"{value:.{max(places, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", "0"):  # rounding at few places: fall back to significant digits
            text = f"{value:.{digits}g}"
    return text.replace("-", "−")


def format_factor(value: float, digits: int = DEFAULT_DIGITS) -> str:
    """A number as a factor of a product: negative ones in parentheses, ``0.5·(−0.2)``.

    >>> format_factor(0.5), format_factor(-0.2)
    ('0.5', '(−0.2)')
    """
    return format_number(value, digits) if value >= 0 else f"({format_number(value, digits)})"


def check_digits(digits: int) -> int:
    """Decimal places for the numbers shown: a whole number from 1 to :data:`MAX_DIGITS`."""
    checked = check_count(digits, name="digits", minimum=1)
    if checked > MAX_DIGITS:
        raise IncompatibleError(
            f"digits (decimal places) must be a whole number from 1 to {MAX_DIGITS} "
            f"(17 already give every float64 exactly); got {digits!r}"
        )
    return checked


# ---------------------------------------------------------------------------- plain ASCII
#: Symbols and their ASCII spelling, longest first where one contains another.
ASCII_NAMES = (
    ("∂E/∂", "dE/d"),
    ("Σ_", "sum_"),
    ("Σ", "sum"),
    ("σ(", "sigmoid("),
    ("δ", "delta"),
    ("η", "eta"),
    ("λ", "lambda"),
    ("μ", "mu"),
    ("α", "alpha"),
    ("β", "beta"),
    ("γ", "gamma"),
    ("ε", "eps"),
    ("ρ", "rho"),
    ("κ", "kappa"),
    ("θ", "theta"),
    ("←", "<-"),
    ("→", "->"),
    ("−", "-"),
    ("·", "*"),
    ("…", "..."),
    ("–", "-"),
    ("—", "-"),
    ("≥", ">="),
    ("≤", "<="),
    ("≈", "~"),
    ("′", "'"),
    ("̂", "_hat"),  # combining circumflex: m̂ → m_hat
    ("ⁿ", "**n"),
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵗ", "0123456789-t")
_POWER = re.compile(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵗ]+)")
#: Activation symbols that would call the wrong Python function (``id``) or none at all.
_SPELLED_CALLS = {"id": "identity", "leaky": "leaky_relu"}
_CALLS = re.compile(r"\b(id|leaky)\(")
_SQRT = re.compile(r"√(\((?:[^()]|\([^()]*\))*\)|[0-9.]+(?:e-?\d+)?|[A-Za-z_]\w*)")
_EXP = re.compile(r"e\^(\((?:[^()]|\([^()]*\))*\)|[0-9.]+(?:e[−-]?\d+)?|[\w]+)")
_HIDDEN = re.compile(r"\((\d+) more terms: ([^()]+)\)")
_DROPPED = " (dropped)"
#: Sparkline blocks, lowest to highest, and the ASCII characters that stand for them.
_BLOCKS = dict(zip("▁▂▃▄▅▆▇█", "_.-=+*#@", strict=True))


def to_ascii(text: str) -> str:
    """``text`` in plain ASCII: the numbers part of a formula becomes valid Python arithmetic.

    ``x²`` → ``x**2``, ``e^(−0.3)`` → ``exp(-0.3)``, ``√v̂`` → ``sqrt(v_hat)``,
    ``β1ᵗ`` → ``beta1**t``, ``−`` → ``-``, ``·`` → ``*``, a long sum's
    ``(5 more terms: 0.12)`` → ``0.12`` (the count is said after the formula, as a Python
    comment ``# 0.12: 5 more terms``; ``(dropped)`` likewise), names spelled out (``δ`` →
    ``delta``); table lines and sparklines in ASCII characters (``-``, ``|``, ``+``, ``_.-=+*#@``).

    >>> to_ascii("net(1-0) = (0.1·0.2 + (2 more terms: −0.03) + 0.35·1) = 0.34")
    'net(1-0) = (0.1*0.2 + (-0.03) + 0.35*1) = 0.34  # -0.03: 2 more terms'
    >>> to_ascii("o = e^(−0.5)/(e^0.2 + e^(−0.5)) = 0.33")
    'o = exp(-0.5)/(exp(0.2) + exp(-0.5)) = 0.33'
    """
    notes: list[str] = []

    def hidden(match: re.Match[str]) -> str:
        notes.append(f"{match.group(2)}: {match.group(1)} more terms")
        return f"({match.group(2)})"

    text = _HIDDEN.sub(hidden, text)
    if text.endswith(_DROPPED):  # "= 0 (dropped)" would call 0: say it after the formula
        text = text[: -len(_DROPPED)]
        notes.append("dropped")
    text = _EXP.sub(lambda m: "exp(" + _strip_parentheses(m.group(1)) + ")", text)
    text = _POWER.sub(lambda m: "**" + m.group(1).translate(_SUPERSCRIPTS), text)
    for symbol, spelled in ASCII_NAMES:
        text = text.replace(symbol, spelled)
    text = _CALLS.sub(lambda m: _SPELLED_CALLS[m.group(1)] + "(", text)
    text = _SQRT.sub(lambda m: "sqrt(" + _strip_parentheses(m.group(1)) + ")", text)
    if notes:
        text += "  # " + "; ".join(n.replace("−", "-") for n in notes)
    return "".join(c if c.isascii() else _ascii_character(c) for c in text)


def _ascii_character(character: str) -> str:
    """One character of a table, a sparkline or a name in ASCII (``?`` when nothing stands for it)."""
    if character in _BLOCKS:
        return _BLOCKS[character]
    name = unicodedata.name(character, "")
    if name.startswith("BOX DRAWINGS"):
        horizontal, vertical = "HORIZONTAL" in name, "VERTICAL" in name
        return "-" if horizontal and not vertical else "|" if vertical and not horizontal else "+"
    plain = "".join(c for c in unicodedata.normalize("NFKD", character) if c.isascii())
    return plain or "?"


def _strip_parentheses(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def ascii_wanted(ascii: bool | None = None) -> bool:
    """``ascii`` when given, else whether :data:`ASCII_VARIABLE` asks for it (``1``, ``true``, ``yes``, ``on``)."""
    if ascii is not None:
        return bool(ascii)
    return os.environ.get(ASCII_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")
