"""The argument checks both engines make, and the accuracy both compute.

Each function states the requirement in its error message, naming what was expected and
what was given (see :mod:`graphnet.math.errors`).  They take plain facts about a network
(its sizes, activations, loss, the keep probabilities of its layers), so the graph, the
fast path and the tools above them check arguments the same way without importing each
other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.math.activations import Activation
from graphnet.math.dropout import Masks, MasksLike
from graphnet.math.errors import IncompatibleError, NotDifferentiableError, ShapeError
from graphnet.math.losses import Loss
from graphnet.math.optimizers import Optimizer, get_optimizer
from graphnet.math.validation import as_batch, as_float_array, as_sample, check_same_length

Engine = Literal["graph", "fast"]
ENGINES: tuple[Engine, ...] = ("graph", "fast")


def check_engine(engine: object) -> None:
    """``engine`` must be "graph" or "fast"."""
    if not isinstance(engine, str) or engine not in ENGINES:
        raise IncompatibleError(f"engine must be 'graph' or 'fast'; got {engine!r}")


def check_differentiable(activations: Sequence[Activation]) -> None:
    """Every non-input layer's f must have a derivative f′ to backpropagate (the step function has none)."""
    for index, activation in enumerate(activations, start=1):
        if not activation.differentiable:
            raise NotDifferentiableError(
                f"layer {index} uses {activation.name!r}, which has no "
                "derivative: this network can predict but not backpropagate (expected a differentiable "
                "activation such as sigmoid to train)"
            )


def check_forwarded(node_values: str) -> None:
    """``backward`` needs a forward pass first: its δ start from the outputs of that pass."""
    if node_values == "none":
        raise IncompatibleError(
            "backward() needs the outputs of a forward pass; got a network no sample has gone through yet: "
            "call net.forward(x) first"
        )


def check_target(target: ArrayLike, *, sizes: Sequence[int], loss: Loss) -> list[float]:
    """One sample's target t: K numbers that ``loss`` accepts."""
    values = as_sample(target, sizes[-1], name="target", sizes=sizes)
    loss.check_targets(np.array([values]))
    return values


def check_data(
    X: ArrayLike,
    T: ArrayLike,
    *,
    sizes: Sequence[int],
    loss: Loss,
    inputs_finite: bool = True,
    dtype: type = np.float64,
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """A data set (X, T): X of shape (n, n_inputs), T of shape (n, K), one target row per sample."""
    inputs = as_batch(X, sizes[0], name="X", sizes=sizes, dtype=dtype, finite=inputs_finite)
    targets = as_batch(T, sizes[-1], name="T", sizes=sizes, dtype=dtype)
    check_same_length(inputs, targets, "X", "T")
    loss.check_targets(targets)
    return inputs, targets


def check_masks(
    masks: MasksLike | None, n_samples: int, *, sizes: Sequence[int], keeps: Sequence[float]
) -> Masks | None:
    """Dropout masks given by a user: one entry per non-input layer, 0/1 arrays of shape (n, size).

    ``keeps`` holds q = 1 − p of each non-input layer; a layer with q = 1 drops nothing, and
    its entry becomes None.
    """
    if masks is None:
        return None
    if not isinstance(masks, Sequence) or len(masks) != len(sizes) - 1:
        raise ShapeError(
            f"masks must be a list with one entry per non-input layer ({len(sizes) - 1}); got {_described(masks)}"
        )
    checked: Masks = []
    for index, (size, keep, mask) in enumerate(zip(sizes[1:], keeps, masks, strict=True), start=1):
        if mask is None or keep == 1.0:
            checked.append(None)
            continue
        array = as_float_array(mask, name=f"mask of layer {index}").astype(np.float64)
        if array.ndim == 1:
            array = array.reshape(1, -1)
        if array.shape != (n_samples, size):
            raise ShapeError(f"mask of layer {index} must have shape {(n_samples, size)}; got {array.shape}")
        if not np.isin(array, (0.0, 1.0)).all():
            raise ShapeError(f"mask of layer {index} must hold only 0 and 1")
        checked.append(array)
    return checked


class HasOptimizer(Protocol):
    """A network that holds an optimizer and can clear its connections' optimizer state."""

    optimizer: Optimizer

    def reset_optimizer(self) -> None:
        """Counts back to 0 and every parameter's state cleared."""


def select_optimizer(network: HasOptimizer, spec: str | Optimizer | None) -> Optimizer:
    """Make ``spec`` the network's optimizer; continue if it has the current one's settings.

    None keeps the current optimizer.  A name (defaults) or an object with the same rule,
    hyper-parameters and schedule as the current one continues it (its counts are carried
    over, the connections keep their state); anything else starts afresh (counts 0, states
    cleared).
    """
    if spec is None:
        return network.optimizer
    optimizer = get_optimizer(spec)
    current = network.optimizer
    if optimizer is current:
        return current
    if optimizer.same_settings(current):
        optimizer.set_counts(*current.counts())
        network.optimizer = optimizer
        return optimizer
    network.optimizer = optimizer
    network.reset_optimizer()
    return optimizer


def accuracy_from_outputs(outputs: NDArray[np.floating], labels: NDArray[np.intp]) -> float:
    """Share of rows whose predicted class (argmax, or output ≥ 0.5 for one output) matches."""
    if outputs.shape[0] != labels.shape[0]:
        raise ShapeError(
            f"X has {outputs.shape[0]} samples but labels has {labels.shape[0]}; expected one label per sample"
        )
    predicted = (outputs[:, 0] >= 0.5).astype(np.intp) if outputs.shape[1] == 1 else outputs.argmax(axis=1)
    return float(np.mean(predicted == labels))


def _described(value: object) -> str:
    """A one-line description of a user's value for an error message: a short repr, or its type and length."""
    text = repr(value)
    if "\n" in text or len(text) > 80:
        size = f" of {len(value)} entries" if isinstance(value, Sequence) else ""
        return f"a {type(value).__name__}{size}"
    return text
