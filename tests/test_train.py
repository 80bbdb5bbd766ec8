"""Training schedules on the graph: XOR learnt by per-sample SGD and by full-batch descent."""

import numpy as np
import pytest

from graphnet import History, Network
from graphnet.common.schedule import EpochSchedule
from graphnet.demos import xor_data
from graphnet.math.errors import IncompatibleError, NonFiniteError, NotDifferentiableError

INPUTS, TARGETS = xor_data()
LABELS = TARGETS[:, 0].astype(int)


def test_xor_by_per_sample_sgd_on_the_graph():
    net = Network([2, 2, 1], activation="sigmoid", init="normal", seed=3)
    history = net.train(INPUTS, TARGETS, rate=2.0, epochs=2000, batch_size=1)
    assert net.accuracy(INPUTS, LABELS, engine="graph") == 1.0
    assert history.updates == 2000 * 4
    assert history.losses[-1] < 0.01 < history.losses[0]


def test_xor_by_full_batch_summed_gradient_descent_on_the_graph():
    net = Network([2, 4, 1], activation="sigmoid", init="normal", seed=1)
    history = net.train(INPUTS, TARGETS, rate=0.5, epochs=3000, batch_size=None, reduction="sum")
    predicted = (net.predict(INPUTS)[:, 0] >= 0.5).astype(int)
    assert predicted.tolist() == LABELS.tolist()
    assert history.updates == 3000


def test_one_batch_update_equals_the_hand_computed_step():
    """Full-batch step: w ← w − rate·(scale·Σ_samples ∂E_s/∂w + λw), with Σ from single-sample backward."""
    for reduction, scale in (("sum", 1.0), ("mean", 0.25)):
        net = Network([2, 3, 1], init="normal", l2=0.01, seed=4)
        start = net.get_params()
        summed = None
        for x, t in zip(INPUTS, TARGETS, strict=True):
            net.forward(x)
            net.backward(t)
            without_l2 = [(dW - 0.01 * W, db) for (dW, db), (W, _) in zip(net.gradients(), start, strict=True)]
            summed = (
                without_l2
                if summed is None
                else [(a + c, b + d) for (a, b), (c, d) in zip(summed, without_l2, strict=True)]
            )
        net.train(INPUTS, TARGETS, rate=0.3, epochs=1, batch_size=None, reduction=reduction)
        for (W, b), (dW, db), (W_new, b_new) in zip(start, summed, net.get_params(), strict=True):
            np.testing.assert_allclose(W_new, W - 0.3 * (scale * dW + 0.01 * W), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(b_new, b - 0.3 * scale * db, rtol=1e-13, atol=1e-15)


def test_shuffled_schedule_is_seeded():
    X, T = np.arange(20.0).reshape(10, 2), np.arange(10.0).reshape(10, 1)

    def batches(shuffle, seed):
        schedule = EpochSchedule.draw(X, T, 3, shuffle=shuffle, rng=np.random.default_rng(seed))
        return [schedule.samples(number) for number in range(schedule.n_batches)], schedule

    orders = [np.concatenate(batches(True, 9)[0]) for _ in range(2)]
    assert orders[0].tolist() == orders[1].tolist() and sorted(orders[0]) == list(range(10))
    plain, schedule = batches(False, 0)
    assert [len(b) for b in plain] == [3, 3, 3, 1]
    shuffled, schedule = batches(True, 9)
    assert schedule.targets[schedule.rows(1)][:, 0].tolist() == shuffled[1].tolist()  # rows follow the order
    a = Network([2, 3, 1], seed=2)
    b = Network([2, 3, 1], seed=2)
    a.train(INPUTS, TARGETS, rate=0.5, epochs=3, shuffle=True, seed=5)
    b.train(INPUTS, TARGETS, rate=0.5, epochs=3, shuffle=True, seed=5)
    assert np.array_equal(a.get_flat_params(), b.get_flat_params())


def test_a_step_network_predicts_but_refuses_to_train():
    net = Network([2, 1], activation="step", bias=True)
    net.set_params([(np.array([[1.0, 1.0]]), np.array([-1.5]))])  # AND
    assert net.predict(INPUTS)[:, 0].tolist() == [0.0, 0.0, 0.0, 1.0]
    with pytest.raises(NotDifferentiableError, match="layer 1 uses 'step'"):
        net.train(INPUTS, TARGETS, rate=0.1)
    net.forward(INPUTS[0])
    with pytest.raises(NotDifferentiableError):
        net.backward(TARGETS[0])
    fast = net.vectorized()
    fast.forward(INPUTS)
    for refused in (
        lambda: fast.backward(TARGETS),
        lambda: fast.gradients(INPUTS, TARGETS),
        lambda: fast.train(INPUTS, TARGETS, rate=0.1),
    ):
        with pytest.raises(NotDifferentiableError, match="layer 1 uses 'step'"):
            refused()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": -1.0}, "rate must be finite and > 0"),
        ({"rate": float("nan")}, "rate must be finite"),
        ({"rate": 0.1, "batch_size": 0}, "batch_size must be a positive integer"),
        ({"rate": 0.1, "reduction": "avg"}, "reduction must be 'mean' or 'sum'"),
        ({"rate": 0.1, "epochs": -1}, "epochs must be a whole number"),
        ({"rate": 0.1, "engine": "gpu"}, "engine must be 'graph' or 'fast'"),
    ],
)
def test_bad_training_options_are_refused(kwargs, message):
    with pytest.raises(IncompatibleError, match=message):
        Network([2, 2, 1]).train(INPUTS, TARGETS, **kwargs)


