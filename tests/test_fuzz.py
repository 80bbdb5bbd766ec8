"""Fuzzing the public API: whatever a person can type, only a clear GraphnetError may come out.

Random sizes, shapes and dtypes (ints, bools, float16/32/64, complex, strings, bytes, Python
objects), NaN and inf, huge and tiny numbers, empty arrays, wrong lengths and plain junk go
into every public entry point of both paths, and random or damaged bytes go into ``load``.
Each call must either succeed with finite results or raise a :class:`GraphnetError` that is
also the matching builtin (``ValueError``, and ``KeyError``, ``FileNotFoundError``,
``OverflowError`` or ``ArithmeticError`` where that is the meaning) with a one-line
message saying what was expected and what was given.  Warnings are errors in this suite,
so a numpy RuntimeWarning fails too.

The examples are counted; the last test checks that at least :data:`MIN_CASES` ran.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graphnet import GraphnetError, History, Network
from graphnet.math.errors import MissingFileError, NumericalOverflowError, TrainingDiverged, UnknownNameError

MIN_CASES = 2000
CASES: Counter[str] = Counter()
#: max_examples of every fuzz test; their sum is what a full run of this module tries.
EXAMPLES = {
    "construct": 400,
    "graph_calls": 450,
    "fast_calls": 450,
    "train": 300,
    "params": 250,
    "load": 300,
}


def fuzz(name: str) -> settings:
    """The settings of one fuzz test: its number of examples, no deadline, no health checks."""
    return settings(max_examples=EXAMPLES[name], deadline=None, suppress_health_check=list(HealthCheck))


#: Each error class and the builtin it must also be.
MATCHING_BUILTIN = {
    UnknownNameError: KeyError,
    MissingFileError: FileNotFoundError,
    NumericalOverflowError: OverflowError,
    TrainingDiverged: ArithmeticError,
}
#: Words by which a message states what was expected or what was given.
EXPECTED_OR_GIVEN = re.compile(
    r"got|given|expect|must|needs|known:|no such|not a|only|refus|beyond|within|overflow|diverged", re.I
)


def check_error(error: GraphnetError) -> None:
    assert isinstance(error, ValueError)
    for cls, builtin in MATCHING_BUILTIN.items():
        if isinstance(error, cls):
            assert isinstance(error, builtin), (type(error), builtin)
    message = str(error)
    assert message and "\n" not in message, repr(message)
    assert EXPECTED_OR_GIVEN.search(message), message


def check_finite(result: object) -> None:
    """A result that is returned is free of NaN and inf (no silent NaN)."""
    if isinstance(result, History):
        assert all(math.isfinite(v) for v in result.losses)
    elif isinstance(result, np.ndarray):
        assert np.isfinite(result).all()
    elif isinstance(result, float):
        assert math.isfinite(result)
    elif isinstance(result, list | tuple):
        for item in result:
            check_finite(item)


def attempt(call, *args, **kwargs) -> object:
    """Run one public call: a finite result, or a clear GraphnetError; anything else fails the test."""
    try:
        result = call(*args, **kwargs)
    except GraphnetError as error:
        check_error(error)
        return None
    check_finite(result)
    return result


# ---------------------------------------------------------------------- strategies
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.just(object()),
    st.just({}),
    st.just({"a": 1}),
    st.just([[1.0, 2.0], [3.0]]),
    st.lists(st.integers(-3, 3), max_size=3),
    st.just(np.array([1.0, 2.0])),
    st.just(np.float64("nan")),
)
FLOATS = st.one_of(
    st.floats(-3, 3),
    st.floats(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e300, -1e300, 1.7e308, 5e-324, math.nan, math.inf, -math.inf]),
)
NUMERIC_DTYPES = [np.float64] * 6 + [np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_]
OTHER_DTYPES = [np.complex128, np.dtype("U3"), np.dtype("S2"), np.dtype("datetime64[s]"), np.dtype("m8[s]")]


def elements_for(dtype: np.dtype) -> st.SearchStrategy:
    if dtype.kind == "f":
        limit = float(np.finfo(dtype).max)
        return FLOATS.map(lambda v: v if not math.isfinite(v) or abs(v) <= limit else math.copysign(limit, v))
    if dtype.kind == "M" or dtype.kind == "m":
        return st.integers(-(10**6), 10**6).map(lambda v: np.array(v).astype(dtype)[()])
    return hnp.from_dtype(dtype)


@st.composite
def arrays_near(draw, shape: tuple[int, ...]) -> object:
    """Mostly arrays of the right shape and a numeric dtype; sometimes any shape, dtype or container."""
    chosen = draw(
        st.one_of(
            st.just(shape),
            st.just(shape),
            st.just(shape),
            st.lists(st.integers(0, 5), max_size=3).map(tuple),
        )
    )
    kind = draw(st.sampled_from(["numeric"] * 8 + ["other", "object", "junk"]))
    if kind == "junk":
        return draw(JUNK)
    if kind == "object":
        return draw(hnp.arrays(object, chosen, elements=st.one_of(st.none(), st.floats(), st.text(max_size=2))))
    dtype = np.dtype(draw(st.sampled_from(NUMERIC_DTYPES if kind == "numeric" else OTHER_DTYPES)))
    array = draw(hnp.arrays(dtype, chosen, elements=elements_for(dtype)))
    container = draw(st.sampled_from(["array"] * 3 + ["list"]))
    return array.tolist() if container == "list" and dtype.kind in "fiub" else array


HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
OUTPUT_PAIRS = [
    *[(a, loss) for a in HIDDEN for loss in ("squared_error", "mean_squared_error")],
    ("softmax", "squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
    ("step", "squared_error"),
]


@st.composite
def networks(draw) -> Network:
    """A small valid network of any kind (step outputs included: they predict but refuse to train)."""
    n_layers = draw(st.integers(2, 4))
    sizes = draw(st.lists(st.integers(1, 4), min_size=n_layers, max_size=n_layers))
    output, loss = draw(st.sampled_from(OUTPUT_PAIRS))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    return Network(
        sizes,
        activation=draw(st.sampled_from(HIDDEN)),
        output_activation=output,
        loss=loss,
        bias=draw(st.booleans()),
        init=draw(st.sampled_from(["uniform", "normal", "xavier", "he"])),
        l2=draw(st.sampled_from([0.0, 0.01])),
        seed=draw(st.integers(0, 3)),
    )


def data_for(net: Network) -> st.SearchStrategy:
    n = st.integers(0, 5)
    return n.flatmap(
        lambda rows: st.tuples(
            arrays_near((rows, net.sizes[0])),
            arrays_near((rows, net.sizes[-1])),
        )
    )


def maybe_junk(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, valid, JUNK)


# ---------------------------------------------------------------------- the fuzz tests
@fuzz("construct")
@given(
    sizes=st.one_of(
        st.lists(st.integers(-2, 5), min_size=0, max_size=4),
        st.lists(st.sampled_from([1, 2, 3, 2.5, "3", None, True, 10**7, np.int64(3), -(10**30)]), max_size=4),
        st.just(np.array([3, 2])),
        st.just(np.array(3)),
        st.just(np.array([[3, 2]])),
        JUNK,
    ),
    activation=maybe_junk(
        st.one_of(st.sampled_from([*HIDDEN, "softmax", "step", "sigmod"]), st.lists(st.sampled_from(HIDDEN)))
    ),
    output_activation=maybe_junk(st.sampled_from([None, *HIDDEN, "softmax", "step"])),
    loss=maybe_junk(st.sampled_from(["squared_error", "mse", "bce", "cross_entropy", "hinge"])),
    bias=maybe_junk(st.booleans()),
    init=maybe_junk(st.sampled_from(["uniform", "normal", "xavier", "glorot", "he", "zeros"])),
    bias_init=maybe_junk(FLOATS),
    l2=maybe_junk(FLOATS),
    seed=maybe_junk(st.integers(-2, 2**40)),
)
def test_fuzz_construct(sizes, activation, output_activation, loss, bias, init, bias_init, l2, seed):
    CASES["construct"] += 1
    net = attempt(
        Network,
        sizes,
        activation=activation,
        output_activation=output_activation,
        loss=loss,
        bias=bias,
        init=init,
        bias_init=bias_init,
        l2=l2,
        seed=seed,
    )
    if net is not None:
        assert isinstance(net, Network) and np.isfinite(net.get_flat_params()).all()


@fuzz("graph_calls")
@given(data=st.data(), net=networks())
def test_fuzz_graph_calls(data, net):
    CASES["graph_calls"] += 1
    X, T = data.draw(data_for(net))
    x = data.draw(arrays_near((net.sizes[0],)))
    t = data.draw(arrays_near((net.sizes[-1],)))
    labels = data.draw(st.one_of(arrays_near((5,)), st.lists(st.integers(-1, 4), max_size=5)))
    reduction = data.draw(maybe_junk(st.sampled_from(["mean", "sum", "avg"])))
    engine = data.draw(maybe_junk(st.sampled_from(["graph", "fast", "gpu"])))
    attempt(net.predict, x)
    attempt(net.predict, X)
    if attempt(net.forward, x) is not None:
        attempt(net.backward, t)
        attempt(net.gradients)
    attempt(net.gradients, X, T, reduction=reduction)
    attempt(net.update, data.draw(maybe_junk(FLOATS)))
    attempt(net.loss, X, T, reduction=reduction, engine=engine)
    attempt(net.accuracy, X, labels, engine=engine)
    attempt(net.node, data.draw(maybe_junk(st.integers(-1, 5))), data.draw(maybe_junk(st.integers(-1, 5))))
    attempt(net.vectorized, data.draw(st.sampled_from([np.float64, np.float32, np.int32, "float32", "abc", None, 3])))
    assert np.isfinite(net.get_flat_params()).all()


@fuzz("fast_calls")
@given(data=st.data(), net=networks(), dtype=st.sampled_from([np.float64, np.float64, np.float32]))
def test_fuzz_fast_calls(data, net, dtype):
    CASES["fast_calls"] += 1
    fast = net.vectorized(dtype)
    X, T = data.draw(data_for(net))
    labels = data.draw(st.one_of(arrays_near((5,)), st.lists(st.integers(-1, 4), max_size=5)))
    reduction = data.draw(maybe_junk(st.sampled_from(["mean", "sum"])))
    attempt(fast.predict, X)
    attempt(fast.predict, data.draw(arrays_near((net.sizes[0],))))
    attempt(fast.backward, T, reduction=reduction)  # maybe before any forward
    if attempt(fast.forward, X) is not None:
        attempt(fast.backward, T, reduction=reduction)
        attempt(fast.gradients)
    attempt(fast.gradients, X, T, reduction=reduction)
    attempt(fast.update, data.draw(maybe_junk(FLOATS)))
    attempt(fast.loss, X, T, reduction=reduction)
    attempt(fast.accuracy, X, labels)
    attempt(
        fast.train,
        X,
        T,
        rate=data.draw(maybe_junk(st.floats(1e-3, 10))),
        epochs=data.draw(maybe_junk(st.integers(0, 2))),
        batch_size=data.draw(maybe_junk(st.sampled_from([None, 1, 2, 7]))),
        shuffle=data.draw(maybe_junk(st.booleans())),
        seed=data.draw(maybe_junk(st.integers(0, 3))),
    )
    assert np.isfinite(net.get_flat_params()).all()


@fuzz("train")
@given(
    data=st.data(),
    net=networks(),
    rate=maybe_junk(st.one_of(st.floats(1e-3, 10), st.sampled_from([1e3, 1e300, 0.0, -1.0]))),
    epochs=maybe_junk(st.integers(0, 3)),
    batch_size=maybe_junk(st.sampled_from([None, 1, 2, 3, 100, 0, -1])),
    reduction=maybe_junk(st.sampled_from(["mean", "sum", "median"])),
    shuffle=maybe_junk(st.booleans()),
    seed=maybe_junk(st.integers(-1, 5)),
    engine=maybe_junk(st.sampled_from(["graph", "fast", "cuda"])),
    track_loss=maybe_junk(st.booleans()),
    checkpoint_every=maybe_junk(st.integers(0, 3)),
    use_checkpoint=st.booleans(),
)
def test_fuzz_train(
    data, net, rate, epochs, batch_size, reduction, shuffle, seed, engine, track_loss, checkpoint_every, use_checkpoint
):
    CASES["train"] += 1
    X, T = data.draw(data_for(net))
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "run.ckpt" if use_checkpoint else None
        attempt(
            net.train,
            X,
            T,
            rate=rate,
            epochs=epochs,
            batch_size=batch_size,
            reduction=reduction,
            shuffle=shuffle,
            seed=seed,
            engine=engine,
            track_loss=track_loss,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
        )
        if checkpoint is not None and checkpoint.exists():
            attempt(net.train, X, T, rate=rate, epochs=epochs, batch_size=batch_size, resume=checkpoint)
    assert np.isfinite(net.get_flat_params()).all()


@fuzz("params")
@given(data=st.data(), net=networks())
def test_fuzz_params(data, net):
    CASES["params"] += 1
    valid = net.get_params()
    pairs = [
        (
            data.draw(st.one_of(st.just(W), arrays_near(W.shape))),
            data.draw(st.one_of(st.just(b), st.none(), arrays_near((W.shape[0],)))),
        )
        for W, b in valid
    ]
    params = data.draw(
        st.one_of(
            st.just(pairs),
            st.just(pairs[:-1]),
            st.just([*pairs, pairs[0]]),
            st.just([list(p) for p in pairs]),
            st.just([(p[0],) for p in pairs]),
            JUNK,
        )
    )
    attempt(net.set_params, params)
    attempt(net.set_flat_params, data.draw(arrays_near((net.n_parameters,))))
    attempt(net.loss_and_gradient, data.draw(arrays_near((net.n_parameters,))), *data.draw(data_for(net)))
    assert np.isfinite(net.get_flat_params()).all()


VALID_FILE = {}


def valid_file_bytes() -> bytes:
    if not VALID_FILE:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "net.npz"
            Network([3, 4, 2], activation="leaky_relu", seed=0).save(path)
            VALID_FILE["bytes"] = path.read_bytes()
    return VALID_FILE["bytes"]


@st.composite
def file_contents(draw) -> bytes:
    """Random bytes, or a valid file truncated, extended and with random bytes changed."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=600))
    content = bytearray(valid_file_bytes())
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(content) - 1))
        content[position] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(content)))
    return bytes(content[:cut]) + draw(st.binary(max_size=8))


@fuzz("load")
@given(content=file_contents(), path_kind=st.sampled_from(["file", "file", "file", "missing", "folder", "junk"]))
def test_fuzz_load(content, path_kind):
    CASES["load"] += 1
    with tempfile.TemporaryDirectory() as folder:
        path: object = Path(folder) / "net.npz"
        if path_kind == "file":
            Path(path).write_bytes(content)
        elif path_kind == "folder":
            path = folder
        elif path_kind == "junk":
            path = content[:3] if content else None
        net = attempt(Network.load, path)
    if net is not None:
        assert np.isfinite(net.get_flat_params()).all()


def test_fuzz_ran_enough_cases():
    """Counted over this module's fuzz tests in this process (skipped when only some of them ran)."""
    if set(CASES) != set(EXAMPLES):
        import pytest

        pytest.skip(f"only {sorted(CASES)} of the fuzz tests ran")
    assert sum(EXAMPLES.values()) >= MIN_CASES
    assert sum(CASES.values()) >= MIN_CASES, CASES
