"""The stepper replays the graph's own computation, one node or connection at a time."""

import numpy as np
import pytest
from rich.console import Console

from graphnet import Network
from graphnet.math.errors import IncompatibleError, NotDifferentiableError
from graphnet.math.numbers import format_number
from graphnet.tools.stepper import PHASES

X = [0.8, -0.3, 0.5]
T = [0.9, 0.1]
RATE = 0.7


def make(**kwargs):
    return Network([3, 4, 2], init="normal", seed=5, **kwargs)


def state(net):
    nodes = [(n.net_input, n.output, n.delta) for layer in net.layers for n in layer.nodes]
    return nodes, [(c.weight, c.gradient) for c in net.connections]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"l2": 0.1},
        {"l2": 0.1, "l2_bias": 0.05},
        {"output_activation": "softmax", "loss": "cross_entropy"},
        {"activation": "tanh", "bias": False},
    ],
)
def test_every_event_matches_the_graphs_own_results(kwargs):
    target = [1.0, 0.0] if kwargs.get("loss") == "cross_entropy" else T
    reference = make(**kwargs)
    start = reference.get_params()
    reference.forward(X)
    reference.backward(target)
    outputs = {n.label: n.output for layer in reference.layers for n in layer.nodes}
    nets = {n.label: n.net_input for layer in reference.layers for n in layer.nodes}
    deltas = {n.label: n.delta for layer in reference.layers for n in layer.nodes}
    gradients = {c.label: c.gradient for c in reference.connections}
    reference.update(RATE)
    weights = {c.label: c.weight for c in reference.connections}

    net = make(**kwargs)
    stepper = net.stepper(X, target, rate=RATE)
    events = stepper.run()
    assert [e.index for e in events] == list(range(stepper.total))
    seen = []
    for event in events:
        seen.append(event.main_phase)
        expected = {
            "input": outputs,
            "forward": outputs,
            "output": outputs,
            "net_input": nets,
            "output_delta": deltas,
            "hidden_delta": deltas,
            "gradient": gradients,
            "update": weights,
        }[event.phase]
        assert event.after == expected[event.label], event
        assert event.numbers.endswith(format_number(event.after)), event
    # phases come in the documented order, each in one block
    assert [p for i, p in enumerate(seen) if i == 0 or seen[i - 1] != p] == list(PHASES)
    # after run() the network is exactly as after one training step on that sample
    trained = make(**kwargs)
    trained.set_params(start)
    trained.train(np.array([X]), np.array([target]), rate=RATE, epochs=1)
    assert net.get_flat_params().tolist() == trained.get_flat_params().tolist()
    assert [c.weight for c in net.connections] == [weights[c.label] for c in net.connections]


def test_number_of_events_equals_the_nodes_and_connections_touched():
    net = make()
    stepper = net.stepper(X, T)
    events = stepper.run()
    count = {phase: sum(e.main_phase == phase for e in events) for phase in PHASES}
    assert count == {
        "input": 3,
        "forward": 4 + 2,
        "output_delta": 2,
        "hidden_delta": 4,
        "gradient": len(net.connections),
        "update": len(net.connections),
    }
    assert len(events) == stepper.total == 3 + 6 + 2 + 4 + 2 * 26
    softmax = make(output_activation="softmax", loss="cross_entropy")
    events = softmax.stepper(X, [0.0, 1.0]).run()
    assert sum(e.phase == "net_input" for e in events) == 2 and sum(e.phase == "output" for e in events) == 2


def test_back_restores_the_exact_previous_state():
    net = make(l2=0.01)
    stepper = net.stepper(X, T, rate=RATE)
    states = [state(net)]
    for _ in range(stepper.total):
        stepper.next()
        states.append(state(net))
    for position in range(stepper.total, 0, -1):
        undone = stepper.back()
        assert undone.index == position - 1
        assert state(net) == states[position - 1]
    assert stepper.back() is None
    event = stepper.next()  # and it goes forward again the same way
    assert event.index == 0 and state(net) == states[1]


