r"""Load a learner's own numeric data from a CSV file.

One row per sample, one column per feature, plus one target column (named or by
position).  Every value must be a finite number; the first problem found is reported
with its 1-based line number in the file and its column, for example
``line 7, column 'x2': expected a number, got 'abc'``.

Blank lines are skipped; leading and trailing spaces around values are ignored; a UTF-8
byte-order mark is accepted.  A file that is not UTF-8 (UTF-16, latin-1, binary) is refused
naming the line and byte where it stops being UTF-8.  With ``one_hot=True`` the target
column must hold class labels 0, 1, …: whole numbers ≥ 0 below
:data:`~graphnet.datasets.prep.MAX_CLASSES`, checked before any array is allocated.  Text
categories, missing values and quoting dialects beyond what :mod:`csv` reads are left out on
purpose: clean such data first.

Contents
--------
load_csv
    ``(X, T, feature_names)`` from a CSV file.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "and.csv"
>>> _ = path.write_text("x1,x2,label\n0,0,0\n0,1,0\n1,0,0\n1,1,1\n")
>>> X, T, names = load_csv(path)
>>> X.shape, T.ravel().tolist(), names
((4, 2), [0.0, 0.0, 0.0, 1.0], ['x1', 'x2'])
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from graphnet.datasets.prep import check_class_labels
from graphnet.datasets.prep import one_hot as encode_one_hot
from graphnet.math.errors import (
    EmptyDataError,
    FileFormatError,
    GraphnetError,
    IncompatibleError,
    NonFiniteError,
    ShapeError,
    unknown_name,
)
from graphnet.math.validation import check_input_file

StrPath: TypeAlias = str | os.PathLike[str]


@contextmanager
def _in_file(name: str) -> Iterator[None]:
    """Errors about a line or a cell of the file start with the file's name: ``'data.csv', line 4, …``."""
    try:
        yield
    except GraphnetError as error:
        raise type(error)(f"{name!r}, {error}") from None


def _read_rows(path: StrPath, delimiter: str) -> list[tuple[int, list[str]]]:
    """Return the non-blank records as (1-based line number, stripped fields)."""
    checked = check_input_file(path, name="path")  # no FIFO or device: reading those could block forever
    try:
        data = checked.read_bytes()
    except OSError as error:
        raise FileFormatError(f"{os.fspath(path)!r}: cannot be read ({error.strerror or error})") from None
    text = _decode_utf8(data, os.fspath(path))
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for fields in reader:
            stripped = [field.strip() for field in fields]
            if any(stripped):
                rows.append((reader.line_num, stripped))
    except csv.Error as error:
        raise FileFormatError(f"{os.fspath(path)!r}, line {reader.line_num}: {error}") from error
    return rows


