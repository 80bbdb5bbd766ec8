"""The gradient checker: central differences beside the graph's and the fast path's gradients.

"How do I know my backprop is right?"  Compute every ∂E/∂w three ways and compare:

* **numeric**: a central difference of the loss E, evaluated on the fast path's arrays,
  which knows nothing of δ or of any activation's derivative;
* **graph**: the object graph's own backward pass, :meth:`Network.gradients`;
* **fast**: the vectorized mirror's backward pass, :meth:`FastNetwork.gradients`.

:func:`gradient_check` returns a :class:`GradientReport`: one row per parameter (named by
its connection, e.g. ``(1-3) -> (2-0)``, biases as ``(1-4) -> (2-0)`` from the bias node),
with the three values, the relative and the absolute error, and a verdict.  It renders
itself as a rich table (worst rows first) and as plain text (:meth:`GradientReport.to_text`).

Modes, for networks of any size:

* ``"full"``: every parameter;
* ``"sample"``: a seeded random sample of ``per_layer`` parameters in each layer;
* ``"directional"``: ``directions`` random directions v per layer, comparing g·v with the
  difference quotient of E along v; its cost does not grow with the number of parameters.

The work is shared out: this module checks the options and puts the parts together (and
holds :class:`PlantedBug`, :func:`random_sample` and :func:`kinks_of`);
:mod:`graphnet.tools.perturbations` computes the central differences,
:mod:`graphnet.tools.verdicts` grades them into the report, and :mod:`graphnet.views.report`
draws it.  The constants and classes that used to live here (the stencils, the tolerances,
:class:`GradientRow`, :class:`LayerSummary`) are importable from here too; the timings of
MNIST-sized checks are :mod:`graphnet.tools.gradcheck_timing`'s.

What this module leaves out: it checks first derivatives of the loss with respect to the
parameters, not gradients with respect to the inputs, and it does not train or change the
network (every parameter is exactly as it was afterwards).

Examples
--------
>>> from graphnet import Network
>>> net = Network([3, 4, 2], activation="tanh", seed=0)
>>> report = gradient_check(net, [0.5, -1.0, 2.0], [0.2, 0.7])
>>> report.passed, len(report.rows), report.max_relative_error < 1e-7
(True, 26, True)
>>> report.rows[0].label
'(0-0) -> (1-0)'
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.checks import check_data, check_differentiable, check_masks
from graphnet.common.schedule import check_schedule
from graphnet.fast.network import FastNetwork
from graphnet.graph.network import Network
from graphnet.math.activations import Activation, LeakyReLU, ReLU
from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_choice, check_count, check_positive_number
from graphnet.tools.gradient_rows import GradientRow, LayerSummary, Verdict
from graphnet.tools.perturbations import (
    CHUNK_ELEMENTS,
    DEFAULT_EPSILON,
    KINK_RETRIES,
    KINK_SHRINK,
    MIN_SOURCE_SCALE,
    STENCILS,
    UNIT_ROUNDOFF,
    Array,
    Perturbations,
)
from graphnet.tools.verdicts import (
    ABSOLUTE_TOLERANCE,
    DEFAULT_MAX_ROWS,
    MIRROR_ABSOLUTE_TOLERANCE,
    MIRROR_RELATIVE_TOLERANCE,
    OK_RELATIVE_ERROR,
    SEVERITY,
    VERDICT_STYLES,
    VERDICTS,
    WRONG_RELATIVE_ERROR,
    GradientReport,
)

if TYPE_CHECKING:
    from graphnet.math.dropout import MasksLike

__all__ = [
    "ABSOLUTE_TOLERANCE",
    "BUILTIN_KINKS",
    "CHUNK_ELEMENTS",
    "DEFAULT_EPSILON",
    "DEFAULT_MAX_ROWS",
    "KINK_RETRIES",
    "KINK_SHRINK",
    "MIN_SOURCE_SCALE",
    "MIRROR_ABSOLUTE_TOLERANCE",
    "MIRROR_RELATIVE_TOLERANCE",
    "OK_RELATIVE_ERROR",
    "PLANTED_BUG_FACTOR",
    "SEVERITY",
    "STENCILS",
    "UNIT_ROUNDOFF",
    "VERDICTS",
    "VERDICT_STYLES",
    "WRONG_RELATIVE_ERROR",
    "Array",
    "GradientReport",
    "GradientRow",
    "LayerSummary",
    "Mode",
    "PlantedBug",
    "Verdict",
    "gradient_check",
    "kinks_of",
    "random_sample",
]

Mode = Literal["full", "sample", "directional"]


#: Where the built-in kinked activations have their kink (net input values).
BUILTIN_KINKS: dict[type[Activation], tuple[float, ...]] = {ReLU: (0.0,), LeakyReLU: (0.0,)}
#: What :class:`PlantedBug` multiplies the true derivative by, unless told otherwise.
PLANTED_BUG_FACTOR = 1.1


# ---------------------------------------------------------------------------------- the check
def gradient_check(
    network: Network | FastNetwork,
    x: ArrayLike,
    t: ArrayLike,
    *,
    mode: Mode = "full",
    epsilon: float | None = None,
    order: int = 6,
    per_layer: int = 10,
    directions: int = 3,
    seed: int | np.random.Generator | None = 0,
    reduction: str = "mean",
    relative_tolerance: float = OK_RELATIVE_ERROR,
    wrong_tolerance: float = WRONG_RELATIVE_ERROR,
    absolute_tolerance: float = ABSOLUTE_TOLERANCE,
    masks: MasksLike | None = None,
) -> GradientReport:
    """Compare ∂E/∂w from central differences with the graph's and the fast path's backprop.

    Parameters
    ----------
    network : Network
        The graph network to check (a FastNetwork stands for the network it mirrors).
        Its parameters are exactly the same afterwards.
    x : array (n_inputs,) or (n_samples, n_inputs)
        One sample, or a batch.
    t : array (n_outputs,) or (n_samples, n_outputs)
        The target(s), in the loss's domain.
    mode : {"full", "sample", "directional"}, default "full"
        Every parameter; ``per_layer`` random parameters of each layer; or ``directions``
        random directions per layer.
    epsilon : float, optional
        The step ε, in units of the net input it moves; default u^(1/(order+1)): 4.8e-6
        for order 2, 6.4e-4 for order 4, 5.3e-3 for order 6 (see Notes).
    order : {6, 4, 2}, default 6
        Accuracy order of the central difference.  2: the textbook
        (E(w+h) − E(w−h)) / 2h; 4: (E(w−2h) − 8·E(w−h) + 8·E(w+h) − E(w+2h)) / 12h, the
        Richardson extrapolation of the textbook quotient; 6: the next one, on ±h, ±2h, ±3h.
    per_layer : int, default 10
        Parameters drawn from each layer in ``"sample"`` mode (all, if the layer has fewer).
    directions : int, default 3
        Directions per layer in ``"directional"`` mode.
    seed : int or numpy.random.Generator, default 0
        Draws the sample of parameters or the directions.
    reduction : {"mean", "sum"}, default "mean"
        How the per-sample losses of a batch combine into E (as in training).
    relative_tolerance, wrong_tolerance, absolute_tolerance : float
        The thresholds of the verdict rule (defaults 1e-7, 1e-4, 1e-9; see Notes).
    masks : list, optional
        Fixed dropout masks (row r for sample r, e.g. ``net.draw_masks(n)``): check the
        gradients training computes under them, o_j = f(net_j)·m_j/q.  Default: none, the
        network in evaluation mode.

    Returns
    -------
    GradientReport
        One row per checked parameter (or direction), the verdicts and summaries;
        ``report.passed`` says whether no row is "wrong" or "mismatch".

    Raises
    ------
    ShapeError, IncompatibleError, NonFiniteError
        For inputs or targets that do not fit the network, or bad options.
    NotDifferentiableError
        If a layer uses the step activation.

    Notes
    -----
    **The loss.**  E = reduction over the samples of E(y, t), plus the network's L2 term
    (λ/2)·Σ w² + (λ_b/2)·Σ b² (both divided by the n samples with ``l2_per_batch``): the same
    E that training descends, so λ·w (and λ_b·b) is part of every gradient.

    **The numeric gradient** is computed on the fast path's arrays, never by backprop.
    A weight w_ji of layer l acts only through unit j's net input, net_j = Σ_i w_ji·o_i + b_j:
    moving it by h moves net_j by h·o_i and nothing else in layer l.  So all perturbations
    of layer l are handled as one batch of net inputs of that unit, and only the layers
    above are recomputed, starting with the rank-one change W_{l+1}[:, j]·Δo_j of the next
    layer's net inputs.  The network's parameters are never written.  The L2 term is a
    quadratic, for which a central difference is exact; its change (λ/2)·Δw·(2w + Δw) is
    computed without cancellation.  In directional mode the whole network is evaluated at
    θ + s·h·v for the stencil's points s (``order`` forward passes per direction), and the
    parameters are put back as the very same arrays afterwards.

    **The step.**  A central difference trades truncation error against round-off.  The
    textbook quotient (order 2) has truncation error h²·|E‴|/6 and round-off about u·|E|/h,
    where u = 2⁻⁵³ ≈ 1.1e-16 is the float64 unit round-off (each E carries a relative error
    of about u, and the difference is divided by h).  Their sum is least near
    h ≈ u^(1/3) ≈ 5e-6, in units where E and its derivatives are of order 1, and leaves an
    error of about u^(2/3) ≈ 2e-11: too coarse to certify a gradient of 1e-6 to a relative
    error of 1e-7 (measured: up to 1e-5).  A stencil of order p cancels the Taylor terms
    below h^p, so its best step is ε ≈ u^(1/(p+1)) and its error about u^(p/(p+1)):

    ===== ============== ================== =========
    order points         default ε          error
    ===== ============== ================== =========
    2     ±h             u^(1/3) ≈ 4.8e-6   ≈ 2e-11
    4     ±h, ±2h        u^(1/5) ≈ 6.4e-4   ≈ 2e-13
    6     ±h, ±2h, ±3h   u^(1/7) ≈ 5.3e-3   ≈ 2e-14
    ===== ============== ================== =========

    The default is order 6: three times the evaluations of the textbook quotient and a
    thousand times finer.  The step is sized where w_ji acts, on net_j: h = ε / |o_i|
    (the largest |o_i| over the samples, at least 1e-6; a bias has o = 1), so net_j moves by
    ε whatever the size of o_i.  Activations have their features at net inputs of order 1
    whatever the size of the weight, so ε is not scaled by |w|.

    **Kinks.**  Where the loss along a row's perturbation is not smooth (a ReLU unit's net
    input at 0, a hinge loss at y·t = 1, |y − t| at y = t), the difference quotient mixes two
    slopes.  The checker finds such rows numerically, declared or not (see
    :mod:`graphnet.tools.kinks`): from the same points it forms the left and right one-sided
    quotients of every sample's loss, and a sample whose two disagree beyond their
    truncation and round-off is *rough*.  A row with a rough sample (or whose stencil
    reaches over a declared kink, a custom activation's ``kinks`` attribute) is recomputed
    with steps 10, 100 and 1000 times smaller (``near_kink``); these are still accurate to
    about 1e-11.  If a sample is still rough at the smallest step (a net input within about
    1e-5 of a kink, or on it), the row is a **kink** row: graded by a bracket, not a number.
    The smooth samples give their part numerically; each rough sample's own analytic part
    (one backward pass of that sample) must lie between its two one-sided derivatives.  A
    kink row within its bracket says "kink" (it passes, and is reported apart: ``kink_rows``,
    with the sample and the net input or loss input near the kink, ``row.kink_at``, and the
    samples graded by their brackets, ``row.kink_samples``); one outside it is "wrong".  The
    summary's errors are over the rows that count.  The round-off allowed beside the
    truncation is that of the net inputs and outputs computed again for every point, not
    only of the loss (see :mod:`graphnet.tools.kinks`).

    **The verdict** of a row, with a = the graph's and then the fast path's gradient and
    n = the numeric one, taking the worse of the two:

    * "ok" when |a − n| ≤ atol + 1e-7·max(|a|, |n|);
    * "suspicious" when |a − n| ≤ atol + 1e-4·max(|a|, |n|) (but not ok);
    * "wrong" otherwise;
    * "kink" instead of "ok" or "suspicious" for a kink row (see Kinks), graded against
      its reference: the numeric part of its smooth samples plus each rough sample's own
      analytic part clipped into its one-sided bracket;
    * "mismatch" when graph and fast disagree by more than 1e-9 relative (plus 1e-12 of the
      largest gradient): the two engines must agree whatever the numbers say (except on a
      kink row, where they may round a net input to different sides of the kink).

    The relative error |a − n| / max(|a|, |n|) alone explodes on gradients near zero,
    where both values are dominated by round-off; the absolute tolerance atol (default
    1e-9) accepts those, and so does a floor for a row whose samples cancel: its estimated
    round-off (8·u·|e|·Σ|c_s|/h over the samples) plus 1e-11 (order 2: 1e-8) of the sum of
    the samples' |∂e_r/∂w|.  The float64 guidance: below 1e-7 all is well, above 1e-4 a
    derivative is almost certainly wrong.  "wrong" and "mismatch" fail the check.

    Examples
    --------
    >>> from graphnet import Network
    >>> net = Network([2, 3, 1], activation="relu", seed=1)
    >>> report = gradient_check(net, [[0.5, -0.2], [1.0, 0.3]], [[0.1], [0.9]], mode="sample", per_layer=4)
    >>> report.passed, [s.n_checked for s in report.layers]
    (True, [4, 4])
    """
    started = time.perf_counter()
    graph = _check_network(network.network if isinstance(network, FastNetwork) else network)
    options = _check_options(
        mode=mode,
        epsilon=epsilon,
        order=order,
        per_layer=per_layer,
        directions=directions,
        relative_tolerance=relative_tolerance,
        wrong_tolerance=wrong_tolerance,
        absolute_tolerance=absolute_tolerance,
    )
    step_epsilon, stencil = options
    inputs, targets = check_data(x, t, sizes=graph.sizes, loss=graph.loss_function)
    check_schedule(len(inputs), None, reduction)
    check_differentiable(graph.activations)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    checked_masks = check_masks(masks, len(inputs), sizes=graph.sizes, keeps=graph.keeps)
    graph_gradients = graph.gradients(inputs, targets, reduction=reduction, masks=checked_masks)
    fast = cast(FastNetwork, graph.vectorized(np.float64))  # the graph's mirror is a FastNetwork
    # pull, forward, backward
    fast_gradients = fast.gradients(inputs, targets, reduction=reduction, masks=checked_masks)
    kinks = [kinks_of(layer.activation) for layer in fast.layers]
    factors = fast.dropout_factors(checked_masks)
    engine = Perturbations(fast, inputs, targets, stencil, reduction, kinks, factors, checked_masks, graph.gradients)
    if mode == "directional":
        columns = engine.directional(graph_gradients, fast_gradients, step_epsilon, directions, rng)
    else:
        columns = engine.per_parameter(graph_gradients, fast_gradients, step_epsilon, mode, per_layer, rng)
    return GradientReport(
        mode=mode,
        order=order,
        epsilon=step_epsilon,
        network=graph,
        loss=engine.base_loss,
        n_samples=len(inputs),
        reduction=reduction,
        columns=columns,
        evaluations=engine.evaluations,
        seconds=time.perf_counter() - started,
        relative_tolerance=relative_tolerance,
        wrong_tolerance=wrong_tolerance,
        absolute_tolerance=absolute_tolerance,
    )


def _check_network(network: object) -> Network:
    if not isinstance(network, Network):
        raise IncompatibleError(
            f"gradient_check needs a graphnet Network (or its vectorized mirror); got {type(network).__name__}"
        )
    return network


def _check_options(
    *,
    mode: str,
    epsilon: float | None,
    order: int,
    per_layer: int,
    directions: int,
    relative_tolerance: float,
    wrong_tolerance: float,
    absolute_tolerance: float,
) -> tuple[float, tuple[tuple[int, float], ...]]:
    check_choice(mode, ("full", "sample", "directional"), name="mode")
    check_choice(order, tuple(STENCILS), name="order")
    if epsilon is None:
        epsilon = DEFAULT_EPSILON[order]
    epsilon = check_positive_number(epsilon, name="epsilon")
    if epsilon >= 1.0:
        raise IncompatibleError(f"epsilon is a step in net-input units and must be < 1; got {epsilon!r}")
    check_count(per_layer, name="per_layer")
    check_count(directions, name="directions")
    check_positive_number(relative_tolerance, name="relative_tolerance")
    check_positive_number(absolute_tolerance, name="absolute_tolerance", allow_zero=True)
    check_positive_number(wrong_tolerance, name="wrong_tolerance")
    if wrong_tolerance < relative_tolerance:
        raise IncompatibleError(
            f"wrong_tolerance must be ≥ relative_tolerance ({relative_tolerance:g}); got {wrong_tolerance!r}"
        )
    return epsilon, STENCILS[order]


def kinks_of(activation: Activation) -> tuple[float, ...]:
    """The net inputs where ``activation`` has a kink (no derivative): () for smooth ones.

    Built-in: ReLU and leaky ReLU at 0.  A custom activation declares its own with a class
    attribute, e.g. ``kinks = (0.0,)``.

    Examples
    --------
    >>> from graphnet.math.activations import get_activation
    >>> kinks_of(get_activation("relu")), kinks_of(get_activation("tanh"))
    ((0.0,), ())
    """
    declared = getattr(activation, "kinks", None)
    if declared is not None:
        return tuple(float(k) for k in declared)
    for kind, positions in BUILTIN_KINKS.items():
        if isinstance(activation, kind):
            return positions
    return ()


# ---------------------------------------------------------------------------------- planted bug
class PlantedBug(Activation):
    """An activation whose derivative is deliberately wrong: f′(z)·factor, for demonstrations.

    The value is the wrapped activation's; only the derivative lies.  A network with this
    activation trains (badly) and the gradient checker must flag every parameter whose
    gradient passes through it.

    Parameters
    ----------
    base : Activation
        The activation to imitate (not softmax, which has no element-wise derivative).
    factor : float, default 1.1
        What the true derivative is multiplied by.

    Examples
    --------
    >>> from graphnet.math.activations import get_activation
    >>> bug = PlantedBug(get_activation("sigmoid"))
    >>> bug.value(0.0), round(bug.derivative(0.0), 10)
    (0.5, 0.275)
    """

    name: ClassVar[str] = "planted_bug"
    formula: ClassVar[str] = "f(net)"
    derivative_formula: ClassVar[str] = "f′(net)·factor (wrong on purpose)"

    def __init__(self, base: Activation, factor: float = PLANTED_BUG_FACTOR) -> None:
        if base.layerwise or not base.differentiable:
            raise IncompatibleError(
                f"a planted bug needs an element-wise, differentiable activation; got {base.name!r}"
            )
        self.base = base
        self.factor = float(factor)

    @property
    def kinks(self) -> tuple[float, ...]:
        """The wrapped activation's kinks."""
        return kinks_of(self.base)

    def value(self, z: float) -> float:
        """f(z) of the wrapped activation."""
        return self.base.value(z)

    def derivative(self, z: float) -> float:
        """f′(z)·factor: the planted bug."""
        return self.base.derivative(z) * self.factor

    def value_array(self, z: NDArray[np.floating]) -> NDArray[np.floating]:
        """f(Z) of the wrapped activation."""
        return self.base.value_array(z)

    def derivative_array(self, z: NDArray[np.floating]) -> NDArray[np.floating]:
        """f′(Z)·factor: the planted bug."""
        result: NDArray[np.floating] = self.base.derivative_array(z) * self.factor
        return result

    def __repr__(self) -> str:
        return f"PlantedBug({self.base!r}, factor={self.factor})"


def random_sample(
    network: Network, *, n_samples: int | None = None, seed: int | np.random.Generator | None = 0
) -> tuple[Array, Array]:
    """A random input x ~ N(0, 1) and a target t in the domain of the network's loss.

    Targets are uniform in (0.05, 0.95) (each row normalised to sum to 1 for categorical
    cross-entropy), so no target sits on a boundary.

    Parameters
    ----------
    network : Network
    n_samples : int, optional
        None: one sample, x of shape (n_inputs,) and t (n_outputs,); k: a batch of k rows.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    x, t : arrays

    Examples
    --------
    >>> from graphnet import Network
    >>> x, t = random_sample(Network([3, 4, 2], seed=0), n_samples=5)
    >>> x.shape, t.shape
    ((5, 3), (5, 2))
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows = 1 if n_samples is None else check_count(n_samples, name="n_samples")
    x = rng.standard_normal((rows, network.sizes[0]))
    t = rng.uniform(0.05, 0.95, size=(rows, network.sizes[-1]))
    if network.loss_function.name == "categorical_cross_entropy":
        t /= t.sum(axis=1, keepdims=True)
    return (x[0], t[0]) if n_samples is None else (x, t)
