"""Crafted files with a recomputed checksum: a checksum proves a file unchanged, not sound.

Every file here is a valid graphnet file changed on purpose (a header field, an array entry,
a member) and then given a correct SHA-256 again, so only the validator stands between it and
a network.  Loading must either give a sound network (finite parameters, finite optimizer
state, sums of squares ≥ 0, counts in range, a generator that draws) that trains without any
exception but graphnet's own, or refuse with FileFormatError; never anything else.
"""

from __future__ import annotations

import copy
import io
import json
import math
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphnet import GraphnetError, Network
from graphnet.math.errors import FileFormatError, UnknownNameError
from graphnet.math.lr_schedules import StepDecay
from graphnet.math.optimizers import RMSprop, get_optimizer
from graphnet.tools.fileformat import canonical_json, checksum, encode_rng_state
from graphnet.tools.io import load_checkpoint, read_header, resume_training
from graphnet.tools.networkheader import MAX_COUNT, NON_NEGATIVE_STATE, SIGNED_STATE

RNG = np.random.default_rng(15)
X = RNG.normal(size=(6, 3))
T = RNG.uniform(0.05, 0.95, size=(6, 2))
#: Training of the valid files: the same X, T as every resume here (the checkpoint knows their SHA-256).
TRAIN = {"rate": 0.05, "epochs": 2, "batch_size": 2, "shuffle": True, "seed": 5}


