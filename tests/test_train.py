"""Training schedules on the graph: XOR learnt by per-sample SGD and by full-batch descent."""

import numpy as np
import pytest

from graphnet import History, Network
from graphnet.demos import xor_data
from graphnet.errors import IncompatibleError, NotDifferentiableError
from graphnet.schedule import EpochSchedule

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
