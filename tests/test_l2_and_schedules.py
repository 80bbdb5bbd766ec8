"""L2 on biases, L2 scaled per batch, the linear learning-rate schedule: both engines, the checker, files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import central_difference

from graphnet import Network
from graphnet.math.errors import FileFormatError, GraphnetError, IncompatibleError
from graphnet.math.lr_schedules import LinearDecay, get_schedule
from graphnet.math.optimizers import SGD, Adam
from graphnet.math.regularization import L2Term
from graphnet.tools.gradcheck import gradient_check
from graphnet.tools.io import read_header

OPTIONS = [
    {"l2": 0.1, "l2_bias": 0.0, "l2_per_batch": False},
    {"l2": 0.0, "l2_bias": 0.3, "l2_per_batch": False},
    {"l2": 0.1, "l2_bias": 0.3, "l2_per_batch": False},
    {"l2": 0.1, "l2_bias": 0.3, "l2_per_batch": True},
]


def data(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.uniform(0.1, 0.9, (n, 2))


def make(**options) -> Network:
    net = Network([3, 4, 2], activation="tanh", bias_init=0.2, seed=1, **options)
    return net


def independent_loss(net: Network, X: np.ndarray, T: np.ndarray, theta: np.ndarray, options: dict) -> float:
    """Mean ½Σ(t − y)² + (λ/2)·Σw² + (λ_b/2)·Σb² (each /n with per_batch), from θ with numpy alone."""
    (W1, b1), (W2, b2) = _unflat(theta)
    Y = np.tanh(np.tanh(X @ W1.T + b1) @ W2.T + b2)
    n = len(X) if options["l2_per_batch"] else 1
    weights = (W1**2).sum() + (W2**2).sum()
    biases = (b1**2).sum() + (b2**2).sum()
    return float(
        0.5 * ((T - Y) ** 2).sum(axis=1).mean() + (options["l2"] * weights + options["l2_bias"] * biases) / (2 * n)
    )


def _unflat(theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    W1, b1 = theta[:12].reshape(4, 3), theta[12:16]
    W2, b2 = theta[16:24].reshape(2, 4), theta[24:26]
    return [(W1, b1), (W2, b2)]


@pytest.mark.parametrize("options", OPTIONS)
def test_the_l2_terms_match_central_differences_of_an_independent_loss_on_both_engines(options):
    X, T = data()
    net = make(**options)
    theta = net.get_flat_params()
    expected = central_difference(lambda th: independent_loss(net, X, T, th, options), theta)
    for engine in ("graph", "fast"):
        assert net.loss(X, T, engine=engine) == pytest.approx(independent_loss(net, X, T, theta, options), abs=1e-14)
    graph = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in net.gradients(X, T)])
    fast = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in net.vectorized().gradients(X, T)])
    np.testing.assert_allclose(graph, expected, atol=1e-8)
    np.testing.assert_allclose(fast, graph, rtol=1e-12, atol=1e-15)
    report = gradient_check(net, X, T)
    assert report.passed and report.max_relative_error < 1e-7, report.to_text()
    for mode in ("sample", "directional"):
        assert gradient_check(net, X, T, mode=mode).passed


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("batch_size", [1, 2, None])
def test_both_engines_train_alike_with_the_l2_terms(options, batch_size):
    X, T = data(6)
    runs = []
    for engine in ("graph", "fast"):
        net = make(**options)
        history = net.train(X, T, rate=0.3, epochs=4, batch_size=batch_size, engine=engine, optimizer="momentum")
        runs.append((net.get_flat_params(), history.losses))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12)


def test_per_batch_l2_is_scikit_learns_alpha_w_over_the_batch_size():
    """One full-batch SGD step by hand: W ← W − η·(mean gradient + α·W/n), b ← b − η·(mean gradient)."""
    X, T = data(4)
    alpha, rate = 0.2, 0.5
    net = make(l2=alpha, l2_per_batch=True)
    plain = make()
    before = net.get_params()
    data_gradients = plain.gradients(X, T)
    net.train(X, T, rate=rate, epochs=1, batch_size=None, engine="fast")
    for (W, b), (W0, b0), (dW, db) in zip(net.get_params(), before, data_gradients, strict=True):
        np.testing.assert_allclose(W, W0 - rate * (dW + alpha * W0 / len(X)), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(b, b0 - rate * db, rtol=1e-13, atol=1e-15)


def test_bad_l2_options_are_refused():
    with pytest.raises(GraphnetError, match="l2_bias"):
        Network([2, 2], l2_bias=-1.0)
    with pytest.raises(IncompatibleError, match="l2_per_batch"):
        Network([2, 2], l2_per_batch="yes")


def test_l2_term_coefficients_and_penalty():
    term = L2Term(0.4, 0.2, per_batch=True)
    assert term.coefficients(4) == (0.1, 0.05)
    assert term.penalty(weight_squares=2.0, bias_squares=3.0, n_batch=4) == pytest.approx(
        0.5 * 0.1 * 2 + 0.5 * 0.05 * 3
    )
    assert not L2Term().active and L2Term(0.0, 1e-3).active


# ---------------------------------------------------------------------------------- linear schedule
def test_linear_decay_goes_from_the_base_rate_to_the_end_rate_then_holds():
    schedule = LinearDecay(end=0.1, updates=100)
    rates = [schedule.rate(1.0, updates=t, epochs=0) for t in range(103)]
    assert rates[:100] == [1.0 - 0.9 * k / 100 for k in range(100)]  # micrograd's 1.0 − 0.9·k/100, exactly
    assert rates[100:] == [0.1, 0.1, 0.1]
    assert get_schedule("linear", {"end": 0.1, "updates": 100}) == schedule
    warm_up = LinearDecay(end=2.0, updates=2)
    assert [warm_up.rate(1.0, updates=t, epochs=0) for t in range(4)] == [1.0, 1.5, 2.0, 2.0]


@pytest.mark.parametrize("bad", [{"updates": 0}, {"updates": 2.5}, {"updates": True}, {"end": -0.1}])
def test_bad_linear_decays_are_refused(bad):
    with pytest.raises(GraphnetError):
        LinearDecay(**{"end": 0.1, "updates": 10, **bad})


def test_the_optimizer_uses_the_linear_rate_of_each_update():
    X, T = data(6)
    net = make()
    net.train(X, T, rate=1.0, epochs=2, batch_size=2, optimizer=SGD(schedule=LinearDecay(end=0.4, updates=4)))
    assert net.optimizer.step_count == 6
    assert net.optimizer.current_rate == pytest.approx(0.4)  # held after 4 updates


# ---------------------------------------------------------------------------------- files and resume
def test_the_l2_options_and_the_linear_schedule_are_saved_and_loaded(tmp_path):
    X, T = data(6)
    net = make(l2=0.05, l2_bias=0.02, l2_per_batch=True)
    net.train(X, T, rate=0.5, epochs=2, batch_size=3, optimizer=Adam(schedule=LinearDecay(end=0.05, updates=5)))
    path = tmp_path / "net.npz"
    net.save(path)
    header = read_header(path)
    assert (header["l2"], header["l2_bias"], header["l2_per_batch"]) == (0.05, 0.02, True)
    assert header["optimizer"]["schedule"] == {"name": "linear", "config": {"end": 0.05, "updates": 5}}
    loaded = Network.load(path)
    assert (loaded.l2, loaded.l2_bias, loaded.l2_per_batch) == (0.05, 0.02, True)
    assert loaded.optimizer.schedule == LinearDecay(end=0.05, updates=5)
    for one, other in ((net, loaded),):
        one.train(X, T, rate=0.5, epochs=2, batch_size=3, optimizer=one.optimizer)
        other.train(X, T, rate=0.5, epochs=2, batch_size=3, optimizer=other.optimizer)
    np.testing.assert_array_equal(net.get_flat_params(), loaded.get_flat_params())


def test_a_file_without_the_new_fields_loads_as_before(tmp_path):
    """A file written before l2_bias and l2_per_batch (no such fields) loads with λ_b = 0, not per batch."""
    from test_files_crafted import contents, craft

    net = make(l2=0.05)
    path = tmp_path / "new.npz"
    net.save(path)
    header, arrays = contents(path)
    del header["l2_bias"], header["l2_per_batch"]
    old = tmp_path / "old.npz"
    craft(old, header, arrays)
    loaded = Network.load(old)
    assert (loaded.l2, loaded.l2_bias, loaded.l2_per_batch) == (0.05, 0.0, False)
    np.testing.assert_array_equal(loaded.get_flat_params(), net.get_flat_params())
    for bad, match in ((-1.0, "l2_bias"), ("yes", "l2_bias")):
        craft(old, {**header, "l2_bias": bad}, arrays)
        with pytest.raises(FileFormatError, match=match):
            Network.load(old)
    craft(old, {**header, "l2_per_batch": 1}, arrays)
    with pytest.raises(FileFormatError, match="l2_per_batch"):
        Network.load(old)


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_run_with_the_new_options_resumes_bit_for_bit(tmp_path, engine):
    X, T = data(8)
    options = {
        "rate": 0.8,
        "batch_size": 3,
        "shuffle": True,
        "seed": 4,
        "engine": engine,
    }

    def net_and_optimizer():
        return make(l2=0.05, l2_bias=0.02, l2_per_batch=True), SGD(schedule=LinearDecay(end=0.1, updates=7))

    uninterrupted, optimizer = net_and_optimizer()
    uninterrupted.train(X, T, epochs=5, optimizer=optimizer, **options)
    path = tmp_path / "run.npz"
    crashed, optimizer = net_and_optimizer()
    crashed.train(X, T, epochs=3, optimizer=optimizer, checkpoint=path, **options)
    resumed, optimizer = net_and_optimizer()
    resumed.train(X, T, epochs=5, optimizer=optimizer, resume=path, **options)
    np.testing.assert_array_equal(resumed.get_flat_params(), uninterrupted.get_flat_params())
    other = make(l2=0.05, l2_bias=0.03, l2_per_batch=True)
    with pytest.raises(IncompatibleError, match="l2_bias"):
        other.train(X, T, epochs=5, optimizer=SGD(schedule=LinearDecay(end=0.1, updates=7)), resume=path, **options)


def test_the_gradient_phase_with_l2_bias_gives_the_fused_gradients():
    """graph/phases.py's gradient steps (what the stepper walks) take λ_b too, and agree with training's loops."""
    from graphnet.graph import phases

    X, T = data(1)
    net = make(l2=0.1, l2_bias=0.3)
    net.forward(X[0])
    net.backward(T[0])  # the fused loops: ∂E/∂w with λ·w, and λ_b·b on the biases
    fused_gradients = [c.gradient for c in net.connections]
    for _ in phases.gradient_steps(net.connections, net.l2, net.l2_bias):
        pass
    assert [c.gradient for c in net.connections] == fused_gradients
