"""Optimizers: both engines agree, the rules equal independent numpy, the state is visible."""

import math

import numpy as np
import pytest
from conftest import valid_targets
from rich.console import Console

from graphnet import Network
from graphnet.math.errors import IncompatibleError, UnknownNameError
from graphnet.math.numbers import format_number
from graphnet.math.optimizers import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    InverseTimeDecay,
    Moments,
    Momentum,
    Nesterov,
    RMSprop,
    StepDecay,
    Velocity,
    get_optimizer,
    get_schedule,
)

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
RATES = {"sgd": 0.3, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}


def data(loss="squared_error", n=12, n_in=4, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), valid_targets(loss, n, n_out, rng)


# ------------------------------------------------------------------ graph = fast
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("schedule", "epochs"),
    [
        pytest.param({"batch_size": 1}, 5, id="per-sample"),
        pytest.param({"batch_size": 4, "shuffle": True, "seed": 3}, 17, id="mini-batch"),
    ],
)
@pytest.mark.parametrize(
    ("hidden", "output", "loss"),
    [("sigmoid", "sigmoid", "squared_error"), ("tanh", "softmax", "categorical_cross_entropy")],
)
def test_graph_and_fast_end_within_1e_10_after_50_updates(name, schedule, epochs, hidden, output, loss):
    X, T = data(loss)
    nets = [
        Network([4, 5, 3], activation=hidden, output_activation=output, loss=loss, init="xavier", l2=0.001, seed=1)
        for _ in range(2)
    ]
    start = nets[0].get_flat_params()
    histories = [
        net.train(X, T, rate=RATES[name], epochs=epochs, engine=engine, optimizer=name, **schedule)
        for net, engine in zip(nets, ["graph", "fast"], strict=True)
    ]
    assert histories[0].updates == histories[1].updates >= 50
    assert nets[0].optimizer.step_count == nets[1].optimizer.step_count == histories[0].updates
    np.testing.assert_allclose(nets[1].get_flat_params(), nets[0].get_flat_params(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(histories[1].losses, histories[0].losses, rtol=1e-10)
    assert np.abs(nets[0].get_flat_params() - start).max() > 1e-3  # it did train
    # the optimizer's state, on the connections after either engine, agrees too
    for a, b in zip(nets[0].connections, nets[1].connections, strict=True):
        if name == "sgd":
            assert a.state is None and b.state is None
        else:
            np.testing.assert_allclose(b.state.values(), a.state.values(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(schedule=InverseTimeDecay(decay=0.05)),
        lambda: Adam(beta1=0.8, schedule=StepDecay(every=2, factor=0.5)),
        lambda: Nesterov(momentum=0.5, schedule="inverse_time"),
    ],
    ids=["sgd-1/t", "adam-step", "nesterov-1/t"],
)
def test_schedules_agree_on_both_engines(make):
    X, T = data()
    nets = [Network([4, 6, 3], init="xavier", seed=2) for _ in range(2)]
    for net, engine in zip(nets, ["graph", "fast"], strict=True):
        net.train(X, T, rate=0.2, epochs=6, batch_size=3, engine=engine, optimizer=make())
    assert nets[0].optimizer.current_rate == nets[1].optimizer.current_rate < 0.2
    np.testing.assert_allclose(nets[1].get_flat_params(), nets[0].get_flat_params(), rtol=0, atol=1e-10)


# ------------------------------------------------------------------ independent numpy
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_gradients(params, X, T):
    """Mean squared-error gradients of a sigmoid MLP, written out independently."""
    outputs = [X]
    for W, b in params:
        outputs.append(sigmoid(outputs[-1] @ W.T + b))
    delta = (outputs[-1] - T) * outputs[-1] * (1 - outputs[-1])
    gradients = []
    for index in range(len(params) - 1, -1, -1):
        W, _ = params[index]
        gradients.append((delta.T @ outputs[index] / len(X), delta.mean(axis=0)))
        delta = (delta @ W) * outputs[index] * (1 - outputs[index])
    return gradients[::-1]


def flat(params):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in params])


