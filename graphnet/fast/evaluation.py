"""Evaluation over a whole data set in chunks of rows: what predict, accuracy and the losses share.

One forward pass over n rows keeps every layer's Z and Y for all n rows at once: 60,000
MNIST rows through 784-1000-1000-10 in float64 take 2 GB, 14 times the float32 images.
The passes here (``predict``, ``accuracy``, ``loss`` and the training loop's ``epoch_loss``
and ``sample_losses``) go through the rows in consecutive chunks instead, each taking about
:data:`EVALUATION_BYTES` of working memory, and convert each chunk's inputs to the network's
dtype as they use it (validation leaves float32 inputs of a float64 network as they are:
``as_batch(convert=False)``).  The outputs (n × K) and the per-sample losses (n) are
collected whole; the loss is reduced from the whole array of per-sample losses, in the
same order as from one pass.

Same numbers
------------
A data set whose pass fits in :data:`EVALUATION_BYTES` (about 70,000 rows of 784-30-10 in
float32, 4,600 in float64 from float32 inputs) is one chunk: exactly the one pass made
before chunking.  Beyond it, each row's numbers are the same sums of the same products,
but OpenBLAS picks its kernels and its split between threads by the matrix's size, so a
row's products may round differently in the last bit for another number of rows (as they
do between two data sets of different length anyway).  Chunks are near-equal and at least
half of :data:`MIN_CHUNK_ROWS` long, so none falls to the small-matrix kernels.  Measured on
60,000 rows (random inputs in [0, 1)): the losses, accuracies and training histories of
784-30-10, 784-100-10, 784-300-10 and 784-1000-1000-10, in float32 and float64, are bit
for bit those of one pass; 784-16-300-10 in float64 differs in 2 of 60,000 output rows, by
one unit in the last place.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.fast.dense import Array, DenseLayer
from graphnet.math.losses import Loss
from graphnet.math.validation import check_computed_finite

#: Working memory (bytes) one chunk of an evaluation pass may take: its converted inputs and
#: every layer's Z, Y and a temporary, per row (:func:`bytes_per_row`) times its rows.
EVALUATION_BYTES = 32 * 2**20
#: The fewest rows in a chunk, whatever the layers' widths (matrix products stay efficient).
MIN_CHUNK_ROWS = 256


def bytes_per_row(sizes: Sequence[int], itemsize: int, *, converts_inputs: bool) -> int:
    """Working memory of one row in a forward pass: its inputs if converted, and Z, Y and a temporary per layer."""
    return itemsize * ((sizes[0] if converts_inputs else 0) + 3 * sum(sizes[1:]))


def row_chunks(n_rows: int, row_bytes: int, budget: int | None = None) -> list[slice]:
    """Consecutive slices covering ``n_rows`` rows: one if they fit ``budget`` (default :data:`EVALUATION_BYTES`).

    Otherwise as few chunks as keep each within the budget, of near-equal lengths (differing
    by at most one row); a chunk may take at most ``max(MIN_CHUNK_ROWS, budget // row_bytes)``
    rows, so each of several takes at least half that (rounded down).
    """
    budget = EVALUATION_BYTES if budget is None else budget
    most = max(MIN_CHUNK_ROWS, budget // max(1, row_bytes))
    if n_rows <= most:
        return [slice(0, n_rows)]
    count = -(-n_rows // most)
    bounds = [number * n_rows // count for number in range(count + 1)]
    return [slice(start, stop) for start, stop in itertools.pairwise(bounds)]


def check_rows(values: Array, *, what: str, first: int = 0) -> None:
    """Refuse a non-finite batch result, naming the first bad sample (row ``first`` + r for row r)."""
    if values.size and not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        check_computed_finite(values[row], what=f"{what} for sample {first + row}")


class ChunkedEvaluation:
    """Forward passes over validated data sets, chunk by chunk (mixed into :class:`FastNetwork`).

    Callers validate the data, copy the graph's parameters in and silence numpy's overflow
    warnings (results are checked instead).  After a pass the layers hold the last chunk's
    Z and Y.
    """

    dtype: np.dtype[Any]
    sizes: list[int]
    layers: list[DenseLayer]
    loss_function: Loss

    def _forward(self, inputs: Array, *, guarded: bool = True, masks: list[Array | None] | None = None) -> Array:
        raise NotImplementedError

    def _chunks(self, inputs: NDArray[Any]) -> list[slice]:
        converts = inputs.dtype != self.dtype
        return row_chunks(len(inputs), bytes_per_row(self.sizes, self.dtype.itemsize, converts_inputs=converts))

    def _chunk_forward(self, inputs: NDArray[Any], rows: slice, factors: list[Array | None] | None) -> Array:
        chunk: Array = inputs[rows].astype(self.dtype, copy=False)
        masks = None if factors is None else [None if factor is None else factor[rows] for factor in factors]
        return self._forward(chunk, masks=masks)

    def evaluated_outputs(self, inputs: NDArray[Any]) -> Array:
        """The outputs (n, K) for validated inputs (n, n_in); NumericalOverflowError names the first bad sample."""
        chunks = self._chunks(inputs)
        if len(chunks) == 1:
            outputs = self._chunk_forward(inputs, chunks[0], None)
            check_rows(outputs, what="the outputs")
            return outputs
        outputs = np.empty((len(inputs), self.sizes[-1]), dtype=self.dtype)
        for rows in chunks:
            outputs[rows] = self._chunk_forward(inputs, rows, None)
            check_rows(outputs[rows], what="the outputs", first=rows.start)
        return outputs

    def evaluated_losses(
        self,
        inputs: NDArray[Any],
        targets: Array,
        factors: list[Array | None] | None = None,
        *,
        check_outputs: bool = False,
    ) -> Array:
        """E of each sample (n,), without the L2 term; ``factors``: dropout's m/q per layer (rows as inputs).

        ``check_outputs`` refuses a NaN or inf output (NumericalOverflowError naming the
        first bad sample); otherwise NaN or inf losses are returned.
        """
        chunks = self._chunks(inputs)
        per_sample: Array | None = None
        for rows in chunks:
            self._chunk_forward(inputs, rows, factors)
            output = self.layers[-1]
            if check_outputs:
                check_rows(output.Y, what="the outputs", first=rows.start)
            values = self.loss_function.value_array(output.Y, targets[rows], output.Z)
            if len(chunks) == 1:
                return values
            if per_sample is None:
                per_sample = np.empty(len(inputs), dtype=values.dtype)
            per_sample[rows] = values
        assert per_sample is not None
        return per_sample
