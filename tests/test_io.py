"""Saving and loading: bit-identical round trips, atomic writes, and files that are refused, never run."""

import io
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import COMBINATIONS, valid_targets

import graphnet
from graphnet import GraphnetError, Network
from graphnet.math.activations import Activation, LeakyReLU
from graphnet.math.errors import (
    FileFormatError,
    IncompatibleError,
    MissingFileError,
    NonFiniteError,
    UnknownNameError,
)
from graphnet.math.losses import SquaredError
from graphnet.tools.io import FORMAT_VERSION, load_checkpoint, load_network, read_header, save_network

RNG = np.random.default_rng(20)
X = RNG.normal(size=(6, 3))


def make_net(hidden="tanh", output="sigmoid", loss="squared_error", bias=True, **options):
    n_out = 3 if output == "softmax" else 2
    return Network(
        [3, 4, n_out],
        activation=hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        init="normal",
        bias_init=0.25,
        seed=7,
        **options,
    )


def members(path):
    """The members of an .npz as raw bytes, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, contents):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def npy_bytes(array, *, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def header_of(path):
    return json.loads(np.lib.format.read_array(io.BytesIO(members(path)["header.npy"])).tobytes())


def rewrite_header(path, change, *, recompute_checksum):
    """Edit a file's JSON header; optionally recompute its checksum the way graphnet does."""
    from graphnet.tools.fileformat import canonical_json, checksum

    contents = members(path)
    header = header_of(path)
    change(header)
    if recompute_checksum:
        arrays = {
            name[:-4]: np.lib.format.read_array(io.BytesIO(data))
            for name, data in contents.items()
            if name != "header.npy"
        }
        header["checksum"]["value"] = checksum(header, arrays)
    contents["header.npy"] = npy_bytes(np.frombuffer(canonical_json(header), dtype=np.uint8))
    write_members(path, contents)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize(("hidden", "output", "loss", "bias"), COMBINATIONS)
def test_round_trip_is_bit_identical_on_both_paths(tmp_path, hidden, output, loss, bias):
    net = make_net(hidden, output, loss, bias, l2=0.125)
    T = valid_targets(loss, len(X), net.sizes[-1], RNG)
    net.train(X, T, rate=0.1, epochs=2, batch_size=2, engine="fast")  # parameters away from their start
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = Network.load(path)
    assert repr(loaded) == repr(net)
    assert (loaded.sizes, loaded.bias, loaded.init, loaded.bias_init, loaded.l2) == (
        net.sizes,
        net.bias,
        net.init,
        net.bias_init,
        net.l2,
    )
    assert loaded.activations == net.activations and type(loaded.loss_function) is type(net.loss_function)
    for (W, b), (W_loaded, b_loaded) in zip(net.get_params(), loaded.get_params(), strict=True):
        assert W.tobytes() == W_loaded.tobytes()
        assert (b is None and b_loaded is None) or b.tobytes() == b_loaded.tobytes()
    for dtype in (np.float64, np.float32):
        assert net.vectorized(dtype).predict(X).tobytes() == loaded.vectorized(dtype).predict(X).tobytes()
    assert net.predict(X).tobytes() == loaded.predict(X).tobytes()


def test_activation_config_and_the_random_generator_survive(tmp_path):
    net = Network([3, 5, 2], activation=LeakyReLU(alpha=0.2), output_activation="identity", seed=3)
    save_network(net, tmp_path / "net.npz")
    loaded = load_network(tmp_path / "net.npz")
    assert loaded.activations[0].alpha == 0.2 and loaded.activations[0] == LeakyReLU(0.2)
    assert read_header(tmp_path / "net.npz")["activations"][0] == {
        "name": "leaky_relu",
        "config": {"alpha": 0.2},
        "custom": False,
    }
    # shuffling after loading continues exactly as it would have without the save
    T = RNG.normal(size=(len(X), 2))
    net.train(X, T, rate=0.05, epochs=3, shuffle=True)
    loaded.train(X, T, rate=0.05, epochs=3, shuffle=True)
    assert net.get_flat_params().tobytes() == loaded.get_flat_params().tobytes()


def test_a_generator_seed_of_another_kind_is_restored(tmp_path):
    net = Network([2, 3, 1], seed=np.random.Generator(np.random.MT19937(5)))
    net.save(tmp_path / "net.npz")
    loaded = Network.load(tmp_path / "net.npz")
    assert type(loaded.rng.bit_generator) is np.random.MT19937
    assert loaded.rng.integers(1 << 30) == net.rng.integers(1 << 30)


