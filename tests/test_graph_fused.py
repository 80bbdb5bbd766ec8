"""The fused hot loops compute exactly (bit for bit) what the readable per-node reference computes."""

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
