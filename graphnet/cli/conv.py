"""``--conv``: the conv network a command builds, from the grammar of :mod:`graphnet.common.convspec`.

``graphnet step --conv "1x4x4 conv2x3 maxpool2 3"`` steps a conv net on the graph (``--html``:
the player); ``graphnet train --data mnist --conv "1x28x28 conv4x5 maxpool2" --hidden``
trains one on the digits (the dense layers: ``--hidden`` and the data's outputs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from graphnet.cli.options import sample_from_args
from graphnet.common.convspec import LAYER_GRAMMAR, parse_layers
from graphnet.graph.convnet import ConvNetwork
from graphnet.math.activations import get_activation
from graphnet.math.errors import IncompatibleError
from graphnet.tools.convcheck import conv_gradient_check
from graphnet.tools.gradcheck import PlantedBug, random_sample


def add_conv_option(parser: argparse.ArgumentParser, *, dense_from_data: bool = False) -> None:
    """``--conv "LAYERS"``: build a conv network instead of a dense one."""
    tail = " (the dense layers: --hidden, then the data's outputs)" if dense_from_data else ""
    parser.add_argument(
        "--conv",
        default=None,
        metavar="LAYERS",
        help=f"a conv network, e.g. '1x28x28 conv4x5 maxpool2 10'{tail}; tokens: {LAYER_GRAMMAR} "
        "(default: none, a dense network)".replace("%", "%%"),
    )


def add_highlight_option(parser: argparse.ArgumentParser) -> None:
    """``--highlight K1[0,0,1,1]``: with ``--conv``, draw that shared weight's connections in orange."""
    parser.add_argument(
        "--highlight",
        default=None,
        metavar="WEIGHT",
        help="with --conv: a shared weight whose connections stand out, e.g. K1[0,0,1,1] (default: none)",
    )


def write_conv_drawing(args: argparse.Namespace, console: Console) -> int:
    """``graphnet draw --conv …``: the conv net after one sample's forward and backward pass, as SVG."""
    net = conv_network_from_args(args)
    if not args.weights_only:
        x, t = sample_from_args(args, net)  # type: ignore[arg-type]  # (it reads sizes and the loss only)
        net.forward(x)
        net.backward(t)
    Path(args.output).write_text(net.to_svg(highlight=args.highlight), encoding="utf-8")
    console.print(f"wrote {args.output}: {net!r}", markup=False, highlight=False)
    return 0


def run_conv_gradcheck(args: argparse.Namespace, console: Console) -> int:
    """``graphnet gradcheck --conv …``: every kernel entry, bias and dense weight, numeric vs graph vs fast; 1 if wrong.

    ``--plant-bug``: the conv and hidden layers' activation gets a derivative 10 % off
    (:class:`~graphnet.tools.gradcheck.PlantedBug`), to see the check fail.
    """
    if args.plant_bug:
        args.output_activation = args.output_activation or args.activation
        args.activation = PlantedBug(get_activation(args.activation))
    net = conv_network_from_args(args)
    x, t = random_sample(net, n_samples=args.samples, seed=args.seed)  # type: ignore[arg-type]  # (sizes, loss)
    report = conv_gradient_check(net, x, t, order=args.order, epsilon=args.epsilon)
    console.print(report.to_text(max_rows=args.rows), markup=False, highlight=False)
    return 0 if report.passed else 1


def conv_network_from_args(args: argparse.Namespace, *, dense: list[int] | None = None) -> ConvNetwork:
    """The ConvNetwork ``--conv`` (plus ``dense`` sizes, if given) and the shared options describe."""
    if getattr(args, "no_bias", False) or getattr(args, "dropout", 0.0):
        raise IncompatibleError("--conv networks always have biases and no dropout: drop --no-bias and --dropout")
    return ConvNetwork(
        [*parse_layers(args.conv), *(dense or [])],
        activation=args.activation,
        output_activation=args.output_activation,
        loss=args.loss or "squared_error",
        init=args.init,
        seed=args.seed,
    )
