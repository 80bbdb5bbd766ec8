"""Read and write IDX files, the format the original MNIST files come in.

An IDX file is a 4-byte magic number, one big-endian 32-bit size per dimension, then the
values in row-major (C) order, big-endian::

    offset  bytes  meaning
    0       2      0x00 0x00
    2       1      type of the values: 0x08 uint8, 0x09 int8, 0x0B int16,
                   0x0C int32, 0x0D float32, 0x0E float64
    3       1      number of dimensions d
    4       4·d    size of each dimension, big-endian uint32
    4+4·d   ...    the values

So the MNIST image files start with ``0x00000803`` (uint8, 3 dimensions: count, rows,
columns) and the label files with ``0x00000801`` (uint8, 1 dimension: count).  A file
may be gzip-compressed; :func:`read_idx` recognises that by its first two bytes
(``1f 8b``), not by its name.

Contents
--------
read_idx
    One IDX file (raw or gzip) as a numpy array, with every size checked.
write_idx
    An array as an IDX file (raw or gzip); handy for tests and small data sets.
read_labelled_images
    An image file and a label file that must agree (uint8, 3-D and 1-D, same count).

This module knows nothing about MNIST beyond the format; :mod:`graphnet.datasets.mnist`
finds the files and scales the pixels.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> labels = np.array([7, 2, 1], dtype=np.uint8)
>>> write_idx(folder / "labels-idx1-ubyte.gz", labels)
>>> read_idx(folder / "labels-idx1-ubyte.gz")
array([7, 2, 1], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from graphnet.math.errors import FileFormatError, MissingFileError, ShapeError

StrPath: TypeAlias = str | os.PathLike[str]

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of every gzip stream."""

IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""Type byte of the magic number -> big-endian dtype of the values."""

_TYPE_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
_MAX_DIMENSION = 2**32 - 1  # each size is an unsigned 32-bit integer


def _type_names() -> str:
    return ", ".join(f"0x{code:02X} {dtype.newbyteorder('=').name}" for code, dtype in IDX_TYPES.items())


def _read_bytes(path: StrPath) -> bytes:
    """Return the file's bytes, decompressed if they start with the gzip magic bytes."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise MissingFileError(f"{os.fspath(path)!r}: no such file") from None
    except OSError as error:
        raise FileFormatError(f"{os.fspath(path)!r}: cannot be read ({error.strerror})") from None
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise FileFormatError(
            f"{os.fspath(path)!r}: starts with the gzip magic bytes 1f 8b but is not a complete gzip stream ({error})"
        ) from error


