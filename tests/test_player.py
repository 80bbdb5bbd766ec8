"""The recorded training step behind the browser player, and the page that holds it."""

import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET

import pytest

from graphnet import Network
from graphnet.math.errors import IncompatibleError, MissingFileError
from graphnet.views.player import Recording, player_html, record, script_json, write_player

X = [0.8, -0.3, 0.5]
T = [0.9, 0.1]
RATE = 0.7
CONFIGS = [
    {},
    {"l2": 0.1},
    {"output_activation": "softmax", "loss": "cross_entropy"},
    {"activation": "tanh", "bias": False},
]


def make(**kwargs):
    return Network([3, 4, 2], init="normal", seed=5, **kwargs)


def target_for(kwargs):
    return [1.0, 0.0] if kwargs.get("loss") == "cross_entropy" else T


def state(net):
    nodes = [n for layer in net.layers for n in layer.nodes]
    return {
        "net": [n.net_input for n in nodes],
        "output": [n.output for n in nodes],
        "delta": [n.delta for n in nodes],
        "weight": [c.weight for c in net.connections],
        "gradient": [c.gradient for c in net.connections],
    }


def embedded_data(html):
    blocks = re.findall(r'<script type="application/json" id="graphnet-data">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_recording_holds_the_steppers_own_events_and_every_state(kwargs):
    net = make(**kwargs)
    stepper = net.stepper(X, target_for(kwargs), rate=RATE)
    recording = record(stepper)
    assert stepper.position == 0 and state(net) == recording.state(0)

    expected_states = [state(net)]
    events = []
    while not stepper.done:
        events.append(stepper.next())
        expected_states.append(state(net))
    assert [step.event for step in recording.steps] == events
    for position, expected in enumerate(expected_states):
        assert recording.state(position) == expected  # exactly: the same floats, replayed
    for step, event in zip(recording.steps, events, strict=True):
        assert step.kind == ("node" if event.source is None else "connection")
        if step.kind == "node":
            assert step.element == f"node-{event.label}" and step.endpoints == ()
        else:
            up = f"{event.layer - 1}-{event.source}"
            assert step.element == f"conn-{up}-{event.layer}-{event.node}"
            assert step.endpoints == (f"node-{up}", f"node-{event.layer}-{event.node}")


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_recording_replays_the_steppers_optimizer_and_dropout_masks(optimizer):
    net = Network([3, 4, 2], init="normal", seed=5, dropout=0.5)
    net.train([X], [T], rate=RATE, epochs=1, optimizer=optimizer)  # a non-zero state and count to start from
    stepper = net.stepper(X, T, rate=RATE)
    recording = record(stepper)
    events = stepper.run()
    assert [step.event for step in recording.steps] == events
    assert any(event.dropped for event in events) and any("t = 2" in e.numbers or "v ←" in e.numbers for e in events)
    assert recording.state(len(events)) == state(net)


def test_recording_leaves_the_stepper_and_its_network_alone():
    net = make()
    stepper = net.stepper(X, T, rate=RATE)
    stepper.run_to("hidden_delta", layer=1, node=2)
    before, position = state(net), stepper.position
    recording = record(stepper)
    assert state(net) == before and stepper.position == position and recording.start == position
    assert recording.state(position) == before
    rest = stepper.run()  # the stepper goes on as if nothing happened
    assert [step.event for step in recording.steps[position:]] == rest


def test_state_position_is_checked():
    recording = record(make().stepper(X, T))
    with pytest.raises(IncompatibleError, match=f"position must be 0 … {recording.total}; got 999"):
        recording.state(999)
    with pytest.raises(IncompatibleError, match="position must be a whole number ≥ 0; got -1"):
        recording.state(-1)


def test_page_is_self_contained_and_embeds_the_recording():
    net = make()
    stepper = net.stepper(X, T, rate=RATE)
    html = stepper.to_html()
    assert html == player_html(stepper)
    assert html.startswith("<!DOCTYPE html>") and html.count("<script") == 2 and html.count("</script>") == 2
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", html)
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
    data = embedded_data(html)
    events = make().stepper(X, T, rate=RATE).run()
    assert [s["formula"] for s in data["steps"]] == [e.formula for e in events]
    assert [s["numbers"] for s in data["steps"]] == [e.numbers for e in events]
    assert data["initial"] == state(net) and data["rate"] == RATE and data["x"] == X
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    drawn = {e.get("id") for e in ET.fromstring(svg).iter() if e.get("id")}
    assert {s["element"] for s in data["steps"]} <= drawn
    assert {end for s in data["steps"] for end in s["endpoints"]} <= drawn


def test_hidden_nodes_map_to_the_marker_and_aggregated_lines():
    net = Network([30, 3, 2], seed=0)
    recording = record(net.stepper([0.1] * 30, [0.2, 0.8]), max_nodes=5)
    labels = dict(zip(recording.node_labels, recording.node_elements, strict=True))
    assert labels["0-0"] == "node-0-0" and labels["0-10"] == "node-0-more" and labels["0-29"] == "node-0-29"
    connections = dict(zip(recording.connection_labels, recording.connection_elements, strict=True))
    assert connections["(0-10) -> (1-2)"] == "conn-0-more-1-2"
    assert connections["(0-30) -> (1-2)"] == "conn-0-30-1-2"  # the bias node is always drawn
    drawn = {e.get("id") for e in ET.fromstring(recording.svg).iter() if e.get("id")}
    assert set(recording.node_elements) | set(recording.connection_elements) <= drawn
    data = recording.to_data()
    assert 10 not in data["nodes"]["drawn"] and 0 in data["nodes"]["drawn"]


def test_script_end_tags_in_the_data_cannot_end_the_block():
    recording = record(make().stepper(X, T))
    first = recording.steps[0]
    sneaky = dataclasses.replace(first, event=dataclasses.replace(first.event, formula="</script><!-- & </SCRIPT>"))
    tampered = Recording(**{**recording.__dict__, "steps": [sneaky, *recording.steps[1:]]})
    html = player_html(tampered)
    assert html.lower().count("</script>") == 2
    assert embedded_data(html)["steps"][0]["formula"] == "</script><!-- & </SCRIPT>"
    assert json.loads(script_json({"a": "<>&"})) == {"a": "<>&"}


def test_non_finite_numbers_become_null():
    recording = record(make().stepper(X, T))
    recording.initial["output"][0] = float("nan")
    assert recording.to_data()["initial"]["output"][0] is None


def test_write_player(tmp_path):
    stepper = make().stepper(X, T)
    path = write_player(stepper, tmp_path / "step.html")
    assert path.read_text(encoding="utf-8") == player_html(stepper)
    with pytest.raises(MissingFileError, match="does not exist"):
        write_player(stepper, tmp_path / "missing" / "step.html")


def classic():
    net = Network([2, 2, 2], seed=0)
    net.set_params([([[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35]), ([[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60])])
    return net


def test_recording_knows_e_before_and_after_and_what_each_step_uses():
    recording = record(classic().stepper([0.05, 0.10], [0.01, 0.99], rate=0.5), names="textbook")
    after = classic()
    after.train([[0.05, 0.10]], [[0.01, 0.99]], rate=0.5, epochs=1)
    assert recording.loss["before"] == pytest.approx(0.298371109, abs=1e-9)  # the textbook's E_total
    assert recording.loss["after"] == pytest.approx(after.loss([[0.05, 0.10]], [[0.01, 0.99]]), rel=1e-12)
    phases = [s.event.phase for s in recording.steps]
    assert recording.loss["known"] == phases.index("output_delta") and recording.loss["after_known"] == (
        phases.index("update") + 1
    )
    by_label = {(s.event.phase, s.event.label): s for s in recording.steps}
    assert set(by_label["hidden_delta", "1-1"].uses) == {"conn-1-1-2-0", "conn-1-1-2-1", "node-2-0", "node-2-1"}
    assert by_label["output_delta", "2-1"].uses == ("target-2-1",)
    assert by_label["gradient", "(1-0) -> (2-0)"].uses == ()
    assert recording.connection_names[6] == "w5" and recording.node_names[:4] == ["i1", "i2", "h1", "h2"]
    data = recording.to_data()
    assert data["names"]["connections"][6] == "w5" and data["digits"] == 4 and data["dropped"] == []
    drawn = {e.get("id") for e in ET.fromstring(recording.svg).iter() if e.get("id")}
    assert {u for s in recording.steps for u in s.uses} <= drawn


def test_recording_of_a_dropout_step_draws_its_dropped_nodes():
    stepper = Network([3, 4, 2], dropout=0.5, seed=0).stepper(X, T, masks=[[[0.0, 1.0, 1.0, 0.0]], None])
    recording = record(stepper)
    assert recording.dropped == ["1-0", "1-3"]
    root = ET.fromstring(recording.svg)
    marked = {e.get("id") for e in root.iter() if e.get("data-dropped") == "true"}
    assert {"node-1-0", "node-1-3", "conn-0-0-1-0", "conn-1-3-2-1"} <= marked and "node-1-1" not in marked


def _classic_weights_only_loss() -> float:
    """The classic walk-through by hand: one step that updates w1…w8 and leaves b1 = .35, b2 = .60 alone."""
    sig = lambda v: 1 / (1 + math.exp(-v))
    x, t, eta, b1, b2 = (0.05, 0.10), (0.01, 0.99), 0.5, 0.35, 0.60
    w_h = [[0.15, 0.20], [0.25, 0.30]]  # w_h[j][i]: input i -> hidden j
    w_o = [[0.40, 0.45], [0.50, 0.55]]  # w_o[k][j]: hidden j -> output k

    def forward(w_h, w_o):
        h = [sig(w_h[j][0] * x[0] + w_h[j][1] * x[1] + b1) for j in range(2)]
        return h, [sig(w_o[k][0] * h[0] + w_o[k][1] * h[1] + b2) for k in range(2)]

    h, o = forward(w_h, w_o)
    d_o = [(o[k] - t[k]) * o[k] * (1 - o[k]) for k in range(2)]
    d_h = [sum(w_o[k][j] * d_o[k] for k in range(2)) * h[j] * (1 - h[j]) for j in range(2)]
    new_o = [[w_o[k][j] - eta * d_o[k] * h[j] for j in range(2)] for k in range(2)]
    new_h = [[w_h[j][i] - eta * d_h[j] * x[i] for i in range(2)] for j in range(2)]
    _, o = forward(new_h, new_o)
    return sum(0.5 * (t[k] - o[k]) ** 2 for k in range(2))


def test_recording_knows_the_weights_only_loss_and_which_connections_are_biases():
    recording = record(classic().stepper([0.05, 0.10], [0.01, 0.99], rate=0.5), names="textbook")
    expected = _classic_weights_only_loss()
    assert expected == pytest.approx(0.291027924, abs=2e-7)  # the textbook's figure, from rounded intermediates
    assert recording.loss["weights_only"] == pytest.approx(expected, rel=1e-12)
    assert recording.loss["after"] < recording.loss["weights_only"]  # the biases' update helps this sample
    assert recording.biases == [2, 5, 8, 11]
    data = recording.to_data()
    assert [data["names"]["connections"][i] for i in data["connections"]["biases"]] == [
        "b1→h1", "b1→h2", "b2→o1", "b2→o2"
    ]  # fmt: skip
    assert data["loss"]["weights_only"] == recording.loss["weights_only"]
    html = player_html(recording)
    assert 'id="bias-note"' in html and "what changed" in html


def test_a_net_without_biases_has_no_weights_only_loss():
    recording = record(Network([2, 2, 1], bias=False, seed=0).stepper([0.5, 0.1], [0.3]))
    assert recording.biases == [] and recording.loss["weights_only"] is None
    assert recording.loss["after"] is not None


@pytest.mark.parametrize("digits", [2, 8, 17])
def test_recording_keeps_the_steppers_digits_in_every_event(digits):
    stepper = Network([2, 3, 1], seed=1).stepper([0.4, -0.2], [0.7], digits=digits)
    recording = record(stepper)
    expected = Network([2, 3, 1], seed=1).stepper([0.4, -0.2], [0.7], digits=digits).run()
    assert [s.event.numbers for s in recording.steps] == [e.numbers for e in expected]
