"""The stepper's formula for each step: one expression tree per step, in symbols and with numbers.

Each function here builds the :class:`~graphnet.tools.expressions.Equation` list of one step
from the network's values *after* the step, with the symbols of the textbook; the stepper
writes it in symbols (``formula``) and with its numbers (``numbers``, to ``digits``
significant digits).  The activation's derivative and the loss's gradient are trees too
(:func:`derivative_term`, :func:`loss_gradient_term`), so ``1−o²`` is one factor of a
product and every symbol, K included, is given its number.

Symbols follow the library's sign convention: δ_j = ∂E/∂net_j, ∂E/∂w_ji = δ_j·o_i,
w ← w − η·∂E/∂w (η is the learning rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from graphnet.graph.objects import Connection, Node
from graphnet.math.activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from graphnet.math.losses import Loss, MeanSquaredError, SquaredError
from graphnet.tools.expressions import (
    Call,
    Difference,
    Equation,
    Exp,
    Expr,
    Num,
    Product,
    Quotient,
    Square,
    Sum,
)

Equations = list[Equation]


def derivative_term(activation: Activation, net: float) -> Expr:
    """f′(net) as a factor: ``o·(1−o)`` (sigmoid), ``1−o²`` (tanh), ``(1 if net>0 else 0)`` (relu).

    An activation of your own shows its ``derivative_formula`` and the value of f′(net).
    """
    if isinstance(activation, Sigmoid):
        o = activation.value(net)
        return Product([Num(o, "o"), Num(1.0 - o, "(1−o)")])
    if isinstance(activation, Tanh):
        return Difference(Num(1.0), Square(Num(activation.value(net), "o")), tight=True)
    if isinstance(activation, LeakyReLU):
        return Num(activation.derivative(net), "(1 if net>0 else α)")
    if isinstance(activation, ReLU):
        return Num(activation.derivative(net), "(1 if net>0 else 0)")
    if isinstance(activation, Identity):
        return Num(1.0, "1")
    symbol = activation.derivative_formula
    return Num(activation.derivative(net), symbol if symbol.isidentifier() else f"({symbol})")


def loss_gradient_term(loss: Loss, y: float, t: float, n_outputs: int, *, suffix: str = "") -> Expr:
    """∂E/∂y for one output: ``y − t`` (squared error), ``2·(y − t)/K`` (mean squared error)."""
    difference = Difference(Num(y, f"y{suffix}"), Num(t, f"t{suffix}"))
    if isinstance(loss, SquaredError):
        return difference
    if isinstance(loss, MeanSquaredError):
        return Quotient(Product([Num(2.0, "2"), difference]), Num(float(n_outputs), "K"))
    return Num(loss.output_gradient(y, t, n_outputs), f"g{suffix}")


def loss_note(loss: Loss, n_outputs: int) -> str:
    """What a symbol of the loss's gradient stands for (``  (K = 2 outputs)``), or nothing."""
    return f"  (K = {n_outputs} outputs)" if isinstance(loss, MeanSquaredError) else ""


def weighted_sum(node: Node) -> Sum:
    """Σ_i w_ji·o_i over the node's upstream connections, the bias last and never hidden."""
    products = [Product([Num(c.weight), Num(c.upstream.output)]) for c in node.upstream]
    values = [c.weight * c.upstream.output for c in node.upstream]
    has_bias = bool(node.upstream) and node.upstream[-1].is_bias
    return Sum(products, symbol="Σ_i w_ji·o_i", keep_last=has_bias, values=values)


def input_formula(node: Node, x: float) -> Equations:
    """An input node's output o_i = x_i."""
    return [Equation(f"o({node.label})", Num(x, f"x_{node.node_index}"), node.output)]


def net_input_formula(node: Node) -> Equations:
    """The net input net_j = Σ_i w_ji·o_i (a softmax layer's first half)."""
    return [Equation(f"net({node.label})", weighted_sum(node), node.net_input)]


def forward_formula(node: Node) -> Equations:
    """The net input net_j = Σ_i w_ji·o_i, then o_j = f(net_j) (with dropout f(net_j)·m/q)."""
    assert node.activation is not None
    name = node.label
    net = Num(node.net_input, "net")
    value: Expr = Call(node.activation.symbol, net)
    if node.mask is not None:
        value = Quotient(Product([value, Num(node.mask, "m")]), Num(node.keep, "q"))
    return [Equation(f"net({name})", weighted_sum(node), node.net_input), Equation(f"o({name})", value, node.output)]