def _decode_utf8(data: bytes, name: str) -> str:
    """The file's bytes as text (UTF-8, an optional byte-order mark), or one error saying where they are not.

    A NUL byte is valid UTF-8 but never text: it is what UTF-16 without a byte-order mark, or
    a binary file, looks like, so it is refused the same way.
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skip + error.start
    else:
        offset = data.find(b"\0")
        if offset < 0:
            return text
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    hint = " (a NUL byte: UTF-16 or binary data)" if data[offset] == 0 else ""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        hint = " (the file starts with a UTF-16 byte-order mark: it is UTF-16)"
    raise FileFormatError(
        f"{name!r}: expected UTF-8 text, got byte 0x{data[offset]:02x} at line {line}, byte {column} "
        f'(offset {offset}){hint}; save the file as UTF-8 ("CSV UTF-8" in spreadsheet programs)'
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _target_index(target: str | int, header: list[str] | None, width: int) -> int:
    """Resolve ``target`` (a column name, or a 0-based index that may be negative)."""
    if isinstance(target, bool) or not isinstance(target, (str, int)):
        raise GraphnetError(f"target: expected a column name or index, got {target!r}")
    if isinstance(target, str):
        if header is None:
            raise IncompatibleError(
                f"target={target!r} is a column name, but has_header=False; "
                f"pass the column's index (0 to {width - 1}, or -1 for the last)"
            )
        if target not in header:
            error = unknown_name("target column", target, header)
            if all(_is_number(name) for name in header):
                error = type(error)(f"{error}; the first line holds numbers: pass has_header=False")
            raise error
        return header.index(target)
    if not -width <= target < width:
        raise ShapeError(
            f"target={target}: expected a column index from {-width} to {width - 1}; the file has {width} columns"
        )
    return target % width


def _check_header(header: list[str], line: int) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise FileFormatError(f"line {line}, column {position}: expected a column name, got an empty field")
        if name in seen:
            raise FileFormatError(f"line {line}: expected distinct column names, got {name!r} twice")
        seen.add(name)


def _parse_table(rows: list[tuple[int, list[str]]], column_labels: list[str]) -> npt.NDArray[np.float64]:
    """Convert the fields to a float64 table; raise naming the first cell that is not finite."""
    try:
        table = np.array([fields for _, fields in rows], dtype=np.float64)
    except ValueError:  # numpy names no position: find the cell the slow way
        table = np.array(
            [
                [_parse_cell(field, line, label) for label, field in zip(column_labels, fields, strict=True)]
                for line, fields in rows
            ],
            dtype=np.float64,
        )
    finite = np.isfinite(table)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        line, fields = rows[row]
        raise NonFiniteError(f"line {line}, {column_labels[column]}: expected a finite number, got {fields[column]!r}")
    return table


def _parse_cell(field: str, line: int, label: str) -> float:
    try:
        return float(field)
    except ValueError:
        given = repr(field) if field else "an empty field"
        raise FileFormatError(f"line {line}, {label}: expected a number, got {given}") from None


def _one_hot_targets(
    values: npt.NDArray[np.float64],
    rows: list[tuple[int, list[str]]],
    target_label: str,
    n_classes: int | None,
) -> npt.NDArray[np.float64]:
    """One-hot rows for the target column, naming the line of the first bad label (checked before allocating)."""
    labels, k = check_class_labels(
        values,
        n_classes=n_classes,
        where=lambda index: f"line {rows[index][0]}, {target_label}",
        error=FileFormatError,
    )
    return encode_one_hot(labels, k)


def load_csv(
    path: StrPath,
    *,
    target: str | int = "label",
    has_header: bool = True,
    one_hot: bool = False,
    n_classes: int | None = None,
    delimiter: str = ",",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]:
    r"""Load features and targets from a CSV file of numbers.

    Parameters
    ----------
    path : str or os.PathLike
        The file, UTF-8 text.
    target : str or int, default "label"
        The target column: its name in the header, or its 0-based position
        (negative counts from the end, so -1 is the last column).
    has_header : bool, default True
        Whether the first non-blank line holds the column names.  Without a header,
        ``target`` must be an index and the features are named ``x1, x2, …``.
    one_hot : bool, default False
        Treat the target as class labels 0, 1, …, k-1 and return one-hot rows.
    n_classes : int, optional
        Number of classes k for ``one_hot``; default: the largest label + 1.
    delimiter : str, default ","
        Field separator (";" or "\t" for some exports).

    Returns
    -------
    X : numpy.ndarray of float64, shape (n, d)
        The feature columns, in file order without the target column.
    T : numpy.ndarray of float64, shape (n, 1) or (n, k)
        The target column as a column vector (a regression value, or a 0/1 label for one
        sigmoid output; ``T[:, 0].astype(int)`` gives integer labels), or with
        ``one_hot=True`` one row per sample with 1.0 in the label's column.
    feature_names : list of str
        The names of the columns of ``X``.

    Raises
    ------
    EmptyDataError
        If the file has no lines, or a header but no data rows.
    MissingFileError
        If there is no such file.
    PathError
        If the path is a FIFO, device or socket, a link loop, or cannot be read.
    FileFormatError
        If the file is not UTF-8 text, a row has a different number of fields than the
        first, a value is not a number, a header name is empty or repeated, the CSV
        quoting is broken, or (with ``one_hot``) a target is not a whole number ≥ 0, is
        ≥ ``n_classes``, or is ≥ :data:`~graphnet.datasets.prep.MAX_CLASSES`.
    NonFiniteError
        If a value is NaN or infinite.
    UnknownNameError
        If ``target`` names a column the header does not have (the known ones are listed).
    ShapeError
        If a target index is out of range, or there is no feature column.
    IncompatibleError
        If ``target`` is a name but ``has_header=False``, or ``n_classes`` is given
        without ``one_hot=True``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = path.write_text("0.5,1.5,2\n-1,0,0\n")
    >>> X, T, names = load_csv(path, target=-1, has_header=False, one_hot=True)
    >>> names, T.tolist()
    (['x1', 'x2'], [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    """
    if n_classes is not None and not one_hot:
        raise IncompatibleError(f"n_classes={n_classes!r} is only used with one_hot=True")
    name = os.fspath(path)
    rows = _read_rows(path, delimiter)
    if not rows:
        raise EmptyDataError(f"{name!r}: expected a header line and data rows, got an empty file")

    header: list[str] | None = None
    if has_header:
        header_line, header = rows[0]
        with _in_file(name):
            _check_header(header, header_line)
        rows = rows[1:]
        if not rows:
            raise EmptyDataError(f"{name!r}: expected data rows after the header on line {header_line}, got none")
    width = len(header) if header is not None else len(rows[0][1])
    target_column = _target_index(target, header, width)
    if width < 2:
        raise ShapeError(f"{name!r}: expected at least one feature column besides the target, got {width} column(s)")

    for line, fields in rows:
        if len(fields) != width:
            where = "the header" if header is not None else f"line {rows[0][0]}"
            raise FileFormatError(f"{name!r}, line {line}: expected {width} fields (as in {where}), got {len(fields)}")

    column_labels = [f"column {header[i]!r}" if header is not None else f"column {i + 1}" for i in range(width)]
    with _in_file(name):
        table = _parse_table(rows, column_labels)

    feature_columns = [i for i in range(width) if i != target_column]
    features = table[:, feature_columns]
    feature_names = [header[i] for i in feature_columns] if header is not None else [f"x{k}" for k in range(1, width)]
    target_values = table[:, target_column]
    if not one_hot:
        return features, target_values.reshape(-1, 1), feature_names

    with _in_file(name):
        targets = _one_hot_targets(target_values, rows, column_labels[target_column], n_classes)
    return features, targets, feature_names
