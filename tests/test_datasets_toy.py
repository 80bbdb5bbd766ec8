"""Tests for graphnet.datasets.toy: seeded data sets with checkable shapes, and decision-boundary pictures."""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from rich.console import Console
from rich.text import Text

from graphnet.datasets.toy import (
    TOY_NAMES,
    MissingDependencyError,
    decision_boundary_png,
    decision_boundary_text,
    toy_dataset,
)
from graphnet.math.errors import EmptyDataError, GraphnetError, NonFiniteError, ShapeError, UnknownNameError


def test_the_five_playground_sets() -> None:
    assert set(TOY_NAMES) == {"circle", "xor", "gauss", "spiral", "two_moons"}


@given(name=st.sampled_from(TOY_NAMES), n_samples=st.integers(2, 300), seed=st.integers(0, 2**32 - 1))
def test_shapes_balance_and_determinism(name: str, n_samples: int, seed: int) -> None:
    X, labels = toy_dataset(name, n_samples, seed=seed)
    assert X.dtype == np.float64 and X.shape == (n_samples, 2)
    assert labels.dtype == np.int64 and labels.shape == (n_samples,)
    assert int(labels.sum()) == n_samples // 2 and set(labels.tolist()) == {0, 1}
    assert np.isfinite(X).all()
    X2, labels2 = toy_dataset(name, n_samples, seed=seed)
    assert_array_equal(X, X2)
    assert_array_equal(labels, labels2)


@pytest.mark.parametrize("name", TOY_NAMES)
def test_another_seed_gives_other_numbers(name: str) -> None:
    X, _ = toy_dataset(name, 50, seed=0)
    X_other, _ = toy_dataset(name, 50, seed=1)
    assert not np.allclose(X, X_other)


def test_a_generator_can_be_passed() -> None:
    X, _ = toy_dataset("spiral", 20, seed=np.random.default_rng(9))
    assert_array_equal(X, toy_dataset("spiral", 20, seed=9)[0])


def test_classes_are_shuffled_together() -> None:
    _, labels = toy_dataset("gauss", 200)
    assert 0 < labels[:100].sum() < 100


def radius(X: np.ndarray) -> np.ndarray:
    return np.hypot(X[:, 0], X[:, 1])


def test_clean_circle() -> None:
    X, labels = toy_dataset("circle", 400, noise=0.0)
    assert radius(X[labels == 1]).max() <= 0.5
    assert radius(X[labels == 0]).min() >= 0.7 and radius(X[labels == 0]).max() <= 1.0


def test_clean_xor_follows_the_sign_rule() -> None:
    X, labels = toy_dataset("xor", 400, noise=0.0)
    assert_array_equal(labels, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))
    assert np.abs(X).min() >= 0.05 and np.abs(X).max() <= 1.0


def test_clean_gauss_centres() -> None:
    X, labels = toy_dataset("gauss", 4000, noise=0.0)
    assert np.allclose(X[labels == 1].mean(axis=0), [0.5, 0.5], atol=0.02)
    assert np.allclose(X[labels == 0].mean(axis=0), [-0.5, -0.5], atol=0.02)
    assert np.allclose(X[labels == 1].std(axis=0), [0.2, 0.2], atol=0.02)


def test_clean_spiral_arms_are_half_a_turn_apart() -> None:
    X, labels = toy_dataset("spiral", 400, noise=0.0)
    r = radius(X)
    assert r.max() <= 1.0
    angle = np.arctan2(X[:, 0], X[:, 1])  # x = r sin θ, y = r cos θ
    phase = np.where(labels == 1, 0.0, np.pi)
    expected = 2 * np.pi * 1.75 * r + phase
    assert np.allclose(np.angle(np.exp(1j * (angle - expected))), 0.0, atol=1e-9)


