"""The fast path mirrors the graph number for number, and shares its parameters."""

import numpy as np
import pytest
from conftest import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS, valid_targets
from hypothesis import given, settings
from hypothesis import strategies as st

from graphnet import Network
from graphnet.fast.network import FastNetwork

MIRROR_TOLERANCE = 1e-12


@st.composite
def networks_and_data(draw):
    n_layers = draw(st.integers(2, 5))
    sizes = draw(st.lists(st.integers(1, 12), min_size=n_layers, max_size=n_layers))
    hidden = draw(st.sampled_from(HIDDEN_ACTIVATIONS))
    output, loss = draw(st.sampled_from(OUTPUT_PAIRS))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    bias = draw(st.booleans())
    l2 = draw(st.sampled_from([0.0, 0.01]))
    seed = draw(st.integers(0, 2**32 - 1))
    n_samples = draw(st.integers(1, 5))
    net = Network(
        sizes,
        activation=hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        init="xavier",
        bias_init=0.1,
        l2=l2,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(n_samples, sizes[0]))
    targets = valid_targets(loss, n_samples, sizes[-1], rng)
    return net, inputs, targets


def assert_mirror(got, want):
    np.testing.assert_allclose(got, want, rtol=MIRROR_TOLERANCE, atol=MIRROR_TOLERANCE)


@settings(max_examples=300)
@given(case=networks_and_data(), reduction=st.sampled_from(["mean", "sum"]))
def test_graph_and_fast_agree_on_outputs_deltas_and_gradients(case, reduction):
    net, inputs, targets = case
    fast = net.vectorized()
    fast.forward(inputs)
    fast.backward(targets, reduction=reduction)
    for row, (x, t) in enumerate(zip(inputs, targets, strict=True)):
        net.forward(x)
        net.backward(t)
        for layer, dense in zip(net.layers[1:], fast.layers, strict=True):
            assert_mirror(dense.Z[row], layer.net_inputs)
            assert_mirror(dense.Y[row], layer.outputs)
            assert_mirror(dense.delta[row], layer.deltas)
    graph_gradients = net.gradients(inputs, targets, reduction=reduction)
    for (dW, db), (fast_dW, fast_db) in zip(graph_gradients, fast.gradients(), strict=True):
        assert_mirror(fast_dW, dW)
        if db is None:
            assert fast_db is None
        else:
            assert_mirror(fast_db, db)
    assert fast.loss(inputs, targets, reduction=reduction) == pytest.approx(
        net.loss(inputs, targets, reduction=reduction, engine="graph"),
        rel=MIRROR_TOLERANCE,
        abs=MIRROR_TOLERANCE,
    )


SCHEDULES = [
    pytest.param({"batch_size": 1}, 50, id="per-sample"),
    pytest.param({"batch_size": 4}, 50, id="mini-batch-mean"),
    pytest.param({"batch_size": 4, "reduction": "sum"}, 50, id="mini-batch-sum"),
    pytest.param({"batch_size": None, "reduction": "sum"}, 50, id="full-batch-sum"),
    pytest.param({"batch_size": None, "reduction": "mean"}, 50, id="full-batch-mean"),
    pytest.param({"batch_size": 3, "shuffle": True, "seed": 42}, 50, id="shuffled-mini-batch"),
    pytest.param({"batch_size": 1, "shuffle": True, "seed": 7}, 50, id="shuffled-per-sample"),
]


