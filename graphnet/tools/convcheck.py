"""The gradient check of a convolutional network: central differences beside the graph and the fast path.

Every parameter (each kernel entry K[m, c, u, v], each map's bias b[m], each dense w_ji and
b_j) is checked three ways, as :func:`graphnet.tools.gradcheck.gradient_check` does for
dense networks:

* **numeric**: a central difference of E on a fresh fast copy of the network (it knows
  nothing of δ, of pooling routes or of any derivative);
* **graph**: the graph's backward pass, the shared weight's sum Σ δ_j·o_i over its connections;
* **fast**: the fast path's backward pass (strided windows).

The verdicts use the dense checker's rule and tolerances (:mod:`graphnet.tools.verdicts`):
"ok", "suspicious", "wrong", "kink", "mismatch" (graph and fast disagree).  The step is
h = ε / max|o| of the layer's inputs (at least 1e-6), ε = u^(1/(order+1)).

Kinks: a difference quotient over a ReLU kink or a change of a max-pool window's winner
means nothing.  Each perturbed pass's pattern (which side of every kink every net input
lies on, and every max-pool winner) is compared with the unperturbed one; if it changed,
the row is recomputed with steps 10, 100, 1000 times smaller, and keeps the ``kink`` flag
only if even the smallest changes it.

>>> from graphnet import Conv, ConvNetwork, MaxPool
>>> net = ConvNetwork([(1, 4, 4), Conv(2, 3), MaxPool(2), 2], activation="tanh", seed=0)
>>> report = conv_gradient_check(net, [0.1 * i for i in range(16)], [0.2, 0.7])
>>> report.passed, len(report.rows)
(True, 26)
>>> report.rows[0].label
'K1[0,0,0,0]'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from graphnet.common.checks import check_data, check_differentiable
from graphnet.common.schedule import check_schedule
from graphnet.fast.conv import PoolLayer
from graphnet.fast.convnet import FastConvNetwork
from graphnet.graph.convnet import ConvNetwork
from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_choice
from graphnet.tools.gradcheck import kinks_of
from graphnet.tools.gradient_rows import GradientRow, Verdict
from graphnet.tools.perturbations import DEFAULT_EPSILON, STENCILS, Array
from graphnet.tools.verdicts import (
    ABSOLUTE_TOLERANCE,
    MIRROR_ABSOLUTE_TOLERANCE,
    MIRROR_RELATIVE_TOLERANCE,
    OK_RELATIVE_ERROR,
    SEVERITY,
    WRONG_RELATIVE_ERROR,
)

#: How much smaller each retry's step is when a stencil reached over a kink.
KINK_RETRIES = (10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class ConvGradientReport:
    """What :func:`conv_gradient_check` found: one row per parameter."""

    rows: tuple[GradientRow, ...]
    order: int
    epsilon: float
    loss: float
    n_samples: int

    @property
    def passed(self) -> bool:
        """True when no row is "wrong" or "mismatch"."""
        return not any(row.verdict in ("wrong", "mismatch") for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows have each verdict."""
        return {verdict: sum(row.verdict == verdict for row in self.rows) for verdict in SEVERITY}

    @property
    def max_relative_error(self) -> float:
        """The largest relative error of a row."""
        return max((row.relative_error for row in self.rows), default=0.0)

    def worst(self, n: int = 5) -> list[GradientRow]:
        """The ``n`` rows of the highest severity, then the largest relative error."""
        return sorted(self.rows, key=lambda row: (-SEVERITY[row.verdict], -row.relative_error))[:n]

    def summary(self) -> str:
        """One line: passed or failed, the counts and the largest relative error."""
        counts = ", ".join(f"{count} {verdict}" for verdict, count in self.counts.items() if count)
        state = "passed" if self.passed else "FAILED"
        worst = f"max relative error {self.max_relative_error:.2e}"
        return f"gradient check {state}: {len(self.rows)} parameters ({counts}); {worst}"

    def to_text(self, max_rows: int = 10) -> str:
        """The summary and the worst rows as plain text."""
        lines = [self.summary(), f"{'parameter':<16} {'numeric':>14} {'graph':>14} {'fast':>14}  verdict"]
        for row in self.worst(max_rows):
            lines.append(f"{row.label:<16} {row.numeric:>14.6e} {row.graph:>14.6e} {row.fast:>14.6e}  {row.verdict}")
        return "\n".join(lines)


