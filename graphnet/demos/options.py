"""What the demos share: their signature, argparse option types, the ``--plot`` option, PNG saving.

A demo is a function ``demo_NAME(console, **options) -> int`` (:data:`Demo`); a demo with
options has a function that adds them to an :mod:`argparse` parser (:data:`AddOptions`).
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from graphnet.math.errors import MissingDependencyError
from graphnet.views.charts import curves_png

Demo = Callable[..., int]
AddOptions = Callable[[argparse.ArgumentParser], None]

#: Most glyphs in a demo's sparkline (long series are sampled).
SPARK_WIDTH = 50


def positive_int(text: str) -> int:
    """Argparse type: a whole number ≥ 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return int(text)


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


def add_plot_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--plot FILE`` to ``parser``: also save ``what`` as a PNG."""
    parser.add_argument(
        "--plot",
        type=Path,
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
