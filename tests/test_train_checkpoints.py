"""Checkpoints: an interrupted run resumed from its checkpoint ends bit for bit where the uninterrupted one does."""

import os
import re

import numpy as np
import pytest

from graphnet import Network
from graphnet.fast.network import FastNetwork
from graphnet.math.errors import IncompatibleError, MissingFileError
from graphnet.tools.io import load_checkpoint, read_header, resume_training

RNG = np.random.default_rng(31)
X = RNG.normal(size=(11, 3))
T = RNG.uniform(0.05, 0.95, size=(11, 2))
SCHEDULES = [
    {"batch_size": 3, "shuffle": True},  # mini-batches with a short last batch, new order every epoch
    {"batch_size": 1, "shuffle": True},
    {"batch_size": None, "reduction": "sum"},
]


def make_net():
    return Network([3, 5, 2], activation="tanh", init="xavier", l2=0.01, seed=4)


def crash_after(monkeypatch, engine_class, n_updates):
    """Make the engine raise KeyboardInterrupt (a crash, Ctrl-C) at its n-th update."""
    real = engine_class.train_batch
    calls = []

    def counting(self, *args):
        calls.append(1)
        if len(calls) == n_updates:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(engine_class, "train_batch", counting)


def same(a, b):
    return a.get_flat_params().tobytes() == b.get_flat_params().tobytes()


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_a_crashed_run_resumed_from_its_checkpoint_equals_the_uninterrupted_run(
    tmp_path, monkeypatch, engine, schedule
):
    options = {"rate": 0.2, "epochs": 7, "engine": engine, **schedule}
    uninterrupted = make_net()
    expected = uninterrupted.train(X, T, **options)

    path = tmp_path / "run.ckpt"
    crashed = make_net()
    updates_per_epoch = expected.updates // 7
    crash_after(
        monkeypatch, Network if engine == "graph" else FastNetwork, 5 * updates_per_epoch + min(2, updates_per_epoch)
    )
    with pytest.raises(KeyboardInterrupt):  # in epoch 6; the checkpoint holds epoch 4
        crashed.train(X, T, checkpoint=path, checkpoint_every=2, **options)
    monkeypatch.undo()
    assert load_checkpoint(path).epoch == 4

    resumed = make_net()  # a new process: same construction, then resume
    history = resumed.train(X, T, checkpoint=path, checkpoint_every=2, resume=path, **options)
    assert same(resumed, uninterrupted)
    assert history.losses == expected.losses and history.updates == expected.updates
    assert resumed.rng.bit_generator.state == uninterrupted.rng.bit_generator.state
    assert load_checkpoint(path).epoch == 7


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_resume_training_rebuilds_the_network_from_the_checkpoint(tmp_path, engine):
    options = {"rate": 0.2, "batch_size": 4, "shuffle": True, "seed": 12, "engine": engine}
    uninterrupted = make_net()
    expected = uninterrupted.train(X, T, epochs=6, **options)
    path = tmp_path / "run.ckpt"
    make_net().train(X, T, epochs=2, checkpoint=path, **options)
    network, history = resume_training(path, X, T, epochs=6)
    assert same(network, uninterrupted) and history.losses == expected.losses
    state = load_checkpoint(path)
    assert state.epoch == 6 and state.settings["seed"] == 12 and state.settings["engine"] == engine


def test_a_float32_fast_run_resumes_bit_for_bit(tmp_path):
    options = {"rate": 0.2, "epochs": 5, "batch_size": 2, "shuffle": True}
    uninterrupted = make_net()
    uninterrupted.vectorized(np.float32).train(X, T, **options)
    path = tmp_path / "run.ckpt"
    first = make_net()
    first.vectorized(np.float32).train(X, T, **{**options, "epochs": 3}, checkpoint=path)
    resumed = make_net()
    resumed.vectorized(np.float32).train(X, T, **options, resume=path)
    assert same(resumed, uninterrupted)


