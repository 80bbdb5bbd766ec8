"""``graphnet train --plot``: loss and accuracy per epoch, and what the network learned, in one PNG.

The left half holds the loss per epoch (on a log axis when it falls by more than
:data:`LOG_SCALE_RATIO` times, so a stuck run does not look like learning and a good one
does not hide its last decades) above the training and test accuracy per epoch (on an axis
from just below the lowest value to 100 %, so the curve is not flattened).  The right half
shows, for 2-D data, the decision regions with the points; for images, the first layer's
weights, one small picture per hidden unit (red positive, blue negative).  Fonts and lines
are sized for a projector: 16-point text on a 16 × 8 inch figure at 100 dpi.

Needs matplotlib (``pip install "graphnet[plot]"``); drawn on a ``Figure`` of its own
(no pyplot, no window).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.datasets import draw_decision_boundary
from graphnet.math.errors import EmptyDataError, MissingFileError
from graphnet.tools.recording import TrainingRecord
from graphnet.views.plot import require_matplotlib

#: The loss axis is logarithmic when the largest loss exceeds the smallest this many times.
LOG_SCALE_RATIO = 10.0
#: Hidden units drawn as weight images at most (the first ones).
MAX_WEIGHT_IMAGES = 32
#: Text size in points: readable from the back of a lecture room.
FONT_SIZE = 16
Boundary = tuple[Callable[[NDArray[np.float64]], ArrayLike], ArrayLike, ArrayLike]


def log_scale(losses: list[float]) -> bool:
    """True when every loss is positive and finite and max / min > :data:`LOG_SCALE_RATIO`."""
    positive = [loss for loss in losses if loss > 0 and math.isfinite(loss)]
    return bool(positive) and len(positive) == len(losses) and max(positive) > LOG_SCALE_RATIO * min(positive)


def accuracy_range(*curves: list[float]) -> tuple[float, float]:
    """The accuracy axis in %: from 5 points below the lowest value (rounded down to 5) to 101."""
    values = [100 * a for curve in curves for a in curve]
    low = min(values) if values else 0.0
    return max(0.0, 5 * math.floor((low - 5) / 5)), 101.0


def plot_training(
    record: TrainingRecord,
    path: str | Path,
    *,
    title: str = "",
    boundary: Boundary | None = None,
    first_layer: NDArray[np.floating] | None = None,
    image_side: int = 28,
    dpi: int = 100,
) -> Path:
    """Write the training figure of ``record`` as a PNG and return its path.

    Parameters
    ----------
    record : TrainingRecord
        With a loss and a training accuracy per epoch (and a test accuracy, if measured).
    path : str or Path
        The PNG to write; its folder must exist.
    title : str
        Figure title.
    boundary : (predict, X, labels), optional
        For 2-D data: draw the decision regions of ``predict`` with the points (right half).
    first_layer : array (n_hidden, image_side²), optional
        For images: the first layer's weights W, drawn one image per hidden unit (right half).
    image_side : int, default 28
    dpi : int, default 100

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    EmptyDataError
        If the record has no epochs.
    MissingFileError
        If the folder of ``path`` does not exist.
    """
    figure_class = require_matplotlib("--plot")
    losses = [float(loss) for loss in record.history.losses]
    if not losses:
        raise EmptyDataError("nothing to plot: train for at least one epoch; got 0 epochs")
    target = Path(path)
    if not target.parent.is_dir():
        raise MissingFileError(f"cannot write {str(target)!r}: folder {str(target.parent)!r} does not exist")
    from matplotlib import rc_context  # optional: imported only when used (require_matplotlib checked it)

    extra = boundary is not None or first_layer is not None
    with rc_context({"font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "lines.linewidth": 3}):
        figure = figure_class(figsize=(16 if extra else 9, 8), dpi=dpi, layout="constrained")
        left, right = figure.subfigures(1, 2, width_ratios=[1, 1]) if extra else (figure, None)
        loss_axes, accuracy_axes = left.subplots(2, 1, sharex=True)
        _curves(loss_axes, accuracy_axes, record, losses)
        if right is not None and boundary is not None:
            predict, X, labels = boundary
            axes = right.subplots()
            draw_decision_boundary(
                axes, predict, X, labels, resolution=200, size=45 if len(np.asarray(X)) > 50 else 200
            )
            axes.set_title("decision boundary and data")
        elif right is not None and first_layer is not None:
            _weight_images(right, np.asarray(first_layer, dtype=np.float64), image_side)
        figure.suptitle(title, fontsize=FONT_SIZE + 4)
        figure.savefig(target, format="png")
    return target


def _curves(loss_axes: Any, accuracy_axes: Any, record: TrainingRecord, losses: list[float]) -> None:
    epochs = np.arange(1, len(losses) + 1)
    loss_axes.plot(epochs, losses, color="#2563eb", marker="o" if len(losses) <= 30 else None)
    if log_scale(losses):
        loss_axes.set_yscale("log")
        loss_axes.set_ylabel("loss E (log scale)")
    else:
        loss_axes.set_ylabel("loss E")
    loss_axes.set_title(f"loss per epoch: {losses[0]:.3g} → {losses[-1]:.3g}")
    loss_axes.grid(True, which="both", alpha=0.3)
    curves = [("training", record.accuracies, "#16a34a")]
    if record.test_accuracies:
        curves.append(("test", record.test_accuracies, "#ea580c"))
    for label, values, colour in curves:
        accuracy_axes.plot(epochs, [100 * a for a in values], color=colour, label=f"{label} {values[-1]:.1%}")
    accuracy_axes.set_ylim(*accuracy_range(*(values for _, values, _ in curves)))
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.legend(loc="lower right")
    accuracy_axes.grid(True, alpha=0.3)


def _weight_images(subfigure: Any, weights: NDArray[np.float64], side: int) -> None:
    """One side × side image per hidden unit (at most MAX_WEIGHT_IMAGES), a shared symmetric colour scale."""
    shown = weights[:MAX_WEIGHT_IMAGES]
    columns = min(8, len(shown))
    rows = -(-len(shown) // columns)
    limit = float(np.abs(shown).max()) or 1.0
    grid = subfigure.subplots(rows, columns, squeeze=False)
    image = None
    for index, axes in enumerate(grid.ravel()):
        axes.set_axis_off()
        if index < len(shown):
            image = axes.imshow(shown[index].reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes.set_title(f"h{index + 1}", fontsize=FONT_SIZE - 4)
    subfigure.suptitle(f"first-layer weights, {side}×{side} per hidden unit")
    if image is not None:
        subfigure.colorbar(image, ax=grid.ravel().tolist(), shrink=0.6, label="weight")
