"""The ``gradcheck`` demo: the gradient checker on a correct network, then on a planted wrong derivative."""

from __future__ import annotations

import inspect
import math

import numpy as np
from rich.console import Console
from rich.syntax import Syntax

from graphnet.graph.network import Network
from graphnet.math.activations import Activation
from graphnet.tools.gradcheck import gradient_check

#: The weight seed of ``gradcheck``, chosen once and fixed, so every run shows the same numbers.
GRADCHECK_SEED = 0


class SloppySigmoid(Activation):
    """A user-written sigmoid with a planted bug: f′ = o·(1 − o)·1.1.

    Only the scalar forms are written; the base class applies them
    element by element for the fast path, so both engines carry the
    same bug and agree with each other: only the numeric gradient can
    tell that they are wrong.
    """

    name = "sloppy_sigmoid"
    formula = "σ(net)"
    derivative_formula = "o·(1−o)·1.1 (wrong)"

    def value(self, z: float) -> float:
        """σ(z) = 1 / (1 + e^(−z)), written to avoid overflow."""
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        return math.exp(z) / (1.0 + math.exp(z))

    def derivative(self, z: float) -> float:
        """σ′(z) should be o·(1 − o); the bug multiplies it by 1.1."""
        output = self.value(z)
        return output * (1.0 - output) * 1.1


def demo_gradcheck(console: Console) -> int:
    """The gradient checker on a correct 4-5-3 network, then on one with a wrong derivative."""
    x = np.array([0.5, -1.2, 0.8, 0.1])
    t = np.array([0.9, 0.1, 0.4])
    console.rule("Gradient check: is backpropagation right?")
    console.print(
        "For every weight, ∂E/∂w three ways: a central difference of the loss (numeric), the "
        "object graph's backward pass (graph) and the vectorized mirror's (fast).",
        markup=False,
    )
    correct = Network([4, 5, 3], activation="sigmoid", init="xavier", seed=GRADCHECK_SEED)
    console.rule("A correct 4-5-3 sigmoid network")
    good = gradient_check(correct, x, t)
    console.print(good.render(max_rows=8))
    console.rule("A planted bug: a custom activation in layer 1 with a wrong derivative")
    # the class's lines are under 72 columns; narrower terminals wrap them at spaces, never mid-word
    console.print(Syntax(inspect.getsource(SloppySigmoid), "python", theme="ansi_dark", word_wrap=True))
    buggy = Network([4, 5, 3], activation=[SloppySigmoid(), "sigmoid"], init="xavier", seed=GRADCHECK_SEED)
    bad = gradient_check(buggy, x, t)
    console.print(bad.render(max_rows=8))
    console.print(
        f"The checker points at layer(s) {bad.failing_layers}: every weight into layer 1 is off by "
        "the same 10%, while layer 2, above the bug, is right.",
        markup=False,
    )
    return 0 if good.passed and not bad.passed and bad.failing_layers == [1] else 1
