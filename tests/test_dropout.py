"""Dropout: one mask function for both engines, a correct gradient under a fixed mask, no randomness in evaluation."""

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from conftest import central_difference
from rich.console import Console

import graphnet.tools.train
from graphnet import Network
from graphnet.math.dropout import draw_masks
from graphnet.math.errors import IncompatibleError, ShapeError
from graphnet.tools.gradcheck import gradient_check

X = np.random.default_rng(0).normal(size=(10, 4))
T = np.random.default_rng(1).uniform(0.05, 0.95, size=(10, 3))


def make(dropout=(0.5, 0.3), **kwargs):
    return Network([4, 6, 5, 3], activation="tanh", init="xavier", bias_init=0.1, dropout=list(dropout), **kwargs)


def render(obj) -> str:
    console = Console(record=True, width=100, color_system=None)
    console.print(obj)
    return console.export_text()


# ------------------------------------------------------------------ the draws
def test_a_batch_draw_equals_the_per_sample_sequence_in_the_documented_order():
    sizes, rates = [6, 5, 3], [0.5, 0.3]
    batch = draw_masks(np.random.default_rng(4), 7, sizes=sizes, rates=rates)
    rng = np.random.default_rng(4)
    rows = [draw_masks(rng, 1, sizes=sizes, rates=rates) for _ in range(7)]
    for layer in range(2):
        assert np.array_equal(batch[layer], np.vstack([row[layer] for row in rows]))
    assert batch[2] is None
    # one uniform per node, hidden layers bottom to top; kept where u < q
    uniform = np.random.default_rng(4).random((7, 11))
    assert np.array_equal(batch[0], (uniform[:, :6] < 0.5).astype(float))
    assert np.array_equal(batch[1], (uniform[:, 6:] < 0.7).astype(float))
    # a layer without dropout draws nothing
    only_second = draw_masks(np.random.default_rng(4), 7, sizes=sizes, rates=[0.0, 0.3])
    alone = np.random.default_rng(4).random((7, 5))
    assert only_second[0] is None and np.array_equal(only_second[1], (alone < 0.7).astype(float))


@pytest.mark.parametrize("schedule", [{"batch_size": 1}, {"batch_size": 4, "shuffle": True}])
def test_both_engines_draw_the_same_masks_and_end_with_the_same_weights(schedule, monkeypatch):
    drawn = {}
    original = graphnet.tools.train.draw_masks

    def recording(*args, **kwargs):
        masks = original(*args, **kwargs)
        drawn.setdefault(engine, []).append([None if m is None else m.copy() for m in masks])
        return masks

    monkeypatch.setattr(graphnet.tools.train, "draw_masks", recording)
    nets = {}
    for engine in ("graph", "fast"):
        nets[engine] = make(seed=3)
        nets[engine].train(
            X, T, rate=0.05, epochs=5, seed=9, engine=engine, optimizer="momentum", track_loss=False, **schedule
        )
    assert len(drawn["graph"]) == len(drawn["fast"]) >= 13
    for graph_masks, fast_masks in zip(drawn["graph"], drawn["fast"], strict=True):
        for a, b in zip(graph_masks, fast_masks, strict=True):
            assert (a is None and b is None) or np.array_equal(a, b)
    every = np.concatenate([masks[0].ravel() for masks in drawn["graph"]])
    assert 0.3 < every.mean() < 0.7  # q = 0.5 on layer 1
    np.testing.assert_allclose(nets["fast"].get_flat_params(), nets["graph"].get_flat_params(), rtol=0, atol=1e-10)
    # the graph's nodes hold the last sample's masks; the fast layers the last batch's factors m/q
    fast = nets["fast"].vectorized()
    for layer, dense in zip(nets["graph"].layers[1:3], fast.layers[:2], strict=True):
        assert [node.mask / node.keep for node in layer.nodes] == dense.mask[-1].tolist()


# ------------------------------------------------------------------ the gradient under a fixed mask
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gradient_check_passes_with_a_fixed_mask(activation):
    net = Network(
        [4, 6, 5, 3], activation=activation, init="xavier", bias_init=0.1, dropout=[0.5, 0.3], l2=0.01, seed=2
    )
    masks = net.draw_masks(len(X), seed=5)
    assert 0 < masks[0].mean() < 1 and 0 < masks[1].mean() < 1
    report = gradient_check(net, X, T, masks=masks)
    assert report.passed and report.max_relative_error < 1e-7
    # an independent oracle: central differences of E with the same masks, against both engines
    theta = net.get_flat_params()

    def loss(vector):
        net.set_flat_params(vector)
        return net.loss(X, T, masks=masks, engine="graph")

    numeric = central_difference(loss, theta)
    net.set_flat_params(theta)
    graph = np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in net.gradients(X, T, masks=masks)])
    fast = np.concatenate(
        [np.concatenate([dW.ravel(), db]) for dW, db in net.vectorized().gradients(X, T, masks=masks)]
    )
    np.testing.assert_allclose(graph, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast, graph, rtol=1e-10, atol=1e-14)
    # and the mask matters: the evaluation-mode gradient is another one
    evaluation = np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in net.gradients(X, T)])
    assert np.abs(evaluation - graph).max() > 1e-3
    # a dropped node's incoming weights get no gradient from that sample
    one = [None if m is None else m[:1] for m in masks]
    net.gradients(X[:1], T[:1], masks=one)
    for j, node in enumerate(net.layers[1].nodes):
        assert (node.mask == 0.0) == (masks[0][0, j] == 0.0)
        if node.dropped:
            assert node.output == 0.0 and node.delta == 0.0
            assert all(c.gradient == (0.0 if c.is_bias else 0.01 * c.weight) for c in node.upstream)  # L2 only


