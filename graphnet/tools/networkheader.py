"""A network's header: what a graphnet file says about the network, and the checks a read header passes.

:func:`network_header` describes a network (architecture, activations, loss, optimizer,
generator state) and :func:`network_arrays` gives the arrays a file holds for it;
:func:`array_layout` checks a header read by :func:`~graphnet.tools.fileformat.read_file`
field by field, before anything is built from it, and says which arrays it announces.

Header fields
-------------
Besides the container's own (``format``, ``format_version``, ``arrays``, ``checksum``: see
:mod:`graphnet.tools.fileformat`):

- ``kind`` (``"network"`` or ``"checkpoint"``), ``graphnet_version`` (the version that wrote it);
- the architecture: ``sizes``, ``activations`` (one per non-input layer, each
  ``{"name", "config", "custom"}``, e.g. leaky_relu's ``{"alpha": 0.01}``), ``loss``
  (``{"name", "custom"}``), ``bias``, ``init``, ``bias_init``, ``l2``, ``l2_bias`` and
  ``l2_per_batch`` (absent in older files: 0 and false), ``dropout`` (p of each hidden layer)
  and ``seed``;
- ``optimizer``: ``{"name", "config", "schedule": {"name", "config"}, "step_count",
  "epoch_count", "current_rate"}``, e.g. adam's config ``{"beta1": 0.9, "beta2": 0.999,
  "epsilon": 1e-08}``; its per-parameter state is in the ``F_W1`` … members, so training
  continues exactly where it stood (a resumed Adam run is bit for bit the uninterrupted one);
- ``rng``: the state of the network's random generator, so that shuffling after loading
  continues exactly as it would have;
- ``training`` (checkpoints only): ``epoch`` (epochs completed), ``settings`` (rate, epochs,
  batch_size, reduction, shuffle, seed, track_loss, engine, checkpoint_every), ``history``
  (losses, updates), ``rng`` (the state of the shuffling generator) and ``data_sha256``.

A header or array that disagrees with the architecture is refused with
:class:`~graphnet.math.errors.FileFormatError`.  A version-1 header (before optimizers and
dropout) has neither field: it stands for plain SGD (:data:`SGD_ENTRY`) without dropout.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from graphnet.graph.network import Network
from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation
from graphnet.math.errors import FileFormatError, GraphnetError, IncompatibleError, NonFiniteError
from graphnet.math.init import INITIALIZERS
from graphnet.math.losses import BUILTIN_LOSSES, Loss
from graphnet.math.optimizers import OPTIMIZERS, SCHEDULES, Optimizer
from graphnet.math.validation import check_network_size
from graphnet.tools.fileformat import FORMAT_NAME, FORMAT_VERSION, Arrays, Header, decode_rng_state, encode_rng_state
from graphnet.version import __version__

#: Header fields that must match for a checkpoint to continue on a network.
ARCHITECTURE_KEYS = ("sizes", "activations", "loss", "bias", "l2", "l2_bias", "l2_per_batch", "dropout")
#: Fields a file written before them lacks, and what their absence stands for.
OPTIONAL_FIELDS: dict[str, Any] = {"l2_bias": 0.0, "l2_per_batch": False}


def header_value(header: Header, key: str) -> Any:
    """``header[key]``, or what its absence stands for in an older file (:data:`OPTIONAL_FIELDS`)."""
    return header[key] if key in header or key not in OPTIONAL_FIELDS else OPTIONAL_FIELDS[key]


def network_header(network: Network, *, kind: str) -> Header:
    """The header that describes ``network`` (``kind``: ``"network"`` or ``"checkpoint"``).

    Raises
    ------
    IncompatibleError
        If a custom activation's ``config()`` is not a dict of finite numbers by name, or the
        optimizer or its schedule is not one of graphnet's own.
    """
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "graphnet_version": __version__,
        "sizes": list(network.sizes),
        "activations": [_activation_entry(activation) for activation in network.activations],
        "loss": _loss_entry(network.loss_function),
        "bias": network.bias,
        "init": network.init,
        "bias_init": network.bias_init,
        "l2": network.l2,
        "l2_bias": network.l2_bias,
        "l2_per_batch": network.l2_per_batch,
        "dropout": list(network.dropout),
        "seed": None if network.seed is None else int(network.seed),
        "rng": encode_rng_state(network.rng.bit_generator.state),
        "optimizer": optimizer_entry(network.optimizer),
    }


def optimizer_entry(optimizer: Optimizer) -> dict[str, Any]:
    """The optimizer's header entry: name, hyper-parameters, schedule and counts."""
    name, schedule = optimizer.name, optimizer.schedule
    if OPTIMIZERS.get(name) is not type(optimizer) or SCHEDULES.get(schedule.name) is not type(schedule):
        raise IncompatibleError(
            f"cannot save the optimizer {optimizer!r}: files hold no code, so only graphnet's own optimizers "
            f"({', '.join(OPTIMIZERS)}) and schedules ({', '.join(SCHEDULES)}) can be saved"
        )
    return {
        "name": name,
        "config": dict(optimizer.config()),
        "schedule": {"name": schedule.name, "config": dict(schedule.config())},
        "step_count": optimizer.step_count,
        "epoch_count": optimizer.epoch_count,
        "current_rate": optimizer.current_rate,
    }


