"""The ``mnist`` demo: all ten digits, 784-30-10 on the fast path, early stopping, checkpoints."""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from graphnet.datasets import ENV_VAR, load_mnist, one_hot
from graphnet.demos.options import (
    SPARK_WIDTH,
    add_plot_option,
    as_option,
    check_batch_option,
    output_file,
    positive_float,
    positive_int,
    save_curve_png,
    save_png_or_explain,
    seed_number,
)
from graphnet.graph.network import Network
from graphnet.math.errors import MissingFileError
from graphnet.views.render import sparkline


def demo_mnist(
    console: Console,
    *,
    hidden: int = 30,
    epochs: int = 30,
    rate: float = 1.0,
    batch_size: int = 10,
    samples: int = 4000,
    eval_every: int = 1,
    patience: int = 3,
    checkpoint: Path | None = None,
    checkpoint_every: int = 5,
    seed: int = 0,
    plot: Path | None = None,
) -> int:
    """All ten digits: 784-hidden-10 sigmoid on the fast path, early stopping, checkpoints.

    Targets 0.9/0.1, squared error, Xavier weights, mini-batches (mean gradient), the
    samples shuffled each epoch.  Every ``eval_every`` epochs the test error is measured;
    training stops when it has not gone below its best for ``patience`` evaluations in a
    row, and the best parameters are kept.  (The test split doubles as the validation set
    here, so the final test accuracy is slightly optimistic.)
    """
    if checkpoint is not None and not checkpoint.parent.is_dir():
        raise MissingFileError(
            f"--checkpoint {os.fspath(checkpoint)!r}: folder {os.fspath(checkpoint.parent)!r} does not exist"
        )
    check_batch_option(batch_size, samples)
    with as_option("n_samples", "--samples"):
        images, labels = load_mnist(kind="train", n_samples=samples)
    test_images, test_labels = load_mnist(kind="test")
    targets = one_hot(labels, 10, on=0.9, off=0.1)
    source = f"the folder in {ENV_VAR}" if os.environ.get(ENV_VAR) else "the bundled subset"
    net = Network([784, hidden, 10], activation="sigmoid", loss="squared_error", init="xavier", seed=seed)
    console.rule(f"MNIST: {'-'.join(map(str, net.sizes))} sigmoid, squared error, targets 0.9/0.1, fast path")
    console.print(
        f"{len(images):,} training and {len(test_images):,} test images from {source}; rate {rate:g}, "
        f"mini-batches of {batch_size}, up to {epochs} epochs, test every {eval_every}, patience {patience}",
        highlight=False,
    )
    table = Table(
        "epoch", "training loss", "test accuracy", "early stopping", title="evaluations", title_justify="left"
    )
    evaluated: list[int] = []
    errors: list[float] = []
    best_error, best_epoch, best_params = math.inf, 0, net.get_params()
    worse = 0
    start = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("epochs", total=epochs, status="")
        for epoch in range(1, epochs + 1):
            net.train(
                images,
                targets,
                rate=rate,
                epochs=1,
                batch_size=batch_size,
                shuffle=True,
                engine="fast",
                track_loss=False,
            )
            progress.advance(task)
            if checkpoint is not None and epoch % checkpoint_every == 0:
                net.save(checkpoint)  # graphnet.tools.io: no pickle, a checksum, written atomically
            if epoch % eval_every != 0 and epoch != epochs:
                continue
            error = 1.0 - net.accuracy(test_images, test_labels)
            evaluated.append(epoch)
            errors.append(error)
            note = ""
            if error < best_error:
                best_error, best_epoch, best_params, worse = error, epoch, net.get_params(), 0
                note = "best so far"
            else:
                worse += 1
                note = f"not better ({worse}/{patience})"
            table.add_row(str(epoch), f"{net.loss(images, targets):.5f}", f"{1.0 - error:.1%}", note)
            progress.update(task, status=f"test accuracy {1.0 - error:.1%}")
            if worse >= patience:
                break
    seconds = time.perf_counter() - start
    console.print(table)
    net.set_params(best_params)
    accuracy = net.accuracy(test_images, test_labels)
    stopped = f"stopped early after epoch {evaluated[-1]}" if evaluated[-1] < epochs else f"ran all {epochs} epochs"
    curve = sparkline([1.0 - e for e in errors], width=SPARK_WIDTH)
    console.print(Text.assemble(("test accuracy per evaluation ", "dim"), curve))
    console.print(
        f"{stopped} in {seconds:.1f} s; kept the parameters of epoch {best_epoch}: test accuracy {accuracy:.1%}",
        highlight=False,
    )
    if checkpoint is not None:
        net.save(checkpoint)
        console.print(f"checkpoint (best parameters, epoch {best_epoch}): {os.fspath(checkpoint)}", highlight=False)
    if plot is not None:
        save_png_or_explain(
            console,
            lambda: save_curve_png(
                plot,
                evaluated,
                [1.0 - e for e in errors],
                title=f"MNIST {'-'.join(map(str, net.sizes))}: test accuracy",
                xlabel="epoch",
                ylabel="test accuracy",
                zoom=True,
            ),
        )
    return 0


def add_mnist_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphnet demo mnist``."""
    parser.add_argument(
        "--hidden", type=positive_int, metavar="N", default=30, help="hidden units (default 30; try 300)"
    )
    parser.add_argument(
        "--epochs", type=positive_int, metavar="N", default=30, help="at most this many epochs (default 30)"
    )
    parser.add_argument("--rate", type=positive_float, metavar="R", default=1.0, help="learning rate (default 1.0)")
    parser.add_argument("--batch-size", type=positive_int, metavar="N", default=10, help="mini-batch size (default 10)")
    parser.add_argument(
        "--samples", type=positive_int, metavar="N", default=4000, help="training images (default 4000)"
    )
    parser.add_argument(
        "--eval-every", type=positive_int, metavar="N", default=1, help="test every N epochs (default 1)"
    )
    parser.add_argument(
        "--patience",
        type=positive_int,
        metavar="N",
        default=3,
        help="stop after N evaluations without a new best (default 3)",
    )
    parser.add_argument(
        "--checkpoint",
        type=output_file,
        default=None,
        metavar="FILE",
        help="save the network here (.npz; Network.load reads it) (default: no file)",
    )
    parser.add_argument(
        "--checkpoint-every", type=positive_int, metavar="N", default=5, help="checkpoint every N epochs (default 5)"
    )
    parser.add_argument(
        "--seed", type=seed_number, metavar="S", default=0, help="weight and shuffling seed (default 0)"
    )
    add_plot_option(parser, "the test accuracy per evaluation")
