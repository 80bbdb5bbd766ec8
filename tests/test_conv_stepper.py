"""Stepping through a conv network on the graph: the same numbers as training, the shared sum shown."""

import numpy as np
import pytest
from rich.console import Console

from graphnet import AvgPool, Conv, ConvNetwork
from graphnet.datasets import load_bundled_mnist, one_hot
from graphnet.demos.conv import conv_network
from graphnet.graph.conv import KernelConnection, SharedWeight
from graphnet.math.errors import IncompatibleError


def net_and_sample(**options):
    net = ConvNetwork([(2, 4, 4), Conv(2, 3, padding=1), AvgPool(2), 3], activation="tanh", seed=4, **options)
    rng = np.random.default_rng(1)
    return net, rng.normal(size=32), rng.uniform(0.1, 0.9, size=3)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_stepping_to_the_end_equals_one_training_step(optimizer):
    net, x, t = net_and_sample(l2=0.01)
    twin, _, _ = net_and_sample(l2=0.01)
    stepper = net.stepper(x, t, rate=0.3, optimizer=optimizer)
    events = stepper.run()
    assert len(events) == stepper.total and stepper.done
    twin.train([x], [t], rate=0.3, epochs=1, batch_size=1, optimizer=optimizer, engine="fast", track_loss=False)
    for (a, b), (c, d) in zip(net.get_params(), twin.get_params(), strict=True):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-14)
        np.testing.assert_allclose(b, d, rtol=0, atol=1e-14)


def test_each_shared_gradient_event_sums_the_contribution_events_before_it():
    net, x, t = net_and_sample()
    stepper = net.stepper(x, t, rate=0.3)
    events = stepper.run()
    shared = [e for e in events if e.phase == "gradient" and e.quantity == "∂E/∂K"]
    assert len(shared) == 2 * 2 * 3 * 3 + 2  # every kernel entry and every map's bias, once
    for event in shared:
        before = events[event.index - 1]
        assert before.quantity == "∂E/∂K share"
        n = int(before.formula.split("/")[1].split(" ")[0])
        shares = events[event.index - n : event.index]
        assert [s.formula.split(" of ")[1].split(" =")[0] for s in shares] == [f"∂E/∂{event.label}"] * n
        assert event.after == pytest.approx(sum(s.after for s in shares), abs=1e-15)
        assert event.formula.startswith(f"∂E/∂{event.label} = Σ_positions δ_j·o_i")
    updates = [e for e in events if e.phase == "update" and e.label.startswith("K")]
    assert len(updates) == 2 * 2 * 3 * 3  # a shared weight is updated once
    assert "once for all" in updates[0].formula


def test_back_and_replay_give_the_same_events():
    net, x, t = net_and_sample()
    stepper = net.stepper(x, t, rate=0.3)
    events = stepper.run()
    for _ in range(40):
        stepper.back()
    again = [stepper.next() for _ in range(40)]
    assert [str(e) for e in again] == [str(e) for e in events[-40:]]


def test_the_repl_shows_the_stepper_and_its_events():
    net, x, t = net_and_sample()
    stepper = net.stepper(x, t, rate=0.3)
    assert repr(stepper).startswith(f"Stepper(step 0/{stepper.total}, next: input 0-0)")
    event = stepper.run_to("gradient", layer=1)
    assert isinstance(stepper.history[-1], type(event))
    assert repr(event).startswith(f"[{event.index}] gradient ")
    console = Console(width=120, record=True)
    console.print(event)
    console.print(stepper)
    assert "share 1/" in console.export_text()
    assert isinstance(stepper.current, KernelConnection)


def test_the_wrong_options_are_refused():
    net, x, t = net_and_sample()
    with pytest.raises(IncompatibleError, match="graph names"):
        net.stepper(x, t, names="textbook")


def test_stepping_one_digit_through_the_demo_net_shows_the_shared_sum_with_its_numbers():
    images, labels = load_bundled_mnist(kind="test", n_samples=1)
    net = conv_network(maps=4, hidden=0, seed=0)  # 1x28x28 → 4 maps 5x5 → max pool 2 → 10
    assert net.sizes == [784, 2304, 576, 10]
    target = one_hot(labels, 10)[0]
    fast_gradients = net.vectorized().gradients(images, [target], reduction="sum")
    stepper = net.stepper(images[0], target, rate=0.1)
    entry = net.kernel(1)[2, 0, 2, 2]
    assert isinstance(entry, SharedWeight) and len(entry.connections) == 24 * 24
    while stepper.current is not entry:
        stepper.next()
    event = stepper.next()
    assert event.label == "K1[2,0,2,2]" and event.quantity == "∂E/∂K"
    assert event.after == pytest.approx(fast_gradients[0][0][2, 0, 2, 2], abs=1e-12)
    assert "576 positions" in event.formula
    shares = [c for c in entry.connections if c.gradient != 0.0]
    assert 0 < len(shares) < 576
    first = shares[0]
    assert event.numbers.startswith(
        f"∂E/∂K1[2,0,2,2] = ({first.downstream.delta:.4g}·{first.upstream.output:.4g}".replace("-", "−")
    )
