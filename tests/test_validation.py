"""The boundary checks: each refuses by name, saying what was expected and what was given."""

from pathlib import Path

import numpy as np
import pytest

from graphnet import GraphnetError, Network
from graphnet.math.errors import EmptyDataError, IncompatibleError, NonFiniteError, ShapeError, UnknownNameError
from graphnet.math.validation import (
    MAX_CONNECTIONS,
    as_float_array,
    check_bool,
    check_network_size,
    check_parameter,
    check_path,
    check_positive_number,
    check_range,
    check_scalar,
    check_seed,
)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ([1 + 2j], ShapeError, r"must hold real numbers; got complex values \(dtype complex128\)"),
        (np.array([1], dtype="m8[s]"), ShapeError, "must hold numbers; got an array of dtype timedelta64"),
        (np.array(["2020"], dtype="M8[D]"), ShapeError, "dtype datetime64"),
        ([b"ab"], ShapeError, "dtype \\|S2"),
        ([None], ShapeError, "dtype object"),
        ([[1, 2], [3]], ShapeError, "rectangular array of numbers; got list"),
        ([1.0, np.inf], NonFiniteError, r"must be finite; got inf at index \(1,\)"),
    ],
)
def test_as_float_array_refuses(data, error, message):
    with pytest.raises(error, match=message):
        as_float_array(data, name="x")


def test_as_float_array_accepts_bools_and_ints_and_checks_the_float32_range():
    assert as_float_array([True, False], name="x").tolist() == [1.0, 0.0]
    assert as_float_array(np.array([3], dtype=np.uint8), name="x").dtype == np.float64
    with pytest.raises(NonFiniteError, match=r"x must be within ±3.4e\+38 to compute in float32; got -1e\+39"):
        as_float_array([0.0, -1e39], name="x", dtype=np.float32)


@pytest.mark.parametrize("check", [check_positive_number, check_range, check_parameter])
def test_an_int_too_large_for_a_float_is_refused_by_name_not_by_overflow(check):
    # (found by the header fuzzer: l2 = a 70-digit int in a network file raised OverflowError)
    with pytest.raises(GraphnetError, match=r"l2 must be .*got 10{19}… \(401 characters\)") as caught:
        check(10**400, name="l2")
    assert isinstance(caught.value, ValueError)
    with pytest.raises(GraphnetError, match="finite|must be in"):
        check(-(10**400), name="l2")


def test_small_checks():
    assert check_bool(np.True_, name="b") is True
    for bad in ("no", 0, 1, None):
        with pytest.raises(IncompatibleError, match="b must be True or False; got"):
            check_bool(bad, name="b")
    check_seed(None), check_seed(3), check_seed(np.random.default_rng(0)), check_seed(np.int64(2))
    for bad in (-1, 1.5, "7", True, [1, 2]):
        with pytest.raises(IncompatibleError, match="seed must be None, a whole number ≥ 0 or a numpy Generator"):
            check_seed(bad)
    assert check_scalar(np.array([2.5]), name="s") == 2.5
    with pytest.raises(ShapeError, match=r"s must be one number; got an array of shape \(2,\)"):
        check_scalar([1, 2], name="s")
    assert check_path("a.npz") == Path("a.npz")
    for bad in (b"a.npz", 3, "", None):
        with pytest.raises(IncompatibleError, match="path must be"):
            check_path(bad)


def test_networks_too_big_for_the_object_graph_are_refused_before_building():
    check_network_size([1000, 1000, 10], bias=True)
    expected = (10_000 + 1) * 10_000 + (10_000 + 1) * 10  # (n_in + bias)·n_out per layer
    with pytest.raises(IncompatibleError, match=rf"would need {expected:,} connections.*at most 10,000,000"):
        Network([10_000, 10_000, 10])
    assert MAX_CONNECTIONS == 10_000_000


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bias": "no"}, IncompatibleError, "bias must be True or False; got 'no'"),
        ({"seed": -1}, IncompatibleError, "seed must be None, a whole number ≥ 0"),
        ({"seed": 1.5}, IncompatibleError, "seed must be"),
        ({"bias_init": [1, 2]}, ShapeError, "bias_init must be one number"),
        ({"activation": 123}, UnknownNameError, "unknown activation 123; known:"),
        ({"activation": None}, UnknownNameError, "unknown activation None"),
    ],
)
def test_constructor_arguments_are_checked(kwargs, error, message):
    with pytest.raises(error, match=message):
        Network([3, 4, 2], **kwargs)


def test_more_calls_are_checked():
    net = Network([3, 4, 2], seed=0)
    cases = [
        (lambda: Network(np.array(3)), ShapeError, "list of layer sizes"),
        (
            lambda: net.set_params(5),
            ShapeError,
            r"list of \(W, b\) pairs, one per layer \(2 for sizes=\[3, 4, 2\]\); got int",
        ),
        (lambda: net.node(3, 0), ShapeError, "layer must be a whole number 0 … 2; got 3"),
        (lambda: net.node(1, -1), ShapeError, "index must be a node index 0 … 3 of layer 1; got -1"),
        (lambda: net.vectorized("abc"), IncompatibleError, "dtype must be numpy.float64 or numpy.float32; got 'abc'"),
        (lambda: net.vectorized(np.int32), IncompatibleError, "got int32"),
        (
            lambda: net.loss(np.zeros((1, 3)), np.zeros((1, 2)), engine=np.array([1, 2])),
            IncompatibleError,
            "engine must be",
        ),
        (
            lambda: net.loss(np.zeros((1, 3)), np.zeros((1, 2)), reduction=["mean"]),
            IncompatibleError,
            "reduction must be",
        ),
        (
            lambda: net.train(np.zeros((1, 3)), np.zeros((1, 2)), rate=0.1, shuffle="yes"),
            IncompatibleError,
            "shuffle must be True or False",
        ),
        (lambda: net.train(np.zeros((1, 3)), np.zeros((1, 2)), rate=0.1, seed=-3), IncompatibleError, "seed must be"),
        (lambda: net.predict(np.zeros((0, 3))), EmptyDataError, r"expected at least one row; got shape \(0, 3\)"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message) as info:
            call()
        assert isinstance(info.value, GraphnetError)
