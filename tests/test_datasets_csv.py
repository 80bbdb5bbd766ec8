"""Tests for graphnet.datasets.csv: values against an independent parse, errors naming line and column."""

from __future__ import annotations

import math
import os
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from graphnet.datasets.csv import load_csv
from graphnet.datasets.prep import MAX_CLASSES, check_class_labels
from graphnet.math.errors import (
    EmptyDataError,
    FileFormatError,
    GraphnetError,
    IncompatibleError,
    NonFiniteError,
    PathError,
    ShapeError,
    UnknownNameError,
)

TABLE = "x1,label,x2\n0.5,1,-2\n1.5,0,3.25\n-4,2,8\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_target_by_name_in_the_middle(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    X, T, names = load_csv(path)
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    assert names == ["x1", "x2"]
    assert X.dtype == np.float64 and T.dtype == np.float64
    assert_array_equal(X, table[:, [0, 2]])
    assert_array_equal(T, table[:, [1]])


def test_target_by_index_and_negative_index(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    X, T, names = load_csv(path, target=-1)
    assert names == ["x1", "label"]
    assert_array_equal(X, [[0.5, 1], [1.5, 0], [-4, 2]])
    assert_array_equal(T.ravel(), [-2, 3.25, 8])
    X0, T0, _ = load_csv(path, target=0)
    assert_array_equal(T0.ravel(), [0.5, 1.5, -4])
    assert_array_equal(X0, [[1, -2], [0, 3.25], [2, 8]])


def test_one_hot_targets(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    _, T, _ = load_csv(path, one_hot=True)
    assert_array_equal(T, np.eye(3)[[1, 0, 2]])
    _, T5, _ = load_csv(path, one_hot=True, n_classes=5)
    assert_array_equal(T5, np.eye(5)[[1, 0, 2]])


def test_one_hot_label_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    with pytest.raises(
        FileFormatError, match=r"line 4, column 'label': expected a class label below n_classes=2, got 2"
    ):
        load_csv(path, one_hot=True, n_classes=2)
    path = write(tmp_path, "a,label\n1,0\n2,0.5\n")
    with pytest.raises(FileFormatError, match=r"line 3, column 'label': expected a class label .* got 0.5"):
        load_csv(path, one_hot=True)
    with pytest.raises(IncompatibleError, match="one_hot=True"):
        load_csv(path, n_classes=3)


def test_headerless_file(tmp_path: Path) -> None:
    path = write(tmp_path, "1,2,0\n3,4,1\n")
    X, T, names = load_csv(path, has_header=False, target=-1)
    assert names == ["x1", "x2"]
    assert_array_equal(X, [[1, 2], [3, 4]])
    assert_array_equal(T, [[0], [1]])
    with pytest.raises(IncompatibleError, match="has_header=False"):
        load_csv(path, has_header=False)
    with pytest.raises(FileFormatError, match=r"line 2, column 3: expected a number, got 'z'"):
        load_csv(write(tmp_path, "1,2,0\n3,4,z\n"), has_header=False, target=0)


def test_blank_lines_spaces_bom_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa ; label\n\n 1 ; 0 \n\n2;1\n".encode())
    X, T, names = load_csv(path, delimiter=";")
    assert names == ["a"]
    assert_array_equal(X, [[1], [2]])
    assert_array_equal(T, [[0], [1]])


def test_non_number_message_names_line_and_column(tmp_path: Path) -> None:
    text = "x1,x2,label\n1,2,0\n\n3,abc,1\n"  # the bad value is on line 4 (line 3 is blank)
    path = write(tmp_path, text)
    with pytest.raises(FileFormatError) as caught:
        load_csv(path)
    assert str(caught.value) == f"{str(path)!r}, line 4, column 'x2': expected a number, got 'abc'"  # the file named


def test_empty_field(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="line 2, column 'x2': expected a number, got an empty field"):
        load_csv(write(tmp_path, "x1,x2,label\n1,,0\n"))


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "NaN"])
def test_non_finite_values(tmp_path: Path, value: str) -> None:
    with pytest.raises(NonFiniteError, match=rf"line 3, column 'x1': expected a finite number, got '{value}'"):
        load_csv(write(tmp_path, f"x1,label\n1,0\n{value},1\n"))


def test_ragged_row(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match=r"line 3: expected 3 fields \(as in the header\), got 2"):
        load_csv(write(tmp_path, "x1,x2,label\n1,2,0\n3,1\n"))


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("", EmptyDataError, "empty file"),
        ("\n\n  \n", EmptyDataError, "empty file"),
        ("x1,label\n", EmptyDataError, "after the header on line 1"),
        ("x1,x2\n1,2\n", UnknownNameError, "unknown target column 'label'; known: x1, x2"),
        ("label\n1\n", ShapeError, "at least one feature column"),
        ("x1,x1,label\n1,2,3\n", FileFormatError, "'x1' twice"),
        ("x1,,label\n1,2,3\n", FileFormatError, "line 1, column 2: expected a column name"),
        ('x1,label\n"1"2,0\n', FileFormatError, "line 2"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        load_csv(write(tmp_path, text))


def test_numbers_in_the_header_line_suggest_has_header_false(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="the first line holds numbers: pass has_header=False"):
        load_csv(write(tmp_path, "1,2,0\n3,4,1\n"))


def test_target_index_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match="from -3 to 2; the file has 3 columns"):
        load_csv(write(tmp_path, TABLE), target=3)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(rows=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=8))
