"""The demos behind ``graphnet demo NAME`` and ``demos/NAME.py``.

Each demo is a function ``demo_NAME(console, **options) -> int`` that builds, trains and
shows something, printing only through the rich ``console`` it is given, and returns an
exit status (0: it showed what it promises).  A demo with options registers a function in
:data:`DEMO_OPTIONS` that adds them to an :mod:`argparse` parser; ``graphnet demo NAME
--option value`` parses them with it and passes them on as keywords.

=========== ==========================================================================
tour        gates, forward, xor, gradcheck, mnist17 and speed, one after another (seconds)
gates       perceptrons with hand-set weights: AND, OR, NAND, and XOR from three of them;
            the activation functions drawn
forward     the textbook 2-3-2-2 network with fixed weights, every layer's numbers
xor         XOR learnt by a 2-2-1 sigmoid graph, dumped before and after
mnist17     "1" or "7"? 784-10-2 on 200 real digits, test accuracy after every step
mnist       all ten digits: 784-30-10 on the fast path, early stopping, checkpoints
cg          the flat parameter vector optimised by scipy's conjugate gradient
optimizers  sgd, momentum, nesterov, adagrad, rmsprop and adam on the same network and
            digits, loss curves side by side
speed       the same epoch on the graph and on the fast path, timed
=========== ==========================================================================

Every demo is seeded, so a run shows the same numbers every time.  The MNIST demos use
the 5,000 real digits bundled with graphnet (``mnist``, ``cg`` and ``speed`` use the full
set instead when ``GRAPHNET_MNIST_DIR`` names a folder with it).
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from graphnet.graph.network import Network
from graphnet.math.activations import Activation, get_activation
from graphnet.math.errors import GraphnetError, MissingDependencyError, MissingFileError
from graphnet.views.render import sparkline

Demo = Callable[..., int]
AddOptions = Callable[[argparse.ArgumentParser], None]

#: Seeds chosen once and fixed, so every run of a demo shows the same numbers.
XOR_SEED = 3
GRADCHECK_SEED = 0
#: The seed of ``mnist17``: with it the demo ends at 98.0% test accuracy (see its docstring).
MNIST17_SEED = 1
#: The test accuracy ``mnist17`` promises with its default settings.
MNIST17_TARGET = 0.96
#: Most glyphs in a demo's sparkline (long series are sampled).
SPARK_WIDTH = 50


# ---------------------------------------------------------------------------- option types
def positive_int(text: str) -> int:
    """Argparse type: a whole number ≥ 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    """Argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0.0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """Argparse type: a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0.0:
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return value


def _add_plot_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE",
        help=f'also save {what} as a PNG (needs matplotlib: pip install "graphnet[plot]")',
    )


def _save_png_or_explain(console: Console, save: Callable[[], Path]) -> bool:
    """Call ``save``; without matplotlib say how to get it instead.  True if a file was written."""
    try:
        path = save()
    except MissingDependencyError as error:
        console.print(f"no PNG: {error}", style="yellow", markup=False, highlight=False)
        return False
    console.print(f"saved {os.fspath(path)}", markup=False, highlight=False)
    return True


# ---------------------------------------------------------------------------- gates
#: The classic perceptron gates: (w1, w2) and the threshold θ; y = 1 if w1·x1 + w2·x2 ≥ θ.
GATE_PERCEPTRONS: dict[str, tuple[tuple[float, float], float]] = {
    "and": ((0.5, 0.5), 0.7),
    "or": ((0.5, 0.5), 0.2),
    "nand": ((-0.5, -0.5), -0.7),
}
#: The activations ``gates`` draws, with the range of net inputs shown.
DRAWN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "step")
DRAWN_RANGE = (-4.0, 4.0)


def gate_perceptron(name: str) -> Network:
    """One step unit computing a gate of :data:`GATE_PERCEPTRONS`; its bias is −θ.

    Examples
    --------
    >>> gate_perceptron("nand").predict([[0, 0], [1, 1]]).ravel().tolist()
    [1.0, 0.0]
    """
    (w1, w2), threshold = GATE_PERCEPTRONS[name]
    net = Network([2, 1], activation="step")
    net.set_params([(np.array([[w1, w2]]), np.array([-threshold]))])
    return net


