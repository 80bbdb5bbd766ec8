"""Paths: every read and every write is checked before any work, and fails with one clear GraphnetError.

We run as root in CI, where chmod 555 does not stop a write: a read-only folder is simulated
by refusing (EROFS) every file created in it (``read_only``); the real chmod test runs only
for other users.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import graphnet.tools.networkfiles
from graphnet import GraphnetError, Network
from graphnet.fast.network import FastNetwork
from graphnet.math.errors import FileFormatError, IncompatibleError, MissingFileError, PathError
from graphnet.tools.io import load_checkpoint, read_header

RNG = np.random.default_rng(4)
X = RNG.normal(size=(5, 3))
T = RNG.uniform(0.05, 0.95, size=(5, 2))


def make_net() -> Network:
    return Network([3, 4, 2], seed=2)


def loaders(path: Path) -> list:
    """Every way graphnet reads a file."""
    return [
        lambda: Network.load(path),
        lambda: read_header(path),
        lambda: load_checkpoint(path),
        lambda: make_net().train(X, T, rate=0.1, epochs=1, resume=path),
    ]


def assert_every_reader_raises(path: Path, error: type[Exception], match: str) -> None:
    for load in loaders(path):
        with pytest.raises(error, match=match) as info:
            load()
        assert isinstance(info.value, GraphnetError)


@pytest.fixture
def read_only(monkeypatch):
    """``read_only(folder)``: from now on the system refuses to create any file in ``folder`` (EROFS)."""

    def make(folder: Path) -> None:
        real_open = os.open

        def guarded(path, flags, *args, **kwargs):
            if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR) and Path(os.fsdecode(path)).parent == folder:
                raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", guarded)

    return make


def finishes(action, *, seconds: float = 30.0) -> BaseException | None:
    """Run ``action`` in a thread; it must finish (not block on a FIFO); give what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as error:  # handed back to the test
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked (on a FIFO?)"
    return raised[0] if raised else None


# ---------------------------------------------------------------------- reading
def test_a_symlink_loop_is_a_path_error_for_every_reader(tmp_path):
    loop = tmp_path / "loop.npz"
    os.symlink(loop, loop)
    assert_every_reader_raises(loop, PathError, "cannot read .*loop.npz: Too many levels of symbolic links")


def test_a_missing_file_a_dangling_link_and_a_folder_are_refused_by_every_reader(tmp_path):
    assert_every_reader_raises(tmp_path / "none.npz", MissingFileError, "no such file")
    os.symlink(tmp_path / "gone.npz", tmp_path / "dangling.npz")
    assert_every_reader_raises(tmp_path / "dangling.npz", MissingFileError, "no such file")
    assert_every_reader_raises(tmp_path, FileFormatError, "is a folder; expected a graphnet .npz file")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_proc_self_mem_a_regular_file_that_fails_on_read_is_a_path_error():
    assert_every_reader_raises(Path("/proc/self/mem"), PathError, "cannot read /proc/self/mem: Input/output error")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for load in loaders(fifo):
        error = finishes(load)
        assert isinstance(error, PathError) and "not a regular file (a FIFO" in str(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_put_there_after_the_check_does_not_block_either(tmp_path, monkeypatch):
    import graphnet.tools.fileformat

    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    monkeypatch.setattr(graphnet.tools.fileformat, "check_input_file", lambda path, name: path)  # the race lost
    error = finishes(lambda: Network.load(fifo))
    assert isinstance(error, PathError) and "not a regular file" in str(error)


def test_reading_through_a_symlink_reads_its_target(tmp_path):
    net = make_net()
    net.save(tmp_path / "real.npz")
    os.symlink("real.npz", tmp_path / "link.npz")  # relative, as ln -s makes it
    assert Network.load(tmp_path / "link.npz").get_flat_params().tobytes() == net.get_flat_params().tobytes()


# ---------------------------------------------------------------------- writing
def test_saving_into_a_missing_folder_a_too_long_name_or_a_fifo_is_one_clear_error(tmp_path):
    net = make_net()
    cases = [
        (tmp_path / "missing" / "net.npz", MissingFileError, "the folder .*missing does not exist"),
        (tmp_path / ("n" * 250 + ".npz"), PathError, r"the file name is too long \(254 bytes; at most"),
        (tmp_path, IncompatibleError, "it is a folder; expected a file name"),
    ]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.npz")
        cases.append((tmp_path / "pipe.npz", PathError, "not a regular file"))
    for path, error, match in cases:
        raised = finishes(lambda path=path: net.save(path))
        assert isinstance(raised, error) and isinstance(raised, GraphnetError), (path, raised)
        with pytest.raises(error, match=match):
            net.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["pipe.npz"] if hasattr(os, "mkfifo") else [])


