"""BLAS threads chosen by the size of the matrix products: small products run on one thread.

OpenBLAS splits a product between its threads once m·n·k passes about 262,000
multiply-adds, and a matrix-vector product sooner.  The two threads then meet at a barrier
after every product.  On an idle machine the second thread pays for itself only on large
products; on a busy one (another process holding a core) every product waits for a thread
that is not running, and a 784-30-10 mini-batch can become slower per sample than
per-sample training.  So the fast path's ``train`` runs its products on

    threads = clamp(⌊(multiply-adds of the largest product) / MULTIPLY_ADDS_PER_THREAD⌋, 1, free cores)

threads, and puts the previous count back afterwards.  The free cores are those the BLAS
was using (all, by default) less those other processes keep busy: the one-minute load
average less this process's own CPU use (:func:`other_load`, :func:`free_cores`).  At
784-30-10 every batch size up to 128 runs on one thread, at 784-300-10 batches from 26
rows on two; beside another CPU-bound process on two cores, everything runs on one.

The count is set through ``threadpoolctl`` when it is installed (``pip install
graphnet[speed]``), else through OpenBLAS's own ``openblas_set_num_threads`` (the
``scipy_openblas`` build that numpy's wheels bundle, found with :mod:`ctypes`).  With
neither (another BLAS, or no access to it), nothing is changed and nothing fails.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import itertools
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Multiply-adds of one product per BLAS thread: fewer, and a second thread costs more at its barrier than it
#: saves (measured on a busy 2-core machine: 784·30·128 runs faster on one thread, 784·300·32 on two).
MULTIPLY_ADDS_PER_THREAD = 3_000_000

#: (get, set) symbol names of OpenBLAS builds, the scipy-openblas of numpy's wheels first.
_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@dataclass(frozen=True)
class BlasThreads:
    """How to read and set the BLAS thread count (``get`` returns None when it is not known)."""

    name: str
    get: Callable[[], int | None]
    set: Callable[[int], None]


def _none() -> int | None:
    return None


def _ignore(_threads: int) -> None:
    return None


NO_CONTROL = BlasThreads("none", _none, _ignore)


def via_threadpoolctl() -> BlasThreads | None:
    """The BLAS libraries threadpoolctl finds in this process, when it is installed."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    try:
        controllers: list[Any] = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    except Exception:  # a broken install of an optional extra must not stop training
        return None
    if not controllers:
        return None
    first = controllers[0]

    def get() -> int | None:
        return int(first.get_num_threads())

    def set_all(threads: int) -> None:
        for controller in controllers:
            controller.set_num_threads(threads)

    return BlasThreads("threadpoolctl", get, set_all)


def library_paths() -> list[str]:
    """The BLAS libraries bundled with numpy (numpy.libs on Linux and Windows, .dylibs on macOS)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    here = os.path.dirname(np.__file__)
    patterns = [os.path.join(root, "numpy.libs", "*openblas*"), os.path.join(here, ".dylibs", "*openblas*")]
    return sorted(path for pattern in patterns for path in glob.glob(pattern))


@functools.cache
def bundled_libraries() -> tuple[tuple[str, ctypes.CDLL], ...]:
    """The BLAS libraries bundled with numpy that load, with their paths (loaded once; the one gemm lives there too)."""
    loaded = []
    for path in library_paths():
        try:
            loaded.append((path, ctypes.CDLL(path)))
        except OSError:
            continue
    return tuple(loaded)


def via_openblas() -> BlasThreads | None:
    """The OpenBLAS bundled with numpy, its thread functions called through ctypes (None if not found)."""
    for path, library in bundled_libraries():
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            getter = getattr(library, get_name, None)
            setter = getattr(library, set_name, None)
            if getter is None or setter is None:
                continue
            getter.restype = ctypes.c_int
            getter.argtypes = []
            setter.restype = None
            setter.argtypes = [ctypes.c_int]

            def get(getter: Any = getter) -> int | None:
                return int(getter())

            def set_count(threads: int, setter: Any = setter) -> None:
                setter(threads)

            return BlasThreads(f"openblas ({os.path.basename(path)})", get, set_count)
    return None


_control: BlasThreads | None = None


def control() -> BlasThreads:
    """The way this process sets BLAS threads (found once): threadpoolctl, OpenBLAS by ctypes, or none."""
    global _control
    if _control is None:
        _control = via_threadpoolctl() or via_openblas() or NO_CONTROL
    return _control


def threads_for(multiply_adds: int, default: int) -> int:
    """clamp(⌊multiply_adds / MULTIPLY_ADDS_PER_THREAD⌋, 1, default): the threads for a product of that size.

    >>> threads_for(128 * 784 * 30, 2), threads_for(32 * 784 * 300, 2), threads_for(10**9, 2)
    (1, 2, 2)
    """
    return max(1, min(default, multiply_adds // MULTIPLY_ADDS_PER_THREAD))


def free_cores(cores: int, others: float) -> int:
    """Cores not kept busy by other processes: cores − round(others), at least 1.

    ``others`` is the number of threads other processes keep running (see :func:`other_load`).

    >>> free_cores(2, 0.2), free_cores(2, 1.1), free_cores(4, 1.0), free_cores(2, 6.0)
    (2, 1, 3, 1)
    """
    return max(1, min(cores, cores - math.floor(max(0.0, others) + 0.5)))


#: (monotonic seconds, this process's CPU seconds, its mean busy threads since the sample before)
_own: list[float] = []
#: Seconds between two readings of this process's CPU time (its own share of the load average).
OWN_WINDOW = 5.0


def other_load() -> float:
    """Threads other processes keep running: the one-minute load average less this process's own.

    This process's share is its CPU seconds per second over the last :data:`OWN_WINDOW` seconds or
    more (1 until measured: a process that trains is busy), so its own BLAS threads do not
    count against it.  0 where there is no load average (Windows).
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0
    now, times = time.monotonic(), os.times()
    cpu = times.user + times.system
    if not _own:
        _own[:] = [now, cpu, 1.0]
    elif now - _own[0] >= OWN_WINDOW:
        _own[:] = [now, cpu, (cpu - _own[1]) / (now - _own[0])]
    return load - max(1.0, _own[2])


def largest_product(sizes: Sequence[int], batch_size: int) -> int:
    """Multiply-adds of the largest product of a batch through layers ``sizes``: n·n_in·n_out."""
    return batch_size * max(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))


_default: int | None = None


@contextmanager
def blas_threads_for(sizes: Sequence[int], batch_size: int) -> Iterator[int]:
    """Run the block with the threads :func:`threads_for` gives the largest product; yield that count.

    The previous count is put back on leaving.  Yields 0, changing nothing, when the BLAS
    cannot be controlled.
    """
    global _default
    blas = control()
    before = blas.get()
    if before is None:
        yield 0
        return
    if _default is None:
        _default = before
    threads = threads_for(largest_product(sizes, batch_size), free_cores(max(_default, 1), other_load()))
    if threads == before:
        yield threads
        return
    blas.set(threads)
    try:
        yield threads
    finally:
        blas.set(before)
