"""Numerical safety: extreme numbers give finite, silent results or a clear error, never a warning or a NaN.

The suite runs with warnings as errors (pyproject), so any RuntimeWarning from numpy fails here.
"""

import math

import numpy as np
import pytest
from conftest import OUTPUT_PAIRS, valid_targets

from graphnet import Network
from graphnet.math.activations import Softmax, get_activation
from graphnet.math.errors import NonFiniteError, NumericalOverflowError
from graphnet.math.losses import get_loss

HUGE = [-math.inf, -1.7e308, -1e300, -745.2, -1e-300, 0.0, 1e-300, 745.2, 1e300, 1.7e308, math.inf]


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "step"])
def test_activations_and_derivatives_are_finite_for_any_finite_input_and_silent_for_inf(name):
    activation = get_activation(name)
    z = np.array(HUGE)
    values = activation.value_array(z)
    scalar = [activation.value(v) for v in HUGE]
    np.testing.assert_array_equal(values, scalar)
    bounded = name in ("sigmoid", "tanh", "step")
    assert np.isfinite(values).all() if bounded else np.isfinite(values[1:-1]).all()
    if activation.differentiable:
        derivatives = activation.derivative_array(z)
        assert np.isfinite(derivatives).all()
        np.testing.assert_array_equal(derivatives, [activation.derivative(v) for v in HUGE])
    if name == "sigmoid":
        assert values.tolist()[:3] == [0.0, 0.0, 0.0] and values.tolist()[-3:] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "row",
    [
        [1.7e308, -1.7e308, 0.0],
        [-1.7e308, -1.7e308, -1.7e308],
        [1e300, 1e300 * (1 - 1e-15), -1e300],
        [math.inf, 0.0, 1.0],
        [math.inf, math.inf, -math.inf],
        [-math.inf, -math.inf, -math.inf],
    ],
)
def test_softmax_is_a_distribution_for_any_net_inputs(row):
    values = Softmax().value_array(np.array([row]))[0]
    scalar = Softmax.layer_values(row)
    assert np.isfinite(values).all() and values.sum() == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(values, scalar)


def test_softmax_of_infinite_net_inputs_splits_between_the_maxima():
    assert Softmax.layer_values([math.inf, math.inf, 3.0]) == [0.5, 0.5, 0.0]
    assert Softmax().value_array(np.array([[-math.inf, -math.inf]])).tolist() == [[0.5, 0.5]]


@pytest.mark.parametrize(
    ("loss_name", "output"), [("binary_cross_entropy", "sigmoid"), ("categorical_cross_entropy", "softmax")]
)
def test_log_losses_are_finite_and_silent_for_huge_net_inputs(loss_name, output):
    loss = get_loss(loss_name)
    z = np.array([[1e300, -1e300, 0.0], [-1.7e308 / 2, 1.7e308 / 2, 5.0], [745.2, -745.2, 1e-300]])
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    y = get_activation(output).value_array(z)
    values = loss.value_array(y, targets, z)
    assert np.isfinite(values).all() and (values >= 0).all()
    for row in range(3):
        assert loss.value(y[row].tolist(), targets[row].tolist(), z[row].tolist()) == pytest.approx(
            values[row], rel=1e-12
        )
    # a target of 0 on a unit 3.4e308 below the maximum: the term is 0, not 0·inf = NaN
    spread = np.array([[1.7e308, -1.7e308]])
    assert get_loss("categorical_cross_entropy").value_array(
        Softmax().value_array(spread), np.array([[1.0, 0.0]]), spread
    ).tolist() == [0.0]