def test_history_renders_and_reports():
    history = Network([2, 2, 1], seed=0).train(INPUTS, TARGETS, rate=0.5, epochs=5)
    assert isinstance(history, History) and history.epochs == 5
    assert "epochs=5" in repr(history)


# ---------------------------------------------------------------------- NaN and inf in X, found on the way
def _digits_like(n_samples, n_inputs=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n_samples, n_inputs)), rng.uniform(size=(n_samples, 2))


@pytest.mark.parametrize("engine", ["graph", "fast"])
@pytest.mark.parametrize(("row", "value"), [(0, np.nan), (599, np.inf), (300, -np.inf)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_a_bad_input_row_found_mid_epoch_leaves_everything_as_the_call_found_it(engine, row, value, shuffle):
    """Each batch is looked at before its update; a bad one puts back parameters, optimizer and generator."""
    X, T = _digits_like(600)
    X[row, 3] = value
    warm_up = _digits_like(10, seed=1)
    net = Network([5, 4, 2], seed=2)
    net.train(*warm_up, rate=0.1, epochs=1, batch_size=2, engine=engine, optimizer="momentum")  # some state
    params, counts = net.get_flat_params(), net.optimizer.counts()
    states = [c.state.velocity for c in net.connections]
    generator_state = net.rng.bit_generator.state
    with pytest.raises(NonFiniteError, match=rf"X must be finite; got {value} at index \({row}, 3\)"):
        net.train(X, T, rate=0.1, epochs=3, batch_size=7, shuffle=shuffle, engine=engine)
    assert net.get_flat_params().tolist() == params.tolist()
    assert net.optimizer.counts() == counts
    assert [c.state.velocity for c in net.connections] == states
    assert net.rng.bit_generator.state == generator_state
    # and the network trains on as if the failed call had not happened
    clean = Network([5, 4, 2], seed=2)
    clean.train(*warm_up, rate=0.1, epochs=1, batch_size=2, engine=engine, optimizer="momentum")
    good = np.nan_to_num(X, nan=0.5, posinf=0.5, neginf=0.5)
    net.train(good, T, rate=0.1, epochs=1, batch_size=7, shuffle=True, engine=engine)
    clean.train(good, T, rate=0.1, epochs=1, batch_size=7, shuffle=True, engine=engine)
    assert net.get_flat_params().tolist() == clean.get_flat_params().tolist()


@pytest.mark.parametrize("n_samples", [1, 10, 128])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_bad_input_makes_every_net_input_of_its_row_non_finite(n_samples, dtype, bad):
    """What the fast path's free check relies on, on this machine's BLAS: inf·0 is NaN, nothing is skipped."""
    rng = np.random.default_rng(1)
    W = rng.normal(size=(30, 784)).astype(dtype)
    W[:, 5] = 0.0  # a column of zeros: inf·0 must still give NaN
    W[3, :] = 0.0  # and a row of zeros
    X = rng.uniform(size=(n_samples, 784)).astype(dtype)
    row = n_samples // 2
    for column in (5, 400):
        bad_X = X.copy()
        bad_X[row, column] = bad
        with np.errstate(invalid="ignore"):
            Z = bad_X @ W.T
        assert not np.isfinite(Z[row]).any()
        assert np.isfinite(np.delete(Z, row, axis=0)).all()


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_net_inputs_that_overflow_are_not_mistaken_for_bad_data(engine):
    net = Network([3, 2, 1], seed=0)
    net.set_params([(np.full((2, 3), 1e300), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))])
    X, T = np.full((4, 3), 1e10), np.full((4, 1), 0.5)  # net inputs 3e310: inf, σ = 1, σ′ = 0
    history = net.train(X, T, rate=0.1, epochs=2, batch_size=2, engine=engine)
    assert history.updates == 4 and np.isfinite(net.get_flat_params()).all()


def test_all_finite_looks_closer_when_the_sum_overflows():
    from graphnet.math.validation import all_finite

    assert all_finite(np.full((4, 3), 1.7e308)) and all_finite(np.full((4, 3), 3e38, dtype=np.float32))
    assert not all_finite(np.array([[np.inf, -np.inf, 1.0]]))  # their sum is NaN, not inf
    assert not all_finite(np.array([1.0, np.nan])) and all_finite(np.zeros((0, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_surely_finite_says_yes_only_for_finite_values_and_warns_of_nothing(dtype):
    from graphnet.math.validation import all_finite, surely_finite

    big = np.full((5, 4), np.sqrt(np.finfo(dtype).max) * 2, dtype=dtype)  # finite, but its squares overflow
    assert not surely_finite(big) and all_finite(big)  # "look closer", and the closer look says finite
    assert surely_finite(big[:, ::2])  # not contiguous: Σ v, which does not overflow
    values = np.random.default_rng(0).normal(size=(128, 30)).astype(dtype)
    assert surely_finite(values) and surely_finite(values[:, ::3])
    for bad in (np.nan, np.inf, -np.inf):
        for view in (values, values[:, ::3]):
            spoiled = view.copy() if view.flags.c_contiguous else view
            spoiled[7, 2] = bad
            assert not surely_finite(spoiled)
            spoiled[7, 2] = 0.0


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_bad_inputs_are_refused_up_front_when_no_epoch_runs_or_a_run_resumes(engine, tmp_path):
    X, T = _digits_like(30)
    net = Network([5, 4, 2], seed=2)
    path = tmp_path / "run.npz"
    net.train(X, T, rate=0.1, epochs=1, engine=engine, checkpoint=path)
    X[29, 0] = np.nan
    with pytest.raises(NonFiniteError, match="X must be finite"):
        net.train(X, T, rate=0.1, epochs=0, engine=engine)
    params = net.get_flat_params()
    other = Network([5, 4, 2], seed=9)
    before = other.get_flat_params()
    with pytest.raises(NonFiniteError, match="X must be finite"):
        other.train(X, T, rate=0.1, epochs=2, engine=engine, resume=path)
    assert other.get_flat_params().tolist() == before.tolist() and net.get_flat_params().tolist() == params.tolist()


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_a_mirrors_parameter_check_sees_every_w_b_and_optimizer_state_array(kind):
    from graphnet import Conv, ConvNetwork, MaxPool
    from graphnet.fast.sync import parameter_arrays

    if kind == "dense":
        net = Network([4, 3, 2], seed=0)
    else:
        net = ConvNetwork([(1, 4, 4), Conv(2, 3), MaxPool(2), 2], seed=0)
    X = np.random.default_rng(0).uniform(size=(3, 4 if kind == "dense" else 16))
    T = np.full((3, 2), 0.5)
    fast = net.vectorized()
    fast.train(X, T, rate=1e-3, optimizer="adam", track_loss=False)
    arrays = parameter_arrays(fast.parameter_layers)
    layers = fast.parameter_layers
    assert len(arrays) == 2 * len(layers) + 4 * len(layers)  # W, b; Adam's M and V of each
    assert fast.parameters_finite()
    for array in arrays:  # each one alone makes the verdict: NaN, inf, and finite values whose sum overflows
        kept = array.copy()
        for values, finite in (([np.nan], False), ([-np.inf], False), ([np.finfo(array.dtype).max] * 2, True)):
            array.flat[: len(values)] = values
            assert fast.parameters_finite() is finite
            array[...] = kept
    assert fast.parameters_finite()
