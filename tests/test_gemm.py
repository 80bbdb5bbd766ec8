"""The one-gemm update W ← W − Sᵀ·X against numpy's product-then-subtraction."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphnet import Network
from graphnet.fast import dense, gemm
from graphnet.fast.gemm import FUSED_UPDATE_BYTES, bundled_gemms, subtract_product
from graphnet.fast.threads import bundled_libraries


def _two_steps(W, S, X):
    expected = W.copy()
    expected -= S.T @ X
    return expected


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 40),
    k=st.integers(1, 40),
    n=st.integers(1, 40),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_one_gemm_equals_the_product_then_the_subtraction(m, k, n, dtype, seed):
    rng = np.random.default_rng(seed)
    W, S, X = (rng.normal(size=shape).astype(dtype) for shape in ((m, k), (n, m), (n, k)))
    expected = _two_steps(W, S, X)
    magnitude = np.abs(S.T).astype(np.float64) @ np.abs(X) + np.abs(W)
    subtract_product(W, S, X, np.empty_like(W))
    assert W.dtype == dtype
    # both are the sums of n products and one subtraction, perhaps added in another order:
    # each is within (n + 1)·u·(Σ|s·x| + |w|) of the exact value
    bound = 2 * (n + 1) * np.finfo(dtype).eps / 2 * magnitude
    assert (np.abs(W.astype(np.float64) - expected) <= bound).all()


def test_arrays_the_gemm_cannot_take_go_through_numpy():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 5))
    S = rng.normal(size=(8, 6))[::2]  # not C-contiguous
    X = rng.normal(size=(4, 5)).astype(np.float32)  # another dtype
    expected = _two_steps(W, S, X)
    subtract_product(W, S, X, np.empty_like(W))
    np.testing.assert_array_equal(W, expected)


@pytest.mark.skipif(not bundled_libraries(), reason="numpy here does not bundle scipy_openblas")
def test_numpys_bundled_openblas_gives_both_gemms():
    assert set(bundled_gemms()) == {np.dtype(np.float32), np.dtype(np.float64)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_a_large_layer_through_the_one_gemm_gives_the_numbers_of_two_steps(dtype, monkeypatch):
    """At the bench's shapes the two orders agree bit for bit (a change in BLAS may break this first)."""
    rng = np.random.default_rng(3)
    X, T = rng.uniform(size=(40, 784)), np.eye(10)[rng.integers(0, 10, size=40)]

    def trained():
        net = Network([784, 90, 10], activation="sigmoid", seed=0)
        fast = net.vectorized(dtype)
        fast.train(X, T, rate=0.5, epochs=2, batch_size=16, seed=1)
        return np.concatenate([array.ravel() for layer in fast.layers for array in (layer.W, layer.b)])

    assert 90 * 784 * np.dtype(dtype).itemsize >= FUSED_UPDATE_BYTES  # layer 1 takes the one gemm
    calls = []
    found = dict(bundled_gemms())

    def counted(*args):
        calls.append(args[3:6])  # m, k, n
        return found[np.dtype(dtype)](*args)

    monkeypatch.setattr(gemm, "bundled_gemms", lambda: {**found, np.dtype(dtype): counted} if found else {})
    fused = trained()
    if found:
        assert calls == [(90, 784, 16), (90, 784, 16), (90, 784, 8)] * 2  # layer 1 only; 40 samples in batches of 16
    monkeypatch.setattr(dense, "FUSED_UPDATE_BYTES", np.inf)  # every layer: product, then subtraction
    assert trained().tobytes() == fused.tobytes()
    untrained = Network([784, 90, 10], activation="sigmoid", seed=0).vectorized(dtype)
    assert not np.array_equal(
        fused, np.concatenate([a.ravel() for layer in untrained.layers for a in (layer.W, layer.b)])
    )


def test_a_read_only_w_is_refused_as_numpy_refuses_it_not_written_through():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(400, 100))  # 320 KB: the size the gemm takes
    W.flags.writeable = False
    kept = W.copy()
    with pytest.raises(ValueError, match="read-only"):
        subtract_product(W, rng.normal(size=(3, 400)), rng.normal(size=(3, 100)), np.empty_like(W))
    np.testing.assert_array_equal(W, kept)
