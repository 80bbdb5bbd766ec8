"""Tests for graphnet.datasets.mnist: the bundled subset, its split, and reading a folder of IDX files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from rich.console import Console

from graphnet.datasets import mnist
from graphnet.datasets.idx import write_idx
from graphnet.datasets.mnist import ENV_VAR, digit_text, load_bundled_mnist, load_mnist
from graphnet.math.errors import EmptyDataError, FileFormatError, GraphnetError, ShapeError, UnknownNameError

DATA_FILE = Path(mnist.__file__).parent / "data" / "mnist_5k.npz"


@pytest.fixture(autouse=True)
def _no_mnist_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start as on a fresh machine: no GRAPHNET_MNIST_DIR."""
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_bundled_file_is_small_and_holds_500_of_each_digit() -> None:
    assert DATA_FILE.stat().st_size < 2 * 2**20
    with np.load(DATA_FILE, allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    assert images.dtype == np.uint8 and images.shape == (5000, 784)
    assert labels.dtype == np.uint8 and labels.shape == (5000,)
    assert_array_equal(np.bincount(labels, minlength=10), [500] * 10)
    assert images.max() == 255 and images.min() == 0
    assert len({row.tobytes() for row in images}) == 5000  # no duplicates


@pytest.mark.parametrize(("kind", "per_digit"), [("train", 400), ("test", 100)])
def test_bundled_split(kind: str, per_digit: int) -> None:
    images, labels = load_bundled_mnist(kind=kind)  # type: ignore[arg-type]
    assert images.dtype == np.float64 and images.shape == (10 * per_digit, 784)
    assert labels.dtype == np.int64
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert_array_equal(labels, np.tile(np.arange(10), per_digit))  # round-robin order


def test_split_follows_the_documented_rule() -> None:
    with np.load(DATA_FILE, allow_pickle=False) as archive:
        raw_images, raw_labels = archive["images"], archive["labels"]
    train, train_labels = load_bundled_mnist(kind="train")
    test, test_labels = load_bundled_mnist(kind="test")
    for digit in (0, 3, 9):
        rows = raw_images[raw_labels == digit]
        assert_allclose(train[train_labels == digit], rows[:400] / 255.0, rtol=1e-15)
        assert_allclose(test[test_labels == digit], rows[400:] / 255.0, rtol=1e-15)
    assert not {r.tobytes() for r in train} & {r.tobytes() for r in test}


def test_the_pictures_are_real_digits() -> None:
    """A nearest-class-mean classifier fit on train must do far better than chance on test."""
    train, train_labels = load_bundled_mnist(kind="train")
    test, test_labels = load_bundled_mnist(kind="test")
    means = np.stack([train[train_labels == d].mean(axis=0) for d in range(10)])
    distances = ((test[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    accuracy = (distances.argmin(axis=1) == test_labels).mean()
    assert accuracy > 0.7  # chance is 0.1; shuffled labels would fail
    ink = [train[train_labels == d].sum(axis=1).mean() for d in range(10)]
    assert int(np.argmin(ink)) == 1  # ones use the least ink


def test_n_samples_takes_a_balanced_prefix() -> None:
    images, labels = load_bundled_mnist(n_samples=30)
    full, full_labels = load_bundled_mnist()
    assert_array_equal(images, full[:30])
    assert_array_equal(labels, full_labels[:30])
    assert_array_equal(np.bincount(labels), [3] * 10)
    with pytest.raises(ShapeError, match="n_samples=1001, but the bundled test split holds only 1000"):
        load_bundled_mnist(kind="test", n_samples=1001)
    with pytest.raises(GraphnetError, match="n_samples"):
        load_bundled_mnist(n_samples=0)


def test_unknown_kind() -> None:
    with pytest.raises(UnknownNameError, match="unknown MNIST kind 'validation'; known: test, train"):
        load_mnist(kind="validation")  # type: ignore[arg-type]


def test_load_mnist_without_folder_uses_the_bundled_subset() -> None:
    images, labels = load_mnist(kind="test")
    bundled, bundled_labels = load_bundled_mnist(kind="test")
    assert_array_equal(images, bundled)
    assert_array_equal(labels, bundled_labels)


def make_folder(folder: Path, *, compress: bool, n_train: int = 7, n_test: int = 3) -> dict[str, np.ndarray]:
    """A miniature MNIST folder with random but known contents."""
    rng = np.random.default_rng(11)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / (name + ".gz" if compress else name), array)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_folder_of_idx_files(tmp_path: Path, compress: bool) -> None:
    arrays = make_folder(tmp_path, compress=compress)
    images, labels = load_mnist(tmp_path, kind="train")
    assert images.dtype == np.float64 and images.shape == (7, 784)
    assert_allclose(images, arrays["train-images-idx3-ubyte"].reshape(7, 784) / 255.0, rtol=1e-15)
    assert labels.dtype == np.int64
    assert_array_equal(labels, arrays["train-labels-idx1-ubyte"])
    test_images, test_labels = load_mnist(str(tmp_path), kind="test", n_samples=2)
    assert_allclose(test_images, arrays["t10k-images-idx3-ubyte"][:2].reshape(2, 784) / 255.0, rtol=1e-15)
    assert_array_equal(test_labels, arrays["t10k-labels-idx1-ubyte"][:2])


def test_environment_variable_and_argument_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = make_folder(tmp_path / "env", compress=True, n_train=5)
    make_folder(tmp_path / "arg", compress=False, n_train=4)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    _, labels = load_mnist()
    assert_array_equal(labels, from_env["train-labels-idx1-ubyte"])
    assert load_mnist(tmp_path / "arg")[1].shape == (4,)  # the argument wins
    assert load_bundled_mnist()[1].shape == (4000,)  # the bundled loader ignores the variable
    monkeypatch.setenv(ENV_VAR, "")
    assert load_mnist()[1].shape == (4000,)


def test_named_folder_without_files_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match="expected a file 'train-images-idx3-ubyte' or 'train-images"):
        load_mnist(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=f"environment variable {ENV_VAR}.*expected an existing folder"):
        load_mnist()


def test_mismatched_counts_in_folder(tmp_path: Path) -> None:
    make_folder(tmp_path, compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(6, dtype=np.uint8))
    with pytest.raises(FileFormatError, match="holds 7 images but .* holds 6 labels"):
        load_mnist(tmp_path)


def test_empty_files_in_folder(tmp_path: Path) -> None:
    make_folder(tmp_path, compress=False, n_train=0)
    with pytest.raises(EmptyDataError, match="hold no images"):
        load_mnist(tmp_path)


def test_digit_text_draws_the_digit() -> None:
    images, labels = load_bundled_mnist(kind="test", n_samples=2)
    assert labels[1] == 1
    text = digit_text(images[1])  # a one
    lines = text.plain.splitlines()
    assert len(lines) == 28 and all(len(line) == 56 for line in lines)
    ink_columns = [i for i in range(56) if any(line[i] != " " for line in lines)]
    assert len(ink_columns) < 28  # a one is narrow
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(text)
    assert [line.rstrip() for line in console.export_text().splitlines()] == [line.rstrip() for line in lines]
    as_bytes = np.round(images[1] * 255).astype(np.uint8)
    assert digit_text(as_bytes).plain == text.plain


def test_digit_text_shading_levels() -> None:
    assert digit_text(np.array([[0.0, 1.0], [0.5, 0.95]])).plain.splitlines() == ["  @@", "++@@"]


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (np.zeros(783), ShapeError),
        (np.zeros((2, 3)), ShapeError),
        (np.full(4, 1.5), GraphnetError),
        (np.full(4, np.nan), GraphnetError),
    ],
)
def test_digit_text_rejects(image: np.ndarray, error: type) -> None:
    with pytest.raises(error, match="image: expected"):
        digit_text(image)
