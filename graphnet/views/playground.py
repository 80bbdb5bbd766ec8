"""The playground page: a training run on 2-D data replayed epoch by epoch in one HTML file.

Like TensorFlow Playground, but a replay of a run graphnet made: the page shows the decision
regions with the data, the network with each unit's own map over the plane (what that unit
outputs at each point) and its connections drawn by sign (blue positive, orange negative) and
size of the weight, and the loss and accuracy curves with a marker at the shown epoch; a
play/pause button and a slider step through the epochs.

The file needs no network access: :func:`playground_html` inlines the script
(``graphnet/playground.js``) and the run as JSON: the points, and the parameters before
training and after each shown epoch (at most ``max_frames`` epochs, evenly spread, the
first and the last always among them).  The page computes every map itself, by the
forward pass o = f(W·x + b) layer by layer with the network's activations (sigmoid, tanh,
relu, leaky_relu, identity, step; softmax on the output).

Examples
--------
>>> from graphnet import Network
>>> from graphnet.datasets import toy_dataset
>>> from graphnet.tools.recording import train_recorded
>>> X, labels = toy_dataset("gauss", 20, seed=0)
>>> net = Network([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
>>> record = train_recorded(net, X, labels[:, None], labels, rate=0.5, epochs=4, keep_params=True)
>>> data = playground_data(record, net, X, labels)
>>> [frame["epoch"] for frame in data["frames"]], data["activations"]
([0, 1, 2, 3, 4], ['tanh', 'sigmoid'])
>>> "<script" in playground_html(record, net, X, labels) and "https://" not in playground_html(record, net, X, labels)
True
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from graphnet.graph.network import Network
from graphnet.math.errors import IncompatibleError, ShapeError
from graphnet.math.validation import check_count
from graphnet.tools.recording import TrainingRecord
from graphnet.views.player import script_json

TEMPLATE, SCRIPT = "playground.html", "playground.js"
#: Activations the page's script computes (by name).
PAGE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "step", "softmax")
#: Epochs the page holds at most (evenly spread over the run).
MAX_FRAMES = 150


def frame_epochs(epochs: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """The epochs shown: 0 (before training) … ``epochs``, at most ``max_frames`` of them, evenly spread.

    >>> frame_epochs(4), frame_epochs(100, 5)
    ([0, 1, 2, 3, 4], [0, 25, 50, 75, 100])
    """
    count = check_count(max_frames, name="max_frames", minimum=2)
    if epochs + 1 <= count:
        return list(range(epochs + 1))
    return sorted({round(i * epochs / (count - 1)) for i in range(count)})


def playground_data(
    record: TrainingRecord, net: Network, X: ArrayLike, labels: ArrayLike, *, max_frames: int = MAX_FRAMES
) -> dict[str, Any]:
    """The run as the page's JSON: sizes, activations, points, curves and the shown epochs' parameters.

    Raises
    ------
    ShapeError
        If the data is not 2-D or the record kept no parameters (``keep_params=False``).
    IncompatibleError
        If an activation is one the page cannot compute.
    """
    points = np.asarray(X, dtype=np.float64)
    classes = np.asarray(labels).astype(np.int64).ravel()
    if points.ndim != 2 or points.shape[1] != 2 or net.sizes[0] != 2:
        raise ShapeError(f"the playground shows 2-D data; got inputs of shape {points.shape}, sizes {net.sizes}")
    if len(record.params) != record.epochs + 1:
        raise ShapeError(
            "the playground needs the parameters of every epoch: train with train_recorded(..., keep_params=True)"
        )
    names = []
    for activation in net.activations:
        if activation.name not in PAGE_ACTIVATIONS:
            raise IncompatibleError(
                f"the playground page computes {', '.join(PAGE_ACTIVATIONS)}; got {activation.name!r}"
            )
        names.append(activation.name)
    frames = [
        {
            "epoch": epoch,
            "W": [np.round(W, 6).tolist() for W, _ in record.params[epoch]],
            "b": [None if b is None else np.round(b, 6).tolist() for _, b in record.params[epoch]],
        }
        for epoch in frame_epochs(record.epochs, max_frames)
    ]
    return {
        "sizes": list(net.sizes),
        "activations": names,
        "alpha": [float(getattr(a, "alpha", 0.0)) for a in net.activations],
        "points": np.round(points, 5).tolist(),
        "labels": classes.tolist(),
        "losses": [float(v) for v in record.history.losses],
        "accuracies": [float(v) for v in record.accuracies],
        "test_accuracies": [float(v) for v in record.test_accuracies],
        "frames": frames,
    }


def playground_html(
    record: TrainingRecord,
    net: Network,
    X: ArrayLike,
    labels: ArrayLike,
    *,
    title: str = "",
    max_frames: int = MAX_FRAMES,
) -> str:
    """The whole page as one string: template, script and the run's JSON inlined."""
    package = resources.files("graphnet")
    page = package.joinpath(TEMPLATE).read_text(encoding="utf-8")
    heading = title or f"Training {'-'.join(map(str, net.sizes))}"
    pieces = {
        "/*SCRIPT*/": package.joinpath(SCRIPT).read_text(encoding="utf-8"),
        "<!--TITLE-->": escape(heading),
        "<!--DATA-->": script_json(playground_data(record, net, X, labels, max_frames=max_frames)),
    }
    for marker, text in pieces.items():
        page = page.replace(marker, text)
    return page


def write_playground(
    record: TrainingRecord,
    net: Network,
    X: ArrayLike,
    labels: ArrayLike,
    path: str | Path,
    *,
    title: str = "",
    max_frames: int = MAX_FRAMES,
) -> Path:
    """Write :func:`playground_html` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(playground_html(record, net, X, labels, title=title, max_frames=max_frames), encoding="utf-8")
    return target
