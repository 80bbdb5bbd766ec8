"""Tests for graphnet.datasets.csv: values against an independent parse, errors naming line and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from graphnet.datasets.csv import load_csv
from graphnet.math.errors import (
    EmptyDataError,
    FileFormatError,
    IncompatibleError,
    NonFiniteError,
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
    with pytest.raises(FileFormatError) as caught:
        load_csv(write(tmp_path, text))
    assert str(caught.value) == "line 4, column 'x2': expected a number, got 'abc'"


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
