"""Memory of whole-data-set calls on the fast path (issue 15, class 7), and the numbers staying the same.

The peaks are measured by tracemalloc (numpy reports its buffers to it) with the same code as
``scripts/measure_memory.py``, on scaled-down cases: a tenth of MNIST's 60,000 x 784 float32
rows for the epoch, a twentieth through 784-300-300-10 for the evaluations, with the chunk
budget scaled down with them (2 MiB instead of 32 MiB), so the chunking is what is measured.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tracemalloc
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graphnet import Network
from graphnet.common.schedule import EpochSchedule
from graphnet.fast import evaluation
from graphnet.fast.evaluation import row_chunks
from graphnet.math import validation
from graphnet.math.errors import NonFiniteError, NumericalOverflowError
from graphnet.math.validation import all_finite, as_float_array, as_rows

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "measure_memory.py"
SLACK = 2**20  # bytes: Python objects, the weights' copies and the per-sample arrays of a small case


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("measure_memory", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("measure_memory", module)  # (its dataclass looks its module up)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    budget = 2 * 2**20
    monkeypatch.setattr(evaluation, "EVALUATION_BYTES", budget)
    return budget


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("case", "sizes", "n_samples"),
    [
        ("epoch", [784, 30, 10], 6000),
        ("accuracy", [784, 300, 300, 10], 3000),
        ("loss", [784, 300, 300, 10], 3000),
        ("predict", [784, 300, 300, 10], 3000),
    ],
)
def test_whole_data_set_calls_peak_under_twice_the_data(
    small_budget: int, case: str, sizes: list[int], n_samples: int, dtype: str
) -> None:
    peak = load_script().measure(case, n_samples=n_samples, dtype=dtype, sizes=sizes)
    assert peak.data_bytes == n_samples * sizes[0] * 4
    # before chunking: 4.3x (epoch, float64) and 5.8x (the evaluations, float64)
    assert peak.traced_bytes <= 2 * peak.data_bytes + SLACK, f"{case} {dtype}: {peak.traced_ratio:.2f}x the data"


def test_the_script_prints_the_peaks_as_multiples_of_the_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_script().main(["--samples", "300", "--case", "epoch", "--dtype", "float32"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "x data" in lines[0] and lines[1].split()[:3] == ["epoch", "784-30-10", "float32"]
    assert float(lines[1].split()[3]) == pytest.approx(300 * 784 * 4 / 1e6, abs=0.05)


def test_a_shuffled_epoch_does_not_copy_the_data() -> None:
    X = np.random.default_rng(0).random((20_000, 100))
    T = np.zeros((20_000, 1))
    tracemalloc.start()
    schedule = EpochSchedule.draw(X, T, 32, shuffle=True, rng=np.random.default_rng(1))
    batch = schedule.inputs[schedule.rows(3)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 20  # the order (160 kB) and one batch, not a reordered X (16 MB)
    np.testing.assert_array_equal(batch, X[schedule.order][schedule.rows(3)])


@settings(max_examples=200)
@given(n=st.integers(1, 60), size=st.integers(1, 70), seed=st.integers(0, 2**32 - 1), shuffle=st.booleans())
def test_batches_are_the_rows_of_the_reordered_data(n: int, size: int, seed: int, shuffle: bool) -> None:
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    T = np.arange(n, dtype=np.float64).reshape(n, 1)
    schedule = EpochSchedule.draw(X, T, size, shuffle=shuffle, rng=np.random.default_rng(seed))
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    seen = []
    for number in range(schedule.n_batches):
        rows = schedule.rows(number)
        np.testing.assert_array_equal(schedule.inputs[rows], X[order][rows])
        np.testing.assert_array_equal(schedule.targets[rows], T[order][rows])
        assert schedule.inputs[rows].dtype == X.dtype
        seen.extend(schedule.samples(number).tolist())
    assert seen == order.tolist() and len(schedule.inputs) == n


@settings(max_examples=300)
@given(n=st.integers(0, 20_000), row_bytes=st.integers(1, 10**6), budget=st.integers(1, 10**8))
def test_row_chunks_cover_the_rows_in_near_equal_chunks_within_the_budget(n: int, row_bytes: int, budget: int) -> None:
    chunks = row_chunks(n, row_bytes, budget)
    most = max(evaluation.MIN_CHUNK_ROWS, budget // row_bytes)
    assert chunks[0].start == 0 and chunks[-1].stop == n
    assert all(a.stop == b.start for a, b in itertools.pairwise(chunks))
    lengths = [c.stop - c.start for c in chunks]
    assert max(lengths) <= most and max(lengths) - min(lengths) <= 1
    assert len(chunks) == 1 or min(lengths) >= most // 2
    assert len(chunks) == max(1, -(-n // most))


def test_chunked_evaluation_gives_the_one_pass_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    X = rng.random((1000, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 1000)
    T = np.eye(3)[labels]
    net = Network([6, 5, 3], seed=2, output_activation="softmax", loss="categorical_cross_entropy", l2=0.01)
    results = {}
    for budget, min_rows in ((10**9, 256), (1, 7)):  # one pass, then chunks of 7 or 8 rows
        monkeypatch.setattr(evaluation, "EVALUATION_BYTES", budget)
        monkeypatch.setattr(evaluation, "MIN_CHUNK_ROWS", min_rows)
        fast = net.vectorized()
        losses = fast.sample_losses(X, T)  # (the training loop's call, on validated data)
        results[budget] = (fast.predict(X), fast.accuracy(X, labels), fast.loss(X, T, reduction="sum"), losses)
    (one_pass, chunked) = results.values()
    np.testing.assert_allclose(chunked[0], one_pass[0], rtol=1e-13)  # BLAS may round a row differently
    assert chunked[1] == one_pass[1]
    assert chunked[2] == pytest.approx(one_pass[2], rel=1e-12)
    np.testing.assert_allclose(chunked[3], one_pass[3], rtol=1e-12)
    # and both are the graph's numbers (an independent computation, sample by sample)
    np.testing.assert_allclose(chunked[0][:40], net.predict(X[:40]), rtol=1e-12)  # (the graph predicts)
    assert chunked[2] == pytest.approx(net.loss(X, T, reduction="sum", engine="graph"), rel=1e-10)


def test_a_chunked_pass_names_the_bad_sample_by_its_row_in_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluation, "EVALUATION_BYTES", 1)
    monkeypatch.setattr(evaluation, "MIN_CHUNK_ROWS", 10)
    X = np.ones((100, 2))
    X[73] = 1e308
    net = Network([2, 2], activation="identity", seed=0)
    net.set_params([(np.ones((2, 2)), np.zeros(2))])  # 1e308 + 1e308 overflows
    fast = net.vectorized()
    for call in (lambda: fast.predict(X), lambda: fast.accuracy(X, np.zeros(100)), lambda: fast.loss(X, X)):
        with pytest.raises(NumericalOverflowError, match="the outputs for sample 73 must be finite"):
            call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("batch_size", "shuffle"), [(1, True), (5, True), (16, False), (None, False)])
def test_float32_data_trains_as_if_converted_first(dtype: type, batch_size: int | None, shuffle: bool) -> None:
    rng = np.random.default_rng(4)
    X = rng.random((90, 5)).astype(np.float32) * 3
    T = rng.random((90, 2))
    runs = []
    for data in (X, X.astype(dtype)):  # kept as float32 and converted batch by batch; converted up front
        net = Network([5, 4, 2], seed=1)
        history = net.vectorized(dtype).train(
            data, T, rate=0.2, epochs=3, batch_size=batch_size, shuffle=shuffle, seed=7, optimizer="adam"
        )
        runs.append((history.losses, net.get_flat_params()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def validated_batch(data: np.ndarray, n: int, *, name: str, sizes: list[int], **options: object) -> np.ndarray:
    return as_rows(as_float_array(data, name=name, **options), n, name=name, sizes=sizes)


def test_as_float_array_keeps_data_that_converts_exactly_and_converts_the_rest() -> None:
    sizes = [3, 1]
    float32 = np.ones((4, 3), dtype=np.float32)
    assert validated_batch(float32, 3, name="X", sizes=sizes, convert=False) is float32
    assert validated_batch(float32, 3, name="X", sizes=sizes).dtype == np.float64  # (the default converts, as before)
    integers = np.arange(12, dtype=np.int64).reshape(4, 3)
    assert validated_batch(integers, 3, name="X", sizes=sizes, convert=False) is integers
    assert validated_batch(integers, 3, name="X", sizes=sizes, dtype=np.float32, convert=False) is integers
    wide = np.ones((4, 3))
    assert validated_batch(wide, 3, name="X", sizes=sizes, dtype=np.float32, convert=False).dtype == np.float32
    wide[2, 1] = 1e300  # float64 → float32 may overflow: converted and checked at once
    with pytest.raises(NonFiniteError, match=r"within ±3.4e\+38 to compute in float32; got 1e\+300 at index \(2, 1\)"):
        validated_batch(wide, 3, name="X", sizes=sizes, dtype=np.float32, convert=False)
    float32[3, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"X must be finite; got nan at index \(3, 2\)"):
        validated_batch(float32, 3, name="X", sizes=sizes, convert=False)
    assert validated_batch(float32, 3, name="X", sizes=sizes, convert=False, finite=False) is float32


@settings(max_examples=300)
@given(
    values=hnp.arrays(
        dtype=st.sampled_from([np.float16, np.float32, np.float64]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
        elements={"allow_nan": True, "allow_infinity": True},
    ),
    chunk=st.integers(1, 9),
)
def test_all_finite_agrees_with_isfinite_in_small_steps(values: np.ndarray, chunk: int) -> None:
    original = validation.FINITE_CHECK_CHUNK
    validation.FINITE_CHECK_CHUNK = chunk  # (not a fixture: hypothesis runs the body many times)
    try:
        assert all_finite(values) == bool(np.isfinite(values).all())
    finally:
        validation.FINITE_CHECK_CHUNK = original


@settings(max_examples=200)
@given(
    arrays=st.lists(
        hnp.arrays(
            dtype=st.sampled_from([np.float32, np.float64]),
            shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=5),
            elements={"allow_nan": True, "allow_infinity": True},
        ),
        max_size=4,
    )
)
def test_all_finite_of_several_arrays_is_every_arrays_verdict(arrays: list[np.ndarray]) -> None:
    assert all_finite(*arrays) == all(bool(np.isfinite(values).all()) for values in arrays)


def test_all_finite_takes_no_temporary_of_the_arrays_size_when_the_sum_overflows() -> None:
    values = np.full((4000, 1000), 3e38, dtype=np.float32)  # finite, but the float32 sum is inf
    tracemalloc.start()
    assert all_finite(values)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < values.size / 2  # np.isfinite(values) would take 4 MB of booleans
