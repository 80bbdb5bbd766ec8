"""The stepper's formula for each step: one expression tree per step, in symbols and with numbers.

Each function here builds the :class:`~graphnet.tools.expressions.Equation` list of one step
from the network's values *after* the step, with the symbols of the textbook; the stepper
writes it in symbols (``formula``) and with its numbers (``numbers``, to ``digits``
decimal places).  The activation's derivative and the loss's gradient are trees too
(:func:`derivative_term`, :func:`loss_gradient_term`), so ``1−o²`` is one factor of a
product and every symbol, K included, is given its number.

Symbols follow the library's sign convention: δ_j = ∂E/∂net_j, ∂E/∂w_ji = δ_j·o_i,
w ← w − η·∂E/∂w (η is the learning rate).

``names`` (every function's last, optional argument) maps node labels (``1-0``) and
connection labels (``(1-0) -> (2-0)``) to the names the formulas write: the stepper passes
:func:`graphnet.graph.names.node_names` and :func:`~graphnet.graph.names.connection_names`
of its scheme, so ``δ(2-0)`` reads ``δ(o1)`` and ``w(1-0→2-0)`` reads ``w5`` with textbook
names.  Without it (or for a label it lacks) the graph labels are written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

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
#: Label (of a node or a connection) → the name a formula writes for it.
Names = Mapping[str, str]


def name_of(label: str, names: Names | None) -> str:
    """The name ``names`` gives ``label``, else the label itself."""
    return label if names is None else names.get(label, label)


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


def input_formula(node: Node, x: float, names: Names | None = None) -> Equations:
    """An input node's output o_i = x_i: ``o(0-1) = x_1``, with textbook names ``o(i2) = x_2`` (numbered as i2)."""
    name = name_of(node.label, names)
    number = name[1:] if name != node.label and name[:1] == "i" and name[1:].isdigit() else str(node.node_index)
    return [Equation(f"o({name})", Num(x, f"x_{number}"), node.output)]


def net_input_formula(node: Node, names: Names | None = None) -> Equations:
    """The net input net_j = Σ_i w_ji·o_i (a softmax layer's first half)."""
    return [Equation(f"net({name_of(node.label, names)})", weighted_sum(node), node.net_input)]


def forward_formula(node: Node, names: Names | None = None) -> Equations:
    """The net input net_j = Σ_i w_ji·o_i, then o_j = f(net_j) (with dropout f(net_j)·m/q)."""
    assert node.activation is not None
    name = name_of(node.label, names)
    net = Num(node.net_input, "net")
    value: Expr = Call(node.activation.symbol, net)
    if node.mask is not None:
        value = Quotient(Product([value, Num(node.mask, "m")]), Num(node.keep, "q"))
    return [Equation(f"net({name})", weighted_sum(node), node.net_input), Equation(f"o({name})", value, node.output)]


def softmax_output_formula(node: Node, layer_nodes: Sequence[Node], names: Names | None = None) -> Equations:
    """A softmax output o_j = e^(net_j) / Σ_k e^(net_k)."""
    exps = [Exp(Num(n.net_input, "net_k")) for n in layer_nodes]
    denominator = Sum(exps, symbol="Σ_k e^(net_k)", values=[math.exp(n.net_input) for n in layer_nodes])
    expression = Quotient(Exp(Num(node.net_input, "net_j")), denominator)
    return [Equation(f"o({name_of(node.label, names)})", expression, node.output)]


def output_delta_formula(
    node: Node, loss: Loss, target: Sequence[float], layer_nodes: Sequence[Node], names: Names | None = None
) -> Equations:
    """δ of an output node: y − t with the loss's own activation, f′(net)·∂E/∂y, or softmax's Jacobian."""
    activation = node.activation
    assert activation is not None
    name, k = name_of(node.label, names), node.node_index
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


def hidden_delta_formula(node: Node, names: Names | None = None) -> Equations:
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
    return [Equation(f"δ({name_of(node.label, names)})", Product([*factors, downstream]), node.delta)]


def weight_name(c: Connection, names: Names | None = None) -> str:
    """``w(0-1→1-2)``, or the name ``names`` gives the connection (``w5``, ``b2→o1``)."""
    graph = f"w({c.upstream.label}→{c.downstream.label})"
    return graph if names is None else names.get(c.label, graph)


def gradient_formula(c: Connection, l2: float, names: Names | None = None, l2_bias: float = 0.0) -> Equations:
    """The gradient ∂E/∂w_ji = δ_j·o_i (+ λ·w_ji; a bias: + λ_b·b_j, λ_b = ``l2_bias``)."""
    up, down = name_of(c.upstream.label, names), name_of(c.downstream.label, names)
    expression: Expr = Product([Num(c.downstream.delta, f"δ({down})"), Num(c.upstream.output, f"o({up})")])
    strength, symbols = (l2_bias, ("λ_b", "b")) if c.is_bias else (l2, ("λ", "w"))
    if strength:
        expression = Sum([expression, Product([Num(strength, symbols[0]), Num(c.weight, symbols[1])])], symbol=None)
    w = weight_name(c, names)
    of = w if w.startswith("w") else f"({w})"  # ∂E/∂(b2→o1): the bias weight's name in one piece
    return [Equation(f"∂E/∂{of}", _unbracketed(expression), c.gradient)]


def sgd_update_formula(c: Connection, before: float, rate: float, names: Names | None = None) -> Equations:
    """The plain gradient step w ← w − η·∂E/∂w."""
    step = Product([Num(rate, "η"), Num(c.gradient, "∂E/∂w")])
    return [Equation(weight_name(c, names), Difference(Num(before, "w"), step), c.weight, arrow="←")]


class _Plain(Expr):
    """A sum written without its outer parentheses (the whole right-hand side)."""

    kind = "sum"

    def __init__(self, inner: Sum) -> None:
        self.inner = inner

    def write(self, digits: int | None) -> str:
        return self.inner.write(digits)[1:-1]


def _unbracketed(expression: Expr) -> Expr:
    return _Plain(expression) if isinstance(expression, Sum) else expression
