"""Turn raw data into what a network trains on: one-hot targets, scaled pixels, subsets.

Contents
--------
check_class_labels
    The one check of class labels read from a user's file, before anything is allocated:
    whole numbers, ≥ 0, finite, below :data:`MAX_CLASSES`; returns the labels and k.
one_hot
    Class labels (n,) -> target rows (n, k): ``on`` at the label's column, ``off``
    elsewhere (``on=0.9, off=0.1`` gives the soft targets of sigmoid-output networks).
scale_unit
    Pixel values 0..255 -> float64 in [0, 1].
standardize
    Each column to mean 0 and standard deviation 1, z = (x − μ)/σ, with μ and σ of the
    training data (returned, to scale test data alike).
binary_subset
    The samples of two classes only (by default the digits 1 and 7), relabelled 0/1.

Every function checks its input and raises a :class:`~graphnet.math.errors.GraphnetError`
subclass naming the first bad value; none changes its arguments.  Shuffling and
train/test splitting are left to the caller (the loaders already split).

Examples
--------
>>> one_hot(np.array([2, 0]), 3).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
>>> one_hot(np.array([1]), 2, on=0.9, off=0.1).tolist()
[[0.1, 0.9]]
>>> scale_unit(np.array([0, 51, 255], dtype=np.uint8)).tolist()
[0.0, 0.2, 1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from graphnet.math.errors import (
    EmptyDataError,
    GraphnetError,
    IncompatibleError,
    NonFiniteError,
    ShapeError,
)

PIXEL_MAX = 255
"""Largest 8-bit grey level; :func:`scale_unit` divides by it."""

MAX_CLASSES = 1000
"""The most classes :func:`check_class_labels` accepts (labels 0 .. 999).

