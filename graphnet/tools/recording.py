"""Training one epoch at a time, keeping what each epoch ended with: loss, accuracies, parameters.

:func:`train_recorded` makes the very same updates as one call of
:meth:`~graphnet.graph.network.Network.train` with ``epochs=N``: it calls ``train`` once per
epoch with one shared shuffling generator (seeded once), and the optimizer carries on from
call to call.  Between epochs it measures the training accuracy (and the test accuracy, if a
test set is given) and, if asked, copies the parameters: what ``graphnet train --plot`` draws
and the playground page (:mod:`graphnet.views.playground`) replays.

Examples
--------
>>> from graphnet import Network
>>> from graphnet.datasets import logic_gate
>>> X, T = logic_gate("and")
>>> net = Network([2, 1], seed=0)
>>> record = train_recorded(net, X, T, T[:, 0], rate=2.0, epochs=3, keep_params=True)
>>> len(record.history.losses), len(record.accuracies), len(record.params)
(3, 3, 4)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.training import History
from graphnet.graph.network import Network
from graphnet.math.validation import check_count

#: Parameters of one moment: per layer (W (n_out, n_in), b (n_out,) or None).
Params = list[tuple[NDArray[np.float64], NDArray[np.float64] | None]]


@dataclass
class TrainingRecord:
    """What :func:`train_recorded` saw after each epoch.

    Attributes
    ----------
    history : History
        As one ``train`` call of all the epochs returns it.
    accuracies : list of float
        Training accuracy (0 … 1) after each epoch.
    test_accuracies : list of float
        Test accuracy after each epoch; empty without a test set.
    params : list of Params
        With ``keep_params``: the parameters before training (``params[0]``) and after each
        epoch (``params[e]`` after epoch e); else empty.
    seconds : float
        Wall-clock time of the whole run (training and measuring).
    """

    history: History
    accuracies: list[float] = field(default_factory=list)
    test_accuracies: list[float] = field(default_factory=list)
    params: list[Params] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """Epochs run."""
        return len(self.history.losses)


def copy_params(net: Network) -> Params:
    """A copy of ``net.get_params()`` in float64."""
    return [
        (np.array(W, dtype=np.float64), None if b is None else np.array(b, dtype=np.float64))
        for W, b in net.get_params()
    ]


def train_recorded(
    net: Network,
    X: ArrayLike,
    T: ArrayLike,
    labels: ArrayLike,
    *,
    rate: float,
    epochs: int,
    test: tuple[ArrayLike, ArrayLike] | None = None,
    keep_params: bool = False,
    seed: int | None = None,
    **options: Any,
) -> TrainingRecord:
    """Train ``net`` on (X, T) for ``epochs`` epochs, recording each epoch's end.

    Parameters
    ----------
    net, X, T, rate
        As :meth:`Network.train`.
    labels : array_like of int
        The class of each row of X, for the training accuracy.
    epochs : int
        Epochs to run (≥ 0).
    test : (X_test, labels_test), optional
        A test set whose accuracy is measured after each epoch.
    keep_params : bool, default False
        Copy the parameters before training and after every epoch.
    seed : int, optional
        Seeds the shuffling (and dropout masks) once for the whole run, as ``train(seed=…)``;
        default the network's own generator.
    **options
        The other keywords of :meth:`Network.train` (``batch_size``, ``engine``,
        ``optimizer``, ``shuffle``, ``reduction``).

    Returns
    -------
    TrainingRecord
    """
    count = check_count(epochs, name="epochs", minimum=0)
    start = time.perf_counter()
    rng = np.random.default_rng(seed) if seed is not None else net.rng
    history = History(
        engine=options.get("engine", "graph"),
        rate=rate,
        batch_size=options.get("batch_size", 1),
        reduction=options.get("reduction", "mean"),
    )
    record = TrainingRecord(history=history)
    if keep_params:
        record.params.append(copy_params(net))
    for _ in range(count):
        step = net.train(X, T, rate=rate, epochs=1, seed=rng, **options)  # type: ignore[arg-type]
        record.history.batch_size, record.history.reduction = step.batch_size, step.reduction
        record.history.engine, record.history.optimizer = step.engine, step.optimizer
        record.history.losses.extend(step.losses)
        record.history.updates += step.updates
        record.accuracies.append(net.accuracy(X, labels))
        if test is not None:
            record.test_accuracies.append(net.accuracy(*test))
        if keep_params:
            record.params.append(copy_params(net))
    record.seconds = time.perf_counter() - start
    return record