def test_the_file_is_a_plain_npz_numpy_opens_without_pickle(tmp_path):
    net = make_net(bias=False)
    net.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["W1", "W2", "header"]
        assert data["header"].dtype == np.uint8
        header = json.loads(data["header"].tobytes())
        assert data["W2"].tobytes() == net.get_params()[1][0].tobytes()
    assert header["format"] == "graphnet" and header["format_version"] == FORMAT_VERSION
    assert header["graphnet_version"] == graphnet.__version__ and header["kind"] == "network"
    assert header["checksum"]["algorithm"] == "sha256" and len(header["checksum"]["value"]) == 64
    assert {"sizes", "activations", "loss", "bias", "init", "bias_init", "l2", "seed", "rng", "arrays"} <= set(header)


def test_the_same_network_always_gives_the_same_bytes(tmp_path):
    make_net().save(tmp_path / "a.npz")
    make_net().save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_a_checkpoint_loads_as_a_network_and_a_network_is_not_a_checkpoint(tmp_path):
    net = make_net()
    T = RNG.uniform(0.1, 0.9, size=(len(X), 2))
    net.train(X, T, rate=0.1, epochs=2, checkpoint=tmp_path / "run.ckpt")
    assert Network.load(tmp_path / "run.ckpt").get_flat_params().tobytes() == net.get_flat_params().tobytes()
    net.save(tmp_path / "net.npz")
    with pytest.raises(FileFormatError, match="holds a network, not a training checkpoint"):
        load_checkpoint(tmp_path / "net.npz")


# ---------------------------------------------------------------------- your own activations
class Softplus(Activation):
    name = "softplus"

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def value(self, z):
        return math.log1p(math.exp(-abs(self.beta * z))) / self.beta + max(z, 0.0)

    def derivative(self, z):
        return 1 / (1 + math.exp(-self.beta * z)) if z > -700 else 0.0

    def config(self):
        return {"beta": self.beta}


class HalfSquares(SquaredError):
    name = "half_squares"


def test_a_custom_activation_is_stored_by_name_and_must_be_passed_back(tmp_path):
    net = Network([3, 4, 2], activation=Softplus(beta=2.0), output_activation="sigmoid", seed=1)
    path = tmp_path / "net.npz"
    net.save(path)
    assert read_header(path)["activations"][0] == {"name": "softplus", "config": {"beta": 2.0}, "custom": True}
    with pytest.raises(UnknownNameError, match=r"your own activation 'softplus'.*custom_activations=\{'softplus'"):
        Network.load(path)
    for given in (Softplus, Softplus(beta=2.0)):
        loaded = Network.load(path, custom_activations={"softplus": given})
        assert loaded.activations[0] == Softplus(beta=2.0)
        assert loaded.predict(X).tobytes() == net.predict(X).tobytes()
    with pytest.raises(IncompatibleError, match=r"config \{'beta': 1.0\}; the file has 'softplus' with config"):
        Network.load(path, custom_activations={"softplus": Softplus(beta=1.0)})
    with pytest.raises(IncompatibleError, match="must be an Activation subclass or instance"):
        Network.load(path, custom_activations={"softplus": "softplus"})


def test_a_subclass_named_like_a_builtin_is_custom_too(tmp_path):
    from graphnet.math.activations import Sigmoid

    class MySigmoid(Sigmoid):
        pass

    net = Network([2, 2, 1], activation=MySigmoid(), seed=0)
    net.save(tmp_path / "net.npz")
    assert read_header(tmp_path / "net.npz")["activations"][0]["custom"] is True
    with pytest.raises(UnknownNameError, match="your own activation 'sigmoid'"):
        Network.load(tmp_path / "net.npz")
    assert isinstance(
        Network.load(tmp_path / "net.npz", custom_activations={"sigmoid": MySigmoid}).activations[0], MySigmoid
    )


def test_a_custom_loss_is_stored_by_name_and_must_be_passed_back(tmp_path):
    net = Network([2, 2, 1], loss=HalfSquares(), seed=0)
    net.save(tmp_path / "net.npz")
    with pytest.raises(UnknownNameError, match="custom_losses="):
        Network.load(tmp_path / "net.npz")
    loaded = Network.load(tmp_path / "net.npz", custom_losses={"half_squares": HalfSquares})
    assert isinstance(loaded.loss_function, HalfSquares)


def test_a_custom_activation_with_a_config_that_is_not_numbers_is_refused(tmp_path):
    class Odd(Softplus):
        name = "odd"

        def config(self):
            return {"mode": "fancy"}

    with pytest.raises(IncompatibleError, match="config\\(\\) must return a dict of finite numbers"):
        Network([2, 1], activation=Odd(), seed=0).save(tmp_path / "net.npz")