def test_squared_error_of_huge_outputs_is_refused_by_name_on_the_graph():
    net = Network([1, 1], activation="identity", seed=0)
    net.set_params([(np.array([[1e6]]), np.array([0.0]))])
    for engine in ("graph", "fast"):
        with pytest.raises(NumericalOverflowError, match="the loss must be finite; got inf") as info:
            net.loss([[1e300]], [[0.0]], engine=engine)
        assert isinstance(info.value, OverflowError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(("output", "loss"), OUTPUT_PAIRS)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_inputs_of_1e300_and_weights_of_1e6_stay_finite_on_both_paths(hidden, output, loss):
    n_out = 3 if output == "softmax" else 2
    net = Network([3, 4, n_out], activation=hidden, output_activation=output, loss=loss, seed=0)
    signs = np.random.default_rng(1)
    net.set_params(
        [
            (signs.choice([-1e6, 1e6], size=W.shape), signs.choice([-1e6, 1e6], size=b.shape))
            for W, b in net.get_params()
        ]
    )
    X = np.array([[1e300, -1e300, 1e300], [-1e300, 5.0, 1e-300], [0.5, -0.25, 1e300]])
    T = valid_targets(loss, 3, n_out, np.random.default_rng(2))
    graph_outputs, fast_outputs = net.predict(X), net.vectorized().predict(X)
    np.testing.assert_array_equal(graph_outputs, fast_outputs)
    assert np.isfinite(graph_outputs).all()
    graph_loss, fast_loss = net.loss(X, T, engine="graph"), net.loss(X, T)
    assert math.isfinite(graph_loss) and graph_loss == pytest.approx(fast_loss, rel=1e-12)
    graph_gradients = net.gradients(X, T)
    fast_gradients = net.vectorized().gradients(X, T)
    for (gW, gb), (fW, fb) in zip(graph_gradients, fast_gradients, strict=True):
        assert np.isfinite(gW).all() and np.isfinite(gb).all()
        np.testing.assert_allclose(gW, fW, rtol=1e-12, atol=0)
        np.testing.assert_allclose(gb, fb, rtol=1e-12, atol=0)
    for engine in ("graph", "fast"):
        net.train(X, T, rate=1e-12, epochs=1, batch_size=2, engine=engine)
        assert np.isfinite(net.get_flat_params()).all()


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_an_overflowing_forward_pass_is_refused_by_name(engine):
    net = Network([3, 4, 2], activation="relu", output_activation="identity", seed=0)
    net.set_params([(np.full((4, 3), 1e6), np.zeros(4)), (np.full((2, 4), 1e6), np.zeros(2))])
    X = np.array([[1.0, 2.0, 3.0], [1e300, 1e300, 1e300]])
    T = np.zeros((2, 2))
    path = net if engine == "graph" else net.vectorized()
    with pytest.raises(NumericalOverflowError, match="the outputs for sample 1 must be finite; got inf") as info:
        path.predict(X)
    assert "overflowed the float64 range" in str(info.value)
    with pytest.raises(NumericalOverflowError, match="sample 1"):
        path.loss(X, T)
    with pytest.raises(NumericalOverflowError):
        path.gradients(X, T)
    with pytest.raises(NumericalOverflowError, match="the outputs"):
        path.forward(X[1] if engine == "graph" else X)
    with pytest.raises(NumericalOverflowError):
        path.accuracy(X, [0, 1])


@pytest.mark.parametrize("engine", ["graph", "fast"])
def test_an_overflowing_update_is_refused_and_leaves_the_weights(engine):
    net = Network([2, 2, 1], activation="identity", seed=0)
    before = net.get_flat_params()
    path = net if engine == "graph" else net.vectorized()
    path.gradients(np.array([[1e10, -1e10]]), np.array([[1.0]]))  # ∂E/∂w of layer 1 ≈ δ·1e10
    with pytest.raises(NumericalOverflowError, match=r"the update with rate 1e\+308 would make a weight NaN or inf"):
        path.update(1e308)
    assert net.get_flat_params().tobytes() == before.tobytes()


def test_the_float32_path_refuses_numbers_beyond_its_range_by_name():
    net = Network([2, 2, 1], seed=0)
    fast32 = net.vectorized(np.float32)
    with pytest.raises(NonFiniteError, match=r"X must be within ±3.4e\+38 to compute in float32; got 1e\+39"):
        fast32.predict([[1e39, 0.0]])
    assert fast32.predict([[3e38, 0.0]]).dtype == np.float32
    net.connections[1, 0, 0].weight = 1e40
    with pytest.raises(NumericalOverflowError, match="the weights as float32"):
        fast32.predict([[1.0, 0.0]])


@pytest.mark.skipif(np.finfo(np.longdouble).max == np.finfo(np.float64).max, reason="long double is float64 here")
def test_an_input_beyond_float64_is_refused_not_rounded_to_inf():
    with pytest.raises(NonFiniteError, match="must be within ±1.8e\\+308 to compute in float64"):
        Network([1, 1], seed=0).predict(np.array([np.finfo(np.longdouble).max], dtype=np.longdouble))
