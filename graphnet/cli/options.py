"""The options the ``graphnet`` commands share, and what they build: the network and the sample."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from graphnet.common.checks import check_target
from graphnet.demos.options import finite_float, positive_int, probability, seed_number
from graphnet.graph.network import Network
from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation
from graphnet.math.errors import GraphnetError, ShapeError
from graphnet.math.init import INITIALIZERS
from graphnet.math.losses import BUILTIN_LOSSES, LOSS_ALIASES
from graphnet.math.optimizers import OPTIMIZERS

#: The names ``--activation`` and ``--output-activation`` accept (``Network``'s own).
ACTIVATION_NAMES = list(BUILTIN_ACTIVATIONS)
#: The activations ``train`` can backpropagate through: hidden (no step, no softmax) and output (no step).
TRAINABLE_HIDDEN = [
    name for name, kind in BUILTIN_ACTIVATIONS.items() if kind().differentiable and not kind().layerwise
]
TRAINABLE_OUTPUT = [name for name, kind in BUILTIN_ACTIVATIONS.items() if kind().differentiable]
#: The names ``--loss`` accepts, aliases last.
LOSS_NAMES = [*BUILTIN_LOSSES, *LOSS_ALIASES]
#: The names ``--init`` accepts.
INIT_NAMES = list(INITIALIZERS)


def add_network_options(parser: argparse.ArgumentParser, *, layers: Sequence[int]) -> None:
    """The options every command that builds a network shares."""
    parser.add_argument(
        "--layers",
        type=positive_int,
        nargs="+",
        default=list(layers),
        metavar="N",
        help=f"nodes per layer, input first (default: {' '.join(map(str, layers))})",
    )
    parser.add_argument(
        "--activation",
        default="sigmoid",
        choices=ACTIVATION_NAMES,
        metavar="NAME",
        help="activation of the hidden layers, and of the output layer unless --output-activation: "
        "%(choices)s (default %(default)s)",
    )
    parser.add_argument(
        "--output-activation",
        default=None,
        choices=ACTIVATION_NAMES,
        metavar="NAME",
        help="activation of the output layer: %(choices)s (default: the same as --activation)",
    )
    parser.add_argument(
        "--loss",
        default="squared_error",
        choices=LOSS_NAMES,
        metavar="NAME",
        help="loss E: %(choices)s (default %(default)s)",
    )
    add_build_options(parser, init="uniform", seeds="random seed")


def add_build_options(parser: argparse.ArgumentParser, *, init: str, seeds: str) -> None:
    """``--no-bias``, ``--init NAME`` (default ``init``), ``--dropout P``, ``--seed S`` (``seeds``: what it seeds)."""
    parser.add_argument("--no-bias", action="store_true", help="build without bias nodes (default: with bias)")
    parser.add_argument(
        "--init",
        default=init,
        choices=INIT_NAMES,
        metavar="NAME",
        help="how the weights start: %(choices)s (default %(default)s)",
    )
    parser.add_argument(
        "--dropout",
        type=probability,
        default=0.0,
        metavar="P",
        help="drop hidden nodes with probability P, 0 ≤ P < 1, in training (default 0: none)",
    )
    parser.add_argument(
        "--seed", type=seed_number, default=0, metavar="S", help=f"{seeds}, a whole number ≥ 0 (default 0)"
    )


def add_optimizer_option(parser: argparse.ArgumentParser, *, default: str | None = "sgd") -> None:
    """--optimizer NAME, for commands that update weights (``default`` None: chosen by the data set)."""
    shown = "by data set, e.g. sgd for gates, adam for toy sets" if default is None else default
    parser.add_argument(
        "--optimizer",
        default=default,
        choices=list(OPTIMIZERS),
        help=f"update rule, with its default hyper-parameters: %(choices)s (default {shown})",
    )


def network_from_args(
    args: argparse.Namespace, *, activation: str | Sequence[str | Activation] | None = None, l2: float = 0.0
) -> Network:
    """Build the network the shared options describe; an error names the options as typed.

    ``activation`` replaces --activation (e.g. a planted bug in layer 1); ``l2`` is λ.
    """
    layers = " ".join(map(str, args.layers))
    if len(args.layers) < 2:
        raise ShapeError(
            f"--layers needs at least an input and an output size, e.g. --layers 3 4 2; got --layers {layers}"
        )
    with options_named(args):
        return Network(
            args.layers,
            activation=args.activation if activation is None else activation,
            output_activation=args.output_activation,
            loss=args.loss,
            bias=not args.no_bias,
            init=args.init,
            l2=l2,
            dropout=args.dropout,
            seed=args.seed,
        )


@contextmanager
def options_named(args: argparse.Namespace) -> Iterator[None]:
    """A library error about the network ends with the network's options as typed, unless it names one."""
    try:
        yield
    except GraphnetError as error:
        message = as_typed(error, args)
        raise type(error)(message if "--" in message else f"{message} ({network_options(args)})") from None


def network_options(args: argparse.Namespace) -> str:
    """The network's options as typed (``--layers 3 4 2 --activation sigmoid …``), for error messages."""
    typed = [f"--layers {' '.join(map(str, args.layers))}"] if hasattr(args, "layers") else []
    typed.append(f"--activation {args.activation}")
    if args.output_activation is not None:
        typed.append(f"--output-activation {args.output_activation}")
    if args.loss is not None:
        typed.append(f"--loss {args.loss}")
    return " ".join(typed)


def as_typed(error: GraphnetError, args: argparse.Namespace) -> str:
    """The library's message with ``sizes=[3, 4, 2]`` written as the option typed, ``--layers 3 4 2``."""
    layers = getattr(args, "layers", None)
    message = str(error)
    if layers is not None:
        message = message.replace(f"sizes={list(layers)}", f"--layers {' '.join(map(str, layers))}")
    return message


def sample_from_args(args: argparse.Namespace, net: Network) -> tuple[list[float], list[float]]:
    """The --input and --target values, or a seeded random sample valid for the loss.

    Raises
    ------
    ShapeError
        If --input or --target has not one value per input or output node of --layers.
    """
    layers = " ".join(map(str, net.sizes))
    for option, values, size, what in (
        ("--input", args.input, net.sizes[0], "input"),
        ("--target", args.target, net.sizes[-1], "output"),
    ):
        if values is not None and len(values) != size:
            raise ShapeError(
                f"{option} has {len(values)} value{'s' if len(values) != 1 else ''}; --layers {layers} has {size} "
                f"{what} node{'s' if size != 1 else ''}, so expected {size}"
            )
    if args.target is not None:
        try:
            check_target(args.target, sizes=net.sizes, loss=net.loss_function)
        except GraphnetError as error:
            raise type(error)(f"{error} (option --target)") from None
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
    parser.add_argument(
        "--input",
        type=finite_float,
        nargs="+",
        metavar="X",
        help="input values, one per input node (default: seeded random in [-1, 1])",
    )
    parser.add_argument(
        "--target",
        type=finite_float,
        nargs="+",
        metavar="T",
        help="target values, one per output node (default: seeded random, valid for the loss)",
    )
