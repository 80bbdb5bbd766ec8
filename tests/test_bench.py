"""The benchmark's bookkeeping: ratios come from its own measurements, checks compare ratios only."""

import itertools
import json

import numpy as np
import pytest
from rich.console import Console

from graphnet import Network
from graphnet.cli import main
from graphnet.tools.bench import (
    CHECKS,
    BenchResult,
    Measurement,
    check_ratios,
    classic_network,
    classic_train_step,
    executed_flops,
    interleave,
    paired_ratio,
    products_epoch_case,
    reference_adam_epoch,
    reference_epoch,
)


def test_interleave_runs_every_case_each_repetition_in_turn_the_order_reversed_every_other_time():
    calls = []
    cases = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = interleave(cases, 4)
    assert calls == list("abc") + list("abc") + list("cba") + list("abc") + list("cba")  # warm-up first
    assert [len(v) for v in times.values()] == [4, 4, 4]


def test_measurement_units():
    m = Measurement("x", [2.0, 1.0, 4.0], per=1000, scale=1e6, unit="µs")
    assert (m.median, m.low, m.high) == (2000.0, 1000.0, 4000.0)


def test_check_ratios_flags_only_broken_ratios():
    result = BenchResult(quick=True)
    result.ratios = {name: (limit * 0.9 if rel == "<=" else limit * 1.1) for name, (rel, limit) in CHECKS.items()}
    assert check_ratios(result) == []
    name, (relation, limit) = next(iter(CHECKS.items()))
    result.ratios[name] = limit * 10 if relation == "<=" else limit / 10
    assert len(check_ratios(result)) == 1 and name in check_ratios(result)[0]
    del result.ratios[name]
    assert check_ratios(result) == [f"{name}: not measured"]


def test_reference_loop_is_the_same_mlp_as_the_fast_path():
    """The yardstick trains the same network as the fast path, so the ratio compares like with like."""
    rng = np.random.default_rng(0)
    X, T = rng.uniform(size=(40, 6)), rng.uniform(size=(40, 3))
    net = Network([6, 5, 3], seed=1)
    params = [(W.copy(), b.copy()) for W, b in net.get_params()]
    reference_epoch(params, X, T, 0.3, 8)
    net.train(X, T, rate=0.3, epochs=1, batch_size=8, engine="fast")
    for (W, b), (W_net, b_net) in zip(params, net.get_params(), strict=True):
        np.testing.assert_allclose(W, W_net, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b_net, rtol=1e-12, atol=1e-14)


def test_classic_per_neuron_code_learns_in_the_classic_sign_convention():
    layers = classic_network([2, 3, 1], np.random.default_rng(0))
    before = sum(0.5 * (1 - layers[-1][0]["output"]) ** 2 for _ in [0])
    for _ in range(200):
        classic_train_step(layers, [1.0, 0.0], [1.0], 0.5)
    after = 0.5 * (1 - layers[-1][0]["output"]) ** 2
    assert after < before


def test_executed_flops_counts_forward_dw_and_dx_above_the_first_layer():
    assert executed_flops([3, 4, 2], 1) == 2 * 2 * (3 * 4 + 4 * 2) + 2 * 4 * 2


def test_graphnet_bench_quick_writes_json_and_checks(tmp_path, capsys):
    path = tmp_path / "bench.json"
    console = Console(record=True, width=160, color_system=None)
    code = main(["bench", "--quick", "--json", str(path)], console=console)
    assert code == 0
    data = json.loads(path.read_text())
    assert "graph train step 784-30-10" in data["measurements"]
    assert "fast / numpy loop 784-30-10 batch 32 float64" in data["ratios"]
    assert data["facts"]["construction 784-300-10"]["connections"] == 238510
    paired = data["ratios"]["graph / fast per sample 784-30-10 (batch 32, paired)"]
    beside = data["measurements"]["fast epoch 784-30-10 batch 32 float64 beside the graph"]["median"]
    graph = data["measurements"]["graph train step 784-30-10"]["median"] * 23860  # µs per sample
    assert paired == pytest.approx(graph / beside, rel=0.5)  # the same ratio, from pairs rather than medians
    assert "ratios (same run)" in console.export_text()


