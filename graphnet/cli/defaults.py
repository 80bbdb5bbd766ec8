"""Per-data-set defaults of ``graphnet train``, and what to say when a run ends short of its goal.

Every option of ``graphnet train`` left out takes the value of the data set's
:class:`TrainDefaults`, chosen so that the run succeeds: every logic gate (xor too) 100 %,
toy:circle, toy:xor, toy:gauss and toy:two_moons ≥ 97 %, toy:spiral ≥ 95 %, mnist ≥ 90 % on
the test images within seconds (on the fast path).  ``goal`` is that accuracy: what the data
allows.  For a CSV file it is the training accuracy the data allows at best: 100 % unless
equal inputs carry different labels (then the majority label of each such group).

A run ending below its goal gets a verdict (:func:`verdict`) that says so and suggests
what to change, from what the loss did: still falling (train longer), stuck (another rate,
seed, activation, more units, adam), or fitting the training set but not the test set.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from graphnet.datasets import GATE_NAMES


@dataclass(frozen=True)
class TrainDefaults:
    """The settings one data set trains with unless the command line says otherwise."""

    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    rate: float
    batch_size: str
    epochs: int
    engine: str
    shuffle: bool
    #: Accuracy (0 … 1) the data allows: on the test set when there is one, else on the training set.
    goal: float
    #: Training samples (toy sets: points; mnist: images), or None where the data has a fixed size.
    samples: int | None = None

    def flags(self) -> str:
        """The defaults as the command-line options that would ask for them."""
        samples = f" --samples {self.samples}" if self.samples is not None else ""
        return as_flags(self) + samples


def as_flags(settings: TrainDefaults | argparse.Namespace) -> str:
    """``--hidden 16 16 --activation relu … --engine fast``: the settings of :data:`FIELDS` (but samples) as options."""
    hidden = "".join(f" {n}" for n in settings.hidden)
    shuffle = "--shuffle" if settings.shuffle else "--no-shuffle"
    return (
        f"--hidden{hidden} --activation {settings.activation} --optimizer {settings.optimizer} "
        f"--rate {settings.rate:g} --batch-size {settings.batch_size} --epochs {settings.epochs} {shuffle} "
        f"--engine {settings.engine}"
    )


_GATE = TrainDefaults((4,), "tanh", "sgd", 0.5, "1", 300, "graph", False, goal=1.0)
_TOY = TrainDefaults((8,), "tanh", "adam", 0.02, "10", 100, "graph", True, goal=0.97, samples=200)
DEFAULTS: dict[str, TrainDefaults] = {
    **dict.fromkeys(GATE_NAMES, _GATE),
    "toy:circle": _TOY,
    "toy:xor": _TOY,
    "toy:gauss": _TOY,
    "toy:two_moons": TrainDefaults((16,), "tanh", "adam", 0.02, "10", 100, "graph", True, goal=0.97, samples=200),
    "toy:spiral": TrainDefaults((16, 16), "relu", "adam", 0.01, "10", 300, "fast", True, goal=0.95, samples=400),
    "mnist": TrainDefaults((32,), "sigmoid", "sgd", 0.5, "32", 10, "fast", True, goal=0.90, samples=4000),
    "mnist17": TrainDefaults((16,), "sigmoid", "sgd", 0.5, "32", 10, "fast", True, goal=0.97, samples=4000),
}
#: For ``--csv FILE``; its goal is replaced by what the file allows (:func:`best_training_accuracy`).
CSV_DEFAULTS = TrainDefaults((8,), "tanh", "adam", 0.02, "10", 200, "graph", True, goal=1.0)
#: The ``graphnet train`` options that take a per-data-set default when left out.
FIELDS = ("hidden", "activation", "optimizer", "rate", "batch_size", "epochs", "engine", "shuffle", "samples")


def defaults_for(args: argparse.Namespace) -> TrainDefaults:
    """The defaults of the data the options name (``--csv`` or ``--data``)."""
    return CSV_DEFAULTS if getattr(args, "csv", None) else DEFAULTS[args.data]


def fill_defaults(args: argparse.Namespace) -> TrainDefaults:
    """Set every option of :data:`FIELDS` left out (None) to the data set's default; return those defaults."""
    chosen = defaults_for(args)
    for name in FIELDS:
        if getattr(args, name, None) is None:
            value = getattr(chosen, name)
            setattr(args, name, list(value) if name == "hidden" else value)
    if args.samples is None:
        args.samples = 0  # a data set of fixed size: the option does not apply
    return chosen


