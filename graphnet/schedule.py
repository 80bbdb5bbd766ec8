"""The order in which training visits samples: one function, used by both engines.

Both the graph and the fast path call :func:`epoch_batches` with the same Generator, so
for the same seed they visit the same samples in the same batches; that is what lets
their trained weights agree number for number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from graphnet.errors import IncompatibleError

REDUCTIONS = ("mean", "sum")


def check_schedule(n_samples: int, batch_size: int | None, reduction: str) -> int:
    """Validate a schedule and return the effective batch size (``None`` → full batch)."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise IncompatibleError(f"reduction must be 'mean' or 'sum'; got {reduction!r}")
    if batch_size is None:
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise IncompatibleError(f"batch_size must be a positive integer or None; got {batch_size!r}")
    return int(batch_size)


def epoch_batches(
    n_samples: int, batch_size: int, *, shuffle: bool, rng: np.random.Generator
) -> list[NDArray[np.intp]]:
    """Split one epoch's sample indices into batches, shuffled by ``rng`` if asked.

    Returns
    -------
    list of int arrays
        Consecutive batches of ``batch_size`` indices; the last one may be shorter.
    """
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


def reduction_scale(reduction: str, batch_len: int) -> float:
    """The factor applied to a batch's summed gradient: 1/n for ``mean``, 1 for ``sum``."""
    return 1.0 / batch_len if reduction == "mean" else 1.0
