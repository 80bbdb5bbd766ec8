"""Checks for the graded exercises of notebook 07: pass, or what is off, without the answer.

Each check calls the student's function on inputs of its own, compares the result with an
independent computation, and returns a :class:`Check`: ``✓`` and what was compared, or
``✗`` and a hint at what is wrong (a missing factor, a wrong sign, a constant off, the
first place the numbers differ), never the formula itself.

========================= ============================================ =========================================
check                     the student writes                           compared with
========================= ============================================ =========================================
:func:`check_derivative`  f′(z) of an activation, elementwise          central differences of f (h = 1e-5)
:func:`check_hidden_delta` δ_j of a sigmoid hidden layer from the      the δ graphnet's backward pass leaves on
                          next layer's weights and δ                   the hidden nodes
:func:`check_training_step` one SGD step of a layer of sigmoid units   graphnet's own ``train`` (one sample, one
                          with squared error: new (W, b)               epoch)
========================= ============================================ =========================================

Examples
--------
>>> import numpy as np
>>> check_derivative(lambda z: 1.0 - np.tanh(z) ** 2, "tanh").passed
True
>>> print(check_derivative(lambda z: None, "tanh"))
✗ tanh derivative: not written yet: return f′(z) for the array z
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.graph.network import Network
from graphnet.math.activations import get_activation

Array = NDArray[np.float64]
#: Step of the central differences f′(z) ≈ (f(z + h) − f(z − h)) / 2h.
STEP = 1e-5
#: Relative and absolute tolerance of every comparison.
TOLERANCE = 1e-6
#: Points z where a derivative is checked (0 among them).
POINTS = np.linspace(-3.0, 3.0, 13)


@dataclass(frozen=True)
class Check:
    """The outcome of one exercise check: passed or not, and what to say."""

    name: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.name}: {self.message}"

    def __repr__(self) -> str:  # a notebook shows the last expression of a cell by its repr
        return str(self)


def _call(name: str, function: Callable[..., Any], *args: Any, missing: str) -> tuple[Any, Check | None]:
    """The student's result, or a failed Check saying it raised or is not written yet."""
    try:
        result = function(*(np.array(a, dtype=np.float64, copy=True) for a in args))
    except Exception as error:  # any error of the student's code becomes its message
        return None, Check(name, False, f"your function raised {type(error).__name__}: {error}")
    if result is None or result is Ellipsis or result is NotImplemented:
        return None, Check(name, False, f"not written yet: return {missing}")
    return result, None


def _as_array(
    name: str, value: Any, shape: tuple[int, ...], what: str, per: str = "unit"
) -> tuple[Array | None, Check | None]:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Check(name, False, f"{what} must be numbers; got {type(value).__name__}")
    if array.shape != shape:
        return None, Check(name, False, f"{what} must have shape {shape}, one value per {per}; got {array.shape}")
    if not np.isfinite(array).all():
        return None, Check(name, False, f"{what} holds NaN or inf")
    return array, None


def _close(a: Array, b: Array) -> bool:
    return bool(np.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE))


def _constant_ratio(yours: Array, right: Array) -> float | None:
    """The ratio yours / right when it is one constant (≠ 1) wherever right is not tiny, else None."""
    mask = np.abs(right) > 1e-8
    if not mask.any():
        return None
    ratio = yours[mask] / right[mask]
    if np.allclose(ratio, ratio[0], rtol=1e-6) and not np.isclose(ratio[0], 1.0):
        return float(ratio[0])
    return None


def _differs(what: str, yours: Array, right: Array, *, label: Callable[[int], str]) -> str:
    worst = int(np.argmax(np.abs(yours - right)))
    return f"{what} differs at {label(worst)}: yours {yours.flat[worst]:.6g}, expected {right.flat[worst]:.6g}"


