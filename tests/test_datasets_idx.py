"""Tests for graphnet.datasets.idx: round trips, the exact byte layout, and every kind of bad file."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal

from graphnet.datasets.idx import read_idx, read_labelled_images, write_idx
from graphnet.math.errors import FileFormatError, ShapeError

SUPPORTED = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_bytes(type_code: int, shape: tuple[int, ...], data: bytes) -> bytes:
    """An IDX file built by hand, independently of write_idx."""
    return bytes([0, 0, type_code, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) + data


@given(
    array=hnp.arrays(
        dtype=st.sampled_from(SUPPORTED),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    ),
    compress=st.booleans(),
)
def test_round_trip_returns_the_written_array(array: np.ndarray, compress: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data-idx"
        write_idx(path, array, compress=compress)
        assert path.read_bytes().startswith(b"\x1f\x8b") == compress
        back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert_array_equal(back, array)  # NaN compares equal to NaN here
    assert back.flags.writeable


def test_mnist_image_header_layout(tmp_path: Path) -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
    write_idx(tmp_path / "images", images)
    content = (tmp_path / "images").read_bytes()
    assert content[:4] == b"\x00\x00\x08\x03"  # magic 0x00000803
    assert struct.unpack(">III", content[4:16]) == (2, 28, 28)
    assert content[16:] == images.tobytes()


def test_labels_header_layout(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert (tmp_path / "labels").read_bytes() == idx_bytes(0x08, (3,), bytes([7, 2, 1]))


def test_multibyte_values_are_big_endian(tmp_path: Path) -> None:
    write_idx(tmp_path / "v", np.array([1, -2, 300], dtype=np.int16))
    assert (tmp_path / "v").read_bytes()[8:] == struct.pack(">hhh", 1, -2, 300)
    (tmp_path / "f").write_bytes(idx_bytes(0x0D, (2,), struct.pack(">ff", 1.5, -0.25)))
    values = read_idx(tmp_path / "f")
    assert values.dtype == np.float32 and values.dtype.isnative
    assert values.tolist() == [1.5, -0.25]


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    labels = np.array([3, 1, 4], dtype=np.uint8)
    raw = idx_bytes(0x08, (3,), labels.tobytes())
    (tmp_path / "plain-name").write_bytes(gzip.compress(raw))
    (tmp_path / "fake.gz").write_bytes(raw)
    assert_array_equal(read_idx(tmp_path / "plain-name"), labels)
    assert_array_equal(read_idx(tmp_path / "fake.gz"), labels)


def test_compress_defaults_to_the_gz_suffix_and_is_reproducible(tmp_path: Path) -> None:
    labels = np.array([5, 0], dtype=np.uint8)
    write_idx(tmp_path / "a.gz", labels)
    write_idx(tmp_path / "b", labels)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == (tmp_path / "b").read_bytes()
    write_idx(tmp_path / "c.gz", labels)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "c.gz").read_bytes()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\x00\x00", "got 2 bytes"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "got 0x01000801"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x00", "got 0x00000701"),
        (b"\x00\x00\x08\x00", "got 0x00000800"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "truncated header"),
        (idx_bytes(0x08, (2, 2, 2), bytes(7)), "expected 8 bytes after the 16-byte header"),
        (idx_bytes(0x08, (3,), bytes(5)), "2 extra bytes"),
        (idx_bytes(0x0B, (2,), bytes(3)), "truncated data: expected 4 bytes"),
    ],
)
def test_bad_files_raise_file_format_error(tmp_path: Path, content: bytes, fragment: str) -> None:
    for name, data in (("raw", content), ("zipped", gzip.compress(content))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(FileFormatError, match="expected") as caught:
            read_idx(path)
        assert fragment in str(caught.value)
        assert repr(str(path)) in str(caught.value)


def test_truncated_gzip_stream_raises(tmp_path: Path) -> None:
    compressed = gzip.compress(idx_bytes(0x08, (100,), bytes(range(100))))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(FileFormatError, match="gzip"):
        read_idx(path)


def test_expected_dimensions_are_checked(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels", np.zeros(4, dtype=np.uint8))
    with pytest.raises(FileFormatError, match=r"expected 3 dimension\(s\) \(magic 0x00000803\), got 1"):
        read_idx(tmp_path / "labels", ndim=3)
    assert read_idx(tmp_path / "labels", ndim=1).shape == (4,)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing")


@pytest.mark.parametrize(
    ("array", "error"),
    [
        (np.array([True, False]), FileFormatError),
        (np.array([1, 2], dtype=np.int64), FileFormatError),
        (np.array(5, dtype=np.uint8), ShapeError),
    ],
)
def test_write_refuses_what_idx_cannot_store(tmp_path: Path, array: np.ndarray, error: type) -> None:
    with pytest.raises(error, match="expected|IDX stores"):
        write_idx(tmp_path / "x", array)
    assert not (tmp_path / "x").exists()


def test_labelled_images_pair(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (6, 4, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 6, dtype=np.uint8)
    write_idx(tmp_path / "i.gz", images)
    write_idx(tmp_path / "l", labels)
    got_images, got_labels = read_labelled_images(tmp_path / "i.gz", tmp_path / "l")
    assert_array_equal(got_images, images)
    assert_array_equal(got_labels, labels)


def test_labelled_images_count_mismatch(tmp_path: Path) -> None:
    write_idx(tmp_path / "i", np.zeros((5, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "l", np.zeros(4, dtype=np.uint8))
    with pytest.raises(FileFormatError, match="holds 5 images but .* holds 4 labels"):
        read_labelled_images(tmp_path / "i", tmp_path / "l")


def test_labelled_images_swapped_files(tmp_path: Path) -> None:
    write_idx(tmp_path / "i", np.zeros((5, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "l", np.zeros(5, dtype=np.uint8))
    with pytest.raises(FileFormatError, match="expected 3 dimension"):
        read_labelled_images(tmp_path / "l", tmp_path / "i")


def test_labelled_images_must_be_uint8(tmp_path: Path) -> None:
    write_idx(tmp_path / "i", np.zeros((2, 2, 2), dtype=np.int16))
    write_idx(tmp_path / "l", np.zeros(2, dtype=np.uint8))
    with pytest.raises(FileFormatError, match="expected uint8 images"):
        read_labelled_images(tmp_path / "i", tmp_path / "l")
