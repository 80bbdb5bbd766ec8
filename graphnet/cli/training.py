"""``graphnet train`` after parsing: build the network, train epoch by epoch, report, plot, replay.

:func:`train_and_report` trains through :func:`graphnet.tools.recording.train_recorded`
(the same updates as one ``train`` call), prints the settings it used, the loss curve, the
training and test accuracy, epochs and time, and the verdict of
:func:`graphnet.cli.defaults.verdict`; then writes ``--plot`` (loss and accuracy, and the
decision boundary for 2-D data or the first layer's weights for MNIST) and ``--html`` (the
playground page, for 2-D data).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from graphnet.cli.data import TrainingData
from graphnet.cli.defaults import TrainDefaults, as_flags, best_training_accuracy, verdict
from graphnet.cli.options import options_named
from graphnet.common.checks import check_differentiable
from graphnet.graph.network import Network
from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_count
from graphnet.tools.recording import TrainingRecord, train_recorded
from graphnet.views.playground import write_playground
from graphnet.views.training_plot import plot_training

#: Side of the first-layer weight images of MNIST: 28 × 28 pixels.
IMAGE_SIDE = 28


def settings_line(args: argparse.Namespace) -> str:
    """The settings of the run as command-line options."""
    return f"{as_flags(args)} --seed {args.seed}"


def train_and_report(
    args: argparse.Namespace,
    data: TrainingData,
    defaults: TrainDefaults,
    batch_size: int | None,
    console: Console,
) -> int:
    """Train as the (filled-in) options say and print the report; write --plot and --html."""
    check_count(args.epochs, name="--epochs", minimum=1)  # the parser's check, for callers that build args
    two_d = data.inputs.shape[1] == 2
    if args.html is not None and not two_d:
        raise IncompatibleError(
            f"--html replays training over the plane of two inputs; {data.name} has {data.inputs.shape[1]} inputs"
        )
    sizes = [data.inputs.shape[1], *args.hidden, data.targets.shape[1]]
    with options_named(args):  # an error names the options as typed
        net = Network(
            sizes,
            activation=args.activation,
            output_activation=args.output_activation or data.output_activation,
            loss=args.loss or data.loss,
            bias=not args.no_bias,
            init=args.init,
            dropout=args.dropout,
            seed=args.seed,
        )
        check_differentiable(net.activations)  # before the heading: nothing printed for a net that cannot train

    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    say(f"training {net!r} on {data.name}: {len(data.inputs)} samples, engine {args.engine}")
    say(f"settings: {settings_line(args)}")
    test = (
        (data.test_inputs, data.test_labels) if data.test_inputs is not None and data.test_labels is not None else None
    )
    record = train_recorded(
        net,
        data.inputs,
        data.targets,
        data.labels,
        rate=args.rate,
        epochs=args.epochs,
        test=test,
        keep_params=args.html is not None,
        seed=args.seed,
        batch_size=batch_size,
        reduction=args.reduction,
        shuffle=args.shuffle,
        engine=args.engine,
        optimizer=args.optimizer,
    )
    console.print(record.history)
    accuracy = net.accuracy(data.inputs, data.labels)
    test_accuracy = None if test is None else net.accuracy(*test)
    say(f"training accuracy: {accuracy:.2%}")
    if test_accuracy is not None:
        say(f"test accuracy: {test_accuracy:.2%}")
    say(f"epochs: {record.epochs} · time: {record.seconds:.2f} s")
    goal = best_training_accuracy(data.inputs, data.labels) if args.csv else defaults.goal
    name = str(data.name) if args.csv else args.data
    lines = verdict(
        name=name, goal=goal, accuracy=accuracy, test_accuracy=test_accuracy, losses=record.history.losses, args=args
    )
    for line in lines:
        say(line)
    title = f"{data.name} · layers {'-'.join(map(str, net.sizes))} · {args.optimizer} rate {args.rate:g}"
    if args.plot is not None:
        say(f"wrote {_plot(net, data, record, args.plot, title=title)}")
    if args.html is not None:
        target = write_playground(record, net, data.inputs, data.labels, args.html, title=title)
        say(f"wrote {target}: {record.epochs} epochs to replay; open it in a browser")
    return 0


def _plot(net: Network, data: TrainingData, record: TrainingRecord, path: str | Path, *, title: str) -> Path:
    """The --plot figure: curves, and the decision boundary (2-D) or the first layer's weights (images)."""
    boundary = (net.vectorized().predict, data.inputs, data.labels) if data.inputs.shape[1] == 2 else None
    weights = None
    if data.inputs.shape[1] == IMAGE_SIDE * IMAGE_SIDE and len(net.sizes) > 2:
        weights = net.get_params()[0][0]
    return plot_training(record, path, title=title, boundary=boundary, first_layer=weights, image_side=IMAGE_SIDE)
