"""The gradient checker: numeric vs graph vs fast, its verdicts, modes, views, demo and CLI."""

import math

import numpy as np
import pytest
from conftest import COMBINATIONS, central_difference, valid_targets
from rich.console import Console

from graphnet import Network
from graphnet.cli import main
from graphnet.fast.network import FastNetwork
from graphnet.math.activations import Activation, get_activation
from graphnet.math.errors import GraphnetError, IncompatibleError, NotDifferentiableError, ShapeError
from graphnet.tools.gradcheck import (
    DEFAULT_EPSILON,
    UNIT_ROUNDOFF,
    GradientReport,
    PlantedBug,
    gradient_check,
    kinks_of,
    random_sample,
)
from graphnet.tools.gradcheck_timing import time_gradient_checks

SMOOTH = {"sigmoid", "tanh", "identity", "softmax"}


class SloppySigmoid(Activation):
    """A user's sigmoid with the classic slip: the derivative is off by 10%."""

    name = "sloppy_sigmoid"

    def value(self, z):
        return 1.0 / (1.0 + math.exp(-z))

    def derivative(self, z):
        o = self.value(z)
        return o * (1.0 - o) * 1.1


class HalfRightTanh(Activation):
    """Scalar derivative right, array derivative wrong: the two engines disagree."""

    name = "half_right_tanh"

    def value(self, z):
        return math.tanh(z)

    def derivative(self, z):
        return 1.0 - math.tanh(z) ** 2

    def value_array(self, z):
        return np.tanh(z)

    def derivative_array(self, z):
        return 1.0 - np.tanh(z)  # forgot the square


def render(renderable, width=100):
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def connection_order(params):
    """[(dW, db), …] in the order of net.connections: row j of [W | b], layer by layer."""
    return np.concatenate([(W if b is None else np.column_stack([W, b])).ravel() for W, b in params])


def make_net(hidden, output, loss, bias, l2, seed):
    rng = np.random.default_rng(seed)
    n_out = 3 if output == "softmax" else 2
    net = Network(
        [3, 4, n_out],
        activation=hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        init="normal",
        bias_init=0.1,
        l2=l2,
        seed=rng,
    )
    return net, rng, n_out


# ------------------------------------------------------------------ correctness on every combination
@pytest.mark.parametrize(("hidden", "output", "loss", "bias"), COMBINATIONS)
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_every_combination_passes_with_relative_errors_below_1e_7(hidden, output, loss, bias, l2):
    seed = COMBINATIONS.index((hidden, output, loss, bias)) * 2 + (l2 > 0)
    net, rng, n_out = make_net(hidden, output, loss, bias, l2, seed)
    for n_samples in (None, 3):  # one sample (1-D) and a batch (2-D)
        x, t = random_sample(net, n_samples=n_samples, seed=rng)
        if loss == "categorical_cross_entropy" or n_samples is None:
            t = valid_targets(loss, 1 if n_samples is None else n_samples, n_out, rng)
            t = t[0] if n_samples is None else t
        report = gradient_check(net, x, t)
        assert report.passed, report.to_text()
        assert report.counts["wrong"] == report.counts["mismatch"] == report.counts["suspicious"] == 0
        assert len(report) == net.n_parameters
        # rows near a kink may say "kink", and are computed with smaller, less precise steps
        non_tiny = (np.abs(report.graph) > 1e-6) & ~report.near_kinks
        assert np.all(report.relative_errors[non_tiny] < 1e-7), report.to_text()
        if hidden in SMOOTH and output in SMOOTH:
            # smooth: no kink row (a row may be retried with smaller steps where the one-sided
            # quotients disagree by more than their truncation allows at the first step, but stays "ok")
            assert not report.kinks.any() and report.counts["ok"] == len(report)
        # the columns are the engines' own gradients …
        X, T = np.atleast_2d(x), np.atleast_2d(t)
        np.testing.assert_array_equal(report.graph, connection_order(net.gradients(X, T)))
        np.testing.assert_array_equal(report.fast, connection_order(net.vectorized().gradients(X, T)))

        # … and the numeric column agrees with an independent central difference on the graph
        def loss_at(vector, X=X, T=T):
            net.set_flat_params(vector)
            return net.loss(X, T, engine="graph")

        theta = net.get_flat_params()
        net.set_flat_params(central_difference(loss_at, theta))  # to reorder it like the rows
        oracle = connection_order(net.get_params())
        net.set_flat_params(theta)
        smooth = ~report.kinks
        np.testing.assert_allclose(report.numeric[smooth], oracle[smooth], rtol=1e-5, atol=1e-7)