A larger label is almost always not a class but the wrong column (an id, a measurement),
and its one-hot targets would take rows x label x 8 bytes: a label of 1e9 on 3 rows is 22 GiB.
"""


def class_labels(labels: npt.ArrayLike, *, name: str = "labels") -> npt.NDArray[np.int64]:
    """Check that ``labels`` is a non-empty 1-D array of whole numbers; return it as int64."""
    values = np.asarray(labels)
    if values.ndim != 1:
        raise ShapeError(f"{name}: expected a 1-D array of class labels, got shape {values.shape}")
    if values.size == 0:
        raise EmptyDataError(f"{name}: expected at least one label, got an empty array")
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind != "f":
        raise GraphnetError(f"{name}: expected integer class labels, got dtype {values.dtype}")
    finite = np.isfinite(values)
    if not finite.all():
        index = int(np.argmin(finite))
        raise NonFiniteError(f"{name}[{index}]: expected a class label, got {values[index]}")
    whole = values == np.round(values)
    if not whole.all():
        index = int(np.argmin(whole))
        raise GraphnetError(f"{name}[{index}]: expected a whole-number class label, got {values[index]}")
    return values.astype(np.int64)


def check_class_labels(
    labels: npt.ArrayLike,
    *,
    n_classes: int | None = None,
    name: str = "labels",
    where: Callable[[int], str] | None = None,
    error: type[GraphnetError] = GraphnetError,
) -> tuple[npt.NDArray[np.int64], int]:
    """The one check of class labels from a user's data, done before anything is allocated.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Integers, or floats that are whole numbers (labels read from a CSV file).
    n_classes : int, optional
        Number of classes k (1 .. :data:`MAX_CLASSES`); default: the largest label + 1.
    name : str, default "labels"
        What the labels are called in messages (``labels[7]``).
    where : callable, optional
        ``where(i)`` says where label ``i`` came from (e.g. ``"line 9, column 'label'"``);
        default ``f"{name}[{i}]"``.
    error : type, default GraphnetError
        The error class raised for a bad label (a file reader passes FileFormatError).

    Returns
    -------
    labels : numpy.ndarray of int64, shape (n,)
    n_classes : int
        k: ``n_classes`` if given, else the largest label + 1.

    Raises
    ------
    ShapeError, EmptyDataError
        If ``labels`` is not 1-D or is empty.
    GraphnetError (or ``error``)
        Naming the first label that is NaN or infinite, not a whole number (0.5 is not
        truncated), negative, ≥ ``n_classes``, or ≥ :data:`MAX_CLASSES`; or if
        ``n_classes`` is not a whole number from 1 to :data:`MAX_CLASSES`.

    Examples
    --------
    >>> labels, k = check_class_labels([2.0, 0.0])
    >>> labels.tolist(), k
    ([2, 0], 3)
    """
    values = np.asarray(labels)
    if values.ndim != 1:
        raise ShapeError(f"{name}: expected a 1-D array of class labels, got shape {values.shape}")
    if values.size == 0:
        raise EmptyDataError(f"{name}: expected at least one label, got an empty array")
    if values.dtype.kind not in "biuf":
        raise GraphnetError(f"{name}: expected numeric class labels, got dtype {values.dtype}")
    if n_classes is not None and (
        isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or not 1 <= n_classes <= MAX_CLASSES
    ):
        raise GraphnetError(
            f"n_classes: expected an integer from 1 to {MAX_CLASSES} (graphnet.datasets.prep.MAX_CLASSES), "
            f"got {n_classes!r}"
        )
    limit = MAX_CLASSES if n_classes is None else int(n_classes)
    place = where if where is not None else (lambda index: f"{name}[{index}]")
    with np.errstate(invalid="ignore"):
        problems = (
            (~np.isfinite(values), "expected a finite class label"),
            (values != np.round(values), "expected a class label (a whole number ≥ 0)"),
            (values < 0, "expected a class label (a whole number ≥ 0)"),
        )
        for bad, expected in problems:
            if bad.any():
                index = int(np.argmax(bad))
                raise error(f"{place(index)}: {expected}, got {_label_text(values[index])}")
    too_large = values >= limit
    if too_large.any():
        index = int(np.argmax(too_large))
        expected = (
            f"expected a class label below n_classes={limit}"
            if n_classes is not None
            else f"expected a class label below {MAX_CLASSES} (graphnet.datasets.prep.MAX_CLASSES; "
            "a larger number is most likely not a class: is this the target column?)"
        )
        raise error(f"{place(index)}: {expected}, got {_label_text(values[index])}")
    classes = values.astype(np.int64)  # every value is now a whole number in 0 .. limit - 1
    return classes, int(n_classes) if n_classes is not None else int(classes.max()) + 1


def _label_text(value: np.generic) -> str:
    """A label as the user wrote it: ``2``, ``0.5``, ``1e+300``, ``nan``."""
    return f"{float(value):g}" if isinstance(value, np.floating) else str(value)


def _index_text(position: tuple[np.intp, ...]) -> str:
    """Format an array index as ``"2, 5"``."""
    return ", ".join(str(int(i)) for i in position)


def one_hot(labels: npt.ArrayLike, n_classes: int, *, on: float = 1.0, off: float = 0.0) -> npt.NDArray[np.float64]:
    """Encode class labels as one-hot target rows.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        Class labels in ``0 .. n_classes - 1``.  Floats are accepted when they are whole
        numbers (labels read from a CSV file).
    n_classes : int
        Number of classes k, the number of columns of the result.
    on : float, default 1.0
        Value at the label's column.
    off : float, default 0.0
        Value in every other column.  ``on=0.9, off=0.1`` keeps sigmoid outputs away from
        the flat ends of the curve, as in many textbooks.

    Returns
    -------
    numpy.ndarray of float64, shape (n, n_classes)
        ``T[i, c] = on`` if ``labels[i] == c`` else ``off``.

    Raises
    ------
    ShapeError
        If ``labels`` is not 1-D.
    EmptyDataError
        If ``labels`` is empty.
    NonFiniteError
        If a label, ``on`` or ``off`` is NaN or infinite.
    GraphnetError
        If ``n_classes`` < 1, or a label is not a whole number or outside
        ``0 .. n_classes - 1``.

    Examples
    --------
    >>> one_hot([1, 0, 1], 2).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise GraphnetError(f"n_classes: expected an integer ≥ 1, got {n_classes!r}")
    for option, value in (("on", on), ("off", off)):
        if not np.isfinite(value):
            raise NonFiniteError(f"{option}: expected a finite number, got {value!r}")
    classes = class_labels(labels)
    outside = (classes < 0) | (classes >= n_classes)
    if outside.any():
        index = int(np.argmax(outside))
        raise GraphnetError(
            f"labels[{index}]: expected a class label in 0..{n_classes - 1} "
            f"(n_classes={n_classes}), got {classes[index]}"
        )
    targets = np.full((classes.size, int(n_classes)), float(off), dtype=np.float64)
    targets[np.arange(classes.size), classes] = float(on)
    return targets


