"""Errors raised by graphnet.

Every error graphnet raises on purpose derives from :class:`GraphnetError`, which is a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do not know
graphnet.  Each subclass also derives from the builtin that matches its meaning.  Messages
state what was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Iterable


class GraphnetError(ValueError):
    """Root of every error graphnet raises on purpose."""


class ShapeError(GraphnetError):
    """An array or list has the wrong length, shape or number of dimensions."""


class NonFiniteError(GraphnetError):
    """A value is NaN or infinite where a finite number is required."""


class NotANumberError(GraphnetError, TypeError):
    """A value that must be a real number is text, None, a container or another object."""


class EmptyDataError(GraphnetError):
    """A data set, batch or file holds no samples."""


class UnknownNameError(GraphnetError, KeyError):
    """A name (activation, loss, initializer, …) is not one graphnet knows."""

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0]) if self.args else ""


class IncompatibleError(GraphnetError):
    """Options that are each valid but meaningless or wrong together."""


class NotDifferentiableError(GraphnetError):
    """Backpropagation was asked through an activation without a derivative (step)."""


class FileFormatError(GraphnetError):
    """A file is truncated, corrupted, tampered with, or of an unknown format or version."""


class MissingFileError(GraphnetError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class PathError(GraphnetError, OSError):
    """A path cannot be read or written: no permission, read-only, a FIFO or device, a name too long, a link loop."""


class DownloadError(GraphnetError, ConnectionError):
    """A download failed from every mirror."""


class MissingDependencyError(GraphnetError, ImportError):
    """An optional package that this feature needs is not installed (the message says how to)."""


class NumericalOverflowError(GraphnetError, OverflowError):
    """A computation on finite numbers overflowed to inf or NaN: the inputs or weights are too large."""


class WrongGradientError(GraphnetError):
    """The analytic gradient disagrees with central differences: a derivative is wrong.

    Raised by ``train(..., check_gradients="first")``; ``report`` is the gradient check's report.
    """

    def __init__(self, message: str, *, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class TrainingDiverged(GraphnetError, ArithmeticError):
    """Training produced a NaN or infinite loss or weight and was stopped.

    Attributes
    ----------
    epoch : int or None
        The epoch (counted from 1) in which training stopped.
    sample : int or None
        Index in the data set of the first sample whose numbers were not finite, if known.
    batch : tuple of int
        Indices in the data set of the samples of the update that failed (empty if unknown).
    """

    def __init__(
        self, message: str, *, epoch: int | None = None, sample: int | None = None, batch: tuple[int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.sample = sample
        self.batch = batch


def unknown_name(kind: str, given: object, known: Iterable[str]) -> UnknownNameError:
    """Build the error for an unknown name, listing the names that are known.

    Examples
    --------
    >>> str(unknown_name("activation", "sigmod", ["relu", "sigmoid"]))
    "unknown activation 'sigmod'; known: relu, sigmoid"
    """
    return UnknownNameError(f"unknown {kind} {given!r}; known: {', '.join(sorted(known))}")
