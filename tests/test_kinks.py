"""The gradient checker never cries wolf at kinks, and still catches wrong derivatives.

Random networks with user-defined piecewise activations and losses (ReLU, leaky ReLU,
hinge, absolute error; each with and without a ``kinks`` declaration), on inputs placed on
and near their kinks: a hidden unit's net input, or the loss's input (y·t = 1 for the
hinge, y = t for the absolute error), at offsets from 0 (exactly on) to 1e-2.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from piecewise import ACTIVATIONS, LOSSES

from graphnet import Network
from graphnet.tools.gradcheck import STENCILS, gradient_check
from graphnet.tools.kinks import quotients

OFFSETS = [0.0, 1e-15, -1e-15, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-4, -1e-4, 1e-3, -1e-3, 1e-2, -1e-2]
#: Examples of the false-alarm property: the issue asks for at least 2,000 cases.
FALSE_ALARM_CASES = 2100
#: Planted derivative errors: relative 1e-3 and more, and a flipped sign.
FACTORS = [1.0 + 1e-3, 1.0 - 1e-3, 1.01, 1.1, 0.5, -1.0]


@st.composite
def cases(draw: st.DrawFn, unplaced: int = 0) -> dict:
    """A network, data with samples placed on or near kinks (the first ``unplaced`` left alone at the end)."""
    n_samples = draw(st.integers(1, 4)) + unplaced
    return {
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
        "loss": draw(st.sampled_from(sorted(LOSSES))),
        "sizes": [
            draw(st.integers(1, 3)),
            *draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)),
            draw(st.integers(1, 2)),
        ],
        "n_samples": n_samples,
        "placements": draw(
            st.lists(
                st.tuples(st.sampled_from(["unit", "loss"]), st.sampled_from(OFFSETS)),
                min_size=1,
                max_size=n_samples - unplaced,
            )
        ),
        "mode": draw(st.sampled_from(["full", "sample", "directional"])),
        "order": draw(st.sampled_from([6, 4, 2])),
        "reduction": draw(st.sampled_from(["mean", "sum"])),
        "l2": draw(st.sampled_from([0.0, 0.01])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def build(case: dict, factor: float = 1.0, planted: str = "activation") -> tuple[Network, np.ndarray, np.ndarray]:
    """The case's network (with a derivative error ``factor`` planted in the activation or the loss) and data.

    The values never depend on ``factor``: only the derivative does.
    """
    rng = np.random.default_rng(case["seed"])
    activation = ACTIVATIONS[case["activation"]](factor if planted == "activation" else 1.0)
    loss = LOSSES[case["loss"]](factor if planted == "loss" else 1.0)
    sizes = case["sizes"]
    net = Network(
        sizes,
        activation=activation,
        output_activation="identity",
        loss=loss,
        init="normal",
        bias_init=0.1,
        l2=case["l2"],
        l2_bias=case["l2"],
        seed=int(rng.integers(2**31)),
    )
    n = case["n_samples"]
    X = rng.standard_normal((n, sizes[0]))
    hinge = case["loss"].startswith("hinge")
    T = rng.choice([-1.0, 1.0], size=(n, sizes[-1])) if hinge else rng.standard_normal((n, sizes[-1]))
    params = net.get_params()
    W1, b1 = params[0]
    for sample, (where, offset) in enumerate(case["placements"]):
        if where != "unit":
            continue
        j = int(rng.integers(sizes[1]))
        if sample == 0:  # exactly: x = 0, so net_j = b_j = the offset
            X[0] = 0.0
            b1[j] = offset
        else:  # move x along w_j until net_j = the offset (to within rounding)
            net_j = W1[j] @ X[sample] + b1[j]
            X[sample] += (offset - net_j) * W1[j] / (W1[j] @ W1[j])
    net.set_params(params)
    for sample, (where, offset) in enumerate(case["placements"]):
        if where != "loss":
            continue
        k = int(rng.integers(sizes[-1]))
        y = net.predict(X)[sample, k]
        if hinge:  # y·t = 1 + offset: move the output bias (this sample's y), t stays ±1
            params = net.get_params()
            _, b = params[-1]
            b[k] += T[sample, k] * (1.0 + offset) - y
            net.set_params(params)
        else:  # y − t = offset
            T[sample, k] = y - offset
    return net, X, T


#: Within this of a kink (net input or loss input) an element counts as sitting on it: the
#: smallest step's reach (order 6: 3ε/1000 ≈ 1.6e-5).
REACH = 2e-5


def kinks_met(case: dict, net: Network, X: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per sample: how many elements (hidden units, the loss at each output) sit on a kink."""
    fast = net.vectorized()
    Y = fast.forward(X)
    count = np.zeros(len(X), dtype=int)
    for layer in fast.layers[:-1]:  # the hidden layers are piecewise, the output is the identity
        count += (np.abs(layer.Z) < REACH).sum(axis=1)
    loss_input = 1.0 - Y * T if case["loss"].startswith("hinge") else Y - T
    count += (np.abs(loss_input) < REACH).sum(axis=1)
    return count


