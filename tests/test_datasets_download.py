"""Tests for graphnet.datasets.download against HTTP servers on 127.0.0.1 (no internet)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from graphnet.datasets.download import MNIST_MIRRORS, MNIST_SHA256, download_file, download_mnist
from graphnet.datasets.idx import write_idx
from graphnet.datasets.mnist import MNIST_FILES, load_mnist
from graphnet.math.errors import FileFormatError, GraphnetError


@dataclass
class Site:
    """What the loopback server serves: URL path -> body; paths under /slow/ stall."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            if self.path.startswith("/slow/"):
                site.release.wait(5)  # longer than the client's timeout
            body = site.files.get(self.path)
            try:
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (time-out test)
                pass

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    """A server on 127.0.0.1 with a free port; yields the site and its base URL."""
    contents = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(contents))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield contents, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        contents.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"  # nothing listens there now


MiniMnist = tuple[dict[str, bytes], dict[str, str], dict[str, np.ndarray]]


@pytest.fixture
def mini_mnist(tmp_path_factory: pytest.TempPathFactory) -> MiniMnist:
    """Four small gzip IDX files under the real MNIST names, with their digests."""
    rng = np.random.default_rng(3)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 2, dtype=np.uint8),
    }
    source = tmp_path_factory.mktemp("source")
    bodies = {}
    for stem, array in arrays.items():
        write_idx(source / f"{stem}.gz", array)
        bodies[f"{stem}.gz"] = (source / f"{stem}.gz").read_bytes()
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in bodies.items()}
    return bodies, digests, arrays


