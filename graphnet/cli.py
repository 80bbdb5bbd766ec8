"""The ``graphnet`` command line.

Each subcommand is a function ``run_NAME(args, console) -> int`` registered in
:func:`build_parser`.  Errors graphnet raises on purpose print as one line on stderr and
exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from rich.console import Console

from graphnet import __version__
from graphnet.errors import GraphnetError

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
