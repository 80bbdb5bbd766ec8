"""The training loop shared by both engines, and the history it returns.

Both the graph network and the fast path train through :func:`train_loop`; each engine
only supplies ``_train_batch(X, T, rate, scale, masks)`` (one update from one batch) and
``_epoch_loss(X, T)``.  Epochs, batches, shuffling, reduction, the optimizer's counts and
learning-rate schedule, the dropout masks and the divergence guard therefore cannot differ
between the engines.

Schedules:

* ``batch_size=1``: per-sample stochastic gradient descent (one update per sample);
* ``batch_size=k``: mini-batch gradient descent;
* ``batch_size=None``: full-batch gradient descent (one update per epoch).

In a batch the per-sample gradients are summed (``reduction="sum"``) or averaged
(``"mean"``) before one update w ← w − rate·g; the L2 term λ·w is added once per update.

Per update, in this order: ``optimizer.begin_update(rate)`` counts the update (t ← t + 1)
and gives the rate η of this update from the schedule; then, if the network has dropout,
:func:`graphnet.dropout.draw_masks` draws the batch's masks from the training generator;
then the engine computes the gradients and applies the optimizer's rule.  After each epoch
``optimizer.end_epoch()`` counts it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from graphnet.dropout import Masks, draw_masks
from graphnet.errors import TrainingDiverged
from graphnet.optimizers import SGD, Optimizer
from graphnet.schedule import check_schedule, reduction_scale
from graphnet.validation import check_count, check_positive_number

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.graph.network import Network


class Trainable(Protocol):
    """What :func:`train_loop` needs from an engine."""

    def _train_batch(
        self,
        inputs: NDArray[np.floating],
        targets: NDArray[np.floating],
        rate: float,
        scale: float,
        masks: Masks | None = None,
    ) -> None: ...

    def _epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float: ...

    def _parameters_finite(self) -> bool: ...


@dataclass
class History:
    """What happened during training: the loss after each epoch, and the settings.

    Attributes
    ----------
    losses : list of float
        Mean loss on the training data (including L2) after each epoch.
    updates : int
        Number of weight updates made.
    optimizer : str
        The optimizer's name (``"sgd"`` for plain gradient descent).
    """

    engine: str
    rate: float
    batch_size: int | None
    reduction: str
    losses: list[float] = field(default_factory=list)
    updates: int = 0
    optimizer: str = "sgd"

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        """Loss after the last epoch (NaN if no epoch ran)."""
        return self.losses[-1] if self.losses else math.nan

    def __repr__(self) -> str:
        return (
            f"History(engine={self.engine!r}, epochs={self.epochs}, updates={self.updates}, "
            f"final_loss={self.final_loss:.6g})"
        )

    def __rich__(self) -> RenderableType:
        from graphnet.render import render_history

        return render_history(self)


def train_loop(
    model: Trainable,
    X: NDArray[np.floating],
    T: NDArray[np.floating],
    *,
    engine: str,
    rate: float,
    epochs: int,
    batch_size: int | None,
    reduction: str,
    shuffle: bool,
    rng: np.random.Generator,
    track_loss: bool = True,
    on_epoch: Callable[[int, float], None] | None = None,
    optimizer: Optimizer | None = None,
    network: Network | None = None,
) -> History:
    """Run ``epochs`` passes of gradient descent over (X, T) on ``model``.

    ``X`` and ``T`` are already validated 2-D arrays with one row per sample.  ``optimizer``
    (default: a fresh plain SGD) counts the updates and gives each one's rate; ``network``
    (the graph the model belongs to) says which layers drop out.

    Raises
    ------
    TrainingDiverged
        If the loss or a weight becomes NaN or infinite.
    """
    rate = check_positive_number(rate, name="rate")
    epochs = check_count(epochs, name="epochs", minimum=0)
    size = check_schedule(len(X), batch_size, reduction)
    optimizer = optimizer if optimizer is not None else SGD()
    history = History(engine=engine, rate=rate, batch_size=batch_size, reduction=reduction, optimizer=optimizer.name)
    n_samples = len(X)
    dropout_sizes = network.sizes[1:] if network is not None and network.has_dropout else None
    for epoch in range(epochs):
        # one permutation per epoch (as epoch_batches draws it), then batches are cheap views
        order = rng.permutation(n_samples) if shuffle else None
        inputs, targets = (X[order], T[order]) if order is not None else (X, T)
        for start in range(0, n_samples, size):
            stop = min(start + size, n_samples)
            step_rate = optimizer.begin_update(rate)
            masks = None
            if dropout_sizes is not None:
                assert network is not None
                masks = draw_masks(rng, stop - start, sizes=dropout_sizes, rates=network.dropout)
            model._train_batch(
                inputs[start:stop], targets[start:stop], step_rate, reduction_scale(reduction, stop - start), masks
            )
            history.updates += 1
        optimizer.end_epoch()
        if track_loss or on_epoch is not None:
            loss = model._epoch_loss(X, T)
            if not math.isfinite(loss) or not model._parameters_finite():
                raise TrainingDiverged(
                    f"training diverged in epoch {epoch + 1}: loss is {loss}; lower the rate (got {rate})"
                )
            history.losses.append(loss)
            if on_epoch is not None:
                on_epoch(epoch, loss)
    return history
