"""``graphnet bench``: the speed of both engines, measured in one process as ratios.

Every figure comes from this run on this machine.  Benchmarks are *interleaved*: each
repetition runs every case once, round-robin, so a slow moment of the machine hits all
cases alike; we report the median and the min–max of the repetitions.  Ratios (graph vs
fast, fast vs a minimal numpy loop, graph vs the classic per-neuron code) are taken from
the same run: fast vs the numpy loop as the median of the ratios of back-to-back pairs
(:func:`paired_ratio`), beside the ratio of medians and of the fastest repetitions; the
others from medians, graph vs fast also from the fastest repetitions.  Nothing here
asserts a time; ``--check`` compares ratios only.

The cases themselves, and the minimal loops they are compared with, are in
:mod:`graphnet.tools.bench_cases`; this module times them and derives the ratios.
"""

from __future__ import annotations

import datetime
import gc
import importlib.util
import json
import math
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import RenderableType

from graphnet.common import display
from graphnet.fast.threads import control as blas_control
from graphnet.tools.bench_cases import (
    MATMUL_SIZE,
    Array,
    adam_cases,
    classic_network,
    classic_train_step,
    construction,
    executed_flops,
    fast_cases,
    graph_cases,
    graph_optimizer_cases,
    matmul_rate,
    products_epoch_case,
    reference_adam_epoch,
    reference_epoch,
    reference_forward,
    square_matmul_case,
    sync_cases,
    timed,
    torch_cases,
)
from graphnet.tools.bench_conv import CONV_LABEL, conv_cases

__all__ = [
    "CHECKS",
    "MATMUL_SIZE",
    "Array",
    "BenchResult",
    "Measurement",
    "adam_cases",
    "check_ratios",
    "classic_network",
    "classic_train_step",
    "construction",
    "executed_flops",
    "fast_cases",
    "graph_cases",
    "graph_optimizer_cases",
    "interleave",
    "matmul_rate",
    "paired_ratio",
    "products_epoch_case",
    "reference_adam_epoch",
    "reference_epoch",
    "reference_forward",
    "run_bench",
    "square_matmul_case",
    "sync_cases",
    "timed",
    "torch_cases",
]


@dataclass
class Measurement:
    """Repeated timings of one case, in seconds per repetition, and what one repetition does."""

    name: str
    seconds: list[float] = field(default_factory=list)
    per: float = 1.0  # divide seconds by this to get the reported unit
    unit: str = "s"
    scale: float = 1.0  # multiply after dividing (1e6 for µs)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """Median time per unit."""
        return statistics.median(self.seconds) / self.per * self.scale

    @property
    def low(self) -> float:
        """Fastest repetition, per unit."""
        return min(self.seconds) / self.per * self.scale

    @property
    def high(self) -> float:
        """Slowest repetition, per unit."""
        return max(self.seconds) / self.per * self.scale

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "unit": self.unit,
            "repetitions": len(self.seconds),
            **self.info,
        }