def serve(site: Site, folder: str, bodies: dict[str, bytes]) -> None:
    for name, body in bodies.items():
        site.files[f"/{folder}/{name}"] = body


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_default_digests_and_mirrors_match_the_file_names() -> None:
    assert set(MNIST_SHA256) == {stem + ".gz" for pair in MNIST_FILES.values() for stem in pair}
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in MNIST_SHA256.values())
    assert MNIST_MIRRORS[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert all(m.startswith("https://") and m.endswith("/") for m in MNIST_MIRRORS)


def test_download_then_load(site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path) -> None:
    server, base = site
    bodies, digests, arrays = mini_mnist
    serve(server, "mnist", bodies)
    target = tmp_path / "target"
    messages: list[str] = []
    paths = download_mnist(target, mirrors=[f"{base}/mnist/"], checksums=digests, timeout=5, log=messages.append)
    assert list(paths) == list(digests)
    for name, path in paths.items():
        assert path == target / name and path.read_bytes() == bodies[name]
    assert leftovers(target) == sorted(digests)  # no temporary files
    assert any("saved from" in m for m in messages)
    images, labels = load_mnist(target, kind="train")
    assert_array_equal(labels, arrays["train-labels-idx1-ubyte"])
    assert_array_equal(images, arrays["train-images-idx3-ubyte"].reshape(6, 784) / 255.0)


def test_present_and_verified_files_are_not_fetched_again(
    site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path
) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    serve(server, "mnist", bodies)
    download_mnist(tmp_path / "t", mirrors=[base + "/mnist"], checksums=digests, timeout=5)
    assert len(server.requests) == 4
    download_mnist(tmp_path / "t", mirrors=[base + "/mnist"], checksums=digests, timeout=5)
    assert len(server.requests) == 4


def test_a_corrupt_local_file_is_replaced(site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    serve(server, "mnist", bodies)
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / name).write_bytes(b"damaged")
    path = download_file(name, tmp_path, mirrors=[base + "/mnist/"], sha256=digests[name], timeout=5)
    assert path.read_bytes() == bodies[name]


def test_falls_back_to_the_second_mirror_on_404(site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    serve(server, "second", bodies)
    paths = download_mnist(tmp_path / "t", mirrors=[f"{base}/first/", f"{base}/second/"], checksums=digests, timeout=5)
    assert all(p.read_bytes() == bodies[n] for n, p in paths.items())
    first_file = next(iter(digests))
    assert server.requests[:2] == [f"/first/{first_file}", f"/second/{first_file}"]
    assert leftovers(tmp_path / "t") == sorted(digests)


def test_falls_back_when_the_first_mirror_refuses_or_stalls(
    site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path
) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    serve(server, "good", bodies)
    name = "train-labels-idx1-ubyte.gz"
    messages: list[str] = []
    path = download_file(
        name,
        tmp_path,
        mirrors=[closed_port_url(), f"{base}/slow/", f"{base}/good/"],
        sha256=digests[name],
        timeout=0.5,
        log=messages.append,
    )
    assert path.read_bytes() == bodies[name]
    assert sum("failed" in m for m in messages) == 2
    assert leftovers(tmp_path) == [name]


def test_checksum_mismatch_raises_and_leaves_nothing(
    site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path
) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    name = "train-images-idx3-ubyte.gz"
    server.files[f"/evil/{name}"] = bodies[name][:-1] + bytes([bodies[name][-1] ^ 0xFF])
    target = tmp_path / "t"
    with pytest.raises(FileFormatError) as caught:
        download_file(name, target, mirrors=[f"{base}/evil/"], sha256=digests[name], timeout=5)
    assert f"expected SHA-256 {digests[name]}, got " in str(caught.value)
    assert isinstance(caught.value, GraphnetError)
    assert leftovers(target) == []


def test_a_tampered_mirror_is_skipped(site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    name = "t10k-images-idx3-ubyte.gz"
    server.files[f"/evil/{name}"] = b"not the file"
    server.files[f"/good/{name}"] = bodies[name]
    path = download_file(name, tmp_path, mirrors=[f"{base}/evil/", f"{base}/good/"], sha256=digests[name], timeout=5)
    assert path.read_bytes() == bodies[name]
    assert leftovers(tmp_path) == [name]


def test_every_mirror_missing_is_a_connection_error(
    site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path
) -> None:
    _, base = site
    _, digests, _ = mini_mnist
    name = "train-labels-idx1-ubyte.gz"
    with pytest.raises(ConnectionError) as caught:
        download_file(name, tmp_path, mirrors=[f"{base}/a/", f"{base}/b/"], sha256=digests[name], timeout=5)
    message = str(caught.value)
    assert f"{base}/a/{name}: HTTP 404" in message and f"{base}/b/{name}: HTTP 404" in message
    assert leftovers(tmp_path) == []


def test_an_over_long_body_is_cut_off(site: tuple[Site, str], mini_mnist: MiniMnist, tmp_path: Path) -> None:
    server, base = site
    bodies, digests, _ = mini_mnist
    name = "train-images-idx3-ubyte.gz"
    serve(server, "m", bodies)
    with pytest.raises(FileFormatError, match="expected at most 100 bytes"):
        download_file(name, tmp_path, mirrors=[f"{base}/m/"], sha256=digests[name], timeout=5, max_bytes=100)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "mirrors", "digest", "fragment"),
    [
        ("../x.gz", ["http://127.0.0.1:1/"], "0" * 64, "plain name"),
        ("x.gz", ["file:///etc/"], "0" * 64, "http:// or https://"),
        ("x.gz", "http://127.0.0.1:1/", "0" * 64, "list of URLs"),
        ("x.gz", [], "0" * 64, "list of URLs"),
        ("x.gz", ["http://127.0.0.1:1/"], "abc", "64 hexadecimal digits"),
    ],
)
def test_malformed_arguments(tmp_path: Path, name: str, mirrors: list[str], digest: str, fragment: str) -> None:
    with pytest.raises(GraphnetError, match=fragment):
        download_file(name, tmp_path, mirrors=mirrors, sha256=digest)
    assert leftovers(tmp_path) == []


def test_empty_checksums(tmp_path: Path) -> None:
    with pytest.raises(GraphnetError, match="checksums"):
        download_mnist(tmp_path, checksums={})
