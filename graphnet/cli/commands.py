"""The ``graphnet`` command line.

Each subcommand is a function ``run_NAME(args, console) -> int`` registered in
:func:`build_parser`.  Errors graphnet raises on purpose print as one line on stderr and
exit with status 2; ``--debug`` shows the traceback instead.  Every option naming a file
takes ``type=output_file`` or ``type=input_file`` and is checked by
:func:`~graphnet.demos.options.check_file_options` right after parsing, before the command
does any work.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console

from graphnet.cli.data import add_data_options, load_training_data, scaled
from graphnet.cli.defaults import fill_defaults
from graphnet.cli.options import (
    LOSS_NAMES,
    TRAINABLE_HIDDEN,
    TRAINABLE_OUTPUT,
    add_build_options,
    add_network_options,
    add_optimizer_option,
    add_sample_options,
    network_from_args,
    options_named,
    sample_from_args,
)
from graphnet.cli.pictures import (
    add_draw_command,
    add_picture_options,
    check_plot_option,
    write_step_player,
)
from graphnet.cli.training import train_and_report
from graphnet.common.checks import check_differentiable
from graphnet.demos import DEMOS, add_demo_options, run_named_demo
from graphnet.demos.options import (
    check_file_options,
    non_negative_float,
    output_file,
    positive_float,
    positive_int,
    whole_at_least,
    whole_number,
)
from graphnet.graph.network import Network
from graphnet.math.activations import get_activation
from graphnet.math.errors import GraphnetError, IncompatibleError
from graphnet.math.numbers import ASCII_VARIABLE, ascii_wanted, to_ascii
from graphnet.tools.bench import CHECKS, check_ratios
from graphnet.tools.bench import run_bench as measure
from graphnet.tools.gradcheck import PLANTED_BUG_FACTOR, PlantedBug, gradient_check, random_sample
from graphnet.version import __version__
from graphnet.views.plain import ascii_console
from graphnet.views.stepview import step_session

if TYPE_CHECKING:
    from graphnet.math.activations import Activation

Command = Callable[[argparse.Namespace, Console], int]
#: Exit status for a usage or input error (argparse uses 2 too).
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like graphnet's own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def run_dump(args: argparse.Namespace, console: Console) -> int:
    """Print the plain-text dump, after a forward (and backward) pass on one sample."""
    net = network_from_args(args)
    x, target = sample_from_args(args, net)
    net.forward(x)
    if not args.forward_only:
        net.backward(target)
    console.print(net.dump(), markup=False, highlight=False, soft_wrap=True)
    return 0


def run_step(args: argparse.Namespace, console: Console) -> int:
    """Step through one training step; keys from a terminal, or commands line by line."""
    net = network_from_args(args)
    x, target = sample_from_args(args, net)
    with options_named(args):
        check_differentiable(net.activations)
    stepper = net.stepper(x, target, rate=args.rate, optimizer=args.optimizer, digits=args.digits)
    if args.html is not None:  # the page keeps the real symbols; --ascii is for the terminal
        return write_step_player(stepper, args.html, console, show=args.show, digits=args.digits, names=args.names)
    return step_session(stepper, console, interactive=sys.stdin.isatty() and console.is_terminal)


def run_train(args: argparse.Namespace, console: Console) -> int:
    """Train a network on a named data set or a CSV file and report loss and accuracy."""
    typed_batch_size = args.batch_size is not None
    defaults = fill_defaults(args)  # every option left out: the data set's default
    batch_size = _batch_size(args.batch_size)
    check_plot_option(args.plot)
    data = load_training_data(args)
    data = scaled(data) if args.scale else data
    if batch_size is not None and batch_size > len(data.inputs) and not typed_batch_size:
        args.batch_size, batch_size = "full", None  # a default batch larger than a small CSV file: all of it
    if batch_size is not None and batch_size > len(data.inputs):
        raise IncompatibleError(
            f"--batch-size {batch_size} is more than the {len(data.inputs)} samples of {data.name}; "
            f"expected at most {len(data.inputs)}, or --batch-size full for one batch of all"
        )
    return train_and_report(args, data, defaults, batch_size, console)


def run_bench(args: argparse.Namespace, console: Console) -> int:
    """Measure both engines; print a table, write JSON, and check ratios if asked."""
    with console.status("benchmarking…") as status:
        result = measure(quick=args.quick, progress=lambda message: status.update(f"benchmarking {message}…"))
    console.print(result)
    if args.json:
        result.write_json(args.json)
        console.print(f"wrote {args.json}", highlight=False)
    if args.check:
        failures = check_ratios(result)
        for failure in failures:
            sys.stderr.write(f"graphnet bench: ratio check failed: {failure}\n")
        if failures:
            return 1
        console.print(f"all {len(CHECKS)} ratio checks hold", highlight=False)
    return 0


def _batch_size(text: str) -> int | None:
    if text.strip() == "full":
        return None
    value = whole_number(text)
    if value is None or value < 1:
        raise IncompatibleError(f"--batch-size must be a positive whole number or 'full'; got {text!r}")
    return value


def run_demo(args: argparse.Namespace, console: Console) -> int:
    """Run a demo by name (default: the short tour), parsing the options that demo takes."""
    summary = (DEMOS[args.name].__doc__ or "").strip().splitlines()[0]
    parser = _Parser(prog=f"graphnet demo {args.name}", description=summary)
    add_demo_options(args.name, parser)
    options = check_file_options(parser.parse_args(args.options))
    return run_named_demo(args.name, console, **vars(options))


def run_gradcheck(args: argparse.Namespace, console: Console) -> int:
    """Check a random network's gradients: numeric vs graph vs fast; 1 if one is wrong."""
    network = _gradcheck_network(args)
    x, t = random_sample(network, n_samples=args.samples, seed=network.rng)
    masks = network.draw_masks(len(x) if np.ndim(x) == 2 else 1) if network.has_dropout else None
    if masks is not None:
        console.print(
            f"Dropout: checking under one fixed set of masks (seed {args.seed}), as training would draw them.",
            markup=False,
            highlight=False,
        )
    report = gradient_check(
        network,
        x,
        t,
        mode=args.mode,
        order=args.order,
        epsilon=args.epsilon,
        per_layer=args.per_layer,
        directions=args.directions,
        seed=args.seed,
        masks=masks,
    )
    if args.plant_bug:
        console.print(
            f"Planted bug: layer 1 uses {args.activation} with its derivative multiplied by {PLANTED_BUG_FACTOR:g}.",
            markup=False,
            highlight=False,
        )
    console.print(report.render(max_rows=args.rows))
    return 0 if report.passed else 1


