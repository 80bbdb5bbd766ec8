"""The graphnet file container: an ``.npz`` of ``.npy`` members, a JSON header and its checksum.

This module knows bytes and files, not networks: what the header and the arrays mean is
:mod:`graphnet.tools.networkheader`'s (which checks a read header and says which arrays it
announces) and :mod:`graphnet.tools.networkfiles`'s (which builds the network).

Contents
--------
- :func:`write_file` and :func:`read_file`: a header and float64 arrays to a file and back;
- :func:`write_atomically` and :func:`check_writable`: the atomic write every file goes through;
- :func:`encode_rng_state` and :func:`decode_rng_state`: a random generator's state as JSON.

File format (version 2)
-----------------------
A standard numpy ``.npz`` file (an uncompressed zip archive of ``.npy`` members), written
without pickle; ``numpy.load(path, allow_pickle=False)`` opens it too.  The name is used as
given (no ``.npz`` is appended).

==============  ======================================================================
member          content
==============  ======================================================================
``header.npy``  uint8 array: the UTF-8 JSON header (fields in :mod:`graphnet.tools.networkheader`)
``W1.npy`` …    float64 weights of layer 1, 2, …, shape (n_out, n_in): ``W[j, i]`` is w_ji
``b1.npy`` …    float64 biases of layer 1, 2, …, shape (n_out,) (absent without bias)
``F_W1.npy`` …  float64 optimizer state F of W1 (its shape), one per field F of the
                optimizer's state: ``velocity`` (momentum, nesterov), ``square_sum``
                (adagrad), ``square_mean`` (rmsprop), ``first_moment`` and
                ``second_moment`` (adam); ``F_b1.npy`` … likewise for the biases
==============  ======================================================================

The header always holds ``format`` (``"graphnet"``), ``format_version`` (2), ``arrays``
(name, dtype and shape of every array member) and ``checksum``: ``{"algorithm": "sha256",
"value": …}`` over the rest of the header (as compact JSON with sorted keys) and every
array's name, dtype, shape and bytes.  Every member is stored with the same timestamp, so the
same content always gives the same bytes.

Safety
------
A file is parsed, never executed.  The path is checked first
(:func:`~graphnet.math.validation.check_input_file`: a missing file is a
:class:`~graphnet.math.errors.MissingFileError`, also a ``FileNotFoundError``; a link loop,
a FIFO or device, or a read the system fails, such as ``/proc/self/mem``, a
:class:`~graphnet.math.errors.PathError`), and the file is opened without blocking.  Reading
refuses with :class:`~graphnet.math.errors.FileFormatError` anything that is not exactly such
a file: not a zip archive, a truncated archive or member, a damaged member, a member twice, a
member holding Python objects (pickled data: never unpickled), a member larger than its shape
allows, a header that is not UTF-8 JSON of finite numbers, an ``arrays`` list that is not the
members, a checksum mismatch (tampering or bit rot), or a ``format_version`` newer than this
graphnet reads.  A checksum proves a file unchanged, not sound: what the fields and arrays
may hold is checked by :mod:`graphnet.tools.networkheader`, a generator state by
:func:`decode_rng_state`.

Writes are checked before any work (:func:`check_writable`) and atomic: the bytes go to a
temporary file in the target's folder (a symbolic link's target: the link stays), which is
flushed and ``fsync``-ed, then renamed over the target with ``os.replace``; the folder is
``fsync``-ed too where the system allows.  A save interrupted at any moment leaves the
previous file as it was (at worst a stray ``.NAME.*.tmp`` file next to it); a write the system
refuses (disk full, …) is a :class:`~graphnet.math.errors.PathError`.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import json
import math
import os
import secrets
import stat
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.math.errors import FileFormatError, GraphnetError, IncompatibleError, MissingFileError, PathError
from graphnet.math.validation import check_input_file, check_output_file, check_path

#: The format this graphnet writes, and the newest it reads.
FORMAT_VERSION = 2
#: Value of the header's ``format`` field.
FORMAT_NAME = "graphnet"
#: Largest header member read (a checkpoint's history of a very long run fits easily).
MAX_HEADER_BYTES = 64 * 2**20
#: Room for the ``.npy`` preamble of a member beyond its data (numpy's is at most 64 KiB).
NPY_HEADER_ROOM = 2**16 + 64
#: Zip timestamp of every member, so the same network always gives the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: numpy bit generators whose state a file may restore (by name; nothing else is looked up).
BIT_GENERATORS: dict[str, type[np.random.BitGenerator]] = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

Header = dict[str, Any]
Arrays = dict[str, NDArray[np.float64]]
PathArg = str | os.PathLike[str]
#: ``layout(header, path)``: check a read header, and give the name and shape of every array it announces.
Layout = Callable[[Header, Path], Mapping[str, tuple[int, ...]]]


# ---------------------------------------------------------------------- checksum and generator states
def checksum(header: Header, arrays: Arrays) -> str:
    """SHA-256 over the header without its checksum (compact, sorted JSON) and every array."""
    body = {key: value for key, value in header.items() if key != "checksum"}
    digest = hashlib.sha256(canonical_json(body))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.data)
    return digest.hexdigest()


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def encode_rng_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A bit generator's state as JSON: numpy arrays become ``{"ndarray": [...], "dtype": ...}``."""

    def encode(value: object) -> object:
        if isinstance(value, Mapping):
            return {str(key): encode(item) for key, item in value.items()}
        if isinstance(value, np.ndarray):
            return {"ndarray": value.tolist(), "dtype": value.dtype.name}
        if isinstance(value, np.integer):
            return int(value)
        return value

    encoded = encode(state)
    assert isinstance(encoded, dict)
    return encoded