def check(case: dict, net: Network, X: np.ndarray, T: np.ndarray):
    return gradient_check(
        net, X, T, mode=case["mode"], order=case["order"], reduction=case["reduction"], per_layer=6, seed=1
    )


#: False alarms found by random (not derandomized) runs, kept as regression examples.
FOUND_BY_RANDOM_RUNS = [
    # directional: two samples on the same unit's kink whose parts cancel (±1.2 in a total of
    # 0.038); their jumps were under the tolerance relative to their own slopes, not to the total
    {
        "activation": "leaky",
        "loss": "absolute",
        "sizes": [1, 4, 1],
        "n_samples": 4,
        "placements": [("unit", 0.0), ("unit", 1e-15), ("unit", 0.0)],
        "mode": "directional",
        "order": 6,
        "reduction": "mean",
        "l2": 0.0,
        "seed": 366,
    },
    # a loss kink 1e-6 from the sample, between the stencil's points where R = L: only the
    # central quotient, off their mean, shows it
    {
        "activation": "leaky+kinks",
        "loss": "absolute+kinks",
        "sizes": [1, 4, 1, 2],
        "n_samples": 3,
        "placements": [("loss", -1e-06), ("unit", -1e-06), ("loss", -1e-12)],
        "mode": "sample",
        "order": 6,
        "reduction": "sum",
        "l2": 0.0,
        "seed": 0,
    },
    {
        "activation": "leaky+kinks",
        "loss": "absolute+kinks",
        "sizes": [1, 4, 1, 2],
        "n_samples": 3,
        "placements": [("loss", -1e-06), ("loss", -1e-06), ("loss", -1e-06)],
        "mode": "sample",
        "order": 6,
        "reduction": "sum",
        "l2": 0.0,
        "seed": 0,
    },
    {
        "activation": "leaky",
        "loss": "hinge",
        "sizes": [1, 2, 1],
        "n_samples": 3,
        "placements": [("loss", 1e-15), ("unit", 1e-09)],
        "mode": "directional",
        "order": 4,
        "reduction": "mean",
        "l2": 0.01,
        "seed": 67108864,
    },
]


def _with_examples(test):
    for case in reversed(FOUND_BY_RANDOM_RUNS):
        test = example(case)(test)
    return test