# ---------------------------------------------------------------------- reading and crafting members
def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def contents(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A file's header and arrays, read with numpy and json alone (not with graphnet's reader)."""
    with zipfile.ZipFile(path) as archive:
        arrays = {name[:-4]: np.lib.format.read_array(io.BytesIO(archive.read(name))) for name in archive.namelist()}
    header = json.loads(arrays.pop("header").tobytes())
    return header, arrays


def craft(
    path: Path,
    header: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    listed: list[Any] | None = None,
    extra: tuple[tuple[str, bytes], ...] = (),
) -> None:
    """Write ``header`` and ``arrays`` as graphnet does, with a checksum recomputed over the new contents.

    ``listed`` replaces the header's list of arrays (by default: the arrays as they are);
    ``extra`` adds raw members after them (a name already used gives a duplicate member).
    """
    header = dict(header)
    header["arrays"] = (
        [{"name": name, "dtype": array.dtype.str, "shape": list(array.shape)} for name, array in arrays.items()]
        if listed is None
        else listed
    )
    header.pop("checksum", None)
    header["checksum"] = {"algorithm": "sha256", "value": checksum(header, arrays)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("header.npy", npy(np.frombuffer(canonical_json(header), dtype=np.uint8)))
            for name, array in arrays.items():
                archive.writestr(f"{name}.npy", npy(array))
            for name, data in extra:
                archive.writestr(name, data)


# ---------------------------------------------------------------------- valid sources
def _trained(optimizer: Any, *, dropout: float = 0.25, seed: Any = 7, bias: bool = True) -> Network:
    net = Network([3, 4, 2], activation="leaky_relu", dropout=dropout, seed=seed, bias=bias, l2=0.001)
    net.train(X, T, optimizer=optimizer, **TRAIN)
    return net


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, dict[str, Any], dict[str, np.ndarray]]]:
    """Valid files by name: (kind, header, arrays); networks and checkpoints, with state and dropout."""
    folder = tmp_path_factory.mktemp("sources")
    made: dict[str, tuple[str, Path]] = {}
    _trained("adam").save(folder / "adam.npz")
    made["adam network"] = ("network", folder / "adam.npz")
    mt = np.random.Generator(np.random.MT19937(3))
    _trained(get_optimizer("nesterov"), seed=mt, bias=False).save(folder / "nesterov.npz")
    made["nesterov network, MT19937, no bias"] = ("network", folder / "nesterov.npz")
    rmsprop = RMSprop(decay=0.8, schedule=StepDecay(every=1, factor=0.5))
    net = Network([3, 4, 2], activation="tanh", dropout=0.25, seed=8)
    net.train(X, T, optimizer=rmsprop, checkpoint=folder / "rmsprop.ckpt", **TRAIN)
    made["rmsprop checkpoint"] = ("checkpoint", folder / "rmsprop.ckpt")
    net = Network([3, 4, 2], activation="relu", dropout=0.5, seed=np.random.Generator(np.random.Philox(2)))
    net.train(X, T, optimizer="adagrad", checkpoint=folder / "adagrad.ckpt", **TRAIN)
    made["adagrad checkpoint, Philox"] = ("checkpoint", folder / "adagrad.ckpt")
    net = Network([3, 4, 2], seed=np.random.Generator(np.random.SFC64(2)))
    net.train(X, T, optimizer="adam", checkpoint=folder / "adam.ckpt", **TRAIN)
    made["adam checkpoint, SFC64"] = ("checkpoint", folder / "adam.ckpt")
    return {name: (kind, *contents(path)) for name, (kind, path) in made.items()}


# ---------------------------------------------------------------------- the property
def assert_sound(net: Network) -> None:
    """What a loaded network must be: finite, state in range, counts in range, a generator that draws."""
    assert np.isfinite(net.get_flat_params()).all()
    for connection in net.connections:
        if connection.state is not None:
            for field, value in zip(connection.state.fields, connection.state.values(), strict=True):
                assert math.isfinite(value), (field, value)
                assert field not in NON_NEGATIVE_STATE or value >= 0.0, (field, value)
    assert 0 <= net.optimizer.step_count <= MAX_COUNT and 0 <= net.optimizer.epoch_count <= MAX_COUNT
    net.rng.random(3)


def loads_soundly_or_refuses(path: Path, kind: str) -> None:
    """Loading gives a sound network or FileFormatError (UnknownNameError: a custom name not passed)."""
    refused = (FileFormatError, UnknownNameError)
    try:
        header = read_header(path)
    except FileFormatError:
        header = None
    try:
        net = Network.load(path)
    except refused:
        net = None
    assert (header is None) <= (net is None)  # what read_header refuses, load refuses too
    if net is None:
        return
    assert_sound(net)
    try:  # using it raises graphnet's errors only (a diverging run: TrainingDiverged), never a bare one
        net.train(X, T, rate=0.01, epochs=1, batch_size=3, shuffle=True)
    except GraphnetError:
        pass
    if kind == "checkpoint" and header is not None and header["kind"] == "checkpoint":
        try:
            state = load_checkpoint(path)
        except refused:
            return
        assert_sound(state.network)
        assert 0 <= state.epoch <= MAX_COUNT
        try:
            resume_training(path, X, T, epochs=min(state.epoch + 1, 10))
        except GraphnetError:
            pass


# ---------------------------------------------------------------------- mutations
def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: dict keys and list indices, nested."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:8]):  # a generator key has 624 entries: the first few do
            found += paths_of(item, (*prefix, index))
    return found


INTERESTING_NUMBERS = [0, 1, -1, 2, 624, 625, 2**32, 2**53, 2**53 + 1, 2**64, 2**128, 10**400, -(10**400)]
INTERESTING_FLOATS = [0.0, -0.0, -1.0, 1.0, 0.5, 1.5, 1e-300, 5e-324, 1e308, -1e308, 0.9999999999]
NAMES = ["adam", "sgd", "rmsprop", "MT19937", "PCG64", "Evil", "relu", "softmax", "step", "network", "checkpoint", ""]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(INTERESTING_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(INTERESTING_FLOATS),
    st.sampled_from(NAMES),
    st.text(max_size=4),
)
json_values = st.one_of(
    scalars,
    st.lists(st.integers(-1, 2**64), max_size=6),
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["name", "config", "custom", "ndarray", "dtype", "x"]), scalars, max_size=3),
)
array_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1.0, -1e-300, -0.0, 1e308, -1e308, math.nan, math.inf, -math.inf]),
)


@st.composite
def header_change(draw: st.DrawFn, header: dict[str, Any]) -> dict[str, Any]:
    """The header with one place replaced by another JSON value, deleted, or nudged."""
    header = copy.deepcopy(header)
    where = draw(st.sampled_from([p for p in paths_of(header) if p[0] != "checksum"]))
    parent = header
    for step in where[:-1]:
        parent = parent[step]
    key, old = where[-1], parent[where[-1]]
    action = draw(st.sampled_from(["replace", "replace", "delete", "nudge"]))
    if action == "delete":
        del parent[key]
    elif action == "nudge" and isinstance(old, int | float) and not isinstance(old, bool):
        if isinstance(old, int):
            parent[key] = old * draw(st.sampled_from([-1, 2, 10**6, 10**400])) + draw(st.sampled_from([0, 1, -1]))
        else:
            new = old * draw(st.sampled_from([-1.0, 2.0, 0.5, 1e300, 1e-300]))
            parent[key] = new if math.isfinite(new) else -old
    else:
        parent[key] = draw(json_values)
    return header


@st.composite
def array_change(draw: st.DrawFn, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays with one entry replaced, or one array reshaped, retyped or removed."""
    arrays = {name: array.copy() for name, array in arrays.items()}
    name = draw(st.sampled_from(sorted(arrays)))
    action = draw(st.sampled_from(["entry", "entry", "entry", "reshape", "float32", "remove"]))
    if action == "entry":
        flat = arrays[name].reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(array_values)
    elif action == "reshape":
        arrays[name] = arrays[name].reshape(-1)[: draw(st.integers(0, arrays[name].size))].copy()
    elif action == "float32":
        arrays[name] = arrays[name].astype(np.float32)
    else:
        del arrays[name]
    return arrays


