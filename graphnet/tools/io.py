"""Saving and loading networks and training checkpoints: ``.npz`` files that never run code.

>>> import pathlib, tempfile
>>> from graphnet import Network
>>> folder = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(folder.name) / "net.npz"
>>> net = Network([3, 4, 2], activation="leaky_relu", seed=0)
>>> net.save(path)
>>> same = Network.load(path)
>>> bool((same.get_flat_params() == net.get_flat_params()).all())
True
>>> header = read_header(path)
>>> header["sizes"], header["activations"][0]
([3, 4, 2], {'config': {'alpha': 0.01}, 'custom': False, 'name': 'leaky_relu'})
>>> folder.cleanup()

Contents
--------
- :func:`save_network` and :func:`load_network` (``Network.save`` and ``Network.load`` call them);
- :func:`load_checkpoint` and :func:`resume_training`, for the checkpoints that
  ``train(..., checkpoint=path)`` writes; ``train(..., resume=path)`` continues one;
- :func:`read_header`: the JSON header of a file, to look inside without building anything.

File format (version 2)
-----------------------
A standard numpy ``.npz`` file (an uncompressed zip archive of ``.npy`` members), written
without pickle; ``numpy.load(path, allow_pickle=False)`` opens it too.  The name is used as
given (no ``.npz`` is appended).

==============  ======================================================================
member          content
==============  ======================================================================
``header.npy``  uint8 array: the UTF-8 JSON header described below
``W1.npy`` …    float64 weights of layer 1, 2, …, shape (n_out, n_in): ``W[j, i]`` is w_ji
``b1.npy`` …    float64 biases of layer 1, 2, …, shape (n_out,) (absent without bias)
``F_W1.npy`` …  float64 optimizer state F of W1 (its shape), one per field F of the
                optimizer's state: ``velocity`` (momentum, nesterov), ``square_sum``
                (adagrad), ``square_mean`` (rmsprop), ``first_moment`` and
                ``second_moment`` (adam); ``F_b1.npy`` … likewise for the biases
==============  ======================================================================

Header fields:

- ``format`` (``"graphnet"``), ``format_version`` (2), ``kind`` (``"network"`` or
  ``"checkpoint"``), ``graphnet_version`` (the version that wrote it);
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
- ``arrays``: name, dtype and shape of every parameter and state member;
- ``training`` (checkpoints only): ``epoch`` (epochs completed), ``settings`` (rate, epochs,
  batch_size, reduction, shuffle, seed, track_loss, engine, checkpoint_every), ``history``
  (losses, updates), ``rng`` (the state of the shuffling generator) and ``data_sha256``;
- ``checksum``: ``{"algorithm": "sha256", "value": …}`` over the rest of the header (as
  compact JSON with sorted keys) and every array's name, dtype, shape and bytes.

Safety
------
A file is parsed, never executed.  Loading refuses with :class:`~graphnet.math.errors.FileFormatError`
anything that is not exactly such a file: not a zip archive, a truncated archive or member,
a damaged member, a member holding Python objects (pickled data: never unpickled), a header
or array that disagrees with the architecture, a checksum mismatch (tampering or bit rot),
or a ``format_version`` newer than this graphnet reads.  Version 1 files (before optimizers
and dropout) still load: as plain SGD without dropout.  A missing file raises
:class:`~graphnet.math.errors.MissingFileError`, which is also a ``FileNotFoundError``.

Writes are atomic: the bytes go to a temporary file in the target's folder, which is
flushed and ``fsync``-ed, then renamed over the target with ``os.replace``; the folder is
``fsync``-ed too where the system allows.  A save interrupted at any moment leaves the
previous file as it was (at worst a stray ``.NAME.*.tmp`` file next to it).

Your own activations and losses
-------------------------------
A subclass of :class:`~graphnet.math.activations.Activation` or :class:`~graphnet.math.losses.Loss` is
code, and files carry no code.  Saving stores its ``name`` (and an activation's
``config()``) marked ``"custom": true``; loading then needs it back by name::

    Network.load(path, custom_activations={"softplus": Softplus})

A class is called with the stored config as keyword arguments; an instance is used as it
is if its config matches.  Without it, loading raises :class:`~graphnet.math.errors.UnknownNameError`
saying what to pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import math
import os
import secrets
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation
from graphnet.math.errors import (
    FileFormatError,
    GraphnetError,
    IncompatibleError,
    MissingFileError,
    NonFiniteError,
    UnknownNameError,
)
from graphnet.math.losses import BUILTIN_LOSSES, Loss
from graphnet.math.optimizers import OPTIMIZERS, SCHEDULES, Optimizer, ParameterState
from graphnet.math.validation import check_network_size, check_path

if TYPE_CHECKING:
    from graphnet.graph.network import Network, Params
    from graphnet.tools.train import History

#: The format this graphnet writes, and the newest it reads.
FORMAT_VERSION = 2
#: Value of the header's ``format`` field.
FORMAT_NAME = "graphnet"
#: Largest header member read (a checkpoint's history of a very long run fits easily).
MAX_HEADER_BYTES = 64 * 2**20
#: Room for the ``.npy`` preamble of a member beyond its data (numpy's is at most 64 KiB).
NPY_HEADER_ROOM = 2**16 + 64
#: Zip timestamp of every member, so the same network always gives the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: numpy bit generators whose state a file may restore (by name; nothing else is looked up).
BIT_GENERATORS: dict[str, type[np.random.BitGenerator]] = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

Header = dict[str, Any]
Arrays = dict[str, NDArray[np.float64]]
CustomActivations = Mapping[str, "Activation | type[Activation]"]
CustomLosses = Mapping[str, "Loss | type[Loss]"]
PathArg = str | os.PathLike[str]


# ---------------------------------------------------------------------- public API
def save_network(network: Network, path: PathArg) -> None:
    """Write the network's architecture and parameters to ``path``, atomically.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        The file to write (replaced if it exists; its folder must exist).

    Raises
    ------
    MissingFileError
        If the folder does not exist.
    NonFiniteError
        If a parameter is NaN or inf (a file holds finite numbers only).
    IncompatibleError
        If a custom activation's ``config()`` is not a dict of finite numbers by name.
    """
    target = check_path(path)
    header = _network_header(network, kind="network")
    _write_file(target, header, {**_parameter_arrays(network), **_state_arrays(network)})


def load_network(
    path: PathArg,
    *,
    custom_activations: CustomActivations | None = None,
    custom_losses: CustomLosses | None = None,
) -> Network:
    """Read a network written by :func:`save_network` (or a checkpoint) from ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    custom_activations, custom_losses : mapping of name to class or instance, optional
        Your own :class:`Activation` / :class:`Loss` subclasses that the file names.

    Returns
    -------
    Network
        The same architecture with bit-identical parameters, and a random generator in the
        state it was saved in.

    Raises
    ------
    MissingFileError
        If there is no such file.
    FileFormatError
        If the file is not a graphnet file of a version this graphnet reads, or is damaged.
    UnknownNameError
        If the file names a custom activation or loss that was not passed.
    """
    header, arrays = _read_file(check_path(path))
    return _build_network(header, arrays, custom_activations, custom_losses)


def read_header(path: PathArg) -> Header:
    """The JSON header of a graphnet file as a dict, after every check :func:`load_network` makes."""
    header, _ = _read_file(check_path(path))
    return header


@dataclass(frozen=True)
class Checkpoint:
    """A training checkpoint: the network, where training stood, and how it was training.

    Attributes
    ----------
    network : Network
        The network with the parameters after ``epoch`` epochs.
    epoch : int
        Epochs completed.
    settings : dict
        ``rate``, ``epochs``, ``batch_size``, ``reduction``, ``shuffle``, ``seed``,
        ``track_loss``, ``engine`` and ``checkpoint_every`` of the run.
    history : History
        The history so far (losses per epoch, updates).
    """

    network: Network
    epoch: int
    settings: dict[str, Any]
    history: History


def load_checkpoint(
    path: PathArg,
    *,
    custom_activations: CustomActivations | None = None,
    custom_losses: CustomLosses | None = None,
) -> Checkpoint:
    """Read a checkpoint written by ``train(..., checkpoint=path)``.

    Raises
    ------
    FileFormatError
        As :func:`load_network`, and if the file is a plain network file, not a checkpoint.
    """
    header, arrays = _read_file(check_path(path))
    if header["kind"] != "checkpoint":
        raise FileFormatError(f"{path} holds a network, not a training checkpoint; load it with Network.load")
    network = _build_network(header, arrays, custom_activations, custom_losses)
    training = header["training"]
    return Checkpoint(
        network=network,
        epoch=training["epoch"],
        settings=dict(training["settings"]),
        history=_history_from(training, _optimizer_of(header)["name"]),
    )


def resume_training(
    path: PathArg,
    X: Any,
    T: Any,
    *,
    epochs: int | None = None,
    custom_activations: CustomActivations | None = None,
    custom_losses: CustomLosses | None = None,
) -> tuple[Network, History]:
    """Rebuild the network of a checkpoint and finish its training run on (X, T).

    Equivalent to ``Network.load(path).train(X, T, <the checkpoint's settings>,
    checkpoint=path, resume=path)``; the result is bit for bit the one the uninterrupted run
    would have given.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint; it keeps being updated as training goes on.
    X, T : arrays
        The same training data as the interrupted run (checked by its SHA-256).
    epochs : int, optional
        Total epochs to reach; default: the number the interrupted run asked for.

    Returns
    -------
    (Network, History)
        The trained network and the history of the whole run.
    """
    state = load_checkpoint(path, custom_activations=custom_activations, custom_losses=custom_losses)
    settings = state.settings
    history = state.network.train(
        X,
        T,
        rate=settings["rate"],
        epochs=settings["epochs"] if epochs is None else epochs,
        batch_size=settings["batch_size"],
        reduction=settings["reduction"],
        shuffle=settings["shuffle"],
        seed=settings["seed"],
        engine=settings["engine"],
        track_loss=settings["track_loss"],
        checkpoint=path,
        checkpoint_every=settings["checkpoint_every"],
        resume=path,
    )
    return state.network, history


# ---------------------------------------------------------------------- used by train_loop
@dataclass(frozen=True)
class ResumeState:
    """What ``train(..., resume=path)`` restores: parameters, epoch, history and generator state."""

    params: Params
    epoch: int
    losses: list[float]
    updates: int
    rng_state: dict[str, Any]
    optimizer_counts: tuple[int, int, float | None] = (0, 0, None)
    optimizer_state: dict[str, NDArray[np.float64]] | None = None


def data_fingerprint(X: NDArray[np.floating], T: NDArray[np.floating]) -> str:
    """SHA-256 of the training data (as float64, with its shapes): a resume must use the same."""
    digest = hashlib.sha256()
    for array in (X, T):
        as_float64 = np.ascontiguousarray(array, dtype=np.float64)
        digest.update(repr(as_float64.shape).encode())
        digest.update(as_float64.data)
    return digest.hexdigest()


def write_checkpoint(
    path: PathArg,
    network: Network,
    *,
    epoch: int,
    settings: dict[str, Any],
    history: History,
    rng: np.random.Generator,
    data_sha256: str,
) -> None:
    """Write a checkpoint atomically: the network file plus a ``training`` header section."""
    header = _network_header(network, kind="checkpoint")
    header["training"] = {
        "epoch": epoch,
        "settings": settings,
        "history": {"losses": list(history.losses), "updates": history.updates},
        "rng": _encode_rng_state(rng.bit_generator.state),
        "data_sha256": data_sha256,
    }
    _write_file(check_path(path, name="checkpoint"), header, {**_parameter_arrays(network), **_state_arrays(network)})


def read_resume_state(
    path: PathArg,
    network: Network,
    *,
    settings: dict[str, Any],
    data_sha256: str,
    optimizer: Optimizer | None = None,
) -> ResumeState:
    """Read a checkpoint for ``network`` and check that resuming it continues the same run.

    Raises
    ------
    IncompatibleError
        If the architecture, a setting that shapes the run (rate, batch_size, reduction,
        shuffle, the optimizer and its hyper-parameters and schedule), the data, or
        ``epochs`` (fewer than already done) does not fit.
    """
    header, arrays = _read_file(check_path(path, name="resume"))
    if header["kind"] != "checkpoint":
        raise IncompatibleError(f"resume needs a training checkpoint; {path} holds a network file")
    expected = _network_header(network, kind="checkpoint")
    for key in ARCHITECTURE_KEYS:
        if header[key] != expected[key]:
            raise IncompatibleError(
                f"the checkpoint {path} is for a network with {key}={header[key]!r}; this network has {expected[key]!r}"
            )
    training = header["training"]
    saved = training["settings"]
    for key in ("rate", "batch_size", "reduction", "shuffle"):
        if saved[key] != settings[key]:
            raise IncompatibleError(
                f"resuming must continue the same run: the checkpoint trained with {key}={saved[key]!r}; "
                f"got {key}={settings[key]!r}"
            )
    if training["epoch"] > settings["epochs"]:
        raise IncompatibleError(
            f"the checkpoint has already done {training['epoch']} epochs; got epochs={settings['epochs']}"
        )
    if training["data_sha256"] != data_sha256:
        raise IncompatibleError(
            "resuming must continue on the same training data: its SHA-256 differs from the checkpoint's "
            f"({training['data_sha256'][:12]}…, got {data_sha256[:12]}…)"
        )
    entry = _optimizer_of(header)
    if optimizer is not None:
        given = _optimizer_entry(optimizer)
        if (entry["name"], entry["config"], entry["schedule"]) != (given["name"], given["config"], given["schedule"]):
            saved_optimizer = _build_optimizer(entry)
            raise IncompatibleError(
                f"resuming must continue the same run: the checkpoint trained with optimizer={saved_optimizer!r}; "
                f"got optimizer={optimizer!r}"
            )
    state_names = _state_member_names(header)
    return ResumeState(
        params=_params_from_arrays(header, arrays),
        epoch=training["epoch"],
        losses=list(training["history"]["losses"]),
        updates=training["history"]["updates"],
        rng_state=training["rng"],
        optimizer_counts=(entry["step_count"], entry["epoch_count"], entry["current_rate"]),
        optimizer_state={name: arrays[name] for name in state_names} if state_names else None,
    )


def restore_optimizer_state(network: Network, optimizer: Optimizer, state: ResumeState) -> None:
    """Give ``optimizer`` the checkpoint's counts and the network's connections its state."""
    optimizer.set_counts(*state.optimizer_counts)
    _set_state_from_arrays(network, optimizer, state.optimizer_state or {})


def restore_rng_state(rng: np.random.Generator, state: dict[str, Any], *, path: PathArg) -> None:
    """Set ``rng`` to a state read from a file (the bit generators must be of the same kind)."""
    decoded = _decode_rng_state(state)
    kind = type(rng.bit_generator).__name__
    if decoded["bit_generator"] != kind:
        raise IncompatibleError(
            f"the checkpoint {path} shuffled with a {decoded['bit_generator']} generator; this run uses {kind}"
        )
    rng.bit_generator.state = decoded


# ---------------------------------------------------------------------- the header
#: Header fields that must match for a checkpoint to continue on a network.
ARCHITECTURE_KEYS = ("sizes", "activations", "loss", "bias", "l2", "dropout")


def _network_header(network: Network, *, kind: str) -> Header:
    from graphnet import __version__

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
        "rng": _encode_rng_state(network.rng.bit_generator.state),
        "optimizer": _optimizer_entry(network.optimizer),
    }


def _optimizer_entry(optimizer: Optimizer) -> dict[str, Any]:
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


def _optimizer_of(header: Header) -> dict[str, Any]:
    entry: dict[str, Any] = header.get("optimizer", SGD_ENTRY)
    return entry


def _build_optimizer(entry: dict[str, Any]) -> Optimizer:
    """A new optimizer from a (checked) header entry, with its counts."""
    schedule_entry = entry["schedule"]
    try:
        schedule = SCHEDULES[schedule_entry["name"]](**schedule_entry["config"])
        optimizer = OPTIMIZERS[entry["name"]](**entry["config"], schedule=schedule)
    except (GraphnetError, TypeError) as error:
        raise FileFormatError(f"the file's optimizer {entry['name']!r} has an invalid config: {error}") from None
    optimizer.set_counts(entry["step_count"], entry["epoch_count"], entry["current_rate"])
    return optimizer


def _state_member_names(header: Header) -> list[str]:
    """Names of the optimizer-state members the header's optimizer keeps, layer by layer."""
    state_type = OPTIMIZERS[_optimizer_of(header)["name"]].state_type
    if state_type is None:
        return []
    names = []
    for index in range(1, len(header["sizes"])):
        for field in state_type.fields:
            names.append(f"{field}_W{index}")
            if header["bias"]:
                names.append(f"{field}_b{index}")
    return names


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


