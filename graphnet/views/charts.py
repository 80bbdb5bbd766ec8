"""Small charts for the demos and notebooks: curves drawn with characters, or saved as PNG.

What it is for: showing a function (an activation) or a curve (accuracy per step) in a
terminal without any extra package, and writing the same as a PNG file when matplotlib is
installed.  Nothing here prints; the callers (demos, CLI, notebooks) do.  Axis ticks,
legends beyond one line per curve, and interactive plots are left out: use matplotlib
directly for those.

Contents
--------
text_plot
    y over x on a grid of characters, with the axes through 0, as a rich ``Text``.
curves_png
    One panel per named curve, saved as a PNG (needs matplotlib).
matplotlib_figure
    The matplotlib ``Figure`` class, or a :class:`~graphnet.math.errors.MissingDependencyError`
    saying how to install it.

Examples
--------
>>> import numpy as np
>>> x = np.linspace(-1.0, 1.0, 5)
>>> print(text_plot(x, x, width=5, height=3).plain)
 1 ┤  │••
 0 ┼──•──
-1 ┤••│
   -1   1
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from rich.text import Text

from graphnet.math.errors import MissingDependencyError, MissingFileError, ShapeError
from graphnet.math.validation import as_float_array, check_count

#: The glyph of a plotted point.
POINT = "•"
#: Install hint for the PNG functions.
PLOT_EXTRA = 'pip install "graphnet[plot]"'


def _tick(value: float) -> str:
    """A short axis label: ``1``, ``0.5``, ``-3``."""
    return f"{value:.3g}"


def text_plot(x: ArrayLike, y: ArrayLike, *, width: int = 25, height: int = 7) -> Text:
    """Draw the points (x_k, y_k) on a grid of characters, with axes through 0.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points, x increasing.  Each of the ``width`` columns shows the point whose x
        is nearest to the column's centre; a jump between neighbouring columns is filled
        in, so steep parts stay connected.
    width : int, default 25
        Columns of the plot area.
    height : int, default 7
        Rows of the plot area.

    Returns
    -------
    rich.text.Text
        ``height`` rows, each prefixed by an axis label (the top row, the row of y = 0
        and the bottom row are labelled), then one row with the x range.

    Raises
    ------
    ShapeError
        If x and y differ in length or are empty.
    GraphnetError
        If ``width`` or ``height`` is not a whole number ≥ 2, or a value is not finite.
    """
    xs = as_float_array(x, name="x").ravel()
    ys = as_float_array(y, name="y").ravel()
    if xs.size != ys.size or xs.size == 0:
        raise ShapeError(f"x and y must hold the same number (≥ 1) of values; got {xs.size} and {ys.size}")
    columns = check_count(width, name="width", minimum=2)
    rows = check_count(height, name="height", minimum=2)
    x_low, x_high = float(xs.min()), float(xs.max())
    y_low, y_high = min(float(ys.min()), 0.0), max(float(ys.max()), 0.0)
    if y_high == y_low:
        y_high = y_low + 1.0
    centres = np.linspace(x_low, x_high, columns)
    nearest = np.abs(xs[None, :] - centres[:, None]).argmin(axis=1)

    def row_of(value: float) -> int:
        return round((y_high - value) / (y_high - y_low) * (rows - 1))

    grid = [[" "] * columns for _ in range(rows)]
    zero_row = row_of(0.0)
    zero_column = int(np.abs(centres).argmin()) if x_low <= 0.0 <= x_high else None
    grid[zero_row] = ["─"] * columns
    if zero_column is not None:
        for row in range(rows):
            grid[row][zero_column] = "┼" if row == zero_row else "│"
    previous: int | None = None
    for column, index in enumerate(nearest.tolist()):
        row = row_of(float(ys[index]))
        low, high = (row, row) if previous is None else (min(row, previous + 1), max(row, previous - 1))
        for filled in range(low, high + 1):
            grid[filled][column] = POINT
        grid[row][column] = POINT
        previous = row
    labels = {0: _tick(y_high), rows - 1: _tick(y_low), zero_row: _tick(0.0)}
    margin = max(len(label) for label in labels.values())
    lines = []
    for row, cells in enumerate(grid):
        label = labels.get(row, "")
        axis = "┼" if row == zero_row else "┤" if label else "│"
        lines.append(f"{label:>{margin}} {axis}{''.join(cells).rstrip()}")
    left, right = _tick(x_low), _tick(x_high)
    lines.append(" " * (margin + 1) + left + right.rjust(columns + 1 - len(left)))
    text = Text("\n".join(lines))
    text.highlight_regex(POINT + "+", "bold cyan")
    return text


def matplotlib_figure(feature: str) -> Any:
    """The matplotlib ``Figure`` class (drawing without pyplot: no window, no global state).

    Parameters
    ----------
    feature : str
        What needs it, for the error message.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed; the message says how to install it.
    """
    try:
        from matplotlib.figure import Figure  # optional: imported only when used
    except ImportError as error:
        raise MissingDependencyError(
            f"{feature} needs matplotlib, which is not installed ({error}); install it with: {PLOT_EXTRA}"
        ) from error
    return Figure


def curves_png(
    panels: Sequence[tuple[str, Sequence[tuple[str, ArrayLike, ArrayLike]]]],
    path: str | os.PathLike[str],
    *,
    xlabel: str = "x",
    ylabel: str = "y",
    columns: int = 3,
    dpi: int = 100,
    panel_size: tuple[float, float] = (4.0, 3.2),
    log_y: bool = False,
    ylim: tuple[float, float] | None = None,
    font_size: float | None = None,
    markers: bool = False,
) -> Path:
    """Save one panel per title, each with its named curves, as a PNG (needs matplotlib).

    Parameters
    ----------
    panels : sequence of (title, curves)
        ``curves`` is a sequence of ``(label, x, y)``; the first curve of a panel is drawn
        solid, the others dashed.
    path : str or os.PathLike
        The PNG file to write (replaced if it exists).
    xlabel, ylabel : str
        Axis labels of every panel.
    columns : int, default 3
        Panels per row.
    dpi : int, default 100
    panel_size : (width, height), default (4.0, 3.2)
        Inches per panel.
    log_y : bool, default False
        A logarithmic y axis (the values must be positive).
    ylim : (low, high), optional
        The y range; default matplotlib's fit.
    font_size : float, optional
        Points of all text (default matplotlib's 10).
    markers : bool, default False
        Give each curve its own line style and marker, so curves that overlap stay apart.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    MissingFileError
        If the folder of ``path`` does not exist.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise MissingFileError(
            f"cannot write {os.fspath(target)!r}: folder {os.fspath(target.parent)!r} does not exist"
        )
    figure_class = matplotlib_figure("saving a PNG")
    n_columns = min(check_count(columns, name="columns"), max(len(panels), 1))
    n_rows = -(-len(panels) // n_columns)
    from matplotlib import rc_context  # optional: matplotlib_figure checked it is there

    width, height = panel_size
    style: dict[str, Any] = {"font.size": font_size} if font_size is not None else {}
    with rc_context(style):  # type: ignore[arg-type]
        figure = figure_class(figsize=(width * n_columns, height * n_rows), dpi=check_count(dpi, name="dpi"))
        for number, (title, curves) in enumerate(panels, start=1):
            axes = figure.add_subplot(n_rows, n_columns, number)
            for index, (label, xs, ys) in enumerate(curves):
                x_values, y_values = np.asarray(xs), np.asarray(ys)
                if markers:
                    axes.plot(
                        x_values,
                        y_values,
                        linestyle=_LINE_STYLES[index % len(_LINE_STYLES)],
                        marker=_MARKERS[index % len(_MARKERS)],
                        markevery=max(1, len(x_values) // 10),
                        linewidth=2.2,
                        markersize=8,
                        label=label,
                    )
                else:
                    axes.plot(x_values, y_values, linestyle="-" if index == 0 else "--", label=label)
            if log_y:
                axes.set_yscale("log")
            else:
                axes.axhline(0.0, color="grey", linewidth=0.5)
            if ylim is not None:
                axes.set_ylim(*ylim)
            axes.set_title(title)
            axes.set_xlabel(xlabel)
            axes.set_ylabel(f"{ylabel} (log scale)" if log_y else ylabel)
            axes.grid(alpha=0.3, which="both")
            if len(curves) > 1:
                axes.legend(fontsize="small")
        figure.tight_layout()
        figure.savefig(target, format="png")
    return target


_LINE_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "x", "P", "*")