def softmax_output_formula(node: Node, layer_nodes: Sequence[Node]) -> Equations:
    """A softmax output o_j = e^(net_j) / Σ_k e^(net_k)."""
    exps = [Exp(Num(n.net_input, "net_k")) for n in layer_nodes]
    denominator = Sum(exps, symbol="Σ_k e^(net_k)", values=[math.exp(n.net_input) for n in layer_nodes])
    expression = Quotient(Exp(Num(node.net_input, "net_j")), denominator)
    return [Equation(f"o({node.label})", expression, node.output)]


def output_delta_formula(node: Node, loss: Loss, target: Sequence[float], layer_nodes: Sequence[Node]) -> Equations:
    """δ of an output node: y − t with the loss's own activation, f′(net)·∂E/∂y, or softmax's Jacobian."""
    activation = node.activation
    assert activation is not None
    name, k = node.label, node.node_index
    y, t = node.output, target[k]
    if loss.canonical_activation == activation.name:
        return [Equation(f"δ({name})", Difference(Num(y, "y"), Num(t, "t")), node.delta)]
    n_outputs, note = len(target), loss_note(loss, len(target))
    if isinstance(activation, Softmax):
        gradients = [loss.output_gradient(n.output, t_k, n_outputs) for n, t_k in zip(layer_nodes, target, strict=True)]
        own = Equation("g_j", loss_gradient_term(loss, y, t, n_outputs, suffix="_j"), gradients[k], note=note)
        terms = [Product([Num(n.output), Num(g)]) for n, g in zip(layer_nodes, gradients, strict=True)]
        values = [n.output * g for n, g in zip(layer_nodes, gradients, strict=True)]
        weighted = Sum(terms, symbol="Σ_k o_k·g_k", values=values)
        delta = Product([Num(y, "o_j"), Difference(Num(gradients[k], "g_j"), weighted)])
        return [own, Equation(f"δ({name})", delta, node.delta)]
    gradient = loss_gradient_term(loss, y, t, n_outputs)
    return [
        Equation(f"δ({name})", Product([derivative_term(activation, node.net_input), gradient]), node.delta, note=note)
    ]


def hidden_delta_formula(node: Node) -> Equations:
    """A hidden delta δ_j = f′(net_j)·Σ_k w_kj·δ_k (with dropout ·(m/q))."""
    assert node.activation is not None
    downstream = Sum(
        [Product([Num(c.weight), Num(c.downstream.delta)]) for c in node.downstream],
        symbol="Σ_k w_kj·δ_k",
        values=[c.weight * c.downstream.delta for c in node.downstream],
    )
    factors: list[Expr] = [derivative_term(node.activation, node.net_input)]
    if node.mask is not None:  # dropout: o in f′ is f(net) before the mask
        factors.append(Quotient(Num(node.mask, "m"), Num(node.keep, "q")))
    return [Equation(f"δ({node.label})", Product([*factors, downstream]), node.delta)]


def weight_name(c: Connection) -> str:
    """``w(0-1→1-2)``."""
    return f"w({c.upstream.label}→{c.downstream.label})"


def gradient_formula(c: Connection, l2: float) -> Equations:
    """The gradient ∂E/∂w_ji = δ_j·o_i (+ λ·w_ji; never for a bias)."""
    up, down = c.upstream.label, c.downstream.label
    expression: Expr = Product([Num(c.downstream.delta, f"δ({down})"), Num(c.upstream.output, f"o({up})")])
    if l2 and not c.is_bias:
        expression = Sum([expression, Product([Num(l2, "λ"), Num(c.weight, "w")])], symbol=None)
    return [Equation(f"∂E/∂{weight_name(c)}", _unbracketed(expression), c.gradient)]


def sgd_update_formula(c: Connection, before: float, rate: float) -> Equations:
    """The plain gradient step w ← w − η·∂E/∂w."""
    step = Product([Num(rate, "η"), Num(c.gradient, "∂E/∂w")])
    return [Equation(weight_name(c), Difference(Num(before, "w"), step), c.weight, arrow="←")]


class _Plain(Expr):
    """A sum written without its outer parentheses (the whole right-hand side)."""

    kind = "sum"

    def __init__(self, inner: Sum) -> None:
        self.inner = inner

    def write(self, digits: int | None) -> str:
        return self.inner.write(digits)[1:-1]


def _unbracketed(expression: Expr) -> Expr:
    return _Plain(expression) if isinstance(expression, Sum) else expression