def scale_unit(images: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Scale 8-bit pixel values to [0, 1]: ``x / 255``.

    Parameters
    ----------
    images : array_like, any shape
        Grey levels in 0..255: uint8 from IDX files, or integers or floats read from a
        text file.

    Returns
    -------
    numpy.ndarray of float64, same shape
        Each value divided by 255, so 0 -> 0.0 and 255 -> 1.0.

    Raises
    ------
    EmptyDataError
        If ``images`` is empty.
    NonFiniteError
        If a value is NaN or infinite.
    GraphnetError
        If a value lies outside 0..255 or the dtype is not numeric.

    Notes
    -----
    Data that is already in [0, 1] cannot be told apart from dark pixels and would be
    scaled again: call this once, on the raw grey levels.

    Examples
    --------
    >>> scale_unit([[0, 255]]).tolist()
    [[0.0, 1.0]]
    """
    values = np.asarray(images)
    if values.size == 0:
        raise EmptyDataError(f"images: expected at least one value, got shape {values.shape}")
    if values.dtype.kind not in "iuf":
        raise GraphnetError(f"images: expected numeric pixel values, got dtype {values.dtype}")
    if values.dtype == np.uint8:
        return values.astype(np.float64) / PIXEL_MAX
    finite = np.isfinite(values)
    if not finite.all():
        position = np.unravel_index(int(np.argmin(finite)), values.shape)
        raise NonFiniteError(f"images[{_index_text(position)}]: expected a finite pixel value, got {values[position]}")
    outside = (values < 0) | (values > PIXEL_MAX)
    if outside.any():
        position = np.unravel_index(int(np.argmax(outside)), values.shape)
        raise GraphnetError(
            f"images[{_index_text(position)}]: expected a pixel value in 0..{PIXEL_MAX}, got {values[position]}"
        )
    return values.astype(np.float64) / PIXEL_MAX


def standardize(
    X: npt.ArrayLike, *, mean: npt.ArrayLike | None = None, std: npt.ArrayLike | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Standardise each column: z_ij = (x_ij − μ_j)/σ_j; return (Z, μ, σ).

    μ_j is the column's mean and σ_j its population standard deviation √(Σ_i (x_ij − μ_j)²/n),
    both over the rows of ``X``, unless ``mean`` and ``std`` are given (those of the training
    data, to scale test data the same way).  A constant column (σ_j = 0) gets σ_j = 1, so it
    becomes 0 rather than NaN.

    Raises
    ------
    EmptyDataError
        If ``X`` has no rows.
    ShapeError
        If ``X`` is not 2-D numbers, or ``mean``/``std`` do not have one value per column.
    NonFiniteError
        If a value is NaN or infinite.

    Examples
    --------
    >>> Z, mean, std = standardize([[1.0, 10.0], [3.0, 10.0]])
    >>> Z.tolist(), mean.tolist(), std.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 10.0], [1.0, 1.0])
    """
    values = np.asarray(X)
    if values.dtype.kind not in "biuf" or values.ndim != 2:
        raise ShapeError(
            f"X: expected a 2-D array of numbers (n_samples, n_features), got {values.dtype} {values.shape}"
        )
    if values.shape[0] == 0:
        raise EmptyDataError(f"X: expected at least one row, got shape {values.shape}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise NonFiniteError("X: expected finite values to standardise, got NaN or inf")
    centre = values.mean(axis=0) if mean is None else np.asarray(mean, dtype=np.float64)
    spread = values.std(axis=0) if std is None else np.asarray(std, dtype=np.float64)
    if centre.shape != (values.shape[1],) or spread.shape != (values.shape[1],):
        raise ShapeError(f"mean and std: expected {values.shape[1]} values each, got {centre.shape} and {spread.shape}")
    spread = np.where(spread > 0.0, spread, 1.0)
    return (values - centre) / spread, centre, spread


def binary_subset(
    images: npt.ArrayLike, labels: npt.ArrayLike, *, positive: int = 7, negative: int = 1
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Keep the samples of two classes and relabel them 0/1, e.g. the "1 vs 7" problem.

    Parameters
    ----------
    images : array_like, shape (n, ...)
        One sample per row (any dtype; it is not changed).
    labels : array_like of int, shape (n,)
        The class of each row.
    positive : int, default 7
        The class that becomes label 1.
    negative : int, default 1
        The class that becomes label 0.

    Returns
    -------
    images : numpy.ndarray, shape (m, ...)
        The rows whose label is ``positive`` or ``negative``, in their original order.
    binary_labels : numpy.ndarray of int64, shape (m,)
        1 for ``positive``, 0 for ``negative``: labels, not one-hot rows.  Use
        ``binary_labels[:, None]`` as the (m, 1) target of a single sigmoid output, or
        ``one_hot(binary_labels, 2)`` for two outputs.

    Raises
    ------
    ShapeError
        If ``images`` has no rows axis or its row count differs from ``labels``.
    IncompatibleError
        If ``positive == negative``.
    EmptyDataError
        If one of the two classes has no samples.

    Examples
    --------
    >>> X = np.array([[0.1], [0.7], [0.3], [0.1]])
    >>> x, y = binary_subset(X, [1, 7, 3, 1])
    >>> x.ravel().tolist(), y.tolist()
    ([0.1, 0.7, 0.1], [0, 1, 0])
    """
    if positive == negative:
        raise IncompatibleError(f"positive and negative must be different classes, got {positive!r} for both")
    samples = np.asarray(images)
    classes = class_labels(labels)
    if samples.ndim == 0 or samples.shape[0] != classes.size:
        raise ShapeError(f"images: expected {classes.size} rows (one per label), got shape {samples.shape}")
    is_positive = classes == positive
    is_negative = classes == negative
    for role, value, mask in (
        ("positive", positive, is_positive),
        ("negative", negative, is_negative),
    ):
        if not mask.any():
            present = ", ".join(str(c) for c in np.unique(classes))
            raise EmptyDataError(
                f"{role}={value!r}: expected samples of that class, found none (labels present: {present})"
            )
    keep = is_positive | is_negative
    return samples[keep], is_positive[keep].astype(np.int64)