def test_values_round_trip_exactly(rows: list[list[float]]) -> None:
    text = "a,b,label\n" + "".join(",".join(repr(v) for v in row) + "\n" for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.csv"
        path.write_text(text)
        X, T, _ = load_csv(path)
    table = np.array(rows, dtype=np.float64)
    assert_array_equal(X, table[:, :2])
    assert_array_equal(T, table[:, 2:])


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (
            "x1,label\n0,1\n".encode("utf-16"),
            "got byte 0xff at line 1, byte 1 (offset 0) (the file starts with a UTF-16",
        ),
        (
            "x1,label\n0,1\n".encode("utf-16-le"),
            "got byte 0x00 at line 1, byte 2 (offset 1) (a NUL byte: UTF-16 or binary data)",
        ),
        ("x1,label\n0,1\né,2\n".encode("latin-1"), "got byte 0xe9 at line 3, byte 1 (offset 13)"),
        (b"\xef\xbb\xbfx1,label\n0,1\n1,\xff\n", "got byte 0xff at line 3, byte 3 (offset 18)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "got byte 0x89 at line 1, byte 1 (offset 0)"),
    ],
    ids=["utf-16", "utf-16-le", "latin-1", "bom-then-bad", "binary"],
)
def test_a_file_that_is_not_utf8_is_one_error_naming_where(tmp_path: Path, data: bytes, where: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    with pytest.raises(FileFormatError) as info:
        load_csv(path)
    message = str(info.value)
    assert message.startswith(f"{str(path)!r}: expected UTF-8 text, ") and where in message, message


@given(
    lines=st.lists(st.from_regex(r"[0-9a-z,é€ ]{0,12}", fullmatch=True), min_size=1, max_size=6),
    data=st.data(),
)
def test_the_first_byte_that_is_not_utf8_is_found_at_its_line_and_byte(lines: list[str], data: st.DataObject) -> None:
    # a valid UTF-8 text, then one byte UTF-8 never uses (0xff, 0xfe, 0xc0, 0xc1, 0xf8..) placed after a whole line
    line = data.draw(st.integers(0, len(lines) - 1))
    bad = data.draw(st.sampled_from([0xFF, 0xFE, 0xC0, 0xC1, 0xF8, 0x80]))
    prefix = data.draw(st.integers(0, len(lines[line])))
    encoded = [text.encode("utf-8") for text in lines]
    head = lines[line][:prefix].encode("utf-8")  # whole characters only
    encoded[line] = head + bytes([bad]) + lines[line][prefix:].encode("utf-8")
    blob = b"\n".join(encoded) + b"\n"
    expected_offset = sum(len(e) + 1 for e in encoded[:line]) + len(head)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        path.write_bytes(blob)
        with pytest.raises(FileFormatError) as info:
            load_csv(path)
    assert f"got byte 0x{bad:02x} at line {line + 1}, byte {len(head) + 1} (offset {expected_offset})" in str(
        info.value
    )


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(PathError, match="not a regular file"):
        load_csv(fifo)


labels_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-5, max_value=2 * MAX_CLASSES).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["0.5", "-1", "1e9", "1e300", "-0.0", "999", "1000", "2.0", "1e3", "nan", "-inf"]),
)


@given(values=st.lists(labels_text, min_size=1, max_size=6))
def test_csv_labels_are_one_hot_exactly_when_each_is_a_class(values: list[str]) -> None:
    numbers = [float(v) for v in values]
    first_bad = next(
        (i for i, x in enumerate(numbers) if not (math.isfinite(x) and x == math.floor(x) and 0 <= x < MAX_CLASSES)),
        None,
    )
    text = "x1,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.csv"
        path.write_text(text, encoding="utf-8")
        if first_bad is not None:
            with pytest.raises((FileFormatError, NonFiniteError)) as info:
                load_csv(path, one_hot=True)
            # the first bad value of the kind checked first is named; it is on some data line, quoted as written
            assert "column 'label': expected a" in str(info.value) and "-9.22" not in str(info.value)
            return
        _, T, _ = load_csv(path, one_hot=True)
    classes = [int(x) for x in numbers]
    assert T.shape == (len(values), max(classes) + 1)
    assert_array_equal(T, np.eye(max(classes) + 1)[classes])


@pytest.mark.parametrize(
    ("labels", "n_classes", "fragment"),
    [
        ([0.0, 0.5], None, "labels[1]: expected a class label (a whole number ≥ 0), got 0.5"),
        ([0, -1], None, "labels[1]: expected a class label (a whole number ≥ 0), got -1"),
        ([1e9], None, "labels[0]: expected a class label below 1000"),
        ([1e300], None, "got 1e+300"),
        ([np.nan], None, "labels[0]: expected a finite class label, got nan"),
        ([3], 3, "labels[0]: expected a class label below n_classes=3, got 3"),
        ([0], 10**9, "n_classes: expected an integer from 1 to 1000"),
        ([0], 0, "n_classes: expected an integer from 1 to 1000"),
        ([0], True, "n_classes: expected an integer from 1 to 1000"),
    ],
)
def test_check_class_labels_names_the_first_bad_label(
    labels: list[float], n_classes: int | None, fragment: str
) -> None:
    with pytest.raises(GraphnetError) as info:
        check_class_labels(labels, n_classes=n_classes)
    assert fragment in str(info.value)


def test_a_label_of_1e9_allocates_nothing_large(tmp_path: Path) -> None:
    path = write(tmp_path, "x1,label\n" + "".join(f"{i},{i % 3}\n" for i in range(2999)) + "1,1e9\n")
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"line 3001, column 'label': expected a class label below 1000"):
            load_csv(path, one_hot=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20  # the 22 GiB one-hot array is never asked for (a few hundred KiB here)