def _set_state_from_arrays(network: Network, optimizer: Optimizer, arrays: Mapping[str, NDArray[np.float64]]) -> None:
    """Give every connection the state the arrays hold (or none, for an optimizer without state)."""
    state_type: type[ParameterState[float]] | None = optimizer.state_type
    if state_type is None or not arrays:
        for connection in network.connections:
            connection.state = None
        return
    for index, layer in enumerate(network.layers[1:], start=1):
        rows = [
            np.column_stack([arrays[f"{field}_W{index}"], arrays[f"{field}_b{index}"]])
            if network.bias
            else arrays[f"{field}_W{index}"]
            for field in state_type.fields
        ]
        layer.set_state_rows(state_type, rows)


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


def _expected_arrays(header: Header) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    sizes = header["sizes"]
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        shapes[f"W{index}"] = (n_out, n_in)
        if header["bias"]:
            shapes[f"b{index}"] = (n_out,)
    for name in _state_member_names(header):
        shapes[name] = shapes[name.rsplit("_", 1)[1]]
    return shapes


def _checksum(header: Header, arrays: Arrays) -> str:
    """SHA-256 over the header without its checksum (compact, sorted JSON) and every array."""
    body = {key: value for key, value in header.items() if key != "checksum"}
    digest = hashlib.sha256(_canonical_json(body))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.data)
    return digest.hexdigest()


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _encode_rng_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A bit generator's state as JSON: numpy arrays become ``{"ndarray": [...], "dtype": ...}``."""

    def encode(value: object) -> object:
        if isinstance(value, Mapping):
            return {str(key): encode(item) for key, item in value.items()}
        if isinstance(value, np.ndarray):
            return {"ndarray": value.tolist(), "dtype": value.dtype.name}
        if isinstance(value, np.integer):
            return int(value)
        return value

    encoded = encode(state)
    assert isinstance(encoded, dict)
    return encoded