def interleave(cases: dict[str, Callable[[], object]], repetitions: int) -> dict[str, list[float]]:
    """Run every case once per repetition, round-robin, the order reversed every other time; the seconds of each.

    A case runs slower just after some others (measured: an epoch of the fast path 5% slower
    right after PyTorch's, whose threads linger); reversing the order gives each case each
    neighbour before it as often, so a paired ratio carries no such bias.  The garbage left by
    earlier cases is collected first.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for action in cases.values():  # warm-up: caches, BLAS threads, lazy imports
        action()
    # the garbage of earlier cases (a graph network is a web of cycles: 700,000 objects at 784-300-10)
    # waits for the collector, whose passes then land in these timings: measured, the fast epoch at
    # 784-30-10 float32 1.5-2.7 % slower against its numpy loop with 270,000 objects left waiting
    gc.collect()
    items = list(cases.items())
    for repetition in range(repetitions):
        for name, action in items if repetition % 2 == 0 else reversed(items):
            times[name].append(timed(action))
    return times


# ---------------------------------------------------------------------- the run
@dataclass
class BenchResult:
    """Everything one ``graphnet bench`` run measured."""

    quick: bool
    measurements: dict[str, Measurement] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "quick": self.quick,
            "measurements": {k: m.as_dict() for k, m in self.measurements.items()},
            "facts": self.facts,
            "ratios": self.ratios,
            "notes": self.notes,
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`as_dict` as JSON."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def __rich__(self) -> RenderableType:
        return display.rich(self)


def run_bench(*, quick: bool = False, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Measure every case; ``quick`` keeps the whole run under a minute."""
    say = progress or (lambda _message: None)
    result = BenchResult(quick=quick)
    result.facts["date"] = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    result.facts["BLAS threads set by"] = blas_control().name
    result.facts["load average at start"] = _load_average()
    repetitions = 3 if quick else 9
    graph_sizes = [([2, 4, 1], 200), ([784, 30, 10], 20 if quick else 100), ([784, 300, 10], 2 if quick else 10)]
    GraphCases = tuple[dict[str, Callable[[], object]], int, int]

    def graph_run(sizes: list[int], n_samples: int) -> Callable[[], GraphCases]:
        return lambda: graph_cases(sizes, n_samples, with_classic=not (quick and sizes[1] == 300))

    graph_runs: list[tuple[str, Callable[[], GraphCases], list[int] | None]] = [
        (f"graph {sizes}", graph_run(sizes, n_samples), sizes) for sizes, n_samples in graph_sizes
    ]
    if not quick:
        graph_runs.append(("graph optimizers [784, 30, 10]", lambda: graph_optimizer_cases([784, 30, 10], 50), None))
    for message, build, sizes in graph_runs:  # built one at a time: only the measured network is alive
        say(message)
        cases, connections, samples = build()
        beside: dict[
            str, Callable[[], object]
        ] = {}  # the fast path at batch 32 in the same repetitions: graph / fast from back-to-back pairs
        if sizes is not None and sizes[0] == 784:
            label = f"{'-'.join(map(str, sizes))} batch 32 float64"
            beside = {
                f"fast epoch {label} beside the graph": fast_cases(sizes, 32, np.float64, 4000)[f"fast epoch {label}"]
            }
        for name, seconds in interleave(cases | beside, repetitions).items():
            if name in beside:
                result.measurements[name] = Measurement(name, seconds, per=4000, unit="µs/sample", scale=1e6)
                continue
            result.measurements[name] = Measurement(
                name,
                seconds,
                per=connections * samples,
                unit="µs/conn·sample",
                scale=1e6,
                info={"connections": connections, "samples": samples},
            )
    for sizes in ([784, 30, 10], [784, 300, 10]):
        say(f"construction {sizes}")
        label = "-".join(map(str, sizes))
        seconds, facts = construction(sizes, repetitions)
        result.measurements[f"graph construction {label}"] = Measurement(f"graph construction {label}", seconds)
        result.facts[f"construction {label}"] = facts
    say("fast call [784, 300, 10]")
    for name, seconds in interleave(sync_cases([784, 300, 10]), repetitions).items():
        result.measurements[name] = Measurement(name, seconds, per=10, unit="ms/call", scale=1e3)
    for dtype in (np.float64, np.float32):
        result.facts[f"matmul GFLOP/s {np.dtype(dtype).name}"] = matmul_rate(dtype, 512 if quick else 1024)
    fast_sizes = [[784, 30, 10]] if quick else [[784, 30, 10], [784, 300, 10]]
    batches = [1, 32, 128] if quick else [1, 10, 32, 128]
    for sizes in fast_sizes:
        for dtype in (np.float64, np.float32):
            for batch_size in batches:
                n_samples = (200 if quick else 1000) if batch_size == 1 else 4000
                say(f"fast {sizes} batch {batch_size} {np.dtype(dtype).name}")
                cases = fast_cases(sizes, batch_size, dtype, n_samples)
                cases.update(torch_cases(sizes, batch_size, n_samples, dtype))
                for name, seconds in interleave(cases, repetitions).items():
                    if name.startswith("square matmul"):
                        rates = [2.0 * MATMUL_SIZE**3 / second / 1e9 for second in seconds]
                        result.measurements[name] = Measurement(
                            name, seconds, unit="ms", scale=1e3, info={"GFLOP/s": statistics.median(rates)}
                        )
                        continue
                    result.measurements[name] = Measurement(
                        name, seconds, per=n_samples, unit="µs/sample", scale=1e6, info={"samples": n_samples}
                    )
    if not quick:
        for sizes in fast_sizes:
            say(f"fast {sizes} batch 128 float64 adam")
            for name, seconds in interleave(adam_cases(sizes, 128, 4000), repetitions).items():
                result.measurements[name] = Measurement(
                    name, seconds, per=4000, unit="µs/sample", scale=1e6, info={"samples": 4000}
                )
    _gradient_check_cases(result, quick=quick, repetitions=repetitions, say=say)
    say(f"conv {CONV_LABEL}: graph and fast")
    conv = conv_cases(graph_samples=2 if quick else 10)
    for name, seconds in interleave({key: case for key, (case, _) in conv.items()}, repetitions).items():
        result.measurements[name] = Measurement(name, seconds, per=conv[name][1], unit="µs/sample", scale=1e6)
    result.facts["load average at end"] = _load_average()
    _derive_ratios(result, fast_sizes, batches)
    graph_conv, fast_conv = (result.measurements[name].median for name in conv)
    result.ratios[f"graph / fast per sample conv {CONV_LABEL}"] = graph_conv / fast_conv
    if importlib.util.find_spec("torch") is None:
        result.notes.append("torch is not installed: the PyTorch comparison was skipped (pip install torch)")
    return result


