"""The picture-making parts of the command line: ``draw``, ``step --html``, ``train --plot``.

:mod:`graphnet.cli.commands` registers the ``draw`` subcommand through :func:`add_draw_command`, adds
:func:`add_picture_options` (``--show``, ``--digits``, ``--names``) to ``step`` and calls
:func:`write_step_player` for the option (``train --plot``: :mod:`graphnet.cli.training`).  A bad ``--show`` or
``--digits`` is an argparse error (one line, exit 2) before any work, with the library's own message.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console

from graphnet.cli.options import add_network_options, add_sample_options, network_from_args, sample_from_args
from graphnet.demos.options import output_file, whole_at_least, whole_number
from graphnet.graph.names import SCHEMES
from graphnet.math.errors import GraphnetError
from graphnet.math.numbers import check_digits
from graphnet.views.graph_labels import ALIASES, VALUES, check_show
from graphnet.views.player import write_player
from graphnet.views.plot import require_matplotlib
from graphnet.views.svg import MAX_NODES

if TYPE_CHECKING:
    from graphnet.tools.stepper import Stepper


def show_option(text: str) -> str:
    """Argparse type of ``--show``: values among :data:`~graphnet.views.graph_labels.VALUES`, comma-separated."""
    try:
        check_show(text)
    except GraphnetError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def digits_option(text: str) -> int:
    """Argparse type of ``--digits``: a whole number 1 … 17 in ASCII digits."""
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"digits (decimal places) must be a whole number 1 … 17; got {text!r}")
    try:
        return check_digits(value)
    except GraphnetError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_picture_options(parser: argparse.ArgumentParser, *, where: str = "") -> None:
    """``--show``, ``--digits`` and ``--names``: what the picture prints, with how many digits, under which names."""
    parser.add_argument(
        "--show",
        type=show_option,
        default=None,
        metavar="VALUES",
        help=f"values printed on the picture{where}, comma-separated among {', '.join([*VALUES, *ALIASES])}; "
        "or all, none (default all)",
    )
    parser.add_argument(
        "--digits",
        type=digits_option,
        default=4,
        metavar="N",
        help="decimal places of the printed values, 1 … 17 (default 4; below 0.001: significant digits)",
    )
    parser.add_argument(
        "--names",
        choices=SCHEMES,
        default="graph",
        help=f"names on the picture{where}: graph labels (1-2, w(0-1→1-2)) or textbook names "
        "(i1, h1, o1, w1…w8, b1→h1) (default graph)",
    )


def add_draw_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``graphnet draw``."""
    draw = commands.add_parser(
        "draw",
        help="draw the network as an SVG picture",
        description="Draw the network after one forward and backward pass on a sample "
        "(--input/--target, default seeded random): neurons filled by their output, "
        "lines coloured by the sign of the weight, net, o, δ, w, ∂E/∂w, t and E printed on it; "
        "with --dropout, the nodes the sample's masks drop are crossed out.",
    )
    add_network_options(draw, layers=[3, 4, 2])
    add_sample_options(draw)
    draw.add_argument(
        "-o", "--output", type=output_file, required=True, metavar="FILE.svg", help="the SVG file to write"
    )
    draw.add_argument(
        "--max-nodes",
        type=whole_at_least(3),
        default=MAX_NODES,
        metavar="N",
        help=f"draw larger layers collapsed to their first and last few nodes (default {MAX_NODES})",
    )
    draw.add_argument(
        "--weights-only",
        action="store_true",
        help="draw the fresh network without running a sample (default: after one forward and backward pass)",
    )
    add_picture_options(draw)
    draw.set_defaults(handler=run_draw)


def run_draw(args: argparse.Namespace, console: Console) -> int:
    """Write the network as an SVG file."""
    net = network_from_args(args)
    target = Path(args.output)  # checked before any work by check_file_options
    target_values = None
    if not args.weights_only:
        x, t = sample_from_args(args, net)
        masks = net.draw_masks(1) if net.has_dropout else None  # dropout: one training sample's masks, drawn
        net.forward(x, masks=masks)
        net.backward(t)
        target_values = [float(v) for v in np.ravel(t)]
    svg = net.to_svg(
        max_nodes=args.max_nodes, target=target_values, show=args.show, digits=args.digits, names=args.names
    )
    target.write_text(svg, encoding="utf-8")
    console.print(
        f"wrote {target}: {net!r}, {len(net.connections)} connections", markup=False, highlight=False, soft_wrap=True
    )
    return 0


def write_step_player(
    stepper: Stepper,
    path: str | Path,
    console: Console,
    *,
    show: str | None = None,
    digits: int = 4,
    names: str = "graph",
) -> int:
    """``graphnet step --html FILE``: write the browser player of the whole step (the path checked already)."""
    target = write_player(stepper, path, show=show, digits=digits, names=names)
    console.print(
        f"wrote {target}: {stepper.total} steps of one training step of {stepper.network!r}; open it in a browser",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return 0


def check_plot_option(path: str | Path | None) -> None:
    """Fail before training if ``--plot`` needs matplotlib and it is missing (the path is checked at parsing)."""
    if path is None:
        return

    require_matplotlib("--plot")