def _decode_rng_state(state: object) -> dict[str, Any]:
    """Inverse of :func:`_encode_rng_state`, accepting only known generators and integer arrays."""

    def decode(value: object, depth: int) -> object:
        if depth > 4:
            raise FileFormatError("the generator state is nested too deeply")
        if isinstance(value, dict):
            if set(value) == {"ndarray", "dtype"}:
                if value["dtype"] not in ("uint32", "uint64") or not isinstance(value["ndarray"], list):
                    raise FileFormatError(f"a generator state array must be uint32 or uint64; got {value['dtype']!r}")
                if not all(isinstance(item, int) and not isinstance(item, bool) for item in value["ndarray"]):
                    raise FileFormatError("a generator state array must hold whole numbers")
                try:
                    return np.array(value["ndarray"], dtype=value["dtype"])
                except OverflowError:
                    raise FileFormatError("a generator state array holds numbers out of range") from None
            return {key: decode(item, depth + 1) for key, item in value.items()}
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FileFormatError(f"a generator state holds whole numbers and names only; got {value!r:.40}")
        return value

    decoded = decode(state, 0)
    if not isinstance(decoded, dict) or decoded.get("bit_generator") not in BIT_GENERATORS:
        name = decoded.get("bit_generator") if isinstance(decoded, dict) else decoded
        raise FileFormatError(f"unknown random generator {name!r:.40}; known: {', '.join(BIT_GENERATORS)}")
    try:  # let numpy check the state on a scratch generator of that kind
        BIT_GENERATORS[decoded["bit_generator"]]().state = decoded
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise FileFormatError(f"invalid {decoded['bit_generator']} generator state ({error})") from None
    return decoded


