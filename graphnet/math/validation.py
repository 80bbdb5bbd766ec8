"""Checks at the public boundary: turn user input into float arrays or raise a clear error.

Every message names what was expected and what was given, e.g.
``x has 2 values; this network expects 3 inputs (sizes=[3, 4, 2])``.
"""

from __future__ import annotations

import itertools
import math
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.math.errors import (
    EmptyDataError,
    IncompatibleError,
    MissingFileError,
    NonFiniteError,
    NotANumberError,
    NumericalOverflowError,
    PathError,
    ShapeError,
)

ScalarT = TypeVar("ScalarT", bound=np.generic)
#: numpy dtype kinds accepted as numbers: bool, signed and unsigned int, float.
NUMBER_KINDS = "biuf"
#: The largest network the object graph is allowed to build.  Every connection is a Python
#: object holding two floats (about 150 bytes with its list entries), so 10 million
#: connections already take about 1.5 GB; larger sizes are almost always a typo.
MAX_CONNECTIONS = 10_000_000


@overload
def as_float_array(
    data: ArrayLike, *, name: str, dtype: type = ..., finite: bool = ..., convert: Literal[True] = ...
) -> NDArray[np.floating]: ...
@overload
def as_float_array(
    data: ArrayLike, *, name: str, dtype: type = ..., finite: bool = ..., convert: bool
) -> NDArray[Any]: ...
def as_float_array(
    data: ArrayLike, *, name: str, dtype: type = np.float64, finite: bool = True, convert: bool = True
) -> NDArray[Any]:
    """Convert ``data`` to a finite float array; refuse text, objects, complex numbers, NaN and inf.

    Booleans and integers are accepted as numbers.  A value beyond the range of ``dtype``
    (e.g. 1e300 for float32) is refused by name rather than silently becoming inf.
    ``finite=False`` skips the look for NaN and inf (a caller that looks later, such as
    :func:`graphnet.tools.train.train_loop`, and calls this again to name the value).

    ``convert=False`` returns a numpy array in its own dtype, not converted, when converting
    it later cannot overflow (:func:`converts_later`): the caller converts the rows it uses
    when it uses them (``rows.astype(dtype)``, the very numbers converting now would give),
    so a float32 data set met by a float64 computation is never copied whole into float64.
    The look for NaN and inf is then made on the data as given (a conversion that cannot
    overflow keeps a value finite or not).
    """
    try:
        array = np.asarray(data)
    except (ValueError, TypeError, OverflowError, RecursionError) as error:  # ragged nested lists
        raise ShapeError(
            f"{name} must be a rectangular array of numbers; got {type(data).__name__}"
            f" that numpy cannot convert ({error})"
        ) from None
    if array.dtype.kind == "c":
        raise ShapeError(f"{name} must hold real numbers; got complex values (dtype {array.dtype})")
    if array.dtype.kind not in NUMBER_KINDS:
        raise ShapeError(f"{name} must hold numbers; got an array of dtype {array.dtype}")
    if array.dtype == dtype or (not convert and converts_later(array.dtype, dtype)):
        converted: NDArray[Any] = array  # (already of dtype: nothing to convert)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            converted = array.astype(dtype, copy=False)  # 1e300 → float32 overflows: named below
    if finite and converted.dtype.kind == "f" and not all_finite(converted):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
        given = array[bad]
        if np.isfinite(given):
            limit = float(np.finfo(dtype).max)
            raise NonFiniteError(
                f"{name} must be within ±{limit:.3g} to compute in {np.dtype(dtype).name}; got {given} at index {bad}"
            )
        raise NonFiniteError(f"{name} must be finite; got {given} at index {bad}")
    return converted


def converts_later(given: np.dtype[Any], dtype: type) -> bool:
    """True when numbers of dtype ``given`` may wait to be converted to ``dtype`` (see :func:`as_float_array`).

    So are booleans and integers (always finite in float32 and float64; rounded the same
    whenever converted) and floats no wider than ``dtype``, which convert exactly; not wider
    floats, which may overflow (1e300 into float32) and are converted and checked at once.
    """
    target = np.dtype(dtype)
    if given.kind in "biu":
        return target.kind == "f"
    return given.kind == "f" and np.can_cast(given, target, "safe")


