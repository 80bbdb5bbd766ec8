"""The ``cg`` demo: a network's flat parameter vector optimised by scipy's conjugate gradient."""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from rich.text import Text

from graphnet.datasets import load_mnist, one_hot
from graphnet.demos.options import SPARK_WIDTH, as_option, non_negative_float, positive_int, seed_number
from graphnet.graph.network import Network
from graphnet.math.errors import MissingDependencyError
from graphnet.views.render import sparkline


def demo_cg(
    console: Console,
    *,
    samples: int = 1000,
    hidden: int = 30,
    maxiter: int = 100,
    l2: float = 1e-4,
    seed: int = 0,
) -> int:
    """The flat parameter vector optimised by scipy's conjugate gradient (cross-entropy + L2)."""
    try:
        from scipy.optimize import minimize  # optional: imported only when used
    except ImportError as error:
        raise MissingDependencyError(
            f'the cg demo needs scipy, which is not installed ({error}); install it with: pip install "graphnet[scipy]"'
        ) from error
    with as_option("n_samples", "--samples"):
        images, labels = load_mnist(kind="train", n_samples=samples)
    test_images, test_labels = load_mnist(kind="test")
    targets = one_hot(labels, 10)
    net = Network(
        [784, hidden, 10],
        activation="sigmoid",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        init="xavier",
        l2=l2,
        seed=seed,
    )
    shape = "-".join(map(str, net.sizes))
    console.rule(f"Conjugate gradient (scipy) on θ, all {net.n_parameters:,} parameters of {shape}")
    console.print(
        f"E(θ) = mean cross-entropy over {len(images):,} digits + (λ/2)·Σw², λ = {l2:g}; "
        f"minimize(net.loss_and_gradient, θ0, jac=True, method='CG', args=(X, T)), at most {maxiter} iterations",
        highlight=False,
    )

    def measures() -> tuple[float, float, float]:
        return net.loss(images, targets), net.accuracy(images, labels), net.accuracy(test_images, test_labels)

    before = measures()
    losses: list[float] = []

    def record(theta: NDArray[np.float64]) -> None:
        losses.append(net.loss_and_gradient(theta, images, targets)[0])

    start = time.perf_counter()
    result = minimize(
        net.loss_and_gradient,
        net.get_flat_params(),
        jac=True,
        method="CG",
        args=(images, targets),
        callback=record,
        options={"maxiter": maxiter},
    )
    seconds = time.perf_counter() - start
    net.set_flat_params(result.x)
    after = measures()
    table = Table("", "before", "after", title="conjugate gradient", title_justify="left")
    table.add_row("loss E(θ)", f"{before[0]:.4f}", f"{after[0]:.4f}")
    table.add_row("training accuracy", f"{before[1]:.1%}", f"{after[1]:.1%}")
    table.add_row("test accuracy", f"{before[2]:.1%}", f"{after[2]:.1%}")
    console.print(table)
    console.print(Text.assemble(("loss per iteration ", "dim"), sparkline(losses, width=SPARK_WIDTH)))
    console.print(
        f"{result.nit} iterations, {result.nfev} evaluations of E and ∂E/∂θ, {seconds:.1f} s; scipy: {result.message}",
        highlight=False,
        markup=False,
    )
    return 0 if after[0] < before[0] else 1


def add_cg_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphnet demo cg``."""
    parser.add_argument(
        "--samples", type=positive_int, metavar="N", default=1000, help="training images (default 1000)"
    )
    parser.add_argument("--hidden", type=positive_int, metavar="N", default=30, help="hidden units (default 30)")
    parser.add_argument(
        "--maxiter", type=positive_int, metavar="N", default=100, help="at most N CG iterations (default 100)"
    )
    parser.add_argument(
        "--l2", type=non_negative_float, metavar="λ", default=1e-4, help="λ of the L2 term (default 1e-4)"
    )
    parser.add_argument("--seed", type=seed_number, metavar="S", default=0, help="weight seed (default 0)")
