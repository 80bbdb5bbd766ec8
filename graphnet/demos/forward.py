"""The ``forward`` demo: the textbook 2-3-2-2 network with fixed weights, every layer's numbers."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from graphnet.graph.network import Network

#: The input and parameters of the three-layer network of "Deep Learning from Scratch"
#: (ch. 3), in that book's layout: W of shape (n_in, n_out), so a layer is x·W + b.
FORWARD_INPUT = (1.0, 0.5)
FORWARD_BOOK_PARAMS: tuple[tuple[tuple[tuple[float, ...], ...], tuple[float, ...]], ...] = (
    (((0.1, 0.3, 0.5), (0.2, 0.4, 0.6)), (0.1, 0.2, 0.3)),
    (((0.1, 0.4), (0.2, 0.5), (0.3, 0.6)), (0.1, 0.2)),
    (((0.1, 0.3), (0.2, 0.4)), (0.1, 0.2)),
)


def forward_network() -> Network:
    """The 2-3-2-2 network with the book's fixed weights: sigmoid hidden units, softmax outputs.

    The book stores W as (n_in, n_out) and computes x·W; graphnet stores W as
    (n_out, n_in), w_ji, and computes W·x, so each W is transposed here.  The book's
    output layer is the identity; this one is a softmax.

    Examples
    --------
    >>> net = forward_network()
    >>> net.get_params()[0][0].tolist()
    [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    """
    net = Network([2, 3, 2, 2], activation="sigmoid", output_activation="softmax", loss="categorical_cross_entropy")
    net.set_params([(np.array(weights).T, np.array(biases)) for weights, biases in FORWARD_BOOK_PARAMS])
    return net


def demo_forward(console: Console) -> int:
    """The forward pass of a fixed 2-3-2-2 network, every net input and output shown."""
    net = forward_network()
    console.rule("The forward pass by hand: 2-3-2-2, sigmoid hidden layers, softmax output")
    outputs = net.forward(FORWARD_INPUT)
    console.print(f"input x = ({', '.join(f'{x:g}' for x in FORWARD_INPUT)})   (layer 0: o_i = x_i)", highlight=False)
    for layer in net.layers[1:]:
        activation = layer.activation
        assert activation is not None
        rule = "o_j = e^(net_j) / Σ_k e^(net_k)" if activation.layerwise else "o_j = σ(net_j)"
        table = Table(
            "node",
            "net_j = Σ_i w_ji·o_i + b_j",
            "net_j",
            "o_j",
            title=f"layer {layer.index}: {rule}",
            title_justify="left",
        )
        for node in layer.nodes:
            terms = [f"{c.weight:g}" if c.is_bias else f"{c.weight:g}·{c.upstream.output:.3f}" for c in node.upstream]
            table.add_row(node.label, " + ".join(terms), f"{node.net_input:.10f}", f"{node.output:.10f}")
        console.print(table)
    last = net.output_layer
    console.print(
        f"The book's identity output would be y = net = ({last.net_inputs[0]:.10f}, {last.net_inputs[1]:.10f}); "
        f"the softmax turns these into probabilities that sum to {sum(outputs):.10f}.",
        highlight=False,
    )
    fast = net.vectorized().predict(np.array([FORWARD_INPUT]))[0]
    difference = float(np.max(np.abs(fast - np.array(outputs))))
    console.print(
        f"The fast path (one matrix product per layer) gives the same outputs: largest difference {difference:.1e}."
    )
    return 0 if difference < 1e-12 else 1
