"""The ``speed`` demo: the same epoch on the graph and on the fast path, timed in one run."""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from graphnet.datasets import load_mnist, one_hot
from graphnet.demos.options import as_option, positive_int
from graphnet.graph.network import Network
from graphnet.math.errors import GraphnetError


def demo_speed(console: Console, *, sizes: tuple[int, ...] = (784, 30, 10), n_samples: int = 200) -> int:
    """The same per-sample SGD epoch on the graph and on the fast path, timed in one run."""
    if len(sizes) < 2 or sizes[0] != 784:
        raise GraphnetError(
            f"--sizes must start with 784 inputs (one per pixel) and have an output layer; got --sizes "
            f"{' '.join(map(str, sizes))}"
        )
    with as_option("n_samples", "--samples"):
        images, labels = load_mnist(kind="train", n_samples=n_samples)
    targets = one_hot(labels, sizes[-1])
    console.rule(f"Graph vs fast path: {'-'.join(map(str, sizes))} sigmoid, {n_samples} real digits, one epoch")
    graph_net = Network(list(sizes), seed=0)
    fast_net = Network(list(sizes), seed=0)
    timings: list[tuple[str, float]] = []
    start = time.perf_counter()
    graph_net.train(images, targets, rate=0.5, epochs=1, batch_size=1, track_loss=False)
    timings.append(("graph, per-sample SGD", time.perf_counter() - start))
    start = time.perf_counter()
    fast_net.train(images, targets, rate=0.5, epochs=1, batch_size=1, engine="fast", track_loss=False)
    timings.append(("fast, per-sample SGD", time.perf_counter() - start))
    batch_net = Network(list(sizes), seed=0)
    start = time.perf_counter()
    batch = min(32, n_samples)  # a batch is at most the data
    batch_net.train(images, targets, rate=0.5, epochs=1, batch_size=batch, engine="fast", track_loss=False)
    timings.append((f"fast, mini-batch {batch}", time.perf_counter() - start))
    connections = graph_net.n_parameters
    table = Table(
        "engine",
        "seconds",
        "µs per sample",
        "µs per connection·sample",
        "speed-up vs graph",
        title=f"{connections:,} connections",
    )
    graph_seconds = timings[0][1]
    for name, seconds in timings:
        table.add_row(
            name,
            f"{seconds:.4f}",
            f"{seconds / n_samples * 1e6:,.1f}",
            f"{seconds / n_samples / connections * 1e6:.4f}",
            f"{graph_seconds / seconds:,.0f}x",
        )
    console.print(table)
    difference = float(np.max(np.abs(graph_net.get_flat_params() - fast_net.get_flat_params())))
    console.print(f"largest weight difference after the same per-sample epoch on both engines: {difference:.2e}")
    return 0 if difference < 1e-10 else 1


def add_speed_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphnet demo speed``."""
    parser.add_argument(
        "--sizes",
        type=positive_int,
        nargs="+",
        default=[784, 30, 10],
        help="layer sizes, 784 first (default 784 30 10)",
    )
    parser.add_argument(
        "--samples", dest="n_samples", type=positive_int, metavar="N", default=200, help="digits (default 200)"
    )
