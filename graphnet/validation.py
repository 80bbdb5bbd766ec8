"""Checks at the public boundary: turn user input into float arrays or raise a clear error.

Every message names what was expected and what was given, e.g.
``x has 2 values; this network expects 3 inputs (sizes=[3, 4, 2])``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.errors import EmptyDataError, IncompatibleError, NonFiniteError, ShapeError


def as_float_array(data: ArrayLike, *, name: str, dtype: type = np.float64) -> NDArray[np.floating]:
    """Convert ``data`` to a finite float array; refuse text, objects, NaN and inf."""
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise ShapeError(
            f"{name} must be a rectangular array of numbers; got {type(data).__name__}"
            f" that numpy cannot convert ({error})"
        ) from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        raise ShapeError(f"{name} must hold numbers; got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ShapeError(f"{name} must hold real numbers; got complex values")
    array = array.astype(dtype, copy=False)
    # one cheap pass first: a sum is finite when every element is (or it overflowed: recheck)
    if array.size and not np.isfinite(array.sum()) and not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise NonFiniteError(f"{name} must be finite; got {array[bad]} at index {bad}")
    return array


def as_sample(x: ArrayLike, n_expected: int, *, name: str, sizes: Sequence[int]) -> list[float]:
    """One sample as a list of Python floats of length ``n_expected``."""
    array = as_float_array(x, name=name)
    if array.ndim != 1:
        raise ShapeError(f"{name} must be one sample (a 1-D list of {n_expected} numbers); got shape {array.shape}")
    if array.shape[0] != n_expected:
        raise ShapeError(f"{name} has {array.shape[0]} values; this network expects {n_expected} (sizes={list(sizes)})")
    return [float(v) for v in array.tolist()]


def as_batch(
    data: ArrayLike, n_expected: int, *, name: str, sizes: Sequence[int], dtype: type = np.float64
) -> NDArray[np.floating]:
    """A batch as a 2-D float array (n_samples, n_expected); a 1-D sample becomes one row."""
    array = as_float_array(data, name=name, dtype=dtype)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, {n_expected}); got shape {array.shape}")
    if array.shape[0] == 0:
        raise EmptyDataError(f"{name} holds no samples (shape {array.shape})")
    if array.shape[1] != n_expected:
        raise ShapeError(
            f"{name} has {array.shape[1]} columns; this network expects {n_expected} (sizes={list(sizes)})"
        )
    return array


def check_same_length(x: NDArray[np.floating], t: NDArray[np.generic], x_name: str, t_name: str) -> None:
    """Inputs and targets must have one row each per sample."""
    if x.shape[0] != t.shape[0]:
        raise ShapeError(f"{x_name} has {x.shape[0]} samples but {t_name} has {t.shape[0]}")


def check_positive_number(value: float, *, name: str, allow_zero: bool = False) -> float:
    """A finite positive (or non-negative) real number, such as a learning rate."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise IncompatibleError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        expected = "≥ 0" if allow_zero else "> 0"
        raise IncompatibleError(f"{name} must be finite and {expected}; got {value!r}")
    return number


def check_count(value: int, *, name: str, minimum: int = 1) -> int:
    """A whole number at least ``minimum`` (e.g. epochs, layer sizes)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise IncompatibleError(f"{name} must be a whole number ≥ {minimum}; got {value!r}")
    return int(value)


def as_labels(labels: ArrayLike, n_classes: int, *, name: str = "labels") -> NDArray[np.intp]:
    """Class labels as a 1-D int array with values in [0, n_classes)."""
    array = as_float_array(labels, name=name)
    if array.ndim == 2 and array.shape[1] == n_classes and n_classes > 1:
        classes: NDArray[np.intp] = np.argmax(array, axis=1).astype(np.intp)  # one-hot targets
        return classes
    if array.ndim != 1:
        raise ShapeError(f"{name} must be 1-D class indices; got shape {array.shape}")
    if array.size == 0:
        raise EmptyDataError(f"{name} holds no samples")
    if not np.all(array == np.round(array)) or array.min() < 0 or array.max() >= max(n_classes, 2):
        raise ShapeError(
            f"{name} must be whole numbers in [0, {max(n_classes, 2) - 1}]; got values "
            f"from {array.min():g} to {array.max():g}"
        )
    return array.astype(np.intp)
