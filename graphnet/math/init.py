"""Weight initialisation: the starting values of W and b, always drawn from a seeded Generator.

========= ===================================== ===========================
name      distribution of each w_ji             why
========= ===================================== ===========================
uniform   U(−0.1, 0.1)                          the classic small start
normal    N(0, 1)                               the classic MNIST tutorials
xavier    U(−a, a), a = √(6 / (n_in + n_out))   Glorot & Bengio, for tanh/sigmoid
he        N(0, 2 / n_in)                        He et al., for ReLU
========= ===================================== ===========================

Biases start at a constant (``bias_init``, 0 by default; the MNIST "1 vs 7" tutorial uses 1).
Layers are drawn in order, input side first, each W as one (n_out, n_in) array, so the same
seed gives the same weights on the graph and on the fast path.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from graphnet.math.errors import unknown_name

Initializer = Callable[[int, int, np.random.Generator], NDArray[np.float64]]


def uniform(n_out: int, n_in: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """W ~ U(−0.1, 0.1), shape (n_out, n_in)."""
    return rng.uniform(-0.1, 0.1, size=(n_out, n_in))


def normal(n_out: int, n_in: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """W ~ N(0, 1), shape (n_out, n_in)."""
    return rng.standard_normal(size=(n_out, n_in))


def xavier(n_out: int, n_in: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """W ~ U(−a, a) with a = √(6 / (n_in + n_out)) (Glorot uniform)."""
    limit = math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_out, n_in))


def he(n_out: int, n_in: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """W ~ N(0, 2 / n_in) (He normal)."""
    return rng.standard_normal(size=(n_out, n_in)) * math.sqrt(2.0 / n_in)


INITIALIZERS: dict[str, Initializer] = {
    "uniform": uniform,
    "normal": normal,
    "xavier": xavier,
    "glorot": xavier,
    "he": he,
}


def get_initializer(name: str) -> Initializer:
    """Return the initializer called ``name``; raise UnknownNameError listing the known ones."""
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise unknown_name("init", name, INITIALIZERS)
    return INITIALIZERS[name]
