"""The vectorized fast path: the same network on numpy arrays, working on whole batches.

A :class:`FastNetwork` is always the mirror of a graph :class:`~graphnet.Network`, reached
with ``net.vectorized()``.  Its public methods have the graph's names, in the graph's
order: ``predict``, ``forward``, ``backward``, ``gradients``, ``update``, ``loss``,
``accuracy``, ``train``.  Both paths call the same activation and loss objects, the graph
through their scalar form, this one through their array form.

One truth for parameters
------------------------
The graph's connections hold the parameters.  A fast call computes on copies of them in
W and b, so it copies them in first, unless nothing has changed them through the graph
since the last copy; and a call that changes them (``update``, ``train``) leaves its newer
values owed to the graph, which collects them before anybody reads a connection (see
:mod:`graphnet.common.sync`; this side of it is :mod:`graphnet.fast.sync`).  So a weight
assigned on a graph ``Connection`` in the REPL is
what the next fast call uses, after fast training the graph's connections show the trained
weights, and back-to-back fast calls copy nothing (copying costs about 0.04 µs per
connection each way: 9 ms each way at 784-300-10).  Do not assign into ``layers[l].W``:
those are this path's working arrays; use ``net.set_params`` or a connection instead.

The optimizer's state follows the same rule: the graph's connections hold it
(``connection.state``); ``update`` and ``train`` copy it into arrays of W's and b's shapes
(``DenseLayer.weight_state``, ``bias_state``) and owe it back (as new state objects on the
connections), and both engines share the network's optimizer object (``net.optimizer``)
with its counts.

The fast path never imports the graph: it reads and writes it through the protocols of
:mod:`graphnet.common.mirror`, and plugs itself in as the graph's mirror
(:func:`mirror_of`, the socket :data:`graphnet.common.extensions.mirror`).

dtype: float64 by default.  ``vectorized(np.float32)`` computes in float32 end to end (the
graph keeps float64 values; results agree with the graph to about 1e-6 relative).

Memory: ``train``, ``predict``, ``accuracy`` and ``loss`` keep data that converts exactly
(float32 for float64, integers) as given and convert the rows they use when they use them;
a shuffled epoch gathers each batch's rows instead of copying the data set in a new order;
the passes over a whole set run in chunks of rows (:mod:`graphnet.fast.evaluation`).  One
epoch over 60,000 x 784 float32 rows then peaks at 0.1x (float32) to 0.4x (float64) the
data, ``accuracy`` through 784-1000-1000-10 at 0.2x (``scripts/measure_memory.py``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from graphnet.common import extensions, sync
from graphnet.common.checks import accuracy_from_outputs, check_differentiable, check_masks
from graphnet.common.mirror import ParameterGraph, Params
from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.common.training import BadInputs, History
from graphnet.fast.dense import Array, DenseLayer, first_bad_row, output_delta, sgd_backward, train_forward
from graphnet.fast.evaluation import ChunkedEvaluation, check_rows
from graphnet.fast.sync import EpochSnapshots, MirrorSync
from graphnet.fast.threads import blas_threads_for
from graphnet.math.dropout import Masks, MasksLike
from graphnet.math.errors import NumericalOverflowError, ShapeError
from graphnet.math.optimizers import SGD, Optimizer, ParameterState
from graphnet.math.validation import (
    all_finite,
    as_batch,
    as_float_array,
    as_labels,
    as_rows,
    check_computed_finite,
    check_positive_number,
    check_same_length,
    check_seed,
    surely_finite,
)


class FastNetwork(MirrorSync, EpochSnapshots, ChunkedEvaluation):
    """Dense numpy layers mirroring a graph network; batches X of shape (n_samples, n_inputs).

    Parameters
    ----------
    network : Network (any :class:`~graphnet.common.mirror.ParameterGraph`)
        The graph it mirrors and shares its parameters with.
    dtype : numpy float type, default numpy.float64
    """

    def __init__(self, network: ParameterGraph, *, dtype: type = np.float64) -> None:
        self.network = network
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ShapeError(f"dtype must be float64 or float32; got {self.dtype}")
        self.sizes = network.sizes
        self.loss_function = network.loss_function
        self.layers: list[DenseLayer] = []
        #: sync.version() when W and b (the state arrays) last equalled the graph; None: copy again
        self._weights_version: int | None = None
        self._state_version: int | None = None
        self._state_type: type[ParameterState[Any]] | None = None
        for (W, b), activation in zip(network.get_params(), network.activations, strict=True):
            self.layers.append(
                DenseLayer(
                    self._cast(W),
                    None if b is None else self._cast(b),
                    activation,
                    l2=network.l2,
                )
            )
        self._weights_version = sync.version()
        self._l2_each_batch = True  # False while a train call runs without L2 (λ = λ_b = 0 set once)
        #: the loss is the output activation's canonical one: δ = y − t (the loss and activations are fixed)
        self._canonical_output = self.loss_function.canonical_activation == network.activations[-1].name

    def dropout_factors(self, masks: Masks | None) -> list[Array | None] | None:
        """Dropout factors F = M/q per layer, in this path's dtype (None: evaluation)."""
        if masks is None:
            return None
        factors: list[Array | None] = []
        for mask, layer in zip(masks, self.network.layers[1:], strict=True):
            factors.append(None if mask is None else self._cast(mask / layer.keep))
        return factors

    def _check_masks(self, masks: MasksLike | None, n_samples: int) -> Masks | None:
        keeps = [layer.keep for layer in self.network.layers[1:]]
        return check_masks(masks, n_samples, sizes=self.sizes, keeps=keeps)

    # ------------------------------------------------------------------ public API
    def predict(self, X: ArrayLike) -> Array:
        """Outputs for each row of X, shape (n, K); a 1-D sample gives shape (K,).

        Mirrors :meth:`Network.predict`.

        Raises
        ------
        NumericalOverflowError
            If an output is NaN or inf: the net inputs overflowed (inputs or weights too large).

        Computed in chunks of rows (see :mod:`graphnet.fast.evaluation`), so a large X takes
        memory for its outputs, not for every layer's values of every row.
        """
        inputs = self._inputs(X, convert=False)
        self._pull()
        with _quiet():
            outputs = self.evaluated_outputs(inputs)
        return outputs[0] if np.ndim(X) == 1 else outputs

    def forward(self, X: ArrayLike, *, masks: MasksLike | None = None) -> Array:
        """Every layer's Z and Y for a batch; returns the output Y.  Mirrors ``Network.forward``.

        ``masks`` (row r for sample r) applies those dropout masks; without, none (evaluation).
        """
        inputs = self._inputs(X)
        factors = self.dropout_factors(self._check_masks(masks, len(inputs)))
        self._pull()
        with _quiet():
            outputs = self._forward(inputs, masks=factors)
        check_rows(outputs, what="the outputs")
        return outputs

    def backward(self, T: ArrayLike, *, reduction: str = "mean") -> None:
        """δ of every unit and (dW, db) of every layer for the last forward batch.

        Mirrors :meth:`Network.backward`; dW is reduced over the batch by ``reduction``.
        """
        check_differentiable(self.network.activations)
        last = self.layers[-1]
        if last.Y.shape[0] == 0:
            raise ShapeError("backward needs a forward pass first; got no forward batch")
        targets = self._targets(T)
        check_same_length(last.Y, targets, "the last forward batch", "T")
        check_schedule(len(targets), None, reduction)
        with _quiet():
            self._backward(targets, reduction_scale(reduction, len(targets)))
        self._check_gradients()

    def gradients(
        self,
        X: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        reduction: str = "mean",
        masks: MasksLike | None = None,
    ) -> Params:
        """``[(dW, db), …]`` of the last backward pass, or computed on the batch (X, T).

        Mirrors :meth:`Network.gradients` (``masks``: fixed dropout masks, row r for sample r).
        """
        if X is not None or T is not None:
            if X is None or T is None:
                raise ShapeError("gradients needs both X and T, or neither")
            check_differentiable(self.network.activations)
            inputs, targets = self._data(X, T)
            check_schedule(len(inputs), None, reduction)
            factors = self.dropout_factors(self._check_masks(masks, len(inputs)))
            self._pull()
            with _quiet():
                self._forward(inputs, masks=factors)
                self._backward(targets, reduction_scale(reduction, len(inputs)))
            check_rows(self.layers[-1].delta, what="the output δ")
        self._check_gradients()
        return [(layer.dW.copy(), None if layer.db is None else layer.db.copy()) for layer in self.layers]

    def update(self, rate: float, *, optimizer: str | Optimizer | None = None) -> None:
        """One update of W and b by the network's optimizer (plain SGD: W ← W − rate·dW).

        Writes the weights and the optimizer's state back to the graph.  Mirrors ``Network.update``.

        Raises
        ------
        NumericalOverflowError
            If a new weight or optimizer state would be NaN or inf; the graph's weights (and the
            optimizer's state and count) are then left as they were.
        """
        rate = check_positive_number(rate, name="rate")
        chosen = self._start_updating(optimizer)
        counts = chosen.counts()
        before = self.snapshot()  # W, b and (copied in just now) the optimizer's state arrays
        step_rate = chosen.begin_update(rate)
        plain = None if type(chosen) is SGD else chosen
        with _quiet():
            for layer in self.layers:
                layer.update(step_rate, plain)
        if not self.parameters_finite():
            self.restore(before)  # the values before this update (they may be newer than the graph's: owed to it)
            chosen.set_counts(*counts)
            raise NumericalOverflowError(
                f"the update with rate {rate:g} would make a weight NaN or inf (beyond the {self.dtype} range), or "
                "its optimizer state; expected finite values, so they are left as they were: lower the rate"
            )
        self._changed_here()

    def loss(self, X: ArrayLike, T: ArrayLike, *, reduction: str = "mean", masks: MasksLike | None = None) -> float:
        """E over the batch (mean or sum of per-sample losses) plus (λ/2)·Σ W².  Mirrors ``Network.loss``.

        Evaluation never drops nodes; ``masks`` (row r for sample r) computes E under them.
        Computed in chunks of rows (see :mod:`graphnet.fast.evaluation`).
        """
        inputs, targets = self._data(X, T, convert=False)
        check_schedule(len(inputs), None, reduction)
        factors = self.dropout_factors(self._check_masks(masks, len(inputs)))
        self._pull()
        with _quiet():
            value = self.reduced_loss(self.evaluated_losses(inputs, targets, factors, check_outputs=True), reduction)
        check_computed_finite(np.array(value), what="the loss")
        return value

    def accuracy(self, X: ArrayLike, labels: ArrayLike) -> float:
        """Share of rows whose predicted class equals the label.  Mirrors ``Network.accuracy``.

        Computed in chunks of rows (see :mod:`graphnet.fast.evaluation`).
        """
        inputs = self._inputs(X, convert=False)
        label_array = as_labels(labels, self.sizes[-1])
        self._pull()
        with _quiet():
            outputs = self.evaluated_outputs(inputs)
        return accuracy_from_outputs(outputs, label_array)

    def train(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        rate: float,
        epochs: int = 1,
        batch_size: int | None = 1,
        reduction: str = "mean",
        shuffle: bool = False,
        seed: int | None = None,
        track_loss: bool = True,
        optimizer: str | Optimizer | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        resume: str | os.PathLike[str] | None = None,
        check_gradients: str | None = None,
    ) -> History:
        """Gradient descent on batches; same arguments and schedule as :meth:`Network.train`."""
        check_differentiable(self.network.activations)
        # train_loop looks for NaN and inf on the way; batches are converted to this dtype as they are used
        inputs, targets = self._data(X, T, inputs_finite=False, convert=False)
        check_seed(seed)
        rng = np.random.default_rng(seed) if seed is not None else self.network.rng
        chosen = self._start_updating(optimizer)
        if not self.network.l2_term.active:  # λ = λ_b = 0 for every batch: set once
            self._set_l2(1)
            self._l2_each_batch = False
        rows = min(batch_size if isinstance(batch_size, int) and batch_size > 0 else len(inputs), len(inputs))
        try:  # BLAS threads by product size (graphnet.fast.threads); σ's e^(−z) may overflow to inf
            with blas_threads_for(self.sizes, rows), _quiet():
                history = extensions.train_loop(
                    self,
                    inputs,
                    targets,
                    engine="fast",
                    rate=rate,
                    epochs=epochs,
                    batch_size=batch_size,
                    reduction=reduction,
                    shuffle=shuffle,
                    rng=rng,
                    track_loss=track_loss,
                    network=self.network,
                    seed=seed,
                    checkpoint=checkpoint,
                    checkpoint_every=checkpoint_every,
                    resume=resume,
                    optimizer=chosen,
                    recheck_inputs=lambda: self._inputs(X),
                    check_gradients=check_gradients,
                )
        except BaseException:
            self._l2_each_batch = True
            if self.parameters_finite():
                self._changed_here()
            else:  # not reached: train_loop leaves finite parameters on every exit; the graph keeps its own
                self._forget()
            raise
        self._l2_each_batch = True
        self._changed_here()  # (train_loop found every parameter finite after the last update)
        return history

    # ------------------------------------------------------------------ internals (no sync)
    def _forward(self, inputs: Array, *, guarded: bool = True, masks: list[Array | None] | None = None) -> Array:
        activations = inputs
        if masks is None:
            for layer in self.layers:
                activations = layer.forward(activations, guarded=guarded)
            return activations
        for layer, mask in zip(self.layers, masks, strict=True):
            activations = layer.forward(activations, guarded=guarded, mask=mask)
        return activations

    def _output_delta(self, targets: Array) -> Array:
        return output_delta(self.layers[-1], self.loss_function, targets, canonical=self._canonical_output)

    def _set_l2(self, n_batch: int) -> None:  # every layer's λ and λ_b for a batch of n_batch rows (l2_per_batch)
        l2, l2_bias = self.network.l2_term.coefficients(n_batch)
        for layer in self.layers:
            layer.l2, layer.l2_bias = l2, l2_bias

    def _backward(self, targets: Array, scale: float) -> None:
        """Output δ from the loss, then each layer's backward, top to bottom (callers check differentiability)."""
        layers = self.layers
        self._set_l2(len(targets))
        dE_dY = layers[-1].backward_delta(self._output_delta(targets), scale=scale, propagate=len(layers) > 1)
        for index in range(len(layers) - 2, -1, -1):
            assert dE_dY is not None
            dE_dY = layers[index].backward(dE_dY, scale=scale, propagate=index > 0)

    def train_batch(
        self, inputs: Array, targets: Array, rate: float, scale: float, masks: Masks | None = None
    ) -> int | None:
        """One update by the network's optimizer; or, if a sample's output δ is NaN or inf, none.

        ``rate`` is this update's η; returns None, or the row of the bad sample.  The check is
        the divergence guard of :mod:`graphnet.tools.train`: K numbers per sample.

        Raises :class:`~graphnet.common.training.BadInputs` before updating if the inputs hold NaN or
        inf.  It costs nothing: a NaN or inf in row r of X makes every net input of row r
        NaN or inf (inf·0 is NaN), so Σ z² over the first layer's Z is not finite (one BLAS dot,
        :func:`~graphnet.math.validation.surely_finite`); only then are the rows looked at, to
        tell bad data from net inputs that overflowed.
        """
        if inputs.dtype != self.dtype:  # (the data set may be float32 for float64: see train)
            inputs = inputs.astype(self.dtype)
        layers = self.layers
        optimizer = self.network.optimizer
        fused = masks is None and type(optimizer) is SGD  # the fused loops of graphnet.fast.dense
        if masks is None:  # (the fused forward serves every optimizer)
            if fused and self._l2_each_batch:
                self._set_l2(len(inputs))
            train_forward(layers, inputs)
        else:
            self._forward(inputs, guarded=False, masks=self.dropout_factors(masks))  # (quiet)
        if not surely_finite(layers[0].Z, guarded=False) and not all_finite(inputs):  # (quiet: see train)
            raise BadInputs
        if fused:
            return sgd_backward(layers, self._output_delta(targets), rate, scale)
        self._backward(targets, scale)
        if (bad_row := first_bad_row(self.layers[-1].delta)) is not None:
            return bad_row
        plain = None if type(optimizer) is SGD else optimizer
        for layer in self.layers:
            layer.update(rate, plain)
        return None

    def batch_loss(
        self,
        inputs: Array,
        targets: Array,
        reduction: str = "mean",
        *,
        forward: bool = True,
        masks: list[Array | None] | None = None,
    ) -> float:
        """E over one batch in one forward pass (``forward=False``: of the last one); the layers keep its values.

        For the gradient checker, which perturbs W and b in place: it runs on the arrays as they
        are, unchecked and without copying the graph's weights in first.  After a change to the
        graph (``set_params``, graph training), use :meth:`loss`.
        """
        if forward:
            self._forward(inputs, masks=masks)
        output = self.layers[-1]
        return self.reduced_loss(self.loss_function.value_array(output.Y, targets, output.Z), reduction)

    def reduced_loss(self, per_sample: Array, reduction: str = "mean") -> float:
        """The mean or sum of per-sample losses plus (λ/2)·Σ W² + (λ_b/2)·Σ b² (both /n with ``l2_per_batch``)."""
        data_loss = float(per_sample.mean() if reduction == "mean" else per_sample.sum())
        penalty = 0.0
        term = self.network.l2_term
        if term.active:
            penalty = term.penalty(
                weight_squares=float(sum((layer.W.astype(np.float64) ** 2).sum() for layer in self.layers)),
                bias_squares=float(
                    sum((layer.b.astype(np.float64) ** 2).sum() for layer in self.layers if layer.b is not None)
                ),
                n_batch=len(per_sample),
            )
        return data_loss + penalty

    def epoch_loss(self, inputs: Array, targets: Array) -> float:
        """E over validated data, after copying in the graph's parameters; NaN or inf are returned, not raised.

        In chunks of rows (:mod:`graphnet.fast.evaluation`); the inputs may be of a dtype that
        converts exactly (float32 for float64), converted a chunk at a time.
        """
        self._pull()
        with _quiet():
            return self.reduced_loss(self.evaluated_losses(inputs, targets))

    def sample_losses(self, inputs: Array, targets: Array) -> Array:
        """E of each sample, without the L2 term (graph's parameters copied in); NaN or inf are returned."""
        self._pull()
        with _quiet():
            return self.evaluated_losses(inputs, targets)

    @property
    def parameter_layers(self) -> list[DenseLayer]:
        """The layers whose W and b :meth:`snapshot` keeps: all of them."""
        return self.layers

    def _check_gradients(self) -> None:
        for index, layer in enumerate(self.layers, start=1):
            check_computed_finite(layer.dW, what=f"∂E/∂W of layer {index}")
            if layer.db is not None:
                check_computed_finite(layer.db, what=f"∂E/∂b of layer {index}")

    def _inputs(self, X: ArrayLike, *, finite: bool = True, convert: bool = True) -> Array:
        """X validated; ``convert=False`` leaves it in a dtype that converts exactly, for chunked use."""
        array = as_float_array(X, name="X", dtype=self.dtype.type, finite=finite, convert=convert)
        return as_rows(array, self.sizes[0], name="X", sizes=self.sizes)

    def _targets(self, T: ArrayLike) -> Array:
        targets = as_batch(T, self.sizes[-1], name="T", sizes=self.sizes, dtype=self.dtype.type)
        self.loss_function.check_targets(targets)
        return targets

    def _data(
        self, X: ArrayLike, T: ArrayLike, *, inputs_finite: bool = True, convert: bool = True
    ) -> tuple[Array, Array]:
        inputs, targets = self._inputs(X, finite=inputs_finite, convert=convert), self._targets(T)
        check_same_length(inputs, targets, "X", "T")
        return inputs, targets

    def __repr__(self) -> str:
        return f"FastNetwork({self.sizes}, dtype={self.dtype.name}, layers={self.layers})"


def _quiet() -> np.errstate:
    """Silence numpy's overflow warnings: results are checked for NaN and inf instead, and refused by name."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


@extensions.mirror.plug
def mirror_of(network: ParameterGraph, dtype: type) -> FastNetwork:
    """The fast path plugs itself in as the graph's mirror: ``net.vectorized(dtype)`` builds this."""
    return FastNetwork(network, dtype=dtype)