@settings(max_examples=FALSE_ALARM_CASES, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@_with_examples
def test_no_false_alarm_on_and_near_kinks(case):
    net, X, T = build(case)
    # out of scope: a sample on two kinks at once (a ReLU at 0 whose output puts the loss on
    # its hinge): what lies between them is narrower than any step (see graphnet.tools.kinks)
    assume(kinks_met(case, net, X, T).max() <= 1)
    report = check(case, net, X, T)
    assert report.passed, report.to_text()
    # summary figures come from the rows that count; kink rows are reported apart, with what is near the kink
    counted = ~report.kinks
    assert report.max_absolute_error == (report.absolute_errors[counted].max() if counted.any() else 0.0)
    for row in report.kink_rows:
        assert row.verdict == "kink" and row.low <= row.numeric <= row.high
        assert row.kink_at.startswith("sample ")
        # the samples on the kink, the one named first among them
        assert row.kink_samples and all(0 <= r < len(X) for r in row.kink_samples)
        assert int(row.kink_at.split()[1].rstrip(",:")) in row.kink_samples
    assert all(row.kink_samples == () for row in report.rows if not row.kink)
    event(f"kink rows: {bool(report.kinks.any())}, retried rows: {bool(report.near_kinks.any())}")


@pytest.mark.parametrize("case", FOUND_BY_RANDOM_RUNS)
def test_the_false_alarms_found_by_random_runs_pass(case):
    """Each regression case sits on or near a kink (one per sample), and passes."""
    net, X, T = build(case)
    assert kinks_met(case, net, X, T).max() <= 1
    report = check(case, net, X, T)
    assert report.passed and report.near_kinks.any(), report.to_text()


#: A false alarm a random run found after the fixes above: two samples on a unit's kink whose jump
#: (4.3e-5 at slopes 1.2) was small against the row's Σ C (0.45) but not against the total once the
#: third sample, on the loss's kink, gives its one-sided part (the row is 0.05).
CANCELLING_KINK_SAMPLE = {
    "activation": "leaky",
    "loss": "absolute",
    "sizes": [1, 4, 1],
    "n_samples": 4,
    "placements": [("unit", 1e-15), ("loss", 1e-15), ("unit", 0.0)],
    "mode": "directional",
    "order": 6,
    "reduction": "mean",
    "l2": 0.0,
    "seed": 366,
}


def test_a_rough_samples_part_can_cancel_the_rest():
    net, X, T = build(CANCELLING_KINK_SAMPLE)
    assert kinks_met(CANCELLING_KINK_SAMPLE, net, X, T).max() <= 1  # one kink per sample: in scope
    report = check(CANCELLING_KINK_SAMPLE, net, X, T)
    assert report.passed, report.to_text()


#: A false alarm a random run found (seed 12): every sample on the absolute error's kink
#: (E = 2.5e-10), order 2.  The last sample's kink leaves the stencil only at the smallest step
#: (4.8e-9), where its central quotient is off by 2.2e-8: the output y ≈ 0.375 is computed
#: again for each point, to u·|y|, while the noise allowance was u·|e_r| (e_r = 1e-9).
#: The bias of unit 1-0, analytic gradient exactly 0 (two samples' parts cancel), got 5.5e-9.
OUTPUTS_ROUND_OFF = {
    "activation": "relu",
    "loss": "absolute",
    "sizes": [2, 4, 1, 1],
    "n_samples": 4,
    "placements": [("loss", -1e-15), ("loss", 0.0), ("loss", 0.0), ("loss", 1e-09)],
    "mode": "full",
    "order": 2,
    "reduction": "mean",
    "l2": 0.0,
    "seed": 303,
}


def test_the_noise_allowance_counts_the_outputs_not_only_the_loss():
    net, X, T = build(OUTPUTS_ROUND_OFF)
    report = check(OUTPUTS_ROUND_OFF, net, X, T)
    assert report.passed, report.to_text()
    (bias,) = [row for row in report.rows if row.label == "(0-2) -> (1-0)"]
    assert bias.graph == 0.0 and bias.fast == 0.0 and bias.numeric != 0.0  # still the case it was


def test_the_round_off_scale_bounds_what_a_tiny_step_measures():
    """|y − t| = 1e-7 for every output (e_r tiny, y of size 1, slope 1): an order-2 quotient at h = 1e-9.

    Independent of the checker's grading: the error measured against the analytic gradient
    stays under u·R_r·Σ|c|/h summed over the samples, and is far above what u·|e_r| allows.
    """
    from graphnet.tools.perturbations import UNIT_ROUNDOFF, roundoff_scales

    rng = np.random.default_rng(5)
    net = Network(
        [3, 5, 4, 2], activation="tanh", output_activation="identity", loss=LOSSES["absolute"](), init="normal", seed=5
    )
    X = rng.standard_normal((6, 3))
    fast = net.vectorized()
    T = fast.forward(X) - 1e-7  # e_r = 2e-7: the kink is 1e-7 away in y, beyond the reach of h
    gradients = fast.gradients(X, T, reduction="sum")
    R = roundoff_scales(fast.layers, fast.loss_function.value_array(fast.layers[-1].Y, T, fast.layers[-1].Z))
    params = net.get_params()
    h, errors = 1e-9, []
    bound = UNIT_ROUNDOFF * float(R[0].sum()) / h  # u·Σ_r R_r·Σ|c_s|/h, Σ|c_s| = 1 for order 2
    old_bound = UNIT_ROUNDOFF * 2e-7 * len(X) / h  # u·Σ_r |e_r|/h
    for j in range(4):
        losses = []
        for shift in (-h, h):
            moved = [(W.copy(), b.copy()) for W, b in params]
            moved[1][0][j, 0] += shift
            net.set_params(moved)
            losses.append(net.vectorized().loss(X, T, reduction="sum"))
        net.set_params(params)
        errors.append(abs((losses[1] - losses[0]) / (2 * h) - gradients[1][0][j, 0]))
    assert max(errors) > 100 * old_bound  # the old allowance would call this round-off an error
    assert max(errors) <= bound


def _piecewise_linear_differences(kink: float, slopes: tuple[float, float], h: float, order: int) -> dict:
    """e(s·h) − e(0) of e(x) = slope_left·x + (slope_right − slope_left)·max(0, x − kink), per stencil multiple."""

    def e(x: float) -> float:
        return slopes[0] * x + (slopes[1] - slopes[0]) * max(0.0, x - kink)

    return {m: np.array([[e(m * h) - e(0.0)]]) for m, _ in STENCILS[order]}


@pytest.mark.parametrize("order", [2, 4, 6])
def test_a_kink_anywhere_in_the_stencil_that_moves_the_central_quotient_is_rough(order):
    """Between the stencil's points a kink can leave R = L (at 6h/11 for order 6); the central quotient still shows it."""
    h, slopes = 1e-3, (1.0, 2.0)
    reach = order // 2
    # where the one-sided quotients agree across a kink (R − L ∝ 1 − 11a/6, −2 + 7a/6 for order 6; 1 − 3a/2 for 4)
    blind = [a * h * sign for a in (6 / 11, 12 / 7, 2 / 3) if a < reach for sign in (1, -1)]
    for kink in [*np.linspace(-reach * h, reach * h, 601)[1:-1], *blind]:
        differences = _piecewise_linear_differences(float(kink), slopes, h, order)
        found = quotients(differences, STENCILS[order], np.array([[h]]), np.array([[1.0]]), 1.0)
        true_slope = slopes[0] if kink > 0 else slopes[1]
        # a sample called smooth has a central quotient within 1.5 × its bound of the derivative
        if not found.rough[0, 0]:
            assert abs(found.central[0, 0] - true_slope) <= 1.5 * found.pad[0, 0]


def test_jumps_under_a_samples_own_tolerance_are_rough_when_the_samples_cancel():
    """Two samples at kinks with slopes ±1 (jumps 1e-5, under 1e-4 of their own slopes) and a third of 0.01."""
    h = 1e-3
    parts = [
        _piecewise_linear_differences(0.0, (-1.0, -1.0 + 1e-5), h, 6),
        _piecewise_linear_differences(0.0, (1.0, 1.0 + 1e-5), h, 6),
        _piecewise_linear_differences(1.0, (0.01, 0.01), h, 6),
    ]
    differences = {m: np.concatenate([part[m] for part in parts], axis=1) for m in parts[0]}
    found = quotients(differences, STENCILS[6], np.array([[h]]), np.ones((1, 3)), 1.0)
    assert found.rough[0].tolist() == [True, True, False]
    alone = quotients(
        {m: value[:, 1:2] for m, value in differences.items()}, STENCILS[6], np.array([[h]]), np.ones((1, 1)), 1.0
    )
    assert not alone.rough.any()  # alone, the same sample's jump is within its tolerance


def test_kink_rows_are_reported_apart_with_what_is_near_the_kink():
    base = {
        "activation": "relu",
        "loss": "absolute",
        "sizes": [2, 3, 1],
        "n_samples": 3,
        "mode": "full",
        "order": 6,
        "reduction": "mean",
        "l2": 0.0,
        "seed": 11,
    }
    for placements, place in (
        ([("unit", 0.0)], "sample 0, layer 1 unit"),
        ([("loss", 0.0)], "sample 0, the loss at output 0"),
    ):
        case = {**base, "placements": placements}
        net, X, T = build(case)
        report = check(case, net, X, T)
        assert report.passed and report.kinks.any()
        assert all(row.kink_at.startswith(place) for row in report.kink_rows), report.to_text()
        assert "at a kink (not counted" in report.summary
        counted = ~report.kinks
        assert report.max_absolute_error == report.absolute_errors[counted].max() < 1e-9


#: A random run's case where the unplaced sample's error is cancelled by a placed one, smooth in that row.
CANCELLED_PLANT = {
    "activation": "relu",
    "loss": "absolute",
    "sizes": [1, 1, 1, 1],
    "n_samples": 3,
    "placements": [("unit", 0.0), ("loss", 1e-15)],
    "mode": "full",
    "order": 6,
    "reduction": "mean",
    "l2": 0.0,
    "seed": 1,
}


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(cases(unplaced=1), st.sampled_from(FACTORS), st.sampled_from(["activation", "loss"]))
@example(CANCELLED_PLANT, 0.5, "activation")
def test_planted_derivative_errors_still_fail(case, factor, planted):
    """A derivative wrong by 1e-3 relative or more fails the check in every mode.

    The planted error must show: in some checked row the analytic gradient moves by at
    least 1e-3 of its true value (a wrong f′ of a unit that is never active changes no
    gradient, and errors of two samples may cancel in a sum); in a kink row, it must move
    by that much summed over the row's samples that are not on its kink (one sample is left
    unplaced): at a kink the derivative is a matter of convention, and any value between the
    one-sided derivatives is right.  (A random run found a row where a placed sample, smooth
    in that row, cancelled the unplaced one's error exactly.)
    """
    true_net, X, T = build(case)
    assume(kinks_met(case, true_net, X, T).max() <= 1)  # as above
    planted_net, X2, T2 = build(case, factor, planted)
    np.testing.assert_array_equal(X, X2)
    true_report = check(case, true_net, X, T)
    report = check(case, planted_net, X2, T2)
    np.testing.assert_array_equal(report.numeric[~report.kinks], true_report.numeric[~true_report.kinks])
    # each sample's share of the planted error, per checked row (the same rows: the same seed
    # draws the same parameters, or the same directions)
    parts = np.array(
        [
            check(case, planted_net, X[[r]], T[[r]]).graph - check(case, true_net, X[[r]], T[[r]]).graph
            for r in range(len(X))
        ]
    )
    scale = 1.0 / len(X) if case["reduction"] == "mean" else 1.0
    # a kink row grades the samples on its kink by their brackets (any value between the one-sided
    # derivatives is right there): the error must show in the sum over the row's other samples
    smooth = np.ones(parts.shape, dtype=bool)
    for row, on_kink in enumerate(report.kink_samples):
        smooth[list(on_kink), row] = False
    error = np.abs((parts * smooth).sum(axis=0)) * scale
    threshold = 1e-3 * np.abs(true_report.graph) + 1e-6
    shows = error >= threshold
    if np.any(shows):
        event(f"planted error shows: mode {case['mode']}, kink rows {bool(report.kinks.any())}")
        assert not report.passed, report.to_text()
