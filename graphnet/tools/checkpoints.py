"""Training checkpoints: writing them during ``train``, reading them back, and resuming a run.

``train(..., checkpoint=path)`` writes a checkpoint (:func:`write_checkpoint`) after every
``checkpoint_every`` epochs and after the last one; ``train(..., resume=path)`` continues
one (:func:`read_resume_state`, :func:`restore_rng_state`, :func:`restore_optimizer_state`),
bit for bit as the uninterrupted run would have gone.  :func:`load_checkpoint` reads one as
a :class:`Checkpoint`, and :func:`resume_training` rebuilds its network and finishes its run.

A checkpoint is a network file (:mod:`graphnet.tools.networkfiles`) of ``kind``
``"checkpoint"`` whose header has a ``training`` section: the epochs done, the run's
settings, the history so far, the shuffling generator's state and the data's SHA-256
(:func:`data_fingerprint`).  The training loop reaches all it needs through this module,
:func:`~graphnet.tools.fileformat.check_writable` included (the checkpoint's path, checked
before the first epoch).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common.training import History
from graphnet.graph.network import Network, Params
from graphnet.math.errors import FileFormatError, IncompatibleError
from graphnet.math.optimizers import Optimizer
from graphnet.math.validation import check_output_file
from graphnet.tools.fileformat import PathArg, check_writable, decode_rng_state, encode_rng_state, write_file
from graphnet.tools.networkfiles import (
    CustomActivations,
    CustomLosses,
    build_network,
    params_from_arrays,
    read_network_file,
    set_state_from_arrays,
)
from graphnet.tools.networkheader import (
    ARCHITECTURE_KEYS,
    build_optimizer,
    header_value,
    network_arrays,
    network_header,
    optimizer_entry,
    optimizer_of,
    state_member_names,
)

__all__ = [
    "Checkpoint",
    "ResumeState",
    "check_writable",  # from fileformat: train_loop refuses a bad checkpoint path before the first epoch
    "data_fingerprint",
    "load_checkpoint",
    "read_resume_state",
    "restore_optimizer_state",
    "restore_rng_state",
    "resume_training",
    "write_checkpoint",
]


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
    header, arrays = read_network_file(path)
    if header["kind"] != "checkpoint":
        raise FileFormatError(f"{path} holds a network, not a training checkpoint; load it with Network.load")
    network = build_network(header, arrays, custom_activations, custom_losses)
    training = header["training"]
    return Checkpoint(
        network=network,
        epoch=training["epoch"],
        settings=dict(training["settings"]),
        history=_history_from(training, optimizer_of(header)["name"]),
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
    target = check_output_file(path, name="checkpoint")  # before any work
    header = network_header(network, kind="checkpoint")
    header["training"] = {
        "epoch": epoch,
        "settings": settings,
        "history": {"losses": list(history.losses), "updates": history.updates},
        "rng": encode_rng_state(rng.bit_generator.state),
        "data_sha256": data_sha256,
    }
    write_file(target, header, network_arrays(network), name="checkpoint")


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
    header, arrays = read_network_file(path, name="resume")
    if header["kind"] != "checkpoint":
        raise IncompatibleError(f"resume needs a training checkpoint; {path} holds a network file")
    expected = network_header(network, kind="checkpoint")
    for key in ARCHITECTURE_KEYS:
        if header_value(header, key) != expected[key]:
            raise IncompatibleError(
                f"the checkpoint {path} is for a network with {key}={header_value(header, key)!r}; "
                f"this network has {expected[key]!r}"
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
    entry = optimizer_of(header)
    if optimizer is not None:
        given = optimizer_entry(optimizer)
        if (entry["name"], entry["config"], entry["schedule"]) != (given["name"], given["config"], given["schedule"]):
            saved_optimizer = build_optimizer(entry)
            raise IncompatibleError(
                f"resuming must continue the same run: the checkpoint trained with optimizer={saved_optimizer!r}; "
                f"got optimizer={optimizer!r}"
            )
    state_names = state_member_names(header)
    return ResumeState(
        params=params_from_arrays(header, arrays),
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
    set_state_from_arrays(network, optimizer, state.optimizer_state or {})


def restore_rng_state(rng: np.random.Generator, state: dict[str, Any], *, path: PathArg) -> None:
    """Set ``rng`` to a state read from a file (the bit generators must be of the same kind)."""
    decoded = decode_rng_state(state)
    kind = type(rng.bit_generator).__name__
    if decoded["bit_generator"] != kind:
        raise IncompatibleError(
            f"the checkpoint {path} shuffled with a {decoded['bit_generator']} generator; this run uses {kind}"
        )
    rng.bit_generator.state = decoded


def _history_from(training: dict[str, Any], optimizer: str = "sgd") -> History:
    """The :class:`History` a (checked) training section records."""
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