# ---------------------------------------------------------------------- writing
def _write_file(path: Path, header: Header, arrays: Arrays) -> None:
    header = dict(header)
    header["arrays"] = [
        {"name": name, "dtype": array.dtype.str, "shape": list(array.shape)} for name, array in arrays.items()
    ]
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(header, arrays)}
    header_bytes = np.frombuffer(_canonical_json(header), dtype=np.uint8)
    members: dict[str, NDArray[Any]] = {"header": header_bytes, **arrays}

    def write(handle: IO[bytes]) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, array in members.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE_TIME)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=array.nbytes > 2**30) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    write_atomically(path, write)


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file next to ``path``, fsync it, then rename it over ``path``.

    Either the whole new file is in place afterwards, or (after any failure, including a
    crash) the previous file is untouched.
    """
    check_writable(path)
    folder = path.parent
    descriptor, temporary = _create_temporary(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def check_writable(path: Path) -> None:
    """Refuse early a file name that cannot be written: its folder is missing, or it is a folder."""
    if not path.parent.is_dir():
        raise MissingFileError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise IncompatibleError(f"cannot write {path}: it is a folder; expected a file name")


def _create_temporary(path: Path) -> tuple[int, Path]:
    """Create ``.NAME.<random>.tmp`` next to ``path`` (mode 0666 minus the umask, like any new file)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(temporary, flags, 0o666), temporary


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable: fsync the folder (POSIX; silently skipped where unsupported)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# ---------------------------------------------------------------------- reading
def _read_file(path: Path) -> tuple[Header, Arrays]:
    """Open, check and parse a graphnet file: the header, then every array, then the checksum."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise MissingFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path} is a folder; expected a graphnet .npz file") from None
    with handle:
        start = handle.read(4)
        if start != b"PK\x03\x04":
            raise FileFormatError(
                f"{path} is not a graphnet file: expected a zip archive (.npz) starting with b'PK\\x03\\x04'; "
                f"got {start!r}"
            )
        handle.seek(0)
        try:
            with zipfile.ZipFile(handle) as archive:
                header = _read_header(archive, path)
                expected = {f"{name}.npy" for name in ("header", *_expected_arrays(header))}
                if set(archive.namelist()) != expected:
                    found = sorted(archive.namelist())[:12]
                    raise FileFormatError(f"{path} must hold exactly the members {sorted(expected)}; got {found}")
                arrays = {
                    name: _read_npy(archive, name, path, dtype=np.dtype("<f8"), shape=shape)
                    for name, shape in _expected_arrays(header).items()
                }
        except GraphnetError:
            raise
        except Exception as error:
            # A damaged archive fails in zipfile, zlib, struct or numpy's .npy parser with many
            # exception types; each one means "not a readable graphnet file", and nothing ran.
            raise FileFormatError(
                f"{path} is truncated or damaged: expected a complete zip archive; got {type(error).__name__}: {error}"
            ) from None
    value = _checksum(header, arrays)
    if value != header["checksum"]["value"]:
        raise FileFormatError(
            f"{path} failed its checksum: it was changed after it was written (tampered with or damaged); "
            f"expected SHA-256 {header['checksum']['value'][:16]}…, got {value[:16]}…"
        )
    # a version-1 file predates dropout and optimizers: none, and plain SGD
    header.setdefault("dropout", [0.0] * (len(header["sizes"]) - 2))
    header.setdefault("optimizer", dict(SGD_ENTRY))
    return header, arrays


def _read_member(archive: zipfile.ZipFile, name: str, path: Path, *, max_bytes: int) -> bytes:
    try:
        info = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise FileFormatError(
            f"{path} has no member {name}.npy; got members {sorted(archive.namelist())[:10]}"
        ) from None
    if info.file_size > max_bytes:
        raise FileFormatError(f"{path}: {name}.npy holds {info.file_size} bytes; expected at most {max_bytes}")
    return archive.read(info)  # checks the CRC-32


def _read_npy(
    archive: zipfile.ZipFile, name: str, path: Path, *, dtype: np.dtype[Any], shape: tuple[int, ...] | None
) -> NDArray[Any]:
    """One ``.npy`` member, checked (dtype, shape, length) before numpy reads it without pickle."""
    expected_bytes = MAX_HEADER_BYTES if shape is None else math.prod(shape) * dtype.itemsize
    data = _read_member(archive, name, path, max_bytes=expected_bytes + NPY_HEADER_ROOM)
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        found_shape, _, found_dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        found_shape, _, found_dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise FileFormatError(f"{path}: {name}.npy has .npy version {version}; expected (1, 0) or (2, 0)")
    if found_dtype.hasobject:
        raise FileFormatError(
            f"{path}: {name}.npy holds Python objects (pickled data, dtype {found_dtype}); graphnet files "
            "hold numbers only, and pickled data is never loaded"
        )
    if found_dtype != dtype:
        raise FileFormatError(f"{path}: {name}.npy must hold {dtype}; got {found_dtype}")
    if shape is not None and found_shape != shape:
        raise FileFormatError(f"{path}: {name}.npy must have shape {shape} for this architecture; got {found_shape}")
    if shape is None and len(found_shape) != 1:
        raise FileFormatError(f"{path}: {name}.npy must be 1-D; got shape {found_shape}")
    data_bytes = math.prod(found_shape) * dtype.itemsize
    if len(data) - stream.tell() != data_bytes:
        raise FileFormatError(
            f"{path}: {name}.npy must hold {data_bytes} bytes of data; got {len(data) - stream.tell()} (truncated?)"
        )
    stream.seek(0)
    array: NDArray[Any] = np.lib.format.read_array(stream, allow_pickle=False)
    return np.ascontiguousarray(array)


def _read_header(archive: zipfile.ZipFile, path: Path) -> Header:
    raw = _read_npy(archive, "header", path, dtype=np.dtype(np.uint8), shape=None)
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise FileFormatError(f"{path}: the header is not valid UTF-8 JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise FileFormatError(f"{path} is not a graphnet file: expected format {FORMAT_NAME!r}; got {found!r:.60}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileFormatError(f"{path}: format_version must be a whole number ≥ 1; got {version!r:.60}")
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{path} has format version {version}, written by a newer graphnet "
            f"({header.get('graphnet_version')!r:.20}); this graphnet reads up to version {FORMAT_VERSION}: upgrade"
        )
    _check_header(header, path)
    return header


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


# ---------------------------------------------------------------------- building
def _build_network(
    header: Header,
    arrays: Arrays,
    custom_activations: CustomActivations | None,
    custom_losses: CustomLosses | None,
) -> Network:
    from graphnet.graph.network import Network

    activations = [_resolve_activation(entry, custom_activations, header) for entry in header["activations"]]
    loss = _resolve_loss(header["loss"], custom_losses)
    rng_state = _decode_rng_state(header["rng"])
    try:
        network = Network(
            header["sizes"],
            activation=activations,
            loss=loss,
            bias=header["bias"],
            init=header["init"],
            bias_init=header["bias_init"],
            l2=header["l2"],
            dropout=header.get("dropout", 0.0),
            seed=header["seed"],
        )
        network.set_params(_params_from_arrays(header, arrays))
        network.optimizer = _build_optimizer(_optimizer_of(header))
        _set_state_from_arrays(network, network.optimizer, {name: arrays[name] for name in _state_member_names(header)})
    except UnknownNameError:
        raise
    except GraphnetError as error:
        raise FileFormatError(f"the file describes a network graphnet cannot build: {error}") from None
    generator = BIT_GENERATORS[rng_state["bit_generator"]]()
    generator.state = rng_state
    network.rng = np.random.Generator(generator)
    return network


def _params_from_arrays(header: Header, arrays: Arrays) -> Params:
    n_layers = len(header["sizes"]) - 1
    return [(arrays[f"W{index}"], arrays[f"b{index}"] if header["bias"] else None) for index in range(1, n_layers + 1)]


def _resolve_activation(entry: dict[str, Any], custom: CustomActivations | None, header: Header) -> Activation:
    name, config = entry["name"], entry["config"]
    if not entry["custom"]:
        if name not in BUILTIN_ACTIVATIONS:
            raise FileFormatError(
                f"the file uses activation {name!r}, unknown to graphnet {header['graphnet_version']!r:.20}; "
                f"known: {', '.join(sorted(BUILTIN_ACTIVATIONS))}"
            )
        return _instantiate(BUILTIN_ACTIVATIONS[name], config, what=f"activation {name!r}")
    given = (custom or {}).get(name)
    if given is None:
        raise UnknownNameError(
            f"the file uses your own activation {name!r} (config {config}); files hold no code, so pass it: "
            f"load(path, custom_activations={{{name!r}: YourActivationClass}})"
        )
    if isinstance(given, type) and issubclass(given, Activation):
        activation = _instantiate(given, config, what=f"activation {name!r}")
    elif isinstance(given, Activation):
        activation = given
    else:
        raise IncompatibleError(
            f"custom_activations[{name!r}] must be an Activation subclass or instance; got {given!r:.60}"
        )
    if activation.name != name or activation.config() != config:
        raise IncompatibleError(
            f"custom_activations[{name!r}] is {activation.name!r} with config {activation.config()}; "
            f"the file has {name!r} with config {config}"
        )
    return activation


def _resolve_loss(entry: dict[str, Any], custom: CustomLosses | None) -> Loss:
    name = entry["name"]
    if not entry["custom"]:
        if name not in BUILTIN_LOSSES:
            known = ", ".join(sorted(BUILTIN_LOSSES))
            raise FileFormatError(f"the file uses loss {name!r}, unknown to this graphnet; known: {known}")
        return BUILTIN_LOSSES[name]()
    given = (custom or {}).get(name)
    if given is None:
        raise UnknownNameError(
            f"the file uses your own loss {name!r}; files hold no code, so pass it: "
            f"load(path, custom_losses={{{name!r}: YourLossClass}})"
        )
    loss = given() if isinstance(given, type) and issubclass(given, Loss) else given
    if not isinstance(loss, Loss) or loss.name != name:
        raise IncompatibleError(f"custom_losses[{name!r}] must be a Loss named {name!r}; got {given!r:.60}")
    return loss


def _instantiate(cls: type[Activation], config: dict[str, Any], *, what: str) -> Activation:
    try:
        return cls(**config)
    except GraphnetError as error:
        raise FileFormatError(f"the file's {what} has an invalid config: {error}") from None
    except TypeError as error:
        raise FileFormatError(
            f"the file's {what} has config {config}, which {cls.__name__} does not take ({error})"
        ) from None


def _history_from(training: dict[str, Any], optimizer: str = "sgd") -> History:
    from graphnet.tools.train import History

    settings = training["settings"]
    return History(
        engine=settings["engine"],
        rate=settings["rate"],
        batch_size=settings["batch_size"],
        reduction=settings["reduction"],
        losses=[float(v) for v in training["history"]["losses"]],
        updates=training["history"]["updates"],
        optimizer=optimizer,
    )
