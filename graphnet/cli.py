"""The ``graphnet`` command line.

Each subcommand is a function ``run_NAME(args, console) -> int`` registered in
:func:`build_parser`.  Errors graphnet raises on purpose print as one line on stderr and
exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import numpy as np
from rich.console import Console

from graphnet import __version__
from graphnet.errors import GraphnetError, IncompatibleError
from graphnet.graph.network import Network

Command = Callable[[argparse.Namespace, Console], int]
#: Exit status for a usage or input error (argparse uses 2 too).
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like graphnet's own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def add_network_options(parser: argparse.ArgumentParser, *, layers: Sequence[int]) -> None:
    """The options every command that builds a network shares."""
    parser.add_argument(
        "--layers",
        type=int,
        nargs="+",
        default=list(layers),
        metavar="N",
        help=f"nodes per layer, input first (default: {' '.join(map(str, layers))})",
    )
    parser.add_argument("--activation", default="sigmoid", help="hidden (and output) activation")
    parser.add_argument("--output-activation", default=None, help="output layer activation")
    parser.add_argument("--loss", default="squared_error", help="loss function")
    parser.add_argument("--no-bias", action="store_true", help="build without bias nodes")
    parser.add_argument("--init", default="uniform", help="uniform, normal, xavier or he")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def network_from_args(args: argparse.Namespace) -> Network:
    """Build the network the shared options describe."""
    return Network(
        args.layers,
        activation=args.activation,
        output_activation=args.output_activation,
        loss=args.loss,
        bias=not args.no_bias,
        init=args.init,
        seed=args.seed,
    )


def sample_from_args(args: argparse.Namespace, net: Network) -> tuple[list[float], list[float]]:
    """The --input and --target values, or a seeded random sample valid for the loss."""
    rng = np.random.default_rng(args.seed)
    x = args.input if args.input is not None else np.round(rng.uniform(-1, 1, net.sizes[0]), 2).tolist()
    if args.target is not None:
        return x, args.target
    n_outputs = net.sizes[-1]
    if net.loss_function.canonical_activation == "softmax":
        target = np.eye(n_outputs)[int(rng.integers(n_outputs))].tolist()
    else:
        target = np.round(rng.uniform(0.1, 0.9, n_outputs), 2).tolist()
    return x, target


def add_sample_options(parser: argparse.ArgumentParser) -> None:
    """--input and --target for commands that work on one sample."""
    parser.add_argument("--input", type=float, nargs="+", metavar="X", help="input values (default: seeded random)")
    parser.add_argument("--target", type=float, nargs="+", metavar="T", help="target values (default: seeded random)")


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
    from graphnet.stepview import step_session

    net = network_from_args(args)
    x, target = sample_from_args(args, net)
    stepper = net.stepper(x, target, rate=args.rate)
    return step_session(stepper, console, interactive=sys.stdin.isatty() and console.is_terminal)


def run_train(args: argparse.Namespace, console: Console) -> int:
    """Train a network on a named data set or a CSV file and report loss and accuracy."""
    from graphnet.cli_data import load_training_data

    data = load_training_data(args)
    sizes = [data.inputs.shape[1], *args.hidden, data.targets.shape[1]]
    net = Network(
        sizes,
        activation=args.activation,
        output_activation=args.output_activation or data.output_activation,
        loss=args.loss or data.loss,
        bias=not args.no_bias,
        init=args.init,
        seed=args.seed,
    )
    batch_size = _batch_size(args.batch_size)
    console.print(
        f"training {net!r} on {data.name}: {len(data.inputs)} samples, engine {args.engine}",
        markup=False,
        highlight=False,
    )
    history = net.train(
        data.inputs,
        data.targets,
        rate=args.rate,
        epochs=args.epochs,
        batch_size=batch_size,
        reduction=args.reduction,
        shuffle=args.shuffle,
        seed=args.seed,
        engine=args.engine,
    )
    console.print(history)
    console.print(f"training accuracy: {net.accuracy(data.inputs, data.labels):.2%}", highlight=False)
    if data.test_inputs is not None and data.test_labels is not None:
        console.print(f"test accuracy: {net.accuracy(data.test_inputs, data.test_labels):.2%}", highlight=False)
    return 0


def _batch_size(text: str) -> int | None:
    if text == "full":
        return None
    if not text.isdigit() or int(text) < 1:
        raise IncompatibleError(f"--batch-size must be a positive whole number or 'full'; got {text!r}")
    return int(text)


def run_demo(args: argparse.Namespace, console: Console) -> int:
    """Run a demo by name (default: the short tour), parsing the options that demo takes."""
    from graphnet.demos import DEMOS, add_demo_options, run_named_demo

    summary = (DEMOS[args.name].__doc__ or "").strip().splitlines()[0]
    parser = _Parser(prog=f"graphnet demo {args.name}", description=summary)
    add_demo_options(args.name, parser)
    options = parser.parse_args(args.options)
    return run_named_demo(args.name, console, **vars(options))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = _Parser(
        prog="graphnet",
        description="Neural networks as graphs of objects: build, step through, check and train them.",
    )
    parser.add_argument("--version", action="version", version=f"graphnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = commands.add_parser("demo", help="run a demo (default: the short tour)")
    from graphnet.demos import DEMOS

    demo.add_argument("name", nargs="?", default="tour", choices=sorted(DEMOS), help="which demo (default: tour)")
    demo.add_argument("options", nargs=argparse.REMAINDER, help="the demo's own options (graphnet demo NAME --help)")
    demo.set_defaults(handler=run_demo)

    dump = commands.add_parser("dump", help="print the plain-text dump of a network after one sample")
    add_network_options(dump, layers=[3, 4, 2])
    add_sample_options(dump)
    dump.add_argument("--forward-only", action="store_true", help="skip the backward pass (deltas stay 0)")
    dump.set_defaults(handler=run_dump)

    step = commands.add_parser(
        "step",
        help="step through forward, deltas, gradients and updates node by node",
        description="Keys: Enter/n next, b back, p next phase, r run to end, q quit. "
        "Without a terminal, the same letters are read one per line from stdin.",
    )
    add_network_options(step, layers=[3, 4, 2])
    add_sample_options(step)
    step.add_argument("--rate", type=float, default=0.5, help="learning rate η of the update phase")
    step.set_defaults(handler=run_step)

    train = commands.add_parser("train", help="train on a built-in data set or your CSV file")
    from graphnet.cli_data import add_data_options

    add_data_options(train)
    train.add_argument(
        "--hidden",
        type=int,
        nargs="*",
        default=[4],
        metavar="N",
        help="hidden layer sizes (default: 4); inputs and outputs come from the data",
    )
    train.add_argument("--activation", default="sigmoid", help="hidden activation")
    train.add_argument("--output-activation", default=None, help="output activation (default: by data)")
    train.add_argument("--loss", default=None, help="loss (default: squared_error, cross-entropy for digits)")
    train.add_argument("--no-bias", action="store_true")
    train.add_argument("--init", default="xavier")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--rate", type=float, default=0.5)
    train.add_argument("--epochs", type=int, default=100)
    train.add_argument("--batch-size", default="1", help="1 (per-sample SGD), k, or 'full'")
    train.add_argument("--reduction", default="mean", choices=["mean", "sum"])
    train.add_argument("--shuffle", action="store_true")
    train.add_argument("--engine", default="graph", choices=["graph", "fast"])
    train.set_defaults(handler=run_train)
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Entry point of the ``graphnet`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = console if console is not None else Console()
    handler: Command | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args, out)
    except GraphnetError as error:
        if args.debug:
            raise
        sys.stderr.write(f"graphnet {args.command}: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("graphnet: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
