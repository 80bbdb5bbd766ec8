"""The training loop shared by both engines; it returns a :class:`~graphnet.common.training.History`.

Both the graph network and the fast path train through :func:`train_loop`; each engine
only supplies ``train_batch(X, T, rate, scale, masks)`` (one update from one batch) and
``epoch_loss(X, T)`` (and the small helpers of :class:`Trainable`).  Epochs, batches,
shuffling, reduction, the optimizer's counts and learning-rate schedule, the dropout masks,
the divergence guard and checkpoints therefore cannot differ between the engines.

Schedules:

* ``batch_size=1``: per-sample stochastic gradient descent (one update per sample);
* ``batch_size=k``: mini-batch gradient descent;
* ``batch_size=None``: full-batch gradient descent (one update per epoch).

In a batch the per-sample gradients are summed (``reduction="sum"``) or averaged
(``"mean"``) before one update w ← w − rate·g; the L2 term λ·w is added once per update.

Per update, in this order: ``optimizer.begin_update(rate)`` counts the update (t ← t + 1)
and gives the rate η of this update from the schedule; then, if the network has dropout,
:func:`graphnet.math.dropout.draw_masks` draws the batch's masks from the training generator
(after that epoch's shuffle); then the engine computes the gradients and applies the
optimizer's rule.  After each epoch ``optimizer.end_epoch()`` counts it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common import extensions
from graphnet.common.schedule import EpochSchedule, check_schedule, reduction_scale
from graphnet.common.training import BadInputs, History, Snapshot, Trainable
from graphnet.graph.network import Network
from graphnet.math.dropout import draw_masks
from graphnet.math.errors import IncompatibleError, NonFiniteError, TrainingDiverged, WrongGradientError
from graphnet.math.optimizers import SGD, Optimizer
from graphnet.math.validation import check_bool, check_choice, check_count, check_path, check_positive_number
from graphnet.tools import checkpoints
from graphnet.tools.gradcheck import gradient_check

PathArg = str | os.PathLike[str]
#: Batch members listed in a divergence message before the rest is elided.
SHOWN_BATCH_MEMBERS = 8

__all__ = ["SHOWN_BATCH_MEMBERS", "BadInputs", "History", "Snapshot", "Trainable", "train_loop"]


def train_loop(
    model: Trainable,
    X: NDArray[np.floating],
    T: NDArray[np.floating],
    *,
    engine: str,
    rate: float,
    epochs: int,
    batch_size: int | None,
    reduction: str,
    shuffle: bool,
    rng: np.random.Generator,
    track_loss: bool = True,
    on_epoch: Callable[[int, float], None] | None = None,
    network: Network | None = None,
    seed: int | None = None,
    checkpoint: PathArg | None = None,
    checkpoint_every: int = 1,
    resume: PathArg | None = None,
    optimizer: Optimizer | None = None,
    recheck_inputs: Callable[[], object] | None = None,
    check_gradients: str | None = None,
) -> History:
    """Run ``epochs`` passes of gradient descent over (X, T) on ``model``.

    ``X`` and ``T`` are already validated 2-D arrays with one row per sample (but see
    *Inputs checked on the way* for NaN and inf in X).  ``network``
    (the graph the model belongs to) says which layers drop out and is needed for
    checkpoints, as is ``seed`` (as given to ``train``).  ``optimizer`` (default: a fresh
    plain SGD) counts the updates and gives each one's rate.

    Checkpoints
    -----------
    With ``checkpoint=path`` the state of the run is written to ``path`` (atomically, see
    :mod:`graphnet.tools.io`) after every ``checkpoint_every`` epochs and after the last one:
    parameters, the optimizer (settings, counts and per-parameter state), epochs done,
    history, settings, the shuffling generator's state and a SHA-256 of the data.
    ``resume=path`` starts from such a file instead of from epoch 0 and gives, bit for bit,
    the parameters and history the uninterrupted run gives (with any optimizer, and with
    dropout: the generator's state also restores the masks); ``epochs`` stays the total to
    reach.

    Divergence guard
    ----------------
    Before each update the engine checks the batch's output deltas (K numbers per sample);
    after each epoch the loop checks every parameter and the loss.  The parameters at the
    start of each epoch are kept (one copy per epoch, with the optimizer's state and counts,
    and with dropout the generator's state).  When a check fails, training stops
    with :class:`TrainingDiverged` naming the epoch and the sample (or batch), and the
    network keeps the last finite parameters: those from just before the failing update.
    If only the end-of-epoch check saw it, the epoch is replayed from its start with every
    weight checked after every update to find that update (training is deterministic, so
    the replay retraces it); if no update is to blame (only the loss over the whole data
    set overflowed), the network keeps the parameters from the start of that epoch.

    Inputs checked on the way
    -------------------------
    With ``recheck_inputs`` the caller has not yet looked for NaN or inf in X: that pass
    over the whole data set costs as much as 10% of a 784-30-10 epoch, because X comes from
    memory once more.  The engines look instead, batch by batch, before each update
    (:meth:`Trainable.train_batch` raises :class:`BadInputs`); the fast path at no cost,
    from net inputs it computes anyway.  Every row is met in the first epoch.  If a batch
    holds NaN or inf, the model, the optimizer's counts and state and the generator are
    put back as the call found them, and ``recheck_inputs()`` raises the caller's usual
    error naming the value.  With ``resume``, or no epoch to run, it is called up front.

    Gradient guard
    --------------
    ``check_gradients="first"`` runs a sampled gradient check
    (:func:`~graphnet.tools.gradcheck.gradient_check`, ``mode="sample"``, no dropout, seed 0)
    on the first batch of the call, before its update, and stops with
    :class:`~graphnet.math.errors.WrongGradientError` if a row is wrong: a custom activation
    or loss with a wrong derivative cannot train silently.  Kinks do not count (see
    :mod:`graphnet.tools.kinks`).  The check changes no parameter and draws nothing from the
    training generator, so a run that passes it is bit for bit the run without it.

    Raises
    ------
    WrongGradientError
        With ``check_gradients="first"``, if the first batch's gradient check fails.
    TrainingDiverged
        If an output δ, a weight or the loss becomes NaN or infinite.
    IncompatibleError
        If ``resume`` names a checkpoint of another network, data set or schedule.
    NonFiniteError
        From ``recheck_inputs``, if X holds NaN or inf.
    """
    rate = check_positive_number(rate, name="rate")
    epochs = check_count(epochs, name="epochs", minimum=0)
    if recheck_inputs is not None and (resume is not None or epochs == 0):
        recheck_inputs()  # up front: a resume replaces the parameters before the first batch
        recheck_inputs = None
    size = check_schedule(len(X), batch_size, reduction)
    shuffle = check_bool(shuffle, name="shuffle")
    track_loss = check_bool(track_loss, name="track_loss")
    checkpoint_every = check_count(checkpoint_every, name="checkpoint_every")
    if check_gradients is not None:
        check_choice(check_gradients, ("first",), name="check_gradients")
    if check_gradients is not None and network is None:
        raise IncompatibleError("check_gradients needs the graph network; train through Network.train")
    checkpoint_path = None if checkpoint is None else check_path(checkpoint, name="checkpoint")
    resume_path = None if resume is None else check_path(resume, name="resume")
    optimizer = optimizer if optimizer is not None else SGD()
    history = History(engine=engine, rate=rate, batch_size=batch_size, reduction=reduction, optimizer=optimizer.name)
    updates = _Updates(optimizer, network if network is not None and network.has_dropout else None, rate, reduction)
    settings = {
        "rate": rate,
        "epochs": epochs,
        "batch_size": None if batch_size is None else size,
        "reduction": reduction,
        "shuffle": shuffle,
        "seed": None if seed is None or isinstance(seed, np.random.Generator) else int(seed),
        "track_loss": track_loss,
        "engine": engine,
        "checkpoint_every": checkpoint_every,
    }
    data_sha256 = ""
    if checkpoint_path is not None or resume_path is not None:
        if network is None:
            raise IncompatibleError("checkpoints need the graph network; train through Network.train")
        if checkpoint_path is not None:
            checkpoints.check_writable(checkpoint_path)  # now, not after the first epoch
        data_sha256 = checkpoints.data_fingerprint(X, T)
    first_epoch = 0
    if resume_path is not None:
        assert network is not None
        state = checkpoints.read_resume_state(
            resume_path, network, settings=settings, data_sha256=data_sha256, optimizer=optimizer
        )
        checkpoints.restore_rng_state(rng, state.rng_state, path=resume_path)
        network.set_params(state.params)
        checkpoints.restore_optimizer_state(network, optimizer, state)
        model.sync_from_graph()
        history.losses, history.updates, first_epoch = state.losses, state.updates, state.epoch
    if not model.parameters_finite():
        raise NonFiniteError(
            "the parameters must be finite to train; got NaN or inf (assigned to a connection by hand?); "
            "set finite ones with set_params"
        )
    drawn_from = shuffle or updates.network is not None  # (else nothing draws from the generator)
    start_rng_state = dict(rng.bit_generator.state) if drawn_from else None
    call_start: _EpochStart | None = None
    for epoch in range(first_epoch, epochs):
        snapshot = _EpochStart(model.snapshot(), optimizer.counts(), updates.rng_state(rng))
        call_start = call_start or snapshot
        schedule = EpochSchedule.draw(X, T, size, shuffle=shuffle, rng=rng)
        for number, inputs, targets in schedule.batches():
            if number == 0 and check_gradients == "first" and epoch == first_epoch:
                assert network is not None
                model.sync_to_graph()
                _check_first_batch(network, schedule, reduction)
            counts = optimizer.counts()
            try:
                bad_row = updates.apply_batch(model, inputs, targets, rng)
            except BadInputs:
                call_start.restore(model, optimizer)
                if start_rng_state is not None:
                    rng.bit_generator.state = start_rng_state
                if recheck_inputs is not None:
                    recheck_inputs()
                raise NonFiniteError(  # (recheck_inputs names the value first)
                    f"X must be finite; got NaN or inf among samples {schedule.samples(number).tolist()}"
                ) from None
            if bad_row is not None:
                optimizer.set_counts(*counts)  # no update was made
                sample = int(schedule.samples(number)[bad_row])
                raise _diverged(model, X, T, epoch, schedule, number, sample, snapshot, updates)
            history.updates += 1
        optimizer.end_epoch()
        loss = model.epoch_loss(X, T) if track_loss or on_epoch is not None else None
        if not model.parameters_finite() or (loss is not None and not math.isfinite(loss)):
            raise _diverged(model, X, T, epoch, schedule, None, None, snapshot, updates, loss=loss)
        if loss is not None:
            history.losses.append(loss)
            if on_epoch is not None:
                on_epoch(epoch, loss)
        done = epoch + 1
        if checkpoint_path is not None and (done % checkpoint_every == 0 or done == epochs):
            assert network is not None
            model.sync_to_graph()
            checkpoints.write_checkpoint(
                checkpoint_path,
                network,
                epoch=done,
                settings=settings,
                history=history,
                rng=rng,
                data_sha256=data_sha256,
            )
    return history


def _check_first_batch(network: Network, schedule: EpochSchedule, reduction: str) -> None:
    """The gradient guard: a sampled gradient check on the first batch; raise if a row is wrong."""
    rows = schedule.rows(0)
    report = gradient_check(network, schedule.inputs[rows], schedule.targets[rows], mode="sample", reduction=reduction)
    if not report.passed:
        raise WrongGradientError(
            f"the gradient check on the first batch failed, so training did not start: {report.summary} "
            "Check the derivative of a custom activation or loss (gradient_check(net, X, T) shows every row).",
            report=report,
        )


def _diverged(
    model: Trainable,
    X: NDArray[np.floating],
    T: NDArray[np.floating],
    epoch: int,
    schedule: EpochSchedule,
    number: int | None,
    sample: int | None,
    snapshot: _EpochStart,
    updates: _Updates,
    *,
    loss: float | None = None,
) -> TrainingDiverged:
    """Leave the last finite parameters on ``model`` and build the error that says where it failed.

    ``number`` and ``sample`` name the update and the sample whose output δ was not finite
    (the update was not applied), or are None when the end-of-epoch check failed.
    """
    advice = f"lower the rate (got {updates.rate:g}), or scale the inputs"
    if number is None or not model.parameters_finite():
        found = _replay(model, schedule, snapshot, updates)
        if found is None:  # every update stayed finite, but the loss overflowed: name the first sample
            sample_losses = model.sample_losses(X, T)
            snapshot.restore(model, updates.optimizer)
            bad = np.flatnonzero(~np.isfinite(sample_losses))
            if bad.size:
                sample = int(bad[0])
                what = f"the loss of sample {sample} is {sample_losses[sample]} (the first such sample)"
            else:
                what = f"the loss over the training data is {loss} (the sum or the L2 term overflowed)"
            return TrainingDiverged(
                f"training diverged in epoch {epoch + 1}: every update stayed finite, but at the end of the "
                f"epoch {what}; the network keeps the parameters from the start of epoch {epoch + 1}; {advice}",
                epoch=epoch + 1,
                sample=sample,
            )
        number, sample = found
    batch = tuple(int(i) for i in schedule.samples(number))
    shown = ", ".join(str(i) for i in batch[:SHOWN_BATCH_MEMBERS]) + (", …" if len(batch) > SHOWN_BATCH_MEMBERS else "")
    where = f"update {number + 1} of {schedule.n_batches}"
    if len(batch) > 1:
        where += f", a batch of {len(batch)} samples [{shown}]"
    if sample is not None:
        what = f"at sample {sample} ({where}): its output δ is not finite"
    elif len(batch) == 1:
        sample = batch[0]
        what = f"at sample {sample} ({where}): the update made a weight or its optimizer state overflow to inf or NaN"
    else:
        what = f"at {where}: the update made a weight or its optimizer state overflow to inf or NaN"
    return TrainingDiverged(
        f"training diverged in epoch {epoch + 1} {what}; the network keeps the parameters from just "
        f"before that update; {advice}",
        epoch=epoch + 1,
        sample=sample,
        batch=batch,
    )


def _replay(
    model: Trainable, schedule: EpochSchedule, snapshot: _EpochStart, updates: _Updates
) -> tuple[int, int | None] | None:
    """Redo an epoch from its snapshot, checking every parameter after every update.

    The optimizer's counts and state and (with dropout) the generator are put back too, so
    the replay makes the very same updates.  Returns the first failing update (and the
    sample whose δ failed, if that was it), with the parameters and optimizer state from
    just before it left on the model; or None if every update stays finite.
    """
    optimizer = updates.optimizer
    rng = snapshot.restore(model, optimizer)
    if rng is not None and schedule.order is not None:
        rng.permutation(len(schedule.X))  # the epoch's shuffle, drawn before its masks
    for number in range(schedule.n_batches):
        before, counts = model.snapshot(), optimizer.counts()
        bad_row = updates.apply(model, schedule, number, rng)
        if bad_row is not None:
            optimizer.set_counts(*counts)
            return number, int(schedule.samples(number)[bad_row])
        if not model.parameters_finite():
            model.restore(before)
            optimizer.set_counts(*counts)
            return number, None
    return None


@dataclass
class _Updates:
    """How each update of a run is made: the optimizer's count and rate, then the dropout masks."""

    optimizer: Optimizer
    network: Network | None  # the graph, when it has dropout
    rate: float
    reduction: str

    def apply(
        self, model: Trainable, schedule: EpochSchedule, number: int, rng: np.random.Generator | None
    ) -> int | None:
        """Update ``number`` of the epoch: what ``model.train_batch`` returns."""
        rows = schedule.rows(number)
        return self.apply_batch(model, schedule.inputs[rows], schedule.targets[rows], rng)

    def apply_batch(
        self,
        model: Trainable,
        inputs: NDArray[np.floating],
        targets: NDArray[np.floating],
        rng: np.random.Generator | None,
    ) -> int | None:
        """One update from the batch (inputs, targets): what ``model.train_batch`` returns."""
        step_rate = self.optimizer.begin_update(self.rate)
        masks = None
        n = len(inputs)
        if self.network is not None and rng is not None:
            masks = draw_masks(rng, n, sizes=self.network.sizes[1:], rates=self.network.dropout)
        return model.train_batch(inputs, targets, step_rate, reduction_scale(self.reduction, n), masks)

    def rng_state(self, rng: np.random.Generator) -> dict[str, Any] | None:
        """The generator's state (only needed to replay the masks of a dropout network)."""
        return dict(rng.bit_generator.state) if self.network is not None else None


@dataclass
class _EpochStart:
    """What an epoch started from: the engine's snapshot, the optimizer's counts, the generator's state."""

    snapshot: Snapshot
    counts: tuple[int, int, float | None]
    rng_state: dict[str, Any] | None

    def restore(self, model: Trainable, optimizer: Optimizer) -> np.random.Generator | None:
        """Put the model and the optimizer back; return a generator in the epoch's starting state (dropout)."""
        model.restore(self.snapshot)
        optimizer.set_counts(*self.counts)
        if self.rng_state is None:
            return None
        generator = np.random.Generator(getattr(np.random, self.rng_state["bit_generator"])())
        generator.bit_generator.state = self.rng_state
        return generator


extensions.train_loop.plug(train_loop)
