"""The options the ``graphnet`` commands share, and what they build: the network and the sample."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from graphnet.graph.network import Network
from graphnet.math.optimizers import OPTIMIZERS


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
    parser.add_argument(
        "--dropout", type=float, default=0.0, metavar="P", help="drop hidden nodes with probability P in training"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def add_optimizer_option(parser: argparse.ArgumentParser) -> None:
    """--optimizer NAME, for commands that update weights."""
    parser.add_argument(
        "--optimizer",
        default="sgd",
        choices=list(OPTIMIZERS),
        help="update rule, with its default hyper-parameters (default sgd)",
    )


def network_from_args(args: argparse.Namespace) -> Network:
    """Build the network the shared options describe."""
    return Network(
        args.layers,
        activation=args.activation,
        output_activation=args.output_activation,
        loss=args.loss,
        bias=not args.no_bias,
        init=args.init,
        dropout=args.dropout,
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