def test_the_checkpoint_records_where_training_stood(tmp_path):
    path = tmp_path / "run.ckpt"
    net = make_net()
    history = net.train(X, T, rate=0.2, epochs=5, batch_size=4, shuffle=True, checkpoint=path, checkpoint_every=2)
    training = read_header(path)["training"]
    assert training["epoch"] == 5  # every second epoch, and after the last one
    assert training["settings"] == {
        "rate": 0.2,
        "epochs": 5,
        "batch_size": 4,
        "reduction": "mean",
        "shuffle": True,
        "seed": None,
        "track_loss": True,
        "engine": "graph",
        "checkpoint_every": 2,
    }
    assert training["history"] == {"losses": history.losses, "updates": history.updates}
    assert training["rng"]["bit_generator"] == "PCG64" and len(training["data_sha256"]) == 64
    state = load_checkpoint(path)
    assert same(state.network, net) and state.history.losses == history.losses


def test_checkpoints_are_written_every_n_epochs(tmp_path, monkeypatch):
    import graphnet.tools.checkpoints

    written = []
    real = graphnet.tools.checkpoints.write_checkpoint
    monkeypatch.setattr(
        graphnet.tools.checkpoints, "write_checkpoint", lambda *a, **k: (written.append(k["epoch"]), real(*a, **k))
    )
    make_net().train(X, T, rate=0.1, epochs=7, checkpoint=tmp_path / "c", checkpoint_every=3, engine="fast")
    assert written == [3, 6, 7]


