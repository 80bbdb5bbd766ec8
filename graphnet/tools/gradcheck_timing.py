"""How long gradient checks take on MNIST-sized networks: the timings :mod:`graphnet.tools.bench` reports.

:func:`time_gradient_checks` runs :func:`~graphnet.tools.gradcheck.gradient_check` in its
full, order-2, sampled and directional modes on 784-30-10 and 784-300-10 networks and
returns the median seconds of each; the benchmark finds it by name and skips its timings
when it is missing.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from graphnet.graph.network import Network
from graphnet.math.errors import IncompatibleError
from graphnet.math.validation import check_count
from graphnet.tools.gradcheck import gradient_check


def time_gradient_checks(quick: bool = True, *, repeats: int = 3, seed: int = 0) -> dict[str, float]:
    """Seconds (median of ``repeats`` runs) of gradient checks on MNIST-sized networks.

    Each network is sigmoid with a softmax output and cross-entropy, one random sample with
    pixel-like inputs in [0, 1) and a one-hot target; every check must pass.

    Parameters
    ----------
    quick : bool, default True
        Time only 784-30-10 (full, order 6 and order 2) and 784-300-10 (directional);
        otherwise also the full check of 784-300-10.
    repeats : int, default 3
    seed : int, default 0

    Returns
    -------
    dict
        Name of the check → median seconds, e.g. ``{"784-30-10 full": 0.2, …}``.
    """
    repeats = check_count(repeats, name="repeats")
    rng = np.random.default_rng(seed)
    cases: list[tuple[str, list[int], dict[str, Any]]] = [
        ("784-30-10 full", [784, 30, 10], {"mode": "full"}),
        ("784-30-10 full order 2", [784, 30, 10], {"mode": "full", "order": 2}),
        ("784-300-10 directional", [784, 300, 10], {"mode": "directional"}),
        ("784-300-10 sampled", [784, 300, 10], {"mode": "sample"}),
    ]
    if not quick:
        cases.append(("784-300-10 full", [784, 300, 10], {"mode": "full"}))
    timings: dict[str, float] = {}
    networks: dict[tuple[int, ...], Network] = {}
    for name, sizes, options in cases:
        key = tuple(sizes)
        if key not in networks:
            networks[key] = Network(
                sizes,
                activation="sigmoid",
                output_activation="softmax",
                loss="categorical_cross_entropy",
                init="xavier",
                seed=seed,
            )
        x = rng.uniform(0.0, 1.0, size=sizes[0])
        t = np.eye(sizes[-1])[rng.integers(sizes[-1])]
        runs = []
        for _ in range(repeats):
            begin = time.perf_counter()
            report = gradient_check(networks[key], x, t, **options)
            runs.append(time.perf_counter() - begin)
            if not report.passed:
                raise IncompatibleError(f"the timed check {name!r} did not pass: {report.summary}")
        timings[name] = statistics.median(runs)
    return timings