def test_the_l2_term_is_part_of_the_loss():
    net = Network([3, 4, 2], activation="tanh", init="normal", seed=5, l2=0.25)
    x, t = random_sample(net, seed=1)
    with_l2 = gradient_check(net, x, t)
    net.l2 = 0.0
    net._fast.clear()  # the mirror copies λ when it is built
    without = gradient_check(net, x, t)
    assert with_l2.passed and without.passed
    weights = np.array([c.weight for c in net.connections])
    is_bias = np.array([c.is_bias for c in net.connections])
    np.testing.assert_allclose(
        with_l2.numeric - without.numeric, np.where(is_bias, 0.0, 0.25 * weights), rtol=1e-8, atol=1e-12
    )
    assert with_l2.loss == pytest.approx(without.loss + 0.125 * np.sum(weights[~is_bias] ** 2), rel=1e-14)


def test_sum_reduction_scales_the_numeric_gradient_with_the_batch():
    net = Network([3, 5, 2], activation="sigmoid", init="xavier", seed=2)
    x, t = random_sample(net, n_samples=4, seed=3)
    mean = gradient_check(net, x, t, reduction="mean")
    total = gradient_check(net, x, t, reduction="sum")
    assert mean.passed and total.passed
    np.testing.assert_allclose(total.numeric, 4 * mean.numeric, rtol=1e-9, atol=1e-15)


# ------------------------------------------------------------------ rows, names, the network left alone
def test_rows_are_named_and_ordered_like_the_connections():
    net = Network([3, 4, 2], activation="tanh", seed=0)
    report = gradient_check(net, [0.5, -1.0, 2.0], [0.2, 0.7])
    connections = list(net.connections)
    assert [row.label for row in report.rows] == [c.label for c in connections]
    assert [row.weight for row in report.rows] == [c.weight for c in connections]
    assert [row.is_bias for row in report.rows] == [c.is_bias for c in connections]
    bias_row = next(row for row in report.rows if row.label == "(1-4) -> (2-0)")
    assert bias_row.is_bias and bias_row.layer == 2 and (bias_row.target, bias_row.source) == (0, 4)
    row = next(row for row in report.rows if row.label == "(0-2) -> (1-3)")
    assert (row.layer, row.target, row.source) == (1, 3, 2)
    assert row.weight == net.connections[1, 2, 3].weight


@pytest.mark.parametrize("mode", ["full", "sample", "directional"])
def test_the_network_is_left_exactly_as_it_was(mode):
    net = Network([3, 6, 4, 2], activation="relu", output_activation="sigmoid", seed=4, init="he", l2=0.1)
    before = net.get_flat_params().copy()
    x, t = random_sample(net, n_samples=3, seed=4)
    gradient_check(net, x, t, mode=mode, per_layer=3, directions=2)
    assert np.array_equal(net.get_flat_params(), before)  # bit for bit
    for layer, (W, b) in zip(net.vectorized().layers, net.get_params(), strict=True):
        assert np.array_equal(layer.W, W) and np.array_equal(layer.b, b)  # the mirror's arrays too


def test_a_fast_network_stands_for_its_graph():
    net = Network([2, 3, 1], seed=0)
    by_graph = gradient_check(net, [0.3, -0.4], [0.8])
    by_fast = gradient_check(net.vectorized(), [0.3, -0.4], [0.8])
    assert np.array_equal(by_graph.numeric, by_fast.numeric)