def test_a_failing_checkpoint_write_stops_training_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    net = make_net()
    net.train(X, T, rate=0.1, epochs=2, checkpoint=path)
    before = path.read_bytes()
    real_replace = os.replace

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        make_net().train(X, T, rate=0.1, epochs=4, checkpoint=path, resume=path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert path.read_bytes() == before and load_checkpoint(path).epoch == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


def test_resuming_something_else_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    options = {"rate": 0.2, "batch_size": 3, "shuffle": True}
    make_net().train(X, T, epochs=3, checkpoint=path, **options)
    cases = [
        (lambda: make_net().train(X[::-1], T, epochs=5, resume=path, **options), "same training data"),
        (lambda: make_net().train(X, T, epochs=5, resume=path, **{**options, "rate": 0.3}), "rate=0.2; got rate=0.3"),
        (
            lambda: make_net().train(X, T, epochs=5, resume=path, **{**options, "batch_size": 4}),
            "batch_size=3; got batch_size=4",
        ),
        (
            lambda: Network([3, 6, 2], activation="tanh", l2=0.01).train(X, T, epochs=5, resume=path, **options),
            r"sizes=\[3, 5, 2\]; this network has \[3, 6, 2\]",
        ),
        (
            lambda: Network([3, 5, 2], activation="tanh").train(X, T, epochs=5, resume=path, **options),
            "l2=0.01; this network has 0.0",
        ),
        (lambda: make_net().train(X, T, epochs=2, resume=path, **options), "already done 3 epochs; got epochs=2"),
    ]
    for call, message in cases:
        with pytest.raises(IncompatibleError, match=message):
            call()
    make_net().save(tmp_path / "net.npz")
    with pytest.raises(IncompatibleError, match="needs a training checkpoint"):
        make_net().train(X, T, epochs=5, resume=tmp_path / "net.npz", **options)
    with pytest.raises(MissingFileError, match="no such file"):
        make_net().train(X, T, epochs=5, resume=tmp_path / "nothing", **options)
    with pytest.raises(MissingFileError, match="the folder .* does not exist"):
        make_net().train(X, T, epochs=5, checkpoint=tmp_path / "no" / "run.ckpt", **options)
    with pytest.raises(IncompatibleError, match="checkpoint_every must be a whole number ≥ 1; got 0"):
        make_net().train(X, T, epochs=5, checkpoint=path, checkpoint_every=0, **options)


def test_resuming_with_every_epoch_done_changes_nothing(tmp_path):
    path = tmp_path / "run.ckpt"
    net = make_net()
    expected = net.train(X, T, rate=0.2, epochs=3, checkpoint=path)
    again = make_net()
    history = again.train(X, T, rate=0.2, epochs=3, resume=path)
    assert same(again, net) and history.losses == expected.losses and history.updates == expected.updates


def states(net):
    return [None if c.state is None else c.state.values() for c in net.connections]


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize(
    ("optimizer", "dropout"),
    [
        ("adam", 0.0),
        ("adam", 0.4),
        ("momentum", 0.0),
        ("rmsprop", 0.4),
    ],
)
def test_a_crashed_adam_run_resumed_from_its_checkpoint_equals_the_uninterrupted_run_bit_for_bit(
    tmp_path, monkeypatch, engine, optimizer, dropout
):
    from graphnet.math.optimizers import Adam, StepDecay

    def make():
        return Network([3, 5, 2], activation="tanh", init="xavier", l2=0.01, dropout=dropout, seed=4)

    def chosen():  # a schedule too: its epoch count must survive the crash
        return Adam(beta1=0.8, schedule=StepDecay(every=2, factor=0.5)) if optimizer == "adam" else optimizer

    options = {"rate": 0.05, "epochs": 7, "engine": engine, "batch_size": 3, "shuffle": True}
    uninterrupted = make()
    expected = uninterrupted.train(X, T, optimizer=chosen(), **options)

    path = tmp_path / "run.ckpt"
    crashed = make()
    crash_after(monkeypatch, Network if engine == "graph" else FastNetwork, 5 * 4 + 2)  # in epoch 6
    with pytest.raises(KeyboardInterrupt):
        crashed.train(X, T, optimizer=chosen(), checkpoint=path, checkpoint_every=2, **options)
    monkeypatch.undo()
    saved = load_checkpoint(path)
    assert saved.epoch == 4 and saved.network.optimizer.step_count == 16 and saved.history.optimizer == optimizer
    assert read_header(path)["optimizer"]["name"] == optimizer

    resumed = make()  # a new process: same construction, then resume with the same optimizer
    history = resumed.train(X, T, optimizer=chosen(), checkpoint=path, checkpoint_every=2, resume=path, **options)
    assert same(resumed, uninterrupted)
    assert states(resumed) == states(uninterrupted)
    assert resumed.optimizer.counts() == uninterrupted.optimizer.counts() == (28, 7, resumed.optimizer.current_rate)
    assert history.losses == expected.losses and history.updates == expected.updates

    # resume_training needs nothing but the file: the optimizer comes from it
    network, _ = resume_training(path, X, T, epochs=9)
    uninterrupted.train(X, T, **{**options, "epochs": 2})
    assert same(network, uninterrupted) and states(network) == states(uninterrupted)


def test_resuming_with_another_optimizer_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    make_net().train(X, T, rate=0.01, epochs=2, optimizer="adam", checkpoint=path)
    for other, shown in (("sgd", "SGD()"), ("momentum", "Momentum(momentum=0.9)")):
        with pytest.raises(
            IncompatibleError, match=rf"optimizer=Adam\(beta1=0.9, .*\); got optimizer={re.escape(shown)}"
        ):
            make_net().train(X, T, rate=0.01, epochs=4, optimizer=other, resume=path)
    from graphnet.math.optimizers import Adam

    with pytest.raises(IncompatibleError, match="got optimizer=Adam.beta1=0.5"):
        make_net().train(X, T, rate=0.01, epochs=4, optimizer=Adam(beta1=0.5), resume=path)
    dropout = Network([3, 5, 2], activation="tanh", init="xavier", l2=0.01, dropout=0.5, seed=4)
    with pytest.raises(IncompatibleError, match=r"dropout=\[0.0\]; this network has \[0.5\]"):
        dropout.train(X, T, rate=0.01, epochs=4, optimizer="adam", resume=path)
