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
A file is parsed, never executed.  Reading refuses with :class:`~graphnet.math.errors.FileFormatError`
anything that is not exactly such a file: not a zip archive, a truncated archive or member,
a damaged member, a member holding Python objects (pickled data: never unpickled), a member
larger than its shape allows, a header that is not UTF-8 JSON, a checksum mismatch
(tampering or bit rot), or a ``format_version`` newer than this graphnet reads.  A missing
file raises :class:`~graphnet.math.errors.MissingFileError`, which is also a ``FileNotFoundError``.

Writes are atomic: the bytes go to a temporary file in the target's folder, which is
flushed and ``fsync``-ed, then renamed over the target with ``os.replace``; the folder is
``fsync``-ed too where the system allows.  A save interrupted at any moment leaves the
previous file as it was (at worst a stray ``.NAME.*.tmp`` file next to it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import secrets
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.math.errors import FileFormatError, GraphnetError, IncompatibleError, MissingFileError

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
def _checksum(header: Header, arrays: Arrays) -> str:
    """SHA-256 over the header without its checksum (compact, sorted JSON) and every array."""
    body = {key: value for key, value in header.items() if key != "checksum"}
    digest = hashlib.sha256(_canonical_json(body))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.data)
    return digest.hexdigest()


def _canonical_json(value: object) -> bytes:
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
    """Inverse of :func:`encode_rng_state`, accepting only known generators and integer arrays."""

    def decode(value: object, depth: int) -> object:
        if depth > 4:
            raise FileFormatError("the generator state is nested too deeply")
        if isinstance(value, dict):
            if set(value) == {"ndarray", "dtype"}:
                if value["dtype"] not in ("uint32", "uint64") or not isinstance(value["ndarray"], list):
                    raise FileFormatError(f"a generator state array must be uint32 or uint64; got {value['dtype']!r}")
                if not all(isinstance(item, int) and not isinstance(item, bool) for item in value["ndarray"]):
                    raise FileFormatError("a generator state array must hold whole numbers")
                try:
                    return np.array(value["ndarray"], dtype=value["dtype"])
                except OverflowError:
                    raise FileFormatError("a generator state array holds numbers out of range") from None
            return {key: decode(item, depth + 1) for key, item in value.items()}
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FileFormatError(f"a generator state holds whole numbers and names only; got {value!r:.40}")
        return value

    decoded = decode(state, 0)
    if not isinstance(decoded, dict) or decoded.get("bit_generator") not in BIT_GENERATORS:
        name = decoded.get("bit_generator") if isinstance(decoded, dict) else decoded
        raise FileFormatError(f"unknown random generator {name!r:.40}; known: {', '.join(BIT_GENERATORS)}")
    try:  # let numpy check the state on a scratch generator of that kind
        BIT_GENERATORS[decoded["bit_generator"]]().state = decoded
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise FileFormatError(f"invalid {decoded['bit_generator']} generator state ({error})") from None
    return decoded


# ---------------------------------------------------------------------- writing
def write_file(path: Path, header: Header, arrays: Arrays) -> None:
    """Write ``header`` (plus its ``arrays`` list and ``checksum``) and ``arrays`` to ``path``, atomically."""
    header = dict(header)
    header["arrays"] = [
        {"name": name, "dtype": array.dtype.str, "shape": list(array.shape)} for name, array in arrays.items()
    ]
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(header, arrays)}
    header_bytes = np.frombuffer(_canonical_json(header), dtype=np.uint8)
    members: dict[str, NDArray[Any]] = {"header": header_bytes, **arrays}

    def write(handle: IO[bytes]) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, array in members.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE_TIME)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=array.nbytes > 2**30) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    write_atomically(path, write)


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file next to ``path``, fsync it, then rename it over ``path``.

    Either the whole new file is in place afterwards, or (after any failure, including a
    crash) the previous file is untouched.
    """
    check_writable(path)
    folder = path.parent
    descriptor, temporary = _create_temporary(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def check_writable(path: Path) -> None:
    """Refuse early a file name that cannot be written: its folder is missing, or it is a folder."""
    if not path.parent.is_dir():
        raise MissingFileError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise IncompatibleError(f"cannot write {path}: it is a folder; expected a file name")


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
def read_file(path: Path, layout: Layout) -> tuple[Header, Arrays]:
    """Open, check and parse a graphnet file: the header, then every array, then the checksum.

    Parameters
    ----------
    path : Path
    layout : callable
        ``layout(header, path)`` checks the header's fields, ``checksum`` among them (raising
        :class:`~graphnet.math.errors.FileFormatError`), and gives the name and shape of every
        float64 array the header announces; the file must hold exactly these members.

    Returns
    -------
    (dict, dict)
        The header and the arrays by name, in ``layout``'s order.
    """
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise MissingFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path} is a folder; expected a graphnet .npz file") from None
    with handle:
        start = handle.read(4)
        if start != b"PK\x03\x04":
            raise FileFormatError(
                f"{path} is not a graphnet file: expected a zip archive (.npz) starting with b'PK\\x03\\x04'; "
                f"got {start!r}"
            )
        handle.seek(0)
        try:
            with zipfile.ZipFile(handle) as archive:
                header = _read_json_header(archive, path)
                shapes = layout(header, path)
                expected = {f"{name}.npy" for name in ("header", *shapes)}
                if set(archive.namelist()) != expected:
                    found = sorted(archive.namelist())[:12]
                    raise FileFormatError(f"{path} must hold exactly the members {sorted(expected)}; got {found}")
                arrays = {
                    name: _read_npy(archive, name, path, dtype=np.dtype("<f8"), shape=shape)
                    for name, shape in shapes.items()
                }
        except GraphnetError:
            raise
        except Exception as error:
            # A damaged archive fails in zipfile, zlib, struct or numpy's .npy parser with many
            # exception types; each one means "not a readable graphnet file", and nothing ran.
            raise FileFormatError(
                f"{path} is truncated or damaged: expected a complete zip archive; got {type(error).__name__}: {error}"
            ) from None
    value = _checksum(header, arrays)
    if value != header["checksum"]["value"]:
        raise FileFormatError(
            f"{path} failed its checksum: it was changed after it was written (tampered with or damaged); "
            f"expected SHA-256 {header['checksum']['value'][:16]}…, got {value[:16]}…"
        )
    return header, arrays


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
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
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