# ------------------------------------------------------------------ planted bugs
@pytest.mark.parametrize("mode", ["full", "sample", "directional"])
def test_a_wrong_custom_derivative_fails_and_names_layer_1(mode):
    net = Network([4, 5, 3], activation=[SloppySigmoid(), "sigmoid"], init="xavier", seed=1)
    x, t = random_sample(net, seed=2)
    report = gradient_check(net, x, t, mode=mode, per_layer=4, directions=2)
    assert not report.passed
    assert report.failing_layers == [1] and report.suspect_layer == 1
    assert "FAILED" in report.summary and "layer 1 (sloppy_sigmoid)" in report.summary
    layer_1 = report.layer_index == 1
    assert set(np.asarray(report.verdict_codes)[layer_1]) == {3}  # every checked row of layer 1 is wrong
    assert report.counts["ok"] == int((~layer_1).sum())  # layer 2, above the bug, is right
    np.testing.assert_allclose(report.graph[layer_1] / report.numeric[layer_1], 1.1, rtol=1e-6)
    assert all(row.failed and row.layer == 1 for row in report.worst(int(layer_1.sum())))
    layers = report.layers
    assert layers[0].failed and not layers[1].failed and layers[0].activation == "sloppy_sigmoid"


def test_a_bug_in_a_middle_layer_spoils_the_layers_below_and_is_located():
    net = Network([4, 5, 6, 3], activation=["tanh", PlantedBug(get_activation("tanh"), factor=0.5), "sigmoid"], seed=3)
    x, t = random_sample(net, seed=3)
    report = gradient_check(net, x, t)
    assert report.failing_layers == [1, 2] and report.suspect_layer == 2
    assert report.layers[2].counts["ok"] == report.layers[2].n_checked
    assert "enters at layer 2" in report.summary
    assert report.summary.index("layer 2 (planted_bug)") < report.summary.index("layer 1 (tanh)")


def test_graph_and_fast_disagreeing_is_a_mismatch():
    net = Network([3, 4, 2], activation=[HalfRightTanh(), "sigmoid"], seed=0)
    report = gradient_check(net, [0.5, -1.0, 2.0], [0.2, 0.7])
    assert not report.passed and report.failing_layers == [1]
    rows = [row for row in report.rows if row.layer == 1]
    assert all(row.verdict == "mismatch" for row in rows)
    assert all(abs(row.graph - row.numeric) < 1e-10 for row in rows)  # the graph is right
    assert "mismatched" in report.summary


def test_planted_bug_wraps_an_activation():
    sigmoid = get_activation("sigmoid")
    bug = PlantedBug(sigmoid, factor=1.25)
    z = np.array([-3.0, 0.0, 0.5, 1000.0])
    np.testing.assert_array_equal(bug.value_array(z), sigmoid.value_array(z))
    np.testing.assert_array_equal(bug.derivative_array(z), 1.25 * sigmoid.derivative_array(z))
    assert bug.derivative(0.5) == 1.25 * sigmoid.derivative(0.5)
    assert kinks_of(PlantedBug(get_activation("relu"))) == (0.0,)
    with pytest.raises(IncompatibleError, match="softmax"):
        PlantedBug(get_activation("softmax"))


# ------------------------------------------------------------------ kinks
def test_a_relu_unit_at_its_kink_says_kink_not_wrong():
    net = Network([2, 3, 1], activation="relu", output_activation="sigmoid", seed=0)
    W1 = np.array([[1.0, -1.0], [0.5, 0.25], [-0.4, 0.3]])
    net.set_params([(W1, np.zeros(3)), (np.array([[0.7, -0.6, 0.9]]), np.array([0.1]))])
    x = np.array([0.5, 0.5])  # unit 1-0: net = 0.5 − 0.5 = 0, exactly on the kink
    report = gradient_check(net, x, [0.9])
    at_kink = [row for row in report.rows if row.layer == 1 and row.target == 0]
    assert all(row.kink and row.near_kink for row in at_kink)
    assert {row.verdict for row in at_kink} == {"kink"}
    # f′(0) = 0 by convention: the left one-sided derivative, inside the bracket the numbers allow
    assert all(row.graph == 0.0 and row.low <= 0.0 <= row.high and row.high - row.low > 1e-3 for row in at_kink)
    assert all(row.numeric == row.graph and "layer 1 unit 0: net input 0" in row.kink_at for row in at_kink)
    assert report.passed and report.counts["kink"] == len(at_kink)
    assert all(row.verdict == "ok" for row in report.rows if not row.kink)
    assert report.max_relative_error < 1e-7  # kink rows are left out


