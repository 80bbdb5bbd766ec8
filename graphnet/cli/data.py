"""The data sets ``graphnet train`` can use, chosen by name on the command line.

``--data`` names a logic gate (and, or, nand, nor, xor, xnor), a 2-D toy set
(toy:circle, toy:xor, toy:gauss, toy:spiral, toy:two_moons), the bundled MNIST digits
(mnist: all ten digits; mnist17: "1 vs 7"), or ``--csv FILE`` your own data.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

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
from graphnet.demos.options import input_file
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
    source.add_argument("--data", default="xor", choices=DATA_NAMES, help="built-in data set (default: xor)")
    source.add_argument(
        "--csv", type=input_file, metavar="FILE", help="your own CSV file (header row, numeric columns)"
    )
    parser.add_argument("--target-column", default="label", help="CSV column holding the class label")
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help="training samples: images for mnist (default 4000), points for toy sets (default 200, spiral 400); "
        "toy sets draw as many test points besides",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=None,
        help="toy sets: standard deviation of the noise on each point (default: the set's own, spiral 0.03)",
    )


def load_training_data(args: argparse.Namespace) -> TrainingData:
    """Load what the options name."""
    if args.csv:
        # one_hot=True: the one label check (whole numbers ≥ 0 below MAX_CLASSES) runs before any allocation
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


def _column(value: str) -> str | int:
    """A column index when ``value`` is ASCII digits (``"²"`` is a name), else the column's name."""
    return int(value) if value.isascii() and value.isdigit() else value
