"""The demos by name: what ``graphnet demo NAME`` runs, and the options each one takes."""

from __future__ import annotations

import argparse

from rich.console import Console

from graphnet.demos.cg import add_cg_options, demo_cg
from graphnet.demos.conv import add_conv_options, demo_conv
from graphnet.demos.forward import demo_forward
from graphnet.demos.gates import add_gates_options, demo_gates
from graphnet.demos.gradcheck import demo_gradcheck
from graphnet.demos.mnist import add_mnist_options, demo_mnist
from graphnet.demos.mnist17 import add_mnist17_options, demo_mnist17
from graphnet.demos.optimizers import add_optimizers_options, demo_optimizers
from graphnet.demos.options import AddOptions, Demo
from graphnet.demos.speed import add_speed_options, demo_speed
from graphnet.demos.tour import demo_tour
from graphnet.demos.xor import demo_xor

#: Demo name -> the demo that ``graphnet demo NAME`` runs.
DEMOS: dict[str, Demo] = {
    "tour": demo_tour,
    "gates": demo_gates,
    "forward": demo_forward,
    "xor": demo_xor,
    "gradcheck": demo_gradcheck,
    "mnist17": demo_mnist17,
    "mnist": demo_mnist,
    "cg": demo_cg,
    "optimizers": demo_optimizers,
    "speed": demo_speed,
    "conv": demo_conv,
}

#: Demo name -> the function that adds its options to a parser (demos without options are absent).
DEMO_OPTIONS: dict[str, AddOptions] = {
    "gates": add_gates_options,
    "mnist17": add_mnist17_options,
    "mnist": add_mnist_options,
    "cg": add_cg_options,
    "optimizers": add_optimizers_options,
    "speed": add_speed_options,
    "conv": add_conv_options,
}


def add_demo_options(name: str, parser: argparse.ArgumentParser) -> None:
    """Add the options of demo ``name`` (if it has any) to ``parser``."""
    if name in DEMO_OPTIONS:
        DEMO_OPTIONS[name](parser)


def run_named_demo(name: str, console: Console, **options: object) -> int:
    """Run the demo called ``name`` with the given options."""
    return DEMOS[name](console, **options)
