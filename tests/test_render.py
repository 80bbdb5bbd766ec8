"""The dump format and the rich views, rendered through a fixed-width recording console."""

import numpy as np
from rich.console import Console

from graphnet import Network
from graphnet.views.render import sparkline


def make_net():
    net = Network([2, 2, 1], seed=0)
    net.set_params(
        [
            (np.array([[0.1, -0.2], [0.3, 0.4]]), np.array([0.5, -0.6])),
            (np.array([[0.7, -0.8]]), np.array([0.9])),
        ]
    )
    net.forward([1.0, 0.0])
    net.backward([1.0])
    return net


def render(obj) -> str:
    console = Console(record=True, width=100, color_system=None)
    console.print(obj)
    return console.export_text()


def test_dump_is_the_classic_format():
    net = make_net()
    o = net.layers[1].outputs
    d = net.layers[1].deltas
    lines = net.dump().splitlines()
    assert lines[0] == "Network([2, 2, 1], activation='sigmoid', loss='squared_error', bias=True)"
    block = lines[lines.index(f"1-0: output: {o[0]:f} delta: {d[0]:.6g}") :][:7]
    assert block == [
        f"1-0: output: {o[0]:f} delta: {d[0]:.6g}",
        "    downstream:",
        "        (1-0) -> (2-0) = 0.700000",
        "    upstream:",
        "        (0-0) -> (1-0) = 0.100000",
        "        (0-1) -> (1-0) = -0.200000",
        "        (0-2) -> (1-0) = 0.500000",
    ]
    assert "0-2: output: 1 (bias)" in lines
    assert lines.count("layer 2:") == 1


def test_short_reprs():
    net = make_net()
    node = net.node(2, 0)
    assert repr(node) == f"Node 2-0 output={node.output:.4f} delta={node.delta:.4g}"
    connection = net.connections[2, 1, 0]
    assert repr(connection) == f"(1-1) -> (2-0) = -0.8000 gradient={connection.gradient:.4g}"
    assert repr(net.layers[1]) == "Layer 1 (2 sigmoid nodes + bias)"
    assert repr(net.layers[0].bias) == "ConstNode 0-2 output=1"


def test_rich_network_layer_and_node_views():
    net = make_net()
    text = render(net)
    assert "Network [2, 2, 1]" in text and "parameters 9" in text
    assert "Layer 1 · 2 sigmoid nodes + bias" in text
    assert f"{net.node(2, 0).output:.4f}" in text
    node_text = render(net.node(1, 1))
    assert "(0-0) -> (1-1)" in node_text and "(1-1) -> (2-0)" in node_text
    assert f"{net.node(1, 1).delta:.4g}" in node_text


def test_long_layers_are_cut_with_a_count():
    text = render(Network([30, 2, 1], seed=0).layers[0])
    assert "… 18 more" in text and "0-11" in text and "0-12 " not in text


def test_sparkline_and_history_view():
    assert sparkline([3.0, 2.0, 1.0, 1.0]) == "█▅▁▁"
    assert sparkline([]) == ""
    net = Network([2, 2, 1], seed=0)
    history = net.train([[0, 0], [1, 1]], [[0], [1]], rate=0.5, epochs=4)
    text = render(history)
    assert "graph training 4 epochs, 8 updates" in text and f"{history.final_loss:.6g}" in text


def test_long_sparklines_are_averaged_down_to_a_width():
    values = [float(v) for v in range(100, 0, -1)]
    line = sparkline(values, width=10)
    assert len(line) == 10 and line[0] == "█" and line[-1] == "▁"
    assert sparkline([1.0, 2.0], width=10) == "▁█"  # shorter series are left alone
    net = Network([2, 2, 1], seed=0)
    history = net.train([[0, 0], [1, 1]], [[0], [1]], rate=0.5, epochs=300, engine="fast")
    assert max(len(line) for line in render(history).splitlines()) <= 100
