"""What the demos share: their signature, argparse option types, the ``--plot`` option, PNG saving.

A demo is a function ``demo_NAME(console, **options) -> int`` (:data:`Demo`); a demo with
options has a function that adds them to an :mod:`argparse` parser (:data:`AddOptions`).

Every option naming a file (``--plot``, ``--checkpoint``, and the commands' ``--json``,
``--html``, ``-o``, ``--csv``) takes ``type=output_file`` or ``type=input_file``; the parsed
options then go through :func:`check_file_options`, which ``graphnet`` calls right after
parsing and before any work, so a missing or read-only folder fails at once with one line.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from graphnet.math.errors import GraphnetError, IncompatibleError, MissingDependencyError
from graphnet.math.validation import check_input_file, check_output_file
from graphnet.views.charts import curves_png

Demo = Callable[..., int]
AddOptions = Callable[[argparse.ArgumentParser], None]

#: Most glyphs in a demo's sparkline (long series are sampled).
SPARK_WIDTH = 50


def whole_number(text: str) -> int | None:
    """``text`` as a whole number in plain ASCII digits (an optional sign), or None.

    ``str.isdigit`` accepts ``"²"`` and ``"١"``, which ``int`` then refuses or reads as
    another number; this accepts only what it can convert.
    """
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(stripped)


def _whole_at_least(text: str, minimum: int) -> int:
    value = whole_number(text)
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """Argparse type: a whole number ≥ 1."""
    return _whole_at_least(text, 1)


def seed_number(text: str) -> int:
    """Argparse type of ``--seed``: a whole number ≥ 0 (what numpy's generators accept)."""
    return _whole_at_least(text, 0)


def whole_at_least(minimum: int) -> Callable[[str], int]:
    """Argparse type: a whole number ≥ ``minimum`` (``positive_int`` is the one for 1)."""

    def parse(text: str) -> int:
        return _whole_at_least(text, minimum)

    return parse


def _number(text: str, accept: Callable[[float], bool], expected: str) -> float:
    """``text`` as a float that ``accept`` takes (NaN for text that is no number), else the argparse error."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def probability(text: str) -> float:
    """Argparse type of ``--dropout``: a number p with 0 ≤ p < 1."""
    return _number(text, lambda p: 0.0 <= p < 1.0, "a probability 0 ≤ p < 1")  # NaN fails both


def finite_float(text: str) -> float:
    """Argparse type: a finite number (``nan`` and ``inf`` are refused)."""
    return _number(text, math.isfinite, "a finite number")


def positive_float(text: str) -> float:
    """Argparse type: a finite number > 0."""
    return _number(text, lambda x: math.isfinite(x) and x > 0.0, "a finite number > 0")


def non_negative_float(text: str) -> float:
    """Argparse type: a finite number ≥ 0."""
    return _number(text, lambda x: math.isfinite(x) and x >= 0.0, "a finite number ≥ 0")


class OutputFile(str):
    """A file name to write, as parsed: :func:`check_file_options` checks it before any work."""


class InputFile(str):
    """A file name to read, as parsed: :func:`check_file_options` checks it before any work."""


def output_file(text: str) -> OutputFile:
    """Argparse type of every option naming a file to write (checked by :func:`check_file_options`)."""
    return OutputFile(text)


def input_file(text: str) -> InputFile:
    """Argparse type of every option naming a file to read (checked by :func:`check_file_options`)."""
    return InputFile(text)


def check_file_options(options: argparse.Namespace) -> argparse.Namespace:
    """Check every file option of ``options`` before any work; each becomes the checked :class:`Path`.

    Files to write go through :func:`~graphnet.math.validation.check_output_file` (their folder
    exists and takes a new file; a link's target is what gets written), files to read through
    :func:`~graphnet.math.validation.check_input_file` (a regular file this process may read).

    Raises
    ------
    GraphnetError
        The one the check raised (same class), its message ending with the option's name.
    """
    for key, value in vars(options).items():
        if not isinstance(value, OutputFile | InputFile):
            continue
        option = "--" + key.replace("_", "-")
        check = check_output_file if isinstance(value, OutputFile) else check_input_file
        try:
            setattr(options, key, check(str(value), name=option))
        except GraphnetError as error:
            raise type(error)(f"{error} (option {option})") from None
    return options


@contextmanager
def as_option(name: str, option: str, *, assigned_only: bool = False) -> Iterator[None]:
    """A library error naming the argument ``name`` (``n_samples``) names the option as typed (``--samples``).

    ``name=5`` becomes ``--samples 5``; with ``assigned_only`` only that form is rewritten (so
    ``target=5`` becomes ``--target-column 5`` while "unknown target column" stays as it is).
    """
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(=)?" + ("" if assigned_only else r"\b"))
    try:
        yield
    except GraphnetError as error:
        message = pattern.sub(
            lambda found: f"{option} " if found.group(1) else (option if not assigned_only else found.group(0)),
            str(error),
        )
        raise type(error)(message) from None


def check_batch_option(batch_size: int, samples: int) -> None:
    """``--batch-size`` at most ``--samples``, checked before a demo prints anything."""
    if batch_size > samples:
        raise IncompatibleError(
            f"--batch-size {batch_size} is more than --samples {samples}; expected at most {samples}"
        )


def add_plot_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--plot FILE`` to ``parser``: also save ``what`` as a PNG."""
    parser.add_argument(
        "--plot",
        type=output_file,
        default=None,
        metavar="FILE",
        help=f'also save {what} as a PNG (needs matplotlib: pip install "graphnet[plot]") (default: no PNG)',
    )


def save_png_or_explain(console: Console, save: Callable[[], Path]) -> bool:
    """Call ``save``; without matplotlib say how to get it instead.  True if a file was written."""
    try:
        path = save()
    except MissingDependencyError as error:
        console.print(f"no PNG: {error}", style="yellow", markup=False, highlight=False)
        return False
    console.print(f"saved {os.fspath(path)}", markup=False, highlight=False)
    return True


def zoomed_range(values: list[float]) -> tuple[float, float]:
    """The y range of an accuracy curve (0 … 1): 0.05 below its lowest value, rounded down to 0.05, to 1.005.

    >>> zoomed_range([0.852, 0.918])
    (0.8, 1.005)
    """
    return max(0.0, math.floor((min(values) - 0.05) * 20) / 20), 1.005


def save_curve_png(
    path: str | os.PathLike[str],
    steps: list[int],
    values: list[float],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    zoom: bool = False,
) -> Path:
    """One curve as a 1000 × 600 PNG (needs matplotlib).

    ``zoom=True`` (for accuracies, 0 … 1) draws the y axis from just below the lowest value
    (5 points down, rounded down to 0.05) to 1, so the curve is not flattened at the top.
    """
    ylim = zoomed_range(values) if zoom and values else None
    return curves_png(
        [(title, [(ylabel, steps, values)])],
        path,
        xlabel=xlabel,
        ylabel=ylabel,
        panel_size=(10.0, 6.0),
        ylim=ylim,
        font_size=16,
        markers=True,
    )