FUZZ = settings(max_examples=350, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("what", ["header field", "array"])
@FUZZ
@given(data=st.data())
def test_a_changed_header_field_or_array_loads_soundly_or_is_refused(sources, tmp_path_factory, what, data):
    kind, header, arrays = sources[data.draw(st.sampled_from(sorted(sources)))]
    if what == "header field":
        header = data.draw(header_change(header))
    else:
        arrays = data.draw(array_change(arrays))
    path = tmp_path_factory.getbasetemp() / f"crafted-{what.split()[0]}.npz"
    craft(path, header, arrays)
    loads_soundly_or_refuses(path, kind)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_several_changes_at_once_load_soundly_or_are_refused(sources, tmp_path_factory, data):
    kind, header, arrays = sources[data.draw(st.sampled_from(sorted(sources)))]
    for _ in range(data.draw(st.integers(1, 3))):
        header = data.draw(header_change(header))
    arrays = data.draw(array_change(arrays))
    listed = data.draw(st.one_of(st.none(), json_values.map(lambda value: [value])))
    extra = data.draw(st.sampled_from([(), (("W1.npy", npy(np.zeros((4, 3)))),), (("x.npy", npy(np.zeros(1))),)]))
    path = tmp_path_factory.getbasetemp() / "crafted-several.npz"
    craft(path, header, arrays, listed=listed, extra=extra)
    loads_soundly_or_refuses(path, kind)


# ---------------------------------------------------------------------- the cases the outside run found
def crafted(tmp_path: Path, source: tuple[str, dict[str, Any], dict[str, np.ndarray]], change: Any) -> Path:
    _, header, arrays = copy.deepcopy(source)
    extra = change(header, arrays) or ()
    path = tmp_path / "crafted.npz"
    craft(path, header, arrays, extra=extra)
    return path


def refused_everywhere(path: Path, match: str, *, checkpoint: bool = False) -> None:
    loaders = [read_header, Network.load, *([load_checkpoint] if checkpoint else [])]
    for load in loaders:
        with pytest.raises(FileFormatError, match=match):
            load(path)
    if checkpoint:  # resuming reads the same validator
        with pytest.raises(FileFormatError, match=match):
            Network([3, 4, 2]).train(X, T, **TRAIN, resume=path)


def mt19937_state(change: Any) -> Any:
    def apply(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        header["rng"] = json.loads(json.dumps(encode_rng_state(np.random.MT19937(1).state)))
        change(header["rng"]["state"])

    return apply


@pytest.mark.parametrize(
    ("source", "change", "match"),
    [
        (
            "adam network",
            lambda h, a: a["second_moment_W1"].__setitem__((0, 1), -0.5),
            r"array second_moment_W1 must hold finite numbers ≥ 0 .*; got -0.5 at \[0, 1\]",
        ),
        ("adam network", lambda h, a: a["first_moment_b2"].__setitem__(1, math.nan), "first_moment_b2 .*got nan"),
        ("adam network", lambda h, a: a["W2"].__setitem__((1, 0), -math.inf), r"array W2 .*got -inf at \[1, 0\]"),
        (
            "adagrad checkpoint, Philox",
            lambda h, a: a["square_sum_b1"].__setitem__(0, -1e-300),
            "square_sum_b1 must hold finite numbers ≥ 0",
        ),
        ("rmsprop checkpoint", lambda h, a: a["square_mean_W2"].__setitem__((0, 0), math.inf), "square_mean_W2"),
        (
            "adam network",
            lambda h, a: h["optimizer"].update(step_count=10**400),
            r"'optimizer.step_count' must hold whole .*counts in \[0, 9007199254740992\] \(2\*\*53\); got 1000",
        ),
        ("adam network", lambda h, a: h["optimizer"].update(epoch_count=2**53 + 1), "'optimizer.epoch_count'"),
        (
            "adam network",
            lambda h, a: h["optimizer"]["config"].update(beta2=1.0),
            r"beta2 must be in \[0, 1\); got 1.0",
        ),
        ("adam network", lambda h, a: h["optimizer"]["config"].update(epsilon=-1e-8), "epsilon must be in"),
        (
            "rmsprop checkpoint",
            lambda h, a: h["optimizer"]["schedule"]["config"].update(factor=0.0),
            "factor must be in",
        ),
        ("adam network", lambda h, a: h["optimizer"].update(current_rate=-0.1), "'optimizer.current_rate'"),
        ("adam network", lambda h, a: h.update(l2=-0.5), "'l2' must be a finite number ≥ 0"),
        ("adam network", lambda h, a: h.update(init="zeros"), "'init' must be a name, one of"),
        ("adam network", lambda h, a: h["activations"][0].update(name="sigmod"), "'sigmod', unknown to graphnet"),
        (
            "adam network",
            mt19937_state(lambda s: s["key"].update(ndarray=s["key"]["ndarray"][:5])),
            r"rng.state.key must be \{\"ndarray\": \[624 whole numbers\], \"dtype\": \"uint32\"\}",
        ),
        (
            "adam network",
            mt19937_state(lambda s: s.update(pos=625)),
            r"rng.state.pos must be a whole number in \[0, 624\]",
        ),
        ("adam network", mt19937_state(lambda s: s["key"].update(dtype="uint64")), "rng.state.key must be"),
        ("adam network", mt19937_state(lambda s: s.update(extra=1)), "rng.state must be a dict of the fields"),
        ("adam network", lambda h, a: h["rng"]["state"].update(inc=2**128), r"rng.state.inc must be a whole number"),
        (
            "adagrad checkpoint, Philox",
            lambda h, a: h["rng"].update(buffer_pos=5),
            r"rng.buffer_pos must be a whole number in \[0, 4\]",
        ),
        (
            "adagrad checkpoint, Philox",
            lambda h, a: h["rng"]["state"]["key"]["ndarray"].append(1),
            "rng.state.key must be",
        ),
        ("adam network", lambda h, a: (("W1.npy", npy(a["W1"] * 2)),), r"the member\(s\) \['W1.npy'\] more than once"),
    ],
)
def test_a_crafted_file_with_a_valid_checksum_is_refused_by_field(tmp_path, sources, source, change, match):
    refused_everywhere(crafted(tmp_path, sources[source], change), match, checkpoint="checkpoint" in source)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda h: h["training"].update(epoch=10**400), r"training field 'epoch' must be a whole number in \[0, 9007"),
        (lambda h: h["training"]["history"].update(updates=-1), "training field 'history'"),
        (lambda h: h["training"]["settings"].update(batch_size=0), "'settings.batch_size' must be null or"),
        (lambda h: h["training"]["settings"].update(rate=1e308 * 0), "'settings.rate' must be a finite number > 0"),
        (lambda h: h["training"]["settings"].update(checkpoint_every=10**30), "'settings.checkpoint_every'"),
        (lambda h: h["training"].update(data_sha256="xyz"), "'data_sha256' must be the data's SHA-256"),
        (lambda h: h["training"]["rng"]["state"].update(state=-1), "training field 'rng': .*rng.state.state"),
        (lambda h: h["training"]["rng"].update(bit_generator="Evil"), "training field 'rng': unknown random generator"),
    ],
)
def test_a_crafted_checkpoint_training_section_is_refused_by_field(tmp_path, sources, change, match):
    path = crafted(tmp_path, sources["rmsprop checkpoint"], lambda h, a: change(h))
    refused_everywhere(path, match, checkpoint=True)