def test_saving_into_a_read_only_folder_fails_before_any_work(tmp_path, read_only, monkeypatch):
    built = []
    real = graphnet.tools.networkfiles.network_arrays
    monkeypatch.setattr(graphnet.tools.networkfiles, "network_arrays", lambda n: (built.append(1), real(n))[1])
    read_only(tmp_path)
    with pytest.raises(PathError, match="cannot write .*net.npz: the folder .* takes no new file .Read-only") as info:
        make_net().save(tmp_path / "net.npz")
    assert isinstance(info.value, OSError) and built == [] and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a chmod 555 folder anyway")
def test_saving_into_a_really_read_only_folder_is_a_path_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PathError, match="takes no new file"):
            make_net().save(folder / "net.npz")
    finally:
        folder.chmod(0o755)


def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    old, new = make_net(), Network([3, 4, 2], seed=3)
    old.save(tmp_path / "real.npz")
    os.symlink("real.npz", tmp_path / "link.npz")
    new.save(tmp_path / "link.npz")
    assert os.readlink(tmp_path / "link.npz") == "real.npz"
    assert Network.load(tmp_path / "real.npz").get_flat_params().tobytes() == new.get_flat_params().tobytes()
    os.symlink(tmp_path / "later.npz", tmp_path / "dangling.npz")  # a dangling link: its target is created
    new.save(tmp_path / "dangling.npz")
    assert (tmp_path / "dangling.npz").is_symlink() and (tmp_path / "later.npz").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.npz", "later.npz", "link.npz", "real.npz"]


def test_saving_onto_a_symlink_loop_is_a_path_error(tmp_path):
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    with pytest.raises(PathError, match="Too many levels of symbolic links"):
        make_net().save(tmp_path / "a")


@pytest.mark.parametrize(
    ("where", "error"),
    [("fsync", OSError(errno.ENOSPC, "No space left on device")), ("write", OSError(errno.EIO, "Input/output error"))],
)
def test_an_os_error_during_the_write_is_a_path_error_and_the_old_file_stays(tmp_path, monkeypatch, where, error):
    path = tmp_path / "net.npz"
    old = make_net()
    old.save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise error

    if where == "fsync":
        monkeypatch.setattr(os, "fsync", fail)
    else:
        monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(PathError, match=f"cannot write .*net.npz: {error.strerror}; the previous file") as info:
        Network([3, 4, 2], seed=9).save(path)
    assert isinstance(info.value, OSError)
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# ---------------------------------------------------------------------- training checkpoints
def count_batches(monkeypatch) -> list[int]:
    calls: list[int] = []
    for engine in (Network, FastNetwork):
        real = engine.train_batch
        monkeypatch.setattr(engine, "train_batch", lambda self, *a, real=real: (calls.append(1), real(self, *a))[1])
    return calls


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_checkpoint_that_cannot_be_written_stops_training_before_the_first_epoch(
    tmp_path, monkeypatch, read_only, engine
):
    calls = count_batches(monkeypatch)
    (tmp_path / "ro").mkdir()
    read_only(tmp_path / "ro")
    cases = [
        (tmp_path / "ro" / "run.ckpt", PathError, "cannot write .*run.ckpt: the folder .* takes no new file"),
        (tmp_path / "missing" / "run.ckpt", MissingFileError, "does not exist"),
        (tmp_path / ("c" * 251), PathError, "too long"),
        (tmp_path, IncompatibleError, "is a folder"),
    ]
    for path, error, match in cases:
        with pytest.raises(error, match=match):
            make_net().train(X, T, rate=0.1, epochs=3, checkpoint=path, engine=engine)
    assert calls == []


def test_a_checkpoint_through_a_symlink_writes_its_target_and_resumes_through_the_link(tmp_path):
    os.symlink("real.ckpt", tmp_path / "run.ckpt")
    net = make_net()
    net.train(X, T, rate=0.1, epochs=2, checkpoint=tmp_path / "run.ckpt")
    assert (tmp_path / "run.ckpt").is_symlink() and load_checkpoint(tmp_path / "real.ckpt").epoch == 2
    again = make_net()
    again.train(X, T, rate=0.1, epochs=3, checkpoint=tmp_path / "run.ckpt", resume=tmp_path / "run.ckpt")
    assert load_checkpoint(tmp_path / "run.ckpt").epoch == 3 and os.readlink(tmp_path / "run.ckpt") == "real.ckpt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.ckpt", "run.ckpt"]
