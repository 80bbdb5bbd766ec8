"""Training curves: the loss (and the accuracy, when recorded) per epoch as a PNG.

In the terminal, a :class:`~graphnet.tools.train.History` already shows its loss curve as a
sparkline (``rich.print(history)``, see :func:`graphnet.views.render.sparkline`).  This module
draws the same curve with matplotlib, an optional dependency (``pip install
"graphnet[plot]"``).  matplotlib is imported only inside :func:`plot_history`, and the
figure is drawn on a :class:`matplotlib.figure.Figure` of its own (the Agg canvas, no
pyplot), so no global backend or open figure of the caller changes.

What it leaves out: showing windows, notebooks' inline display (open the PNG, or use
matplotlib yourself with ``history.losses``), and per-batch curves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphnet.math.errors import EmptyDataError, MissingDependencyError, MissingFileError, ShapeError

if TYPE_CHECKING:
    from graphnet.common.training import History

#: What to tell a user who lacks matplotlib.
INSTALL_HINT = 'install it with: pip install "graphnet[plot]"'
#: A loss curve whose largest value exceeds its smallest positive value this many times gets a log axis.
LOG_SCALE_RATIO = 100.0


def require_matplotlib(feature: str = "plotting") -> Any:
    """Import and return :class:`matplotlib.figure.Figure`, or explain how to install matplotlib.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (a GraphnetError and an ImportError).
    """
    try:
        from matplotlib.figure import Figure  # optional: imported only when used
    except ImportError as error:
        raise MissingDependencyError(
            f"{feature} needs matplotlib, which is not installed ({error}); {INSTALL_HINT}"
        ) from error
    return Figure


def default_title(history: History) -> str:
    """``graph training · rate 0.5 · batch size 1``: the settings of the history."""
    batch = "full batch" if history.batch_size is None else f"batch size {history.batch_size}"
    return f"{history.engine} training · rate {history.rate:g} · {batch}"


def plot_history(
    history: History,
    path: str | Path,
    *,
    accuracies: Sequence[float] | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Write the loss per epoch (and the accuracy per epoch, if known) as a PNG file.

    Parameters
    ----------
    history : History
        What :meth:`Network.train` returned; ``history.losses`` has one loss per epoch.
    path : str or Path
        The PNG file to write; its folder must exist.
    accuracies : sequence of float, optional
        Accuracy (0 … 1) after each epoch, one per loss; drawn in a second panel.  Default:
        ``history.accuracies`` if the history records them, else no accuracy panel.
    title : str, optional
        Figure title; default the engine, rate and batch size of the history.
    dpi : int, default 120
        Dots per inch of the 7 × 4 inch figure (7 × 6.5 with accuracies).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    EmptyDataError
        If the history has no epochs (trained with ``epochs=0`` or ``track_loss=False``).
    ShapeError
        If ``accuracies`` does not have one value per epoch.
    MissingFileError
        If the folder of ``path`` does not exist.
    """
    figure_class = require_matplotlib("plot_history")
    losses = [float(loss) for loss in history.losses]
    if not losses:
        raise EmptyDataError(
            "history has no epochs to plot: train for at least one epoch with track_loss=True; got 0 losses"
        )
    if accuracies is None:
        accuracies = getattr(history, "accuracies", None) or None
    if accuracies is not None and len(accuracies) != len(losses):
        raise ShapeError(f"accuracies must have one value per epoch ({len(losses)}); got {len(accuracies)}")
    target = Path(path)
    if not target.parent.is_dir():
        raise MissingFileError(f"cannot write {str(target)!r}: folder {str(target.parent)!r} does not exist")

    epochs = list(range(1, len(losses) + 1))
    panels = 2 if accuracies is not None else 1
    figure = figure_class(figsize=(7, 4 if panels == 1 else 6.5), dpi=dpi, layout="constrained")
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    loss_axes = axes[0]
    loss_axes.plot(epochs, losses, color="#2563eb", linewidth=1.8, marker="o" if len(losses) <= 30 else None)
    positive = [loss for loss in losses if loss > 0 and math.isfinite(loss)]
    if len(positive) == len(losses) and max(positive) > LOG_SCALE_RATIO * min(positive):
        loss_axes.set_yscale("log")
    loss_axes.set_ylabel("loss E")
    loss_axes.grid(True, alpha=0.3)
    loss_axes.annotate(
        f"{losses[-1]:.4g}",
        xy=(epochs[-1], losses[-1]),
        xytext=(-6, 8),
        textcoords="offset points",
        ha="right",
        color="#1e3a8a",
    )
    if accuracies is not None:
        accuracy_axes = axes[1]
        accuracy_axes.plot(epochs, [100 * float(a) for a in accuracies], color="#16a34a", linewidth=1.8)
        accuracy_axes.set_ylabel("accuracy (%)")
        accuracy_axes.set_ylim(-2, 102)
        accuracy_axes.grid(True, alpha=0.3)
    axes[-1].set_xlabel("epoch")
    figure.suptitle(title if title is not None else default_title(history), fontsize="medium")
    figure.savefig(target, format="png")
    return target