def test_the_list_of_arrays_must_be_the_members(tmp_path, sources):
    _, header, arrays = sources["adam network"]
    path = tmp_path / "listed.npz"
    entries = [{"name": n, "dtype": a.dtype.str, "shape": list(a.shape)} for n, a in arrays.items()]
    for listed in (entries[:-1], [*entries, entries[0]], [{**entries[0], "shape": [9]}, *entries[1:]], "W1", None):
        craft(path, header, arrays, listed=entries if listed is None else listed)
        if listed is None:
            assert Network.load(path).sizes == [3, 4, 2]  # the list in another order is the same list
            craft(path, header, arrays, listed=entries[::-1])
            assert Network.load(path).sizes == [3, 4, 2]
        else:
            refused_everywhere(path, "header field 'arrays' must list the members")


@pytest.mark.parametrize(
    ("text", "match"),
    [('"l2":NaN', "holds NaN"), ('"l2":-Infinity', "holds -Infinity"), ('"l2":1e400', "1e400, beyond the float64")],
)
def test_a_header_with_nan_or_an_infinite_number_is_refused(tmp_path, sources, text, match):
    _, header, arrays = sources["adam network"]
    raw = canonical_json(header).decode()
    assert '"l2":0.001' in raw
    path = tmp_path / "nan.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.npy", npy(np.frombuffer(raw.replace('"l2":0.001', text).encode(), dtype=np.uint8)))
        for name, array in arrays.items():
            archive.writestr(f"{name}.npy", npy(array))
    refused_everywhere(path, match)


def test_every_state_field_has_a_range_and_the_valid_sources_load(sources, tmp_path):
    from graphnet.math.optimizers import OPTIMIZERS

    fields = {f for cls in OPTIMIZERS.values() if cls.state_type for f in cls.state_type.fields}
    assert fields == NON_NEGATIVE_STATE | SIGNED_STATE and not NON_NEGATIVE_STATE & SIGNED_STATE
    for name, (kind, header, arrays) in sources.items():
        path = tmp_path / "valid.npz"
        craft(path, header, arrays)  # recrafting a valid file changes nothing
        assert_sound(Network.load(path))
        if kind == "checkpoint":
            assert load_checkpoint(path).epoch == TRAIN["epochs"], name
