"""The bench's conv case: one conv net on the graph and on the fast path, per sample, and their ratio.

The net is the conv demo's small one, 1x28x28 → Conv(4, 5) ReLU → MaxPool(2) → 10 softmax
(2,304 conv nodes, 60,000 kernel connections sharing 104 parameters).  Both engines train
on the bundled digits with plain SGD: the graph sample by sample (every connection's share,
every shared sum, one node at a time), the fast path in batches of 32.  The ratio
``graph / fast per sample conv …`` is derived from the medians of the same run.
"""

from __future__ import annotations

from collections.abc import Callable

from graphnet.common.convspec import Conv, MaxPool
from graphnet.datasets import load_bundled_mnist, one_hot
from graphnet.graph.convnet import ConvNetwork

#: The label of the conv case in the bench's names.
CONV_LABEL = "1x28x28-conv4x5x5-maxpool2-10"


def conv_cases(*, graph_samples: int, fast_samples: int = 4000) -> dict[str, tuple[Callable[[], object], int]]:
    """Name → (one timed training pass, the samples it trains on), for the graph and the fast path."""
    images, labels = load_bundled_mnist(kind="train", n_samples=fast_samples)
    targets = one_hot(labels, 10)
    net = ConvNetwork(
        [(1, 28, 28), Conv(4, 5), MaxPool(2), 10],
        activation="relu",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        seed=0,
    )
    fast = net.vectorized()

    def graph_pass() -> object:
        return net.train(
            images[:graph_samples], targets[:graph_samples], rate=0.01, batch_size=1, engine="graph", track_loss=False
        )

    def fast_pass() -> object:
        return fast.train(images, targets, rate=0.01, batch_size=32, track_loss=False)

    return {
        f"graph conv epoch {CONV_LABEL} batch 1": (graph_pass, graph_samples),
        f"fast conv epoch {CONV_LABEL} batch 32 float64": (fast_pass, fast_samples),
    }
