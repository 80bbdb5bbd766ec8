"""The fused hot loops compute exactly (bit for bit) what the readable per-node reference computes."""

from unittest.mock import patch

import numpy as np
from conftest import HIDDEN_ACTIVATIONS, OUTPUT_PAIRS, valid_targets
from hypothesis import given, settings
from hypothesis import strategies as st

from graphnet import Network
from graphnet.graph import fused


@st.composite
def cases(draw):
    n_layers = draw(st.integers(2, 5))
    sizes = draw(st.lists(st.integers(1, 9), min_size=n_layers, max_size=n_layers))
    output, loss = draw(st.sampled_from(OUTPUT_PAIRS))
    if output == "softmax":
        sizes[-1] = max(2, sizes[-1])
    kwargs = {
        "activation": draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
        "output_activation": output,
        "loss": loss,
        "bias": draw(st.booleans()),
        "l2": draw(st.sampled_from([0.0, 0.03])),
        "init": "normal",
        "bias_init": 0.2,
    }
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=sizes[0]).tolist()
    t = valid_targets(loss, 1, sizes[-1], rng)[0].tolist()
    return sizes, kwargs, seed, x, t


def state(net):
    nodes = [(n.net_input, n.output, n.delta) for layer in net.layers[1:] for n in layer.nodes]
    return nodes, [(c.weight, c.gradient) for c in net.connections]


@settings(max_examples=200)
@given(case=cases(), rate=st.sampled_from([0.1, 0.9]))
def test_fused_train_step_equals_the_reference_phases_bit_for_bit(case, rate):
    sizes, kwargs, seed, x, t = case
    reference = Network(sizes, seed=seed, **kwargs)
    reference.stepper(x, t, rate=rate).run()  # the per-node methods, one at a time
    net = Network(sizes, seed=seed, **kwargs)
    fused.train_step(net, x, t, rate)
    assert state(net) == state(reference)


@settings(max_examples=100)
@given(case=cases())
def test_fused_forward_and_backward_equal_the_reference(case):
    sizes, kwargs, seed, x, t = case
    reference = Network(sizes, seed=seed, **kwargs)
    steps = reference.stepper(x, t)
    while steps.next_phase_name != "update":
        steps.next()
    net = Network(sizes, seed=seed, **kwargs)
    net.forward(x)
    net.backward(t)
    assert state(net) == state(reference)


def full_state(net):
    nodes = [(n.net_input, n.output, n.delta, n.mask) for layer in net.layers[1:] for n in layer.nodes]
    connections = [(c.weight, c.gradient, None if c.state is None else c.state.values()) for c in net.connections]
    return nodes, connections, net.optimizer.step_count


@settings(max_examples=150)
@given(
    case=cases(),
    optimizer=st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]),
    dropout=st.sampled_from([0.0, 0.4]),
    train_seed=st.integers(0, 2**31),
)
def test_fused_training_with_optimizers_and_dropout_equals_the_reference_bit_for_bit(
    case, optimizer, dropout, train_seed
):
    sizes, kwargs, seed, x, t = case
    dropout = dropout if len(sizes) > 2 else 0.0
    reference = Network(sizes, seed=seed, dropout=dropout, **kwargs)
    net = Network(sizes, seed=seed, dropout=dropout, **kwargs)
    masks = net.draw_masks(2, seed=train_seed)  # what train(seed=train_seed) draws for its two updates
    for row in range(2):  # two per-sample updates: the second one starts from a non-zero state
        one = [None if m is None else m[row : row + 1] for m in masks]
        reference.stepper(x, t, rate=0.1, optimizer=optimizer, masks=one).run()
    net.train([x, x], [t, t], rate=0.1, epochs=1, seed=train_seed, optimizer=optimizer, track_loss=False)
    assert full_state(net) == full_state(reference)


def bits(values):
    """Floats as their exact bits (float.hex tells −0 from +0), nested in the same structure."""
    if isinstance(values, float):
        return values.hex()
    if isinstance(values, (list, tuple)):
        return [bits(v) for v in values]
    return values