def decode_rng_state(state: object) -> dict[str, Any]:
    """Inverse of :func:`encode_rng_state`, accepting only a known generator's state of the right shape.

    The state must have exactly the fields of a fresh generator of that kind, every array of
    the same dtype and length, and every whole number in its range (:data:`RNG_INT_BOUNDS`):
    a short key or a position past the key is refused here, before numpy reads it.
    """
    name = state.get("bit_generator") if isinstance(state, dict) else state
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise FileFormatError(f"unknown random generator {name!r:.40}; known: {', '.join(BIT_GENERATORS)}")
    decoded = _decode_like(state, BIT_GENERATORS[name]().state, "rng")
    assert isinstance(decoded, dict)
    try:  # let numpy check the state on a scratch generator of that kind
        BIT_GENERATORS[name]().state = decoded
    except (ValueError, TypeError, KeyError, OverflowError, IndexError) as error:
        raise FileFormatError(f"invalid {name} generator state ({error})") from None
    return decoded


#: Largest value of a generator state's whole numbers, by field (any other: :data:`RNG_INT_LIMIT`).
RNG_INT_BOUNDS = {"pos": 624, "buffer_pos": 4, "has_uint32": 1, "uinteger": 2**32 - 1}
#: Largest value of a generator state's other whole numbers (PCG64's 128-bit state and increment).
RNG_INT_LIMIT = 2**128 - 1


def _decode_like(value: object, template: object, where: str) -> object:
    """``value`` decoded, with the fields, dtypes and lengths of ``template`` (a fresh generator's state)."""

    def fail(expected: str) -> FileFormatError:
        return FileFormatError(f"the generator state's {where} must be {expected}; got {value!r:.60}")

    def whole(item: object, limit: int) -> bool:
        return isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= limit

    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise fail(f"a dict of the fields {sorted(template)}")
        return {key: _decode_like(value[key], template[key], f"{where}.{key}") for key in template}
    if isinstance(template, np.ndarray):
        dtype, size = template.dtype.name, template.size
        if not (
            isinstance(value, dict)
            and value.keys() == {"ndarray", "dtype"}
            and value["dtype"] == dtype
            and isinstance(value["ndarray"], list)
            and len(value["ndarray"]) == size
        ):
            raise fail(f'{{"ndarray": [{size} whole numbers], "dtype": "{dtype}"}}')
        limit = int(np.iinfo(template.dtype).max)
        if not all(whole(item, limit) for item in value["ndarray"]):
            raise fail(f"{size} whole numbers in [0, {limit}]")
        return np.array(value["ndarray"], dtype=template.dtype)
    if isinstance(template, str):
        if value != template:
            raise fail(repr(template))
        return value
    limit = RNG_INT_BOUNDS.get(where.rsplit(".", 1)[-1], RNG_INT_LIMIT)
    if not whole(value, limit):
        raise fail(f"a whole number in [0, {limit}]")
    return value


