"""The network as an explicit graph of objects: build it, run it, backpropagate, train.

The computation happens in a fixed, documented order, one node or one connection at a
time: the phases of :mod:`graphnet.graph.phases` (input, forward, output δ, hidden δ,
gradient, update).  ``forward``, ``backward`` and ``update`` compute them (the first two
through the fused loops of :mod:`graphnet.graph.fused`, which give the same numbers); the
stepper (:mod:`graphnet.tools.stepper`) walks the very same generators one step at a time,
so what a learner steps through is what training computes.

Optimizers and dropout
----------------------
``net.optimizer`` (plain SGD until ``train`` or ``update`` is given another) holds the update
rule and its counts; each connection holds its own optimizer state (``connection.state``).
``Network(..., dropout=p)`` drops hidden nodes while training; see :mod:`graphnet.math.dropout`.

``train`` runs the training loop of :mod:`graphnet.tools.train` through a socket of
:mod:`graphnet.common.extensions`; what else is built on the graph (the mirror, the stepper,
files, pictures) is reached the same way, see :mod:`graphnet.graph.conveniences`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common import extensions
from graphnet.common.checks import (
    Engine,
    accuracy_from_outputs,
    check_data,
    check_differentiable,
    check_engine,
    check_forwarded,
    check_masks,
    check_target,
    select_optimizer,
)
from graphnet.common.mirror import Mirror, Params
from graphnet.common.schedule import check_schedule, reduction_scale
from graphnet.common.training import History
from graphnet.graph import fused, phases
from graphnet.graph.conveniences import BuiltOnTheGraph
from graphnet.graph.layer import Connections, Layer, check_sizes, layer_activations
from graphnet.graph.objects import Node
from graphnet.math.activations import Activation
from graphnet.math.dropout import Masks, MasksLike, check_dropout, draw_masks, mask_rows
from graphnet.math.errors import IncompatibleError, NumericalOverflowError, ShapeError
from graphnet.math.init import get_initializer
from graphnet.math.losses import Loss, get_loss
from graphnet.math.optimizers import SGD, Optimizer
from graphnet.math.validation import (
    as_batch,
    as_float_array,
    as_labels,
    as_sample,
    check_bool,
    check_computed_finite,
    check_count,
    check_network_size,
    check_positive_number,
    check_scalar,
    check_seed,
)

__all__ = ["Engine", "Network", "Params"]


class Network(BuiltOnTheGraph):
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
        λ of the L2 term (λ/2)·Σ w² added to the loss (weights only, unless ``l2_bias``).
    l2_bias : float, default 0.0
        λ_b of (λ_b/2)·Σ b² on the biases; ``l2_per_batch=True`` divides both terms by the
        batch size (scikit-learn's α·W/n_b).  See :mod:`graphnet.math.regularization`.
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
    node_values : {"none", "graph", "stale"}
        The nodes' net inputs, outputs and δ: from no pass yet, the last graph pass, or stale (fast training since).

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
        l2_bias: float = 0.0,
        l2_per_batch: bool = False,
        dropout: float | Sequence[float] = 0.0,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.sizes = check_sizes(sizes)
        self.activations = layer_activations(activation, output_activation, len(self.sizes) - 1)
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
        self.l2_bias = check_positive_number(l2_bias, name="l2_bias", allow_zero=True)
        self.l2_per_batch = check_bool(l2_per_batch, name="l2_per_batch")
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
        self._fast: dict[str, Mirror] = {}

    # ------------------------------------------------------------------ structure
    @property
    def input_layer(self) -> Layer:
        """Layer 0."""
        return self.layers[0]

    @property
    def output_layer(self) -> Layer:
        """The last layer."""
        return self.layers[-1]

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

    @property
    def keeps(self) -> list[float]:
        """The keep probability q = 1 − p of each non-input layer (training keeps a node with it)."""
        return [layer.keep for layer in self.layers[1:]]

    def draw_masks(self, n_samples: int = 1, *, seed: int | np.random.Generator | None = None) -> Masks:
        """Dropout masks for ``n_samples`` samples, as training draws them (see :mod:`graphnet.math.dropout`).

        ``seed`` seeds a new generator (or is one); default: the network's own generator.
        Returns one entry per non-input layer: an (n_samples, size) array of 0 and 1, or None.
        """
        count = check_count(n_samples, name="n_samples")
        check_seed(seed)
        rng = self.rng if seed is None else np.random.default_rng(seed)  # a Generator given is used as it is
        return draw_masks(rng, count, sizes=self.sizes[1:], rates=self.dropout)

    def _check_masks(self, masks: MasksLike | None, n_samples: int) -> Masks | None:
        return check_masks(masks, n_samples, sizes=self.sizes, keeps=self.keeps)

    def _check_data(
        self, X: ArrayLike, T: ArrayLike, *, inputs_finite: bool = True
    ) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
        return check_data(X, T, sizes=self.sizes, loss=self.loss_function, inputs_finite=inputs_finite)

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

    def _checked_forward(self, values: list[float], *, what: str, masks: phases.RowMasks | None = None) -> list[float]:
        fused.forward(self, values, masks)
        outputs = self.layers[-1].outputs
        check_computed_finite(np.array(outputs), what=what)
        return outputs

    def backward(self, target: ArrayLike) -> None:
        """Compute every node's δ and every connection's gradient for the last forward pass (none: an error).

        Raises
        ------
        NumericalOverflowError
            If a δ is NaN or inf (the last forward pass or the weights overflowed).
        """
        values = check_target(target, sizes=self.sizes, loss=self.loss_function)
        check_forwarded(self.node_values)
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
            bad = fused.accumulate_batch(self, inputs, targets, reduction_scale(reduction, len(inputs)), checked)
            if bad is not None:
                check_computed_finite(np.array(self.layers[-1].deltas), what=f"the output δ of sample {bad}")
        gradients: Params = [self.split_rows(layer.gradient_rows()) for layer in self.layers[1:]]
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
            If a new weight or optimizer state would be NaN or inf; the weights (and the
            optimizer's state and count) are then left as they were.
        """
        rate = check_positive_number(rate, name="rate")
        chosen = select_optimizer(self, optimizer)
        before, counts = self.snapshot(), chosen.counts()
        try:
            for _ in phases.update_steps(self.connections, chosen, rate):
                pass  # each connection refuses a NaN or inf weight or state (Connection.update)
        except NumericalOverflowError as refused:
            self.restore(before)
            chosen.set_counts(*counts)
            raise NumericalOverflowError(
                f"the update with rate {rate:g} would make a weight NaN or inf (beyond ±1.8e308), or its optimizer "
                f"state ({refused}); expected finite values, so every weight and state is left as it was"
            ) from None

    def loss(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        reduction: str = "mean",
        engine: Engine = "fast",
        masks: MasksLike | None = None,
    ) -> float:
        """E over a data set: per-sample losses reduced by mean or sum, plus the L2 term.

        ``engine="fast"`` (default) evaluates with the vectorized mirror; ``"graph"`` runs
        every sample through the graph (same numbers to ~1e-12, much slower).  Evaluation
        never drops nodes; ``masks`` (row r for sample r) computes E under those fixed
        dropout masks instead, as training sees it.
        """
        check_engine(engine)
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
        total = data_loss + self.l2_penalty(len(per_sample))
        check_computed_finite(np.array(total), what="the loss")
        return total

    def accuracy(self, X: ArrayLike, labels: ArrayLike, *, engine: Engine = "fast") -> float:
        """Fraction of samples whose predicted class equals the label.

        The predicted class is argmax over the outputs, or ``output ≥ 0.5`` for one output.
        """
        check_engine(engine)
        if engine == "fast":
            return self.vectorized().accuracy(X, labels)
        outputs = self.predict(as_batch(X, self.sizes[0], name="X", sizes=self.sizes))
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
        engine: Engine = "graph",
        track_loss: bool = True,
        optimizer: str | Optimizer | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        resume: str | os.PathLike[str] | None = None,
        check_gradients: str | None = None,
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
        check_gradients : {None, "first"}, default None
            "first": a sampled gradient check on the first batch; a wrong derivative stops
            training with :class:`~graphnet.math.errors.WrongGradientError`.

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
        check_engine(engine)
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
                check_gradients=check_gradients,
            )
        check_differentiable(self.activations)
        inputs, targets = self._check_data(X, T, inputs_finite=False)  # train_loop looks for NaN and inf
        check_seed(seed)
        rng = np.random.default_rng(seed) if seed is not None else self.rng
        select_optimizer(self, optimizer)
        return extensions.train_loop(
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
            check_gradients=check_gradients,
        )

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        shown = names[0] if len(set(names)) == 1 else names
        dropout = ""
        if self.has_dropout:
            dropout = f", dropout={self.dropout[0]!r}" if len(set(self.dropout)) == 1 else f", dropout={self.dropout!r}"
        return (
            f"Network({self.sizes}, activation={shown!r}, loss={self.loss_function.name!r}, bias={self.bias}{dropout})"
        )
