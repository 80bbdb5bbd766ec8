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
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from graphnet.math.errors import GraphnetError, MissingDependencyError
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


def positive_int(text: str) -> int:
    """Argparse type: a whole number ≥ 1."""
    value = whole_number(text)
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """Argparse type: a whole number ≥ 0."""
    value = whole_number(text)
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """Argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0.0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """Argparse type: a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0.0:
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return value


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


def add_plot_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--plot FILE`` to ``parser``: also save ``what`` as a PNG."""
    parser.add_argument(
        "--plot",
        type=output_file,
        default=None,
        metavar="FILE",
        help=f'also save {what} as a PNG (needs matplotlib: pip install "graphnet[plot]")',
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


def save_curve_png(
    path: str | os.PathLike[str], steps: list[int], values: list[float], *, title: str, xlabel: str, ylabel: str
) -> Path:
    """One curve as a PNG (needs matplotlib)."""
    return curves_png([(title, [(ylabel, steps, values)])], path, xlabel=xlabel, ylabel=ylabel)