def best_training_accuracy(inputs: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """The highest training accuracy any classifier reaches: equal inputs must share one prediction.

    For each group of equal rows the majority label is right and the others are wrong, so the
    bound is Σ (count of each group's commonest label) / n; 1.0 when no two equal rows differ.
    """
    if len(inputs) == 0:
        return 1.0
    _, group = np.unique(inputs, axis=0, return_inverse=True)
    pairs = np.unique(np.column_stack([group.ravel(), labels]), axis=0, return_counts=True)
    best: dict[int, int] = {}
    for (row_group, _label), count in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        best[row_group] = max(best.get(row_group, 0), count)
    return sum(best.values()) / len(inputs)


def still_falling(losses: list[float]) -> bool:
    """True when the last fifth of the epochs still made more than 5 % of the run's progress.

    Progress is the fall of the loss, E(first epoch) − E(last); a run whose loss hardly moved
    (by less than 1 % of where it started) counts as stuck, not as falling.

    >>> still_falling([0.13 - 0.001 * e for e in range(10)]), still_falling([0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    (True, False)
    """
    if len(losses) < 5:
        return len(losses) >= 2 and losses[-1] < losses[0]
    total = losses[0] - losses[-1]
    late = losses[int(len(losses) * 0.8)] - losses[-1]
    return total > 0.01 * abs(losses[0]) and late > 0.05 * total


def verdict(
    *,
    name: str,
    goal: float,
    accuracy: float,
    test_accuracy: float | None,
    losses: list[float],
    args: argparse.Namespace,
) -> list[str]:
    """Lines saying whether the run reached what its data allows, and if not what to try.

    ``accuracy`` is the final training accuracy and ``test_accuracy`` the test one (None
    without a test set); the goal applies to the test accuracy when there is one.
    """
    reached = test_accuracy if test_accuracy is not None else accuracy
    which = "test" if test_accuracy is not None else "training"
    if reached >= goal:
        return [f"reached what {name} allows: {which} accuracy {reached:.2%} ≥ {goal:.0%}"]
    lines = [f"below what {name} allows: {which} accuracy {reached:.2%}, but this data allows {goal:.0%}; try"]
    epochs = len(losses)
    if test_accuracy is not None and accuracy >= goal:
        lines.append(
            "  • the network fits the training data but not the test data: more training samples "
            "(--samples), fewer hidden units, or --dropout 0.1"
        )
    elif not args.hidden:
        lines.append("  • a hidden layer (--hidden 4): without one the boundary is a straight line")
    elif still_falling(losses):
        lines.append(f"  • more epochs (--epochs {2 * epochs}): the loss was still falling at the end")
    else:
        stuck = f"{losses[-1]:.4g}" if losses else "its start"
        options = [
            f"a larger --rate (now {args.rate:g})",
            "another --seed",
            f"more hidden units (--hidden {' '.join(str(2 * n) for n in args.hidden)})",
        ]
        options += ["--activation tanh"] if args.activation != "tanh" else []
        options += ["--optimizer adam"] if args.optimizer != "adam" else []
        lines.append(f"  • the loss stopped falling at {stuck}: {', '.join(options[:-1])}, or {options[-1]}")
    if name in DEFAULTS:
        lines.append(f"  • or the defaults for {name}, which reach it: {DEFAULTS[name].flags()}")
    return lines
