"""Tests for graphnet.datasets.prep: one-hot rows, pixel scaling and two-class subsets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from graphnet.datasets.prep import binary_subset, one_hot, scale_unit
from graphnet.math.errors import EmptyDataError, GraphnetError, IncompatibleError, NonFiniteError, ShapeError


@given(
    data=st.data(),
    n_classes=st.integers(1, 12),
    on=st.floats(-2, 2),
    off=st.floats(-2, 2),
)
def test_one_hot_matches_identity_rows(data: st.DataObject, n_classes: int, on: float, off: float) -> None:
    labels = data.draw(st.lists(st.integers(0, n_classes - 1), min_size=1, max_size=30))
    targets = one_hot(np.array(labels), n_classes, on=on, off=off)
    expected = np.where(np.eye(n_classes, dtype=bool)[labels], on, off)
    assert targets.dtype == np.float64 and targets.shape == (len(labels), n_classes)
    assert_array_equal(targets, expected)


def test_soft_targets() -> None:
    assert_allclose(one_hot([2, 0], 3, on=0.9, off=0.1), [[0.1, 0.1, 0.9], [0.9, 0.1, 0.1]], rtol=0)


def test_one_hot_accepts_whole_floats_and_bools() -> None:
    assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])
    assert_array_equal(one_hot(np.array([True, False]), 2), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("labels", "n_classes", "error", "fragment"),
    [
        ([0, 3, 1], 3, GraphnetError, r"labels\[1\]: expected a class label in 0..2 \(n_classes=3\), got 3"),
        ([0, -1], 3, GraphnetError, r"labels\[1\]: .* got -1"),
        ([0.0, np.nan], 2, NonFiniteError, r"labels\[1\]"),
        ([0.5], 2, GraphnetError, "whole-number"),
        ([], 2, EmptyDataError, "empty"),
        ([[0, 1]], 2, ShapeError, r"shape \(1, 2\)"),
        (["a"], 2, GraphnetError, "integer class labels"),
        ([0], 0, GraphnetError, "n_classes"),
        ([0], True, GraphnetError, "n_classes"),
    ],
)
def test_one_hot_rejects_bad_labels(labels: object, n_classes: int, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        one_hot(labels, n_classes)  # type: ignore[arg-type]


def test_one_hot_rejects_non_finite_on() -> None:
    with pytest.raises(NonFiniteError, match="on"):
        one_hot([0], 2, on=float("inf"))


def test_scale_unit_uint8_is_division_by_255() -> None:
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    scaled = scale_unit(pixels)
    assert scaled.dtype == np.float64 and scaled.shape == (16, 16)
    assert_allclose(scaled, np.arange(256).reshape(16, 16) / 255.0, rtol=1e-15)
    assert scaled.min() == 0.0 and scaled.max() == 1.0


def test_scale_unit_accepts_other_numbers_in_range_and_copies() -> None:
    values = np.array([[0.0, 127.5], [255.0, 51.0]])
    scaled = scale_unit(values)
    assert_allclose(scaled, values / 255.0, rtol=1e-15)
    assert values[0, 1] == 127.5  # argument unchanged
    assert_allclose(scale_unit([0, 255]), [0.0, 1.0])


@pytest.mark.parametrize(
    ("images", "error", "fragment"),
    [
        (np.array([[0.0, np.nan]]), NonFiniteError, r"images\[0, 1\]"),
        (np.array([1, 256]), GraphnetError, r"images\[1\]: expected a pixel value in 0..255, got 256"),
        (np.array([-1.0]), GraphnetError, "got -1.0"),
        (np.zeros((0, 784), dtype=np.uint8), EmptyDataError, r"\(0, 784\)"),
        (np.array(["x"]), GraphnetError, "numeric"),
    ],
)
def test_scale_unit_rejects(images: np.ndarray, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        scale_unit(images)


def test_binary_subset_keeps_order_and_relabels() -> None:
    images = np.arange(14, dtype=np.float64).reshape(7, 2)
    labels = np.array([1, 7, 3, 7, 1, 1, 9])
    subset, binary = binary_subset(images, labels)
    keep = [0, 1, 3, 4, 5]
    assert_array_equal(subset, images[keep])
    assert_array_equal(binary, [0, 1, 1, 0, 0])
    assert binary.dtype == np.int64
    swapped_subset, swapped = binary_subset(images, labels, positive=1, negative=7)
    assert_array_equal(swapped_subset, subset)
    assert_array_equal(swapped, 1 - binary)


def test_binary_subset_with_one_hot_targets() -> None:
    _, binary = binary_subset(np.zeros((3, 1)), [3, 5, 3], positive=5, negative=3)
    assert_array_equal(one_hot(binary, 2), [[1, 0], [0, 1], [1, 0]])


def test_binary_subset_errors() -> None:
    with pytest.raises(IncompatibleError, match="different"):
        binary_subset(np.zeros((2, 1)), [1, 7], positive=1, negative=1)
    with pytest.raises(EmptyDataError, match=r"positive=7: expected samples .*\(labels present: 1, 3\)"):
        binary_subset(np.zeros((3, 1)), [1, 3, 1])
    with pytest.raises(ShapeError, match="expected 3 rows"):
        binary_subset(np.zeros((2, 1)), [1, 7, 1])