def read_idx(path: StrPath, *, ndim: int | None = None) -> npt.NDArray[Any]:
    """Read one IDX file, raw or gzip-compressed, into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file.  Gzip compression is detected from the first two bytes (1f 8b), so the
        name does not matter.
    ndim : int, optional
        The number of dimensions the caller expects (3 for MNIST images, 1 for labels).
        ``None`` (default) accepts any.

    Returns
    -------
    numpy.ndarray
        A new, writable array in native byte order, shaped as the header says; uint8 for
        MNIST.

    Raises
    ------
    FileFormatError
        If the magic number is wrong (first two bytes not zero, unknown type byte, no
        dimensions, or not ``ndim`` dimensions), the header or the data is truncated,
        there are bytes after the data, or a gzip stream is broken.
    MissingFileError
        If there is no such file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grid-idx2-ubyte"
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path, ndim=2)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    name = os.fspath(path)
    content = _read_bytes(path)
    if len(content) < 4:
        raise FileFormatError(
            f"{name!r}: expected an IDX file of at least 4 bytes (the magic number), got {len(content)} bytes"
        )
    magic = int.from_bytes(content[:4], "big")
    zeros, type_code, n_dims = content[:2], content[2], content[3]
    if zeros != b"\x00\x00" or type_code not in IDX_TYPES or n_dims == 0:
        raise FileFormatError(
            f"{name!r}: expected an IDX magic number 0x0000TTDD (two zero bytes, a type "
            f"byte TT among {_type_names()}, and DD ≥ 1 dimensions), got 0x{magic:08X}"
        )
    if ndim is not None and n_dims != ndim:
        raise FileFormatError(
            f"{name!r}: expected {ndim} dimension(s) (magic 0x0000{type_code:02X}{ndim:02X}), "
            f"got {n_dims} (magic 0x{magic:08X})"
        )
    header_size = 4 + 4 * n_dims
    if len(content) < header_size:
        raise FileFormatError(
            f"{name!r}: truncated header: expected {header_size} header bytes for "
            f"{n_dims} dimensions, got a file of {len(content)} bytes"
        )
    shape = tuple(int.from_bytes(content[4 + 4 * axis : 8 + 4 * axis], "big") for axis in range(n_dims))
    dtype = IDX_TYPES[type_code]
    data_size = math.prod(shape) * dtype.itemsize
    given_size = len(content) - header_size
    shape_text = " x ".join(str(size) for size in shape)
    if given_size < data_size:
        raise FileFormatError(
            f"{name!r}: truncated data: expected {data_size} bytes after the "
            f"{header_size}-byte header ({shape_text} values of {dtype.newbyteorder('=').name}), "
            f"got {given_size}"
        )
    if given_size > data_size:
        raise FileFormatError(
            f"{name!r}: expected {data_size} bytes after the {header_size}-byte header "
            f"({shape_text} values of {dtype.newbyteorder('=').name}), got {given_size} "
            f"({given_size - data_size} extra bytes at the end)"
        )
    values = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native order


def write_idx(path: StrPath, array: npt.ArrayLike, *, compress: bool | None = None) -> None:
    """Write an array as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write; an existing file is replaced.
    array : array_like
        At least 1-D, of dtype uint8, int8, int16, int32, float32 or float64 (a Python
        list of ints becomes int64 and is refused: pass ``dtype=np.uint8`` yourself).
    compress : bool, optional
        Gzip the file.  ``None`` (default) compresses when the name ends in ``.gz``.
        The gzip header carries no time stamp, so equal arrays give equal bytes.

    Raises
    ------
    FileFormatError
        If IDX cannot store the dtype.
    ShapeError
        If the array is 0-dimensional, has more than 255 dimensions, or a size of
        2³² or more.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x-idx1-ubyte"
    >>> write_idx(path, np.array([1, 2], dtype=np.uint8))
    >>> path.read_bytes().hex(" ")
    '00 00 08 01 00 00 00 02 01 02'
    """
    values = np.asarray(array)
    native = values.dtype.newbyteorder("=")
    if native not in _TYPE_CODES:
        supported = ", ".join(dtype.name for dtype in _TYPE_CODES)
        raise FileFormatError(f"IDX cannot store dtype {values.dtype}; expected one of {supported}")
    if not 1 <= values.ndim <= 255:
        raise ShapeError(f"IDX stores 1 to 255 dimensions; got an array with {values.ndim}")
    if any(size > _MAX_DIMENSION for size in values.shape):
        raise ShapeError(f"IDX sizes must be below 2**32; got shape {values.shape}")
    type_code = _TYPE_CODES[native]
    header = bytes([0, 0, type_code, values.ndim]) + b"".join(size.to_bytes(4, "big") for size in values.shape)
    content = header + np.ascontiguousarray(values, dtype=IDX_TYPES[type_code]).tobytes()
    target = Path(path)
    if compress is None:
        compress = target.name.endswith(".gz")
    if compress:
        content = gzip.compress(content, mtime=0)
    target.write_bytes(content)


def read_labelled_images(
    images_path: StrPath, labels_path: StrPath
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Read an IDX image file and its IDX label file, checking that they belong together.

    Parameters
    ----------
    images_path : str or os.PathLike
        uint8 IDX file with 3 dimensions (count, rows, columns), magic ``0x00000803``.
    labels_path : str or os.PathLike
        uint8 IDX file with 1 dimension (count), magic ``0x00000801``.

    Returns
    -------
    images : numpy.ndarray of uint8, shape (n, rows, columns)
    labels : numpy.ndarray of uint8, shape (n,)

    Raises
    ------
    FileFormatError
        If either file is not valid IDX, has the wrong number of dimensions or a type
        other than uint8, or the two counts differ.
    """
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    for role, path, values in (("image", images_path, images), ("label", labels_path, labels)):
        if values.dtype != np.uint8:
            raise FileFormatError(f"{os.fspath(path)!r}: expected uint8 {role}s (type byte 0x08), got {values.dtype}")
    if images.shape[0] != labels.shape[0]:
        raise FileFormatError(
            f"count mismatch: {os.fspath(images_path)!r} holds {images.shape[0]} images but "
            f"{os.fspath(labels_path)!r} holds {labels.shape[0]} labels; expected the same count"
        )
    return images, labels
