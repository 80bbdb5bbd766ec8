"""The ``xor`` demo: XOR learnt by a 2-2-1 sigmoid graph, dumped before and after."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from graphnet.graph.network import Network

#: The weight seed of ``xor``, chosen once and fixed, so every run shows the same numbers.
XOR_SEED = 3


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
