"""Convolution in the graph and on the fast path: shared weights, pooling routes, one truth, the mirror."""

import re

import numpy as np
import pytest
from conftest import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS, valid_targets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphnet import AvgPool, Conv, ConvNetwork, MaxPool
from graphnet.common.convspec import plan_layers
from graphnet.graph.conv import KernelConnection, PoolConnection, SharedWeight
from graphnet.math.errors import GraphnetError, IncompatibleError, ShapeError

MIRROR_TOLERANCE = 1e-12


@st.composite
def conv_specs(draw):
    """A random conv net's layer list: input shape, 1–2 conv layers, optional pooling, 1–2 dense layers."""
    channels = draw(st.integers(1, 3))
    height, width = draw(st.integers(3, 8)), draw(st.integers(3, 8))
    specs = [(channels, height, width)]
    for _ in range(draw(st.integers(1, 2))):
        h, w = height, width
        kernel = draw(st.integers(1, 3))
        padding = draw(st.integers(0, 2))
        stride = draw(st.integers(1, 3))
        if min(h, w) + 2 * padding < kernel:
            break
        specs.append(Conv(draw(st.integers(1, 3)), kernel, stride=stride, padding=padding))
        height, width = plan_layers([*specs, 1])[-2].out_shape[1:]
        pool = draw(st.sampled_from([None, "max", "avg"]))
        size = draw(st.integers(1, 2))
        if pool is not None and min(height, width) >= size:
            stride = draw(st.sampled_from([None, 1]))
            specs.append((MaxPool if pool == "max" else AvgPool)(size, stride=stride))
            height, width = plan_layers([*specs, 1])[-2].out_shape[1:]
    specs += draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))
    return specs


