"""The data sets ``graphnet train`` can use, chosen by name on the command line.

``--data`` names a logic gate (and, or, nand, nor, xor, xnor), a 2-D toy set
(toy:circle, toy:xor, toy:gauss, toy:spiral, toy:two_moons), the bundled MNIST digits
(mnist: all ten digits; mnist17: "1 vs 7"), or ``--csv FILE`` your own data.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from graphnet.datasets import (
    GATE_NAMES,
    TOY_NAMES,
    binary_subset,
    load_csv,
    load_mnist,
    logic_gate,
    one_hot,
    toy_dataset,
)
from graphnet.datasets.prep import standardize
from graphnet.demos.options import as_option, input_file, positive_int, whole_number
from graphnet.math.errors import IncompatibleError

DATA_NAMES = [*GATE_NAMES, *(f"toy:{name}" for name in TOY_NAMES), "mnist", "mnist17"]


@dataclass
class TrainingData:
    """Inputs, targets and labels for training, and what the output layer should be."""

    name: str
    inputs: NDArray[np.float64]
    targets: NDArray[np.float64]
    labels: NDArray[np.int64]
    output_activation: str = "sigmoid"
    loss: str = "squared_error"
    test_inputs: NDArray[np.float64] | None = None
    test_labels: NDArray[np.int64] | None = None


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data, --csv and their companions."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        default="xor",
        choices=DATA_NAMES,
        metavar="NAME",
        help="built-in data set: %(choices)s (default %(default)s)",
    )
    source.add_argument(
        "--csv",
        type=input_file,
        metavar="FILE",
        help="your own CSV file instead: a header row, then numbers only; one column holds the class "
        "labels 0, 1, … (see --target-column), the others are the inputs (default: --data)",
    )
    parser.add_argument(
        "--target-column",
        default="label",
        metavar="COLUMN",
        help="the CSV column holding the class label: its name in the header, or its position from 0 "
        "(negative from the end: -1 is the last) (default %(default)s)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="standardise every input column to mean 0 and standard deviation 1, z = (x − mean)/std over the "
        "training data (default: the inputs are used as given, not scaled)",
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        metavar="N",
        help="training samples: images for mnist (default 4000), points for toy sets (default 200, spiral 400); "
        "toy sets draw as many test points besides",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=None,
        metavar="SD",
        help="toy sets: standard deviation of the noise on each point (default: the set's own, spiral 0.03)",
    )


def load_training_data(args: argparse.Namespace) -> TrainingData:
    """Load what the options name."""
    if args.csv:
        # one_hot=True: the one label check (whole numbers ≥ 0 below MAX_CLASSES) runs before any allocation
        with as_option("target", "--target-column", assigned_only=True):
            inputs, one_hot_targets, _ = load_csv(args.csv, target=_column(args.target_column), one_hot=True)
        source = os.fspath(args.csv)
        labels = np.argmax(one_hot_targets, axis=1).astype(np.int64)
        if one_hot_targets.shape[1] > 2:
            return TrainingData(source, inputs, one_hot_targets, labels, "softmax", "categorical_cross_entropy")
        return TrainingData(source, inputs, labels[:, None].astype(np.float64), labels)
    name: str = args.data
    if name in GATE_NAMES:
        inputs, targets = logic_gate(name)
        return TrainingData(name, inputs, targets, targets[:, 0].astype(np.int64))
    if args.samples < 1:
        raise IncompatibleError(f"--samples must be at least 1; got {args.samples}")
    if name.startswith("toy:"):
        # one draw of twice the points: the first half trains, the second half tests
        points, classes = toy_dataset(name[4:], 2 * args.samples, noise=getattr(args, "noise", None), seed=args.seed)
        inputs, labels = points[: args.samples], classes[: args.samples]
        return TrainingData(
            name,
            inputs,
            labels[:, None].astype(np.float64),
            labels,
            test_inputs=points[args.samples :],
            test_labels=classes[args.samples :],
        )
    with as_option("n_samples", "--samples"):
        images, labels = load_mnist(kind="train", n_samples=args.samples)
    test_images, test_labels = load_mnist(kind="test")
    if name == "mnist17":
        images, labels = binary_subset(images, labels, positive=7, negative=1)
        test_images, test_labels = binary_subset(test_images, test_labels, positive=7, negative=1)
        return TrainingData(
            "mnist 1 vs 7",
            images,
            one_hot(labels, 2),
            labels,
            test_inputs=test_images,
            test_labels=test_labels,
        )
    return TrainingData(
        "mnist",
        images,
        one_hot(labels, 10),
        labels,
        "softmax",
        "categorical_cross_entropy",
        test_images,
        test_labels,
    )


def scaled(data: TrainingData) -> TrainingData:
    """``--scale``: every input column standardised by the training inputs' mean and std (test inputs alike)."""
    inputs, mean, std = standardize(data.inputs)
    test = None if data.test_inputs is None else standardize(data.test_inputs, mean=mean, std=std)[0]
    return replace(data, name=f"{data.name} (standardised)", inputs=inputs, test_inputs=test)


def _column(value: str) -> str | int:
    """A column index when ``value`` is a whole number in ASCII digits, maybe signed (``"²"`` is a name)."""
    index = whole_number(value)
    return value if index is None else index
