"""The SVG picture: valid XML, one element per node and connection, collapsed big layers."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from graphnet import Network
from graphnet.math.activations import Sigmoid, format_number
from graphnet.math.errors import IncompatibleError
from graphnet.views.svg import NEGATIVE, POSITIVE, THICK, THIN, collapse, node_fill

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg):
    return ET.fromstring(svg)


def by_class(root, tag, name):
    return [e for e in root.iter(f"{{{NS['svg']}}}{tag}") if name in e.get("class", "").split()]


def ids(root):
    return {e.get("id") for e in root.iter() if e.get("id")}


def trained_once(sizes, **kwargs):
    net = Network(sizes, init="normal", seed=3, **kwargs)
    rng = np.random.default_rng(1)
    net.forward(rng.uniform(-1, 1, sizes[0]))
    net.backward(rng.uniform(0.1, 0.9, sizes[-1]))
    return net


@pytest.mark.parametrize("bias", [True, False])
def test_small_network_has_one_element_per_node_and_connection(bias):
    net = trained_once([3, 4, 2], bias=bias)
    root = parse(net.to_svg())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 3 + 4 + 2
    assert len(by_class(root, "rect", "bias")) == (2 if bias else 0)
    lines = by_class(root, "line", "conn")
    assert len(lines) == len(net.connections) == (26 if bias else 20)
    assert not by_class(root, "line", "agg") and not by_class(root, "g", "more")
    expected = {f"conn-{c.upstream.label}-{c.downstream.label}" for c in net.connections}
    assert {line.get("id") for line in lines} == expected
    assert {f"node-{n.label}" for layer in net.layers for n in layer.nodes} <= ids(root)


def test_tooltips_show_output_and_delta_and_weights():
    net = trained_once([3, 4, 2])
    root = parse(net.to_svg())
    node = net.node(1, 2)
    group = root.find(".//svg:g[@id='node-1-2']", NS)
    tip = group.find("svg:title", NS).text
    assert f"output o = {format_number(node.output)}" in tip and f"delta δ = {format_number(node.delta)}" in tip
    assert [t.text for t in group.findall("svg:text", NS)] == ["1-2", format_number(node.output)]
    connection = net.connections[1, 0, 2]
    line = root.find(".//svg:line[@id='conn-0-0-1-2']", NS)
    assert f"w = {format_number(connection.weight)}" in line.find("svg:title", NS).text


def test_colour_by_sign_width_by_magnitude_fill_by_output():
    net = Network([2, 2, 1], seed=0)
    net.set_params([(np.array([[0.5, -1.0], [0.25, 0.0]]), np.array([0.1, -0.2])), (np.array([[2.0, -0.5]]), [0.0])])
    net.forward([1.0, 0.3])
    root = parse(net.to_svg())

    def line(key):
        return root.find(f".//svg:line[@id='conn-{key}']", NS)

    assert line("1-0-2-0").get("stroke") == POSITIVE and float(line("1-0-2-0").get("stroke-width")) == THICK
    assert line("0-1-1-0").get("stroke") == NEGATIVE
    widths = [float(line(k).get("stroke-width")) for k in ("1-2-2-0", "0-0-1-1", "0-0-1-0", "0-1-1-0", "1-0-2-0")]
    assert widths == sorted(widths) and widths[0] == THIN  # |w| = 0, 0.25, 0.5, 1, 2
    fills = {}
    for n in net.layers[1].nodes:
        fill = root.find(f".//svg:g[@id='node-{n.label}']/svg:circle", NS).get("fill")
        fills[n.output] = int(fill.split("(")[1].split(",")[0])
    low, high = sorted(fills)
    assert fills[high] < fills[low]  # a larger output is darker
    assert node_fill(1.0, 0.0, 1.0)[0] == "rgb(40,40,40)" and node_fill(-5.0, 0.0, 1.0)[0] == "rgb(255,255,255)"


def test_big_layers_are_collapsed_and_their_connections_aggregated():
    sizes = [784, 30, 10]
    net = Network(sizes, seed=0)
    net.forward(np.linspace(0, 1, 784))
    root = parse(net.to_svg())
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 8 + 8 + 10
    markers = {g.get("id"): "".join(g.itertext()) for g in by_class(root, "g", "more")}
    assert set(markers) == {"node-0-more", "node-1-more"}
    assert "… 776 more" in markers["node-0-more"] and "… 22 more" in markers["node-1-more"]
    # drawn groups per column: shown nodes + marker (+ bias as a source)
    sources = [8 + 1 + 1, 8 + 1 + 1]
    targets = [8 + 1, 10]
    lines = by_class(root, "line", "conn")
    assert len(lines) == sum(s * t for s, t in zip(sources, targets, strict=True))
    aggregated = by_class(root, "line", "agg")
    assert len(aggregated) == (9 + 9) + 10  # marker rows and columns of layer 0→1, marker row of 1→2
    W, _ = net.get_params()[0]
    hidden = W[0, 4:780]
    line = root.find(".//svg:line[@id='conn-0-more-1-0']", NS)
    tip = line.find("svg:title", NS).text
    assert tip.startswith("776 connections from 0-4 … 0-779 to 1-0")
    assert f"mean w = {format_number(float(hidden.mean()))}" in tip
    assert line.get("stroke") == (POSITIVE if hidden.mean() > 0 else NEGATIVE)
    assert (
        root.find(".//svg:line[@id='conn-0-more-1-more']", NS)
        .find("svg:title", NS)
        .text.startswith(f"{776 * 22} connections")
    )
    assert len(net.to_svg()) < 100_000


def test_collapse_keeps_the_ends():
    assert collapse(10) == (list(range(10)), 0)
    assert collapse(11) == ([0, 1, 2, 3, 7, 8, 9, 10], 3)
    assert collapse(784, max_nodes=3) == ([0, 783], 782)
    with pytest.raises(IncompatibleError, match="max_nodes must be a whole number ≥ 3; got 2"):
        Network([3, 2]).to_svg(max_nodes=2)


def test_text_is_escaped_and_dropped_nodes_are_marked():
    class Odd(Sigmoid):
        name = "sig<&>'\""

    net = Network([2, 3, 1], activation=Odd(), seed=0)
    svg = net.to_svg(dropped={"1-1"})
    root = parse(svg)
    assert "layer 1 · sig<&>'\" (3)" in {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "sig<&>" not in svg
    dropped = root.find(".//svg:g[@id='node-1-1']", NS)
    assert dropped.get("class") == "node dropped" and "(dropped)" in dropped.find("svg:title", NS).text
    assert root.find(".//svg:g[@id='node-1-0']", NS).get("class") == "node"


def test_notebooks_get_the_svg():
    net = trained_once([2, 2, 1])
    assert net._repr_svg_() == net.to_svg()