#: Values :func:`all_finite` looks at per step when the sum overflowed (a bounded temporary).
FINITE_CHECK_CHUNK = 1 << 20


#: The dtypes (by character: float32, float64) whose dot product numpy hands to BLAS.
_BLAS_FLOATS = "fd"


def all_finite(*arrays: NDArray[np.floating]) -> bool:
    """True when no value of the arrays is NaN or inf: one pass each, and a closer look only where it says no.

    The pass is :func:`surely_finite`.  Neither look takes a temporary of an array's size:
    the pass is a reduction, and when it saw a non-finite total the values are looked at
    :data:`FINITE_CHECK_CHUNK` at a time.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        overflowed = [values for values in arrays if not surely_finite(values, guarded=False)]
    return all(_every_value_finite(values) for values in overflowed)


def surely_finite(values: NDArray[np.floating], *, guarded: bool = True) -> bool:
    """True when Σ v² (a contiguous float32 or float64 array: one BLAS dot) or else Σ v is finite.

    Then every value is finite: one NaN or inf makes the total NaN or inf.  False says only
    "look closer": the total of finite values may overflow (Σ v² sooner than Σ v, at
    |v| ≈ 1.8e19 in float32).  The dot reads the values once, at 1.2-3x the speed of
    numpy's sum (measured from 30 × 785 to 60000 × 784).  ``guarded=False`` is for callers
    already under ``np.errstate(over="ignore", invalid="ignore")`` (entering it costs more
    than the dot of a 128 × 30 array).
    """
    if guarded:
        with np.errstate(over="ignore", invalid="ignore"):
            return surely_finite(values, guarded=False)
    if values.dtype.char in _BLAS_FLOATS and values.flags.c_contiguous:
        flat = values.reshape(-1)
        return math.isfinite(np.dot(flat, flat))
    return math.isfinite(np.add.reduce(values, axis=None))


def _every_value_finite(values: NDArray[np.floating]) -> bool:
    """The exact look, a bounded chunk of rows at a time (where :func:`surely_finite` said "look closer")."""
    if values.ndim == 0:
        return bool(np.isfinite(values))
    rows = max(1, FINITE_CHECK_CHUNK // max(1, values[0].size))
    return all(bool(np.isfinite(values[start : start + rows]).all()) for start in range(0, len(values), rows))


def as_sample(x: ArrayLike, n_expected: int, *, name: str, sizes: Sequence[int]) -> list[float]:
    """One sample as a list of Python floats of length ``n_expected``."""
    array = as_float_array(x, name=name)
    if array.ndim != 1:
        raise ShapeError(f"{name} must be one sample (a 1-D list of {n_expected} numbers); got shape {array.shape}")
    if array.shape[0] != n_expected:
        raise ShapeError(f"{name} has {array.shape[0]} values; this network expects {n_expected} (sizes={list(sizes)})")
    return [float(v) for v in array.tolist()]


def as_batch(
    data: ArrayLike,
    n_expected: int,
    *,
    name: str,
    sizes: Sequence[int],
    dtype: type = np.float64,
    finite: bool = True,
) -> NDArray[np.floating]:
    """A batch as a 2-D float array (n_samples, n_expected); a 1-D sample becomes one row.

    ``finite=False``: see :func:`as_float_array`.
    """
    return as_rows(as_float_array(data, name=name, dtype=dtype, finite=finite), n_expected, name=name, sizes=sizes)


def as_rows(array: NDArray[ScalarT], n_expected: int, *, name: str, sizes: Sequence[int]) -> NDArray[ScalarT]:
    """An array of numbers (see :func:`as_float_array`) as a batch of rows (n_samples, n_expected).

    What :func:`as_batch` checks after converting; with ``as_float_array(convert=False)``, a
    batch left in its own dtype.
    """
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, {n_expected}); got shape {array.shape}")
    if array.shape[0] == 0:
        raise EmptyDataError(f"{name} holds no samples: expected at least one row; got shape {array.shape}")
    if array.shape[1] != n_expected:
        raise ShapeError(
            f"{name} has {array.shape[1]} columns; this network expects {n_expected} (sizes={list(sizes)})"
        )
    return array


def check_same_length(x: NDArray[np.floating], t: NDArray[np.generic], x_name: str, t_name: str) -> None:
    """Inputs and targets must have one row each per sample."""
    if x.shape[0] != t.shape[0]:
        raise ShapeError(
            f"{x_name} has {x.shape[0]} samples but {t_name} has {t.shape[0]}; expected one row of each per sample"
        )


def _as_float(value: float | np.integer[Any] | np.floating[Any]) -> float:
    """float(value), with ±inf for an int too large for a float (then refused as not finite, by name)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _shown(value: object) -> str:
    """repr(value), cut to 40 characters (an int of 400 digits is named, not printed)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"


def check_positive_number(value: float, *, name: str, allow_zero: bool = False) -> float:
    """A finite positive (or non-negative) real number, such as a learning rate."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise IncompatibleError(f"{name} must be a number; got {value!r}")
    number = _as_float(value)
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        expected = "≥ 0" if allow_zero else "> 0"
        raise IncompatibleError(f"{name} must be finite and {expected}; got {_shown(value)}")
    return number