#: The optimizer entry of a file written before optimizers existed (version 1): plain SGD.
SGD_ENTRY: dict[str, Any] = {
    "name": "sgd",
    "config": {},
    "schedule": {"name": "constant", "config": {}},
    "step_count": 0,
    "epoch_count": 0,
    "current_rate": None,
}


def optimizer_of(header: Header) -> dict[str, Any]:
    """The header's optimizer entry (plain SGD for a version-1 header without one)."""
    entry: dict[str, Any] = header.get("optimizer", SGD_ENTRY)
    return entry


def state_member_names(header: Header) -> list[str]:
    """Names of the optimizer-state members the header's optimizer keeps, layer by layer."""
    state_type = OPTIMIZERS[optimizer_of(header)["name"]].state_type
    if state_type is None:
        return []
    names = []
    for index in range(1, len(header["sizes"])):
        for field in state_type.fields:
            names.append(f"{field}_W{index}")
            if header["bias"]:
                names.append(f"{field}_b{index}")
    return names


def network_arrays(network: Network) -> Arrays:
    """The arrays a file holds for ``network``: its parameters, then its optimizer state.

    Raises
    ------
    NonFiniteError
        If a parameter or the optimizer state is NaN or inf (a file holds finite numbers only).
    """
    return {**_parameter_arrays(network), **_state_arrays(network)}


def _state_arrays(network: Network) -> Arrays:
    """The optimizer state of every connection as arrays of W's and b's shapes (0 where there is none)."""
    state_type = network.optimizer.state_type
    arrays: Arrays = {}
    if state_type is None:
        return arrays
    for index, layer in enumerate(network.layers[1:], start=1):
        n_in = network.sizes[index - 1]
        for field in state_type.fields:
            rows = layer.state_rows(field)
            arrays[f"{field}_W{index}"] = np.ascontiguousarray(rows[:, :n_in])
            if network.bias:
                arrays[f"{field}_b{index}"] = np.ascontiguousarray(rows[:, n_in])
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise NonFiniteError(f"cannot save: the optimizer state must be finite; {name} is not")
    return arrays


def _activation_entry(activation: Activation) -> dict[str, Any]:
    custom = BUILTIN_ACTIVATIONS.get(activation.name) is not type(activation)
    config = activation.config()
    if not isinstance(config, dict) or not all(
        isinstance(key, str) and isinstance(value, int | float) and math.isfinite(value)
        for key, value in config.items()
    ):
        raise IncompatibleError(
            f"activation {activation.name!r}: config() must return a dict of finite numbers by name; got {config!r}"
        )
    return {"name": activation.name, "config": {key: float(value) for key, value in config.items()}, "custom": custom}


def _loss_entry(loss: Loss) -> dict[str, Any]:
    return {"name": loss.name, "custom": BUILTIN_LOSSES.get(loss.name) is not type(loss)}


def _parameter_arrays(network: Network) -> Arrays:
    arrays: Arrays = {}
    for index, (W, b) in enumerate(network.get_params(), start=1):
        arrays[f"W{index}"] = np.ascontiguousarray(W, dtype=np.float64)
        if b is not None:
            arrays[f"b{index}"] = np.ascontiguousarray(b, dtype=np.float64)
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise NonFiniteError(f"cannot save: parameters must be finite; {name}{list(bad)} is {array[bad]}")
    return arrays


