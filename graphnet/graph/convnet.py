"""A convolutional network as an explicit graph: conv, pooling and dense layers of nodes.

``ConvNetwork([(1, 28, 28), Conv(4, 5), MaxPool(2), 10])`` builds, per layer of the plan
(:mod:`graphnet.common.convspec`), a :class:`~graphnet.graph.layer.Layer` of nodes:
conv layers with shared-weight connections, pooling layers with fixed pooling connections
(:mod:`graphnet.graph.conv`), dense layers exactly as :class:`~graphnet.Network` builds
them (the flatten step is the (channel, row, column) order of the nodes below).  It has the
dense network's methods, same names, same order: ``forward``, ``backward``, ``gradients``,
``update``, ``predict``, ``loss``, ``accuracy``, ``train``, ``vectorized``, and it computes
the phases one node or connection at a time (:mod:`graphnet.graph.convphases`).

Parameters are held once: every kernel entry and every map's bias by one
:class:`~graphnet.graph.conv.SharedWeight`, the dense layers' by their connections.  As
arrays, ``get_params()`` gives ``[(K, b), …, (W, b)]``: K of shape (maps, C, k, k) and b
(maps,) per conv layer, W (n_out, n_in) and b (n_out,) per dense layer.  The fast mirror
(``net.vectorized()``, :mod:`graphnet.fast.convnet`) computes on copies of them and keeps
one truth with the graph as the dense mirror does (:mod:`graphnet.common.sync`).

Every layer has a bias; dropout is not offered on conv networks.

>>> from graphnet.common.convspec import Conv, MaxPool
>>> net = ConvNetwork([(1, 4, 4), Conv(2, 3), MaxPool(2), 3], seed=0)
>>> [layer.size for layer in net.layers]
[16, 8, 2, 3]
>>> net.kernel(1)[0, 0, 1, 2]
K1[0,0,1,2] = ... (4 connections)
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common import display, extensions
from graphnet.common.checks import (
    Engine,
    accuracy_from_outputs,
    check_data,
    check_differentiable,
    check_engine,
    check_target,
    select_optimizer,
)
from graphnet.common.convspec import ConvParams, LayerPlan, plan_layers
from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.common.sync import settle
from graphnet.common.training import BadInputs, History
from graphnet.graph import convphases, phases
from graphnet.graph.conv import SharedWeight, connect_conv, connect_pool, pool_layer
from graphnet.graph.convparams import ConvParameters
from graphnet.graph.convphases import Parameter
from graphnet.graph.layer import Layer, layer_activations
from graphnet.graph.objects import Connection
from graphnet.math.activations import Activation, Identity
from graphnet.math.errors import IncompatibleError, NumericalOverflowError, ShapeError
from graphnet.math.init import get_initializer
from graphnet.math.losses import Loss, get_loss
from graphnet.math.optimizers import SGD, Optimizer
from graphnet.math.validation import (
    as_batch,
    as_labels,
    as_sample,
    check_computed_finite,
    check_positive_number,
    check_scalar,
    check_seed,
)

__all__ = ["ConvNetwork"]


class ConvNetwork(ConvParameters):
    """A feed-forward network of conv, pooling and dense layers, built as a graph of nodes.

    Parameters
    ----------
    layers : list
        The input shape (C, H, W), then ``Conv(maps, kernel, stride=1, padding=0)``,
        ``MaxPool(size)``, ``AvgPool(size)`` and dense sizes (ints); the last entry is dense.
        See :mod:`graphnet.common.convspec`.
    activation : str or Activation, default "relu"
        f of every conv and dense layer (pooling layers use the identity).
    output_activation : str or Activation, optional
        Overrides ``activation`` on the output layer (e.g. ``"softmax"``).
    loss : str or Loss, default "squared_error"
    init : {"uniform", "normal", "xavier", "he"}, default "he"
        How kernels (fan-in C·k²) and dense weights start.
    bias_init : float, default 0.0
    l2 : float, default 0.0
        λ of (λ/2)·Σ w² over kernels and dense weights (not biases).
    seed : int or numpy.random.Generator, optional
    """

    def __init__(
        self,
        layers: Sequence[object],
        *,
        activation: str | Activation = "relu",
        output_activation: str | Activation | None = None,
        loss: str | Loss = "squared_error",
        init: str = "he",
        bias_init: float = 0.0,
        l2: float = 0.0,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.plans: list[LayerPlan] = plan_layers(layers)
        #: the layer list as given (the input shape, the specs, the dense sizes)
        self.specs = list(layers)
        self.sizes = [plan.size for plan in self.plans]
        learned = [plan for plan in self.plans[1:] if plan.has_parameters]
        chosen = layer_activations(activation, output_activation, len(learned))
        identity = Identity()
        by_layer = iter(chosen)
        self.activations: list[Activation] = [next(by_layer) if p.has_parameters else identity for p in self.plans[1:]]
        for index, layer_activation in enumerate(self.activations[:-1], start=1):
            if layer_activation.layerwise:
                raise IncompatibleError(f"softmax is allowed on the output layer only; layer {index} is hidden")
        self.loss_function = get_loss(loss)
        self.loss_function.check_output_activation(self.activations[-1], self.sizes[-1])
        self.init = init
        initializer = get_initializer(init)
        self.bias_init = check_scalar(bias_init, name="bias_init")
        self.l2 = check_positive_number(l2, name="l2", allow_zero=True)
        #: L2 on the biases (λ_b): a conv net has none, as Network without ``l2_bias``.
        self.l2_bias = 0.0
        check_seed(seed)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self.bias = True
        self.dropout: list[float] = [0.0] * (len(self.plans) - 2)
        self.has_dropout = False
        #: q = 1 of every non-input layer (no dropout in conv networks)
        self.keeps = [1.0] * (len(self.plans) - 1)
        self.layers: list[Layer] = [Layer(0, self.sizes[0], None)]
        self.kernels: dict[int, tuple[NDArray[np.object_], list[SharedWeight]]] = {}
        self._parameters: dict[int, list[Parameter]] = {}
        for plan, layer_activation in zip(self.plans[1:], self.activations, strict=True):
            below = self.layers[-1]
            if plan.kind in ("max_pool", "avg_pool"):
                layer = pool_layer(plan.index, plan, layer_activation)
                connect_pool(layer, below, plan)
                self._parameters[plan.index] = []
            else:
                layer = Layer(plan.index, plan.size, layer_activation)
                n_out, n_in = plan.kernel_shape[0], int(np.prod(plan.kernel_shape[1:]))
                weights = initializer(n_out, n_in, self.rng)
                biases = np.full(n_out, self.bias_init)
                if plan.kind == "conv":
                    kernel, bias_weights = connect_conv(layer, below, plan, weights.reshape(plan.kernel_shape), biases)
                    self.kernels[plan.index] = (kernel, bias_weights)
                    self._parameters[plan.index] = [*kernel.ravel().tolist(), *bias_weights]
                else:
                    layer.connect_from(below, weights, biases)
                    self._parameters[plan.index] = [c for node in layer.nodes for c in node.upstream]
            self.layers.append(layer)
        self.optimizer: Optimizer = SGD()
        self._fast: dict[str, Any] = {}

    def replica(self) -> ConvNetwork:
        """A new network of the same layers, activations, loss and λ, with these parameters and the optimizer copied."""
        learned = [a for a, p in zip(self.activations, self.plans[1:], strict=True) if p.has_parameters]
        twin = ConvNetwork(
            self.specs,
            activation=learned[0],
            output_activation=learned[-1],
            loss=self.loss_function,
            l2=self.l2,
            seed=0,
        )
        twin.set_params(self.get_params())
        twin.optimizer = copy.deepcopy(self.optimizer)
        return twin

    # ------------------------------------------------------------------ structure
    def kernel(self, layer: int) -> NDArray[np.object_]:
        """The SharedWeight objects K[m, c, u, v] of conv layer ``layer``, shape (maps, C, k, k)."""
        if layer not in self.kernels:
            raise ShapeError(f"layer {layer!r} is not a conv layer; conv layers: {sorted(self.kernels)}")
        return self.kernels[layer][0]

    def conv_bias(self, layer: int) -> list[SharedWeight]:
        """The SharedWeight b[m] of each map of conv layer ``layer``."""
        self.kernel(layer)
        return self.kernels[layer][1]

    def layer_parameters(self, index: int) -> list[Parameter]:
        """The parameters of layer ``index``: K (row-major) then b of a conv layer, [W | b] rows of a dense one."""
        return self._parameters.get(index, [])

    @property
    def connections(self) -> Iterator[Connection]:
        """Every connection into a layer with parameters (kernel, bias and dense connections)."""
        for layer in self.layers[1:]:
            if self._parameters[layer.index]:
                for node in layer.nodes:
                    yield from node.upstream

    # ------------------------------------------------------------------ one sample on the graph
    def forward(self, x: ArrayLike, *, masks: None = None) -> list[float]:
        """o_i = x_i, then net_j and o_j of every node, layer by layer; returns the outputs.

        ``x``: C·H·W values, flat or of shape (C, H, W).  ``masks``: always None (no dropout).
        """
        if masks is not None:
            raise IncompatibleError("conv networks have no dropout: masks must be None")
        values = as_sample(np.reshape(np.asarray(x, dtype=float), -1), self.sizes[0], name="x", sizes=self.sizes)
        return self._checked_forward(values, what="the outputs")

    def _checked_forward(self, values: list[float], *, what: str) -> list[float]:
        for _ in self.forward_steps(values):
            pass
        outputs = self.layers[-1].outputs
        check_computed_finite(np.array(outputs), what=what)
        return outputs

    def forward_steps(self, values: Sequence[float]) -> Iterator[phases.Step]:
        """The input and forward phases as steps (see :mod:`graphnet.graph.phases`)."""
        yield from phases.input_steps(self.layers, values)
        yield from phases.forward_steps(self.layers)

    def backward_steps(self, target: Sequence[float]) -> Iterator[phases.Step]:
        """Output δ, hidden δ (pooling routes δ per connection), then the gradients, as steps."""
        yield from phases.output_delta_steps(self.layers, self.loss_function, target)
        yield from phases.hidden_delta_steps(self.layers)
        yield from convphases.gradient_steps(self)

    def steps(self, x: Sequence[float], target: Sequence[float], rate: float) -> Iterator[phases.Step]:
        """One whole training step, all six phases, as steps (what a stepper walks)."""
        yield from self.forward_steps(x)
        yield from self.backward_steps(target)
        yield from convphases.update_steps(self, self.optimizer, rate)

    def backward(self, target: ArrayLike) -> None:
        """δ of every node and ∂E/∂p of every parameter for the last forward pass."""
        values = check_target(target, sizes=self.sizes, loss=self.loss_function)
        for _ in self.backward_steps(values):
            pass
        for layer in self.layers[1:]:
            check_computed_finite(np.array(layer.deltas), what=f"δ of layer {layer.index}")

    def gradients(
        self, X: ArrayLike | None = None, T: ArrayLike | None = None, *, reduction: str = "mean"
    ) -> ConvParams:
        """``[(dK, db), …, (dW, db)]``: of the last ``backward``, or of the batch (X, T) reduced, plus λ·K."""
        if X is not None or T is not None:
            if X is None or T is None:
                raise ShapeError("gradients needs both X and T, or neither")
            inputs, targets = self._check_data(X, T)
            check_schedule(len(inputs), None, reduction)
            bad = self._accumulate(inputs, targets, reduction_scale(reduction, len(inputs)))
            if bad is not None:
                check_computed_finite(np.array(self.layers[-1].deltas), what=f"the output δ of sample {bad}")
        gradients = self._arrays(lambda p: p.gradient)
        for index, (dK, db) in enumerate(gradients):
            check_computed_finite(dK, what=f"the gradient of parameter array {2 * index}")
            check_computed_finite(db, what=f"the gradient of parameter array {2 * index + 1}")
        return gradients

    def _accumulate(self, inputs: NDArray[np.floating], targets: NDArray[np.floating], scale: float) -> int | None:
        """Gradient = scale·Σ_samples (per-sample ∂E/∂p) + λ·p on every parameter; the first bad row, or None."""
        parameters = list(self.parameters)
        totals = [0.0] * len(parameters)
        l2 = self.l2
        self.l2 = 0.0  # the per-sample gradients without λ; it is added once below
        try:
            for number, (x, t) in enumerate(zip(inputs.tolist(), targets.tolist(), strict=True)):
                for _ in self.forward_steps(x):
                    pass
                for _ in phases.output_delta_steps(self.layers, self.loss_function, t):
                    pass
                if not np.isfinite(self.layers[-1].deltas).all():
                    return number
                for _ in phases.hidden_delta_steps(self.layers):
                    pass
                for _ in convphases.gradient_steps(self):
                    pass
                for k, parameter in enumerate(parameters):
                    totals[k] += parameter.gradient
        finally:
            self.l2 = l2
        settle()
        for parameter, total in zip(parameters, totals, strict=True):
            parameter.gradient = scale * total + (0.0 if parameter.is_bias else l2 * parameter._weight)
        return None

    def update(self, rate: float, *, optimizer: str | Optimizer | None = None) -> None:
        """One update of every parameter (a shared weight once) from its gradient; see :meth:`Network.update`."""
        rate = check_positive_number(rate, name="rate")
        chosen = select_optimizer(self, optimizer)
        before, counts = self.snapshot(), chosen.counts()
        try:
            for _ in convphases.update_steps(self, chosen, rate):
                pass
        except NumericalOverflowError as refused:
            self.restore(before)
            chosen.set_counts(*counts)
            raise NumericalOverflowError(
                f"the update with rate {rate:g} would make a parameter NaN or inf ({refused}); "
                "every weight and state is left as it was"
            ) from None

    # ------------------------------------------------------------------ data sets
    def _check_data(
        self, X: ArrayLike, T: ArrayLike, *, inputs_finite: bool = True
    ) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
        return check_data(_flat_rows(X), T, sizes=self.sizes, loss=self.loss_function, inputs_finite=inputs_finite)

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Outputs for one sample (shape (K,)) or each row of X (n, C·H·W) or (n, C, H, W), on the graph."""
        array = np.asarray(X, dtype=float)
        if array.ndim == 1 or (array.ndim == 3 and len(self.plans[0].in_shape) == 3):
            return np.array(self.forward(array))
        batch = as_batch(_flat_rows(array), self.sizes[0], name="X", sizes=self.sizes)
        return np.array(
            [self._checked_forward(row, what=f"the outputs for sample {n}") for n, row in enumerate(batch.tolist())]
        )

    def loss(self, X: ArrayLike, T: ArrayLike, *, reduction: str = "mean", engine: Engine = "fast") -> float:
        """E over a data set (mean or sum of per-sample losses) plus (λ/2)·Σ w²."""
        check_engine(engine)
        if engine == "fast":
            return float(self.vectorized().loss(X, T, reduction=reduction))
        inputs, targets = self._check_data(X, T)
        check_schedule(len(inputs), None, reduction)
        per_sample = []
        for x, t in zip(inputs.tolist(), targets.tolist(), strict=True):
            self._checked_forward(x, what="the outputs")
            out = self.layers[-1]
            per_sample.append(self.loss_function.value(out.outputs, t, out.net_inputs))
        data_loss = sum(per_sample) / len(per_sample) if reduction == "mean" else sum(per_sample)
        return data_loss + self.l2_penalty()

    def accuracy(self, X: ArrayLike, labels: ArrayLike, *, engine: Engine = "fast") -> float:
        """Share of samples whose argmax output (one output: ≥ 0.5) equals the label."""
        check_engine(engine)
        if engine == "fast":
            return float(self.vectorized().accuracy(X, labels))
        return accuracy_from_outputs(self.predict(_flat_rows(X)), as_labels(labels, self.sizes[-1]))

    def train(self, X: ArrayLike, T: ArrayLike, *, rate: float, engine: Engine = "fast", **settings: Any) -> History:
        """Gradient descent through the training loop of :mod:`graphnet.tools.train` (default: on the fast path).

        ``settings``: ``epochs``, ``batch_size``, ``reduction``, ``shuffle``, ``seed``,
        ``track_loss``, ``optimizer`` as for :meth:`Network.train` (no checkpoints).
        """
        check_engine(engine)
        if engine == "fast":
            result: History = self.vectorized().train(X, T, rate=rate, **settings)
            return result
        check_differentiable(self.activations)
        inputs, targets = self._check_data(X, T)
        seed = settings.pop("seed", None)
        check_seed(seed)
        select_optimizer(self, settings.pop("optimizer", None))
        return extensions.train_loop(
            self,
            inputs,
            targets,
            engine="graph",
            rate=rate,
            epochs=settings.pop("epochs", 1),
            batch_size=settings.pop("batch_size", 1),
            reduction=settings.pop("reduction", "mean"),
            shuffle=settings.pop("shuffle", False),
            rng=np.random.default_rng(seed) if seed is not None else self.rng,
            track_loss=settings.pop("track_loss", True),
            optimizer=self.optimizer,
            **settings,
        )

    def vectorized(self, dtype: type = np.float64) -> Any:
        """The fast path (:class:`~graphnet.fast.convnet.FastConvNetwork`) of this dtype, sharing these parameters."""
        key = np.dtype(dtype).name
        if key not in ("float64", "float32"):
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {key}")
        if key not in self._fast:
            self._fast[key] = extensions.conv_mirror(self, dtype)
        return self._fast[key]

    def dump(self, *, names: str = "graph") -> str:
        """Every layer: a conv layer's shared weights (value, ∂E/∂K, sharers), then each node (views/convdump.py)."""
        return display.text(self, names=names)

    def to_svg(self, **options: Any) -> str:
        """The network drawn node by node (small nets); ``highlight="K1[0,0,1,1]"`` (views/convsvg.py)."""
        return display.svg(self, **options)

    def _repr_svg_(self) -> str | None:
        """Jupyter's picture of a small net (every layer at most 40 nodes); None (no picture) for a larger one."""
        return self.to_svg() if max(self.sizes) <= 40 else None

    def stepper(self, x: ArrayLike, target: ArrayLike, **options: Any) -> Any:
        """Step through one training step on (x, target), node by node; see :mod:`graphnet.tools.stepper`."""
        return extensions.conv_stepper(self, np.reshape(np.asarray(x, dtype=float), -1), target, **options)

    # ------------------------------------------------------------------ for the training loop
    def train_batch(
        self, inputs: NDArray[np.floating], targets: NDArray[np.floating], rate: float, scale: float, masks: Any = None
    ) -> int | None:
        """One update from one batch on the graph by the network's optimizer (``rate``: this update's η)."""
        if not np.isfinite(inputs).all():
            raise BadInputs
        bad = self._accumulate(inputs, targets, scale)
        if bad is not None:
            return bad
        for parameter in self.parameters:
            parameter.update(rate, self.optimizer)
        return None

    def epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float:
        """E over validated data, on the fast mirror."""
        return float(self.vectorized().epoch_loss(inputs, targets))

    def sample_losses(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> NDArray[np.floating]:
        """E of each sample without the L2 term, on the fast mirror."""
        losses: NDArray[np.floating] = self.vectorized().sample_losses(inputs, targets)
        return losses

    def parameters_finite(self) -> bool:
        """True when every parameter (and optimizer state) is finite."""
        settle()
        return all(np.isfinite(p._weight) and (p._state is None or p._state.is_finite()) for p in self.parameters)

    def snapshot(self) -> list[NDArray[np.floating]]:
        """Copies of the parameters, then of the optimizer's state arrays."""
        snapshot: list[NDArray[np.floating]] = [array for pair in self.get_params() for array in pair]
        state_type = self.optimizer.state_type
        if state_type is not None:
            snapshot += [array for field in self.get_states(state_type.fields) for array in field]
        return snapshot

    def restore(self, snapshot: list[NDArray[np.floating]]) -> None:
        """Set the parameters (and the optimizer's state) to a :meth:`snapshot`'s."""
        n = 2 * len(self.get_params())
        self.set_params([(snapshot[2 * k], snapshot[2 * k + 1]) for k in range(n // 2)])
        state_type = self.optimizer.state_type
        if state_type is not None and len(snapshot) > n:
            fields = len(state_type.fields)
            self.set_states(state_type, [snapshot[n + f * n : n + (f + 1) * n] for f in range(fields)])

    def sync_to_graph(self) -> None:
        """Nothing to do: the graph holds its parameters."""

    def sync_from_graph(self) -> None:
        """Nothing to do: the graph holds its parameters."""

    def __repr__(self) -> str:
        shown = ", ".join(plan.describe() for plan in self.plans[1:])
        return f"ConvNetwork({self.plans[0].in_shape} → {shown}, loss={self.loss_function.name!r})"


def _flat_rows(X: ArrayLike) -> NDArray[np.floating]:
    """Rows of C·H·W values: (n, C, H, W) images are flattened in channel, row, column order."""
    array = np.asarray(X, dtype=float)
    return array.reshape(len(array), -1) if array.ndim == 4 else array
