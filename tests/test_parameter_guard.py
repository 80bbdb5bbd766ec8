"""One guarantee for every path that changes a parameter: no NaN or inf weight or optimizer state.

``Network.update`` and ``FastNetwork.update`` refuse an update that would overflow, the
stepper's update steps refuse it per connection (:meth:`Connection.update`), and training
stops with :class:`TrainingDiverged` when a weight *or its optimizer state* overflows,
keeping the last finite values.  Each path is driven here with rates and inputs large
enough to overflow, under every optimizer.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphnet import Network
from graphnet.cli import main
from graphnet.math.errors import NumericalOverflowError, TrainingDiverged
from graphnet.math.optimizers import OPTIMIZERS

STATEFUL = [name for name in OPTIMIZERS if name not in ("sgd",)]


def all_finite(net: Network) -> bool:
    """Every weight and bias, and every connection's optimizer state, is finite (read independently)."""
    weights = np.array([c.weight for c in net.connections])
    states = [value for c in net.connections if c.state is not None for value in c.state.values()]
    return bool(np.isfinite(weights).all() and np.isfinite(np.array(states, dtype=float)).all())


def state_values(net: Network) -> list[tuple[float, ...] | None]:
    return [None if c.state is None else tuple(c.state.values()) for c in net.connections]


STEPPER_CASES = [
    *[(name, (10.0, 10.0), 1.7e308, "would make w = ") for name in OPTIMIZERS],  # the weight overflows
    *[(name, (1e78, 1e78), 0.1, "would make its ") for name in ("adagrad", "rmsprop", "adam")],  # g² overflows
]


@pytest.mark.parametrize(("optimizer", "x", "rate", "what"), STEPPER_CASES)
def test_the_stepper_refuses_an_update_to_inf_and_keeps_its_place(optimizer, x, rate, what):
    net = Network([2, 2], activation="identity", seed=0)
    before = net.get_flat_params()
    steps = net.stepper(list(x), [0.0, 1.0], rate=rate, optimizer=optimizer)
    expected = rf"the update of \(0-0\) -> \(1-0\) with rate {re.escape(format(rate, 'g'))}.*{what}"
    with pytest.raises(NumericalOverflowError, match=expected):
        steps.run()
    position = steps.position
    assert steps.next_phase_name == "update"
    np.testing.assert_array_equal(net.get_flat_params(), before)
    assert all_finite(net)
    with pytest.raises(NumericalOverflowError):  # the same step, refused again: nothing moved on
        steps.next()
    assert steps.position == position
    undone = steps.back()  # and the stepper still works backwards
    assert undone is not None and steps.position == position - 1


def test_the_stepper_takes_the_same_update_that_update_takes_at_a_finite_rate():
    stepped, updated = Network([2, 3, 2], seed=1), Network([2, 3, 2], seed=1)
    stepped.stepper([0.3, -0.2], [0.1, 0.9], rate=0.5, optimizer="adam").run()
    updated.forward([0.3, -0.2])
    updated.backward([0.1, 0.9])
    updated.update(0.5, optimizer="adam")
    np.testing.assert_array_equal(stepped.get_flat_params(), updated.get_flat_params())
    assert state_values(stepped) == state_values(updated)


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_update_refuses_an_overflowing_weight_or_state_and_changes_nothing(engine, optimizer):
    net = Network([2, 2, 1], activation="identity", seed=0)
    net.train([[0.5, -0.5]], [[0.2]], rate=0.01, optimizer=optimizer)  # some state to keep
    before, states = net.get_flat_params(), state_values(net)
    counts = net.optimizer.counts()
    model = net if engine == "graph" else net.vectorized()
    model.gradients([[1e154, 1e154]], [[0.5]])
    with pytest.raises(NumericalOverflowError, match=r"the update with rate 1e\+308 would make a weight NaN or inf"):
        model.update(1e308, optimizer=optimizer)
    np.testing.assert_array_equal(net.get_flat_params(), before)
    assert state_values(net) == states
    assert net.optimizer.counts() == counts


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adam"])
def test_training_stops_when_the_optimizer_state_overflows(engine, optimizer):
    # g ≈ 1e154 per weight: g² = 1e308·… overflows the state to inf while w stays finite
    net = Network([2, 1], activation="identity", seed=0)
    with pytest.raises(TrainingDiverged, match="optimizer state overflow"):
        net.train([[1e154, 1e154]], [[0.5]], rate=0.1, optimizer=optimizer, engine=engine)
    assert all_finite(net)


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_network_that_stopped_on_overflowing_state_still_saves(engine, tmp_path):
    net = Network([2, 1], activation="identity", seed=0)
    with pytest.raises(TrainingDiverged):
        net.train([[1e154, 1e154]], [[0.5]], rate=0.1, optimizer="adagrad", engine=engine)
    net.save(tmp_path / "net.npz")
    assert all_finite(Network.load(tmp_path / "net.npz"))


GUARD = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@GUARD
@given(
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    optimizer=st.sampled_from(list(OPTIMIZERS)),
    scale=st.sampled_from([1.0, 1e100, 1e154, 1e200, 1e300]),
    rate=st.sampled_from([0.1, 1.0, 1e100, 1e300, 1e308]),
    path=st.sampled_from(["update", "fast update", "stepper", "train", "fast train", "fast train batch"]),
    seed=st.integers(0, 5),
)
def test_every_path_that_changes_a_parameter_leaves_them_finite(sizes, optimizer, scale, rate, path, seed):
    net = Network(sizes, activation="identity", seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (3, sizes[0])) * scale
    T = rng.uniform(0, 1, (3, sizes[-1]))
    try:
        if path == "update":
            net.gradients(X, T)
            net.update(rate, optimizer=optimizer)
        elif path == "fast update":
            net.vectorized().gradients(X, T)
            net.vectorized().update(rate, optimizer=optimizer)
        elif path == "stepper":
            net.stepper(X[0], T[0], rate=rate, optimizer=optimizer).run()
        else:
            engine = "graph" if path == "train" else "fast"
            batch = None if path == "fast train batch" else 1
            net.train(X, T, rate=rate, epochs=2, optimizer=optimizer, engine=engine, batch_size=batch)
    except (NumericalOverflowError, TrainingDiverged):
        pass
    assert all_finite(net)


def test_cli_step_with_an_overflowing_rate_exits_2_with_one_line(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("r\nq\n"))
    code = main(["step", "--layers", "2", "2", "--rate", "1e308", "--optimizer", "rmsprop", "--input", "1", "1"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "would make" in lines[0] and "Traceback" not in captured.err
    assert "= inf" not in captured.out
