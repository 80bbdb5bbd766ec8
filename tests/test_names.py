"""graphnet.graph.names: graph labels and the classic 2-2-2 walk-through's names."""

import pytest

from graphnet import Network
from graphnet.graph.names import connection_names, node_names
from graphnet.math.errors import IncompatibleError

# The classic figure: w1 i1→h1, w2 i2→h1, w3 i1→h2, w4 i2→h2, w5 h1→o1, w6 h2→o1, w7 h1→o2, w8 h2→o2.
FIGURE = {
    "w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
    "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2"),
}  # fmt: skip


def test_textbook_names_reproduce_the_2_2_2_figure():
    net = Network([2, 2, 2], seed=0)
    nodes = node_names(net, "textbook")
    assert nodes == {"0-0": "i1", "0-1": "i2", "0-2": "b1", "1-0": "h1", "1-1": "h2", "1-2": "b2",
                     "2-0": "o1", "2-1": "o2"}  # fmt: skip
    names = connection_names(net, "textbook")
    by_name = {
        names[c.label]: (nodes[c.upstream.label], nodes[c.downstream.label]) for c in net.connections if not c.is_bias
    }
    assert by_name == FIGURE
    biases = sorted(names[c.label] for c in net.connections if c.is_bias)
    assert biases == ["b1→h1", "b1→h2", "b2→o1", "b2→o2"]


def test_deeper_nets_number_weights_layer_by_layer_target_by_target():
    net = Network([3, 2, 2, 1], seed=0)
    nodes = node_names(net, "textbook")
    assert [nodes[f"1-{j}"] for j in range(2)] == ["h1_1", "h1_2"] and nodes["2-1"] == "h2_2"
    names = connection_names(net, "textbook")
    weights = [names[c.label] for c in net.connections if not c.is_bias]
    assert weights == [f"w{k}" for k in range(1, 3 * 2 + 2 * 2 + 2 * 1 + 1)]
    first = next(c for c in net.connections if names[c.label] == "w4")  # the 2nd target's first source
    assert (first.upstream.label, first.downstream.label) == ("0-0", "1-1")


def test_graph_names_and_unknown_schemes():
    net = Network([2, 1], bias=False, seed=0)
    assert node_names(net) == {"0-0": "0-0", "0-1": "0-1", "1-0": "1-0"}
    assert connection_names(net) == {"(0-0) -> (1-0)": "w(0-0→1-0)", "(0-1) -> (1-0)": "w(0-1→1-0)"}
    with pytest.raises(IncompatibleError, match="names must be one of 'graph', 'textbook'; got 'greek'"):
        node_names(net, "greek")