# ---------------------------------------------------------------------- atomic writes
def old_and_new(tmp_path):
    path = tmp_path / "net.npz"
    old = make_net()
    old.save(path)
    new = make_net()
    new.set_flat_params(new.get_flat_params() + 1.0)
    return path, old, new


def assert_still_old(path, old):
    assert Network.load(path).get_flat_params().tobytes() == old.get_flat_params().tobytes()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left


def test_a_save_that_fails_before_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path, old, new = old_and_new(tmp_path)

    def fail(source, target):
        assert Path(source).stat().st_size > 0  # the temporary file was written completely
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk unplugged"):
        new.save(path)
    monkeypatch.undo()
    assert_still_old(path, old)


def test_a_save_interrupted_half_way_through_writing_leaves_the_old_file(tmp_path, monkeypatch):
    path, old, new = old_and_new(tmp_path)
    real_write = np.lib.format.write_array
    written = []

    def write_then_stop(member, array, **kwargs):
        if written:
            raise KeyboardInterrupt  # Ctrl-C after the first member
        written.append(array)
        real_write(member, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        new.save(path)
    monkeypatch.undo()
    assert_still_old(path, old)


def test_a_process_killed_after_writing_the_temporary_file_leaves_the_old_file(tmp_path):
    path, old, _ = old_and_new(tmp_path)
    child = f"""
import os, sys
sys.path.insert(0, {str(Path(graphnet.__file__).parents[1])!r})
from graphnet import Network
net = Network([3, 4, 2], activation="tanh", output_activation="sigmoid", init="normal", bias_init=0.25, seed=99)
os.replace = lambda *args: os._exit(9)  # the process dies between fsync and rename
net.save({str(path)!r})
"""
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=120)
    assert result.returncode == 9, result.stderr.decode()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    assert len(leftovers) == 1 and leftovers[0].startswith(".net.npz.") and leftovers[0].endswith(".tmp")
    assert Network.load(path).get_flat_params().tobytes() == old.get_flat_params().tobytes()


def test_the_file_and_its_folder_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    make_net().save(tmp_path / "net.npz")
    expected = ["fsync", "replace", "fsync"] if hasattr(os, "O_DIRECTORY") else ["fsync", "replace"]
    assert events == expected


def test_saving_refuses_missing_folders_folders_and_non_finite_weights(tmp_path):
    net = make_net()
    with pytest.raises(MissingFileError, match="the folder .* does not exist") as info:
        net.save(tmp_path / "nowhere" / "net.npz")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(IncompatibleError, match="it is a folder"):
        net.save(tmp_path)
    with pytest.raises(IncompatibleError, match="must be a file name"):
        net.save(3)
    with pytest.raises(IncompatibleError, match="without NUL"):
        net.save("a\0b")
    with pytest.raises(NonFiniteError, match="must be finite; got nan"):
        net.connections[2, 1, 0].weight = math.nan  # refused at once
    net.connections[2, 1, 0]._weight = math.nan  # past the setter's guard: save still refuses it
    with pytest.raises(NonFiniteError, match=r"parameters must be finite; W2\[0, 1\] is nan"):
        net.save(tmp_path / "net.npz")


# ---------------------------------------------------------------------- files that are refused
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "net.npz"
    make_net().save(path)
    return path


def refused(path, match):
    with pytest.raises(FileFormatError, match=match) as info:
        Network.load(path)
    assert isinstance(info.value, GraphnetError) and isinstance(info.value, ValueError)
    return info.value


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(MissingFileError, match="no such file") as info:
        Network.load(tmp_path / "nothing.npz")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, GraphnetError)
    refused(tmp_path, "is a folder")


def test_every_truncation_is_refused(saved):
    data = saved.read_bytes()
    for length in sorted({0, 1, 3, 4, 30, 100, *range(0, len(data), 97), len(data) - 22, len(data) - 1}):
        saved.write_bytes(data[:length])
        refused(saved, "not a graphnet file|truncated or damaged|failed its checksum|must hold")


def content_positions(path):
    """Byte positions of the members' contents (the .npy bytes) inside the zip file."""
    positions = set()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            positions.update(range(data_start, data_start + info.compress_size))
    return positions