def test_next_phase_run_to_and_current():
    net = make()
    stepper = net.stepper(X, T)
    assert stepper.current is net.node(0, 0) and stepper.next_phase_name == "input"
    assert [e.phase for e in stepper.next_phase()] == ["input"] * 3
    event = stepper.run_to("delta", layer=1, node=2)
    assert (event.phase, event.label) == ("hidden_delta", "1-2")
    assert event.formula == "δ(1-2) = o·(1−o)·Σ_k w_kj·δ_k"
    node = net.node(1, 2)
    o = node.output
    assert event.numbers.startswith(f"δ(1-2) = {format_number(o)}·{format_number(1 - o)}·(")
    assert stepper.current is net.node(1, 3)
    update = stepper.run_to("update", layer=2, node=1)
    assert update.label == "(1-0) -> (2-1)" and update.formula.endswith("← w − η·∂E/∂w")
    assert update.after == update.before - 0.5 * net.connections[2, 0, 1].gradient
    stepper.run()
    assert stepper.done and stepper.current is None
    with pytest.raises(IncompatibleError, match="all 67 steps are done"):
        stepper.next()
    with pytest.raises(IncompatibleError, match="unknown phase 'backward'"):
        stepper.run_to("backward")


def test_update_event_formula_has_the_numbers():
    net = make()
    stepper = net.stepper(X, T, rate=RATE)
    event = stepper.run_to("update")
    connection = net.connections[1, 0, 0]
    assert event.label == connection.label == "(0-0) -> (1-0)"
    assert event.after == connection.weight == event.before - RATE * connection.gradient


def test_stepper_refuses_step_networks_and_bad_samples():
    with pytest.raises(NotDifferentiableError):
        Network([2, 1], activation="step").stepper([0, 1], [1])
    from graphnet.math.errors import ShapeError

    with pytest.raises(ShapeError, match="x has 2 values"):
        make().stepper([1, 2], T)


def test_repr_and_rich_view():
    net = make()
    stepper = net.stepper(X, T)
    assert repr(stepper) == "Stepper(step 0/67, next: input 0-0)"
    stepper.run_to("forward", layer=1, node=0)
    assert repr(stepper).startswith("Stepper(step 4/67, next: forward 1-1)\n[3] forward 1-0: net(1-0) = (")
    console = Console(record=True, width=100, color_system=None)
    console.print(stepper)
    text = console.export_text()
    assert "step 4/67  next forward 1-1" in text and "layer 1 (sigmoid)" in text
    assert "o(1-0) = σ(" in text
    assert "<pre" in stepper._repr_html_()


def test_update_events_show_the_optimizers_formula_with_its_numbers():
    net = make()
    net.train(np.array([X]), np.array([T]), rate=RATE, epochs=1, optimizer="momentum")  # a non-zero velocity
    connection = net.connections[1, 0, 0]
    velocity, weight = connection.state.velocity, connection.weight
    stepper = net.stepper(X, T, rate=RATE)  # continues the network's momentum
    event = stepper.run_to("update")
    g = connection.gradient
    new_velocity = 0.9 * velocity - RATE * g
    assert event.formula == "w(0-0→1-0): v ← μ·v − η·g;  w ← w + v  (g = ∂E/∂w, momentum)"
    factor = lambda value: f(value) if value >= 0 else f"({f(value)})"
    assert event.numbers == (
        f"w(0-0→1-0): v ← μ·v − η·g = 0.9·{factor(velocity)} − {f(RATE)}·{factor(g)} = {f(new_velocity)};  "
        f"w ← w + v = {f(weight)} + {factor(new_velocity)} = {f(weight + new_velocity)}"
    )
    assert event.after == connection.weight == weight + new_velocity and connection.state.velocity == new_velocity
    assert net.optimizer.step_count == 2


def test_adam_events_and_back_restore_the_state_and_the_count():
    net = make()
    stepper = net.stepper(X, T, rate=0.01, optimizer="adam")
    before = [(c.weight, c.state) for c in net.connections]
    events = stepper.run()
    update = next(e for e in events if e.phase == "update")
    assert update.numbers.startswith("w(0-0→1-0): t = 1;  m ← β₁·m + (1−β₁)·g = 0.9·0 + 0.1·")
    assert "m̂ = m/(1−β₁ᵗ)" in update.numbers and update.numbers.endswith(f(update.after))
    assert net.optimizer.step_count == 1 and all(c.state is not None for c in net.connections)
    while stepper.back() is not None:
        pass
    assert [(c.weight, c.state) for c in net.connections] == before and net.optimizer.step_count == 0


def f(value):
    return format_number(value)