# ------------------------------------------------------------------ evaluation mode
def test_evaluation_does_not_depend_on_the_seed_and_never_drops():
    plain = Network([4, 6, 5, 3], activation="tanh", init="xavier", seed=3)
    nets = [make(seed=seed) for seed in (1, 2)]
    for net in nets:
        net.set_params(plain.get_params())
        net.forward(X[0], masks=net.draw_masks(1))  # leave the graph in a training state, nodes dropped
    assert any(node.dropped for node in nets[0].layers[1].nodes)
    labels = T.argmax(axis=1)
    for net in nets:
        assert net.predict(X).tolist() == plain.predict(X).tolist()
        assert net.vectorized().predict(X).tolist() == plain.vectorized().predict(X).tolist()
        for engine in ("graph", "fast"):
            assert net.loss(X, T, engine=engine) == plain.loss(X, T, engine=engine)
            assert net.accuracy(X, labels, engine=engine) == plain.accuracy(X, labels, engine=engine)
    assert all(node.mask is None for node in nets[0].layers[1].nodes)  # evaluation cleared the masks
    # while training with the same seed is deterministic, and other seeds drop other nodes
    trained = [make(seed=1) for _ in range(2)] + [make(seed=2)]
    for net in trained:
        net.set_params(plain.get_params())
        net.train(X, T, rate=0.1, epochs=2, seed=net.seed)
    assert trained[0].get_flat_params().tolist() == trained[1].get_flat_params().tolist()
    assert trained[0].get_flat_params().tolist() != trained[2].get_flat_params().tolist()


# ------------------------------------------------------------------ showing a dropped node
def test_a_dropped_node_is_visible_in_repr_dump_views_stepper_and_svg():
    net = make(seed=3)
    masks = net.draw_masks(1, seed=0)
    dropped = int(np.flatnonzero(masks[0][0] == 0)[0])
    kept = int(np.flatnonzero(masks[0][0] == 1)[0])
    stepper = net.stepper(X[0], T[0], rate=0.1, masks=masks)
    events = stepper.run()
    by_label = {(e.phase, e.label): e for e in events}
    label = f"1-{dropped}"
    forward = by_label[("forward", label)]
    assert forward.dropped and forward.numbers.endswith("= 0 (dropped)")
    assert forward.formula.endswith("o(" + label + ") = tanh(net)·m/q") and "·0/0.5 = 0" in forward.numbers
    assert by_label[("hidden_delta", label)].dropped and "·(0/0.5)·" in by_label[("hidden_delta", label)].numbers
    kept_event = by_label[("forward", f"1-{kept}")]
    assert not kept_event.dropped and "·1/0.5 = " in kept_event.numbers
    node = net.node(1, dropped)
    assert repr(node).endswith(" dropped") and node.dropped
    assert f"{label}: output: 0.000000 delta: 0 m/q: 0/0.5 dropped" in net.dump().splitlines()
    assert f"1-{kept}: output: " in net.dump() and " m/q: 1/0.5\n" in net.dump() + "\n"
    layer_text = render(net.layers[1])
    assert "dropout p=0.5 (q=0.5)" in layer_text and "0/0.5 dropped" in layer_text
    assert "dropped" in render(stepper) and "m/q: 0/0.5 dropped" in render(node)
    root = ElementTree.fromstring(net.to_svg())
    group = root.find(f".//{{http://www.w3.org/2000/svg}}g[@id='node-{label}']")
    assert (
        group.get("class") == "node dropped" and "m/q = 0/0.5" in group.find("{http://www.w3.org/2000/svg}title").text
    )
    net.predict(X[0])  # evaluation: nothing is dropped any more
    assert "dropped" not in net.dump() and 'class="node dropped"' not in net.to_svg()


def test_the_stepper_with_dropout_is_one_training_step():
    a, b = make(seed=3), make(seed=3)
    a.stepper(X[0], T[0], rate=0.2, optimizer="adam").run()  # masks drawn from a's generator
    b.train(X[:1], T[:1], rate=0.2, epochs=1, optimizer="adam")  # as train draws them from b's
    assert a.get_flat_params().tolist() == b.get_flat_params().tolist()
    assert [c.state.values() for c in a.connections] == [c.state.values() for c in b.connections]


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sizes": [4, 6, 3], "dropout": 1.0}, IncompatibleError, r"dropout of layer 1 must be in \[0, 1\); got 1.0"),
        ({"sizes": [4, 6, 3], "dropout": [0.1, 0.2]}, ShapeError, r"one rate per hidden layer \(1\); got 2"),
        ({"sizes": [4, 3], "dropout": 0.5}, IncompatibleError, "this network has none"),
        ({"sizes": [4, 6, 3], "dropout": "half"}, IncompatibleError, "dropout must be a number"),
    ],
)
def test_bad_dropout_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        Network(kwargs.pop("sizes"), **kwargs)


def test_bad_masks_are_refused():
    net = make(seed=0)
    with pytest.raises(ShapeError, match=r"mask of layer 1 must have shape \(2, 6\); got \(1, 6\)"):
        net.gradients(X[:2], T[:2], masks=net.draw_masks(1))
    with pytest.raises(ShapeError, match="one entry per non-input layer"):
        net.forward(X[0], masks=[None])
    masks = net.draw_masks(1)
    masks[0] = masks[0] * 0.5
    with pytest.raises(ShapeError, match="only 0 and 1"):
        net.forward(X[0], masks=masks)
    assert repr(net) == "Network([4, 6, 5, 3], activation='tanh', loss='squared_error', bias=True, dropout=[0.5, 0.3])"