@st.composite
def conv_nets_and_data(draw, activations=HIDDEN_ACTIVATIONS, pairs=OUTPUT_PAIRS):
    specs = draw(conv_specs())
    hidden = draw(st.sampled_from(activations))
    output, loss = draw(st.sampled_from(pairs))
    if output == "softmax":
        specs[-1] = max(specs[-1], 2)
    seed = draw(st.integers(0, 2**32 - 1))
    l2 = draw(st.sampled_from([0.0, 0.01]))
    net = ConvNetwork(
        specs, activation=hidden, output_activation=output, loss=loss, init="xavier", bias_init=0.1, l2=l2, seed=seed
    )
    rng = np.random.default_rng(seed)
    n_samples = draw(st.integers(1, 4))
    inputs = rng.normal(size=(n_samples, net.sizes[0]))
    targets = valid_targets(loss, n_samples, net.sizes[-1], rng)
    return net, inputs, targets


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_nets_and_data(), st.sampled_from(["mean", "sum"]))
def test_graph_and_fast_agree_on_outputs_deltas_and_every_shared_gradient(case, reduction):
    net, X, T = case
    fast = net.vectorized()
    assert np.abs(net.predict(X) - fast.predict(X)).max() <= MIRROR_TOLERANCE
    fast_gradients = fast.gradients(X, T, reduction=reduction)
    graph_gradients = net.gradients(X, T, reduction=reduction)
    for (gK, gb), (fK, fb) in zip(graph_gradients, fast_gradients, strict=True):
        assert gK.shape == fK.shape and gb.shape == fb.shape
        np.testing.assert_allclose(gK, fK, rtol=0, atol=MIRROR_TOLERANCE * max(1.0, np.abs(fK).max()))
        np.testing.assert_allclose(gb, fb, rtol=0, atol=MIRROR_TOLERANCE * max(1.0, np.abs(fb).max()))
    # δ of every node, for the last sample (the graph holds one sample's values)
    fast.forward(X[-1:])
    fast.backward(T[-1:], reduction="sum")
    net.forward(X[-1])
    net.backward(T[-1])
    for layer, fast_delta in zip(net.layers[1:], fast.deltas, strict=True):
        np.testing.assert_allclose(layer.deltas, fast_delta[0], rtol=0, atol=MIRROR_TOLERANCE)
    # each shared gradient is the sum of its connections' contributions δ_j·o_i
    for index in net.kernels:
        for parameter in [*net.kernel(index).ravel(), *net.conv_bias(index)]:
            contributions = sum(c.downstream.delta * c.upstream.output for c in parameter.connections)
            l2 = 0.0 if parameter.is_bias else net.l2 * parameter.weight
            assert parameter.gradient == pytest.approx(contributions + l2, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(conv_nets_and_data(activations=["tanh", "sigmoid"], pairs=[("sigmoid", "squared_error")]))
def test_float32_path_is_close_to_the_graph(case):
    net, X, T = case
    fast32 = net.vectorized(np.float32)
    assert fast32.predict(X).dtype == np.float32
    np.testing.assert_allclose(fast32.predict(X), net.predict(X), atol=1e-5)
    for (a, b), (c, d) in zip(fast32.gradients(X, T), net.gradients(X, T), strict=True):
        np.testing.assert_allclose(a, c, atol=1e-5)
        np.testing.assert_allclose(b, d, atol=1e-5)


def small_net(**options):
    return ConvNetwork([(1, 4, 4), Conv(2, 3), MaxPool(2), 3], seed=0, **options)


def test_the_graph_is_built_of_nodes_and_shared_weight_connections():
    net = small_net()
    assert [layer.size for layer in net.layers] == [16, 8, 2, 3]
    entry = net.kernel(1)[1, 0, 2, 0]
    assert isinstance(entry, SharedWeight) and entry.label == "K1[1,0,2,0]"
    # a 3x3 kernel on 4x4 (no padding, stride 1): each entry is used at the 2x2 output positions
    assert len(entry.connections) == 4
    assert all(isinstance(c, KernelConnection) and c.parameter is entry for c in entry.connections)
    assert [c.upstream.label for c in entry.connections] == ["0-8", "0-9", "0-12", "0-13"]
    assert [c.downstream.label for c in entry.connections] == ["1-4", "1-5", "1-6", "1-7"]
    assert len(net.conv_bias(1)[0].connections) == 4
    assert all(isinstance(c, PoolConnection) for c in net.layers[2].nodes[0].upstream)


def test_assigning_through_any_connection_assigns_the_one_shared_weight():
    net = small_net()
    entry = net.kernel(1)[0, 0, 0, 0]
    entry.connections[2].weight = 0.75
    assert [c.weight for c in entry.connections] == [0.75] * 4
    assert entry.weight == 0.75
    assert net.get_params()[0][0][0, 0, 0, 0] == 0.75
    with pytest.raises(GraphnetError):
        entry.weight = float("nan")
    with pytest.raises(IncompatibleError):
        net.layers[2].nodes[0].upstream[0].weight = 2.0  # pooling weights are fixed
    with pytest.raises(IncompatibleError):
        entry.connections[0].update(0.1)  # a shared weight updates once, not per connection


def test_padding_positions_have_no_connections():
    net = ConvNetwork([(1, 3, 3), Conv(1, 3, padding=1), 1], seed=0)
    corner = net.layers[1].nodes[0]  # output (0, 0): its window covers 2x2 real pixels
    assert len(corner.upstream) == 4 + 1
    centre = net.layers[1].nodes[4]
    assert len(centre.upstream) == 9 + 1
    # K[0,0,0,0] touches the input only where the window's top left corner is inside: 2x2 positions
    assert len(net.kernel(1)[0, 0, 0, 0].connections) == 4


def test_max_pooling_routes_delta_to_the_window_maximum_only():
    net = ConvNetwork([(1, 2, 2), MaxPool(2), 1], activation="identity", seed=0)
    net.forward([0.1, 0.9, 0.3, 0.2])
    net.backward([0.0])
    pool = net.layers[1].nodes[0]
    assert pool.net_input == 0.9 and pool.winner is pool.upstream[1]
    assert [c.weight for c in pool.upstream] == [0.0, 1.0, 0.0, 0.0]
    assert net.layers[1].deltas[0] != 0.0
    inputs = net.layers[0].nodes
    assert [node.downstream_sum() for node in inputs] == [0.0, pool.delta, 0.0, 0.0]


def test_average_pooling_shares_delta_equally():
    net = ConvNetwork([(1, 2, 2), AvgPool(2), 1], activation="identity", seed=0)
    net.forward([0.1, 0.9, 0.3, 0.2])
    assert net.layers[1].outputs[0] == pytest.approx(0.375)
    net.backward([0.0])
    pool = net.layers[1].nodes[0]
    assert [node.downstream_sum() for node in net.layers[0].nodes] == [pool.delta * 0.25] * 4


def test_one_truth_between_the_graph_and_its_fast_mirror():
    net = small_net()
    fast = net.vectorized()
    X, T = np.linspace(0, 1, 32).reshape(2, 16), np.array([[0.1, 0.5, 0.9], [0.2, 0.4, 0.6]])
    entry = net.kernel(1)[0, 0, 1, 1]
    entry.weight = 0.3
    fast.predict(X)
    assert fast.layers[0].W[0, 0, 1, 1] == 0.3  # the fast call copied it in
    fast.gradients(X, T)
    fast.update(0.5)
    expected = 0.3 - 0.5 * fast.layers[0].dW[0, 0, 1, 1]
    assert entry.weight == pytest.approx(expected, abs=1e-15)  # owed back, collected on reading


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_training_on_graph_and_fast_gives_the_same_parameters(optimizer):
    rng = np.random.default_rng(3)
    X, T = rng.normal(size=(6, 16)), rng.uniform(0.1, 0.9, size=(6, 3))
    graph, fast = small_net(activation="tanh"), small_net(activation="tanh")
    history_graph = graph.train(X, T, rate=0.1, epochs=2, batch_size=3, optimizer=optimizer, engine="graph")
    history_fast = fast.train(X, T, rate=0.1, epochs=2, batch_size=3, optimizer=optimizer, engine="fast")
    assert history_graph.updates == history_fast.updates == 4
    for (a, b), (c, d) in zip(graph.get_params(), fast.get_params(), strict=True):
        np.testing.assert_allclose(a, c, atol=1e-12)
        np.testing.assert_allclose(b, d, atol=1e-12)
    np.testing.assert_allclose(history_graph.losses, history_fast.losses, atol=1e-12)
    if optimizer != "sgd":
        state_graph = graph.kernel(1)[0, 0, 0, 0].state
        state_fast = fast.kernel(1)[0, 0, 0, 0].state
        assert state_graph is not None and state_fast is not None
        np.testing.assert_allclose(state_graph.values(), state_fast.values(), atol=1e-12)


def test_update_on_the_graph_updates_each_shared_weight_once():
    net = small_net()
    X, T = np.linspace(-1, 1, 16), np.array([0.1, 0.5, 0.9])
    net.forward(X)
    net.backward(T)
    entry = net.kernel(1)[1, 0, 0, 2]
    before, gradient = entry.weight, entry.gradient
    net.update(0.5)
    assert entry.weight == before - 0.5 * gradient


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([(1, 4, 4), 3, Conv(1, 2), 2], "needs a (C, H, W) input"),
        ([(1, 2, 2), Conv(1, 3), 2], "does not fit"),
        ([(1, 4, 4), Conv(1, 2)], "last layer must be dense"),
        ([(1, 4, 4), "conv", 2], "must be Conv"),
        ([[1, 4, 4], 2], "input shape"),
        ([(1, 4, 4)], "input shape first"),
    ],
)
def test_bad_layer_lists_are_refused_clearly(layers, message):
    with pytest.raises(ShapeError, match=re.escape(message)):
        ConvNetwork(layers)
    assert issubclass(ShapeError, ValueError)