def test_a_relu_unit_near_its_kink_is_recomputed_with_a_smaller_step():
    net = Network([2, 3, 1], activation="relu", output_activation="sigmoid", seed=0)
    W1 = np.array([[1.0, -1.0], [0.5, 0.25], [-0.4, 0.3]])
    net.set_params([(W1, np.array([0.002, 0.0, 0.0])), (np.array([[0.7, -0.6, 0.9]]), np.array([0.1]))])
    report = gradient_check(net, [0.5, 0.5], [0.9])  # unit 1-0: net = 0.002, within order 6's reach
    near = [row for row in report.rows if row.layer == 1 and row.target == 0]
    assert all(row.near_kink and not row.kink and row.verdict == "ok" for row in near)
    o = {0: 0.5, 1: 0.5, 2: 1.0}  # the inputs, and the bias node's 1
    assert all(row.step * o[row.source] == pytest.approx(report.epsilon / 10) for row in near)
    assert not any(row.near_kink for row in report.rows if row.target != 0 or row.layer != 1)
    assert report.passed and report.counts["ok"] == len(report)


def test_directional_mode_is_not_fooled_by_relu_kinks():
    # 300 ReLU units: some net input always lies within reach of a direction's first step
    rng = np.random.default_rng(0)
    x, t = rng.uniform(size=784), np.eye(10)[3]
    for planted, passes in ((False, True), (True, False)):
        hidden = PlantedBug(get_activation("relu")) if planted else "relu"
        net = Network([784, 300, 10], activation=[hidden, "relu"], output_activation="softmax",
                      loss="cross_entropy", init="he", seed=0)  # fmt: skip
        report = gradient_check(net, x, t, mode="directional", directions=3)
        assert report.near_kinks[:3].any() and not report.kinks.any()
        assert report.passed is passes and report.failing_layers == ([] if passes else [1])


def test_kinks_of_builtin_and_custom_activations():
    class Hinge(Activation):
        name = "hinge"
        kinks = (1.0,)

        def value(self, z):
            return max(z, 1.0)

        def derivative(self, z):
            return 1.0 if z > 1.0 else 0.0

    assert kinks_of(get_activation("leaky_relu")) == (0.0,)
    assert kinks_of(get_activation("sigmoid")) == ()
    assert kinks_of(Hinge()) == (1.0,)
    net = Network([1, 1, 1], activation=[Hinge(), "identity"], loss="squared_error", seed=0)
    net.set_params([(np.array([[2.0]]), np.array([-1.0])), (np.array([[1.0]]), np.array([0.0]))])
    report = gradient_check(net, [1.0], [0.0])  # net of 1-0 is 2·1 − 1 = 1: the hinge's kink
    assert report.rows[0].kink and report.rows[0].verdict == "kink" and report.passed


