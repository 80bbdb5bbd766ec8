"""``--conv``: the conv network a command builds, from the grammar of :mod:`graphnet.common.convspec`.

``graphnet step --conv "1x4x4 conv2x3 maxpool2 3"`` steps a conv net on the graph (``--html``:
the player); ``graphnet train --data mnist --conv "1x28x28 conv4x5 maxpool2" --hidden``
trains one on the digits (the dense layers: ``--hidden`` and the data's outputs).
"""

from __future__ import annotations

import argparse

from graphnet.common.convspec import LAYER_GRAMMAR, parse_layers
from graphnet.graph.convnet import ConvNetwork
from graphnet.math.errors import IncompatibleError


def add_conv_option(parser: argparse.ArgumentParser, *, dense_from_data: bool = False) -> None:
    """``--conv "LAYERS"``: build a conv network instead of a dense one."""
    tail = " (the dense layers: --hidden, then the data's outputs)" if dense_from_data else ""
    parser.add_argument(
        "--conv",
        default=None,
        metavar="LAYERS",
        help=f"a conv network, e.g. '1x28x28 conv4x5 maxpool2 10'{tail}; tokens: {LAYER_GRAMMAR}".replace("%", "%%"),
    )


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
