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

One module per demo (``graphnet.demos.gates``, …), the shared option types and PNG helpers in
:mod:`graphnet.demos.options`, the registry in :mod:`graphnet.demos.registry`; everything
public is importable from here.

Every demo is seeded, so a run shows the same numbers every time.  The MNIST demos use
the 5,000 real digits bundled with graphnet (``mnist``, ``cg`` and ``speed`` use the full
set instead when ``GRAPHNET_MNIST_DIR`` names a folder with it).
"""

from __future__ import annotations

from graphnet.demos.cg import add_cg_options, demo_cg
from graphnet.demos.forward import FORWARD_BOOK_PARAMS, FORWARD_INPUT, demo_forward, forward_network
from graphnet.demos.gates import (
    DRAWN_ACTIVATIONS,
    DRAWN_RANGE,
    GATE_PERCEPTRONS,
    add_gates_options,
    demo_gates,
    gate_perceptron,
    save_activations_png,
    xor_perceptrons,
)
from graphnet.demos.gradcheck import GRADCHECK_SEED, SloppySigmoid, demo_gradcheck
from graphnet.demos.mnist import add_mnist_options, demo_mnist
from graphnet.demos.mnist17 import (
    MNIST17_SEED,
    MNIST17_TARGET,
    add_mnist17_options,
    demo_mnist17,
    ones_and_sevens,
    train_mnist17,
)
from graphnet.demos.optimizers import (
    OPTIMIZER_RATES,
    OptimizerRun,
    add_optimizers_options,
    compare_optimizers,
    demo_optimizers,
    save_optimizers_png,
)
from graphnet.demos.options import (
    SPARK_WIDTH,
    AddOptions,
    Demo,
    add_plot_option,
    non_negative_float,
    positive_float,
    positive_int,
    save_curve_png,
    save_png_or_explain,
)
from graphnet.demos.registry import DEMO_OPTIONS, DEMOS, add_demo_options, run_named_demo
from graphnet.demos.speed import add_speed_options, demo_speed
from graphnet.demos.tour import TOUR, TOUR_DEMOS, demo_tour
from graphnet.demos.xor import XOR_SEED, demo_xor, xor_data

__all__ = [
    "DEMOS",
    "DEMO_OPTIONS",
    "DRAWN_ACTIVATIONS",
    "DRAWN_RANGE",
    "FORWARD_BOOK_PARAMS",
    "FORWARD_INPUT",
    "GATE_PERCEPTRONS",
    "GRADCHECK_SEED",
    "MNIST17_SEED",
    "MNIST17_TARGET",
    "OPTIMIZER_RATES",
    "SPARK_WIDTH",
    "TOUR",
    "TOUR_DEMOS",
    "XOR_SEED",
    "AddOptions",
    "Demo",
    "OptimizerRun",
    "SloppySigmoid",
    "add_cg_options",
    "add_demo_options",
    "add_gates_options",
    "add_mnist17_options",
    "add_mnist_options",
    "add_optimizers_options",
    "add_plot_option",
    "add_speed_options",
    "compare_optimizers",
    "demo_cg",
    "demo_forward",
    "demo_gates",
    "demo_gradcheck",
    "demo_mnist",
    "demo_mnist17",
    "demo_optimizers",
    "demo_speed",
    "demo_tour",
    "demo_xor",
    "forward_network",
    "gate_perceptron",
    "non_negative_float",
    "ones_and_sevens",
    "positive_float",
    "positive_int",
    "run_named_demo",
    "save_activations_png",
    "save_curve_png",
    "save_optimizers_png",
    "save_png_or_explain",
    "train_mnist17",
    "xor_data",
    "xor_perceptrons",
]