# ---------------------------------------------------------------------- checking a read header
def array_layout(header: Header, path: Path) -> dict[str, tuple[int, ...]]:
    """Check a read header field by field, then give the name and shape of every array it announces.

    The ``layout`` that :func:`~graphnet.tools.fileformat.read_file` calls for a network file.

    Raises
    ------
    FileFormatError
        If a field the reader uses is missing or has the wrong type or value.
    """
    _check_header(header, path)
    return _expected_arrays(header)


def _expected_arrays(header: Header) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    sizes = header["sizes"]
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        shapes[f"W{index}"] = (n_out, n_in)
        if header["bias"]:
            shapes[f"b{index}"] = (n_out,)
    for name in state_member_names(header):
        shapes[name] = shapes[name.rsplit("_", 1)[1]]
    return shapes


def _check_header(header: Header, path: Path) -> None:
    """Every field the reader uses must have the right type, before anything is built from it."""

    def fail(field: str, expected: str) -> FileFormatError:
        return FileFormatError(f"{path}: header field {field!r} must be {expected}; got {header.get(field)!r:.80}")

    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def is_number(value: object) -> bool:
        return is_int(value) or (isinstance(value, float) and math.isfinite(value))

    if header.get("kind") not in ("network", "checkpoint"):
        raise fail("kind", "'network' or 'checkpoint'")
    sizes = header.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(is_int(n) and n >= 1 for n in sizes):
        raise fail("sizes", "a list of at least two whole numbers ≥ 1")
    if not isinstance(header.get("bias"), bool):
        raise fail("bias", "true or false")
    try:
        check_network_size(sizes, bias=header["bias"])
    except IncompatibleError as error:
        raise FileFormatError(f"{path}: header field 'sizes' describes too large a network: {error}") from None
    activations = header.get("activations")
    if (
        not isinstance(activations, list)
        or len(activations) != len(sizes) - 1
        or not all(_is_named_entry(entry) and isinstance(entry.get("config"), dict) for entry in activations)
        or not all(isinstance(k, str) and is_number(v) for entry in activations for k, v in entry["config"].items())
    ):
        raise fail("activations", f"{len(sizes) - 1} entries of name, config and custom")
    for entry in activations:
        if not entry["custom"]:
            builtin_activation(entry, header)
    if not _is_named_entry(header.get("loss")):
        raise fail("loss", "an entry of name and custom")
    if not header["loss"]["custom"] and header["loss"]["name"] not in BUILTIN_LOSSES:
        known = ", ".join(sorted(BUILTIN_LOSSES))
        raise FileFormatError(
            f"the file uses loss {header['loss']['name']!r}, unknown to this graphnet; known: {known}"
        )
    if header.get("init") not in INITIALIZERS:
        raise fail("init", f"a name, one of {', '.join(INITIALIZERS)}")
    for field in ("bias_init", "l2"):
        if not is_number(header.get(field)):
            raise fail(field, "a finite number")
    if header["l2"] < 0:
        raise fail("l2", "a finite number ≥ 0")
    if "l2_bias" in header and not (is_number(header["l2_bias"]) and header["l2_bias"] >= 0):
        raise fail("l2_bias", "a finite number ≥ 0")
    if "l2_per_batch" in header and not isinstance(header["l2_per_batch"], bool):
        raise fail("l2_per_batch", "true or false")
    if "seed" not in header or (header["seed"] is not None and not (is_int(header["seed"]) and header["seed"] >= 0)):
        raise fail("seed", "null or a whole number ≥ 0")
    try:
        decode_rng_state(header.get("rng"))
    except FileFormatError as error:
        raise FileFormatError(f"{path}: header field 'rng': {error}") from None
    if header["format_version"] >= 2 or "dropout" in header:
        dropout = header.get("dropout")
        if (
            not isinstance(dropout, list)
            or len(dropout) != len(sizes) - 2
            or not all(is_number(p) and 0.0 <= p < 1.0 for p in dropout)
        ):
            raise fail("dropout", f"a list of {len(sizes) - 2} numbers in [0, 1)")
    if header["format_version"] >= 2 or "optimizer" in header:
        _check_optimizer(header.get("optimizer"), path)
    checksum = header.get("checksum")
    if (
        not isinstance(checksum, dict)
        or checksum.get("algorithm") != "sha256"
        or not isinstance(checksum.get("value"), str)
    ):
        raise fail("checksum", "{'algorithm': 'sha256', 'value': …}")
    if header["kind"] == "checkpoint":
        _check_training(header.get("training"), path)


