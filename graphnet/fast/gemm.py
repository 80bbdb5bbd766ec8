"""W ← W − Sᵀ·X in one BLAS call: gemm with β = 1, in numpy's own OpenBLAS.

BLAS's gemm computes C ← α·op(A)·op(B) + β·C.  numpy's ``matmul`` always has β = 0: its
product goes to an array of its own, and the update is a second pass over two arrays of
W's size (``W -= product``), which at 784-300-10 and batch 128 costs 13-30 % of the
product's own time.  With α = −1 and β = 1, gemm updates W in place, inside the product's
blocks.  It forms the same sums.  At the shapes training uses it for (W of
:data:`FUSED_UPDATE_BYTES` or more) the numbers are the two steps' bit for bit (tested at
784-90-10, float32 and float64); at tiny shapes BLAS may add in another order, within rounding.

It is called through :mod:`ctypes` in the ``scipy_openblas`` build that numpy's wheels
bundle (``scipy_cblas_sgemm64_`` and ``scipy_cblas_dgemm64_``, 64-bit integers): the
same library and the same thread pool as numpy's own products, so the thread counts of
:mod:`graphnet.fast.threads` hold for it too.  (scipy's wrappers would bring a second
OpenBLAS, whose threads spin beside numpy's: measured 3.8-7.5x slower epochs on 2 cores.)
Where that build is not found (another BLAS), :func:`subtract_product` takes the two
steps through numpy, with the same result up to rounding.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.fast.threads import bundled_libraries

Array = NDArray[Any]

#: CBLAS's constants: row-major storage, no transpose, transpose.
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS: dict[np.dtype[Any], tuple[str, type[ctypes.c_float] | type[ctypes.c_double]]] = {
    np.dtype(np.float32): ("scipy_cblas_sgemm64_", ctypes.c_float),
    np.dtype(np.float64): ("scipy_cblas_dgemm64_", ctypes.c_double),
}

#: W's size from which the one gemm is taken: below it W stays in the L2 cache, the second pass is cheap and
#: the ctypes call (about 1.5 µs) is not (measured per batch, one thread: 30 × 785 gains nothing at batches
#: 10-128, 300 × 785 saves 15-65 %).
FUSED_UPDATE_BYTES = 256 * 1024

_gemms: dict[np.dtype[Any], Callable[..., None]] | None = None


def bundled_gemms() -> dict[np.dtype[Any], Callable[..., None]]:
    """The float32 and float64 gemm of numpy's bundled OpenBLAS, by dtype (found once; empty if not there)."""
    global _gemms
    if _gemms is None:
        _gemms = {}
        for _, library in bundled_libraries():
            for dtype, (name, scalar) in _SYMBOLS.items():
                function = getattr(library, name, None)
                if function is None:
                    continue
                integer = ctypes.c_int64
                function.restype = None
                function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, scalar,
                                     ctypes.c_void_p, integer, ctypes.c_void_p, integer, scalar, ctypes.c_void_p,
                                     integer]  # fmt: skip
                _gemms[dtype] = function
            if _gemms:
                break
    return _gemms


def subtract_product(W: Array, S: Array, X: Array, product: Array) -> None:
    """W ← W − Sᵀ·X for S (n × m), X (n × k), W (m × k): one gemm, or (elsewhere) ``product`` then a subtraction.

    ``product`` is a kept array of W's shape, used only without the bundled gemm or when an
    array is not a C-contiguous one of W's dtype.  (The training loop calls this only for a W
    of :data:`FUSED_UPDATE_BYTES` or more.)
    """
    gemm = bundled_gemms().get(W.dtype)
    if (
        gemm is not None
        and S.dtype == X.dtype == W.dtype
        and W.flags.c_contiguous
        and W.flags.writeable  # (the call writes through a pointer: a read-only W goes to numpy, which refuses it)
        and S.flags.c_contiguous
        and X.flags.c_contiguous
        and S.shape[1] == W.shape[0]
        and X.shape[1] == W.shape[1]
        and S.shape[0] == X.shape[0]
    ):
        (m, k), n = W.shape, X.shape[0]
        gemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, k, n, -1.0, S.ctypes.data, m, X.ctypes.data, k, 1.0, W.ctypes.data, k)
        return
    np.matmul(S.T, X, out=product)
    W -= product