def _labels(network: ConvNetwork) -> list[tuple[str, int, bool]]:
    labels = []
    for plan in network.plans[1:]:
        for parameter in network.layer_parameters(plan.index):
            labels.append((parameter.label, plan.index, parameter.is_bias))
    return labels


class _Numeric:
    """Central differences of E on a private fast copy; kink patterns from its layers."""

    def __init__(self, network: ConvNetwork, inputs: Array, targets: Array, reduction: str, order: int) -> None:
        self.fast = FastConvNetwork(network)
        self.inputs, self.targets, self.reduction = inputs, targets, reduction
        self.stencil = STENCILS[order]
        self.kinks = [
            kinks_of(layer.activation) if not isinstance(layer, PoolLayer) else () for layer in self.fast.layers
        ]
        self.base_loss, self.base_pattern = self.evaluate()

    def evaluate(self) -> tuple[float, list[np.ndarray[Any, Any]]]:
        fast = self.fast
        fast.forward(self.inputs)
        output = fast.layers[-1]
        per_sample = fast.loss_function.value_array(output.Y, self.targets, output.Z)  # type: ignore[union-attr]
        loss = float(per_sample.mean() if self.reduction == "mean" else per_sample.sum())
        if fast.network.l2:
            weights = [layer.W for layer in fast.learned]
            loss += 0.5 * fast.network.l2 * sum(float((W**2).sum()) for W in weights)
        pattern: list[np.ndarray[Any, Any]] = []
        for layer, kinks in zip(fast.layers, self.kinks, strict=True):
            if isinstance(layer, PoolLayer):
                if layer.kind == "max_pool":
                    pattern.append(np.asarray(layer._winner).copy())
            else:
                pattern.extend((layer.Z > kink) for kink in kinks)
        return loss, pattern

    def derivative(self, array: Array, index: tuple[int, ...], h: float) -> tuple[float, bool]:
        """Σ weight·E(θ + s·h·e)/h over the stencil, and whether some pass changed the kink pattern."""
        original = float(array[index])
        total, kinked = 0.0, False
        try:
            for multiple, weight in self.stencil:
                array[index] = original + multiple * h
                loss, pattern = self.evaluate()
                total += weight * loss
                kinked = kinked or any(
                    not np.array_equal(a, b) for a, b in zip(pattern, self.base_pattern, strict=True)
                )
        finally:
            array[index] = original
        return total / h, kinked