# ------------------------------------------------------------------ the verdict rule
def synthetic_report(graph, fast, numeric, kinks=None):
    net = Network([1, len(graph) - 1, 1], bias=False, seed=0) if len(graph) > 1 else None
    net = net or Network([1, 1], bias=False, seed=0)
    n = len(graph)
    columns = {
        "layer": np.ones(n, dtype=np.intp),
        "target": np.zeros(n, dtype=np.intp),
        "source": np.zeros(n, dtype=np.intp),
        "weight": np.zeros(n),
        "numeric": np.asarray(numeric, dtype=float),
        "graph": np.asarray(graph, dtype=float),
        "fast": np.asarray(fast, dtype=float),
        "step": np.full(n, 1e-3),
        "kink": np.zeros(n, dtype=bool) if kinks is None else np.asarray(kinks),
        "near_kink": np.zeros(n, dtype=bool) if kinks is None else np.asarray(kinks),
    }
    return GradientReport(
        mode="full",
        order=6,
        epsilon=DEFAULT_EPSILON[6],
        network=net,
        loss=1.0,
        n_samples=1,
        reduction="mean",
        columns=columns,
        evaluations=0,
        seconds=0.0,
        relative_tolerance=1e-7,
        wrong_tolerance=1e-4,
        absolute_tolerance=1e-9,
    )


def test_the_verdict_rule_combines_relative_and_absolute_tolerance():
    a = [1.0, 1.0, 1.0, 1.0, 1e-12, 2e-9, 1.0, 0.0, 1.0]
    f = [1.0, 1.0, 1.0, 1.0, 1e-12, 2e-9, 1.0, 0.0, 1.0 + 1e-6]
    n = [1.0 + 5e-8, 1.0 + 1e-5, 1.1, 1.0 + 1e-5, 5e-12, 6e-9, 1.0 - 3e-5, 0.0, 1.0]
    kinks = [False, False, False, True, False, False, False, False, False]
    report = synthetic_report(a, f, n, kinks)
    verdicts = [row.verdict for row in report.rows]
    assert verdicts == ["ok", "suspicious", "wrong", "kink", "ok", "wrong", "suspicious", "ok", "mismatch"]
    # relative error |a − n| / max(|a|, |n|), absolute |a − n|; 0/0 counts as 0
    np.testing.assert_allclose(report.relative_errors[:3], [5e-8 / (1 + 5e-8), 1e-5 / (1 + 1e-5), 0.1 / 1.1])
    assert report.relative_errors[4] == pytest.approx(0.8) and report.absolute_errors[4] == pytest.approx(4e-12)
    assert report.relative_errors[7] == 0.0
    assert not report.passed and report.failing_layers == [1]
    # max_relative_error skips kink rows and near-zero rows (row 4: |n| < atol)
    assert report.max_relative_error == pytest.approx(max(0.1 / 1.1, 4e-9 / 6e-9))
    assert report.counts == {"ok": 3, "kink": 1, "suspicious": 2, "wrong": 2, "mismatch": 1}
    assert [row.verdict for row in report.worst(4)] == ["mismatch", "wrong", "wrong", "suspicious"]


def test_a_nan_gradient_is_wrong_not_ok():
    report = synthetic_report([math.nan, 1.0], [math.nan, 1.0], [0.5, 1.0])
    assert [row.verdict for row in report.rows] == ["wrong", "ok"]
    assert report.rows[0].relative_error == math.inf and not report.passed
    assert report.max_relative_error == math.inf


def test_default_steps_follow_the_error_analysis():
    assert UNIT_ROUNDOFF == 2.0**-53
    assert DEFAULT_EPSILON[2] == pytest.approx(4.8e-6, rel=0.01)
    assert DEFAULT_EPSILON[4] == pytest.approx(6.4e-4, rel=0.01)
    assert DEFAULT_EPSILON[6] == pytest.approx(5.3e-3, rel=0.01)
    net = Network([3, 4, 2], activation="tanh", init="normal", seed=7)
    x, t = random_sample(net, seed=7)
    errors = {}
    for order in (2, 4, 6):
        report = gradient_check(net, x, t, order=order)
        assert report.passed and report.epsilon == DEFAULT_EPSILON[order]
        errors[order] = np.median(report.relative_errors)
        # the step is sized on the net input: h·max|o_i| = ε for every parameter
        o = np.concatenate([np.append(x, 1.0)] * 4 + [np.append(np.tanh(net.vectorized().layers[0].Z[0]), 1.0)] * 2)
        np.testing.assert_allclose(report.steps * np.maximum(np.abs(o), 1e-6), report.epsilon, rtol=1e-12)
    assert max(errors[4], errors[6]) < errors[2] / 10 < 1e-9  # the higher orders are far finer