def test_the_paired_ratio_keeps_steady_through_a_slow_spell():
    # the machine is twice as slow during repetitions 3-5: both members of those pairs slow down
    ours = Measurement("ours", [1.1, 1.1, 2.2, 2.2, 2.2, 1.1, 1.1])
    reference = Measurement("reference", [1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 2.0])
    assert paired_ratio(ours, reference) == pytest.approx(1.1)
    assert ours.median / reference.median == pytest.approx(0.55)  # what a ratio of medians would say


class _CountingArray(np.ndarray):
    """An array that adds 2·m·k·n to ``flops`` for every matrix product it takes part in."""

    flops = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) for x in inputs]
        if ufunc is np.matmul:
            a, b = plain
            _CountingArray.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        return getattr(ufunc, method)(*plain, **kwargs)


def test_the_matrix_products_alone_are_exactly_the_executed_flops():
    rng = np.random.default_rng(0)
    sizes, n_samples, batch = [7, 5, 4, 3], 23, 8  # a short last batch too
    weights = [rng.uniform(size=(n_out, n_in)) for n_in, n_out in itertools.pairwise(sizes)]
    X = rng.uniform(size=(n_samples, sizes[0])).view(_CountingArray)
    _CountingArray.flops = 0
    products_epoch_case(weights, X, batch)()
    assert _CountingArray.flops == executed_flops(sizes, n_samples)


def test_the_adam_yardstick_is_the_fast_paths_adam():
    rng = np.random.default_rng(0)
    X, T = rng.uniform(size=(40, 6)), rng.uniform(size=(40, 3))
    net = Network([6, 5, 3], seed=1)
    params = [(W.copy(), b.copy()) for W, b in net.get_params()]
    moments = [((np.zeros_like(W), np.zeros_like(W)), (np.zeros_like(b), np.zeros_like(b))) for W, b in params]
    step = reference_adam_epoch(params, moments, X, T, 0.01, 8, 0)
    step = reference_adam_epoch(params, moments, X, T, 0.01, 8, step)
    net.train(X, T, rate=0.01, epochs=2, batch_size=8, engine="fast", optimizer="adam")
    assert step == 10 == net.optimizer.counts()[0]
    for (W, b), (W_net, b_net) in zip(params, net.get_params(), strict=True):
        np.testing.assert_allclose(W, W_net, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b_net, rtol=1e-12, atol=1e-14)
    assert not np.allclose(params[0][0], Network([6, 5, 3], seed=1).get_params()[0][0])  # it did train


def test_the_paired_share_of_the_matmul_rate_holds_through_a_slow_spell():
    from graphnet.tools.bench import MATMUL_SIZE, _derive_ratios

    result = BenchResult(quick=True)
    sizes, n = [784, 30, 10], 4000
    flops = executed_flops(sizes, n)
    for dtype in ("float64", "float32"):
        key = f"784-30-10 batch 128 {dtype}"
        result.facts[f"matmul GFLOP/s {dtype}"] = 100.0
        # 40 GFLOP/s, then a spell at half speed in which the square product slows down too
        epoch = [flops / 40e9, 2 * flops / 40e9, 2 * flops / 40e9]
        square = [2 * MATMUL_SIZE**3 / 100e9, 2 * 2 * MATMUL_SIZE**3 / 100e9, 2 * 2 * MATMUL_SIZE**3 / 100e9]
        result.measurements[f"fast epoch {key}"] = Measurement("f", epoch, per=n, scale=1e6)
        result.measurements[f"numpy loop {key}"] = Measurement("n", epoch, per=n, scale=1e6)
        result.measurements[f"square matmul {MATMUL_SIZE} beside {key}"] = Measurement("s", square)
    _derive_ratios(result, [sizes], [128])
    info = result.measurements["fast epoch 784-30-10 batch 128 float64"].info
    assert info["share of matmul rate (paired)"] == pytest.approx(0.4)
    assert info["share of matmul rate"] == pytest.approx(0.2)  # the median repetition fell in the spell
    assert result.ratios["fast / numpy loop 784-30-10 batch 128 float64"] == pytest.approx(1.0)
