"""Seeded two-dimensional toy data sets, and pictures of what a classifier learned on them.

The five sets of the TensorFlow Playground, redrawn on a scale of about [-1, 1] so they
suit sigmoid and tanh units without rescaling.  Each has two classes, labels 1 and 0,
of ``n // 2`` and ``n - n // 2`` samples, shuffled together:

========== ==========================================================================
name       class 1 / class 0
========== ==========================================================================
circle     a disc of radius 0.5 / a ring from radius 0.7 to 1.0 around it
xor        the quadrants where exactly one coordinate is positive / the other two
           (like :func:`graphnet.datasets.xor` with 0 -> negative, 1 -> positive)
gauss      a Gaussian blob at (0.5, 0.5) / one at (-0.5, -0.5), each of σ 0.2
spiral     two interleaved spirals, 1.75 turns each, half a turn apart
two_moons  two interlocking half circles
========== ==========================================================================

The label is decided on the clean point; then Gaussian noise of standard deviation
``noise`` is added to both coordinates, so with much noise some points cross over.
Each set has its own default noise (:data:`DEFAULT_NOISE`): 0.1 for gauss and two_moons,
0.05 for circle and xor, and 0.03 for spiral, whose arms lie only 0.29 apart (at the
Playground's 0.1 the spiral barely shows).
All randomness comes from one ``numpy.random.Generator`` seeded by ``seed``: the same
arguments always give the same numbers.  The Playground's regression sets are left out.

Contents
--------
toy_dataset
    ``(X (n, 2), labels (n,))`` of a named set.
decision_boundary_text
    A classifier's regions over the plane as a rich ``Text`` heatmap, data on top.
decision_boundary_png
    The same as a PNG file (needs matplotlib: ``pip install "graphnet[plot]"``).
TOY_NAMES
    The names :func:`toy_dataset` knows.

Examples
--------
>>> X, labels = toy_dataset("xor", 6, noise=0.0, seed=1)
>>> X.shape, labels.tolist().count(1)
((6, 2), 3)
>>> bool(((X[:, 0] * X[:, 1] < 0) == (labels == 1)).all())
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from rich.color import Color
from rich.style import Style
from rich.text import Text

from graphnet.datasets.prep import class_labels
from graphnet.math.errors import (
    EmptyDataError,
    IncompatibleError,
    MissingDependencyError,
    NonFiniteError,
    ShapeError,
    unknown_name,
)

StrPath: TypeAlias = str | os.PathLike[str]
FloatArray: TypeAlias = npt.NDArray[np.float64]
Predict: TypeAlias = Callable[[FloatArray], npt.ArrayLike]
_Generator: TypeAlias = Callable[[np.random.Generator, int, int], tuple[FloatArray, FloatArray]]


# --- the data sets: each returns the clean points of class 1 and of class 0 -----------


def _circle(rng: np.random.Generator, n_one: int, n_zero: int) -> tuple[FloatArray, FloatArray]:
    def ring(n: int, low: float, high: float) -> FloatArray:
        radius = rng.uniform(low, high, n)
        angle = rng.uniform(0.0, 2.0 * np.pi, n)
        return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

    return ring(n_one, 0.0, 0.5), ring(n_zero, 0.7, 1.0)


def _xor(rng: np.random.Generator, n_one: int, n_zero: int) -> tuple[FloatArray, FloatArray]:
    gap = 0.05  # keep points off the axes, where the label flips

    def quadrants(n: int, same_sign: bool) -> FloatArray:
        magnitude = rng.uniform(gap, 1.0, (n, 2))
        sign_x = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        sign_y = sign_x if same_sign else -sign_x
        signs: FloatArray = np.column_stack([sign_x, sign_y])
        return magnitude * signs

    return quadrants(n_one, same_sign=False), quadrants(n_zero, same_sign=True)


def _gauss(rng: np.random.Generator, n_one: int, n_zero: int) -> tuple[FloatArray, FloatArray]:
    spread = 0.2
    return rng.normal(0.5, spread, (n_one, 2)), rng.normal(-0.5, spread, (n_zero, 2))


def _spiral(rng: np.random.Generator, n_one: int, n_zero: int) -> tuple[FloatArray, FloatArray]:
    turns = 1.75

    def arm(n: int, phase: float) -> FloatArray:
        t = rng.uniform(0.0, 1.0, n)  # radius grows with the angle
        angle = 2.0 * np.pi * turns * t + phase
        return np.column_stack([t * np.sin(angle), t * np.cos(angle)])

    return arm(n_one, 0.0), arm(n_zero, np.pi)


def _two_moons(rng: np.random.Generator, n_one: int, n_zero: int) -> tuple[FloatArray, FloatArray]:
    # the classic moons span x in [-1, 2], y in [-0.5, 1]; centre them and shrink by 1.5
    centre, shrink = np.array([0.5, 0.25]), 1.5
    upper_angle = rng.uniform(0.0, np.pi, n_zero)
    lower_angle = rng.uniform(0.0, np.pi, n_one)
    upper = np.column_stack([np.cos(upper_angle), np.sin(upper_angle)])
    lower = np.column_stack([1.0 - np.cos(lower_angle), 0.5 - np.sin(lower_angle)])
    return (lower - centre) / shrink, (upper - centre) / shrink


_GENERATORS: dict[str, _Generator] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "two_moons": _two_moons,
}

TOY_NAMES: tuple[str, ...] = tuple(_GENERATORS)
"""Names :func:`toy_dataset` accepts."""

DEFAULT_NOISE: dict[str, float] = {"circle": 0.05, "xor": 0.05, "gauss": 0.1, "spiral": 0.03, "two_moons": 0.1}
"""The noise :func:`toy_dataset` adds when none is given: small enough that each shape shows."""


def toy_dataset(
    name: str,
    n_samples: int = 200,
    *,
    noise: float | None = None,
    seed: int | np.random.Generator = 0,
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Draw a seeded two-class data set in the plane.

    Parameters
    ----------
    name : {"circle", "xor", "gauss", "spiral", "two_moons"}
        Which set; see the module docstring for their shapes.
    n_samples : int, default 200
        Number of points n ≥ 2: ``n // 2`` of class 1 and the rest of class 0.
    noise : float, optional
        Standard deviation of the Gaussian noise added to each coordinate, in the
        units of the data (which spans about [-1, 1]).  0 gives the clean shapes.
        Default: the set's own, :data:`DEFAULT_NOISE` (spiral 0.03, gauss 0.1, …).
    seed : int or numpy.random.Generator, default 0
        Seed of the generator that draws everything; the same seed gives the same data.
        A Generator is used as it is (and advanced).

    Returns
    -------
    X : numpy.ndarray of float64, shape (n, 2)
        The points, classes shuffled together.
    labels : numpy.ndarray of int64, shape (n,)
        0 or 1 for each point.

    Raises
    ------
    UnknownNameError
        If ``name`` is not one of the five sets (the message lists them).
    GraphnetError
        If ``n_samples`` < 2 or ``noise`` < 0.
    NonFiniteError
        If ``noise`` is NaN or infinite.

    Examples
    --------
    >>> X, labels = toy_dataset("circle", 100, seed=3)
    >>> X2, labels2 = toy_dataset("circle", 100, seed=3)
    >>> bool((X == X2).all() and (labels == labels2).all())
    True
    """
    if not isinstance(name, str) or name not in _GENERATORS:
        raise unknown_name("toy data set", name, TOY_NAMES)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise IncompatibleError(f"n_samples: expected an integer ≥ 2 (one point per class), got {n_samples!r}")
    if noise is None:
        noise = DEFAULT_NOISE[name]
    if not np.isfinite(noise):
        raise NonFiniteError(f"noise: expected a finite standard deviation, got {noise!r}")
    if noise < 0:
        raise IncompatibleError(f"noise: expected a standard deviation ≥ 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n_one = int(n_samples) // 2
    ones, zeros = _GENERATORS[name](rng, n_one, int(n_samples) - n_one)
    points = np.concatenate([ones, zeros]) + rng.normal(0.0, noise, (int(n_samples), 2))
    labels = np.concatenate([np.ones(len(ones), np.int64), np.zeros(len(zeros), np.int64)])
    order = rng.permutation(int(n_samples))
    return points[order], labels[order]


# --- pictures of a classifier -------------------------------------------------------

_PALETTE: tuple[tuple[int, int, int], ...] = (
    (245, 147, 34),  # class 0: the Playground's orange
    (8, 119, 189),  # class 1: the Playground's blue
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
_REGION_GLYPHS = ".:-=~+^*#%"  # one per class, so the regions show without colour
_MIXED = "*"  # a cell holding points of different classes
_WHITE = (255, 255, 255)


def _mix(base: tuple[int, int, int], colour: tuple[int, int, int], weight: float) -> tuple[int, int, int]:
    """Blend ``weight`` of ``colour`` into ``base``."""
    r, g, b = (round(a + (c - a) * weight) for a, c in zip(base, colour, strict=True))
    return (r, g, b)


def _check_points(X: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    points = np.asarray(X, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ShapeError(f"X: expected shape (n, 2), got {points.shape}")
    if points.shape[0] == 0:
        raise EmptyDataError("X: expected at least one point, got none")
    if not np.isfinite(points).all():
        raise NonFiniteError("X: expected finite coordinates, got NaN or infinity")
    classes = class_labels(labels)
    if classes.size != points.shape[0]:
        raise ShapeError(f"labels: expected {points.shape[0]} labels (one per row of X), got {classes.size}")
    if classes.min() < 0:
        raise IncompatibleError(f"labels: expected class labels ≥ 0, got {classes.min()}")
    return points, classes


def _bounds(points: FloatArray) -> tuple[float, float, float, float]:
    """Return (x_min, x_max, y_min, y_max) of the points with a 10 % margin."""
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.where(high > low, 0.1 * (high - low), 0.5)
    low, high = low - margin, high + margin
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def _predicted_classes(predict: Predict, grid: FloatArray) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Call ``predict`` on the grid; return each point's class and a confidence in [0, 1]."""
    output = np.asarray(predict(grid), dtype=np.float64)
    m = grid.shape[0]
    if output.ndim == 2 and output.shape[1] == 1:
        output = output[:, 0]
    if output.shape[:1] != (m,) or output.ndim > 2:
        raise ShapeError(
            f"predict: expected an array of shape ({m},), ({m}, 1) or ({m}, k) for {m} points, got shape {output.shape}"
        )
    if not np.isfinite(output).all():
        raise NonFiniteError("predict: expected finite outputs, got NaN or infinity")
    if output.ndim == 1:  # probability of class 1
        probability = np.clip(output, 0.0, 1.0)
        return (probability >= 0.5).astype(np.int64), np.abs(probability - 0.5) * 2.0
    ranked = np.sort(output, axis=1)
    return np.argmax(output, axis=1).astype(np.int64), np.clip(ranked[:, -1] - ranked[:, -2], 0.0, 1.0)


def _check_size(option: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise IncompatibleError(f"{option}: expected an integer ≥ 2, got {value!r}")
    return int(value)


def _grid(bounds: tuple[float, float, float, float], columns: int, rows: int) -> FloatArray:
    """Cell centres, row by row from the top (largest y) down, left to right."""
    x_min, x_max, y_min, y_max = bounds
    xs = x_min + (np.arange(columns) + 0.5) * (x_max - x_min) / columns
    ys = y_max - (np.arange(rows) + 0.5) * (y_max - y_min) / rows
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.column_stack([grid_x.ravel(), grid_y.ravel()])


def decision_boundary_text(
    predict: Predict,
    X: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    width: int = 60,
    height: int = 24,
) -> Text:
    """Draw a classifier's decision regions as a coloured character grid, data on top.

    Parameters
    ----------
    predict : callable
        Takes points of shape (m, 2) and returns either shape (m,) or (m, 1), the
        probability of class 1 (values are clipped to [0, 1]; ≥ 0.5 means class 1), or
        shape (m, k), one score per class (the largest wins).
    X : array_like, shape (n, 2)
        The data points; they also fix the plotted area (their range plus 10 %).
    labels : array_like of int, shape (n,)
        Each point's true class.
    width, height : int, default 60 and 24
        Number of character columns and lines.

    Returns
    -------
    rich.text.Text
        ``height`` lines of ``width`` characters, top line = largest y.  A cell's
        background is the colour of its predicted class (orange 0, blue 1, …), paler
        where the classifier is unsure, and its character is the class's glyph from
        ``".:-=~+^*#%"`` (so the regions show without colour too).  A cell holding data
        points shows their label digit in bold, or ``*`` for points of different classes.

    Raises
    ------
    ShapeError
        If ``X`` is not (n, 2), the label count differs, or ``predict`` returns a wrong
        shape.
    EmptyDataError
        If there are no points.
    NonFiniteError
        If ``X`` or the predictions hold NaN or infinity.
    GraphnetError
        If ``width`` or ``height`` < 2, or a label is negative.

    Examples
    --------
    >>> X, labels = toy_dataset("gauss", 40, seed=0)
    >>> def predict(points):
    ...     return (points.sum(axis=1) > 0).astype(float)
    >>> text = decision_boundary_text(predict, X, labels, width=20, height=8)
    >>> len(text.plain.splitlines()), len(text.plain.splitlines()[0])
    (8, 20)
    """
    columns, rows = _check_size("width", width), _check_size("height", height)
    points, classes = _check_points(X, labels)
    bounds = _bounds(points)
    predicted, confidence = _predicted_classes(predict, _grid(bounds, columns, rows))
    predicted, confidence = predicted.reshape(rows, columns), confidence.reshape(rows, columns)

    x_min, x_max, y_min, y_max = bounds
    column_of = np.clip(((points[:, 0] - x_min) / (x_max - x_min) * columns).astype(np.int64), 0, columns - 1)
    row_of = np.clip(((y_max - points[:, 1]) / (y_max - y_min) * rows).astype(np.int64), 0, rows - 1)
    labels_in_cell: dict[tuple[int, int], set[int]] = {}
    for row, column, label in zip(row_of.tolist(), column_of.tolist(), classes.tolist(), strict=True):
        labels_in_cell.setdefault((row, column), set()).add(label)

    text = Text()
    for row in range(rows):
        if row:
            text.append("\n")
        for column in range(columns):
            region = int(predicted[row, column])
            colour = _PALETTE[region % len(_PALETTE)]
            background = Color.from_rgb(*_mix(_WHITE, colour, 0.2 + 0.5 * float(confidence[row, column])))
            found = labels_in_cell.get((row, column))
            if found is None:
                glyph = _REGION_GLYPHS[region % len(_REGION_GLYPHS)]
                text.append(
                    glyph,
                    Style(color=Color.from_rgb(*_mix(_WHITE, colour, 0.9)), bgcolor=background),
                )
                continue
            (label,) = found if len(found) == 1 else (-1,)
            glyph = str(label % 10) if label >= 0 else _MIXED
            ink = _mix((0, 0, 0), _PALETTE[label % len(_PALETTE)], 0.6) if label >= 0 else (0, 0, 0)
            text.append(glyph, Style(color=Color.from_rgb(*ink), bgcolor=background, bold=True))
    return text


def decision_boundary_png(
    predict: Predict,
    X: npt.ArrayLike,
    labels: npt.ArrayLike,
    path: StrPath,
    *,
    resolution: int = 200,
    dpi: int = 100,
) -> Path:
    """Save a picture of a classifier's decision regions with the data points as a PNG.

    Needs matplotlib, an optional extra: ``pip install "graphnet[plot]"``.  It draws on a
    matplotlib ``Figure`` directly, without pyplot, so no window opens and no global
    state changes.

    Parameters
    ----------
    predict : callable
        As in :func:`decision_boundary_text`: points (m, 2) -> probabilities of class 1
        (m,) or (m, 1), or class scores (m, k).
    X : array_like, shape (n, 2)
        The data points; they also fix the plotted area (their range plus 10 %).
    labels : array_like of int, shape (n,)
        Each point's true class, which colours it.
    path : str or os.PathLike
        The PNG file to write (replaced if it exists).
    resolution : int, default 200
        The regions are evaluated on ``resolution`` × ``resolution`` points.
    dpi : int, default 100
        Dots per inch of the 6 × 6.6 inch figure (the legend below the plot).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (a GraphnetError and an ImportError).
    ShapeError, EmptyDataError, NonFiniteError, GraphnetError
        As :func:`decision_boundary_text`.
    """
    try:
        from matplotlib.figure import Figure  # optional: imported only when used
    except ImportError as error:
        raise MissingDependencyError(
            f"decision_boundary_png needs matplotlib, which is not installed ({error}); "
            f'install it with: pip install "graphnet[plot]"'
        ) from error
    dots = _check_size("dpi", dpi)
    figure = Figure(figsize=(6, 6.6), dpi=dots, layout="constrained")
    draw_decision_boundary(figure.add_subplot(), predict, X, labels, resolution=resolution)
    target = Path(path)
    figure.savefig(target, format="png")
    return target


def decision_regions(
    predict: Predict, X: npt.ArrayLike, labels: npt.ArrayLike, *, resolution: int = 200
) -> tuple[FloatArray, tuple[float, float, float, float]]:
    """The picture :func:`decision_boundary_png` draws behind the points, as an RGB array.

    Each of ``resolution`` × ``resolution`` grid points over the data's range (plus 10 %)
    is coloured by its predicted class, paler where the classifier is less sure.

    Returns
    -------
    image : numpy.ndarray of float64, shape (resolution, resolution, 3)
        RGB in [0, 1], the top row first (for ``imshow(..., origin="upper")``).
    bounds : (x_low, x_high, y_low, y_high)
        The area the image covers (matplotlib's ``extent``).

    Raises
    ------
    ShapeError, EmptyDataError, NonFiniteError, GraphnetError
        As :func:`decision_boundary_text`.
    """
    size = _check_size("resolution", resolution)
    points, _ = _check_points(X, labels)
    bounds = _bounds(points)
    predicted, confidence = _predicted_classes(predict, _grid(bounds, size, size))
    palette = np.array(_PALETTE, dtype=np.float64) / 255.0
    weight = (0.2 + 0.5 * confidence)[:, None]
    image = 1.0 + (palette[predicted % len(_PALETTE)] - 1.0) * weight  # blend into white
    return image.reshape(size, size, 3), bounds


def draw_decision_boundary(
    axes: object, predict: Predict, X: npt.ArrayLike, labels: npt.ArrayLike, *, resolution: int = 200, size: float = 18
) -> None:
    """Draw :func:`decision_regions` and the points (``size`` points², coloured by class) on matplotlib ``axes``."""
    image, bounds = decision_regions(predict, X, labels, resolution=resolution)
    points, classes = _check_points(X, labels)
    palette = np.array(_PALETTE, dtype=np.float64) / 255.0
    plot: Any = axes
    plot.imshow(image, extent=bounds, origin="upper", interpolation="nearest", aspect="auto")
    for label in np.unique(classes).tolist():
        chosen = classes == label
        plot.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=size,
            color=palette[label % len(_PALETTE)],
            edgecolors="black",
            linewidths=0.5,
            label=f"class {label}",
        )
    plot.set_xlabel("x1")
    plot.set_ylabel("x2")
    plot.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(np.unique(classes)), fontsize="small")
