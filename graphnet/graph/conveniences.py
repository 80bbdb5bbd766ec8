"""What is built on the graph, reached through sockets: the mirror, the stepper, files, pictures.

These methods of :class:`~graphnet.graph.network.Network` (a base class of it) run code
of the layers above the graph: the fast mirror (:mod:`graphnet.fast`), the stepper and the
files (:mod:`graphnet.tools`), the pictures (:mod:`graphnet.views`).  Each calls a socket of
:mod:`graphnet.common.extensions` or a view of :mod:`graphnet.common.display`, which those
layers fill when ``graphnet`` is imported, so the graph imports nothing above itself.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from rich.console import RenderableType

from graphnet.common import display, extensions
from graphnet.common.mirror import Mirror
from graphnet.graph import fused
from graphnet.graph.parameters import ParameterMethods
from graphnet.math.activations import Activation
from graphnet.math.dropout import Masks, MasksLike
from graphnet.math.errors import IncompatibleError
from graphnet.math.losses import Loss
from graphnet.math.optimizers import Optimizer

Built = TypeVar("Built", bound="BuiltOnTheGraph")


class BuiltOnTheGraph(ParameterMethods):
    """``vectorized``, ``loss_and_gradient``, ``stepper``, ``save``/``load``, ``dump``, ``to_svg``, ``__rich__``."""

    #: The fast mirrors made so far, by dtype name (one per dtype, see :meth:`vectorized`).
    _fast: dict[str, Mirror]
    #: What the nodes' values come from: "none" (no pass yet), "graph" (the last graph pass: forward, the
    #: stepper, graph training), "stale" (the fast path changed the weights since); see ``Network``.
    node_values: str = "none"
    loss_function: Loss

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

    def train_batch(
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
        :class:`~graphnet.common.training.BadInputs` first if the inputs hold NaN or inf.
        """
        return fused.train_batch(self, inputs, targets, rate, scale, masks)

    def epoch_loss(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> float:
        """E over validated data, on the fast mirror; NaN or inf are returned, not raised (for the training loop)."""
        return self.vectorized().epoch_loss(inputs, targets)

    def sample_losses(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> NDArray[np.floating]:
        """E of each sample without the L2 term, on the fast mirror; NaN or inf are returned, not raised."""
        return self.vectorized().sample_losses(inputs, targets)

    def vectorized(self, dtype: type = np.float64) -> Mirror:
        """The fast path: the same network on numpy arrays, sharing these parameters.

        Returns the :class:`~graphnet.fast.network.FastNetwork` of this dtype (one per dtype,
        kept), plugged in by :mod:`graphnet.fast` (see :data:`graphnet.common.extensions.mirror`).
        """
        try:
            key = np.dtype(dtype).name
        except TypeError:
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}") from None
        if key not in ("float64", "float32"):
            raise IncompatibleError(f"dtype must be numpy.float64 or numpy.float32; got {key}")
        if key not in self._fast:
            self._fast[key] = extensions.mirror(self, dtype)
        return self._fast[key]

    def stepper(
        self,
        x: ArrayLike,
        target: ArrayLike,
        *,
        rate: float = 0.5,
        optimizer: str | Optimizer | None = None,
        masks: MasksLike | None = None,
        digits: int = 4,
        names: str = "graph",
        ascii: bool | None = None,
    ) -> Any:
        """Step through one training step on (x, target), node by node; see :mod:`graphnet.tools.stepper`.

        Returns a :class:`~graphnet.tools.stepper.Stepper`.  ``optimizer`` is chosen as in
        :meth:`train`; with dropout, ``masks`` (one sample's) default to a draw from the
        network's generator, as ``train`` would make.  ``digits``: decimal places of the
        numbers in the stepper's formulas (1 … 17).  ``names``: "graph" (``δ(2-0)``,
        ``w(1-0→2-0)``) or "textbook" (``δ(o1)``, ``w5``; see :mod:`graphnet.graph.names`).
        ``ascii``: plain ASCII formulas whose numbers are Python arithmetic (None: as the
        environment variable ``GRAPHNET_ASCII`` says).
        """
        self.node_values = "graph"  # the stepper's input and forward steps fill the nodes
        return extensions.stepper(
            self, x, target, rate=rate, optimizer=optimizer, masks=masks, digits=digits, names=names, ascii=ascii
        )

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and parameters to an ``.npz`` file, atomically; see :mod:`graphnet.tools.io`."""
        extensions.save_network(self, path)

    @classmethod
    def load(
        cls: type[Built],
        path: str | os.PathLike[str],
        *,
        custom_activations: Mapping[str, Activation | type[Activation]] | None = None,
        custom_losses: Mapping[str, Loss | type[Loss]] | None = None,
    ) -> Built:
        """Read a network written by :meth:`save` (or a training checkpoint); see :mod:`graphnet.tools.io`.

        ``custom_activations`` / ``custom_losses`` map the names of your own Activation / Loss
        subclasses that the file uses to the class (or an instance): files hold no code.
        """
        loaded: Built = extensions.load_network(
            path, custom_activations=custom_activations, custom_losses=custom_losses
        )
        return loaded

    # ------------------------------------------------------------------ showing itself
    def dump(self, *, names: str = "graph") -> str:
        """Plain-text dump: each node with output and delta, then its connections.

        ``names``: "graph" (``1-0``, ``(1-0) -> (2-0)``) or "textbook" (``h1``, ``w5 (h1 -> o1)``).
        """
        return display.text(self, names=names)

    def to_svg(
        self,
        *,
        max_nodes: int = 10,
        dropped: Collection[str] = (),
        show: str | Collection[str] | None = None,
        digits: int = 4,
        names: str = "graph",
        target: Sequence[float] | None = None,
    ) -> str:
        """The network as an SVG picture: columns of neurons, lines coloured by weight, values printed.

        Large layers show their first and last few nodes; ``dropped`` names nodes
        (``"1-2"``) to draw as dropped, besides those dropout dropped for the last training
        sample.  ``show`` picks the printed values (net, o, δ, w, grad, E), ``digits`` their
        decimal places, ``names`` "graph" (``1-2``) or "textbook" (``h1``, ``w5``);
        ``target`` adds t and E beside the outputs.  See :func:`graphnet.views.svg.network_svg`.
        """
        return display.svg(
            self, max_nodes=max_nodes, dropped=dropped, show=show, digits=digits, names=names, target=target
        )

    def _repr_svg_(self) -> str:
        """Jupyter shows the picture inline."""
        return self.to_svg()

    def __rich__(self) -> RenderableType:
        return display.rich(self)
