"""The ``optimizers`` demo: six optimizers on the same network and digits, loss curves side by side."""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from graphnet.datasets import load_mnist, one_hot
from graphnet.demos.options import (
    SPARK_WIDTH,
    add_plot_option,
    as_option,
    check_batch_option,
    positive_int,
    probability,
    save_png_or_explain,
    seed_number,
)
from graphnet.graph.network import Network
from graphnet.math.optimizers import get_optimizer
from graphnet.views.charts import curves_png
from graphnet.views.render import sparkline

#: The base rate each optimizer gets in ``optimizers``: one typical for it, the same network.
OPTIMIZER_RATES: dict[str, float] = {
    "sgd": 0.5,
    "momentum": 0.1,
    "nesterov": 0.1,
    "adagrad": 0.1,
    "rmsprop": 0.003,
    "adam": 0.003,
}


@dataclass
class OptimizerRun:
    """One optimizer's run in :func:`compare_optimizers`.

    Attributes
    ----------
    name : str
    rate : float
        The base learning rate it got.
    losses : list of float
        The training loss before training, then after each epoch.
    test_accuracy : float
    seconds : float
    """

    name: str
    rate: float
    losses: list[float]
    test_accuracy: float
    seconds: float


def compare_optimizers(
    *,
    samples: int = 2000,
    hidden: int = 30,
    epochs: int = 15,
    batch_size: int = 32,
    dropout: float = 0.0,
    seed: int = 0,
    rates: dict[str, float] | None = None,
) -> list[OptimizerRun]:
    """Train the same network on the same digits once per optimizer, on the fast path.

    The network is 784-``hidden``-10 (sigmoid hidden units, softmax outputs, cross-entropy,
    Xavier weights from ``seed``); every run starts from the same weights and visits the
    same shuffled mini-batches (and, with ``dropout``, drops the same nodes).
    """
    images, labels = load_mnist(kind="train", n_samples=samples)
    test_images, test_labels = load_mnist(kind="test")
    targets = one_hot(labels, 10)
    runs = []
    for name, rate in (rates or OPTIMIZER_RATES).items():
        net = Network(
            [784, hidden, 10],
            activation="sigmoid",
            output_activation="softmax",
            loss="categorical_cross_entropy",
            init="xavier",
            dropout=dropout,
            seed=seed,
        )
        start = time.perf_counter()
        first = net.loss(images, targets)
        history = net.train(
            images,
            targets,
            rate=rate,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=True,
            seed=seed,
            engine="fast",
            optimizer=name,
        )
        seconds = time.perf_counter() - start
        runs.append(OptimizerRun(name, rate, [first, *history.losses], net.accuracy(test_images, test_labels), seconds))
    return runs


def save_optimizers_png(path: str | os.PathLike[str], runs: list[OptimizerRun]) -> Path:
    """The loss curves of :func:`compare_optimizers` in one 1200 × 750 panel, as a PNG (needs matplotlib).

    The loss axis is logarithmic (the curves differ most in their last decades) and each
    optimizer has its own line style and marker, so momentum stays visible under Nesterov.
    """
    curves = [(f"{run.name} (η={run.rate:g})", list(range(len(run.losses))), run.losses) for run in runs]
    return curves_png(
        [("training loss per epoch", curves)],
        path,
        xlabel="epoch",
        ylabel="loss",
        columns=1,
        panel_size=(12.0, 7.5),
        log_y=all(value > 0 for run in runs for value in run.losses),
        font_size=16,
        markers=True,
    )


def demo_optimizers(
    console: Console,
    *,
    samples: int = 2000,
    hidden: int = 30,
    epochs: int = 15,
    batch_size: int = 32,
    dropout: float = 0.0,
    seed: int = 0,
    plot: Path | None = None,
) -> int:
    """Six optimizers, one network, the same digits: loss curves side by side (fast path).

    Status 0 when every optimizer ends below the loss it started from.
    """
    check_batch_option(batch_size, samples)
    with as_option("n_samples", "--samples"):
        load_mnist(kind="train", n_samples=samples)  # a bad --samples fails before anything is printed
    console.rule(f"Optimizers on 784-{hidden}-10 (sigmoid, softmax, cross-entropy), {samples:,} digits, fast path")
    console.print(
        f"the same start (Xavier, seed {seed}) and the same shuffled mini-batches of {batch_size} for each, "
        f"{epochs} epochs" + (f", dropout p = {dropout:g}" if dropout else "") + "; each optimizer gets a rate "
        "typical for it:",
        highlight=False,
    )
    runs = compare_optimizers(
        samples=samples, hidden=hidden, epochs=epochs, batch_size=batch_size, dropout=dropout, seed=seed
    )
    logs = {run.name: [math.log10(loss) for loss in run.losses] for run in runs}
    low = min(min(values) for values in logs.values())
    high = max(max(values) for values in logs.values())
    table = Table(
        "optimizer",
        "rate η",
        f"training loss, epochs 0–{epochs}, log scale {10**low:.3g} … {10**high:.3g}",
        "epoch 1",
        "final",
        "test acc.",
        "s",
        title="loss curves side by side",
        title_justify="left",
    )
    best = min(runs, key=lambda run: run.losses[-1])
    for run in runs:
        table.add_row(
            run.name,
            f"{run.rate:g}",
            Text(sparkline(logs[run.name], width=SPARK_WIDTH, low=low, high=high), style="cyan"),
            f"{run.losses[1]:.4f}" if len(run.losses) > 1 else "",
            Text(f"{run.losses[-1]:.4f}", style="bold" if run is best else ""),
            f"{run.test_accuracy:.1%}",
            f"{run.seconds:.2f}",
        )
    console.print(table)
    rules = Table("optimizer", "its update of each weight w (g = ∂E/∂w)", title="the rules", title_justify="left")
    for run in runs:
        rules.add_row(run.name, get_optimizer(run.name).formula)
    console.print(rules)
    console.print(
        f"lowest training loss: {best.name} ({best.losses[-1]:.4f}).  What each optimizer remembers per weight "
        "is on the graph's connections afterwards (connection.state) and in the fast path's arrays.",
        highlight=False,
    )
    if plot is not None:
        save_png_or_explain(console, lambda: save_optimizers_png(plot, runs))
    return 0 if all(math.isfinite(run.losses[-1]) and run.losses[-1] < run.losses[0] for run in runs) else 1


def add_optimizers_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphnet demo optimizers``."""
    parser.add_argument(
        "--samples", type=positive_int, metavar="N", default=2000, help="training images (default 2000)"
    )
    parser.add_argument("--hidden", type=positive_int, metavar="N", default=30, help="hidden units (default 30)")
    parser.add_argument("--epochs", type=positive_int, metavar="N", default=15, help="epochs (default 15)")
    parser.add_argument("--batch-size", type=positive_int, metavar="N", default=32, help="mini-batch size (default 32)")
    parser.add_argument(
        "--dropout",
        type=probability,
        metavar="P",
        default=0.0,
        help="dropout 0 ≤ P < 1 of the hidden layer (default 0)",
    )
    parser.add_argument(
        "--seed", type=seed_number, metavar="S", default=0, help="weight and shuffling seed (default 0)"
    )
    add_plot_option(parser, "the loss curves")