def check_range(
    value: float,
    *,
    name: str,
    low: float = 0.0,
    high: float = 1.0,
    include_low: bool = True,
    include_high: bool = False,
) -> float:
    """A real number in the interval given (by default [0, 1)), or IncompatibleError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise IncompatibleError(f"{name} must be a number; got {value!r}")
    number = _as_float(value)
    above = number >= low if include_low else number > low
    below = number <= high if include_high else number < high
    if not (math.isfinite(number) and above and below):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise IncompatibleError(f"{name} must be in {interval}; got {_shown(value)}")
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
        raise EmptyDataError(f"{name} holds no samples: expected at least one label; got shape {array.shape}")
    if not np.all(array == np.round(array)) or array.min() < 0 or array.max() >= max(n_classes, 2):
        raise ShapeError(
            f"{name} must be whole numbers in [0, {max(n_classes, 2) - 1}]; got values "
            f"from {array.min():g} to {array.max():g}"
        )
    return array.astype(np.intp)


def check_choice(value: object, choices: Sequence[object], *, name: str) -> None:
    """``value`` must be one of ``choices`` (str or int, compared by equality; arrays and dicts are refused)."""
    if not isinstance(value, str | int) or isinstance(value, bool) or value not in choices:
        shown = [repr(choice) for choice in choices]
        known = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        raise IncompatibleError(f"{name} must be {known}; got {value!r:.80}")


def check_bool(value: object, *, name: str) -> bool:
    """A real ``True`` or ``False`` (numpy booleans too); ``"no"`` or ``0`` are refused."""
    if not isinstance(value, bool | np.bool_):
        raise IncompatibleError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_seed(seed: object, *, name: str = "seed") -> None:
    """A seed numpy accepts: None, a whole number ≥ 0, or a numpy Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise IncompatibleError(f"{name} must be None, a whole number ≥ 0 or a numpy Generator; got {seed!r}")


def check_scalar(value: object, *, name: str) -> float:
    """One finite real number (a Python or numpy number, or a 0-d or one-element array)."""
    array = as_float_array(value, name=name)  # type: ignore[call-overload]
    if array.size != 1:
        raise ShapeError(f"{name} must be one number; got an array of shape {array.shape}")
    return float(array.reshape(()))