def xor_perceptrons() -> Network:
    """XOR from three perceptrons: OR and NAND in the hidden layer, AND of them on top.

    Examples
    --------
    >>> xor_perceptrons().predict([[0, 0], [0, 1], [1, 0], [1, 1]]).ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    hidden = [GATE_PERCEPTRONS["or"], GATE_PERCEPTRONS["nand"]]
    (and_w1, and_w2), and_threshold = GATE_PERCEPTRONS["and"]
    net = Network([2, 2, 1], activation="step")
    net.set_params(
        [
            (np.array([weights for weights, _ in hidden]), -np.array([threshold for _, threshold in hidden])),
            (np.array([[and_w1, and_w2]]), np.array([-and_threshold])),
        ]
    )
    return net


def _activation_panels() -> list[Panel]:
    z = np.linspace(*DRAWN_RANGE, 321)
    panels = []
    from graphnet.views.charts import text_plot

    for name in DRAWN_ACTIVATIONS:
        activation = get_activation(name)
        panels.append(
            Panel(
                text_plot(z, activation.value_array(z), width=25, height=7),
                title=repr(activation) if name == "leaky_relu" else name,
                subtitle=activation.formula,
                expand=False,
            )
        )
    return panels


def save_activations_png(path: str | os.PathLike[str]) -> Path:
    """Each activation of :data:`DRAWN_ACTIVATIONS` and its derivative as a PNG (needs matplotlib)."""
    from graphnet.views.charts import curves_png

    z = np.linspace(*DRAWN_RANGE, 801)
    panels = []
    for name in DRAWN_ACTIVATIONS:
        activation = get_activation(name)
        curves = [(f"f = {activation.formula}", z, activation.value_array(z))]
        if activation.differentiable:
            curves.append((f"f′ = {activation.derivative_formula}", z, activation.derivative_array(z)))
        panels.append((repr(activation) if name == "leaky_relu" else name, curves))
    return curves_png(panels, path, xlabel="net input", ylabel="f(net)")


def demo_gates(console: Console, *, plot: Path | None = None) -> int:
    """Perceptrons with given weights: AND, OR, NAND, XOR from three of them; activations drawn."""
    from graphnet.datasets import logic_gate

    console.rule("Perceptrons: one step unit, y = step(w1·x1 + w2·x2 + b) with b = −θ")
    correct = True
    for name, ((w1, w2), threshold) in GATE_PERCEPTRONS.items():
        net = gate_perceptron(name)
        inputs, targets = logic_gate(name)
        title = f"{name.upper()}: w = ({w1:g}, {w2:g}), θ = {threshold:g}"
        table = Table("x1", "x2", "net", "y", "truth", title=title, title_justify="left", min_width=len(title))
        for x, t in zip(inputs, targets, strict=True):
            y = net.forward(x)[0]
            correct &= y == t[0]
            table.add_row(
                f"{x[0]:g}", f"{x[1]:g}", f"{net.output_layer.nodes[0].net_input:+.2f}", f"{y:g}", f"{t[0]:g}"
            )
        console.print(table)
    xor_net = xor_perceptrons()
    inputs, targets = logic_gate("xor")
    table = Table(
        "x1", "x2", "s1 = OR", "s2 = NAND", "y = AND(s1, s2)", "truth", title="XOR: two layers of perceptrons"
    )
    for x, t in zip(inputs, targets, strict=True):
        y = xor_net.forward(x)[0]
        correct &= y == t[0]
        s1, s2 = xor_net.layers[1].outputs
        table.add_row(f"{x[0]:g}", f"{x[1]:g}", f"{s1:g}", f"{s2:g}", f"{y:g}", f"{t[0]:g}")
    console.print(table)
    console.print(
        "One unit draws one straight line through the plane; XOR needs two (OR and NAND), "
        "combined by a third.  The step has no useful derivative, so these weights are set "
        "by hand: to learn them, use a smooth activation.",
        highlight=False,
    )
    console.rule(f"Activation functions f(z), z from {DRAWN_RANGE[0]:g} to {DRAWN_RANGE[1]:g}")
    if plot is None or not _save_png_or_explain(console, lambda: save_activations_png(plot)):
        console.print(Columns(_activation_panels()))
    return 0 if correct else 1


def _gates_options(parser: argparse.ArgumentParser) -> None:
    _add_plot_option(parser, "the activation functions and their derivatives")


# ---------------------------------------------------------------------------- forward
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


# ---------------------------------------------------------------------------- xor
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


# ---------------------------------------------------------------------------- mnist17
def ones_and_sevens(
    *, n_train: int = 200
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """The "1 or 7?" data: the first ``n_train`` ones and sevens of the bundled training split.

    The bundled split comes in round-robin digit order, so the training images alternate
    1, 7, 1, 7, …: the order is fixed, with no shuffling.  The test images are every 1 and
    7 of the bundled test split (200).  Labels: 1 for a seven, 0 for a one.

    Returns
    -------
    X_train (n_train, 784), labels_train (n_train,), X_test (200, 784), labels_test (200,)
    """
    from graphnet.datasets import binary_subset, load_bundled_mnist

    images, labels = binary_subset(*load_bundled_mnist(kind="train"), positive=7, negative=1)
    if not 1 <= n_train <= len(labels):
        raise GraphnetError(f"samples: expected 1 … {len(labels)} ones and sevens, got {n_train}")
    test_images, test_labels = binary_subset(*load_bundled_mnist(kind="test"), positive=7, negative=1)
    return images[:n_train], labels[:n_train], test_images, test_labels


def train_mnist17(*, samples: int = 200, rate: float = 0.5, seed: int = MNIST17_SEED) -> tuple[Network, list[float]]:
    """Train the 784-10-2 "1 or 7?" network sample by sample on the graph.

    784-10-2 sigmoid, squared error, weights N(0, 1), biases 1, targets one-hot over
    (one, seven); one update w ← w − rate·∂E/∂w per training image, in the fixed order
    of :func:`ones_and_sevens`.  After every update, the test accuracy is measured on the
    fast path (``net.accuracy``).

    Returns
    -------
    network : Network
        The trained network.
    accuracies : list of float
        The test accuracy before training and after each update (``samples + 1`` values).
    """
    from graphnet.datasets import one_hot

    images, labels, test_images, test_labels = ones_and_sevens(n_train=samples)
    targets = one_hot(labels, 2)
    net = Network([784, 10, 2], activation="sigmoid", loss="squared_error", init="normal", bias_init=1.0, seed=seed)
    accuracies = [net.accuracy(test_images, test_labels)]
    for x, t in zip(images, targets, strict=True):
        net.forward(x)
        net.backward(t)
        net.update(rate)
        accuracies.append(net.accuracy(test_images, test_labels))
    return net, accuracies


def _half_size(image: NDArray[np.float64]) -> NDArray[np.float64]:
    """A 28 × 28 image as 14 × 14, each pixel the mean of a 2 × 2 block (to fit a terminal)."""
    result: NDArray[np.float64] = image.reshape(14, 2, 14, 2).mean(axis=(1, 3))
    return result


def save_curve_png(
    path: str | os.PathLike[str], steps: list[int], values: list[float], *, title: str, xlabel: str, ylabel: str
) -> Path:
    """One curve as a PNG (needs matplotlib)."""
    from graphnet.views.charts import curves_png

    return curves_png([(title, [(ylabel, steps, values)])], path, xlabel=xlabel, ylabel=ylabel)


def demo_mnist17(
    console: Console,
    *,
    samples: int = 200,
    rate: float = 0.5,
    seed: int = MNIST17_SEED,
    plot: Path | None = None,
) -> int:
    """Is it a 1 or a 7?  784-10-2 trained image by image on the graph; test accuracy after every step.

    With the defaults the test accuracy ends at 98.0% (status 1 if below 96%).
    """
    from graphnet.datasets import digit_text

    console.rule('"1" or "7"? 784-10-2 sigmoid on real digits, trained on the graph')
    start = time.perf_counter()
    _, accuracies = train_mnist17(samples=samples, rate=rate, seed=seed)
    seconds = time.perf_counter() - start
    images, labels, test_images, _ = ones_and_sevens(n_train=samples)
    console.print(
        Columns(
            [
                Panel(digit_text(_half_size(images[int(np.argmax(labels == label))])), title=name, expand=False)
                for label, name in ((0, "a training 1"), (1, "a training 7"))
                if (labels == label).any()
            ]
        )
    )
    console.print(
        f"{samples} training images (1, 7, 1, 7, …), weights N(0, 1), biases 1, rate {rate:g}, seed {seed}; "
        f"test accuracy on all {len(test_images)} ones and sevens of the test split after every update:",
        highlight=False,
    )
    table = Table("after update", "test accuracy", title="accuracy curve", title_justify="left")
    shown = sorted({0, *range(max(samples // 10, 1), samples, max(samples // 10, 1)), samples})
    for step in shown:
        table.add_row(str(step), f"{accuracies[step]:.1%}")
    console.print(table)
    console.print(
        Text.assemble(
            ("test accuracy, 0 to 100%: ", "dim"), sparkline(accuracies, width=SPARK_WIDTH, low=0.0, high=1.0)
        )
    )
    final = accuracies[-1]
    console.print(
        f"final test accuracy: {final:.1%} (best {max(accuracies):.1%}); "
        f"{samples} updates on the graph and {len(accuracies)} test evaluations on the fast path in {seconds:.1f} s",
        highlight=False,
    )
    if plot is not None:
        _save_png_or_explain(
            console,
            lambda: save_curve_png(
                plot,
                list(range(len(accuracies))),
                accuracies,
                title='"1" or "7"? test accuracy',
                xlabel="updates (training images seen)",
                ylabel="test accuracy",
            ),
        )
    return 0 if final >= MNIST17_TARGET else 1


def _mnist17_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples", type=positive_int, metavar="N", default=200, help="training images, at most 800 (default 200)"
    )
    parser.add_argument("--rate", type=positive_float, metavar="R", default=0.5, help="learning rate (default 0.5)")
    parser.add_argument(
        "--seed", type=int, metavar="S", default=MNIST17_SEED, help=f"weight seed (default {MNIST17_SEED})"
    )
    _add_plot_option(parser, "the accuracy curve")


# ---------------------------------------------------------------------------- mnist
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graphnet.datasets import ENV_VAR, load_mnist, one_hot

    if checkpoint is not None and not checkpoint.parent.is_dir():
        raise MissingFileError(
            f"--checkpoint {os.fspath(checkpoint)!r}: folder {os.fspath(checkpoint.parent)!r} does not exist"
        )
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
        _save_png_or_explain(
            console,
            lambda: save_curve_png(
                plot,
                evaluated,
                [1.0 - e for e in errors],
                title=f"MNIST {'-'.join(map(str, net.sizes))}: test accuracy",
                xlabel="epoch",
                ylabel="test accuracy",
            ),
        )
    return 0


def _mnist_options(parser: argparse.ArgumentParser) -> None:
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
        type=Path,
        default=None,
        metavar="FILE",
        help="save the network here (.npz; Network.load reads it)",
    )
    parser.add_argument(
        "--checkpoint-every", type=positive_int, metavar="N", default=5, help="checkpoint every N epochs (default 5)"
    )
    parser.add_argument("--seed", type=int, metavar="S", default=0, help="weight and shuffling seed (default 0)")
    _add_plot_option(parser, "the test accuracy per evaluation")


# ---------------------------------------------------------------------------- cg
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
    from graphnet.datasets import load_mnist, one_hot

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


def _cg_options(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--seed", type=int, metavar="S", default=0, help="weight seed (default 0)")


# ---------------------------------------------------------------------------- optimizers
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
    from graphnet.datasets import load_mnist, one_hot

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
    """The loss curves of :func:`compare_optimizers` in one panel, as a PNG (needs matplotlib)."""
    from graphnet.views.charts import curves_png

    curves = [(f"{run.name} (η={run.rate:g})", list(range(len(run.losses))), run.losses) for run in runs]
    return curves_png([("training loss per epoch", curves)], path, xlabel="epoch", ylabel="loss", columns=1)


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
    from graphnet.math.optimizers import get_optimizer

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
        _save_png_or_explain(console, lambda: save_optimizers_png(plot, runs))
    return 0 if all(math.isfinite(run.losses[-1]) and run.losses[-1] < run.losses[0] for run in runs) else 1


def _optimizers_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples", type=positive_int, metavar="N", default=2000, help="training images (default 2000)"
    )
    parser.add_argument("--hidden", type=positive_int, metavar="N", default=30, help="hidden units (default 30)")
    parser.add_argument("--epochs", type=positive_int, metavar="N", default=15, help="epochs (default 15)")
    parser.add_argument("--batch-size", type=positive_int, metavar="N", default=32, help="mini-batch size (default 32)")
    parser.add_argument(
        "--dropout", type=non_negative_float, metavar="P", default=0.0, help="dropout of the hidden layer (default 0)"
    )
    parser.add_argument("--seed", type=int, metavar="S", default=0, help="weight and shuffling seed (default 0)")
    _add_plot_option(parser, "the loss curves")


# ---------------------------------------------------------------------------- speed
def demo_speed(console: Console, *, sizes: tuple[int, ...] = (784, 30, 10), n_samples: int = 200) -> int:
    """The same per-sample SGD epoch on the graph and on the fast path, timed in one run."""
    from graphnet.datasets import load_mnist, one_hot

    if len(sizes) < 2 or sizes[0] != 784:
        raise GraphnetError(
            f"sizes must start with 784 inputs (one per pixel) and have an output layer; got {list(sizes)}"
        )
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
    from graphnet.tools.gradcheck import gradient_check

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


def _speed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=positive_int, nargs="+", default=[784, 30, 10], help="layer sizes, 784 first")
    parser.add_argument(
        "--samples", dest="n_samples", type=positive_int, metavar="N", default=200, help="digits (default 200)"
    )


# ---------------------------------------------------------------------------- tour
#: The demos of the tour, in order.
TOUR = ("gates", "forward", "xor", "gradcheck", "mnist17", "speed")


def demo_tour(console: Console) -> int:
    """The short tour: every demo that finishes in seconds, one after another, timed."""
    table = Table("demo", "status", "seconds", title="tour", title_justify="left")
    statuses = []
    start = time.perf_counter()
    for name in TOUR:
        began = time.perf_counter()
        status = DEMOS[name](console)
        statuses.append(status)
        table.add_row(name, "ok" if status == 0 else f"exit {status}", f"{time.perf_counter() - began:.1f}")
    console.rule("Tour finished")
    console.print(table)
    console.print(f"total {time.perf_counter() - start:.1f} s", highlight=False)
    return max(statuses)


DEMOS: dict[str, Demo] = {
    "tour": demo_tour,
    "gates": demo_gates,
    "forward": demo_forward,
    "xor": demo_xor,
    "gradcheck": demo_gradcheck,
    "mnist17": demo_mnist17,
    "mnist": demo_mnist,
    "cg": demo_cg,
    "optimizers": demo_optimizers,
    "speed": demo_speed,
}

#: Demo name -> the function that adds its options to a parser (demos without options are absent).
DEMO_OPTIONS: dict[str, AddOptions] = {
    "gates": _gates_options,
    "mnist17": _mnist17_options,
    "mnist": _mnist_options,
    "cg": _cg_options,
    "optimizers": _optimizers_options,
    "speed": _speed_options,
}


def add_demo_options(name: str, parser: argparse.ArgumentParser) -> None:
    """Add the options of demo ``name`` (if it has any) to ``parser``."""
    if name in DEMO_OPTIONS:
        DEMO_OPTIONS[name](parser)


def run_named_demo(name: str, console: Console, **options: object) -> int:
    """Run the demo called ``name`` with the given options."""
    return DEMOS[name](console, **options)