# ------------------------------------------------------------------ modes for size
def test_sample_mode_draws_k_per_layer_with_a_seed():
    net = Network([6, 5, 4], activation="tanh", seed=0)
    x, t = random_sample(net, seed=1)
    first = gradient_check(net, x, t, mode="sample", per_layer=7, seed=11)
    again = gradient_check(net, x, t, mode="sample", per_layer=7, seed=11)
    other = gradient_check(net, x, t, mode="sample", per_layer=7, seed=12)
    assert [s.n_checked for s in first.layers] == [7, 7]
    assert [row.label for row in first.rows] == [row.label for row in again.rows]
    assert [row.label for row in first.rows] != [row.label for row in other.rows]
    assert len({row.label for row in first.rows}) == 14 and first.passed
    full = gradient_check(net, x, t)
    by_label = {row.label: row.numeric for row in full.rows}
    assert all(row.numeric == by_label[row.label] for row in first.rows)
    everything = gradient_check(net, x, t, mode="sample", per_layer=1000)
    assert len(everything) == net.n_parameters


def test_directional_mode_compares_g_dot_v_with_the_difference_quotient():
    net = Network([5, 6, 3], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0)
    x, t = random_sample(net, n_samples=2, seed=5)
    report = gradient_check(net, x, t, mode="directional", directions=4)
    assert report.passed and len(report) == 8 and report.max_relative_error < 1e-7
    assert [row.label for row in report.rows[:2]] == ["layer 1 · direction 0", "layer 1 · direction 1"]
    assert all(row.target is None and math.isnan(row.weight) for row in report.rows)
    assert "8 directions checked" in report.summary


@pytest.fixture
def forward_counter(monkeypatch):
    calls = []
    original = FastNetwork._forward

    def counted(self, inputs, **options):
        calls.append(len(inputs))
        return original(self, inputs, **options)

    monkeypatch.setattr(FastNetwork, "_forward", counted)
    return calls


@pytest.mark.parametrize("order", [2, 6])
def test_directional_check_of_784_300_10_takes_a_handful_of_forward_passes(forward_counter, order):
    rng = np.random.default_rng(0)
    x, t = rng.uniform(size=784), np.eye(10)[3]
    for sizes in ([784, 300, 10], [784, 30, 10]):
        forward_counter.clear()
        net = Network(sizes, activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0)
        report = gradient_check(net, x, t, mode="directional", directions=2, order=order)
        assert report.passed
        # 1 for the fast gradient, 1 for E itself, then `order` per direction, 2 directions per layer
        assert len(forward_counter) == 2 + order * 2 * 2 == 2 + report.evaluations
        assert forward_counter == [1] * len(forward_counter)


def test_full_check_batches_the_perturbations_instead_of_forward_passes(forward_counter):
    net = Network([784, 30, 10], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0)
    x, t = np.random.default_rng(1).uniform(size=784), np.eye(10)[7]
    report = gradient_check(net, x, t)
    assert report.passed and len(report) == 23_860 and report.evaluations == 6 * 23_860
    assert len(forward_counter) == 2  # the gradient's and E's; the rest run as batched blocks


# ------------------------------------------------------------------ showing the report
def test_rich_view_worst_first_with_a_row_count_and_per_layer_summary():
    net = Network([4, 5, 3], activation=[SloppySigmoid(), "sigmoid"], seed=1)
    report = gradient_check(net, *random_sample(net, seed=0))
    text = render(report)
    lines = text.splitlines()
    assert lines[0].startswith("FAILED: layer 1 (sloppy_sigmoid): 25 of 25 parameters wrong")
    assert "numeric" in text and "graph" in text and "fast" in text and "rel.err" in text
    assert f"… {len(report) - 20} more rows" in text
    first_row = next(line for line in lines if " -> " in line and "e.g." not in line)
    assert first_row.split()[0:3] == report.worst(1)[0].label.split()
    assert first_row.rstrip().endswith("wrong")
    assert "per layer" in text and "25 wrong" in text and "18 ok" in text
    assert all(len(line) <= 100 for line in lines)
    shorter = render(report.render(max_rows=3))
    assert "… 40 more rows" in shorter