def unflat(vector, like):
    params, start = [], 0
    for W, b in like:
        params.append(
            (vector[start : start + W.size].reshape(W.shape), vector[start + W.size : start + W.size + b.size])
        )
        start += W.size + b.size
    return params


def reference_updates(name, start, X, T, rate, steps=3):
    """θ after each of ``steps`` full-batch updates, by the textbook formulas in plain numpy."""
    theta = flat(start)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    beta1, beta2, epsilon, mu = 0.9, 0.999, 1e-8, 0.9
    trajectory = []
    for t in range(1, steps + 1):
        g = flat(numpy_gradients(unflat(theta, start), X, T))
        if name == "momentum":
            first = mu * first - rate * g
            theta = theta + first
        elif name == "nesterov":
            first = mu * first - rate * g
            theta = theta + mu * first - rate * g
        elif name == "adagrad":
            second = second + g**2
            theta = theta - rate * g / (np.sqrt(second) + epsilon)
        elif name == "rmsprop":
            second = 0.9 * second + 0.1 * g**2
            theta = theta - rate * g / (np.sqrt(second) + epsilon)
        elif name == "adam":
            first = beta1 * first + (1 - beta1) * g
            second = beta2 * second + (1 - beta2) * g**2
            m_hat, v_hat = first / (1 - beta1**t), second / (1 - beta2**t)
            theta = theta - rate * m_hat / (np.sqrt(v_hat) + epsilon)
        else:
            theta = theta - rate * g
        trajectory.append(theta.copy())
    return trajectory, first, second


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize("name", NAMES)
def test_first_three_updates_equal_an_independent_numpy_computation(name, engine):
    rng = np.random.default_rng(7)
    X, T = rng.normal(size=(5, 3)), rng.uniform(0.1, 0.9, size=(5, 2))
    net = Network([3, 4, 2], init="normal", bias_init=0.1, seed=11)
    start = net.get_params()
    expected, first, second = reference_updates(name, start, X, T, rate=0.2)
    for number in range(3):
        net.train(X, T, rate=0.2, epochs=1, batch_size=None, engine=engine, optimizer=name)
        np.testing.assert_allclose(net.get_flat_params(), expected[number], rtol=1e-12, atol=1e-14)
    assert net.optimizer.step_count == 3

    # the state is on the connections; read it back in the flat order (layer, W row by row, then b)
    def state(field):
        rows = [layer.state_rows(field) for layer in net.layers[1:]]
        return np.concatenate([np.concatenate([r[:, :-1].ravel(), r[:, -1]]) for r in rows])

    if name in ("momentum", "nesterov"):
        np.testing.assert_allclose(state("velocity"), first, rtol=1e-12, atol=1e-15)
    elif name == "adam":
        np.testing.assert_allclose(state("first_moment"), first, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(state("second_moment"), second, rtol=1e-12, atol=1e-18)
    elif name in ("adagrad", "rmsprop"):
        field = "square_sum" if name == "adagrad" else "square_mean"
        np.testing.assert_allclose(state(field), second, rtol=1e-12, atol=1e-18)
    else:
        assert all(c.state is None for c in net.connections)


# ------------------------------------------------------------------ the two forms of each rule
@pytest.mark.parametrize("name", NAMES)
def test_scalar_and_array_forms_agree_bit_for_bit(name):
    rng = np.random.default_rng(1)
    weights = rng.normal(size=40)
    weights[:3] = [0.0, 1000.0, -1e-8]
    scalar, array = get_optimizer(name), get_optimizer(name)
    states = [scalar.new_state() for _ in weights]
    array_state = array.new_state_array(weights)
    values = weights.copy()
    for _ in range(4):
        gradients = rng.normal(size=40) * 10.0 ** rng.integers(-6, 3, size=40)
        gradients[0] = 0.0
        rate = scalar.begin_update(0.1)
        assert array.begin_update(0.1) == rate
        weights = np.array(
            [scalar.update(float(w), float(g), s, rate) for w, g, s in zip(weights, gradients, states, strict=True)]
        )
        array.update_array(values, gradients, array_state, rate)
        assert weights.tolist() == values.tolist()
        if array_state is not None:
            for field in array_state.fields:
                assert [getattr(s, field) for s in states] == getattr(array_state, field).tolist()


# ------------------------------------------------------------------ schedules
def test_step_decay_counts_epochs_and_inverse_time_counts_updates():
    X, T = data()
    net = Network([4, 3, 3], seed=0)
    step = SGD(schedule=StepDecay(every=2, factor=0.5))
    rates = []
    for _ in range(5):
        net.train(X, T, rate=0.8, epochs=1, batch_size=4, optimizer=step)
        rates.append(step.current_rate)
    assert rates == [0.8, 0.8, 0.4, 0.4, 0.2] and step.epoch_count == 5 and step.step_count == 15
    inverse = SGD(schedule=InverseTimeDecay(decay=0.5))
    net.train(X, T, rate=1.0, epochs=1, batch_size=4, optimizer=inverse)
    assert inverse.current_rate == 1.0 / (1.0 + 0.5 * 2)  # the 3rd update: t = 2 updates before it


def test_inverse_time_sgd_equals_numpy():
    rng = np.random.default_rng(3)
    X, T = rng.normal(size=(4, 3)), rng.uniform(0.1, 0.9, size=(4, 2))
    net = Network([3, 4, 2], init="normal", seed=1)
    theta = flat(net.get_params())
    like = net.get_params()
    for t in range(3):
        theta = theta - 0.5 / (1 + 0.1 * t) * flat(numpy_gradients(unflat(theta, like), X, T))
    net.train(X, T, rate=0.5, epochs=3, batch_size=None, optimizer=SGD(schedule=InverseTimeDecay(decay=0.1)))
    np.testing.assert_allclose(net.get_flat_params(), theta, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ continuing and starting afresh
@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_two_calls_with_the_same_optimizer_equal_one_longer_call(engine):
    X, T = data()
    once, twice = Network([4, 5, 3], seed=4), Network([4, 5, 3], seed=4)
    once.train(X, T, rate=0.01, epochs=4, batch_size=3, engine=engine, optimizer=Adam(beta2=0.99))
    twice.train(X, T, rate=0.01, epochs=2, batch_size=3, engine=engine, optimizer=Adam(beta2=0.99))
    twice.train(X, T, rate=0.01, epochs=2, batch_size=3, engine=engine, optimizer=Adam(beta2=0.99))
    assert once.get_flat_params().tolist() == twice.get_flat_params().tolist()
    assert twice.optimizer.step_count == 16 and twice.optimizer.epoch_count == 4
    twice.train(X, T, rate=0.01, epochs=1, batch_size=3, engine=engine)  # None continues too
    assert twice.optimizer.step_count == 20


def test_another_optimizer_starts_afresh_and_reset_clears_the_state():
    X, T = data()
    net = Network([4, 5, 3], seed=4)
    net.train(X, T, rate=0.1, epochs=1, optimizer="momentum")
    assert isinstance(net.connections[1, 0, 0].state, Velocity) and net.optimizer.step_count == 12
    net.train(X, T, rate=0.1, epochs=1, optimizer=Momentum(momentum=0.5))  # other settings: afresh
    assert net.optimizer.step_count == 12 and net.optimizer.momentum == 0.5
    net.train(X, T, rate=0.01, epochs=1, optimizer="adam")
    assert all(isinstance(c.state, Moments) for c in net.connections)
    net.reset_optimizer()
    assert net.optimizer.step_count == 0 and all(c.state is None for c in net.connections)


def test_update_uses_the_networks_optimizer_on_both_engines():
    X, T = data()
    nets = [Network([4, 5, 3], seed=4) for _ in range(2)]
    for _ in range(3):
        nets[0].gradients(X, T)
        nets[0].update(0.1, optimizer="nesterov")
        fast = nets[1].vectorized()
        fast.gradients(X, T)
        fast.update(0.1, optimizer="nesterov")
    np.testing.assert_allclose(nets[1].get_flat_params(), nets[0].get_flat_params(), rtol=0, atol=1e-12)
    assert nets[0].optimizer.step_count == nets[1].optimizer.step_count == 3
    assert nets[1].connections[2, "bias", 1].state.velocity == pytest.approx(
        nets[0].connections[2, "bias", 1].state.velocity, rel=1e-9
    )


def test_float32_fast_path_keeps_float32_state():
    X, T = data()
    net = Network([4, 5, 3], seed=4)
    fast = net.vectorized(np.float32)
    fast.train(X, T, rate=0.01, epochs=2, optimizer="adam")
    assert fast.layers[0].weight_state.first_moment.dtype == np.float32
    assert isinstance(net.connections[1, 0, 0].state.first_moment, float)


# ------------------------------------------------------------------ visible state and names
def test_state_is_shown_in_repr_dump_and_rich_views():
    X, T = data()
    net = Network([4, 2, 3], seed=4)
    net.train(X, T, rate=0.01, epochs=1, optimizer="adam")
    connection = net.connections[1, 0, 0]
    m, v = connection.state.first_moment, connection.state.second_moment
    f = format_number
    assert (
        repr(connection)
        == f"(0-0) -> (1-0) = {connection.weight:.4f} gradient={connection.gradient:.4g} m={f(m)} v={f(v)}"
    )
    assert repr(connection.state) == f"Moments(m={f(m)}, v={f(v)})"
    dump = net.dump().splitlines()
    assert dump[1] == "optimizer: Adam(beta1=0.9, beta2=0.999, epsilon=1e-08), t = 12, epochs = 1"
    assert f"        (0-0) -> (1-0) = {connection.weight:f}  m: {m:.6g} v: {v:.6g}" in dump
    console = Console(record=True, width=100, color_system=None)
    console.print(net.node(1, 0))
    console.print(connection)
    console.print(net)
    text = console.export_text()
    assert "optimizer state" in text and f"m={f(m)}" in text and "optimizer Adam(" in text
    assert f"optimizer state m={f(m)} v={f(v)}" in net.to_svg()  # the connection's tooltip
    history = net.train(X, T, rate=0.01, epochs=1)
    assert history.optimizer == "adam"
    console.print(history)
    assert "rate 0.01, adam" in console.export_text()


def test_unknown_names_and_bad_hyper_parameters_are_refused():
    with pytest.raises(UnknownNameError, match="unknown optimizer 'adamw'; known: adagrad, adam, momentum"):
        Network([2, 1]).train([[0, 1]], [[1]], rate=0.1, optimizer="adamw")
    with pytest.raises(UnknownNameError, match="unknown learning-rate schedule 'cosine'"):
        get_schedule("cosine")
    for make, message in [
        (lambda: Momentum(momentum=1.0), r"momentum must be in \[0, 1\); got 1.0"),
        (lambda: Adam(beta1=-0.1), r"beta1 must be in \[0, 1\); got -0.1"),
        (lambda: RMSprop(epsilon=0.0), r"epsilon must be in \(0, inf\); got 0.0"),
        (lambda: AdaGrad(epsilon=math.nan), "epsilon must be in"),
        (lambda: StepDecay(every=0), "every must be a whole number of epochs ≥ 1; got 0"),
        (lambda: StepDecay(factor=0.0), r"factor must be in \(0, 1\]; got 0.0"),
        (lambda: InverseTimeDecay(decay=-1), r"decay must be in \[0, inf\); got -1"),
        (lambda: Adam(beta2="high"), "beta2 must be a number; got 'high'"),
    ]:
        with pytest.raises(IncompatibleError, match=message):
            make()
    assert sorted(OPTIMIZERS) == sorted(NAMES)