def conv_gradient_check(
    network: ConvNetwork | FastConvNetwork,
    x: ArrayLike,
    t: ArrayLike,
    *,
    order: int = 6,
    epsilon: float | None = None,
    reduction: str = "mean",
    relative_tolerance: float = OK_RELATIVE_ERROR,
    wrong_tolerance: float = WRONG_RELATIVE_ERROR,
    absolute_tolerance: float = ABSOLUTE_TOLERANCE,
) -> ConvGradientReport:
    """Compare every ∂E/∂p of a conv network: central differences, the graph, the fast path.

    ``x``, ``t``: one sample or a batch (rows of C·H·W values, or images (n, C, H, W)).
    The network's parameters are exactly as they were afterwards.
    """
    graph: Any = network.network if isinstance(network, FastConvNetwork) else network
    if not isinstance(graph, ConvNetwork):
        raise IncompatibleError(f"conv_gradient_check needs a ConvNetwork; got {type(network).__name__}")
    check_choice(order, (2, 4, 6), name="order")
    step_epsilon = DEFAULT_EPSILON[order] if epsilon is None else float(epsilon)
    X = np.asarray(x, dtype=float)
    X = X.reshape(1, -1) if X.ndim in (1, 3) and X.size == graph.sizes[0] else X.reshape(len(X), -1)
    inputs, targets = check_data(
        X, np.atleast_2d(np.asarray(t, dtype=float)), sizes=graph.sizes, loss=graph.loss_function
    )
    check_schedule(len(inputs), None, reduction)
    check_differentiable(graph.activations)
    graph_gradients = graph.gradients(inputs, targets, reduction=reduction)
    fast_gradients = graph.vectorized().gradients(inputs, targets, reduction=reduction)
    numeric = _Numeric(graph, inputs, targets, reduction, order)
    largest = max(max(float(np.abs(a).max()), float(np.abs(b).max())) for a, b in fast_gradients)
    rows = []
    labels = iter(_labels(graph))
    fast = numeric.fast
    fast.forward(inputs)
    below = [inputs] + [layer.Y for layer in fast.layers]
    learned_index = [k for k, layer in enumerate(fast.layers) if not isinstance(layer, PoolLayer)]
    for k, (layer, (gW, gb), (fW, fb)) in enumerate(zip(fast.learned, graph_gradients, fast_gradients, strict=True)):
        scale = max(1e-6, float(np.abs(below[learned_index[k]]).max()))
        assert layer.b is not None  # every conv network layer has a bias
        for array, g_array, f_array, bias in ((layer.W, gW, fW, False), (layer.b, gb, fb, True)):
            for index in np.ndindex(array.shape):
                h = step_epsilon / (1.0 if bias else scale)
                value, kinked = numeric.derivative(array, index, h)
                near_kink = kinked
                for shrink in KINK_RETRIES if kinked else ():
                    value, kinked = numeric.derivative(array, index, h / shrink)
                    if not kinked:
                        h /= shrink
                        break
                label, layer_index, is_bias = next(labels)
                rows.append(
                    _row(
                        label,
                        layer_index,
                        is_bias,
                        float(array[index]),
                        value,
                        float(g_array[index]),
                        float(f_array[index]),
                        h,
                        kinked,
                        near_kink,
                        largest,
                        relative_tolerance,
                        wrong_tolerance,
                        absolute_tolerance,
                    )
                )
    return ConvGradientReport(tuple(rows), order, step_epsilon, numeric.base_loss, len(inputs))


def _row(
    label: str,
    layer: int,
    is_bias: bool,
    weight: float,
    numeric: float,
    graph: float,
    fast: float,
    step: float,
    kink: bool,
    near_kink: bool,
    largest: float,
    relative_tolerance: float,
    wrong_tolerance: float,
    absolute_tolerance: float,
) -> GradientRow:
    errors = [abs(a - numeric) for a in (graph, fast)]
    sizes = [max(abs(a), abs(numeric)) for a in (graph, fast)]
    absolute = max(errors)
    relative = max((e / s if s > 0 else 0.0) for e, s in zip(errors, sizes, strict=True))
    mirror = abs(graph - fast)
    verdict: Verdict
    if mirror > MIRROR_RELATIVE_TOLERANCE * max(abs(graph), abs(fast)) + MIRROR_ABSOLUTE_TOLERANCE * max(largest, 1.0):
        verdict = "mismatch"
    elif all(e <= absolute_tolerance + relative_tolerance * s for e, s in zip(errors, sizes, strict=True)):
        verdict = "ok"
    elif kink:
        verdict = "kink"
    elif all(e <= absolute_tolerance + wrong_tolerance * s for e, s in zip(errors, sizes, strict=True)):
        verdict = "suspicious"
    else:
        verdict = "wrong"
    return GradientRow(
        label=label,
        layer=layer,
        target=None,  # a shared kernel entry has no single (j, i): the label names it
        source=None,
        is_bias=is_bias,
        weight=weight,
        numeric=numeric,
        graph=graph,
        fast=fast,
        relative_error=relative,
        absolute_error=absolute,
        mirror_error=mirror,
        step=step,
        kink=kink,
        near_kink=near_kink,
        verdict=verdict,
    )