@pytest.mark.parametrize(("schedule", "updates"), SCHEDULES)
@pytest.mark.parametrize(
    ("hidden", "output", "loss"),
    [
        ("sigmoid", "sigmoid", "squared_error"),
        ("tanh", "softmax", "categorical_cross_entropy"),
        ("relu", "sigmoid", "binary_cross_entropy"),
    ],
)
def test_same_schedule_on_both_engines_ends_with_the_same_weights(schedule, updates, hidden, output, loss):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(12, 4))
    targets = valid_targets(loss, 12, 3, rng)
    nets = [
        Network([4, 5, 3], activation=hidden, output_activation=output, loss=loss, init="xavier", l2=0.001, seed=1)
        for _ in range(2)
    ]
    batch = schedule["batch_size"] or 12
    epochs = -(-updates * batch // 12)
    histories = [
        net.train(inputs, targets, rate=0.1, epochs=epochs, engine=engine, **schedule)
        for net, engine in zip(nets, ["graph", "fast"], strict=True)
    ]
    assert histories[0].updates == histories[1].updates >= updates
    np.testing.assert_allclose(nets[1].get_flat_params(), nets[0].get_flat_params(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(histories[1].losses, histories[0].losses, rtol=1e-10)
    assert not np.array_equal(nets[0].get_flat_params(), Network([4, 5, 3], init="xavier", seed=1).get_flat_params())


def test_one_truth_fast_training_then_graph_inspection():
    net = Network([3, 4, 2], seed=0)
    inputs = np.random.default_rng(1).normal(size=(20, 3))
    targets = np.random.default_rng(2).uniform(size=(20, 2))
    fast = net.vectorized()
    fast.train(inputs, targets, rate=0.5, epochs=3, batch_size=5)
    for dense, layer in zip(fast.layers, net.layers[1:], strict=True):
        for j, node in enumerate(layer.nodes):
            assert [c.weight for c in node.upstream[:-1]] == dense.W[j].tolist()
            assert node.upstream[-1].weight == dense.b[j]


def test_one_truth_graph_assignment_then_fast_predict():
    net = Network([3, 4, 2], seed=0)
    fast = net.vectorized()
    x = np.array([0.3, -0.2, 0.9])
    before = fast.predict(x)
    net.connections[1, 2, 3].weight = 2.5
    net.connections[2, "bias", 0].weight = -1.0
    after = fast.predict(x)
    assert fast.layers[0].W[3, 2] == 2.5 and fast.layers[1].b[0] == -1.0
    assert not np.array_equal(before, after)
    np.testing.assert_allclose(after, net.predict(x), rtol=MIRROR_TOLERANCE)


def test_one_truth_set_params_then_both():
    net = Network([3, 4, 2], seed=0)
    fast = net.vectorized()
    rng = np.random.default_rng(3)
    params = [(rng.normal(size=(4, 3)), rng.normal(size=4)), (rng.normal(size=(2, 4)), rng.normal(size=2))]
    net.set_params(params)
    X = rng.normal(size=(5, 3))
    plain = X
    for _k, (W, b) in enumerate(params):
        plain = 1 / (1 + np.exp(-(plain @ W.T + b)))
    np.testing.assert_allclose(fast.predict(X), plain, rtol=1e-14)
    np.testing.assert_allclose(net.predict(X), plain, rtol=1e-14)
    fast.gradients(X, rng.uniform(size=(5, 2)))
    fast.update(0.1)  # a fast-path update lands on the graph at once
    assert net.get_params()[0][0].tolist() == fast.layers[0].W.tolist()


def test_float32_fast_path_computes_in_float32_within_documented_tolerance():
    net = Network([6, 8, 3], activation="tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    fast32 = net.vectorized(np.float32)
    X = np.random.default_rng(0).normal(size=(10, 6))
    T = np.eye(3)[np.arange(10) % 3]
    Y32 = fast32.predict(X)
    assert Y32.dtype == np.float32
    np.testing.assert_allclose(Y32, net.vectorized().predict(X), rtol=1e-5, atol=1e-6)
    fast32.gradients(X, T)
    assert all(layer.dW.dtype == np.float32 and layer.db.dtype == np.float32 for layer in fast32.layers)
    fast32.train(X, T, rate=0.1, epochs=2, batch_size=5)
    assert all(layer.W.dtype == np.float32 for layer in fast32.layers)


def test_the_two_paths_expose_the_same_public_methods_in_the_same_order():
    mirrored = ["predict", "forward", "backward", "gradients", "update", "loss", "accuracy", "train"]
    for cls in (Network, FastNetwork):
        names = [n for n in vars(cls) if n in mirrored]
        assert names == mirrored, cls.__name__


def test_fast_backward_needs_a_forward_and_matching_rows():
    from graphnet.math.errors import ShapeError

    net = Network([2, 2, 1], seed=0)
    fast = FastNetwork(net)
    with pytest.raises(ShapeError, match="forward pass first"):
        fast.backward([[0.5]])
    fast.forward(np.zeros((3, 2)))
    with pytest.raises(ShapeError, match="the last forward batch has 3 samples but T has 2"):
        fast.backward(np.zeros((2, 1)))


def test_a_changed_l2_reaches_the_fast_path():
    net = Network([3, 2], seed=0)
    fast = net.vectorized()
    X, T = np.ones((1, 3)), np.full((1, 2), 0.5)
    net.l2 = 0.5
    dW_fast = fast.gradients(X, T)[0][0]
    dW_graph = net.gradients(X, T)[0][0]
    np.testing.assert_allclose(dW_fast, dW_graph, rtol=1e-12)
