"""Truth tables of the two-input logic gates, the first data sets of every course.

Each gate is four samples: the inputs (0, 0), (0, 1), (1, 0), (1, 1) in that order, and
one target per sample.  AND, OR, NAND and NOR are linearly separable, so one neuron with
a step or sigmoid activation learns them; XOR and XNOR are not, which is why they need a
hidden layer.  Gates with more than two inputs, and noisy versions, are left out (see
:mod:`graphnet.datasets.toy` for an XOR cloud of points).

Contents
--------
logic_gate
    Inputs X (4, 2) and targets T (4, 1) of a gate named by a string.
xor
    The XOR truth table, ``logic_gate("xor")``.
GATE_NAMES
    The names :func:`logic_gate` knows.

Examples
--------
>>> X, T = xor()
>>> X.tolist()
[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
>>> T.ravel().tolist()
[0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from graphnet.math.errors import unknown_name

_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))

_OUTPUTS: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
}
"""Gate name -> output for each row of ``_INPUTS``."""

GATE_NAMES: tuple[str, ...] = tuple(_OUTPUTS)
"""Names :func:`logic_gate` accepts (in any letter case)."""


def logic_gate(name: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the truth table of a two-input logic gate.

    Parameters
    ----------
    name : str
        One of ``"and"``, ``"or"``, ``"nand"``, ``"nor"``, ``"xor"``, ``"xnor"``, in any
        letter case.

    Returns
    -------
    X : numpy.ndarray of float64, shape (4, 2)
        The inputs (0, 0), (0, 1), (1, 0), (1, 1), one sample per row.
    T : numpy.ndarray of float64, shape (4, 1)
        The gate's output for each row of ``X``.  Both arrays are new on each call.

    Raises
    ------
    UnknownNameError
        If the gate is not known; the message lists the known names.

    Examples
    --------
    >>> X, T = logic_gate("NAND")
    >>> T.ravel().tolist()
    [1.0, 1.0, 1.0, 0.0]
    """
    if not isinstance(name, str) or name.lower() not in _OUTPUTS:
        raise unknown_name("logic gate", name, GATE_NAMES)
    inputs = np.array(_INPUTS, dtype=np.float64)
    targets = np.array(_OUTPUTS[name.lower()], dtype=np.float64).reshape(4, 1)
    return inputs, targets


def xor() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the XOR truth table, the classic problem one neuron cannot learn.

    Returns
    -------
    X : numpy.ndarray of float64, shape (4, 2)
    T : numpy.ndarray of float64, shape (4, 1)
        1 where exactly one input is 1.

    Examples
    --------
    >>> X, T = xor()
    >>> (T.ravel() == (X[:, 0] != X[:, 1])).all()
    np.True_
    """
    return logic_gate("xor")