def test_verdicts_are_coloured():
    net = Network([4, 5, 3], activation=[SloppySigmoid(), "sigmoid"], seed=1)
    report = gradient_check(net, *random_sample(net, seed=0))
    console = Console(width=100, color_system="standard", force_terminal=True)
    segments = list(console.render(report.render(max_rows=40)))
    styles = {seg.text.strip(): seg.style for seg in segments if seg.text.strip() in ("wrong", "ok")}
    assert styles["wrong"].color.name == "red" and styles["wrong"].bold
    assert styles["ok"].color.name == "green"


def test_user_strings_are_escaped():
    class Markup(Activation):
        name = "[bold]evil[/bold]"

        def value(self, z):
            return math.tanh(z)

        def derivative(self, z):
            return 1.0 - math.tanh(z) ** 2

    net = Network([2, 2, 1], activation=[Markup(), "sigmoid"], seed=0)
    report = gradient_check(net, [0.1, 0.2], [0.3])
    assert "[bold]evil[/bold]" in render(report)
    assert "[bold]evil[/bold]" in report.to_text()


def test_plain_text_for_logs():
    net = Network([784, 30, 10], activation="sigmoid", output_activation="softmax", loss="cross_entropy", seed=0)
    x, t = random_sample(net, seed=0)
    report = gradient_check(net, x, t)
    text = report.to_text(max_rows=5)
    lines = text.splitlines()
    assert lines[0].startswith("PASSED: 23860 parameters checked (full, order 6")
    assert lines[2].startswith("worst first: by verdict, then by error ÷ bound")
    assert lines[3].split()[:4] == ["parameter", "numeric", "graph", "fast"]
    assert len([line for line in lines if " -> " in line]) == 5
    assert "… 23855 more rows" in text and "\x1b" not in text
    assert "  layer 1 (sigmoid): 23550/23550 checked: 23550 ok" in text
    assert "  layer 2 (softmax): 310/310 checked: 310 ok" in text
    assert "23840 more rows" in render(report)
    assert repr(report).startswith("GradientReport([784, 30, 10], mode='full', rows=23860, passed")


# ------------------------------------------------------------------ clear failures
def test_bad_arguments_raise_graphnet_errors_that_name_the_problem():
    net = Network([3, 4, 2], seed=0)
    x, t = [0.1, 0.2, 0.3], [0.5, 0.5]
    with pytest.raises(IncompatibleError, match="mode must be 'full', 'sample' or 'directional'; got 'fuzzy'"):
        gradient_check(net, x, t, mode="fuzzy")
    with pytest.raises(IncompatibleError, match="order must be 2, 4 or 6; got 3"):
        gradient_check(net, x, t, order=3)
    with pytest.raises(IncompatibleError, match="epsilon"):
        gradient_check(net, x, t, epsilon=-1e-6)
    with pytest.raises(IncompatibleError, match="per_layer"):
        gradient_check(net, x, t, mode="sample", per_layer=0)
    with pytest.raises(IncompatibleError, match="reduction"):
        gradient_check(net, x, t, reduction="median")
    with pytest.raises(ShapeError, match="X has 2 columns; this network expects 3"):
        gradient_check(net, [0.1, 0.2], t)
    with pytest.raises(ShapeError, match="X has 2 samples but T has 1"):
        gradient_check(net, [x, x], t)
    with pytest.raises(IncompatibleError, match="needs a graphnet Network"):
        gradient_check("not a network", x, t)
    with pytest.raises(TypeError):  # options are keyword-only: nothing can be swapped
        gradient_check(net, x, t, "full")
    with pytest.raises(NotDifferentiableError, match="step"):
        gradient_check(Network([3, 2], activation="step", seed=0), x, t)
    with pytest.raises(IncompatibleError, match="targets in"):
        gradient_check(Network([3, 2], loss="bce", seed=0), x, [1.5, 0.0])


