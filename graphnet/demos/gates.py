"""The ``gates`` demo: perceptrons with hand-set weights (AND, OR, NAND, XOR from three), activations drawn."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from graphnet.datasets import logic_gate
from graphnet.demos.options import add_plot_option, save_png_or_explain
from graphnet.graph.network import Network
from graphnet.math.activations import get_activation
from graphnet.views.charts import curves_png, text_plot

#: The classic perceptron gates: (w1, w2) and the threshold θ; y = 1 if w1·x1 + w2·x2 ≥ θ.
GATE_PERCEPTRONS: dict[str, tuple[tuple[float, float], float]] = {
    "and": ((0.5, 0.5), 0.7),
    "or": ((0.5, 0.5), 0.2),
    "nand": ((-0.5, -0.5), -0.7),
}
#: The activations ``gates`` draws, with the range of net inputs shown.
DRAWN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "step")
DRAWN_RANGE = (-4.0, 4.0)


def gate_perceptron(name: str) -> Network:
    """One step unit computing a gate of :data:`GATE_PERCEPTRONS`; its bias is −θ.

    Examples
    --------
    >>> gate_perceptron("nand").predict([[0, 0], [1, 1]]).ravel().tolist()
    [1.0, 0.0]
    """
    (w1, w2), threshold = GATE_PERCEPTRONS[name]
    net = Network([2, 1], activation="step")
    net.set_params([(np.array([[w1, w2]]), np.array([-threshold]))])
    return net


def xor_perceptrons() -> Network:
    """XOR from three perceptrons: OR and NAND in the hidden layer, AND of them on top.

    Examples
    --------
    >>> xor_perceptrons().predict([[0, 0], [0, 1], [1, 0], [1, 1]]).ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    hidden = [GATE_PERCEPTRONS["or"], GATE_PERCEPTRONS["nand"]]
    (and_w1, and_w2), and_threshold = GATE_PERCEPTRONS["and"]
    net = Network([2, 2, 1], activation="step")
    net.set_params(
        [
            (np.array([weights for weights, _ in hidden]), -np.array([threshold for _, threshold in hidden])),
            (np.array([[and_w1, and_w2]]), np.array([-and_threshold])),
        ]
    )
    return net


def _activation_panels() -> list[Panel]:
    z = np.linspace(*DRAWN_RANGE, 321)
    panels = []
    for name in DRAWN_ACTIVATIONS:
        activation = get_activation(name)
        panels.append(
            Panel(
                text_plot(z, activation.value_array(z), width=25, height=7),
                title=repr(activation) if name == "leaky_relu" else name,
                subtitle=activation.formula,
                expand=False,
            )
        )
    return panels


def save_activations_png(path: str | os.PathLike[str]) -> Path:
    """Each activation of :data:`DRAWN_ACTIVATIONS` and its derivative as a PNG (needs matplotlib)."""
    z = np.linspace(*DRAWN_RANGE, 801)
    panels = []
    for name in DRAWN_ACTIVATIONS:
        activation = get_activation(name)
        curves = [(f"f = {activation.formula}", z, activation.value_array(z))]
        if activation.differentiable:
            curves.append((f"f′ = {activation.derivative_formula}", z, activation.derivative_array(z)))
        panels.append((repr(activation) if name == "leaky_relu" else name, curves))
    return curves_png(panels, path, xlabel="net input", ylabel="f(net)")


def demo_gates(console: Console, *, plot: Path | None = None) -> int:
    """Perceptrons with given weights: AND, OR, NAND, XOR from three of them; activations drawn."""
    console.rule("Perceptrons: one step unit, y = step(w1·x1 + w2·x2 + b) with b = −θ")
    correct = True
    for name, ((w1, w2), threshold) in GATE_PERCEPTRONS.items():
        net = gate_perceptron(name)
        inputs, targets = logic_gate(name)
        title = f"{name.upper()}: w = ({w1:g}, {w2:g}), θ = {threshold:g}"
        table = Table("x1", "x2", "net", "y", "truth", title=title, title_justify="left", min_width=len(title))
        for x, t in zip(inputs, targets, strict=True):
            y = net.forward(x)[0]
            correct &= y == t[0]
            table.add_row(
                f"{x[0]:g}", f"{x[1]:g}", f"{net.output_layer.nodes[0].net_input:+.2f}", f"{y:g}", f"{t[0]:g}"
            )
        console.print(table)
    xor_net = xor_perceptrons()
    inputs, targets = logic_gate("xor")
    table = Table(
        "x1", "x2", "s1 = OR", "s2 = NAND", "y = AND(s1, s2)", "truth", title="XOR: two layers of perceptrons"
    )
    for x, t in zip(inputs, targets, strict=True):
        y = xor_net.forward(x)[0]
        correct &= y == t[0]
        s1, s2 = xor_net.layers[1].outputs
        table.add_row(f"{x[0]:g}", f"{x[1]:g}", f"{s1:g}", f"{s2:g}", f"{y:g}", f"{t[0]:g}")
    console.print(table)
    console.print(
        "One unit draws one straight line through the plane; XOR needs two (OR and NAND), "
        "combined by a third.  The step has no useful derivative, so these weights are set "
        "by hand: to learn them, use a smooth activation.",
        highlight=False,
    )
    console.rule(f"Activation functions f(z), z from {DRAWN_RANGE[0]:g} to {DRAWN_RANGE[1]:g}")
    if plot is None or not save_png_or_explain(console, lambda: save_activations_png(plot)):
        console.print(Columns(_activation_panels()))
    return 0 if correct else 1


def add_gates_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphnet demo gates``."""
    add_plot_option(parser, "the activation functions and their derivatives")
