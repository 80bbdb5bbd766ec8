"""The demos behind ``graphnet demo NAME`` and ``demos/NAME.py``.

Each demo is a function ``demo_NAME(console) -> int`` that builds, trains and shows
something, printing only through the rich ``console`` it is given.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from graphnet.activations import Activation
from graphnet.graph.network import Network

Demo = Callable[[Console], int]

#: Seeds chosen once and fixed, so every run of a demo shows the same numbers.
XOR_SEED = 3
GRADCHECK_SEED = 0


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: inputs (4, 2) and targets (4, 1)."""
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = np.array([[0.0], [1.0], [1.0], [0.0]])
    return inputs, targets


def demo_xor(console: Console) -> int:
    """XOR on a 2-2-1 sigmoid graph, per-sample SGD, with a dump before and after."""
    inputs, targets = xor_data()
    net = Network([2, 2, 1], activation="sigmoid", init="normal", seed=XOR_SEED)
    console.rule("XOR on the object graph: 2-2-1 sigmoid, squared error, per-sample SGD")
    console.print("Before training:", style="bold")
    net.forward(inputs[1])
    console.print(net.dump(), markup=False, highlight=False, soft_wrap=True)
    history = net.train(inputs, targets, rate=2.0, epochs=2000)
    console.print(history)
    console.print("After training:", style="bold")
    net.forward(inputs[1])
    console.print(net.dump(), markup=False, highlight=False, soft_wrap=True)
    table = Table("x1", "x2", "target", "output", "class", title="XOR truth table")
    for x, t in zip(inputs, targets, strict=True):
        y = float(net.predict(x)[0])
        table.add_row(f"{x[0]:g}", f"{x[1]:g}", f"{t[0]:g}", f"{y:.4f}", str(int(y >= 0.5)))
    console.print(table)
    accuracy = net.accuracy(inputs, targets[:, 0])
    console.print(f"accuracy: {accuracy:.0%}")
    return 0 if accuracy == 1.0 else 1


def demo_speed(console: Console, *, sizes: tuple[int, ...] = (784, 30, 10), n_samples: int = 200) -> int:
    """The same per-sample SGD epoch on the graph and on the fast path, timed in one run."""
    from graphnet.datasets import load_mnist, one_hot

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
    batch_net.train(images, targets, rate=0.5, epochs=1, batch_size=32, engine="fast", track_loss=False)
    timings.append(("fast, mini-batch 32", time.perf_counter() - start))
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


class SloppySigmoid(Activation):
    """A user-written sigmoid whose derivative has a planted bug: o·(1 − o)·1.1.

    Only the scalar forms are written; the base class applies them element by element for
    the fast path, so both engines carry the same bug and agree with each other: only the
    numeric gradient can tell that they are wrong.
    """

    name = "sloppy_sigmoid"
    formula = "σ(net)"
    derivative_formula = "o·(1−o)·1.1 (wrong)"

    def value(self, z: float) -> float:
        """σ(z) = 1 / (1 + e^(−z)), written to avoid overflow."""
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0.0 else math.exp(z) / (1.0 + math.exp(z))

    def derivative(self, z: float) -> float:
        """σ′(z) should be o·(1 − o); the planted bug multiplies it by 1.1."""
        output = self.value(z)
        return output * (1.0 - output) * 1.1


def demo_gradcheck(console: Console) -> int:
    """The gradient checker on a correct 4-5-3 network, then on one with a wrong derivative."""
    from graphnet.gradcheck import gradient_check

    x = np.array([0.5, -1.2, 0.8, 0.1])
    t = np.array([0.9, 0.1, 0.4])
    console.rule("Gradient check: is backpropagation right?")
    console.print(
        "For every weight, ∂E/∂w three ways: a central difference of the loss (numeric), the "
        "object graph's backward pass (graph) and the vectorized mirror's (fast).",
        markup=False,
    )
    correct = Network([4, 5, 3], activation="sigmoid", init="xavier", seed=GRADCHECK_SEED)
    console.rule("A correct 4-5-3 sigmoid network")
    good = gradient_check(correct, x, t)
    console.print(good.render(max_rows=8))
    console.rule("A planted bug: a custom activation in layer 1 with a wrong derivative")
    console.print(Syntax(inspect.getsource(SloppySigmoid), "python", theme="ansi_dark"))
    buggy = Network([4, 5, 3], activation=[SloppySigmoid(), "sigmoid"], init="xavier", seed=GRADCHECK_SEED)
    bad = gradient_check(buggy, x, t)
    console.print(bad.render(max_rows=8))
    console.print(
        f"The checker points at layer(s) {bad.failing_layers}: every weight into layer 1 is off by "
        "the same 10%, while layer 2, above the bug, is right.",
        markup=False,
    )
    return 0 if good.passed and not bad.passed and bad.failing_layers == [1] else 1


def demo_tour(console: Console) -> int:
    """The short tour: every demo that finishes in seconds, one after another."""
    statuses = [demo_xor(console), demo_gradcheck(console), demo_speed(console)]
    return max(statuses)


DEMOS: dict[str, Demo] = {
    "tour": demo_tour,
    "speed": demo_speed,
    "xor": demo_xor,
    "gradcheck": demo_gradcheck,
}


def run_named_demo(name: str, console: Console) -> int:
    """Run the demo called ``name``."""
    return DEMOS[name](console)
