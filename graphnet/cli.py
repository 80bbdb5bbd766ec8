"""The ``graphnet`` command line.

Each subcommand is a function ``run_NAME(args, console) -> int`` registered in
:func:`build_parser`.  Errors graphnet raises on purpose print as one line on stderr and
exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from graphnet import __version__
from graphnet.errors import GraphnetError

if TYPE_CHECKING:
    from graphnet.activations import Activation
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


def run_demo(args: argparse.Namespace, console: Console) -> int:
    """Run a demo by name (default: the short tour)."""
    from graphnet.demos import run_named_demo

    return run_named_demo(args.name, console)


def run_gradcheck(args: argparse.Namespace, console: Console) -> int:
    """Check a random network's gradients: numeric vs graph vs fast; 1 if one is wrong."""
    from graphnet.gradcheck import PLANTED_BUG_FACTOR, gradient_check, random_sample

    network = _gradcheck_network(args)
    x, t = random_sample(network, n_samples=args.samples, seed=network.rng)
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
    )
    if args.plant_bug:
        console.print(
            f"Planted bug: layer 1 uses {args.activation} with its derivative multiplied by "
            f"{PLANTED_BUG_FACTOR:g}.",
            markup=False,
            highlight=False,
        )
    console.print(report.render(max_rows=args.rows))
    return 0 if report.passed else 1


def _gradcheck_network(args: argparse.Namespace) -> Network:
    """The network the shared options describe, with a wrong derivative in layer 1 if asked."""
    from graphnet.activations import get_activation
    from graphnet.errors import IncompatibleError
    from graphnet.gradcheck import PlantedBug
    from graphnet.graph.network import Network

    sizes = list(args.layers)
    activation: str | list[str | Activation] = args.activation
    if args.plant_bug:
        if len(sizes) < 3:
            raise IncompatibleError(
                f"--plant-bug plants a wrong derivative in hidden layer 1; give at least one hidden "
                f"layer (e.g. --layers 3 4 2); got --layers {' '.join(map(str, sizes))}"
            )
        activation = [PlantedBug(get_activation(args.activation)), *[args.activation] * (len(sizes) - 2)]
    return Network(
        sizes,
        activation=activation,
        output_activation=args.output_activation,
        loss=args.loss,
        bias=not args.no_bias,
        init=args.init,
        l2=args.l2,
        seed=args.seed,
    )


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

    demo.add_argument(
        "name", nargs="?", default="tour", choices=sorted(DEMOS), help="which demo (default: tour)"
    )
    demo.set_defaults(handler=run_demo)
    gradcheck = commands.add_parser(
        "gradcheck", help="check a random network's gradients: numeric vs graph vs fast"
    )
    add_network_options(gradcheck, layers=(3, 4, 2))
    gradcheck.add_argument(
        "--mode", choices=("full", "sample", "directional"), default="full", help="default: full"
    )
    gradcheck.add_argument(
        "--order", type=int, choices=(2, 4, 6), default=6, help="central-difference order (default 6)"
    )
    gradcheck.add_argument("--epsilon", type=float, default=None, help="step in net-input units")
    gradcheck.add_argument("--per-layer", type=int, default=10, help="parameters per layer (sample mode)")
    gradcheck.add_argument("--directions", type=int, default=3, help="directions per layer (directional)")
    gradcheck.add_argument("--samples", type=int, default=None, help="a batch of N random samples")
    gradcheck.add_argument("--l2", type=float, default=0.0, help="L2 strength λ (default 0)")
    gradcheck.add_argument("--rows", type=int, default=20, help="rows to show, worst first (default 20)")
    gradcheck.add_argument(
        "--plant-bug", action="store_true", help="make layer 1's derivative 10%% wrong, to see a failure"
    )
    gradcheck.set_defaults(handler=run_gradcheck)
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