# ---------------------------------------------------------------------- writing
def write_file(path: PathArg, header: Header, arrays: Arrays, *, name: str = "path") -> None:
    """Write ``header`` (plus its ``arrays`` list and ``checksum``) and ``arrays`` to ``path``, atomically."""
    header = dict(header)
    header["arrays"] = [
        {"name": member, "dtype": array.dtype.str, "shape": list(array.shape)} for member, array in arrays.items()
    ]
    header["checksum"] = {"algorithm": "sha256", "value": checksum(header, arrays)}
    header_bytes = np.frombuffer(canonical_json(header), dtype=np.uint8)
    members: dict[str, NDArray[Any]] = {"header": header_bytes, **arrays}

    def write(handle: IO[bytes]) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for member, array in members.items():
                info = zipfile.ZipInfo(f"{member}.npy", date_time=ZIP_DATE_TIME)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=array.nbytes > 2**30) as stream:
                    np.lib.format.write_array(stream, array, allow_pickle=False)

    write_atomically(path, write, name=name)


def write_atomically(path: PathArg, write: Callable[[IO[bytes]], None], *, name: str = "path") -> None:
    """Call ``write(handle)`` on a temporary file next to ``path``, fsync it, then rename it over ``path``.

    ``path`` is checked first (:func:`check_writable`); a symbolic link's target is what gets
    replaced, and the link stays.  Either the whole new file is in place afterwards, or (after
    any failure, including a crash) the previous file is untouched.

    Raises
    ------
    PathError
        If the system refuses the write (disk full, quota, I/O error, …): the previous file is untouched.
    """
    target = check_writable(path, name=name)
    try:
        descriptor, temporary = _create_temporary(target)
    except OSError as error:
        raise PathError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and not isinstance(error, GraphnetError):
            raise PathError(
                f"cannot write {path}: {error.strerror or error}; the previous file, if any, is untouched"
            ) from None
        raise
    _fsync_folder(target.parent)


def check_writable(path: PathArg, *, name: str = "path") -> Path:
    """Refuse early, before any work, a file name that cannot be written; give the file to write.

    :func:`graphnet.math.validation.check_output_file`: the folder is missing
    (:class:`~graphnet.math.errors.MissingFileError`), the name is a folder
    (:class:`~graphnet.math.errors.IncompatibleError`), or the folder takes no new file, the name
    is too long, or it is a FIFO or device (:class:`~graphnet.math.errors.PathError`).  A
    symbolic link gives the file it points to.
    """
    return check_output_file(path, name=name)


