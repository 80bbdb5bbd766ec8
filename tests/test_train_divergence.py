"""The divergence guard: NaN or inf stops training by name, and the network keeps finite parameters."""

import numpy as np
import pytest

from graphnet import GraphnetError, Network
from graphnet.math.errors import NumericalOverflowError, TrainingDiverged

RNG = np.random.default_rng(8)
X = RNG.normal(size=(20, 3)) * 10
T = RNG.normal(size=(20, 2))


def make_net(hidden="relu"):
    return Network([3, 8, 2], activation=hidden, output_activation="identity", seed=1)


def diverge(net, engine, **options):
    with pytest.raises(TrainingDiverged) as info:
        net.train(X, T, rate=1e3, epochs=200, engine=engine, **options)
    error = info.value
    assert isinstance(error, ArithmeticError) and isinstance(error, GraphnetError) and isinstance(error, ValueError)
    assert np.isfinite(net.get_flat_params()).all()
    assert f"epoch {error.epoch}" in str(error) and "lower the rate (got 1000)" in str(error)
    return error


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_an_exploding_rate_stops_at_the_update_that_overflows_with_the_weights_before_it(engine):
    net = make_net()
    error = diverge(net, engine, batch_size=1, shuffle=True)
    assert error.sample is not None and error.batch == (error.sample,)
    assert f"at sample {error.sample} (update " in str(error)
    assert "the network keeps the parameters from just before that update" in str(error)
    # those parameters are the last finite ones: the named sample's update overflows them
    with pytest.raises(NumericalOverflowError):
        net.gradients(X[[error.sample]], T[[error.sample]], reduction="sum")
        net.update(1e3)
    assert np.isfinite(net.get_flat_params()).all()


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_mini_batch_run_names_the_batch(engine):
    error = diverge(make_net(), engine, batch_size=4)
    assert len(error.batch) == 4 and f"a batch of 4 samples [{', '.join(map(str, error.batch))}]" in str(error)


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_when_only_the_loss_overflows_the_first_bad_sample_is_named(engine):
    net = make_net("sigmoid")
    error = diverge(net, engine, batch_size=None)
    assert error.sample is not None and f"the loss of sample {error.sample} is inf" in str(error)
    assert f"keeps the parameters from the start of epoch {error.epoch}" in str(error)
    assert np.isfinite(net.loss(X, T))  # the start of that epoch was still good


def test_both_engines_stop_at_the_same_place_with_the_same_parameters():
    graph, fast = make_net(), make_net()
    errors = [diverge(graph, "graph", batch_size=1, shuffle=True), diverge(fast, "fast", batch_size=1, shuffle=True)]
    assert (errors[0].epoch, errors[0].sample) == (errors[1].epoch, errors[1].sample)
    np.testing.assert_allclose(graph.get_flat_params(), fast.get_flat_params(), rtol=1e-9)


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_a_sample_whose_outputs_overflow_is_named_before_its_update(engine):
    """Sample 2 is so large that the forward pass overflows: its δ is inf, and the update is not made."""
    inputs = np.array([[0.1, 0.2, 0.3], [0.3, -0.1, 0.2], [1.5e308, 1.5e308, 1.5e308], [0.0, 0.1, 0.0]])
    targets = np.zeros((4, 1))
    net = Network([3, 2, 1], activation="identity", seed=0)
    net.set_params([(np.ones((2, 3)), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))])
    reference = Network([3, 2, 1], activation="identity", seed=0)
    reference.set_params(net.get_params())
    reference.train(inputs[:2], targets[:2], rate=0.01, engine=engine)  # the two updates before sample 2
    with pytest.raises(TrainingDiverged, match=r"in epoch 1 at sample 2 \(update 3 of 4\): its output δ is not finite"):
        net.train(inputs, targets, rate=0.01, engine=engine)
    assert net.get_flat_params().tobytes() == reference.get_flat_params().tobytes()


def test_the_guard_also_works_without_tracking_the_loss():
    net = make_net()
    with pytest.raises(TrainingDiverged):
        net.train(X, T, rate=1e3, epochs=200, track_loss=False, engine="fast")
    assert np.isfinite(net.get_flat_params()).all()


def test_the_error_still_renders_as_one_line():
    error = TrainingDiverged("training diverged in epoch 2", epoch=2, sample=5, batch=(5,))
    assert str(error) == "training diverged in epoch 2" and error.batch == (5,)
    assert TrainingDiverged("plain").epoch is None


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_training_from_non_finite_parameters_is_refused(engine):
    from graphnet.common.sync import changed
    from graphnet.math.errors import NonFiniteError

    net = make_net()
    net.connections[1, 0, 0]._weight = float("nan")  # past the setter's guard (it refuses NaN at once)
    changed()  # as the setter would: the fast mirror copies the graph again
    with pytest.raises(NonFiniteError, match="the parameters must be finite to train; got NaN or inf"):
        net.train(X, T, rate=0.1, engine=engine)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_with_momentum_and_dropout_both_engines_stop_before_the_same_update_with_the_same_state(batch_size):
    import re

    nets = {
        engine: Network([3, 8, 2], activation="relu", output_activation="identity", dropout=0.3, seed=1)
        for engine in ("graph", "fast")
    }
    errors = {
        engine: diverge(net, engine, batch_size=batch_size, shuffle=True, optimizer="momentum")
        for engine, net in nets.items()
    }
    assert (errors["graph"].epoch, errors["graph"].batch) == (errors["fast"].epoch, errors["fast"].batch)
    graph, fast = nets["graph"], nets["fast"]
    np.testing.assert_allclose(graph.get_flat_params(), fast.get_flat_params(), rtol=1e-9)
    # the optimizer is left as it was before the failing update: its count and every velocity
    number, total = map(int, re.search(r"update (\d+) of (\d+)", str(errors["graph"])).groups())
    done = (errors["graph"].epoch - 1) * total + number - 1
    assert graph.optimizer.step_count == fast.optimizer.step_count == done
    velocities = [[c.state.velocity for c in net.connections] for net in (graph, fast)]
    assert np.isfinite(velocities).all()
    np.testing.assert_allclose(velocities[1], velocities[0], rtol=1e-9, atol=1e-300)
