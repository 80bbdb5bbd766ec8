"""Download the full MNIST set, verified by SHA-256, from a list of mirrors.

Nothing in graphnet needs the network: the bundled subset
(:func:`graphnet.datasets.load_bundled_mnist`) works offline.  This module is for
learners who want all 70,000 images.

How a file is fetched (:func:`download_file`):

1. If the target already exists with the right SHA-256 digest, nothing is fetched.
2. Each mirror is tried in order, with a timeout; the first that serves the file with
   the right digest wins.  Failures (HTTP errors, refused connections, time-outs, wrong
   digest, over-long bodies) are collected and the next mirror is tried.
3. The body is streamed into a hidden temporary file in the target folder while its
   SHA-256 is computed; only a verified file is renamed into place, atomically
   (:func:`os.replace`), so a half-written or tampered file never sits under the real
   name, and a failed download leaves nothing behind.

Only ``http`` and ``https`` URLs are accepted, and ``urllib`` is the only client.

Contents
--------
download_mnist
    The four MNIST ``.gz`` files into a folder (what :func:`load_mnist` reads).
download_file
    One named file from a list of mirrors, verified by SHA-256.
MNIST_MIRRORS, MNIST_SHA256
    The default mirrors and the known digests.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TypeAlias

from graphnet.math.errors import DownloadError, FileFormatError, GraphnetError

StrPath: TypeAlias = str | os.PathLike[str]

MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
"""Default mirrors, tried in order; each holds the four files under their usual names."""

# SHA-256 digests of the original gzip files (sizes 9,912,422 / 28,881 / 1,648,877 /
# 4,542 bytes).  Source: tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt
# (commit 31f1255e57e519a6c004f0b097a2f5cfcf0dde7d); the same four digests appear in
# several independent projects' MNIST download code.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""File name -> SHA-256 hex digest of the file as served (gzip-compressed)."""

DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for a mirror to connect or to send the next block."""

DEFAULT_MAX_BYTES = 64 * 2**20
"""A mirror that sends more than this (64 MiB; the largest MNIST file is 9.5 MB) is cut off."""

_CHUNK_SIZE = 2**16
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_name(name: str) -> None:
    if not name or name != Path(name).name or name.startswith(".") or "\\" in name:
        raise GraphnetError(f"file name: expected a plain name without folders, got {name!r}")


def _check_mirrors(mirrors: Sequence[str]) -> list[str]:
    if isinstance(mirrors, str) or not mirrors:
        raise GraphnetError(f"mirrors: expected a non-empty list of URLs, got {mirrors!r}")
    checked = []
    for mirror in mirrors:
        scheme = urllib.parse.urlsplit(mirror).scheme
        if scheme not in ("http", "https"):
            raise GraphnetError(f"mirror {mirror!r}: expected an http:// or https:// URL")
        checked.append(mirror if mirror.endswith("/") else mirror + "/")
    return checked


def _check_digest(name: str, sha256: str) -> str:
    digest = sha256.lower() if isinstance(sha256, str) else ""
    if not _HEX_DIGEST.fullmatch(digest):
        raise GraphnetError(f"checksum for {name!r}: expected 64 hexadecimal digits, got {sha256!r}")
    return digest


def _fetch_into(url: str, stream: BinaryIO, *, timeout: float, max_bytes: int) -> str:
    """Copy ``url``'s body into the open binary ``stream``; return the body's SHA-256."""
    digest = hashlib.sha256()
    size = 0
    request = urllib.request.Request(url, headers={"User-Agent": "graphnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        while block := response.read(_CHUNK_SIZE):
            size += len(block)
            if size > max_bytes:
                raise FileFormatError(f"{url}: expected at most {max_bytes} bytes, got more")
            digest.update(block)
            stream.write(block)
    return digest.hexdigest()


def download_file(
    name: str,
    folder: StrPath,
    *,
    mirrors: Sequence[str],
    sha256: str,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Fetch one file from the first mirror that serves it with the expected SHA-256.

    Parameters
    ----------
    name : str
        The file name, appended to each mirror URL and used in ``folder``.
    folder : str or os.PathLike
        Where the file goes; created if missing.
    mirrors : sequence of str
        Base URLs (http or https), tried in order; a missing trailing ``/`` is added.
    sha256 : str
        Expected SHA-256 digest, 64 hexadecimal digits.
    timeout : float, default 30.0
        Seconds to wait for each connection and each block.
    max_bytes : int, default 64 MiB
        Longest body accepted.
    log : callable, optional
        Called with one line of text per step (found, trying, failed, saved), for a
        caller that wants to show progress; the library itself prints nothing.

    Returns
    -------
    pathlib.Path
        ``folder / name``, verified.

    Raises
    ------
    FileFormatError
        If every mirror failed and at least one served data with the wrong digest (or
        too much of it): the file is corrupted or tampered with.  Nothing is left behind.
    DownloadError
        If every mirror failed to serve the file at all; the message lists each URL and
        its error.
    GraphnetError
        If an argument is malformed (name with folders, URL not http(s), bad digest).
    """
    _check_name(name)
    bases = _check_mirrors(mirrors)
    expected = _check_digest(name, sha256)
    if not timeout > 0:
        raise GraphnetError(f"timeout: expected a positive number of seconds, got {timeout!r}")
    say = log if log is not None else (lambda _message: None)

    target_folder = Path(folder).expanduser()
    target_folder.mkdir(parents=True, exist_ok=True)
    target = target_folder / name
    if target.is_file() and _sha256_of(target) == expected:
        say(f"{name}: already present and verified")
        return target

    failures: list[str] = []
    tampered = False
    for base in bases:
        url = urllib.parse.urljoin(base, urllib.parse.quote(name))
        say(f"{name}: trying {url}")
        handle, temporary_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=target_folder)
        temporary = Path(temporary_name)
        try:
            with os.fdopen(handle, "wb") as stream:
                actual = _fetch_into(url, stream, timeout=timeout, max_bytes=max_bytes)
                stream.flush()
                os.fsync(stream.fileno())
            if actual != expected:
                tampered = True
                failures.append(f"{url}: expected SHA-256 {expected}, got {actual}")
                say(f"{name}: wrong checksum from {url}")
                continue
            os.replace(temporary, target)
            say(f"{name}: saved from {url}")
            return target
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: HTTP {error.code} {error.reason}")
            error.close()  # it holds the response body open
        except FileFormatError as error:
            tampered = True
            failures.append(str(error))
        except (urllib.error.URLError, OSError) as error:  # refused, DNS, time-out, reset
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
        except http.client.HTTPException as error:  # malformed or cut-short response
            failures.append(f"{url}: {type(error).__name__} {error}")
        finally:
            temporary.unlink(missing_ok=True)
        say(f"{name}: failed: {failures[-1]}")

    summary = "; ".join(failures)
    if tampered:
        raise FileFormatError(f"{name}: no mirror served the expected file ({summary})")
    raise DownloadError(f"{name}: could not download from any mirror ({summary})")


def download_mnist(
    folder: StrPath,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = DEFAULT_TIMEOUT,
    log: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Download the four MNIST ``.gz`` files into ``folder``, each verified by SHA-256.

    Files already present with the right digest are kept; then
    ``load_mnist(folder)`` (or ``GRAPHNET_MNIST_DIR=folder``) reads the full set.

    Parameters
    ----------
    folder : str or os.PathLike
        Target folder; created if missing.
    mirrors : sequence of str, default :data:`MNIST_MIRRORS`
        Base URLs tried in order for each file.
    checksums : mapping of str to str, default :data:`MNIST_SHA256`
        File name -> expected SHA-256; these names are the files fetched.
    timeout : float, default 30.0
        Seconds to wait for each connection and each block.
    log : callable, optional
        Receives one line of text per step (see :func:`download_file`).

    Returns
    -------
    dict of str to pathlib.Path
        File name -> verified path, in the order of ``checksums``.

    Raises
    ------
    FileFormatError
        If a file arrived with the wrong digest from every mirror that served it.
    DownloadError
        If a file could not be fetched from any mirror.
    GraphnetError
        If ``checksums`` is empty or an argument is malformed.

    Examples
    --------
    >>> paths = download_mnist("~/mnist")  # doctest: +SKIP
    >>> images, labels = load_mnist("~/mnist", kind="test")  # doctest: +SKIP
    """
    if not checksums:
        raise GraphnetError("checksums: expected at least one file name and digest, got none")
    return {
        name: download_file(
            name,
            Path(folder).expanduser(),
            mirrors=mirrors,
            sha256=digest,
            timeout=timeout,
            log=log,
        )
        for name, digest in checksums.items()
    }
