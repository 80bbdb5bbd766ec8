"""The object graph against independent numpy computations and central differences."""

import itertools
import zlib

import numpy as np
import pytest
from conftest import COMBINATIONS, central_difference, valid_targets

from graphnet import Connection, ConstNode, Network, Node
from graphnet.math.errors import ShapeError

# A hand-worked 3-4-2 sigmoid network, squared error; asymmetric numbers so a swapped
# index or argument shows.
W1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.15, -0.25, 0.35]])
B1 = np.array([0.01, -0.02, 0.03, -0.04])
W2 = np.array([[0.2, -0.3, 0.4, -0.5], [-0.6, 0.7, -0.8, 0.9]])
B2 = np.array([0.05, -0.06])
X = np.array([1.0, 0.5, -1.5])
T = np.array([0.9, 0.1])


def hand_worked():
    """Plain numpy: forward, deltas (δ = ∂E/∂net), gradients, for E = ½Σ(t−y)²."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    net1 = W1 @ X + B1
    o1 = sigmoid(net1)
    net2 = W2 @ o1 + B2
    o2 = sigmoid(net2)
    delta2 = (o2 - T) * o2 * (1 - o2)
    delta1 = o1 * (1 - o1) * (W2.T @ delta2)
    return o1, o2, delta1, delta2, np.outer(delta1, X), delta1, np.outer(delta2, o1), delta2


def make_342():
    net = Network([3, 4, 2], activation="sigmoid", loss="squared_error", seed=0)
    net.set_params([(W1, B1), (W2, B2)])
    return net


def test_hand_worked_3_4_2_outputs_deltas_and_gradients():
    o1, o2, delta1, delta2, dW1, db1, dW2, db2 = hand_worked()
    net = make_342()
    outputs = net.forward(X)
    net.backward(T)
    np.testing.assert_allclose(outputs, o2, rtol=1e-14)
    np.testing.assert_allclose(net.layers[1].outputs, o1, rtol=1e-14)
    np.testing.assert_allclose(net.layers[1].deltas, delta1, rtol=1e-13)
    np.testing.assert_allclose(net.layers[2].deltas, delta2, rtol=1e-13)
    (gW1, gb1), (gW2, gb2) = net.gradients()
    for got, want in ((gW1, dW1), (gb1, db1), (gW2, dW2), (gb2, db2)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    # one connection, read as the textbook writes it: ∂E/∂w_ji = δ_j·o_i
    connection = net.connections[2, 3, 1]
    assert connection.weight == W2[1, 3]
    assert connection.gradient == pytest.approx(delta2[1] * o1[3], rel=1e-14)


def test_set_params_then_predict_equals_a_numpy_forward_pass():
    rng = np.random.default_rng(11)
    sizes = [5, 7, 3, 2]
    params = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in itertools.pairwise(sizes)]
    net = Network(sizes, activation="tanh", output_activation="sigmoid")
    net.set_params(params)
    x = rng.normal(size=5)
    a = x
    for k, (W, b) in enumerate(params):
        z = W @ a + b
        a = 1 / (1 + np.exp(-z)) if k == len(params) - 1 else np.tanh(z)
    np.testing.assert_allclose(net.predict(x), a, rtol=1e-14)
    for (W, b), (W_got, b_got) in zip(params, net.get_params(), strict=True):
        assert np.array_equal(W, W_got) and np.array_equal(b, b_got)


@pytest.mark.parametrize(("hidden", "output", "loss", "bias"), COMBINATIONS)
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_every_connection_gradient_matches_central_differences(hidden, output, loss, bias, l2):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}-{output}-{loss}-{bias}".encode()))
    n_out = 3 if output == "softmax" else 2
    net = Network(
        [3, 4, n_out],
        activation=hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        init="normal",
        bias_init=0.1,
        l2=l2,
        seed=rng,
    )
    x = rng.normal(size=3)
    t = valid_targets(loss, 1, n_out, rng)[0]
    net.forward(x)
    net.backward(t)
    analytic = np.concatenate(
        [np.concatenate([dW.ravel(), db]) if db is not None else dW.ravel() for dW, db in net.gradients()]
    )
    theta = net.get_flat_params()

    def loss_at(vector):
        net.set_flat_params(vector)
        return net.loss(x[None], t[None], engine="graph")

    numeric = central_difference(loss_at, theta)
    net.set_flat_params(theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # gradients() is read off the connections: w_ji's gradient sits at dW[j, i]
    for layer, (dW, db) in enumerate(net.gradients(), start=1):
        for j, i in np.ndindex(dW.shape):
            assert net.connections[layer, i, j].gradient == dW[j, i]
        if db is not None:
            assert [net.connections[layer, "bias", j].gradient for j in range(len(db))] == db.tolist()


def test_objects_are_a_real_graph():
    net = make_342()
    node = net.node(1, 2)
    assert isinstance(node, Node) and node.label == "1-2"
    assert [c.upstream.label for c in node.upstream] == ["0-0", "0-1", "0-2", "0-3"]
    assert isinstance(node.upstream[-1].upstream, ConstNode) and node.upstream[-1].is_bias
    assert [c.downstream.label for c in node.downstream] == ["2-0", "2-1"]
    assert all(isinstance(c, Connection) for c in net.connections)
    assert len(net.connections) == (3 + 1) * 4 + (4 + 1) * 2 == net.n_parameters
    assert net.connections[1, "bias", 2].weight == B1[2]
    with pytest.raises(AttributeError):
        net.layers[0].bias.output = 2.0  # the bias node's output is always 1
    no_bias = Network([3, 4, 2], bias=False)
    assert no_bias.layers[0].bias is None and len(no_bias.connections) == 3 * 4 + 4 * 2
    assert no_bias.get_params()[0][1] is None


def test_a_weight_assigned_in_the_repl_is_used_by_the_next_forward_pass():
    net = make_342()
    before = net.predict(X)
    net.connections[2, 0, 1].weight += 1.0
    after = net.predict(X)
    assert after[0] == before[0] and after[1] != before[1]


def test_flat_params_round_trip_and_order():
    net = make_342()
    flat = net.get_flat_params()
    np.testing.assert_array_equal(flat, np.concatenate([W1.ravel(), B1, W2.ravel(), B2]))
    net.set_flat_params(flat * 2)
    np.testing.assert_array_equal(net.get_params()[1][0], W2 * 2)


def test_loss_and_gradient_is_scipy_ready():
    net = make_342()
    inputs = np.array([X, X[::-1]])
    targets = np.array([T, T[::-1]])
    theta = net.get_flat_params()
    value, gradient = net.loss_and_gradient(theta, inputs, targets)
    assert value == pytest.approx(net.loss(inputs, targets, engine="graph"), rel=1e-12)
    numeric = central_difference(lambda v: net.loss_and_gradient(v, inputs, targets)[0], theta)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-10)


def test_same_seed_same_weights_different_seed_different_weights():
    for init in ("uniform", "normal", "xavier", "he"):
        a = Network([4, 3, 2], init=init, seed=7).get_flat_params()
        b = Network([4, 3, 2], init=init, seed=7).get_flat_params()
        c = Network([4, 3, 2], init=init, seed=8).get_flat_params()
        assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_initializer_scales():
    rng_net = Network([400, 300, 1], init="uniform", seed=0)
    W = rng_net.get_params()[0][0]
    assert W.min() >= -0.1 and W.max() <= 0.1
    he = Network([400, 300, 1], init="he", seed=0).get_params()[0][0]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    xavier = Network([400, 300, 1], init="xavier", seed=0).get_params()[0][0]
    assert np.abs(xavier).max() <= np.sqrt(6 / 700)
    assert Network([2, 2, 1], bias_init=1.0).get_params()[0][1].tolist() == [1.0, 1.0]


def test_set_params_names_the_bad_shape():
    net = make_342()
    with pytest.raises(ShapeError, match=r"W of layer 2 must have shape \(2, 4\); got \(4, 2\)"):
        net.set_params([(W1, B1), (W2.T, B2)])
    with pytest.raises(ShapeError, match="b of layer 1 is None"):
        net.set_params([(W1, None), (W2, B2)])
    with pytest.raises(ShapeError, match="one \\(W, b\\) pair per layer: 2"):
        net.set_params([(W1, B1)])


def test_building_pauses_the_garbage_collector_and_puts_it_back_as_it_was(monkeypatch):
    import gc

    from graphnet.graph import layer as layer_module

    seen = []
    real_connection = layer_module.Connection

    def spy(*args):
        seen.append(gc.isenabled())
        return real_connection(*args)

    monkeypatch.setattr(layer_module, "Connection", spy)
    assert gc.isenabled()
    net = Network([3, 4, 2], seed=0)
    assert gc.isenabled() and seen == [False] * net.n_parameters
    gc.disable()
    try:
        Network([3, 4, 2], seed=0)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    monkeypatch.setattr(layer_module, "Connection", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        Network([3, 4, 2], seed=0)
    assert gc.isenabled()