def _load_average() -> float:
    """The one-minute load average (runnable threads, this process included; NaN where there is none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return math.nan


def _gradient_check_cases(result: BenchResult, *, quick: bool, repetitions: int, say: Callable[[str], None]) -> None:
    if importlib.util.find_spec("graphnet.tools.gradcheck_timing") is None:
        result.notes.append("gradient checker not available: its timings were skipped")
        return
    gradcheck = importlib.import_module("graphnet.tools.gradcheck_timing")
    timer = getattr(gradcheck, "time_gradient_checks", None)
    if timer is None:
        result.notes.append("graphnet.tools.gradcheck_timing has no time_gradient_checks(): its timings were skipped")
        return
    say("gradient checks")
    runs = [timer(quick=quick, repeats=1) for _ in range(repetitions)]  # each run times every case once
    for name in runs[0]:
        seconds = [run[name] for run in runs]
        result.measurements[f"gradient check {name}"] = Measurement(f"gradient check {name}", seconds)


def paired_ratio(first: Measurement, second: Measurement) -> float:
    """Median over the repetitions of first/second, each pair timed back to back (see :func:`interleave`).

    A slow spell of the machine (another tenant, BLAS threads losing their second core)
    slows both members of a pair, so their ratio keeps steady where a ratio of medians taken
    across different spells would not.
    """
    return statistics.median(a / b for a, b in zip(first.seconds, second.seconds, strict=True))


def _derive_ratios(result: BenchResult, fast_sizes: list[list[int]], batches: list[int]) -> None:
    m = result.measurements
    groups: dict[str, dict[str, str]] = {}  # the figures of one ratio, compared by _note_disagreements
    for sizes in fast_sizes:
        label = "-".join(map(str, sizes))
        for dtype in ("float64", "float32"):
            rate = result.facts[f"matmul GFLOP/s {dtype}"]
            for batch_size in batches:
                key = f"{label} batch {batch_size} {dtype}"
                ours, reference = m[f"fast epoch {key}"], m[f"numpy loop {key}"]
                result.ratios[f"fast / numpy loop {key}"] = paired_ratio(ours, reference)
                result.ratios[f"fast / numpy loop {key} (medians)"] = ours.median / reference.median
                result.ratios[f"fast / numpy loop {key} (best of run)"] = ours.low / reference.low
                name = f"fast / numpy loop {key}"
                groups[name] = {"paired": name, "medians": f"{name} (medians)", "best of run": f"{name} (best of run)"}
                products = m.get(f"matrix products alone {key}")
                if products is not None:
                    result.ratios[f"fast / matrix products alone {key}"] = paired_ratio(ours, products)
                square = m.get(f"square matmul {MATMUL_SIZE} beside {key}")
                for measurement in (ours, reference) if products is None else (ours, reference, products):
                    gflops = executed_flops(sizes, 1) / (measurement.median / 1e6) / 1e9
                    measurement.info["GFLOP/s"] = gflops
                    measurement.info["share of matmul rate"] = gflops / rate
                    if square is not None:  # against the product timed in the same repetition
                        shares = [
                            (executed_flops(sizes, 1) * measurement.per / seconds) / (2.0 * MATMUL_SIZE**3 / beside)
                            for seconds, beside in zip(measurement.seconds, square.seconds, strict=True)
                        ]
                        measurement.info["share of matmul rate (paired)"] = statistics.median(shares)
                torch_epoch = m.get(f"torch epoch {key}")
                if torch_epoch is not None:  # timed in the same repetitions: paired
                    result.ratios[f"torch / fast {key}"] = paired_ratio(torch_epoch, ours)
        adam_key = f"{label} batch 128 float64 adam"
        if f"fast epoch {adam_key}" in m:
            result.ratios[f"fast / numpy loop {adam_key}"] = paired_ratio(
                m[f"fast epoch {adam_key}"], m[f"numpy loop {adam_key}"]
            )
        graph_key = f"graph train step {label}"
        if graph_key in m:
            graph_per_sample = m[graph_key].median * m[graph_key].info["connections"]
            fast_per_sample = m[f"fast epoch {label} batch 32 float64"].median
            result.ratios[f"graph / fast per sample {label} (batch 32)"] = graph_per_sample / fast_per_sample
            graph_best = m[graph_key].low * m[graph_key].info["connections"]
            fast_best = m[f"fast epoch {label} batch 32 float64"].low
            result.ratios[f"graph / fast per sample {label} (batch 32, best of run)"] = graph_best / fast_best
            beside = m.get(f"fast epoch {label} batch 32 float64 beside the graph")
            if beside is not None:  # seconds per repetition → per sample on both sides, then paired
                per_sample = m[graph_key].info["samples"] / beside.per
                result.ratios[f"graph / fast per sample {label} (batch 32, paired)"] = (
                    paired_ratio(m[graph_key], beside) / per_sample
                )
            name = f"graph / fast per sample {label} (batch 32"
            groups[f"{name})"] = {kind: f"{name}{suffix})" for kind, suffix in _KINDS.items()}
    for net_label in ("784-30-10", "784-300-10"):
        classic = m.get(f"classic per-neuron train step {net_label}")
        if classic is not None:
            graph = m[f"graph train step {net_label}"]
            result.ratios[f"graph / classic train step {net_label}"] = graph.median / classic.median
            result.ratios[f"classic / graph train step {net_label} (paired)"] = paired_ratio(classic, graph)
            result.ratios[f"classic / graph train step {net_label} (best of run)"] = classic.low / graph.low
            name = f"classic / graph train step {net_label}"
            groups[name] = {"paired": f"{name} (paired)", "best of run": f"{name} (best of run)"}
    _note_disagreements(result, groups)


_KINDS = {"paired": ", paired", "medians": "", "best of run": ", best of run"}


#: Two figures of one ratio (paired, medians, best of run) further apart than this factor are reported.
DISAGREEMENT = 1.5


def disagreement(name: str, figures: dict[str, float]) -> str | None:
    """A warning when the figures of one ratio (paired, medians, best of run) differ by more than DISAGREEMENT.

    They measure the same thing; far apart, the machine's speed changed during the run
    (another process, BLAS threads losing a core), and the paired figure is the one to trust.

    >>> disagreement("graph / fast", {"paired": 8.95, "medians": 1080.0})
    'warning: graph / fast disagrees with itself (paired 8.95, medians 1.08e+03): the machine was busy mid-run'
    >>> disagreement("graph / fast", {"paired": 8.95, "medians": 9.5}) is None
    True
    """
    values = [value for value in figures.values() if value > 0 and math.isfinite(value)]
    if len(values) < 2 or max(values) / min(values) <= DISAGREEMENT:
        return None
    shown = ", ".join(f"{kind} {figure:.3g}" for kind, figure in figures.items())
    return f"warning: {name} disagrees with itself ({shown}): the machine was busy mid-run"


def _note_disagreements(result: BenchResult, groups: dict[str, dict[str, str]]) -> None:
    for name, keys in groups.items():
        figures = {kind: result.ratios[key] for kind, key in keys.items() if key in result.ratios}
        note = disagreement(name, figures)
        if note is not None:
            result.notes.append(note)


#: Ratio limits for ``graphnet bench --check``: generous, so only a real regression trips them.
CHECKS: dict[str, tuple[str, float]] = {
    # paired ratios: a busy spell of the machine slows both members of a back-to-back pair
    "fast / numpy loop 784-30-10 batch 32 float64": ("<=", 1.6),
    "fast / numpy loop 784-30-10 batch 128 float64": ("<=", 1.6),
    "graph / classic train step 784-30-10": ("<=", 0.6),
    "graph / fast per sample 784-30-10 (batch 32, paired)": (">=", 50.0),
}


def best_of_run(name: str) -> str:
    """The name of the best-of-run figure of the ratio ``name`` (the fastest repetitions of both sides).

    >>> best_of_run("graph / fast per sample 784-30-10 (batch 32, paired)")
    'graph / fast per sample 784-30-10 (batch 32, best of run)'
    >>> best_of_run("fast / numpy loop 784-30-10 batch 32 float64")
    'fast / numpy loop 784-30-10 batch 32 float64 (best of run)'
    """
    if name.endswith(", paired)"):
        return name.removesuffix(", paired)") + ", best of run)"
    return name.removesuffix(" (paired)") + " (best of run)"


def _holds(relation: str, value: float, limit: float) -> bool:
    return not math.isnan(value) and (value <= limit if relation == "<=" else value >= limit)


def check_ratios(result: BenchResult) -> list[str]:
    """The :data:`CHECKS` this run's ratios break (an empty list when all hold).

    Generous: a check holds when its ratio or the same ratio's best-of-run figure does (a
    busy spell of the machine can spoil the one but hardly both).  ``graph / classic`` is
    also read from ``classic / graph`` (its inverse) when that was measured.
    """
    failures = []
    for name, (relation, limit) in CHECKS.items():
        value = result.ratios.get(name)
        if value is None or math.isnan(value):
            failures.append(f"{name}: not measured")
            continue
        figures = [value, result.ratios.get(best_of_run(name), math.nan)]
        if name.startswith("graph / classic "):
            inverse = result.ratios.get("classic / graph " + name.removeprefix("graph / classic ") + " (best of run)")
            figures.append(1.0 / inverse if inverse else math.nan)
        if not any(_holds(relation, figure, limit) for figure in figures):
            failures.append(f"{name} = {value:.3g}, expected {relation} {limit}")
    return failures
