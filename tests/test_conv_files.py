"""Conv networks in files: round trip with the optimizer's state, resuming equals the uninterrupted run."""

import numpy as np
import pytest

from graphnet import AvgPool, Conv, ConvNetwork, MaxPool
from graphnet.math.errors import FileFormatError
from graphnet.tools.convfiles import load_conv, save_conv
from graphnet.tools.fileformat import read_file


def make():
    return ConvNetwork(
        [(2, 5, 5), Conv(3, 3, stride=2, padding=1), MaxPool(2, stride=1), AvgPool(1), 4],
        activation="tanh",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        l2=0.01,
        seed=2,
    )


def data():
    rng = np.random.default_rng(0)
    T = rng.uniform(0.1, 1.0, size=(8, 4))
    return rng.normal(size=(8, 50)), T / T.sum(axis=1, keepdims=True)


def same(a, b):
    return all(
        np.array_equal(w, u) and np.array_equal(v, z)
        for (w, v), (u, z) in zip(a.get_params(), b.get_params(), strict=True)
    )


def test_a_saved_and_loaded_conv_net_is_the_same_net(tmp_path):
    net = make()
    X, T = data()
    net.train(X, T, rate=0.01, epochs=1, batch_size=4, optimizer="adam", seed=1)
    save_conv(net, tmp_path / "conv.npz")
    twin = load_conv(tmp_path / "conv.npz")
    assert same(net, twin) and repr(twin) == repr(net)
    assert twin.optimizer.same_settings(net.optimizer) and twin.optimizer.counts() == net.optimizer.counts()
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    state, twin_state = net.kernel(1)[1, 0, 2, 0].state, twin.kernel(1)[1, 0, 2, 0].state
    assert state.values() == twin_state.values()
    with np.load(tmp_path / "conv.npz", allow_pickle=False) as archive:
        assert {"K1", "b1", "W4", "b4", "first_moment_K1"} <= {name.removesuffix(".npy") for name in archive.files}


def test_resuming_from_a_file_equals_the_uninterrupted_run(tmp_path):
    X, T = data()
    straight, stopped = make(), make()
    for seed in (1, 2):
        straight.train(X, T, rate=0.01, epochs=1, batch_size=4, optimizer="adam", shuffle=True, seed=seed)
    stopped.train(X, T, rate=0.01, epochs=1, batch_size=4, optimizer="adam", shuffle=True, seed=1)
    save_conv(stopped, tmp_path / "half.npz")
    resumed = load_conv(tmp_path / "half.npz")
    resumed.train(X, T, rate=0.01, epochs=1, batch_size=4, shuffle=True, seed=2)
    assert same(straight, resumed)


def test_a_file_that_is_not_a_conv_net_is_refused(tmp_path):
    from graphnet import Network

    Network([2, 1]).save(tmp_path / "dense.npz")
    with pytest.raises(FileFormatError, match="does not hold a conv network"):
        load_conv(tmp_path / "dense.npz")
    save_conv(make(), tmp_path / "conv.npz")
    raw = (tmp_path / "conv.npz").read_bytes()
    spot = raw.index(b"K1.npy") + 400
    (tmp_path / "bad.npz").write_bytes(raw[:spot] + bytes([raw[spot] ^ 1]) + raw[spot + 1 :])
    with pytest.raises(FileFormatError):
        load_conv(tmp_path / "bad.npz")
    assert read_file  # the container is the dense files' own
