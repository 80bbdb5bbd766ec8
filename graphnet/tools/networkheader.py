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
  (``{"name", "custom"}``), ``bias``, ``init``, ``bias_init``, ``l2``, ``dropout`` (p of
  each hidden layer) and ``seed``;
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
from graphnet.math.errors import FileFormatError, IncompatibleError, NonFiniteError
from graphnet.math.losses import BUILTIN_LOSSES, Loss
from graphnet.math.optimizers import OPTIMIZERS, SCHEDULES, Optimizer
from graphnet.math.validation import check_network_size
from graphnet.tools.fileformat import FORMAT_NAME, FORMAT_VERSION, Arrays, Header, encode_rng_state
from graphnet.version import __version__

#: Header fields that must match for a checkpoint to continue on a network.
ARCHITECTURE_KEYS = ("sizes", "activations", "loss", "bias", "l2", "dropout")


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
    if not _is_named_entry(header.get("loss")):
        raise fail("loss", "an entry of name and custom")
    if not isinstance(header.get("init"), str):
        raise fail("init", "a name")
    for field in ("bias_init", "l2"):
        if not is_number(header.get(field)):
            raise fail(field, "a finite number")
    if header.get("seed") is not None and not (is_int(header["seed"]) and header["seed"] >= 0):
        raise fail("seed", "null or a whole number ≥ 0")
    if not isinstance(header.get("rng"), dict):
        raise fail("rng", "a generator state")
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
    """The optimizer entry: a known optimizer and schedule, numeric configs, whole counts."""

    def fail(expected: str) -> FileFormatError:
        return FileFormatError(f"{path}: header field 'optimizer' must hold {expected}; got {entry!r:.120}")

    def numeric_config(value: object) -> bool:
        return isinstance(value, dict) and all(
            isinstance(key, str)
            and not isinstance(number, bool)
            and isinstance(number, int | float)
            and math.isfinite(number)
            for key, number in value.items()
        )

    def is_count(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(entry, dict) or set(entry) != set(SGD_ENTRY):
        raise fail(f"the fields {sorted(SGD_ENTRY)}")
    if entry["name"] not in OPTIMIZERS:
        raise fail(f"an optimizer name, one of {', '.join(OPTIMIZERS)}")
    schedule = entry["schedule"]
    if not isinstance(schedule, dict) or set(schedule) != {"name", "config"} or schedule["name"] not in SCHEDULES:
        raise fail(f"a schedule of name ({', '.join(SCHEDULES)}) and config")
    if not (numeric_config(entry["config"]) and numeric_config(schedule["config"])):
        raise fail("configs of finite numbers by name")
    if not (is_count(entry["step_count"]) and is_count(entry["epoch_count"])):
        raise fail("whole step and epoch counts ≥ 0")
    rate = entry["current_rate"]
    if rate is not None and not (isinstance(rate, float) and math.isfinite(rate)):
        raise fail("a current_rate that is null or a finite number")


def _is_named_entry(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("custom"), bool)


def _check_training(training: object, path: Path) -> None:
    def fail(expected: str) -> FileFormatError:
        return FileFormatError(f"{path}: the checkpoint's training section must hold {expected}")

    def is_count(value: object, minimum: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

    if not isinstance(training, dict):
        raise fail("epoch, settings, history, rng and data_sha256")
    if not is_count(training.get("epoch"), 0):
        raise fail("an epoch ≥ 0")
    settings = training.get("settings")
    if not isinstance(settings, dict) or set(settings) != SETTINGS_KEYS:
        raise fail(f"the settings {sorted(SETTINGS_KEYS)}")
    rate = settings["rate"]
    if not (isinstance(rate, float) and math.isfinite(rate) and rate > 0.0):
        raise fail(f"a finite rate > 0; got {rate!r:.40}")
    if not (is_count(settings["epochs"], 0) and is_count(settings["checkpoint_every"], 1)):
        raise fail("whole numbers of epochs and checkpoint_every")
    if not (settings["batch_size"] is None or is_count(settings["batch_size"], 1)):
        raise fail("a batch_size ≥ 1 or null")
    if not (settings["seed"] is None or is_count(settings["seed"], 0)):
        raise fail("a seed ≥ 0 or null")
    if not (isinstance(settings["shuffle"], bool) and isinstance(settings["track_loss"], bool)):
        raise fail("true or false for shuffle and track_loss")
    if settings["reduction"] not in ("mean", "sum") or settings["engine"] not in ("graph", "fast"):
        raise fail("a reduction of 'mean' or 'sum' and an engine of 'graph' or 'fast'")
    history = training.get("history")
    if (
        not isinstance(history, dict)
        or not isinstance(history.get("losses"), list)
        or not all(isinstance(v, float) and math.isfinite(v) for v in history["losses"])
        or not is_count(history.get("updates"), 0)
    ):
        raise fail("a history of finite losses and a count of updates")
    if not isinstance(training.get("rng"), dict) or not isinstance(training.get("data_sha256"), str):
        raise fail("the shuffling generator's state and the data's SHA-256")


#: Settings a checkpoint records (``train``'s keyword arguments that shape the run).
SETTINGS_KEYS = frozenset(
    ("rate", "epochs", "batch_size", "reduction", "shuffle", "seed", "track_loss", "engine", "checkpoint_every")
)
