"""What the training loop and the engines agree on: the engine contract and the history.

The loop itself lives above the engines (:mod:`graphnet.tools.train`): it decides epochs,
batches, shuffling, the optimizer's counts, dropout masks, the divergence guard and
checkpoints.  Each engine only supplies the methods of :class:`Trainable`, so the two
engines cannot train differently.  An engine's ``train`` method calls the loop through
:data:`graphnet.common.extensions.train_loop`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from rich.console import RenderableType

from graphnet.common import display
from graphnet.math.dropout import Masks

#: An engine's copy of its parameters (and its optimizer state), taken once per epoch to fall back to.
Snapshot = list[NDArray[np.floating]]


class BadInputs(Exception):  # a signal inside the training loop, never seen by users
    """Raised by an engine's ``train_batch``, before updating, when the batch's inputs hold NaN or inf."""


class Trainable(Protocol):
    """What the training loop needs from an engine."""

    def train_batch(
        self,
        inputs: NDArray[np.floating],
        targets: NDArray[np.floating],
        rate: float,
        scale: float,
        masks: Masks | None = None,
    ) -> int | None:
        """One update from one batch; or, if a sample's output δ is not finite, no update and its row.

        Raises :class:`BadInputs`, before updating, if the batch's inputs hold NaN or inf.
        """

    def epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float:
        """E over the data set (NaN or inf are returned, not raised)."""

    def sample_losses(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> NDArray[np.floating]:
        """E of each sample, without the L2 term (NaN or inf are returned, not raised)."""

    def parameters_finite(self) -> bool:
        """True when every weight and bias is finite."""

    def snapshot(self) -> Snapshot:
        """A copy of the parameters and of the optimizer's state."""

    def restore(self, snapshot: Snapshot) -> None:
        """Set the parameters and the optimizer's state to a snapshot's."""

    def sync_to_graph(self) -> None:
        """Make the graph's connections hold the engine's parameters and optimizer state (for a checkpoint)."""

    def sync_from_graph(self) -> None:
        """Make the engine use the parameters and optimizer state the graph holds (after a resume)."""


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
        return display.rich(self)
