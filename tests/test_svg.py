"""The SVG picture: valid XML, one element per node and connection, collapsed big layers."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from graphnet import Network
from graphnet.math.activations import Sigmoid
from graphnet.math.errors import IncompatibleError
from graphnet.math.numbers import format_number
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


# ---------------------------------------------------------------------------- values on the picture (issue 16)
def classic():
    """The classic 2-2-2 walk-through after one forward and backward pass."""
    net = Network([2, 2, 2], seed=0)
    net.set_params([([[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35]), ([[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60])])
    net.forward([0.05, 0.10])
    net.backward([0.01, 0.99])
    return net


def text_of(root, element_id):
    element = root.find(f".//*[@id='{element_id}']", NS)
    assert element is not None, element_id
    return "".join(element.itertext())


def test_values_are_printed_on_the_drawing_not_only_in_tooltips():
    net = classic()
    root = parse(net.to_svg(names="textbook", target=[0.01, 0.99]))
    assert text_of(root, "val-net-2-0") == "net = 1.1059" and text_of(root, "val-delta-2-0") == "δ = 0.1385"
    assert root.find(".//svg:g[@id='node-2-0']", NS).findall("svg:text", NS)[0].text == "o1"
    assert root.find(".//svg:g[@id='node-0-0']/svg:g[@class='values']", NS) is None  # inputs: o only
    assert text_of(root, "w-conn-1-0-2-0") == "w5 = 0.4" and text_of(root, "grad-conn-1-0-2-0") == "∂E/∂w5 = 0.0822"
    assert text_of(root, "w-conn-1-2-2-1") == "b2→o2 = 0.6"  # a bias weight is named with its target
    assert text_of(root, "target-2-1") == "t = 0.99" and text_of(root, "loss") == "E = 0.2983711088"
    eight = parse(net.to_svg(digits=8, target=[0.01, 0.99]))
    # 8 decimal places: the textbook's ∂E/∂w5 = 0.082167041 to 8 places; E is printed with at least 10
    assert text_of(eight, "grad-conn-1-0-2-0") == "∂E/∂w = 0.08216704" and text_of(eight, "loss") == "E = 0.2983711088"
    assert text_of(eight, "val-delta-2-0") == "δ = 0.13849856"


def test_show_picks_the_values_and_nothing_is_printed_before_it_is_computed():
    fresh = Network([2, 2, 2], seed=0)
    root = parse(fresh.to_svg())
    assert text_of(root, "val-delta-1-0") == "" and text_of(root, "grad-conn-0-0-1-0") == ""
    root = parse(classic().to_svg(show="o w"))
    assert root.find(".//*[@id='val-net-1-0']", NS) is None and root.find(".//*[@id='grad-conn-0-0-1-0']", NS) is None
    assert text_of(root, "w-conn-0-0-1-0") == "w = 0.15"
    root = parse(classic().to_svg(show="none"))
    assert not by_class(root, "g", "edge-labels") and not by_class(root, "g", "values")
    with pytest.raises(IncompatibleError, match="show must name values among .*; got 'pi'"):
        classic().to_svg(show=["net", "pi"])
    with pytest.raises(
        IncompatibleError, match=r"digits \(decimal places\) must be a whole number from 1 to 17 .*; got 30"
    ):
        classic().to_svg(digits=30)
    with pytest.raises(IncompatibleError, match="target must have 2 values, one per output; got 1"):
        classic().to_svg(target=[0.5])


def test_big_nets_label_no_edge_but_keep_node_values():
    net = Network([784, 30, 10], seed=0)
    net.forward(np.linspace(0, 1, 784))
    root = parse(net.to_svg())
    assert not by_class(root, "g", "edge-label") and text_of(root, "val-net-2-0").startswith("net = ")


def boxes_of_labels(root):
    boxes = []
    for rect in root.iterfind(".//svg:g[@class='edge-label']/svg:rect", NS):
        x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
        boxes.append((x, y, x + w, y + h))
    return boxes


@pytest.mark.parametrize("digits", [4, 8])
def test_edge_labels_of_the_classic_net_overlap_neither_each_other_nor_a_neuron(digits):
    root = parse(classic().to_svg(names="textbook", digits=digits, target=[0.01, 0.99]))
    boxes = boxes_of_labels(root)
    assert len(boxes) == 12
    for circle in root.iter("{http://www.w3.org/2000/svg}circle"):
        cx, cy, r = (float(circle.get(k)) for k in ("cx", "cy", "r"))
        boxes.append((cx - r, cy - r, cx + r, cy + r))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (a, b)


def test_dropped_nodes_are_crossed_and_their_connections_faded():
    net = Network([3, 4, 2], dropout=0.5, seed=0)
    net.forward([0.1, 0.2, 0.3], masks=[[[1.0, 0.0, 1.0, 0.0]], None])
    root = parse(net.to_svg())
    for label in ("1-1", "1-3"):
        group = root.find(f".//svg:g[@id='node-{label}']", NS)
        assert group.get("data-dropped") == "true" and group.find("svg:path[@class='cross']", NS) is not None
    assert root.find(".//svg:g[@id='node-1-0']", NS).get("data-dropped") is None
    faded = {line.get("id") for line in by_class(root, "line", "dropped")}
    expected = {f"conn-0-{i}-1-{j}" for i in range(4) for j in (1, 3)} | {
        f"conn-1-{j}-2-{k}" for j in (1, 3) for k in (0, 1)
    }
    assert faded == expected
    assert all(line.get("data-dropped") == "true" for line in by_class(root, "line", "dropped"))


def test_targets_stand_beside_the_drawn_outputs_of_a_large_output_layer():
    # found by tests/test_fuzz_training.py: 4 outputs drawn as 3 slots made loss_elements zip unequal lists
    from graphnet import Network

    net = Network([1, 6], bias=False, seed=0)
    target = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    net.forward([0.5])
    svg = net.to_svg(max_nodes=3, target=target)
    drawn = [key for key in ("1-0", "1-1", "1-2", "1-3", "1-4", "1-5") if f'id="target-{key}"' in svg]
    assert drawn and len(drawn) < 6
    for key in drawn:
        assert f'id="target-{key}"' in svg and f"t = {target[int(key[2:])]:g}<" in svg