def check_derivative(derivative: Callable[[Array], Any], activation: str = "tanh") -> Check:
    """Check ``derivative(z)`` against central differences of the named activation f at 13 points."""
    name = f"{activation} derivative"
    f = get_activation(activation)
    result, failed = _call(name, derivative, POINTS, missing="f′(z) for the array z")
    if failed is not None:
        return failed
    yours, failed = _as_array(name, result, POINTS.shape, "f′(z)", per="z")
    if failed is not None or yours is None:
        return failed or Check(name, False, "no result")
    measured = (f.value_array(POINTS + STEP) - f.value_array(POINTS - STEP)) / (2 * STEP)
    if np.allclose(yours, measured, rtol=1e-6, atol=1e-8):
        return Check(name, True, "matches the slope measured by central differences at 13 points in [−3, 3]")
    if np.allclose(yours, -measured, rtol=1e-6, atol=1e-8):
        return Check(name, False, f"has the wrong sign everywhere: {activation} rises, so its slope is ≥ 0")
    ratio = _constant_ratio(yours, measured)
    if ratio is not None:
        return Check(name, False, f"off by a constant factor of {ratio:.4g} everywhere: check the constants")
    zero = int(np.argmin(np.abs(POINTS)))
    prefix = "right at z = 0 but not away from it; " if np.isclose(yours[zero], measured[zero], atol=1e-8) else ""
    return Check(name, False, prefix + _differs("f′(z)", yours, measured, label=lambda i: f"z = {POINTS[i]:g}"))


def _hidden_case(seed: int) -> tuple[Array, Array, Array, Array]:
    """Outputs o of the hidden layer, W of the next layer, δ of the next layer, and graphnet's hidden δ."""
    rng = np.random.default_rng(seed)
    net = Network([3, 4, 2], activation="sigmoid", init="normal", seed=seed)
    net.forward(rng.uniform(-1, 1, 3).tolist())
    net.backward(rng.uniform(0.1, 0.9, 2).tolist())
    hidden, top = net.layers[1], net.layers[2]
    W = np.asarray(net.get_params()[1][0], dtype=np.float64)
    return (
        np.array(hidden.outputs, dtype=np.float64),
        W,
        np.array(top.deltas, dtype=np.float64),
        np.array(hidden.deltas, dtype=np.float64),
    )


def check_hidden_delta(hidden_delta: Callable[[Array, Array, Array], Any]) -> Check:
    """Check ``hidden_delta(outputs, W_next, delta_next)`` against graphnet's backward pass (3 networks).

    ``outputs`` (n,) are the sigmoid hidden units' outputs, ``W_next`` (m, n) the weights of
    the next layer (row k: the weights into unit k) and ``delta_next`` (m,) its δ.
    """
    name = "hidden delta"
    for seed in (1, 2, 3):
        outputs, W, delta_next, right = _hidden_case(seed)
        result, failed = _call(name, hidden_delta, outputs, W, delta_next, missing="δ, one per hidden unit")
        if failed is not None:
            if "raised ValueError" in failed.message:  # mostly shapes: W_next (m, n) against δ (m,)
                return Check(
                    name, False, failed.message + " (row k of W_next holds the weights into next-layer unit k)"
                )
            return failed
        yours, failed = _as_array(name, result, right.shape, "δ")
        if failed is not None or yours is None:
            return failed or Check(name, False, "no result")
        if _close(yours, right):
            continue
        backpropagated = W.T @ delta_next
        if _close(yours, backpropagated):
            return Check(
                name,
                False,
                "the sum over the next layer is right, but the factor f′(net_j) of the unit itself is missing",
            )
        if _close(yours, (1.0 - outputs**2) * backpropagated):
            return Check(
                name, False, "the sum is right, but the unit's own factor is tanh's slope: these units are sigmoid"
            )
        if _close(yours, -right):
            return Check(name, False, "has the wrong sign: check the order in the factors you subtract")
        ratio = _constant_ratio(yours, right)
        if ratio is not None:
            return Check(name, False, f"off by a constant factor of {ratio:.4g} for every unit: check the constants")
        unit = int(np.argmax(np.abs(yours - right)))
        return Check(
            name,
            False,
            f"δ differs at hidden unit {unit} (network {seed}): yours {yours[unit]:.6g}, expected {right[unit]:.6g}",
        )
    return Check(name, True, "equals the δ of graphnet's backward pass in 3 networks")


