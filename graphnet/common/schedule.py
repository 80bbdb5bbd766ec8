"""The order in which training visits samples: one schedule, used by both engines.

:func:`graphnet.tools.train.train_loop` draws an :class:`EpochSchedule` per epoch for either
engine from the same Generator, so for the same seed both visit the same samples in the
same batches; that is what lets their trained weights agree number for number.  The data
are not copied into the visiting order: an unshuffled batch is a view (a slice) of the data,
and a shuffled one gathers its own rows (:class:`RowsInOrder`), so an epoch takes memory
for one batch, not for a reordered copy of the data set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.math.errors import IncompatibleError

REDUCTIONS = ("mean", "sum")


def check_schedule(n_samples: int, batch_size: int | None, reduction: str) -> int:
    """Validate a schedule and return the effective batch size (``None`` → full batch).

    A batch size larger than the data is refused rather than silently read as the full batch.
    """
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise IncompatibleError(f"reduction must be 'mean' or 'sum'; got {reduction!r}")
    if batch_size is None:
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise IncompatibleError(f"batch_size must be a positive integer or None; got {batch_size!r}")
    if batch_size > n_samples:
        raise IncompatibleError(
            f"batch_size={batch_size} is more than the {n_samples} samples given; expected at most {n_samples} "
            "(or None: one batch of all the samples)"
        )
    return int(batch_size)


def reduction_scale(reduction: str, batch_len: int) -> float:
    """The factor applied to a batch's summed gradient: 1/n for ``mean``, 1 for ``sum``."""
    return 1.0 / batch_len if reduction == "mean" else 1.0


class RowsInOrder:
    """The rows of ``data`` in the order ``order`` (None: as stored), read a batch at a time.

    ``rows_in_order[a:b]`` is ``data[order[a:b]]`` (a copy of those rows only), or the view
    ``data[a:b]`` without an order: the same numbers as slicing ``data[order]``, without
    that copy of the whole array.
    """

    def __init__(self, data: NDArray[Any], order: NDArray[np.intp] | None) -> None:
        self.data = data
        self.order = order

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, rows: slice) -> NDArray[Any]:
        if self.order is None:
            return self.data[rows]
        gathered: NDArray[Any] = self.data[self.order[rows]]
        return gathered


@dataclass
class EpochSchedule:
    """One epoch's batches: the data in visiting order, cut into consecutive slices of ``size`` rows.

    ``inputs[rows]`` and ``targets[rows]`` are the rows of one batch (see :class:`RowsInOrder`).
    """

    X: NDArray[np.floating]
    T: NDArray[np.floating]
    order: NDArray[np.intp] | None
    size: int

    @classmethod
    def draw(
        cls, X: NDArray[np.floating], T: NDArray[np.floating], size: int, *, shuffle: bool, rng: np.random.Generator
    ) -> EpochSchedule:
        """Draw one epoch's schedule: one ``rng.permutation`` if shuffling (else the data order)."""
        return cls(X, T, rng.permutation(len(X)) if shuffle else None, size)

    def __post_init__(self) -> None:
        self.inputs = RowsInOrder(self.X, self.order)
        self.targets = RowsInOrder(self.T, self.order)

    @property
    def n_batches(self) -> int:
        """Updates in the epoch (the last batch may be shorter)."""
        return -(-len(self.X) // self.size)

    def batches(self) -> Iterator[tuple[int, NDArray[np.floating], NDArray[np.floating]]]:
        """``(number, inputs, targets)`` of every batch in turn: ``inputs[rows(number)]``, ``targets[…]``."""
        X, T, size, order = self.X, self.T, self.size, self.order
        for number, start in enumerate(range(0, len(X), size)):
            if order is None:
                yield number, X[start : start + size], T[start : start + size]
            else:
                rows = order[start : start + size]
                yield number, X[rows], T[rows]

    def rows(self, number: int) -> slice:
        """Rows of batch ``number`` in visiting order."""
        start = number * self.size
        return slice(start, min(start + self.size, len(self.X)))

    def samples(self, number: int) -> NDArray[np.intp]:
        """Indices in the data set of the samples of batch ``number``."""
        rows = self.rows(number)
        indices: NDArray[np.intp] = np.arange(rows.start, rows.stop) if self.order is None else self.order[rows]
        return indices