def _gradcheck_network(args: argparse.Namespace) -> Network:
    """The network the shared options describe, with a wrong derivative in layer 1 if asked."""
    sizes = list(args.layers)
    activation: str | list[str | Activation] = args.activation
    if args.plant_bug:
        if len(sizes) < 3:
            raise IncompatibleError(
                f"--plant-bug plants a wrong derivative in hidden layer 1; give at least one hidden "
                f"layer (e.g. --layers 3 4 2); got --layers {' '.join(map(str, sizes))}"
            )
        activation = [PlantedBug(get_activation(args.activation)), *[args.activation] * (len(sizes) - 2)]
    network = network_from_args(args, activation=activation, l2=args.l2)
    with options_named(args):
        check_differentiable(network.activations)
    return network


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = _Parser(
        prog="graphnet",
        description="Neural networks as graphs of objects: build, step through, check and train them.",
    )
    parser.add_argument("--version", action="version", version=f"graphnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors (default: one line)")
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="plain ASCII output: formulas as Python arithmetic (- and *), tables in -|+ "
        f"(default: off, unless {ASCII_VARIABLE}=1)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = commands.add_parser("demo", help="run a demo (default: the short tour)")

    demo.add_argument(
        "name", nargs="?", default="tour", choices=sorted(DEMOS), help="which demo: %(choices)s (default: tour)"
    )
    demo.add_argument(
        "options", nargs=argparse.REMAINDER, help="the demo's own options (graphnet demo NAME --help) (default: none)"
    )
    demo.set_defaults(handler=run_demo)

    dump = commands.add_parser("dump", help="print the plain-text dump of a network after one sample")
    add_network_options(dump, layers=[3, 4, 2])
    add_sample_options(dump)
    dump.add_argument(
        "--forward-only",
        action="store_true",
        help="skip the backward pass (deltas stay 0) (default: forward and backward)",
    )
    dump.set_defaults(handler=run_dump)

    step = commands.add_parser(
        "step",
        help="step through forward, deltas, gradients and updates node by node",
        description="Keys: Enter/n next, b back, p next phase, r run to end, q quit. "
        "Without a terminal, the same letters are read one per line from stdin.",
    )
    add_network_options(step, layers=[3, 4, 2])
    add_sample_options(step)
    step.add_argument(
        "--rate", type=positive_float, default=0.5, help="learning rate η > 0 of the update phase (default %(default)s)"
    )
    add_optimizer_option(step)
    step.add_argument(
        "--html",
        type=output_file,
        metavar="FILE",
        help="write the whole step as a browser player (one HTML file) (default: step in the terminal)",
    )
    add_picture_options(step, where=" of --html")
    step.set_defaults(handler=run_step)

    train = commands.add_parser(
        "train",
        help="train on a built-in data set or your CSV file",
        description="Every option left out takes the data set's default, chosen so that the run succeeds "
        "(xor and every gate 100%%, toy sets ≥ 97%%, toy:spiral ≥ 95%%, mnist ≥ 90%% test); "
        "the settings used are printed first.",
    )

    add_data_options(train)
    train.add_argument(
        "--hidden",
        type=positive_int,
        nargs="*",
        default=None,
        metavar="N",
        help="hidden layer sizes (default: by data set, e.g. 4 for gates, 16 16 for toy:spiral); "
        "inputs and outputs come from the data",
    )
    train.add_argument(
        "--activation",
        default=None,
        choices=TRAINABLE_HIDDEN,
        metavar="NAME",
        help="activation of the hidden layers: %(choices)s (default: by data set, e.g. tanh for gates, "
        "relu for toy:spiral)",
    )
    train.add_argument(
        "--output-activation",
        default=None,
        choices=TRAINABLE_OUTPUT,
        metavar="NAME",
        help="activation of the output layer: %(choices)s (default: by the data: softmax for more than two "
        "classes, else sigmoid)",
    )
    train.add_argument(
        "--loss",
        default=None,
        choices=LOSS_NAMES,
        metavar="NAME",
        help="loss E: %(choices)s (default: by the data: categorical_cross_entropy for more than two classes, "
        "else squared_error)",
    )
    add_build_options(train, init="xavier", seeds="seed of the weights, the shuffling and the dropout masks")
    train.add_argument(
        "--rate",
        type=positive_float,
        default=None,
        metavar="η",
        help="learning rate η > 0 (default: by data set, e.g. 0.5 for gates, 0.01 with adam for toy:spiral)",
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        metavar="N",
        help="passes over the data, ≥ 1 (default: by data set, e.g. 300 for gates, 10 for mnist)",
    )
    train.add_argument(
        "--batch-size",
        default=None,
        metavar="K",
        help="samples per update: 1 (per-sample SGD), k (mini-batches of k, at most the number of samples), "
        "or 'full' (one batch of all) (default: by data set, e.g. 1 for gates, 32 for mnist)",
    )
    train.add_argument(
        "--reduction",
        default="mean",
        choices=["mean", "sum"],
        help="how a batch's per-sample gradients combine: %(choices)s (default %(default)s)",
    )
    train.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="visit the samples in a new random order each epoch, or not (default: by data set; in order for gates)",
    )
    train.add_argument(
        "--engine",
        default=None,
        choices=["graph", "fast"],
        help="graph: the object graph, one node at a time; fast: the numpy mirror, same numbers "
        "(choices: %(choices)s; default: by data set, graph for gates and small toy sets, fast for "
        "toy:spiral and mnist)",
    )
    add_optimizer_option(train, default=None)  # by data set (see graphnet.cli.defaults)
    train.add_argument(
        "--plot",
        type=output_file,
        metavar="FILE.png",
        help="write loss and accuracy per epoch as a PNG, with the decision boundary for 2-D data "
        "or the first layer's weights for MNIST (needs matplotlib) (default: no PNG)",
    )
    train.add_argument(
        "--html",
        type=output_file,
        metavar="FILE.html",
        help="write a playground page replaying the training epoch by epoch (2-D data; one self-contained file) "
        "(default: no page)",
    )
    train.set_defaults(handler=run_train)

    bench = commands.add_parser("bench", help="measure both engines (ratios from one run)")
    bench.add_argument("--quick", action="store_true", help="a smaller run, under a minute (default: the full run)")
    bench.add_argument(
        "--json", type=output_file, metavar="FILE", help="also write the results as JSON (default: no file)"
    )
    bench.add_argument(
        "--check", action="store_true", help="exit 1 if a ratio breaks its generous limit (default: no check)"
    )
    bench.set_defaults(handler=run_bench)

    add_draw_command(commands)
    gradcheck = commands.add_parser("gradcheck", help="check a random network's gradients: numeric vs graph vs fast")
    add_network_options(gradcheck, layers=(3, 4, 2))
    gradcheck.add_argument(
        "--mode",
        choices=("full", "sample", "directional"),
        default="full",
        help="full: every parameter; sample: --per-layer of each layer; directional: --directions random "
        "directions per layer (choices: %(choices)s; default %(default)s)",
    )
    gradcheck.add_argument(
        "--order",
        type=int,
        choices=(2, 4, 6),
        default=6,
        help="central-difference order: %(choices)s (default %(default)s)",
    )
    gradcheck.add_argument(
        "--epsilon",
        type=positive_float,
        default=None,
        help="difference step ε > 0 in net-input units (default: chosen for the order)",
    )
    gradcheck.add_argument(
        "--per-layer",
        type=positive_int,
        default=10,
        metavar="N",
        help="parameters checked per layer in --mode sample (default %(default)s)",
    )
    gradcheck.add_argument(
        "--directions",
        type=positive_int,
        default=3,
        metavar="N",
        help="random directions per layer in --mode directional (default %(default)s)",
    )
    gradcheck.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        metavar="N",
        help="check on a batch of N random samples (default: one sample)",
    )
    gradcheck.add_argument(
        "--l2", type=non_negative_float, default=0.0, metavar="λ", help="L2 strength λ ≥ 0 (default 0)"
    )
    gradcheck.add_argument(
        "--rows",
        type=whole_at_least(0),
        default=20,
        metavar="N",
        help="table rows to show, worst relative error first (default %(default)s)",
    )
    gradcheck.add_argument(
        "--plant-bug",
        action="store_true",
        help="make layer 1's derivative 10%% wrong, to see a failure (default: a correct network)",
    )
    gradcheck.set_defaults(handler=run_gradcheck)
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Entry point of the ``graphnet`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    plain = ascii_wanted(True if args.ascii else None)
    out = console if console is not None else ascii_console() if plain else Console()
    handler: Command | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(check_file_options(args), out)
    except GraphnetError as error:
        if args.debug:
            raise
        message = f"graphnet {args.command}: error: {error}"
        sys.stderr.write((to_ascii(message) if plain else message) + "\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("graphnet: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