def check_parameter(value: object, *, name: str) -> float:
    """A value to store as a weight or bias: a finite real number (bool, text and NaN/inf refused).

    Raises
    ------
    NotANumberError
        (a TypeError) for anything that is not a real number, e.g. the text ``"0.5"``.
    NonFiniteError
        For NaN and ±inf.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise NotANumberError(
            f"{name} must be a real number (a float); got {value!r:.80} of type {type(value).__name__}"
        )
    number = _as_float(value)
    if not math.isfinite(number):
        raise NonFiniteError(f"{name} must be finite; got {_shown(value)}")
    return number


def check_network_size(sizes: Sequence[int], *, bias: bool) -> None:
    """Refuse networks with more than :data:`MAX_CONNECTIONS` connections."""
    n_connections = sum((n_in + int(bias)) * n_out for n_in, n_out in itertools.pairwise(sizes))
    if n_connections > MAX_CONNECTIONS:
        raise IncompatibleError(
            f"sizes={list(sizes)} would need {n_connections:,} connections, each a Python object; "
            f"the graph holds at most {MAX_CONNECTIONS:,} (graphnet.math.validation.MAX_CONNECTIONS), so expected fewer"
        )


def check_computed_finite(values: NDArray[np.floating], *, what: str) -> None:
    """Refuse a computed result holding NaN or inf although everything it came from was finite.

    Raises
    ------
    NumericalOverflowError
        Naming the first bad entry and the range of the dtype that overflowed.
    """
    if values.size == 0 or np.isfinite(values).all():
        return
    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
    limit = float(np.finfo(values.dtype).max)
    where = f" at index {bad}" if bad else ""
    raise NumericalOverflowError(
        f"{what} must be finite; got {values[bad]}{where}: the numbers overflowed the {values.dtype} range "
        f"(±{limit:.3g}); scale the inputs down or lower the weights (or the learning rate)"
    )


def check_path(path: object, *, name: str = "path") -> Path:
    """A file name as a :class:`pathlib.Path`: a non-empty ``str`` or ``os.PathLike`` without NUL."""
    text = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(text, str):
        raise IncompatibleError(f"{name} must be a file name (str or pathlib.Path); got {path!r}")
    if not text or "\0" in text:
        raise IncompatibleError(f"{name} must be a non-empty file name without NUL characters; got {text!r}")
    return Path(text)


#: Characters a temporary name next to a file adds to it (``.NAME.<12 hex>.tmp``, see atomic writes).
TEMPORARY_NAME_EXTRA = 18


def check_input_file(path: object, *, name: str = "path") -> Path:
    """A file to read, checked before any work: it exists, is a regular file, and can be opened.

    Refuses, each with one clear error, a missing file (:class:`MissingFileError`), a folder
    (:class:`IncompatibleError`), and (:class:`PathError`) a link loop, a FIFO, a device or a
    socket (reading those may block forever), or a file this process may not read.
    """
    checked = check_path(path, name=name)
    try:
        status = os.stat(checked)
    except FileNotFoundError:
        raise MissingFileError(f"no such file: {checked}") from None
    except OSError as error:  # a link loop (ELOOP), a name too long, a component that is not a folder, …
        raise PathError(f"cannot read {checked}: {error.strerror or error}") from None
    if stat.S_ISDIR(status.st_mode):
        raise IncompatibleError(f"{checked} is a folder; expected a file")
    if not stat.S_ISREG(status.st_mode):
        raise PathError(f"cannot read {checked}: it is not a regular file (a FIFO, device or socket); expected a file")
    if not os.access(checked, os.R_OK):
        raise PathError(f"cannot read {checked}: permission denied")
    return checked


def check_output_file(path: object, *, name: str = "path") -> Path:
    """A file to write, checked before any work; returns the path to write (a link's target).

    Its folder must exist (:class:`MissingFileError`) and take a new file, proven by creating
    and removing one (a read-only folder or file system, no permission: :class:`PathError`);
    the name must leave room for the temporary name written beside it; the path must not be a
    folder (:class:`IncompatibleError`) nor an existing FIFO, device or socket.  A symbolic link
    is followed: writing replaces the file it points to, and the link stays.
    """
    checked = check_path(path, name=name)
    try:
        target = Path(os.path.realpath(checked, strict=False)) if checked.is_symlink() else checked
    except OSError as error:  # a link loop
        raise PathError(f"cannot write {checked}: {error.strerror or error}") from None
    folder = target.parent
    if not folder.is_dir():
        raise MissingFileError(f"cannot write {checked}: the folder {folder} does not exist")
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise PathError(f"cannot write {checked}: {error.strerror or error}") from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise IncompatibleError(f"cannot write {checked}: it is a folder; expected a file name")
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise PathError(f"cannot write {checked}: it is not a regular file (a FIFO, device or socket)")
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    if len(os.fsencode(target.name)) + TEMPORARY_NAME_EXTRA > limit:
        raise PathError(
            f"cannot write {checked}: the file name is too long ({len(os.fsencode(target.name))} bytes; "
            f"at most {limit - TEMPORARY_NAME_EXTRA} here)"
        )
    try:
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".graphnet-probe-", delete=True)
        probe.close()
    except OSError as error:
        raise PathError(
            f"cannot write {checked}: the folder {folder} takes no new file ({error.strerror or error})"
        ) from None
    return target
