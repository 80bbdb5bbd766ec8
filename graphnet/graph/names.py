"""Names of a network's nodes and weights: graph labels or the classic textbook names.

Two schemes (no drawing here; the views use these names on the pictures):

* ``"graph"``: graphnet's own labels, ``layer-node``: nodes ``0-0``, ``1-2``; the bias node
  of layer k's column is ``k-size``; a weight is named by its two ends, ``w(0-1→1-2)``.
* ``"textbook"``: the names of the classic 2-2-2 walk-through. Inputs ``i1 i2 …``, hidden
  nodes ``h1 h2 …`` (with several hidden layers ``h1_1 … h2_1 …``: layer, then node), outputs
  ``o1 o2 …``.  Weights ``w1 w2 …`` numbered layer by layer, target node by target node,
  source by source: in a 2-2-2 net w1: i1→h1, w2: i2→h1, w3: i1→h2, w4: i2→h2, w5: h1→o1,
  w6: h2→o1, w7: h1→o2, w8: h2→o2.  The bias feeding layer k is ``bk`` (the figure's b1 = .35
  into the hidden layer, b2 = .60 into the outputs); graphnet keeps one bias weight per
  node, named ``bk→node``: ``b1→h2`` is the bias weight into h2.  The bias node itself,
  drawn at the bottom of layer k − 1's column, is ``bk``.

Examples
--------
>>> from graphnet import Network
>>> net = Network([2, 2, 2], seed=0)
>>> node_names(net, "textbook")["1-1"], node_names(net, "textbook")["0-2"]
('h2', 'b1')
>>> names = connection_names(net, "textbook")
>>> names["(0-1) -> (1-0)"], names["(1-1) -> (2-1)"], names["(1-2) -> (2-0)"]
('w2', 'w8', 'b2→o1')
>>> connection_names(net)["(0-1) -> (1-0)"]
'w(0-1→1-0)'
"""

from __future__ import annotations

from typing import Literal

from graphnet.graph.network import Network
from graphnet.math.errors import IncompatibleError

Scheme = Literal["graph", "textbook"]
#: The naming schemes :func:`node_names` and :func:`connection_names` know.
SCHEMES: tuple[str, ...] = ("graph", "textbook")


def check_scheme(names: str) -> str:
    """``names`` if it is one of :data:`SCHEMES`; else an :class:`IncompatibleError`.

    Examples
    --------
    >>> check_scheme("textbook")
    'textbook'
    """
    if not isinstance(names, str) or names not in SCHEMES:
        raise IncompatibleError(f"names must be one of {', '.join(map(repr, SCHEMES))}; got {names!r}")
    return names


def textbook_node_name(sizes: list[int], layer: int, index: int) -> str:
    """The textbook name of node ``index`` of ``layer`` in a net of ``sizes`` (index = size: the bias node).

    Examples
    --------
    >>> [textbook_node_name([2, 3, 1], 1, j) for j in range(4)]
    ['h1', 'h2', 'h3', 'b2']
    >>> textbook_node_name([2, 3, 3, 1], 2, 0), textbook_node_name([2, 3, 3, 1], 3, 0)
    ('h2_1', 'o1')
    """
    if index == sizes[layer]:
        return f"b{layer + 1}"
    if layer == 0:
        return f"i{index + 1}"
    if layer == len(sizes) - 1:
        return f"o{index + 1}"
    return f"h{index + 1}" if len(sizes) == 3 else f"h{layer}_{index + 1}"


def node_names(network: Network, names: str = "graph") -> dict[str, str]:
    """Node label (``"1-2"``, bias nodes included) → its name in the scheme ``names``."""
    scheme = check_scheme(names)
    sizes = list(network.sizes)
    result: dict[str, str] = {}
    for layer in network.layers:
        labels = [node.label for node in layer.nodes]
        if layer.bias is not None:
            labels.append(layer.bias.label)
        for index, label in enumerate(labels):
            result[label] = label if scheme == "graph" else textbook_node_name(sizes, layer.index, index)
    return result


def connection_names(network: Network, names: str = "graph") -> dict[str, str]:
    """Connection label (``"(0-1) -> (1-2)"``) → its name: ``w(0-1→1-2)``, or ``w3`` / ``b1→h2``."""
    scheme = check_scheme(names)
    nodes = node_names(network, scheme)
    result: dict[str, str] = {}
    number = 0
    for connection in network.connections:  # layer by layer, target by target, source by source, bias last
        up, down = connection.upstream.label, connection.downstream.label
        if scheme == "graph":
            result[connection.label] = f"w({up}→{down})"
        elif connection.is_bias:
            result[connection.label] = f"{nodes[up]}→{nodes[down]}"
        else:
            number += 1
            result[connection.label] = f"w{number}"
    return result