def test_a_flipped_byte_is_refused_or_changes_nothing(saved):
    """Every byte of content is covered by CRC-32 and SHA-256; zip bookkeeping (timestamps,
    version fields, the local copies of sizes and CRCs) may change without changing anything."""
    original = Network.load(saved).get_flat_params()
    data = saved.read_bytes()
    content = content_positions(saved)
    assert len(content) > len(data) // 2
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x40
        saved.write_bytes(bytes(damaged))
        try:
            loaded = Network.load(saved)
        except FileFormatError:
            continue
        assert position not in content, position
        assert loaded.get_flat_params().tobytes() == original.tobytes()


def test_a_changed_weight_fails_the_checksum(saved):
    contents = members(saved)
    W = np.lib.format.read_array(io.BytesIO(contents["W1.npy"]))
    W[0, 0] += 1e-12
    contents["W1.npy"] = npy_bytes(W)
    write_members(saved, contents)  # valid zip, valid CRC, valid .npy: only the checksum knows
    refused(saved, "failed its checksum: it was changed after it was written")


def test_a_changed_header_fails_the_checksum(saved):
    rewrite_header(saved, lambda h: h.update(l2=0.5), recompute_checksum=False)
    refused(saved, "failed its checksum")


def test_a_wrong_checksum_is_refused(saved):
    rewrite_header(saved, lambda h: h["checksum"].update(value="0" * 64), recompute_checksum=False)
    refused(saved, "expected SHA-256 0000000000000000…, got")


def test_a_future_format_version_is_refused_with_advice(saved):
    rewrite_header(saved, lambda h: h.update(format_version=FORMAT_VERSION + 1), recompute_checksum=True)
    refused(
        saved,
        f"format version {FORMAT_VERSION + 1}, written by a newer graphnet.*reads up to version {FORMAT_VERSION}: upgrade",
    )


EXECUTED = []


def mark_executed(path):
    Path(path).write_text("pickle ran")
    EXECUTED.append(path)


class Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return mark_executed, (self.path,)


def test_a_pickled_member_is_refused_and_never_unpickled(saved, tmp_path):
    marker = tmp_path / "pwned"
    contents = members(saved)
    evil = np.empty((4, 3), dtype=object)
    evil[:] = Payload(str(marker))
    contents["W1.npy"] = npy_bytes(evil, allow_pickle=True)
    write_members(saved, contents)
    refused(saved, "holds Python objects .pickled data, dtype object.*never loaded")
    assert not marker.exists() and not EXECUTED
    contents["header.npy"] = npy_bytes(np.array([Payload(str(marker))], dtype=object), allow_pickle=True)
    write_members(saved, contents)
    refused(saved, "header.npy holds Python objects")
    assert not marker.exists() and not EXECUTED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(format="something"), "expected format 'graphnet'; got 'something'"),
        (lambda h: h.update(sizes=[3, 4]), r"must hold exactly the members|must be 1 entries|'activations'"),
        (lambda h: h.update(sizes=[3, -4, 2]), "header field 'sizes' must be a list of at least two"),
        (lambda h: h.update(bias="yes"), "header field 'bias' must be true or false"),
        (lambda h: h.update(l2="0.1"), "header field 'l2' must be a finite number"),
        (lambda h: h["activations"][0].update(name="sigmod"), "activation 'sigmod', unknown to graphnet"),
        (lambda h: h["activations"][0].update(config={"alpha": 2.0}), "does not take"),
        (lambda h: h["loss"].update(name="hinge"), "loss 'hinge', unknown to this graphnet"),
        (lambda h: h["rng"].update(bit_generator="Evil"), "unknown random generator 'Evil'"),
        (lambda h: h.update(sizes=[100000, 100000, 2]), "too large a network: .*at most 10,000,000"),
        (lambda h: h.update(kind="model"), "'kind' must be 'network' or 'checkpoint'"),
    ],
)
def test_a_consistent_but_invalid_header_is_refused_by_field(saved, change, message):
    rewrite_header(saved, change, recompute_checksum=True)
    refused(saved, message)


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, world", b"PK\x03\x04" + bytes(100), b"\x93NUMPY" + bytes(50), b"\x80\x04K\x01."],
)
def test_files_that_are_not_graphnet_files_are_refused(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    refused(path, "not a graphnet file|truncated or damaged")


def test_a_plain_npy_file_and_an_unrelated_npz_are_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3.0))
    refused(tmp_path / "a.npy", "expected a zip archive")
    np.savez(tmp_path / "b.npz", x=np.arange(3.0))
    refused(tmp_path / "b.npz", "has no member header.npy")
    np.savez(tmp_path / "c.npz", header=np.frombuffer(b"[1, 2]", np.uint8))
    refused(tmp_path / "c.npz", "not a graphnet file: expected format 'graphnet'; got 'list'")


