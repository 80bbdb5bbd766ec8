"""The fast path's fused plain-SGD loops: the generic path's numbers (to rounding), in kept arrays."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphnet import Network


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(40, 6)), rng.uniform(size=(40, 3))


@pytest.mark.parametrize("batch_size", [1, 8, 40])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_fused_sgd_gives_the_generic_layer_by_layer_numbers(data, batch_size, activation):
    X, T = data
    net = Network([6, 5, 4, 3], seed=1, activation=activation)
    twin = Network([6, 5, 4, 3], seed=1, activation=activation)
    net.train(X, T, rate=0.3, epochs=2, batch_size=batch_size, engine="fast", track_loss=False)
    fast = twin.vectorized()  # the same updates through backward() and update(), one batch at a time
    for _ in range(2):
        for start in range(0, 40, batch_size):
            fast.forward(X[start : start + batch_size])
            fast.backward(T[start : start + batch_size])
            fast.update(0.3)
    np.testing.assert_allclose(net.get_flat_params(), twin.get_flat_params(), rtol=1e-13, atol=1e-15)


def test_after_training_the_gradients_are_the_last_batchs(data):
    X, T = data
    net = Network([6, 5, 3], seed=1)
    net.train(X, T, rate=0.3, batch_size=8, engine="fast")  # the loss pass runs after the last batch
    last = net.vectorized().gradients()
    before = Network([6, 5, 3], seed=1)
    before.train(X[:32], T[:32], rate=0.3, batch_size=8, engine="fast")
    expected = before.vectorized().gradients(X[32:], T[32:])
    for (dW, db), (dW_expected, db_expected) in zip(last, expected, strict=True):
        np.testing.assert_array_equal(dW, dW_expected)
        np.testing.assert_array_equal(db, db_expected)


def test_training_updates_the_weights_in_place_in_kept_arrays(data):
    X, T = data
    fast = Network([6, 5, 3], seed=1).vectorized()
    fast.train(X, T, rate=0.3, batch_size=8, track_loss=False)
    W, kept = fast.layers[0].W, fast.layers[0].buffers(8)
    fast.train(X, T, rate=0.3, batch_size=8, track_loss=False)
    assert fast.layers[0].W is W  # updated in place
    assert all(a is b for a, b in zip(fast.layers[0].buffers(8), kept, strict=True))  # no new arrays per batch


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 130),
    columns=st.integers(1, 40),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_sum_is_the_sum_over_the_rows(rows, columns, dtype, seed):
    layer = Network([3, columns], seed=0).vectorized(dtype).layers[0]
    values = np.random.default_rng(seed).normal(size=(rows, columns)).astype(dtype)
    total = layer.row_sum(values)
    assert total.shape == (columns,) and total.dtype == dtype
    exact = values.astype(np.float64).sum(axis=0)
    bound = rows * np.finfo(dtype).eps * np.abs(values.astype(np.float64)).sum(axis=0)  # any order of adding
    assert np.all(np.abs(total - exact) <= bound + np.finfo(dtype).tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_the_fused_forward_and_deltas_are_the_layer_methods_bit_for_bit(data, dtype, activation):
    from graphnet.fast.dense import output_delta, sgd_backward, train_forward

    X, T = (a.astype(dtype) for a in data)
    X = X * 8.0 - 4.0  # net inputs on both sides of 0, some saturating
    fused, plain = (Network([6, 5, 4, 3], seed=2, activation=activation).vectorized(dtype) for _ in range(2))
    with np.errstate(over="ignore"):
        train_forward(fused.layers, X)
        plain.forward(X)
    for a, b in zip(fused.layers, plain.layers, strict=True):
        np.testing.assert_array_equal(a.Z, b.Z)
        np.testing.assert_array_equal(a.Y, b.Y)
    loss, top = fused.loss_function, fused.layers[-1]
    np.testing.assert_array_equal(
        output_delta(top, loss, T, canonical=False), top.derivative() * loss.output_gradient_array(top.Y, T)
    )
    assert sgd_backward(fused.layers, output_delta(top, loss, T, canonical=False), 0.1, 1 / 40) is None
    plain.backward(T, reduction="mean")
    for a, b in zip(fused.layers, plain.layers, strict=True):
        np.testing.assert_array_equal(a.delta, b.delta)  # (each layer's δ before its update)
    for below, above in itertools.pairwise(plain.layers):  # δ = f′(Z)·(δ_above·W_above), written out
        np.testing.assert_array_equal(below.delta, below.derivative() * (above.delta @ above.W))


@pytest.mark.parametrize("first", ["dW", "weight_sum"])
def test_the_last_gradients_do_not_depend_on_what_is_read_first(data, first):
    X, T = data
    fast = Network([6, 5, 3], seed=1).vectorized()
    fast.train(X, T, rate=0.3, batch_size=7, track_loss=False)  # last batch: 5 rows, scale 1/5
    layer = fast.layers[0]
    if first == "weight_sum":
        assert layer.weight_sum.shape == layer.W.shape  # (formed from the last batch's δ and X)
    dW = layer.dW
    twin = Network([6, 5, 3], seed=1).vectorized()
    twin.train(X, T, rate=0.3, batch_size=7, track_loss=False)
    np.testing.assert_array_equal(dW, twin.layers[0].dW)
    np.testing.assert_allclose(layer.weight_sum / 5, dW, rtol=1e-14)