def test_bad_layer_settings_are_refused_clearly():
    with pytest.raises(GraphnetError, match="Conv kernel"):
        Conv(2, 0)
    with pytest.raises(GraphnetError, match="MaxPool size"):
        MaxPool(0)
    with pytest.raises(GraphnetError, match="softmax"):
        ConvNetwork([(1, 4, 4), Conv(1, 2), 2], activation="softmax")


def test_images_may_be_given_with_their_shape():
    net = small_net()
    X = np.linspace(0, 1, 32).reshape(2, 1, 4, 4)
    np.testing.assert_allclose(net.predict(X), net.vectorized().predict(X), atol=1e-12)
    np.testing.assert_allclose(net.predict(X[0]), net.predict(X)[0], atol=0)


def test_a_copied_conv_net_keeps_its_shared_weights_shared():
    import copy

    net = small_net()
    X = np.linspace(0, 1, 32).reshape(2, 16)
    twin = copy.deepcopy(net)
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    entry = twin.kernel(1)[0, 0, 1, 1]
    assert entry is not net.kernel(1)[0, 0, 1, 1]
    assert all(c.parameter is entry for c in entry.connections)
    entry.connections[0].weight = 0.5
    assert [c.weight for c in entry.connections] == [0.5] * 4 and net.kernel(1)[0, 0, 1, 1].weight != 0.5