@settings(max_examples=150)
@given(
    case=cases(),
    zero_share=st.sampled_from([0.3, 0.6, 0.9]),
    minus_zero=st.booleans(),
    zero_weights=st.booleans(),
    rate=st.sampled_from([0.1, 0.9]),
    sparse_update=st.booleans(),
)
def test_inputs_of_zero_take_the_shortcut_and_still_give_the_reference_bit_for_bit(
    case, zero_share, minus_zero, zero_weights, rate, sparse_update
):
    """Outputs of exactly 0 (blank pixels, ReLUs that are off) skip their terms: the same bits, −0 included.

    ``sparse_update`` False: the update of every weight, as into a layer too large for the
    caches (:data:`~graphnet.graph.fused.SPARSE_UPDATE_CONNECTIONS`), beside the forward's picked sums.
    """
    sizes, kwargs, seed, x, t = case
    rng = np.random.default_rng(seed)
    x = [0.0 if rng.uniform() < zero_share else value for value in x]
    if minus_zero and x:
        x[0] = -0.0
    nets = [Network(sizes, seed=seed, **kwargs) for _ in range(2)]
    if zero_weights:  # weights of ±0 on connections from zero inputs: w − rate·(±0) may flip the sign of 0
        for net in nets:
            for number, connection in enumerate(net.connections):
                if number % 3 == 0:
                    connection.weight = -0.0 if number % 2 else 0.0
    reference, net = nets
    reference.stepper(x, t, rate=rate).run()  # the per-node methods, one at a time
    with patch.object(fused, "SPARSE_UPDATE_CONNECTIONS", fused.SPARSE_UPDATE_CONNECTIONS if sparse_update else 0):
        fused.train_step(net, x, t, rate)
    (nodes, connections), (reference_nodes, reference_connections) = state(net), state(reference)
    assert bits(nodes) == bits(reference_nodes)
    assert bits([w for w, _ in connections]) == bits([w for w, _ in reference_connections])
    # gradients as numbers: a zero δ·o is ±0 in the fused loops (as before), δ·o + 0·w in compute_gradient
    assert [g for _, g in connections] == [g for _, g in reference_connections]


def test_the_zero_shortcut_is_taken_on_blank_pixels():
    x = [0.0] * 6 + [0.5, 1.0]
    assert fused.Zeros.of([*x, 1.0]) is not None  # (the bias node's 1 last)
    assert fused.Zeros.of([0.5] * 8) is None
    assert fused.Zeros.of([0.0] * 6 + [-0.0, 1.0]) is None  # −0 present: the plain loops


@settings(max_examples=60)
@given(case=cases(), l2_bias=st.sampled_from([0.0, 0.05]))
def test_blank_inputs_with_l2_on_the_biases_still_give_the_reference(case, l2_bias):
    """λ_b changes the bias gradient: the +0 shortcut then steps aside, and the numbers stay the reference's."""
    sizes, kwargs, seed, x, t = case
    x = [0.0 if i % 3 else value for i, value in enumerate(x)]
    reference = Network(sizes, seed=seed, l2_bias=l2_bias, **kwargs)
    reference.stepper(x, t, rate=0.1).run()
    net = Network(sizes, seed=seed, l2_bias=l2_bias, **kwargs)
    fused.train_step(net, x, t, 0.1)
    assert state(net) == state(reference)


def test_a_weight_of_minus_zero_from_a_blank_input_turns_plus_zero_as_in_the_reference():
    """w − rate·(δ·(+0)) with δ < 0 is −0 − (−0) = +0: the shortcut must flip it too (and leave it for δ > 0)."""
    for target in (5.0, -5.0):  # δ = y − t < 0, then > 0
        for sparse_update in (True, False):
            nets = [Network([4, 2], seed=0, output_activation="identity", loss="mse") for _ in range(2)]
            for net in nets:
                for connection in net.connections:
                    connection.weight = -0.0
            x, t = [0.0, 0.0, 0.0, 1.0], [target, target]
            reference, net = nets
            reference.stepper(x, t, rate=0.1).run()
            limit = fused.SPARSE_UPDATE_CONNECTIONS if sparse_update else 0
            with patch.object(fused, "SPARSE_UPDATE_CONNECTIONS", limit):
                fused.train_step(net, x, t, 0.1)
            assert bits([c.weight for c in net.connections]) == bits([c.weight for c in reference.connections])