def test_an_extra_member_is_refused(saved):
    contents = members(saved)
    contents["extra.npy"] = npy_bytes(np.zeros(2))
    write_members(saved, contents)
    refused(saved, "must hold exactly the members")


# ---------------------------------------------------------------------- optimizers and dropout
def optimizer_states(net):
    return [None if c.state is None else c.state.values() for c in net.connections]


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize("optimizer", ["adam", "nesterov", "adagrad", "sgd"])
def test_the_optimizer_its_counts_and_state_and_dropout_survive_a_save(tmp_path, engine, optimizer):
    from graphnet.math.optimizers import InverseTimeDecay, get_optimizer

    T = valid_targets("squared_error", len(X), 2, np.random.default_rng(1))
    net = make_net(dropout=0.25)
    chosen = get_optimizer(optimizer)
    chosen.schedule = InverseTimeDecay(decay=0.1)
    net.train(X, T, rate=0.05, epochs=3, batch_size=2, shuffle=True, engine=engine, optimizer=chosen)
    path = tmp_path / "net.npz"
    net.save(path)
    same = Network.load(path)
    assert repr(same.optimizer) == repr(net.optimizer) and same.optimizer.counts() == net.optimizer.counts()
    assert same.dropout == [0.25] and optimizer_states(same) == optimizer_states(net)
    header = read_header(path)
    assert header["format_version"] == FORMAT_VERSION == 2 and header["dropout"] == [0.25]
    assert header["optimizer"]["schedule"] == {"name": "inverse_time", "config": {"decay": 0.1}}
    fields = net.optimizer.state_type.fields if net.optimizer.state_type else ()
    assert sorted(members(path)) == sorted(
        ["header.npy", "W1.npy", "b1.npy", "W2.npy", "b2.npy"]
        + [f"{f}_{p}{i}.npy" for f in fields for p in "Wb" for i in (1, 2)]
    )
    # both go on exactly alike: the same masks (the generator was saved), the same optimizer steps
    for model in (net, same):
        model.train(X, T, rate=0.05, epochs=2, batch_size=2, shuffle=True, engine=engine)
    assert same.get_flat_params().tobytes() == net.get_flat_params().tobytes()
    assert optimizer_states(same) == optimizer_states(net)


def test_a_version_1_file_loads_as_plain_sgd_without_dropout(saved):
    def to_version_1(header):
        header.update(format_version=1)
        del header["optimizer"], header["dropout"]

    rewrite_header(saved, to_version_1, recompute_checksum=True)
    net = Network.load(saved)
    assert repr(net.optimizer) == "SGD()" and net.optimizer.step_count == 0 and net.dropout == [0.0]
    assert net.get_flat_params().tobytes() == make_net().get_flat_params().tobytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda h: h["optimizer"].update(name="adamw"),
            "'optimizer' must hold an optimizer name, one of sgd, momentum",
        ),
        (lambda h: h["optimizer"].update(step_count=-1), "whole step and epoch counts"),
        (lambda h: h["optimizer"].update(config={"momentum": "high"}), "configs of finite numbers"),
        (lambda h: h["optimizer"].update(config={"momentum": 0.9}), "invalid config: .*unexpected keyword"),
        (lambda h: h["optimizer"]["schedule"].update(name="cosine"), "a schedule of name"),
        (lambda h: h["optimizer"].pop("current_rate"), "must hold the fields"),
        (lambda h: h.update(dropout=[1.5]), r"'dropout' must be a list of 1 numbers in \[0, 1\)"),
        (lambda h: h.pop("optimizer"), "must hold the fields"),
    ],
)
def test_an_invalid_optimizer_or_dropout_entry_is_refused(saved, change, message):
    rewrite_header(saved, change, recompute_checksum=True)
    refused(saved, message)


def test_a_missing_state_member_is_refused_and_a_custom_optimizer_is_not_saved(tmp_path):
    from graphnet.math.optimizers import SGD

    net = make_net()
    net.train(X, valid_targets("squared_error", len(X), 2, RNG), rate=0.01, optimizer="adam")
    path = tmp_path / "net.npz"
    net.save(path)
    contents = members(path)
    del contents["first_moment_W1.npy"]
    write_members(path, contents)
    refused(path, "must hold exactly the members")

    class Mine(SGD):
        name = "sgd"

    net.train(X, valid_targets("squared_error", len(X), 2, RNG), rate=0.01, optimizer=Mine())
    with pytest.raises(IncompatibleError, match="cannot save the optimizer .*files hold no code"):
        net.save(path)