def _create_temporary(path: Path) -> tuple[int, Path]:
    """Create ``.NAME.<random>.tmp`` next to ``path`` (mode 0666 minus the umask, like any new file)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(temporary, flags, 0o666), temporary


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable: fsync the folder (POSIX; silently skipped where unsupported)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# ---------------------------------------------------------------------- reading
def read_file(path: PathArg, layout: Layout, *, name: str = "path") -> tuple[Header, Arrays]:
    """Open, check and parse a graphnet file: the header, then every array, then the checksum.

    Parameters
    ----------
    path : str or os.PathLike
        Checked first (:func:`graphnet.math.validation.check_input_file`); opened so that
        nothing blocks (a FIFO put there afterwards is refused, not waited on).
    layout : callable
        ``layout(header, path)`` checks the header's fields, ``checksum`` among them (raising
        :class:`~graphnet.math.errors.FileFormatError`), and gives the name and shape of every
        float64 array the header announces; the file must hold exactly these members, each
        once, and the header's ``arrays`` must list exactly them.
    name : str
        What ``path`` is called in messages.

    Returns
    -------
    (dict, dict)
        The header and the arrays by name, in ``layout``'s order.

    Raises
    ------
    MissingFileError, PathError
        If there is no such file, or it cannot be read (a link loop, a FIFO or device, an I/O error).
    FileFormatError
        If it is a folder or not exactly a graphnet file.
    """
    checked = check_path(path, name=name)
    try:
        check_input_file(checked, name=name)
    except IncompatibleError:  # check_input_file's one IncompatibleError: a folder
        raise FileFormatError(f"{checked} is a folder; expected a graphnet .npz file") from None
    with _open_for_reading(checked) as handle:
        try:
            start = handle.read(4)
            if start != b"PK\x03\x04":
                raise FileFormatError(
                    f"{checked} is not a graphnet file: expected a zip archive (.npz) starting with "
                    f"b'PK\\x03\\x04'; got {start!r}"
                )
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                header, arrays = _read_archive(archive, layout, checked)
        except GraphnetError:
            raise
        except _UnreadableError as error:
            raise PathError(f"cannot read {checked}: {error.args[0]}") from None
        except Exception as error:
            # A damaged archive fails in zipfile, zlib, struct or numpy's .npy parser with many
            # exception types; each one means "not a readable graphnet file", and nothing ran.
            raise FileFormatError(
                f"{checked} is truncated or damaged: expected a complete zip archive; "
                f"got {type(error).__name__}: {error}"
            ) from None
    value = checksum(header, arrays)
    if value != header["checksum"]["value"]:
        raise FileFormatError(
            f"{checked} failed its checksum: it was changed after it was written (tampered with or damaged); "
            f"expected SHA-256 {header['checksum']['value'][:16]}…, got {value[:16]}…"
        )
    return header, arrays


def _read_archive(archive: zipfile.ZipFile, layout: Layout, path: Path) -> tuple[Header, Arrays]:
    """The header and arrays of an open archive: each member once, exactly the ones the header announces."""
    names = archive.namelist()
    if len(names) != len(set(names)):
        twice = sorted(member for member, count in collections.Counter(names).items() if count > 1)[:5]
        raise FileFormatError(f"{path} holds the member(s) {twice} more than once; expected each member once")
    header = _read_json_header(archive, path)
    shapes = layout(header, path)
    expected = {f"{member}.npy" for member in ("header", *shapes)}
    if set(names) != expected:
        raise FileFormatError(f"{path} must hold exactly the members {sorted(expected)}; got {sorted(names)[:12]}")
    listed = header.get("arrays")
    announced = [{"name": n, "dtype": "<f8", "shape": list(s)} for n, s in sorted(shapes.items())]
    if (
        not isinstance(listed, list)
        or sorted(listed, key=lambda e: str(e.get("name", "")) if isinstance(e, dict) else "") != announced
    ):
        raise FileFormatError(
            f"{path}: header field 'arrays' must list the members {sorted(shapes)}, each float64 ('<f8') of "
            f"its shape; got {listed!r:.200}"
        )
    arrays = {
        member: _read_npy(archive, member, path, dtype=np.dtype("<f8"), shape=shape) for member, shape in shapes.items()
    }
    return header, arrays


class _UnreadableError(Exception):
    """Reading a file failed in the system (an I/O error, ``/proc/self/mem``), not in its contents."""


class _GuardedReader(io.BufferedReader):
    """A file whose read errors say so (:class:`_UnreadableError`), apart from a damaged archive's."""

    def read(self, size: int | None = -1, /) -> bytes:
        try:
            return super().read(size)
        except OSError as error:
            raise _UnreadableError(error.strerror or str(error)) from None