def test_random_sample_respects_the_loss_domain():
    net = Network([3, 4, 5], output_activation="softmax", loss="cross_entropy", seed=0)
    x, t = random_sample(net, n_samples=6, seed=2)
    assert x.shape == (6, 3) and t.shape == (6, 5)
    np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-14)
    x1, t1 = random_sample(net, seed=2)
    assert x1.shape == (3,) and t1.shape == (5,)


def test_time_gradient_checks_returns_medians():
    timings = time_gradient_checks(quick=True, repeats=1)
    assert set(timings) == {"784-30-10 full", "784-30-10 full order 2", "784-300-10 directional", "784-300-10 sampled"}
    assert all(seconds > 0 for seconds in timings.values())


# ------------------------------------------------------------------ demo and command line
def run(argv, capsys):
    console = Console(record=True, width=100, color_system=None)
    code = main(argv, console=console)
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def test_demo_shows_a_passing_and_a_failing_report(capsys):
    code, out, err = run(["demo", "gradcheck"], capsys)
    assert code == 0, err
    assert "PASSED: 43 parameters checked" in out
    assert "FAILED: layer 1 (sloppy_sigmoid): 25 of 25 parameters wrong" in out
    assert "class SloppySigmoid(Activation):" in out


def test_cli_gradcheck_passes_and_exits_0(capsys):
    code, out, err = run(["gradcheck", "--layers", "3", "4", "2", "--activation", "tanh"], capsys)
    assert code == 0, err
    assert out.startswith("PASSED: 26 parameters checked (full") and "per layer" in out


@pytest.mark.parametrize("mode", ["full", "sample", "directional"])
def test_cli_gradcheck_plant_bug_exits_1_naming_layer_1(capsys, mode):
    argv = ["gradcheck", "--layers", "3", "4", "2", "--activation", "tanh", "--plant-bug", "--mode", mode]
    code, out, err = run(argv, capsys)
    assert code == 1, err
    assert "Planted bug: layer 1 uses tanh" in out and "FAILED: layer 1 (planted_bug)" in out


def test_cli_gradcheck_options(capsys):
    argv = ["gradcheck", "--layers", "5", "6", "3", "--activation", "relu", "--init", "he"]
    argv += ["--output-activation", "softmax", "--loss", "cross_entropy", "--samples", "4", "--l2", "0.1"]
    argv += ["--order", "4", "--rows", "3", "--seed", "9"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "PASSED: 57 parameters checked (full, order 4" in out and "… 54 more rows" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--activation", "nosuch"], "argument --activation: invalid choice: 'nosuch' (choose from 'sigmoid'"),
        (["--layers", "3"], "--layers needs at least an input and an output size"),
        (["--layers", "3", "0", "2"], "argument --layers: expected a whole number ≥ 1, got '0'"),
        (["--layers", "3", "2", "--plant-bug"], "--plant-bug plants a wrong derivative in hidden layer 1"),
        (["--mode", "sample", "--per-layer", "0"], "argument --per-layer: expected a whole number ≥ 1, got '0'"),
    ],
)
def test_cli_gradcheck_bad_arguments_are_one_line_exit_2(capsys, argv, message):
    try:
        code, _, err = run(["gradcheck", *argv], capsys)
    except SystemExit as exit_:  # refused by argparse while parsing
        code, err = exit_.code, capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("graphnet gradcheck: error: ") and message in err


def test_cli_gradcheck_unknown_mode_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["gradcheck", "--mode", "fuzzy"])
    assert info.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1


def test_errors_are_graphnet_errors():
    with pytest.raises(GraphnetError):
        gradient_check(Network([2, 1], seed=0), [1.0], [0.0])