def _check_optimizer(entry: object, path: Path) -> None:
    """The optimizer entry: a known optimizer and schedule, numeric configs in range, whole counts."""

    def fail(expected: str, got: object) -> FileFormatError:
        return FileFormatError(f"{path}: header field 'optimizer' must hold {expected}; got {got!r:.120}")

    def numeric_config(value: object) -> bool:
        return isinstance(value, dict) and all(
            isinstance(key, str)
            and not isinstance(number, bool)
            and isinstance(number, int | float)
            and math.isfinite(number)
            for key, number in value.items()
        )

    if not isinstance(entry, dict) or set(entry) != set(SGD_ENTRY):
        raise fail(f"the fields {sorted(SGD_ENTRY)}", sorted(entry) if isinstance(entry, dict) else entry)
    if entry["name"] not in OPTIMIZERS:
        raise fail(f"an optimizer name, one of {', '.join(OPTIMIZERS)}", entry["name"])
    schedule = entry["schedule"]
    if not isinstance(schedule, dict) or set(schedule) != {"name", "config"} or schedule["name"] not in SCHEDULES:
        raise fail(f"a schedule of name ({', '.join(SCHEDULES)}) and config", schedule)
    for config in (entry["config"], schedule["config"]):
        if not numeric_config(config):
            raise fail("configs of finite numbers by name", config)
    for count in ("step_count", "epoch_count"):
        if not is_count(entry[count], 0):
            raise FileFormatError(
                f"{path}: header field 'optimizer.{count}' must hold whole step and epoch counts in "
                f"[0, {MAX_COUNT}] (2**53); got {entry[count]!r:.60}"
            )
    rate = entry["current_rate"]
    if rate is not None and not (isinstance(rate, float) and math.isfinite(rate) and rate >= 0.0):
        raise FileFormatError(
            f"{path}: header field 'optimizer.current_rate' must be null or a finite number ≥ 0; got {rate!r:.60}"
        )
    try:  # the hyper-parameters and the schedule's, each in its documented range
        build_optimizer(entry)
    except FileFormatError as error:
        raise FileFormatError(f"{path}: header field 'optimizer': {error}") from None


def build_optimizer(entry: dict[str, Any]) -> Optimizer:
    """A new optimizer from a (checked) header entry, with its counts.

    Raises
    ------
    FileFormatError
        If a hyper-parameter is out of its range or not one the optimizer or schedule takes.
    """
    schedule_entry = entry["schedule"]
    try:
        schedule = SCHEDULES[schedule_entry["name"]](**schedule_entry["config"])
        optimizer = OPTIMIZERS[entry["name"]](**entry["config"], schedule=schedule)
    except (GraphnetError, TypeError) as error:
        raise FileFormatError(f"the file's optimizer {entry['name']!r} has an invalid config: {error}") from None
    optimizer.set_counts(entry["step_count"], entry["epoch_count"], entry["current_rate"])
    return optimizer


#: Largest count (steps, epochs, updates, batch size) a file may hold: 2**53, the last whole
#: number a float64 holds exactly, and far beyond any run; 10**400 steps would overflow.
MAX_COUNT = 2**53


def is_count(value: object, minimum: int) -> bool:
    """A whole number (not a bool) in [minimum, :data:`MAX_COUNT`]."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_COUNT


def builtin_activation(entry: dict[str, Any], header: Header) -> Activation:
    """The built-in activation a header entry names, made with its config.

    Raises
    ------
    FileFormatError
        If no built-in activation has that name, or its config is not one it takes.
    """
    name = entry["name"]
    if name not in BUILTIN_ACTIVATIONS:
        raise FileFormatError(
            f"the file uses activation {name!r}, unknown to graphnet {header.get('graphnet_version')!r:.20}; "
            f"known: {', '.join(sorted(BUILTIN_ACTIVATIONS))}"
        )
    return instantiate_activation(BUILTIN_ACTIVATIONS[name], entry["config"], what=f"activation {name!r}")


def instantiate_activation(cls: type[Activation], config: dict[str, Any], *, what: str) -> Activation:
    """``cls(**config)``, a config it refuses or does not take being the file's fault (FileFormatError)."""
    try:
        return cls(**config)
    except GraphnetError as error:
        raise FileFormatError(f"the file's {what} has an invalid config: {error}") from None
    except TypeError as error:
        raise FileFormatError(
            f"the file's {what} has config {config}, which {cls.__name__} does not take ({error})"
        ) from None


