"""Dropout on hidden layers: the masks, drawn by one function that both engines use.

Inverted dropout with drop probability p and keep probability q = 1 − p: while training,
each hidden node j of a layer with dropout gets a mask value m_j ∈ {0, 1} (1 with
probability q), and

* forward:  o_j = f(net_j)·m_j/q        (a dropped node outputs 0; kept ones are scaled up)
* backward: δ_j = f′(net_j)·(m_j/q)·Σ_k w_kj·δ_k

so the expected output of a node is f(net_j), and evaluation (``predict``, ``loss``,
``accuracy``, ``forward`` without masks) simply uses o_j = f(net_j): no mask, no scaling,
no randomness.  Input and output layers never drop.

The order of the draws
----------------------
:func:`draw_masks` draws, for a batch of n samples, one array ``u = rng.random((n, H))``
with H the number of nodes in all hidden layers that have dropout, bottom layer first,
nodes in order; row r is sample r's, and m = 1 where u < q.  Because a Generator fills
arrays in row-major order, drawing it for a batch of n equals n draws of one row each:
per-sample training (the graph's one sample at a time) and mini-batch training (the fast
path's whole batch) see the same masks for the same seed.  The training loop draws once
per update, after that epoch's shuffle, from the training generator (``train``'s ``seed``,
or the network's own), so a checkpoint's generator state also restores the masks.

Examples
--------
>>> import numpy as np
>>> masks = draw_masks(np.random.default_rng(0), 2, sizes=[3, 2, 1], rates=[0.5, 0.0])
>>> masks[0]
array([[0., 1., 1.],
       [1., 0., 0.]])
>>> masks[1] is None and masks[2] is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.math.errors import IncompatibleError, ShapeError

#: One mask per non-input layer: (n_samples, size) of 0.0 and 1.0, or None (no dropout there).
Masks = list[NDArray[np.float64] | None]
#: Masks as a user may give them: nested lists or arrays, checked by the network.
MasksLike = Sequence[ArrayLike | None]


def check_dropout(dropout: float | Sequence[float], n_hidden: int) -> list[float]:
    """The drop probability p of each hidden layer, from one number or a list with one per hidden layer.

    Raises
    ------
    IncompatibleError
        If a rate is not in [0, 1), or dropout is asked of a network without hidden layers.
    ShapeError
        If the list does not have one rate per hidden layer.
    """
    if isinstance(dropout, int | float | np.integer | np.floating) and not isinstance(dropout, bool):
        rates = [float(dropout)] * n_hidden
        if n_hidden == 0 and dropout != 0:
            raise IncompatibleError(f"dropout applies to hidden layers, and this network has none; got {dropout!r}")
    elif isinstance(dropout, Sequence) and not isinstance(dropout, str):
        if len(dropout) != n_hidden:
            raise ShapeError(f"dropout list needs one rate per hidden layer ({n_hidden}); got {len(dropout)}")
        rates = list(dropout)
    else:
        raise IncompatibleError(f"dropout must be a number in [0, 1) or a list of them; got {dropout!r}")
    for index, rate in enumerate(rates, start=1):
        if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
            raise IncompatibleError(f"dropout of layer {index} must be a number in [0, 1); got {rate!r}")
        if not (math.isfinite(rate) and 0.0 <= rate < 1.0):
            raise IncompatibleError(f"dropout of layer {index} must be in [0, 1); got {rate!r}")
    return [float(rate) for rate in rates]


def keep_probability(rate: float) -> float:
    """The keep probability q = 1 − p."""
    return 1.0 - rate


def draw_masks(rng: np.random.Generator, n_samples: int, *, sizes: Sequence[int], rates: Sequence[float]) -> Masks:
    """Masks m ∈ {0, 1} for ``n_samples`` samples; see the module notes for the order.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_samples : int
    sizes : sequence of int
        Sizes of the non-input layers (hidden layers, then the output layer).
    rates : sequence of float
        p of each hidden layer (0: no dropout, no draws).

    Returns
    -------
    list
        One entry per non-input layer: an (n_samples, size) array of 0.0 and 1.0, or None.
    """
    columns = [size if rate > 0.0 else 0 for size, rate in zip(sizes, rates, strict=False)]
    uniform = rng.random((n_samples, sum(columns)))
    masks: Masks = []
    start = 0
    for index in range(len(sizes)):
        width = columns[index] if index < len(columns) else 0
        if width == 0:
            masks.append(None)
            continue
        keep = keep_probability(rates[index])
        masks.append((uniform[:, start : start + width] < keep).astype(np.float64))
        start += width
    return masks


def mask_rows(masks: Masks | None, row: int) -> list[list[float] | None] | None:
    """Sample ``row``'s masks as lists of Python floats (what the graph's nodes use)."""
    if masks is None:
        return None
    return [None if mask is None else mask[row].tolist() for mask in masks]
