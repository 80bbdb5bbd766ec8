"""Step through one training step of a convolutional graph network, node by node, weight by weight.

A :class:`ConvStepper` is a :class:`~graphnet.tools.stepper.Stepper` that walks the phases
of :mod:`graphnet.graph.convphases`: input, forward (conv nodes, pooling nodes, dense
nodes), output δ, hidden δ (a max-pool node's δ reaches only the window's maximum: the
winning connection weighs 1, the others 0), then the gradients, and the update of every
parameter once.  What is new is the gradient of a shared weight: one step per connection
sharing it, then the sum, each with its numbers::

    [24] gradient (0-4) -> (1-3): share 4/4 of ∂E/∂K1[0,0,0,0] = 0.4708·0.4 = 0.1883
    [25] gradient K1[0,0,0,0]: ∂E/∂K1[0,0,0,0] = (0.4708·0.4) = 0.1883

(in symbols: ``∂E/∂K1[0,0,0,0] = Σ_positions δ_j·o_i  (4 positions; 3 of them contribute
0)``: a max-pool's losing inputs get δ = f′(net)·(0·δ_k) = 0, so one position contributes).

Build it with ``net.stepper(x, t)`` on a :class:`~graphnet.graph.convnet.ConvNetwork`.
The events, ``next``, ``back``, ``next_phase``, ``run_to`` and ``run`` are the Stepper's.

>>> from graphnet import Conv, ConvNetwork, MaxPool
>>> net = ConvNetwork([(1, 3, 3), Conv(1, 2), MaxPool(2), 1], activation="tanh", seed=0)
>>> steps = net.stepper([0.1 * i for i in range(9)], [0.5], rate=0.5)
>>> steps.total
55
>>> steps.run_to("gradient", layer=1).formula
'share 1/4 of ∂E/∂K1[0,0,0,0] = δ(1-0)·o(0-0)'
>>> for _ in range(4):
...     event = steps.next()
>>> event
[25] gradient K1[0,0,0,0]: ∂E/∂K1[0,0,0,0] = (0.4708·0.4) = 0.1883
>>> event.formula
'∂E/∂K1[0,0,0,0] = Σ_positions δ_j·o_i  (4 positions; 3 of them contribute 0)'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, cast

from graphnet.common import extensions
from graphnet.graph import convphases, phases
from graphnet.graph.conv import KernelConnection, SharedWeight
from graphnet.graph.convnet import ConvNetwork
from graphnet.math.activations import Softmax
from graphnet.math.errors import IncompatibleError
from graphnet.math.numbers import DEFAULT_DIGITS
from graphnet.math.optimizers import SGD
from graphnet.tools.expressions import (
    Difference,
    Equation,
    Num,
    Product,
    Sum,
    join_numbers,
    join_symbols,
)
from graphnet.tools.stepper import Event, Stepper, explain_update


def contribution_formula(c: KernelConnection) -> Equation:
    """One position's share of a shared weight's gradient: δ_j·o_i (share n of N)."""
    parameter = c.parameter
    number = parameter.connections.index(c) + 1
    down, up = c.downstream, c.upstream
    expression = Product([Num(down.delta, f"δ({down.label})"), Num(up.output, f"o({up.label})")])
    return Equation(f"share {number}/{len(parameter.connections)} of ∂E/∂{parameter.label}", expression, c.gradient)


def shared_gradient_formula(parameter: SharedWeight, l2: float) -> Equation:
    """∂E/∂K = Σ_positions δ_j·o_i (+ λ·K): the sum of the contributions, term by term.

    The positions whose contribution is exactly 0 (o_i = 0, e.g. the blank border of a digit,
    or δ_j = 0, e.g. a max-pool's losing input) are left out of the numbers and counted in
    the note; leaving out zeros does not change the sum.
    """
    shares = [c for c in parameter.connections if c.gradient != 0.0]
    terms = [Product([Num(c.downstream.delta), Num(c.upstream.output)]) for c in shares]
    total: Sum | Num = (
        Sum(terms, symbol="Σ_positions δ_j·o_i", values=[c.gradient for c in shares])
        if shares
        else Num(0.0, "Σ_positions δ_j·o_i")
    )
    zeros = len(parameter.connections) - len(shares)
    note = f"  ({len(parameter.connections)} positions; {zeros} of them contribute 0)" if zeros else ""
    if l2 and not parameter.is_bias:
        expression = Sum([total, Product([Num(l2, "λ"), Num(parameter.weight, "K")])], symbol=None)
        return Equation(f"∂E/∂{parameter.label}", expression, parameter.gradient, note=note)
    return Equation(f"∂E/∂{parameter.label}", total, parameter.gradient, note=note)


class ConvStepper(Stepper):
    """One training step of a :class:`ConvNetwork` on (x, target), taken one step at a time."""

    def __init__(
        self,
        network: ConvNetwork,
        x: Any,
        target: Any,
        *,
        rate: float = 0.5,
        optimizer: Any = None,
        digits: int = DEFAULT_DIGITS,
        names: str = "graph",
        masks: Any = None,
    ) -> None:
        if names != "graph" or masks is not None:
            raise IncompatibleError("a conv network's stepper has graph names and no dropout masks")
        self.conv_network = network
        self._shared = [p for p in network.parameters if isinstance(p, SharedWeight)]
        self._shared_gradients = [p.gradient for p in self._shared]
        super().__init__(cast(Any, network), x, target, rate=rate, optimizer=optimizer, digits=digits)

    def _new_steps(self) -> Iterator[tuple[str, Any]]:
        net = self.conv_network
        return itertools.chain(
            phases.input_steps(net.layers, self.x),
            phases.forward_steps(net.layers),
            phases.output_delta_steps(net.layers, net.loss_function, self.target),
            phases.hidden_delta_steps(net.layers),
            convphases.gradient_steps(net),
            convphases.update_steps(net, self.optimizer, self.rate),
        )

    def _count_steps(self) -> int:
        net = self.conv_network
        forward = sum(layer.size * (2 if isinstance(layer.activation, Softmax) else 1) for layer in net.layers[1:])
        hidden = sum(layer.size for layer in net.layers[1:-1])
        parameters = list(net.parameters)
        gradients = sum(len(p.connections) + 1 if isinstance(p, SharedWeight) else 1 for p in parameters)
        return net.sizes[0] + forward + net.sizes[-1] + hidden + gradients + len(parameters)

    def _replay(self, keep: int) -> None:
        for parameter, gradient in zip(self._shared, self._shared_gradients, strict=True):
            parameter.gradient = gradient
        super()._replay(keep)

    def _describe(self, index: int, phase: str, target: Any, before: float, state: Any = None) -> Event:
        if isinstance(target, KernelConnection) and phase == "gradient":
            equation = contribution_formula(target)
            node = target.downstream
            return Event(
                index,
                phase,
                node.layer_index,
                node.node_index,
                target.upstream.node_index,
                target.label,
                "∂E/∂K share",
                join_symbols([equation]),
                join_numbers([equation], self.digits),
                before,
                target.gradient,
            )
        if not isinstance(target, SharedWeight):
            return super()._describe(index, phase, target, before, state)
        if phase == "gradient":
            equation = shared_gradient_formula(target, self.conv_network.l2)
            formula, numbers, quantity = join_symbols([equation]), join_numbers([equation], self.digits), "∂E/∂K"
        else:
            formula, numbers = self._update_formula(target, before, state)
            quantity = "K"
        return Event(
            index,
            phase,
            target.layer_index,
            target.index[0],
            None,
            target.label,
            quantity,
            formula,
            numbers,
            before,
            target.gradient if phase == "gradient" else target.weight,
        )

    def _update_formula(self, parameter: SharedWeight, before: float, state: Any) -> tuple[str, str]:
        optimizer = self.optimizer
        rate = optimizer.current_rate if optimizer.current_rate is not None else self.rate
        if type(optimizer) is SGD:
            step = Product([Num(rate, "η"), Num(parameter.gradient, f"∂E/∂{parameter.label}")])
            equation = Equation(
                parameter.label, Difference(Num(before, parameter.label), step), parameter.weight, arrow="←"
            )
            note = f"  (once for all {len(parameter.connections)} connections)"
            return join_symbols([equation]) + note, join_numbers([equation], self.digits)
        explained = explain_update(optimizer, before, parameter.gradient, state, rate, self.digits)
        return (
            f"{parameter.label}: {optimizer.formula}  (g = ∂E/∂K, {optimizer.name})",
            f"{parameter.label}: {explained}",
        )


extensions.conv_stepper.plug(ConvStepper)