def _is_named_entry(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("custom"), bool)


def _check_training(training: object, path: Path) -> None:
    """The checkpoint's ``training`` section, field by field."""

    def fail(field: str, expected: str, got: object) -> FileFormatError:
        return FileFormatError(f"{path}: the checkpoint's training field {field!r} must be {expected}; got {got!r:.80}")

    def is_seed(value: object) -> bool:
        return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)

    if not isinstance(training, dict):
        raise fail("training", "a section of epoch, settings, history, rng and data_sha256", training)
    if not is_count(training.get("epoch"), 0):
        raise fail("epoch", f"a whole number in [0, {MAX_COUNT}]", training.get("epoch"))
    settings = training.get("settings")
    if not isinstance(settings, dict) or set(settings) != SETTINGS_KEYS:
        raise fail("settings", f"the settings {sorted(SETTINGS_KEYS)}", settings)
    checks: list[tuple[str, str, bool]] = [
        ("rate", "a finite number > 0", isinstance(settings["rate"], float) and 0.0 < settings["rate"] < math.inf),
        ("epochs", f"a whole number in [0, {MAX_COUNT}]", is_count(settings["epochs"], 0)),
        ("checkpoint_every", f"a whole number in [1, {MAX_COUNT}]", is_count(settings["checkpoint_every"], 1)),
        (
            "batch_size",
            "null or a whole number ≥ 1",
            settings["batch_size"] is None or is_count(settings["batch_size"], 1),
        ),
        ("seed", "null or a whole number ≥ 0", is_seed(settings["seed"])),
        ("shuffle", "true or false", isinstance(settings["shuffle"], bool)),
        ("track_loss", "true or false", isinstance(settings["track_loss"], bool)),
        ("reduction", "'mean' or 'sum'", settings["reduction"] in ("mean", "sum")),
        ("engine", "'graph' or 'fast'", settings["engine"] in ("graph", "fast")),
    ]
    for key, expected, good in checks:
        if not good:
            raise fail(f"settings.{key}", expected, settings[key])
    history = training.get("history")
    if (
        not isinstance(history, dict)
        or not isinstance(history.get("losses"), list)
        or not all(isinstance(v, float) and math.isfinite(v) for v in history["losses"])
        or not is_count(history.get("updates"), 0)
    ):
        raise fail("history", f"finite losses and a count of updates in [0, {MAX_COUNT}]", history)
    digest = training.get("data_sha256")
    if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        raise fail("data_sha256", "the data's SHA-256 as 64 lowercase hex digits", digest)
    try:
        decode_rng_state(training.get("rng"))
    except FileFormatError as error:
        raise FileFormatError(f"{path}: the checkpoint's training field 'rng': {error}") from None


# ---------------------------------------------------------------------- checking read arrays
#: Optimizer-state fields that are sums or running means of squares, hence never negative.
NON_NEGATIVE_STATE = frozenset(("square_sum", "square_mean", "second_moment"))
#: Optimizer-state fields that may take any finite value (velocities, first moments).
SIGNED_STATE = frozenset(("velocity", "first_moment"))


def check_arrays(arrays: Arrays, path: Path) -> None:
    """Every array read must hold finite numbers; a sum or mean of squares, none below 0.

    The checksum proves a file unchanged, not sound: a crafted file with a recomputed checksum
    could hold NaN weights or a negative Adam v (whose square root fails later).

    Raises
    ------
    FileFormatError
        Naming the array, the first bad entry, what was expected and what it holds.
    """
    for name, array in arrays.items():
        field = name.rsplit("_", 1)[0] if "_" in name else "parameter"
        bad = ~np.isfinite(array)
        expected = "finite numbers"
        if field in NON_NEGATIVE_STATE:
            bad |= array < 0.0
            expected = f"finite numbers ≥ 0 (the {field} of squared gradients)"
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise FileFormatError(f"{path}: array {name} must hold {expected}; got {array[index]} at {list(index)}")


#: Settings a checkpoint records (``train``'s keyword arguments that shape the run).
SETTINGS_KEYS = frozenset(
    ("rate", "epochs", "batch_size", "reduction", "shuffle", "seed", "track_loss", "engine", "checkpoint_every")
)
