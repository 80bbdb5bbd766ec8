"""The contract between the graph and its fast mirror, so that neither imports the other.

The graph's connections hold the parameters (one truth, see :mod:`graphnet.common.sync`);
the fast path reads and writes them through :class:`ParameterGraph` and
:class:`ParameterLayer`, which the graph's ``Network`` and ``Layer`` satisfy.  The graph in
turn asks its mirror for batch losses, accuracy and training through :class:`Mirror`,
which the fast path's ``FastNetwork`` satisfies.  The fast path plugs itself in as the
graph's mirror (:data:`graphnet.common.extensions.mirror`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.training import History
from graphnet.math.activations import Activation
from graphnet.math.dropout import MasksLike
from graphnet.math.losses import Loss
from graphnet.math.optimizers import Optimizer, ParameterState
from graphnet.math.regularization import L2Term

#: ``[(W, b), …]`` per layer, W of shape (n_out, n_in), b of shape (n_out,) or None.
Params = list[tuple[NDArray[np.floating], NDArray[np.floating] | None]]


class ParameterLayer(Protocol):
    """A layer of the graph as the mirror sees it: its parameters as augmented rows [W | b]."""

    @property
    def keep(self) -> float:
        """The keep probability q = 1 − p of a node in training (1: no dropout)."""

    def parameter_rows(self) -> NDArray[np.float64]:
        """[W | b] of the layer: row j holds w_j0 … w_j(n−1), then b_j (without bias: W)."""

    def set_parameter_rows(self, rows: NDArray[np.floating]) -> None:
        """Write [W | b] into the layer's connections."""

    def state_rows(self, field: str) -> NDArray[np.float64]:
        """One field of the optimizer state of every connection, laid out as [W | b]."""

    def set_state_rows(self, state_type: type[ParameterState[float]], rows: Sequence[NDArray[np.floating]]) -> None:
        """New optimizer state objects on every connection, from one [W | b] array per field."""


class ParameterGraph(Protocol):
    """The graph network as its mirror sees it."""

    sizes: list[int]
    activations: list[Activation]
    loss_function: Loss
    l2: float
    optimizer: Optimizer
    rng: np.random.Generator
    #: "none", "graph" or "stale": see ``Network.node_values`` (the mirror marks "graph" values "stale")
    node_values: str

    @property
    def l2_term(self) -> L2Term:
        """λ, λ_b and the per-batch option of the L2 term."""

    @property
    def layers(self) -> Sequence[ParameterLayer]:
        """Every layer, the input layer (no parameters) first."""

    def get_params(self) -> Params:
        """``[(W, b), …]``, copies."""

    def reset_optimizer(self) -> None:
        """Start the optimizer afresh: counts 0, every connection's state cleared."""


class Mirror(Protocol):
    """The fast mirror (``net.vectorized()``) as the graph and its users see it: the graph's methods on batches."""

    def predict(self, X: ArrayLike) -> NDArray[np.floating]:
        """Outputs for each row of X, shape (n, K); a 1-D sample gives shape (K,)."""

    def forward(self, X: ArrayLike, *, masks: MasksLike | None = None) -> NDArray[np.floating]:
        """Every layer's Z and Y for a batch; returns the output Y."""

    def backward(self, T: ArrayLike, *, reduction: str = "mean") -> None:
        """δ of every unit and (dW, db) of every layer for the last forward batch."""

    def loss(self, X: ArrayLike, T: ArrayLike, *, reduction: str = "mean", masks: MasksLike | None = None) -> float:
        """E over a data set, reduced by mean or sum, plus the L2 term."""

    def accuracy(self, X: ArrayLike, labels: ArrayLike) -> float:
        """Share of rows whose predicted class equals the label."""

    def gradients(
        self,
        X: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        reduction: str = "mean",
        masks: MasksLike | None = None,
    ) -> Params:
        """``[(dW, db), …]`` of a batch."""

    def update(self, rate: float, *, optimizer: str | Optimizer | None = None) -> None:
        """One update of W and b by the network's optimizer, owed back to the graph."""

    def train(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        rate: float,
        epochs: int = 1,
        batch_size: int | None = 1,
        reduction: str = "mean",
        shuffle: bool = False,
        seed: int | None = None,
        track_loss: bool = True,
        optimizer: str | Optimizer | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        resume: str | os.PathLike[str] | None = None,
        check_gradients: str | None = None,
    ) -> History:
        """Gradient descent on batches, the parameters owed back to the graph."""

    def epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float:
        """E over validated data, after copying in the graph's parameters (NaN or inf returned)."""

    def sample_losses(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> NDArray[np.floating]:
        """E of each sample without the L2 term, after copying in the graph's parameters."""
