"""The network as an explicit graph of objects: build it, run it, backpropagate, train.

The computation happens in a fixed, documented order, one node or one connection at a
time.  Each phase is a generator that *announces* a step, ``(phase, object)``, and then
performs it by calling that object's own method.  ``forward``, ``backward`` and ``update``
run these generators to the end; the stepper (:mod:`graphnet.tools.stepper`) runs the very same
generators one step at a time, so what a learner steps through is what training computes.

Order (the stepper shows it):

1. ``input``:        o_i = x_i for each input node i
2. ``forward``:      net_j = Σ_i w_ji·o_i, o_j = f(net_j), layer 1 … L, node 0 … n−1
   (a softmax layer: ``net_input`` for every node, then ``output`` for every node;
   a dropout layer in training: o_j = f(net_j)·m_j/q)
3. ``output_delta``: δ_j of each output node
4. ``hidden_delta``: δ_j = f′(net_j)·Σ_k w_kj·δ_k, layers L−1 … 1 (dropout: ·m_j/q)
5. ``gradient``:     ∂E/∂w_ji = δ_j·o_i (+ λ·w_ji), layers 1 … L, node j, source i, bias last
6. ``update``:       w_ji ← w_ji − rate·∂E/∂w_ji, same order (or the network's optimizer's
   rule, e.g. Adam's; the optimizer counts the update once before the first connection)

Optimizers and dropout
----------------------
``net.optimizer`` (plain SGD until ``train`` or ``update`` is given another) holds the update
rule and its counts; each connection holds its own optimizer state (``connection.state``).
``Network(..., dropout=p)`` drops hidden nodes while training; see :mod:`graphnet.math.dropout`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.graph import fused
from graphnet.graph.layer import Connections, Layer
from graphnet.graph.objects import Node
from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation, Softmax, get_activation
from graphnet.math.dropout import Masks, MasksLike, check_dropout, draw_masks, mask_rows
from graphnet.math.errors import (
    IncompatibleError,
    NotDifferentiableError,
    NumericalOverflowError,
    ShapeError,
    unknown_name,
)
from graphnet.math.init import get_initializer
from graphnet.math.losses import Loss, get_loss
from graphnet.math.optimizers import SGD, Optimizer, get_optimizer
from graphnet.math.validation import (
    all_finite,
    as_batch,
    as_float_array,
    as_labels,
    as_sample,
    check_bool,
    check_computed_finite,
    check_count,
    check_network_size,
    check_positive_number,
    check_same_length,
    check_scalar,
    check_seed,
)
from graphnet.tools.train import BadInputs, History, train_loop

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graphnet.fast.network import FastNetwork
    from graphnet.tools.stepper import Stepper

Params = list[tuple[NDArray[np.floating], NDArray[np.floating] | None]]
Step = tuple[str, Any]
Engine = Literal["graph", "fast"]


class Network:
    """A feed-forward network built as a graph of Node and Connection objects.

    Parameters
    ----------
    sizes : sequence of int
        Nodes per layer, input layer first, e.g. ``[784, 30, 10]``.
    activation : str, Activation, or sequence of them, default "sigmoid"
        f of every non-input layer, or one per non-input layer.
    output_activation : str or Activation, optional
        Overrides ``activation`` on the output layer (e.g. ``"softmax"``).
    loss : str or Loss, default "squared_error"
        E for one sample; see :mod:`graphnet.math.losses`.
    bias : bool, default True
        Give every non-output layer a bias node.
    init : {"uniform", "normal", "xavier", "he"}, default "uniform"
        How weights start; see :mod:`graphnet.math.init`.
    bias_init : float, default 0.0
        The constant every bias starts at.
    l2 : float, default 0.0
        λ of the L2 term (λ/2)·Σ w² added to the loss (weights only, not biases).
    dropout : float or sequence of float, default 0.0
        p, the probability that training drops a hidden node (inverted dropout, see
        :mod:`graphnet.math.dropout`): one number for every hidden layer, or one per hidden layer.
        Only ``train`` (and the stepper) drop; evaluation never does.
    seed : int or numpy.random.Generator, optional
        Seeds the initial weights and, unless ``train`` gets its own seed, shuffling and
        dropout masks.

    Attributes
    ----------
    optimizer : Optimizer
        The update rule training uses and its counts (plain SGD to begin with); see
        :meth:`train`.

    Examples
    --------
    >>> net = Network([3, 4, 2], seed=0)
    >>> net.layers[1].nodes[2]
    Node 1-2 output=0.0000 delta=0
    >>> net.predict([1.0, 0.0, 1.0]).shape
    (2,)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        output_activation: str | Activation | None = None,
        loss: str | Loss = "squared_error",
        bias: bool = True,
        init: str = "uniform",
        bias_init: float = 0.0,
        l2: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        self.activations = _layer_activations(activation, output_activation, len(self.sizes) - 1)
        self.loss_function = get_loss(loss)
        self.loss_function.check_output_activation(self.activations[-1], self.sizes[-1])
        for index, layer_activation in enumerate(self.activations[:-1], start=1):
            if layer_activation.layerwise:
                raise IncompatibleError(f"softmax is allowed on the output layer only; layer {index} is hidden")
        self.bias = check_bool(bias, name="bias")
        check_network_size(self.sizes, bias=self.bias)
        self.init = init
        initializer = get_initializer(init)
        self.bias_init = check_scalar(bias_init, name="bias_init")
        self.l2 = check_positive_number(l2, name="l2", allow_zero=True)
        check_seed(seed)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self.layers = [Layer(0, self.sizes[0], None)]
        for index, (size, layer_activation) in enumerate(zip(self.sizes[1:], self.activations, strict=True), start=1):
            layer = Layer(index, size, layer_activation)
            below = self.layers[-1]
            weights = initializer(size, below.size, self.rng)
            biases = np.full(size, self.bias_init) if self.bias else None
            layer.connect_from(below, weights, biases)
            self.layers.append(layer)
        self.connections = Connections(self.layers)
        self.dropout = check_dropout(dropout, len(self.sizes) - 2)
        for layer, rate in zip(self.layers[1:-1], self.dropout, strict=True):
            layer.set_dropout(rate)
        self.optimizer: Optimizer = SGD()
        self._fast: dict[str, FastNetwork] = {}

    # ------------------------------------------------------------------ structure
    @property
    def input_layer(self) -> Layer:
        """Layer 0."""
        return self.layers[0]

    @property
    def output_layer(self) -> Layer:
        """The last layer."""
        return self.layers[-1]

    @property
    def n_parameters(self) -> int:
        """Number of weights and biases (= number of connections)."""
        return len(self.connections)

    def node(self, layer: int, index: int) -> Node:
        """Node ``layer-index``, e.g. ``net.node(1, 2)``."""
        if isinstance(layer, bool) or not isinstance(layer, int | np.integer) or not 0 <= layer < len(self.layers):
            raise ShapeError(f"layer must be a whole number 0 … {len(self.layers) - 1}; got {layer!r}")
        size = self.layers[layer].size
        if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < size:
            raise ShapeError(f"index must be a node index 0 … {size - 1} of layer {layer}; got {index!r}")
        return self.layers[layer].nodes[index]

    @property
    def has_dropout(self) -> bool:
        """True when some hidden layer drops nodes while training."""
        return any(rate > 0.0 for rate in self.dropout)

    def draw_masks(self, n_samples: int = 1, *, seed: int | np.random.Generator | None = None) -> Masks:
        """Dropout masks for ``n_samples`` samples, as training draws them (see :mod:`graphnet.math.dropout`).

        ``seed`` seeds a new generator (or is one); default: the network's own generator.
        Returns one entry per non-input layer: an (n_samples, size) array of 0 and 1, or None.
        """
        count = check_count(n_samples, name="n_samples")
        rng = (
            seed
            if isinstance(seed, np.random.Generator)
            else (self.rng if seed is None else np.random.default_rng(seed))
        )
        return draw_masks(rng, count, sizes=self.sizes[1:], rates=self.dropout)

    def _check_masks(self, masks: MasksLike | None, n_samples: int) -> Masks | None:
        """Validate masks given by a user: one entry per non-input layer, 0/1 arrays of shape (n, size)."""
        if masks is None:
            return None
        if not isinstance(masks, Sequence) or len(masks) != len(self.sizes) - 1:
            raise ShapeError(
                f"masks must be a list with one entry per non-input layer ({len(self.sizes) - 1}); got {masks!r:.80}"
            )
        checked: Masks = []
        for layer, mask in zip(self.layers[1:], masks, strict=True):
            if mask is None or layer.keep == 1.0:
                checked.append(None)
                continue
            array = as_float_array(mask, name=f"mask of layer {layer.index}").astype(np.float64)
            if array.ndim == 1:
                array = array.reshape(1, -1)
            if array.shape != (n_samples, layer.size):
                raise ShapeError(
                    f"mask of layer {layer.index} must have shape {(n_samples, layer.size)}; got {array.shape}"
                )
            if not np.isin(array, (0.0, 1.0)).all():
                raise ShapeError(f"mask of layer {layer.index} must hold only 0 and 1")
            checked.append(array)
        return checked

    # ------------------------------------------------------------------ the phases as steps
    def _input_steps(self, x: Sequence[float]) -> Iterator[Step]:
        """o_i = x_i for each input node, one step each."""
        for node, value in zip(self.layers[0].nodes, x, strict=True):
            yield "input", node
            node.set_input(value)

    def _forward_steps(self, masks: fused.RowMasks | None = None) -> Iterator[Step]:
        """net_j and o_j of every node, layer 1 … L (softmax: all nets first).

        ``masks``: one sample's dropout masks (training); without, no node is masked.
        """
        for number, layer in enumerate(self.layers[1:]):
            if isinstance(layer.activation, Softmax):
                for node in layer.nodes:
                    yield "net_input", node
                    node.compute_net_input()
                outputs = Softmax.layer_values(layer.net_inputs)
                for node, output in zip(layer.nodes, outputs, strict=True):
                    yield "output", node
                    node.output = output
                continue
            mask = masks[number] if masks is not None and layer.keep < 1.0 else None
            for index, node in enumerate(layer.nodes):
                yield "forward", node
                if layer.keep < 1.0:
                    node.mask = None if mask is None else mask[index]
                node.compute_net_input()
                node.compute_output()

    def _output_delta_steps(self, target: Sequence[float]) -> Iterator[Step]:
        """δ of every output node."""
        self._check_differentiable()
        output_layer = self.layers[-1]
        loss = self.loss_function
        n_outputs = output_layer.size
        if isinstance(output_layer.activation, Softmax) and loss.canonical_activation is None:
            # E depends on every output, and every output on every net input: δ = Jᵀ·g
            output_gradients = [
                loss.output_gradient(node.output, t, n_outputs)
                for node, t in zip(output_layer.nodes, target, strict=True)
            ]
            weighted_gradient = sum(
                node.output * g for node, g in zip(output_layer.nodes, output_gradients, strict=True)
            )
            for node, gradient in zip(output_layer.nodes, output_gradients, strict=True):
                yield "output_delta", node
                node.compute_softmax_delta(gradient, weighted_gradient)
        else:
            for node, t in zip(output_layer.nodes, target, strict=True):
                yield "output_delta", node
                node.compute_output_delta(t, loss, n_outputs)

    def _hidden_delta_steps(self) -> Iterator[Step]:
        """δ of every hidden node, layers L−1 … 1."""
        for layer in reversed(self.layers[1:-1]):
            for node in layer.nodes:
                yield "hidden_delta", node
                node.compute_hidden_delta()

    def _gradient_steps(self) -> Iterator[Step]:
        """∂E/∂w_ji = δ_j·o_i + λ·w_ji for every connection (no λ on biases)."""
        l2 = self.l2
        for connection in self.connections:
            yield "gradient", connection
            connection.compute_gradient(0.0 if connection.is_bias else l2)

    def _update_steps(self, rate: float) -> Iterator[Step]:
        """The optimizer's rule (plain SGD: w_ji ← w_ji − η·∂E/∂w_ji) for every connection.

        The optimizer first counts the update and turns ``rate`` into this update's η.
        """
        optimizer = self.optimizer
        step_rate = optimizer.begin_update(rate)
        for connection in self.connections:
            yield "update", connection
            connection.update(step_rate, optimizer)

    def _check_differentiable(self) -> None:
        for layer in self.layers[1:]:
            assert layer.activation is not None
            if not layer.activation.differentiable:
                raise NotDifferentiableError(
                    f"layer {layer.index} uses {layer.activation.name!r}, which has no "
                    "derivative: this network can predict but not backpropagate (expected a differentiable "
                    "activation such as sigmoid to train)"
                )

    # ------------------------------------------------------------------ public API
    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        """Outputs for one sample x (shape (K,)) or for each row of X (shape (n, K)), on the graph."""
        array = as_float_array(x, name="x")
        if array.ndim >= 2:
            batch = as_batch(array, self.sizes[0], name="X", sizes=self.sizes)
            return np.array(
                [self._checked_forward(row, what=f"the outputs for sample {n}") for n, row in enumerate(batch.tolist())]
            )
        return np.array(self.forward(array))

    def forward(self, x: ArrayLike, *, masks: MasksLike | None = None) -> list[float]:
        """Set the inputs and compute every node's net input and output; return the outputs.

        ``masks`` (one sample's, e.g. from :meth:`draw_masks`) applies dropout as training
        would; without, no node is dropped (evaluation).

        Raises
        ------
        NumericalOverflowError
            If an output is NaN or inf: the net inputs overflowed (inputs or weights too large).
        """
        values = as_sample(x, self.sizes[0], name="x", sizes=self.sizes)
        return self._checked_forward(values, what="the outputs", masks=mask_rows(self._check_masks(masks, 1), 0))

    def _checked_forward(self, values: list[float], *, what: str, masks: fused.RowMasks | None = None) -> list[float]:
        fused.forward(self, values, masks)
        outputs = self.layers[-1].outputs
        check_computed_finite(np.array(outputs), what=what)
        return outputs

    def backward(self, target: ArrayLike) -> None:
        """Compute every node's δ and every connection's gradient for the last forward pass.

        Raises
        ------
        NumericalOverflowError
            If a δ is NaN or inf (the last forward pass or the weights overflowed).
        """
        values = self._check_target(target)
        fused.deltas(self, values)
        for layer in self.layers[1:]:
            check_computed_finite(np.array(layer.deltas), what=f"δ of layer {layer.index}")
        fused.gradients(self)

    def gradients(
        self,
        X: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        reduction: str = "mean",
        masks: MasksLike | None = None,
    ) -> Params:
        """∂E/∂W and ∂E/∂b per layer as ``[(dW, db), …]`` (db is None without bias).

        With no arguments, read the gradients the last ``backward`` left on the connections.
        With a batch (X, T), compute them: the per-sample gradients reduced by ``reduction``
        ("mean" or "sum"), plus λ·W; with ``masks`` (row r for sample r), under those fixed
        dropout masks, as training computes them.
        """
        if X is not None or T is not None:
            if X is None or T is None:
                raise ShapeError("gradients needs both X and T, or neither")
            inputs, targets = self._check_data(X, T)
            check_schedule(len(inputs), None, reduction)
            checked = self._check_masks(masks, len(inputs))
            bad = self._accumulate_batch(inputs, targets, reduction_scale(reduction, len(inputs)), checked)
            if bad is not None:
                check_computed_finite(np.array(self.layers[-1].deltas), what=f"the output δ of sample {bad}")
        gradients: Params = [self._split(layer.gradient_rows()) for layer in self.layers[1:]]
        for index, (dW, db) in enumerate(gradients, start=1):
            check_computed_finite(dW, what=f"∂E/∂W of layer {index}")
            if db is not None:
                check_computed_finite(db, what=f"∂E/∂b of layer {index}")
        return gradients

    def update(self, rate: float, *, optimizer: str | Optimizer | None = None) -> None:
        """One update of every connection from the gradients on the connections.

        Plain SGD: w ← w − rate·∂E/∂w.  ``optimizer`` is chosen as in :meth:`train` (default:
        the network's current one), and the update counts as one of its steps.

        Raises
        ------
        NumericalOverflowError
            If a new weight would be NaN or inf; the weights (and the optimizer's state and
            count) are then left as they were.
        """
        rate = check_positive_number(rate, name="rate")
        chosen = self._select_optimizer(optimizer)
        before, counts = self._snapshot(), chosen.counts()
        for _ in self._update_steps(rate):
            pass
        if not self._parameters_finite():
            self._restore(before)
            chosen.set_counts(*counts)
            raise NumericalOverflowError(
                f"the update with rate {rate:g} would make a weight NaN or inf (beyond ±1.8e308); expected "
                "finite weights, so they are left as they were: lower the rate"
            )

    def reset_optimizer(self) -> None:
        """Start the network's optimizer afresh: counts back to 0 and every connection's state cleared."""
        self.optimizer.reset()
        for connection in self.connections:
            connection.state = None

    def _select_optimizer(self, spec: str | Optimizer | None) -> Optimizer:
        """Make ``spec`` the network's optimizer; continue if it has the current one's settings.

        None keeps the current optimizer.  A name (defaults) or an object with the same rule,
        hyper-parameters and schedule as the current one continues it (its counts are carried
        over, the connections keep their state); anything else starts afresh (counts 0, states
        cleared).
        """
        if spec is None:
            return self.optimizer
        optimizer = get_optimizer(spec)
        current = self.optimizer
        if optimizer is current:
            return current
        if optimizer.same_settings(current):
            optimizer.set_counts(*current.counts())
            self.optimizer = optimizer
            return optimizer
        self.optimizer = optimizer
        self.reset_optimizer()
        return optimizer

    def loss(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        reduction: str = "mean",
        engine: Engine = "fast",
        masks: MasksLike | None = None,
    ) -> float:
        """E over a data set: per-sample losses reduced by mean or sum, plus (λ/2)·Σ w².

        ``engine="fast"`` (default) evaluates with the vectorized mirror; ``"graph"`` runs
        every sample through the graph (same numbers to ~1e-12, much slower).  Evaluation
        never drops nodes; ``masks`` (row r for sample r) computes E under those fixed
        dropout masks instead, as training sees it.
        """
        self._check_engine(engine)
        if engine == "fast":
            return self.vectorized().loss(X, T, reduction=reduction, masks=masks)
        inputs, targets = self._check_data(X, T)
        check_schedule(len(inputs), None, reduction)
        checked = self._check_masks(masks, len(inputs))
        per_sample = []
        for number, (x, t) in enumerate(zip(inputs.tolist(), targets.tolist(), strict=True)):
            self._checked_forward(x, what=f"the outputs for sample {number}", masks=mask_rows(checked, number))
            output_layer = self.layers[-1]
            per_sample.append(self.loss_function.value(output_layer.outputs, t, output_layer.net_inputs))
        data_loss = sum(per_sample) / len(per_sample) if reduction == "mean" else sum(per_sample)
        total = data_loss + self._l2_penalty()
        check_computed_finite(np.array(total), what="the loss")
        return total

    def accuracy(self, X: ArrayLike, labels: ArrayLike, *, engine: Engine = "fast") -> float:
        """Fraction of samples whose predicted class equals the label.

        The predicted class is argmax over the outputs, or ``output ≥ 0.5`` for one output.
        """
        self._check_engine(engine)
        if engine == "fast":
            return self.vectorized().accuracy(X, labels)
        outputs = self.predict(as_batch(X, self.sizes[0], name="X", sizes=self.sizes))
        return _accuracy_from_outputs(outputs, as_labels(labels, self.sizes[-1]))

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
        engine: Engine = "graph",
        track_loss: bool = True,
        optimizer: str | Optimizer | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        resume: str | os.PathLike[str] | None = None,
    ) -> History:
        """Train by gradient descent; see :mod:`graphnet.tools.train` for the schedules.

        Parameters
        ----------
        X : array (n_samples, n_inputs)
        T : array (n_samples, n_outputs)
        rate : float
            The (base) learning rate η in w ← w − η·g, or in the optimizer's rule.
        epochs : int, default 1
        batch_size : int or None, default 1
            1: per-sample SGD; k: mini-batches; None: the full batch.
        reduction : {"mean", "sum"}, default "mean"
            How a batch's per-sample gradients combine.
        shuffle : bool, default False
            Visit samples in a new random order each epoch.
        seed : int, optional
            Seeds the shuffling; default: the network's own generator.
        engine : {"graph", "fast"}, default "graph"
            Where to compute.  After fast training the graph's connections hold the weights
            (and the optimizer's state).
        track_loss : bool, default True
            Compute the loss over (X, T) after every epoch for the history.
        optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"} or Optimizer, optional
            The update rule (see :mod:`graphnet.math.optimizers`); default: the network's current
            one (plain SGD for a new network).  A name means its default hyper-parameters.
            If it has the same rule, hyper-parameters and schedule as the current one,
            training continues it (its counts and the connections' states carry on, so two
            calls equal one longer call); otherwise it starts afresh and becomes
            ``net.optimizer``.
        checkpoint : str or os.PathLike, optional
            Write a training checkpoint there (atomically) every ``checkpoint_every`` epochs
            and after the last one; see :mod:`graphnet.tools.io`.
        checkpoint_every : int, default 1
        resume : str or os.PathLike, optional
            Continue the run saved in this checkpoint: same data and settings (the same
            optimizer too; its counts and state come from the file), ``epochs`` the total to
            reach.  The result equals the uninterrupted run's, bit for bit.

        Returns
        -------
        History
            Of the whole run (including the epochs before a resume).

        Raises
        ------
        TrainingDiverged
            If a loss, δ or weight becomes NaN or inf; the network keeps the last finite
            parameters, and the error names the epoch and the sample (or batch).
        """
        self._check_engine(engine)
        if engine == "fast":
            return self.vectorized().train(
                X,
                T,
                rate=rate,
                epochs=epochs,
                batch_size=batch_size,
                reduction=reduction,
                shuffle=shuffle,
                seed=seed,
                track_loss=track_loss,
                optimizer=optimizer,
                checkpoint=checkpoint,
                checkpoint_every=checkpoint_every,
                resume=resume,
            )
        self._check_differentiable()
        inputs, targets = self._check_data(X, T, inputs_finite=False)  # train_loop looks for NaN and inf
        check_seed(seed)
        rng = np.random.default_rng(seed) if seed is not None else self.rng
        self._select_optimizer(optimizer)
        return train_loop(
            self,
            inputs,
            targets,
            engine="graph",
            rate=rate,
            epochs=epochs,
            batch_size=batch_size,
            reduction=reduction,
            shuffle=shuffle,
            rng=rng,
            track_loss=track_loss,
            network=self,
            seed=seed,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            resume=resume,
            optimizer=self.optimizer,
            recheck_inputs=lambda: self._check_data(X, T),
        )

    # ------------------------------------------------------------------ engine internals
    def _train_batch(
        self,
        inputs: NDArray[np.floating],
        targets: NDArray[np.floating],
        rate: float,
        scale: float,
        masks: Masks | None = None,
    ) -> int | None:
        """One update from one batch by the network's optimizer, ``rate`` being this update's η.

        A single sample under plain SGD takes the fused SGD step.  Returns None, or (without
        updating) the row of the first sample whose output δ is not finite.  Raises
        :class:`~graphnet.tools.train.BadInputs` first if the inputs hold NaN or inf.
        """
        if not all_finite(inputs):
            raise BadInputs
        optimizer = self.optimizer
        if len(inputs) == 1:
            x, t, row = inputs[0].tolist(), targets[0].tolist(), mask_rows(masks, 0)
            if type(optimizer) is SGD:
                return None if fused.train_step(self, x, t, rate, row) else 0
            fused.forward(self, x, row)
            fused.deltas(self, t)
            if not fused.output_deltas_finite(self):
                return 0
            fused.gradients(self)
        else:
            bad = self._accumulate_batch(inputs, targets, scale, masks)
            if bad is not None:
                return bad
        if type(optimizer) is SGD:
            fused.sgd_update(self, rate)
        else:
            fused.optimizer_update(self, optimizer, rate)
        return None

    def _accumulate_batch(
        self, inputs: NDArray[np.floating], targets: NDArray[np.floating], scale: float, masks: Masks | None = None
    ) -> int | None:
        """Gradient = scale·Σ_samples δ_j·o_i + λ·w_ji on every connection (masks: row r for sample r).

        Stops at, and returns the row of, the first sample whose output δ is NaN or inf (the
        divergence guard: K numbers per sample); returns None when every sample is finite.
        """
        output_nodes = self.layers[-1].nodes
        isfinite = math.isfinite
        for number, (x, t) in enumerate(zip(inputs.tolist(), targets.tolist(), strict=True)):
            fused.forward(self, x, mask_rows(masks, number))
            fused.deltas(self, t)
            if not all(isfinite(node.delta) for node in output_nodes):
                return number
            fused.accumulate_gradients(self, first=number == 0)
        l2 = self.l2
        for connection in self.connections:
            connection.gradient = connection.gradient * scale + (0.0 if connection.is_bias else l2) * connection.weight
        return None

    def _epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float:
        """E over validated data, on the fast mirror; NaN or inf are returned, not raised."""
        fast = self.vectorized()
        fast._pull()
        return fast._epoch_loss(inputs, targets)

    def _sample_losses(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> NDArray[np.floating]:
        """E of each sample without the L2 term, on the fast mirror; NaN or inf are returned, not raised."""
        fast = self.vectorized()
        fast._pull()
        return fast._sample_losses(inputs, targets)

    def _parameters_finite(self) -> bool:
        return all(np.isfinite(layer.parameter_rows()).all() for layer in self.layers[1:])

    def _snapshot(self) -> list[NDArray[np.floating]]:
        """The augmented matrices [W | b] of every layer, then its optimizer state rows (copies)."""
        snapshot: list[NDArray[np.floating]] = [layer.parameter_rows() for layer in self.layers[1:]]
        state_type = self.optimizer.state_type
        if state_type is not None:
            snapshot += [layer.state_rows(field) for layer in self.layers[1:] for field in state_type.fields]
        return snapshot

    def _restore(self, snapshot: list[NDArray[np.floating]]) -> None:
        layers = self.layers[1:]
        for layer, rows in zip(layers, snapshot, strict=False):
            layer.set_parameter_rows(rows)
        state_type = self.optimizer.state_type
        if state_type is not None and len(snapshot) > len(layers):
            n_fields = len(state_type.fields)
            for number, layer in enumerate(layers):
                start = len(layers) + number * n_fields
                layer.set_state_rows(state_type, snapshot[start : start + n_fields])

    def _sync_to_graph(self) -> None:
        """Nothing to do: the graph's connections are this engine's parameters."""

    def _sync_from_graph(self) -> None:
        """Nothing to do: the graph's connections are this engine's parameters."""

    def _l2_penalty(self) -> float:
        """(λ/2)·Σ w² over the weights (not the biases)."""
        if self.l2 == 0.0:
            return 0.0
        return 0.5 * self.l2 * sum(c.weight * c.weight for c in self.connections if not c.is_bias)

    def _check_engine(self, engine: str) -> None:
        if not isinstance(engine, str) or engine not in ("graph", "fast"):
            raise IncompatibleError(f"engine must be 'graph' or 'fast'; got {engine!r}")

    def _check_target(self, target: ArrayLike) -> list[float]:
        values = as_sample(target, self.sizes[-1], name="target", sizes=self.sizes)
        self.loss_function.check_targets(np.array([values]))
        return values

    def _check_data(
        self, X: ArrayLike, T: ArrayLike, *, inputs_finite: bool = True
    ) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
        inputs = as_batch(X, self.sizes[0], name="X", sizes=self.sizes, finite=inputs_finite)
        targets = as_batch(T, self.sizes[-1], name="T", sizes=self.sizes)
        check_same_length(inputs, targets, "X", "T")
        self.loss_function.check_targets(targets)
        return inputs, targets

    # ------------------------------------------------------------------ parameters
    def _split(self, rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        if self.bias:
            return rows[:, :-1].copy(), rows[:, -1].copy()
        return rows.copy(), None

    def get_params(self) -> Params:
        """The parameters as ``[(W, b), …]``, W of shape (n_out, n_in), b (n_out,) or None."""
        return [self._split(layer.parameter_rows()) for layer in self.layers[1:]]

    def set_params(self, params: Sequence[tuple[ArrayLike, ArrayLike | None]]) -> None:
        """Write ``[(W, b), …]`` into the connections (b is None for a network without bias)."""
        if not isinstance(params, Sequence) or isinstance(params, str | bytes):
            raise ShapeError(
                f"params must be a list of (W, b) pairs, one per layer ({len(self.layers) - 1} for "
                f"sizes={self.sizes}); got {type(params).__name__}"
            )
        if len(params) != len(self.layers) - 1:
            raise ShapeError(
                f"params must have one (W, b) pair per layer: "
                f"{len(self.layers) - 1} for sizes={self.sizes}; got {len(params)}"
            )
        rows_per_layer = []
        for layer, pair in zip(self.layers[1:], params, strict=True):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ShapeError(f"params for layer {layer.index} must be a (W, b) pair; got {type(pair).__name__}")
            weights = as_float_array(pair[0], name=f"W of layer {layer.index}")
            expected = (layer.size, self.sizes[layer.index - 1])
            if weights.shape != expected:
                raise ShapeError(f"W of layer {layer.index} must have shape {expected}; got {weights.shape}")
            if self.bias:
                if pair[1] is None:
                    raise ShapeError(
                        f"b of layer {layer.index} is None but the network has biases; "
                        f"expected an array of shape ({layer.size},)"
                    )
                biases = as_float_array(pair[1], name=f"b of layer {layer.index}")
                if biases.shape != (layer.size,):
                    raise ShapeError(f"b of layer {layer.index} must have shape ({layer.size},); got {biases.shape}")
                rows_per_layer.append(np.column_stack([weights, biases]))
            else:
                if pair[1] is not None:
                    raise ShapeError(f"b of layer {layer.index} must be None: the network has no bias")
                rows_per_layer.append(weights)
        for layer, rows in zip(self.layers[1:], rows_per_layer, strict=True):
            layer.set_parameter_rows(rows)

    def get_flat_params(self) -> NDArray[np.float64]:
        """All parameters as one vector: layer by layer, W row by row, then b."""
        return np.concatenate(
            [np.concatenate([W.ravel(), b]) if b is not None else W.ravel() for W, b in self.get_params()]
        )

    def set_flat_params(self, vector: ArrayLike) -> None:
        """Inverse of :meth:`get_flat_params`."""
        flat = as_float_array(vector, name="parameter vector")
        if flat.ndim != 1 or flat.size != self.n_parameters:
            raise ShapeError(
                f"parameter vector must have {self.n_parameters} values (sizes={self.sizes}); got shape {flat.shape}"
            )
        params: Params = []
        start = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            weights = flat[start : start + n_out * n_in].reshape(n_out, n_in)
            start += n_out * n_in
            biases = None
            if self.bias:
                biases = flat[start : start + n_out]
                start += n_out
            params.append((weights, biases))
        self.set_params(params)

    def loss_and_gradient(self, vector: ArrayLike, X: ArrayLike, T: ArrayLike) -> tuple[float, NDArray[np.float64]]:
        """E(θ) (mean over X, plus L2) and ∂E/∂θ as a flat vector, for scipy.optimize.

        Sets the parameters to ``vector`` and computes on the fast path (the graph's
        connections hold θ afterwards).  Use as ``minimize(f, θ0, jac=True, args=(X, T))``.
        """
        self.set_flat_params(vector)
        fast = self.vectorized()
        gradients = fast.gradients(X, T, reduction="mean")
        loss = fast.loss(X, T, reduction="mean")
        flat = np.concatenate(
            [np.concatenate([dW.ravel(), db]) if db is not None else dW.ravel() for dW, db in gradients]
        )
        return loss, flat.astype(np.float64)

    def vectorized(self, dtype: type = np.float64) -> FastNetwork:
        """The fast path: the same network on numpy arrays, sharing these parameters."""
        from graphnet.fast.network import FastNetwork

        try:
            key = np.dtype(dtype).name
        except TypeError:
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}") from None
        if key not in ("float64", "float32"):
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {key}")
        if key not in self._fast:
            self._fast[key] = FastNetwork(self, dtype=dtype)
        return self._fast[key]

    def stepper(
        self,
        x: ArrayLike,
        target: ArrayLike,
        *,
        rate: float = 0.5,
        optimizer: str | Optimizer | None = None,
        masks: MasksLike | None = None,
    ) -> Stepper:
        """Step through one training step on (x, target), node by node; see :mod:`graphnet.tools.stepper`.

        ``optimizer`` is chosen as in :meth:`train`; with dropout, ``masks`` (one sample's)
        default to a draw from the network's generator, as ``train`` would make.
        """
        from graphnet.tools.stepper import Stepper

        return Stepper(self, x, target, rate=rate, optimizer=optimizer, masks=masks)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and parameters to an ``.npz`` file, atomically; see :mod:`graphnet.tools.io`."""
        from graphnet.tools.io import save_network

        save_network(self, path)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        custom_activations: Mapping[str, Activation | type[Activation]] | None = None,
        custom_losses: Mapping[str, Loss | type[Loss]] | None = None,
    ) -> Network:
        """Read a network written by :meth:`save` (or a training checkpoint); see :mod:`graphnet.tools.io`.

        ``custom_activations`` / ``custom_losses`` map the names of your own Activation / Loss
        subclasses that the file uses to the class (or an instance): files hold no code.
        """
        from graphnet.tools.io import load_network

        return load_network(path, custom_activations=custom_activations, custom_losses=custom_losses)

    # ------------------------------------------------------------------ showing itself
    def dump(self) -> str:
        """Plain-text dump: each node with output and delta, then its connections."""
        from graphnet.views.render import dump_network

        return dump_network(self)

    def to_svg(self, *, max_nodes: int = 10, dropped: Collection[str] = ()) -> str:
        """The network as an SVG picture: columns of neurons, lines coloured by weight.

        Large layers show their first and last few nodes; ``dropped`` names nodes
        (``"1-2"``) to draw faded, besides those dropout dropped for the last training
        sample.  See :func:`graphnet.views.svg.network_svg`.
        """
        from graphnet.views.svg import network_svg

        return network_svg(self, max_nodes=max_nodes, dropped=dropped)

    def _repr_svg_(self) -> str:
        """Jupyter shows the picture inline."""
        return self.to_svg()

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        shown = names[0] if len(set(names)) == 1 else names
        dropout = ""
        if self.has_dropout:
            dropout = f", dropout={self.dropout[0]!r}" if len(set(self.dropout)) == 1 else f", dropout={self.dropout!r}"
        return (
            f"Network({self.sizes}, activation={shown!r}, loss={self.loss_function.name!r}, bias={self.bias}{dropout})"
        )

    def __rich__(self) -> RenderableType:
        from graphnet.views.render import render_network

        return render_network(self)


def _accuracy_from_outputs(outputs: NDArray[np.floating], labels: NDArray[np.intp]) -> float:
    """Share of rows whose predicted class (argmax, or output ≥ 0.5 for one output) matches."""
    if outputs.shape[0] != labels.shape[0]:
        raise ShapeError(
            f"X has {outputs.shape[0]} samples but labels has {labels.shape[0]}; expected one label per sample"
        )
    predicted = (outputs[:, 0] >= 0.5).astype(np.intp) if outputs.shape[1] == 1 else outputs.argmax(axis=1)
    return float(np.mean(predicted == labels))


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    if (
        isinstance(sizes, str | bytes)
        or not isinstance(sizes, Sequence | np.ndarray)
        or (isinstance(sizes, np.ndarray) and sizes.ndim != 1)
    ):
        raise ShapeError(f"sizes must be a list of layer sizes such as [3, 4, 2]; got {sizes!r}")
    if len(sizes) < 2:
        raise ShapeError(f"sizes needs at least an input and an output layer; got {list(sizes)}")
    return [check_count(size, name=f"sizes[{i}]") for i, size in enumerate(sizes)]


def _layer_activations(
    activation: str | Activation | Sequence[str | Activation],
    output_activation: str | Activation | None,
    n_layers: int,
) -> list[Activation]:
    if isinstance(activation, str | Activation) or (isinstance(activation, type)):
        activations = [get_activation(activation) for _ in range(n_layers)]  # type: ignore[arg-type]
    elif not isinstance(activation, Sequence):
        raise unknown_name("activation", activation, BUILTIN_ACTIVATIONS)
    else:
        if len(activation) != n_layers:
            raise ShapeError(f"activation list needs one entry per non-input layer ({n_layers}); got {len(activation)}")
        activations = [get_activation(a) for a in activation]
    if output_activation is not None:
        activations[-1] = get_activation(output_activation)
    return activations