def _step_case(seed: int) -> tuple[Array, Array, Array, Array, float, Array, Array]:
    """W, b, x, t, the rate, and W, b after graphnet's one SGD step (sigmoid units, squared error)."""
    rng = np.random.default_rng(seed)
    net = Network([3, 2], activation="sigmoid", loss="squared_error", init="normal", seed=seed)
    ((W, b),) = net.get_params()
    assert b is not None
    x, t, rate = rng.uniform(-1, 1, 3), rng.uniform(0.1, 0.9, 2), 0.5
    net.train(x[None, :], t[None, :], rate=rate, epochs=1, batch_size=1, track_loss=False)
    ((W_after, b_after),) = net.get_params()
    assert b_after is not None

    def f64(values: NDArray[np.floating]) -> Array:
        return np.asarray(values, dtype=np.float64)

    return f64(W), f64(b), f64(x), f64(t), rate, f64(W_after), f64(b_after)


def _loss(W: Array, b: Array, x: Array, t: Array) -> float:
    output = 1.0 / (1.0 + np.exp(-(W @ x + b)))
    return float(0.5 * ((t - output) ** 2).sum())


def check_training_step(step: Callable[[Array, Array, Array, Array, float], Any]) -> Check:
    """Check ``step(W, b, x, t, rate) -> (W_new, b_new)`` against graphnet's ``train`` on one sample (3 cases)."""
    name = "training step"
    for seed in (4, 5, 6):
        W, b, x, t, rate, W_right, b_right = _step_case(seed)
        try:
            result = step(W.copy(), b.copy(), x.copy(), t.copy(), rate)
        except Exception as error:  # the student's error becomes the message
            return Check(name, False, f"your function raised {type(error).__name__}: {error}")
        if result is None or result is Ellipsis:
            return Check(name, False, "not written yet: return the new (W, b)")
        if not isinstance(result, tuple | list) or len(result) != 2:
            return Check(name, False, "return two things: the new W and the new b")
        W_new, failed = _as_array(name, result[0], W.shape, "the new W")
        if failed is not None or W_new is None:
            return failed or Check(name, False, "no result")
        b_new, failed = _as_array(name, result[1], b.shape, "the new b")
        if failed is not None or b_new is None:
            return failed or Check(name, False, "no result")
        if _close(W_new, W_right) and _close(b_new, b_right):
            continue
        if _close(W_new, W) and _close(b_new, b):
            return Check(name, False, "W and b did not change: one step moves every weight by −η·∂E/∂w")
        if _close(W_new, W_right):
            return Check(name, False, "W is right but b is not: a bias is a weight on a constant input 1")
        yours, right = np.append(W_new - W, b_new - b), np.append(W_right - W, b_right - b)
        if _loss(W_new, b_new, x, t) > _loss(W, b, x, t) and _close(yours, -right):
            return Check(name, False, "the step went uphill: the loss grew; step against the gradient")
        ratio = _constant_ratio(yours, right)
        if ratio is not None:
            return Check(name, False, f"every change is {ratio:.4g} times what it should be: check η and the constants")
        output = 1.0 / (1.0 + np.exp(-(W @ x + b)))
        plain = -rate * (output - t)  # the step of δ = ∂E/∂o alone
        if _close(yours, np.append(np.outer(plain, x), plain)):
            return Check(name, False, "δ of the output units lacks the factor f′(net) of their sigmoid")
        label = _unit_label(W.shape)
        return Check(name, False, _differs("the change of the parameters", yours, right, label=label))
    return Check(name, True, "equals graphnet's own SGD step (train on one sample) in 3 cases")


def _unit_label(shape: tuple[int, ...]) -> Callable[[int], str]:
    rows, columns = shape

    def label(index: int) -> str:
        if index < rows * columns:
            return f"W[{index // columns}, {index % columns}]"
        return f"b[{index - rows * columns}]"

    return label