def test_clean_two_moons_lie_on_their_arcs() -> None:
    X, labels = toy_dataset("two_moons", 400, noise=0.0)
    original = X * 1.5 + np.array([0.5, 0.25])  # undo the documented centring and shrinking
    upper, lower = original[labels == 0], original[labels == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and (upper[:, 1] >= -1e-12).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0) and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_noise_moves_points_by_about_its_size() -> None:
    clean, _ = toy_dataset("circle", 2000, noise=0.0, seed=4)
    noisy, _ = toy_dataset("circle", 2000, noise=0.3, seed=4)
    # the same seed draws the same clean points, so the difference is the noise itself
    assert abs(np.std(noisy - clean) - 0.3) < 0.02
    assert abs(np.mean(noisy - clean)) < 0.02


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (
            lambda: toy_dataset("moons"),
            UnknownNameError,
            "unknown toy data set 'moons'; known: circle, gauss",
        ),
        (lambda: toy_dataset("xor", 1), GraphnetError, "n_samples: expected an integer ≥ 2"),
        (lambda: toy_dataset("xor", noise=-0.1), GraphnetError, "noise: expected a standard deviation ≥ 0"),
        (lambda: toy_dataset("xor", noise=float("nan")), NonFiniteError, "noise"),
    ],
)
def test_invalid_arguments(call, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call()


def right_is_one(points: np.ndarray) -> np.ndarray:
    """Probability of class 1: certain right of x = 0, certain left of it."""
    return (points[:, 0] > 0).astype(np.float64)


CORNERS = np.array([[-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])  # top left, bottom right, top right
CORNER_LABELS = np.array([0, 1, 1])


def render(text: Text) -> list[str]:
    console = Console(record=True, width=100, color_system="truecolor", file=io.StringIO())
    console.print(text)
    return console.export_text().splitlines()


def test_text_heatmap_regions_and_points() -> None:
    text = decision_boundary_text(right_is_one, CORNERS, CORNER_LABELS, width=40, height=10)
    lines = render(text)
    assert len(lines) == 10 and all(len(line) == 40 for line in lines)

    # the plotted area is the points' range plus 10 % each side: x and y in [-1.2, 1.2]
    def cell(x: float, y: float) -> str:
        return lines[int((1.2 - y) / 2.4 * 10)][int((x + 1.2) / 2.4 * 40)]

    assert [cell(x, y) for x, y in CORNERS] == ["0", "1", "1"]
    middle = lines[5]
    assert set(middle[:20]) == {"."} and set(middle[20:]) == {":"}  # class 0 left, class 1 right
    assert sum(ch.isdigit() for line in lines for ch in line) == 3


def test_text_heatmap_colours_each_region() -> None:
    text = decision_boundary_text(right_is_one, CORNERS, CORNER_LABELS, width=10, height=4)
    backgrounds = {}
    for span in text.spans:
        style = span.style
        assert not isinstance(style, str)
        assert style.bgcolor is not None
        backgrounds.setdefault(text.plain[span.start], set()).add(style.bgcolor.get_truecolor())
    orange, blue = backgrounds["."].pop(), backgrounds[":"].pop()
    assert orange.red > orange.blue and blue.blue > blue.red


def test_text_heatmap_with_class_scores_and_mixed_cells() -> None:
    def three_bands(points: np.ndarray) -> np.ndarray:
        return np.stack([-points[:, 1], np.zeros(len(points)), points[:, 1]], axis=1)  # top 2, middle 1, bottom 0

    X = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, -1.0]])  # two points of different classes share a cell
    lines = decision_boundary_text(three_bands, X, np.array([2, 0, 1]), width=12, height=12).plain.splitlines()
    assert "*" in lines[0]
    assert set(lines[0].replace("*", "")) == {"-"} and set(lines[-1].replace("1", "")) == {"."}


@pytest.mark.parametrize(
    ("predict", "error", "fragment"),
    [
        (lambda p: np.zeros(len(p) + 1), ShapeError, r"expected an array of shape \(80,\)"),
        (lambda p: np.zeros((len(p), 2, 2)), ShapeError, "got shape"),
        (lambda p: np.full(len(p), np.nan), NonFiniteError, "predict"),
    ],
)
def test_bad_predictions(predict, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        decision_boundary_text(predict, CORNERS, CORNER_LABELS, width=10, height=8)


def test_bad_points() -> None:
    with pytest.raises(ShapeError, match=r"X: expected shape \(n, 2\)"):
        decision_boundary_text(right_is_one, np.zeros((3, 3)), CORNER_LABELS)
    with pytest.raises(ShapeError, match="expected 3 labels"):
        decision_boundary_text(right_is_one, CORNERS, np.array([0, 1]))
    with pytest.raises(EmptyDataError):
        decision_boundary_text(right_is_one, np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(GraphnetError, match="width"):
        decision_boundary_text(right_is_one, CORNERS, CORNER_LABELS, width=1)


def png_size(path: Path) -> tuple[int, int]:
    content = path.read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def test_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    X, labels = toy_dataset("two_moons", 60, seed=2)
    path = decision_boundary_png(right_is_one, X, labels, tmp_path / "moons.png", resolution=50, dpi=50)
    assert path == tmp_path / "moons.png"
    assert png_size(path) == (300, 330)  # 6 × 6.6 inches: the legend below the square plot


def test_png_without_matplotlib_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "graphnet\[plot\]"') as caught:
        decision_boundary_png(right_is_one, CORNERS, CORNER_LABELS, tmp_path / "x.png")
    assert isinstance(caught.value, GraphnetError) and isinstance(caught.value, ImportError)
    assert not (tmp_path / "x.png").exists()