def _open_for_reading(path: Path) -> _GuardedReader:
    """Open without blocking (O_NONBLOCK: a FIFO swapped in after the check does not hang), a regular file only."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        raw = io.FileIO(os.open(path, flags), "rb", closefd=True)
    except FileNotFoundError:
        raise MissingFileError(f"no such file: {path}") from None
    except OSError as error:
        raise PathError(f"cannot read {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
        raw.close()
        raise PathError(f"cannot read {path}: it is not a regular file (a FIFO, device or socket); expected a file")
    return _GuardedReader(raw)


def _read_member(archive: zipfile.ZipFile, name: str, path: Path, *, max_bytes: int) -> bytes:
    try:
        info = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise FileFormatError(
            f"{path} has no member {name}.npy; got members {sorted(archive.namelist())[:10]}"
        ) from None
    if info.file_size > max_bytes:
        raise FileFormatError(f"{path}: {name}.npy holds {info.file_size} bytes; expected at most {max_bytes}")
    return archive.read(info)  # checks the CRC-32


def _read_npy(
    archive: zipfile.ZipFile, name: str, path: Path, *, dtype: np.dtype[Any], shape: tuple[int, ...] | None
) -> NDArray[Any]:
    """One ``.npy`` member, checked (dtype, shape, length) before numpy reads it without pickle."""
    expected_bytes = MAX_HEADER_BYTES if shape is None else math.prod(shape) * dtype.itemsize
    data = _read_member(archive, name, path, max_bytes=expected_bytes + NPY_HEADER_ROOM)
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        found_shape, _, found_dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        found_shape, _, found_dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise FileFormatError(f"{path}: {name}.npy has .npy version {version}; expected (1, 0) or (2, 0)")
    if found_dtype.hasobject:
        raise FileFormatError(
            f"{path}: {name}.npy holds Python objects (pickled data, dtype {found_dtype}); graphnet files "
            "hold numbers only, and pickled data is never loaded"
        )
    if found_dtype != dtype:
        raise FileFormatError(f"{path}: {name}.npy must hold {dtype}; got {found_dtype}")
    if shape is not None and found_shape != shape:
        raise FileFormatError(f"{path}: {name}.npy must have shape {shape} for this architecture; got {found_shape}")
    if shape is None and len(found_shape) != 1:
        raise FileFormatError(f"{path}: {name}.npy must be 1-D; got shape {found_shape}")
    data_bytes = math.prod(found_shape) * dtype.itemsize
    if len(data) - stream.tell() != data_bytes:
        raise FileFormatError(
            f"{path}: {name}.npy must hold {data_bytes} bytes of data; got {len(data) - stream.tell()} (truncated?)"
        )
    stream.seek(0)
    array: NDArray[Any] = np.lib.format.read_array(stream, allow_pickle=False)
    return np.ascontiguousarray(array)


def _read_json_header(archive: zipfile.ZipFile, path: Path) -> Header:
    """The header member as JSON, checked to be a graphnet file of a version this graphnet reads."""
    raw = _read_npy(archive, "header", path, dtype=np.dtype(np.uint8), shape=None)
    try:
        header = json.loads(raw.tobytes().decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # ValueError: JSON, > 4300 digits
        raise FileFormatError(f"{path}: the header is not valid UTF-8 JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise FileFormatError(f"{path} is not a graphnet file: expected format {FORMAT_NAME!r}; got {found!r:.60}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileFormatError(f"{path}: format_version must be a whole number ≥ 1; got {version!r:.60}")
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{path} has format version {version}, written by a newer graphnet "
            f"({header.get('graphnet_version')!r:.20}); this graphnet reads up to version {FORMAT_VERSION}: upgrade"
        )
    return header


def _no_constant(text: str) -> float:
    raise FileFormatError(f"the header holds {text}; a graphnet header holds finite numbers only")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise FileFormatError(f"the header holds the number {text:.40}, beyond the float64 range; expected finite ones")
    return number
