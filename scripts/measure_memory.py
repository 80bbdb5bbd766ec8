"""Peak memory of the fast path's two big calls, as a multiple of the data's size.

The cases of issue 15 (class 7), on random data of MNIST's shape (60,000 x 784 float32,
188 MB):

* ``epoch``: one fast ``train`` epoch (784-30-10, batch 32, shuffled, the loss tracked);
* ``accuracy``: ``accuracy()`` over the whole set with 784-1000-1000-10.

Each case runs in a fresh subprocess and reports two peaks beyond what was allocated
before the call (network and data are built first): the tracemalloc peak (numpy reports
its buffers to tracemalloc) and the growth of the peak resident set size
(``resource.getrusage``; pages touched, so it may read lower than tracemalloc for
buffers only partly written).

Measured (2 cores, numpy 2 with OpenBLAS; peak beyond what was in use before the call, as a
multiple of the 188 MB of data; tracemalloc / RSS growth)::

    case      sizes             engine    before          after
    epoch     784-30-10         float32   1.13x / 1.47x   0.12x / 0.46x
    epoch     784-30-10         float64   4.29x / 4.64x   0.36x / 0.60x
    accuracy  784-1000-1000-10  float32   6.38x / 6.74x   0.19x / 0.21x
    accuracy  784-1000-1000-10  float64  14.76x / 15.12x  0.21x / 0.29x

Before: a float64 copy of the float32 data, the shuffled copy of that, and one forward pass
over all rows (every layer's Z and Y); after: none of the three (see ``graphnet.fast``).

Run::

    python scripts/measure_memory.py                 # both cases, full size, both dtypes
    python scripts/measure_memory.py --samples 6000  # smaller
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

CASES = {"epoch": [784, 30, 10], "accuracy": [784, 1000, 1000, 10]}


@dataclass
class Peak:
    """One case's peaks in bytes beyond the memory in use before the call, and the data's size."""

    case: str
    dtype: str
    n_samples: int
    data_bytes: int
    traced_bytes: int
    rss_bytes: int

    def as_json(self) -> str:
        return json.dumps(asdict(self))

    @property
    def traced_ratio(self) -> float:
        return self.traced_bytes / self.data_bytes

    @property
    def rss_ratio(self) -> float:
        return self.rss_bytes / self.data_bytes


def _current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def measure(
    case: str, *, n_samples: int = 60_000, dtype: str = "float32", seed: int = 0, sizes: Sequence[int] | None = None
) -> Peak:
    """Run ``case`` once in this process and return its peaks (network and data are built first).

    ``case``: ``epoch`` or ``accuracy`` (the two of the issue), or ``loss`` or ``predict`` (the
    other evaluations over the whole set, on the sizes of ``accuracy``); ``sizes`` replaces
    the case's network.
    """
    from graphnet import Network

    sizes = list(sizes or CASES.get(case, CASES["accuracy"]))
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, sizes[0]), dtype=np.float32)
    labels = rng.integers(0, sizes[-1], n_samples)
    T = np.eye(sizes[-1], dtype=np.float32)[labels]
    fast = Network(sizes, seed=seed).vectorized(np.dtype(dtype).type)
    calls: dict[str, Callable[[], object]] = {
        "epoch": lambda: fast.train(X, T, rate=0.1, epochs=1, batch_size=32, shuffle=True, seed=seed),
        "accuracy": lambda: fast.accuracy(X, labels),
        "loss": lambda: fast.loss(X, T),
        "predict": lambda: fast.predict(X),
    }
    run = calls[case]
    rss_before = _current_rss()
    max_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss_growth = max(0, max_after - max(max_before, rss_before))
    return Peak(case, np.dtype(dtype).name, n_samples, X.nbytes, peak - start, rss_growth)


def measure_in_subprocess(case: str, *, n_samples: int, dtype: str) -> Peak:
    """:func:`measure` in a fresh interpreter (so that earlier peaks do not hide this one's RSS)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import measure_memory as m; "
        "print(m.measure(sys.argv[2], n_samples=int(sys.argv[3]), dtype=sys.argv[4]).as_json())"
    )
    folder = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    done = subprocess.run(
        [sys.executable, "-c", code, folder, case, str(n_samples), dtype], capture_output=True, text=True, check=True
    )
    return Peak(**json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--dtype", choices=["float32", "float64", "all"], default="all")
    options = parser.parse_args(argv)
    cases = list(CASES) if options.case == "all" else [options.case]
    dtypes = ["float32", "float64"] if options.dtype == "all" else [options.dtype]
    columns = ("data MB", "traced MB", "x data", "RSS MB", "x data")
    print(f"{'case':<9} {'sizes':<18} {'engine':<8} " + " ".join(f"{column:>9}" for column in columns))
    for case in cases:
        for dtype in dtypes:
            peak = measure_in_subprocess(case, n_samples=options.samples, dtype=dtype)
            sizes = "-".join(str(n) for n in CASES[case])
            print(
                f"{case:<9} {sizes:<18} {dtype:<8} {peak.data_bytes / 1e6:>9.1f} {peak.traced_bytes / 1e6:>9.1f} "
                f"{peak.traced_ratio:>9.2f} {peak.rss_bytes / 1e6:>9.1f} {peak.rss_ratio:>9.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
