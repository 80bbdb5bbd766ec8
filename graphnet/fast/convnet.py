"""The fast path of a convolutional network: the graph's ConvNetwork on batches of arrays.

A :class:`FastConvNetwork` is the mirror of a graph
:class:`~graphnet.graph.convnet.ConvNetwork` (``net.vectorized()``), built from the same
layer plan (:mod:`graphnet.common.convspec`): :class:`~graphnet.fast.conv.ConvLayer` and
:class:`~graphnet.fast.conv.PoolLayer` for the conv and pooling layers, the dense path's
:class:`~graphnet.fast.dense.DenseLayer` after the flatten step.  Same method names as the
graph, same order: ``predict``, ``forward``, ``backward``, ``gradients``, ``update``,
``loss``, ``accuracy``, ``train``.

One truth for parameters, as for dense networks (:mod:`graphnet.common.sync`): the graph's
shared weights and connections hold them; a call copies them in when something changed
them through the graph, and a call that changes them (``update``, ``train``) owes its newer
values (and the optimizer's state) back to the graph, written before anyone reads it.

dtype: float64 by default, or float32 end to end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from graphnet.common import extensions, sync
from graphnet.common.checks import accuracy_from_outputs, check_data, check_differentiable, select_optimizer
from graphnet.common.convspec import ConvParameterGraph, ConvParams
from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.common.training import BadInputs, History
from graphnet.fast.conv import ConvLayer, PoolLayer
from graphnet.fast.dense import Array, DenseLayer
from graphnet.fast.sync import EpochSnapshots
from graphnet.math.activations import Softmax
from graphnet.math.errors import IncompatibleError, ShapeError
from graphnet.math.optimizers import SGD, Optimizer, ParameterState
from graphnet.math.validation import as_batch, as_labels, check_computed_finite, check_positive_number

ArrayLayer = ConvLayer | PoolLayer | DenseLayer

__all__ = ["FastConvNetwork"]


class FastConvNetwork(EpochSnapshots):
    """The conv network on numpy arrays; always the mirror of a graph ConvNetwork.

    Attributes
    ----------
    layers : list of ConvLayer, PoolLayer, DenseLayer
        One per non-input layer of the graph, in order.
    dtype : numpy.dtype
    """

    def __init__(self, network: ConvParameterGraph, *, dtype: type = np.float64) -> None:
        self.network = network
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float64, np.float32):
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {self.dtype}")
        self.plans = network.plans
        self.sizes = [plan.size for plan in self.plans]
        self.loss_function = network.loss_function
        self.layers: list[ArrayLayer] = []
        params = iter(network.get_params())
        for plan, activation in zip(self.plans[1:], network.activations, strict=True):
            if plan.kind == "conv":
                K, b = next(params)
                conv = plan.conv
                self.layers.append(
                    ConvLayer(self._cast(K), self._cast(b), activation, stride=conv.stride, padding=conv.padding)
                )
            elif plan.kind == "dense":
                W, b = next(params)
                self.layers.append(DenseLayer(self._cast(W), self._cast(b), activation))
            else:
                self.layers.append(PoolLayer(plan.kind, plan.pool.size, plan.pool.step))
        self._canonical_output = self.loss_function.canonical_activation == network.activations[-1].name
        self._version: int | None = sync.version()
        self._state_version: int | None = None
        self._state_type: type[ParameterState[Any]] | None = None

    # ------------------------------------------------------------------ one truth
    def _cast(self, values: Array) -> Array:
        cast: Array = np.ascontiguousarray(values, dtype=self.dtype)
        check_computed_finite(cast, what=f"the parameters as {self.dtype}")
        return cast

    @property
    def learned(self) -> list[ConvLayer | DenseLayer]:
        """The layers with parameters (conv and dense), bottom to top."""
        return [layer for layer in self.layers if not isinstance(layer, PoolLayer)]

    def _pull(self) -> None:
        """Copy the graph's parameters in (unless nothing changed them since the last copy)."""
        sync.settle(keep=self._write_back)
        for layer in self.learned:
            layer.l2 = self.network.l2
        if self._version == sync.version():
            return
        for layer, (W, b) in zip(self.learned, self.network.get_params(), strict=True):
            layer.W, layer.b = self._cast(W), self._cast(b)
        self._version = sync.version()

    def _pull_state(self, optimizer: Optimizer) -> None:
        """Copy the optimizer state of the graph's parameters in (0 where there is none)."""
        sync.settle(keep=self._write_back)
        state_type = optimizer.state_type
        if self._state_version == sync.version() and self._state_type is state_type:
            return
        layers = self.learned
        if state_type is None:
            for layer in layers:
                layer.weight_state = layer.bias_state = None
        else:
            fields = self.network.get_states(state_type.fields)
            for k, layer in enumerate(layers):
                layer.weight_state = state_type(*(self._cast(field[2 * k]) for field in fields))
                layer.bias_state = state_type(*(self._cast(field[2 * k + 1]) for field in fields))
        self._state_type = state_type
        self._state_version = sync.version()

    def _write_back(self) -> None:
        """Write the parameters (and the optimizer's state arrays) into the graph."""
        layers = self.learned
        self.network.set_params([(layer.W.astype(np.float64), np.asarray(layer.b, np.float64)) for layer in layers])
        state_type = self._state_type
        if state_type is not None and all(layer.weight_state is not None for layer in layers):
            arrays = [
                [
                    np.asarray(values[f], np.float64)
                    for layer in layers
                    for values in (layer.weight_state.values(), layer.bias_state.values())
                ]
                for f in range(len(state_type.fields))
            ]
            self.network.set_states(state_type, arrays)
        self._version = self._state_version = sync.version()

    def _changed_here(self) -> None:
        sync.owe(self._write_back)

    # ------------------------------------------------------------------ public API
    def _inputs(self, X: ArrayLike) -> Array:
        array = np.asarray(X, dtype=self.dtype)
        if array.ndim == 4:
            array = array.reshape(len(array), -1)
        return as_batch(array, self.sizes[0], name="X", sizes=self.sizes, dtype=self.dtype.type)

    def _data(self, X: ArrayLike, T: ArrayLike) -> tuple[Array, Array]:
        inputs, targets = check_data(self._inputs(X), T, sizes=self.sizes, loss=self.loss_function)
        return inputs.astype(self.dtype, copy=False), targets.astype(self.dtype, copy=False)

    def predict(self, X: ArrayLike) -> Array:
        """Outputs for each row of X, shape (n, K); a single sample gives shape (K,)."""
        array = np.asarray(X)
        single = array.ndim == 1 or (array.ndim == 3 and len(self.plans[0].in_shape) == 3)
        self._pull()
        outputs = self._forward(self._inputs(array.reshape(1, -1) if single else array))
        return outputs[0] if single else outputs

    def forward(self, X: ArrayLike) -> Array:
        """Every layer's Z and Y for a batch (rows of C·H·W values, or (n, C, H, W)); returns the output Y."""
        self._pull()
        return self._forward(self._inputs(X))

    def _forward(self, inputs: Array) -> Array:
        activations = inputs.reshape(len(inputs), *self.plans[0].in_shape)
        for layer in self.layers:
            if isinstance(layer, DenseLayer) and activations.ndim > 2:
                activations = activations.reshape(len(activations), -1)  # the flatten step
            activations = layer.forward(activations)
        return activations

    def backward(self, T: ArrayLike, *, reduction: str = "mean") -> None:
        """δ of every unit and the gradients of every layer for the last forward batch."""
        check_differentiable(self.network.activations)
        output = self.layers[-1]
        targets = as_batch(T, self.sizes[-1], name="T", sizes=self.sizes, dtype=self.dtype.type)
        if targets.shape[0] != output.Y.shape[0]:
            raise ShapeError(f"T has {targets.shape[0]} rows; the last forward batch had {output.Y.shape[0]}")
        check_schedule(len(targets), None, reduction)
        self._backward(targets, reduction_scale(reduction, len(targets)))

    def _backward(self, targets: Array, scale: float) -> None:
        output = self.layers[-1]
        assert isinstance(output, DenseLayer)
        loss = self.loss_function
        if self._canonical_output:
            delta = output.Y - targets
        elif isinstance(output.activation, Softmax):
            gradient = loss.output_gradient_array(output.Y, targets)
            weighted = (output.Y * gradient).sum(axis=1, keepdims=True)
            delta = output.Y * (gradient - weighted)
        else:
            delta = output.derivative() * loss.output_gradient_array(output.Y, targets)
        dE_dY = output.backward_delta(delta, scale=scale, propagate=len(self.layers) > 1)
        for index in range(len(self.layers) - 2, -1, -1):
            assert dE_dY is not None
            layer = self.layers[index]
            if not isinstance(layer, DenseLayer) and dE_dY.ndim == 2:
                dE_dY = dE_dY.reshape(len(dE_dY), *self.plans[index + 1].out_shape)  # back through the flatten
            dE_dY = layer.backward(dE_dY, scale=scale, propagate=index > 0)

    @property
    def deltas(self) -> list[Array]:
        """δ of every non-input layer's units for the last backward pass, each as (n, size) rows."""
        return [layer.delta.reshape(len(layer.delta), -1) for layer in self.layers]

    def gradients(
        self, X: ArrayLike | None = None, T: ArrayLike | None = None, *, reduction: str = "mean"
    ) -> ConvParams:
        """``[(dK, db), …, (dW, db)]`` of the last backward pass, or of the batch (X, T)."""
        if X is not None or T is not None:
            if X is None or T is None:
                raise ShapeError("gradients needs both X and T, or neither")
            inputs, targets = self._data(X, T)
            check_schedule(len(inputs), None, reduction)
            self._pull()
            self._forward(inputs)
            check_differentiable(self.network.activations)
            self._backward(targets, reduction_scale(reduction, len(inputs)))
        out: ConvParams = []
        for layer in self.learned:
            db = layer.db
            assert db is not None
            out.append((layer.dW.copy(), db.copy()))
        return out

    def update(self, rate: float, *, optimizer: str | Optimizer | None = None) -> None:
        """One update of every K, b, W, b by the network's optimizer, owed back to the graph."""
        rate = check_positive_number(rate, name="rate")
        chosen = self._start_updating(optimizer)
        step_rate = chosen.begin_update(rate)
        plain = None if type(chosen) is SGD else chosen
        for layer in self.learned:
            layer.update(step_rate, plain)
        self._changed_here()

    def _start_updating(self, optimizer: str | Optimizer | None) -> Optimizer:
        self._pull()
        chosen = select_optimizer(self.network, optimizer)
        self._pull()
        self._pull_state(chosen)
        return chosen

    def loss(self, X: ArrayLike, T: ArrayLike, *, reduction: str = "mean") -> float:
        """E over a data set: mean or sum of per-sample losses, plus (λ/2)·Σ w²."""
        inputs, targets = self._data(X, T)
        check_schedule(len(inputs), None, reduction)
        self._pull()
        total = self._reduced(self._losses(inputs, targets), reduction)
        check_computed_finite(np.array(total), what="the loss")
        return total

    def _losses(self, inputs: Array, targets: Array, chunk: int = 500) -> Array:
        parts = []
        for start in range(0, len(inputs), chunk):
            self._forward(inputs[start : start + chunk])
            out = self.layers[-1]
            assert isinstance(out, DenseLayer)
            parts.append(self.loss_function.value_array(out.Y, targets[start : start + chunk], out.Z))
        return np.concatenate(parts)

    def _reduced(self, per_sample: Array, reduction: str) -> float:
        data_loss = float(per_sample.mean() if reduction == "mean" else per_sample.sum())
        if self.network.l2 == 0.0:
            return data_loss
        return data_loss + 0.5 * self.network.l2 * sum(
            float((layer.W.astype(np.float64) ** 2).sum()) for layer in self.learned
        )

    def accuracy(self, X: ArrayLike, labels: ArrayLike) -> float:
        """Share of rows whose predicted class equals the label."""
        inputs = self._inputs(X)
        self._pull()
        outputs = np.concatenate([self._forward(inputs[s : s + 500]) for s in range(0, len(inputs), 500)])
        return accuracy_from_outputs(outputs, as_labels(labels, self.sizes[-1]))

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
        on_epoch: Any = None,
    ) -> History:
        """Gradient descent on batches through the shared training loop; the parameters owed back to the graph."""
        check_differentiable(self.network.activations)
        inputs, targets = self._data(X, T)
        chosen = self._start_updating(optimizer)
        rng = np.random.default_rng(seed) if seed is not None else self.network.rng  # type: ignore[attr-defined]
        try:
            return extensions.train_loop(
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
                optimizer=chosen,
                on_epoch=on_epoch,
            )
        finally:
            self._changed_here()

    # ------------------------------------------------------------------ for the training loop
    def train_batch(self, inputs: Array, targets: Array, rate: float, scale: float, masks: Any = None) -> int | None:
        """One update by the network's optimizer; or, if a sample's output δ is NaN or inf, none (its row)."""
        if not np.isfinite(inputs).all():
            raise BadInputs
        with np.errstate(over="ignore", invalid="ignore"):
            self._forward(inputs)
            self._backward(targets, scale)
        output_delta = self.layers[-1].delta
        bad_rows = np.flatnonzero(~np.isfinite(output_delta).all(axis=1))
        if bad_rows.size:
            return int(bad_rows[0])
        optimizer = self.network.optimizer
        plain = None if type(optimizer) is SGD else optimizer
        for layer in self.learned:
            layer.update(rate, plain)
        return None

    def epoch_loss(self, inputs: Array, targets: Array) -> float:
        """E over validated data (NaN or inf returned, not raised)."""
        self._pull()
        with np.errstate(all="ignore"):
            return self._reduced(self._losses(inputs.astype(self.dtype, copy=False), targets), "mean")

    def sample_losses(self, inputs: Array, targets: Array) -> Array:
        """E of each sample without the L2 term."""
        self._pull()
        with np.errstate(all="ignore"):
            return self._losses(inputs.astype(self.dtype, copy=False), targets)

    @property
    def parameter_layers(self) -> list[ConvLayer | DenseLayer]:
        """The layers whose W and b :meth:`snapshot` keeps: the learned ones (pooling has none)."""
        return self.learned

    def __repr__(self) -> str:
        return f"FastConvNetwork({len(self.layers)} layers, {self.dtype})"


@extensions.conv_mirror.plug
def conv_mirror_of(network: ConvParameterGraph, dtype: type) -> FastConvNetwork:
    """The socket :data:`graphnet.common.extensions.conv_mirror`: a new fast mirror of ``network``."""
    return FastConvNetwork(network, dtype=dtype)
