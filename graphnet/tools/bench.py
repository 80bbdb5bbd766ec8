"""``graphnet bench``: the speed of both engines, measured in one process as ratios.

Every figure comes from this run on this machine.  Benchmarks are *interleaved*: each
repetition runs every case once, round-robin, so a slow moment of the machine hits all
cases alike; we report the median and the min–max of the repetitions.  Ratios (graph vs
fast, fast vs a minimal numpy loop, graph vs the classic per-neuron code) are taken from
the same run: fast vs the numpy loop as the median of the ratios of back-to-back pairs
(:func:`paired_ratio`), beside the ratio of medians and of the fastest repetitions; the
others from medians, graph vs fast also from the fastest repetitions.  Nothing here
asserts a time; ``--check`` compares ratios only.

Cases
-----
graph train step        forward + deltas + update, µs per connection per sample
graph forward           forward alone, µs per connection per sample
classic per-neuron      the tutorial code (reduce/lambda, numpy scalars) on the same net
graph optimizers        the graph train step with momentum and with Adam (per-connection state)
graph construction      seconds (repeated), and bytes per connection (tracemalloc)
fast epoch              µs per sample at batch 1, 10, 32, 128, float64 and float32: one
                        ``train`` call of one epoch, including checking the data and keeping
                        the graph current, beside a dozen-line numpy loop of the same MLP
                        (the overhead ratio); both also as a share of the matmul rate
adam                    at batch 128, float64: the fast path and the minimal loop with Adam
matrix products alone   at batch 128: an epoch of only the MLP's matrix products, the
                        ceiling of the matmul-rate share for any numpy code of that MLP
fast call               one fast call after the graph changed (copies the weights in) and
                        with the graph unchanged (copies nothing): the price of one truth
matmul rate             GFLOP/s of a square matmul: fast-path figures as a share of it
torch                   the same MLP with nn + autograd + SGD, when torch is installed
gradient check          full, sampled and directional checks (when the checker exists)
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import json
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.graph import fused
from graphnet.graph.network import Network

Array = NDArray[np.floating]


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


def _digits(n_samples: int) -> tuple[Array, Array]:
    from graphnet.datasets import load_mnist, one_hot

    images, labels = load_mnist(kind="train", n_samples=n_samples)
    return images, one_hot(labels, 10)


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interleave(cases: dict[str, Callable[[], object]], repetitions: int) -> dict[str, list[float]]:
    """Run every case once per repetition, round-robin; return the seconds of each."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for action in cases.values():  # warm-up: caches, BLAS threads, lazy imports
        action()
    for _ in range(repetitions):
        for name, action in cases.items():
            times[name].append(_timed(action))
    return times


# ---------------------------------------------------------------------- graph path
def classic_network(sizes: list[int], rng: np.random.Generator) -> list[list[dict[str, Any]]]:
    """The tutorial's per-neuron objects: nodes as dicts with numpy-scalar weights (for timing)."""
    layers: list[list[dict[str, Any]]] = [
        [{"output": 0.0, "delta": 0.0, "downstream": []} for _ in range(n)] for n in sizes
    ]
    for below, layer in itertools.pairwise(layers):
        for node in layer:
            node["upstream"] = [[rng.uniform(-0.1, 0.1), source] for source in below]
            node["bias"] = [rng.uniform(-0.1, 0.1)]
            for conn in node["upstream"]:
                conn[1]["downstream"].append((conn, node))
    return layers


def classic_train_step(layers: list[list[dict[str, Any]]], x: list[float], t: list[float], rate: float) -> None:
    """One per-sample SGD step written as the classic tutorial writes it (reduce + lambda)."""
    for node, value in zip(layers[0], x, strict=True):
        node["output"] = value
    for layer in layers[1:]:
        for node in layer:
            net = reduce(lambda total, conn: total + conn[0] * conn[1]["output"], node["upstream"], 0.0)
            node["output"] = 1.0 / (1.0 + np.exp(-(net + node["bias"][0])))
    for node, target in zip(layers[-1], t, strict=True):
        node["delta"] = node["output"] * (1 - node["output"]) * (target - node["output"])
    for layer in reversed(layers[1:-1]):
        for node in layer:
            downstream = reduce(lambda total, pair: total + pair[0][0] * pair[1]["delta"], node["downstream"], 0.0)
            node["delta"] = node["output"] * (1 - node["output"]) * downstream
    for layer in layers[1:]:
        for node in layer:
            for conn in node["upstream"]:
                conn[0] += rate * node["delta"] * conn[1]["output"]
            node["bias"][0] += rate * node["delta"]


def graph_cases(
    sizes: list[int], n_samples: int, *, with_classic: bool = True
) -> tuple[dict[str, Callable[[], object]], int, int]:
    """Timed actions for the graph path on ``sizes``: train steps, forward passes, classic code (if asked)."""
    images, targets = _digits(max(n_samples, 10))
    if sizes[0] != 784 or sizes[-1] != 10:  # small nets get random data of their size
        rng = np.random.default_rng(0)
        images = rng.uniform(size=(n_samples, sizes[0]))
        targets = rng.uniform(size=(n_samples, sizes[-1]))
    xs = images[:n_samples].tolist()
    ts = targets[:n_samples].tolist()
    net = Network(sizes, seed=0)
    classic = classic_network(sizes, np.random.default_rng(0)) if with_classic else []
    label = "-".join(map(str, sizes))

    def train() -> None:
        for x, t in zip(xs, ts, strict=True):
            fused.train_step(net, x, t, 0.1)

    def forward() -> None:
        for x in xs:
            fused.forward(net, x)

    def classic_train() -> None:
        for x, t in zip(xs, ts, strict=True):
            classic_train_step(classic, x, t, 0.1)

    cases: dict[str, Callable[[], object]] = {f"graph train step {label}": train, f"graph forward {label}": forward}
    if with_classic:
        cases[f"classic per-neuron train step {label}"] = classic_train
    return cases, net.n_parameters, n_samples


def construction(sizes: list[int], repetitions: int) -> tuple[list[float], dict[str, float]]:
    """Seconds of each of ``repetitions`` builds of ``Network(sizes)``, and bytes per connection (tracemalloc)."""
    seconds = []
    for _ in range(repetitions):
        gc.collect()  # the last network's garbage is not this one's cost
        seconds.append(_timed(lambda: Network(sizes, seed=0)))
    gc.collect()
    tracemalloc.start()
    net = Network(sizes, seed=0)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, {"bytes_per_connection": current / net.n_parameters, "connections": net.n_parameters}


def graph_optimizer_cases(sizes: list[int], n_samples: int) -> tuple[dict[str, Callable[[], object]], int, int]:
    """Per-sample graph training with momentum and with Adam, each connection keeping its state."""
    from graphnet.math.optimizers import get_optimizer

    images, targets = _digits(n_samples)
    label = "-".join(map(str, sizes))
    cases: dict[str, Callable[[], object]] = {}
    n_parameters = 0
    for name in ("momentum", "adam"):
        net = Network(sizes, seed=0)
        net.optimizer = get_optimizer(name)
        n_parameters = net.n_parameters
        rows = [(images[[i]], targets[[i]]) for i in range(n_samples)]

        def train(net: Network = net, rows: list[tuple[Array, Array]] = rows) -> None:
            for x, t in rows:
                net.optimizer.begin_update(0.01)
                net._train_batch(x, t, 0.01, 1.0)

        cases[f"graph train step {label} {name}"] = train
    return cases, n_parameters, n_samples


def sync_cases(sizes: list[int], repeats: int = 10) -> dict[str, Callable[[], object]]:
    """A fast call (predict one sample) after a graph change, and with the graph unchanged."""
    images, _ = _digits(10)
    net = Network(sizes, seed=0)
    fast = net.vectorized()
    connection = net.connections[1, 0, 0]
    x = images[0]
    label = "-".join(map(str, sizes))

    def after_change() -> None:
        for _ in range(repeats):
            connection.weight = connection.weight  # a change through the graph: the next call copies
            fast.predict(x)

    def unchanged() -> None:
        for _ in range(repeats):
            fast.predict(x)

    return {f"fast call after a graph change {label}": after_change, f"fast call, graph unchanged {label}": unchanged}


# ---------------------------------------------------------------------- fast path
def reference_forward(params: list[tuple[Array, Array]], x: Array, t: Array) -> tuple[list[Array], Array]:
    """The minimal loops' forward pass: every layer's outputs (x first) and the output δ = (y − t)·y·(1 − y)."""
    outputs = [x]
    for W, b in params:
        outputs.append(1.0 / (1.0 + np.exp(-(outputs[-1] @ W.T + b))))
    return outputs, (outputs[-1] - t) * outputs[-1] * (1.0 - outputs[-1])


def reference_epoch(params: list[tuple[Array, Array]], X: Array, T: Array, rate: float, batch_size: int) -> None:
    """A minimal numpy mini-batch loop of the sigmoid MLP with squared error (the yardstick)."""
    for start in range(0, len(X), batch_size):
        x, t = X[start : start + batch_size], T[start : start + batch_size]
        outputs, delta = reference_forward(params, x, t)
        step = rate / len(x)
        for index in range(len(params) - 1, -1, -1):
            W, b = params[index]
            below = outputs[index]
            next_delta = (delta @ W) * below * (1.0 - below) if index else None
            W -= step * (delta.T @ below)
            b -= step * delta.sum(axis=0)
            if next_delta is not None:
                delta = next_delta


def reference_adam_epoch(
    params: list[tuple[Array, Array]],
    moments: list[tuple[tuple[Array, Array], tuple[Array, Array]]],
    X: Array,
    T: Array,
    rate: float,
    batch_size: int,
    step: int,
    *,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> int:
    """The minimal loop with Adam instead of plain SGD; ``moments`` [((m_W, v_W), (m_b, v_b)), …]; returns t."""
    for start in range(0, len(X), batch_size):
        x, t = X[start : start + batch_size], T[start : start + batch_size]
        outputs, delta = reference_forward(params, x, t)
        step += 1
        for index in range(len(params) - 1, -1, -1):
            W, b = params[index]
            below = outputs[index]
            next_delta = (delta @ W) * below * (1.0 - below) if index else None
            pairs = ((W, (delta.T @ below) / len(x)), (b, delta.sum(axis=0) / len(x)))
            for (value, gradient), (m, v) in zip(pairs, moments[index], strict=True):
                m *= beta1
                m += (1.0 - beta1) * gradient
                v *= beta2
                v += (1.0 - beta2) * (gradient * gradient)
                value -= rate * (m / (1.0 - beta1**step)) / (np.sqrt(v / (1.0 - beta2**step)) + epsilon)
            if next_delta is not None:
                delta = next_delta
    return step


def adam_cases(sizes: list[int], batch_size: int, n_samples: int) -> dict[str, Callable[[], object]]:
    """One epoch with Adam on the fast path and in the minimal loop, each carrying its moments on."""
    images, targets = _digits(n_samples)
    net = Network(sizes, seed=0)
    fast = net.vectorized()
    fast.train(images[:1], targets[:1], rate=1e-3, optimizer="adam", track_loss=False)  # the state exists
    params = [(W, b) for W, b in net.get_params() if b is not None]
    moments = [((np.zeros_like(W), np.zeros_like(W)), (np.zeros_like(b), np.zeros_like(b))) for W, b in params]
    steps = [0]
    label = f"{'-'.join(map(str, sizes))} batch {batch_size} float64 adam"

    def ours() -> None:
        fast.train(images, targets, rate=1e-3, epochs=1, batch_size=batch_size, track_loss=False)

    def reference() -> None:
        steps[0] = reference_adam_epoch(params, moments, images, targets, 1e-3, batch_size, steps[0])

    return {f"fast epoch {label}": ours, f"numpy loop {label}": reference}


def executed_flops(sizes: list[int], n_samples: int) -> float:
    """Floating-point operations of one epoch's matrix products: forward, dW, and ∂E/∂X above layer 1."""
    pairs = list(itertools.pairwise(sizes))
    per_sample = sum(2 * 2 * n_in * n_out for n_in, n_out in pairs) + sum(2 * n_in * n_out for n_in, n_out in pairs[1:])
    return float(per_sample * n_samples)


def fast_cases(sizes: list[int], batch_size: int, dtype: type, n_samples: int) -> dict[str, Callable[[], object]]:
    """One epoch on the fast path and one of the reference loop, from the same start."""
    images, targets = _digits(n_samples)
    X: Array = images.astype(dtype)
    T: Array = targets.astype(dtype)
    net = Network(sizes, seed=0)
    fast = net.vectorized(dtype)
    params: list[tuple[Array, Array]] = [
        (W.astype(dtype), b.astype(dtype)) for W, b in net.get_params() if b is not None
    ]
    label = f"{'-'.join(map(str, sizes))} batch {batch_size} {np.dtype(dtype).name}"

    def ours() -> None:
        fast.train(X, T, rate=0.1, epochs=1, batch_size=batch_size, track_loss=False)

    def reference() -> None:
        with np.errstate(over="ignore"):
            reference_epoch(params, X, T, 0.1, batch_size)

    cases: dict[str, Callable[[], object]] = {f"fast epoch {label}": ours, f"numpy loop {label}": reference}
    if batch_size >= 128:
        products = products_epoch_case([W for W, _ in params], X, batch_size)
        cases[f"matrix products alone {label}"] = products
        cases[f"square matmul {MATMUL_SIZE} beside {label}"] = square_matmul_case(dtype)
    return cases


#: The side of the square product whose rate is the machine's matmul rate.
MATMUL_SIZE = 1024


def square_matmul_case(dtype: type, size: int = MATMUL_SIZE) -> Callable[[], object]:
    """One (size × size) @ (size × size) product: timed beside the epochs, the rate of the same moment."""
    rng = np.random.default_rng(0)
    a: Array = rng.uniform(size=(size, size)).astype(dtype)
    b: Array = rng.uniform(size=(size, size)).astype(dtype)
    return lambda: a @ b


def products_epoch_case(weights: list[Array], X: Array, batch_size: int) -> Callable[[], object]:
    """An epoch of the MLP's matrix products and nothing else (the ceiling for any numpy code of it).

    Per batch: X·Wᵀ of every layer, δᵀ·X of every layer and δ·W above layer 1, on stand-in
    activations and deltas (their values do not change the time), reading each batch's rows
    of X as training does.  The FLOPs are :func:`executed_flops`.
    """
    outputs = [np.full_like(X, 0.5, shape=(batch_size, W.shape[0])) for W in weights]
    deltas = [np.full_like(X, 0.01, shape=(batch_size, W.shape[0])) for W in weights]

    def epoch() -> None:
        for start in range(0, len(X), batch_size):
            x = X[start : start + batch_size]
            n = len(x)
            below = x
            for index, W in enumerate(weights):
                below @ W.T
                deltas[index][:n].T @ below
                if index:
                    deltas[index][:n] @ W
                below = outputs[index][:n]

    return epoch


def matmul_rate(dtype: type, size: int = 1024, repetitions: int = 5) -> float:
    """GFLOP/s of a (size × size) @ (size × size) product, best of ``repetitions``."""
    rng = np.random.default_rng(0)
    a: Array = rng.uniform(size=(size, size)).astype(dtype)
    b: Array = rng.uniform(size=(size, size)).astype(dtype)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repetitions))
    return 2.0 * size**3 / best / 1e9


def torch_cases(sizes: list[int], batch_size: int, n_samples: int) -> dict[str, Callable[[], object]]:
    """The same MLP in PyTorch (nn.Linear + sigmoid, MSE-like loss, SGD), when torch is installed."""
    if importlib.util.find_spec("torch") is None:
        return {}
    import torch

    images, targets = _digits(n_samples)
    X = torch.tensor(images)
    T = torch.tensor(targets)
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(n_in, n_out).double(), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def epoch() -> None:
        for start in range(0, n_samples, batch_size):
            optimizer.zero_grad()
            y = model(X[start : start + batch_size])
            loss = 0.5 * ((y - T[start : start + batch_size]) ** 2).sum(dim=1).mean()
            loss.backward()
            optimizer.step()

    return {f"torch epoch {'-'.join(map(str, sizes))} batch {batch_size} float64": epoch}


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

    def __rich__(self) -> Any:
        from graphnet.views.render import render_bench

        return render_bench(self)


def run_bench(*, quick: bool = False, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Measure every case; ``quick`` keeps the whole run under a minute."""
    say = progress or (lambda _message: None)
    result = BenchResult(quick=quick)
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
                if dtype is np.float64 and batch_size in (32, 128):
                    cases.update(torch_cases(sizes, batch_size, n_samples))
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
    _derive_ratios(result, fast_sizes, batches)
    if importlib.util.find_spec("torch") is None:
        result.notes.append("torch is not installed: the PyTorch comparison was skipped (pip install torch)")
    return result


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
            torch_key = f"torch epoch {label} batch 32 float64"
            if torch_key in m:
                result.ratios[f"torch / fast {label} batch 32 float64"] = (
                    m[torch_key].median / m[f"fast epoch {label} batch 32 float64"].median
                )
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
    for net_label in ("784-30-10", "784-300-10"):
        classic = m.get(f"classic per-neuron train step {net_label}")
        if classic is not None:
            result.ratios[f"graph / classic train step {net_label}"] = (
                m[f"graph train step {net_label}"].median / classic.median
            )


#: Ratio limits for ``graphnet bench --check``: generous, so only a real regression trips them.
CHECKS: dict[str, tuple[str, float]] = {
    # paired ratios: a busy spell of the machine slows both members of a back-to-back pair
    "fast / numpy loop 784-30-10 batch 32 float64": ("<=", 1.6),
    "fast / numpy loop 784-30-10 batch 128 float64": ("<=", 1.6),
    "graph / classic train step 784-30-10": ("<=", 0.6),
    "graph / fast per sample 784-30-10 (batch 32, paired)": (">=", 50.0),
}


def check_ratios(result: BenchResult) -> list[str]:
    """The :data:`CHECKS` this run's ratios break (an empty list when all hold)."""
    failures = []
    for name, (relation, limit) in CHECKS.items():
        value = result.ratios.get(name)
        if value is None or math.isnan(value):
            failures.append(f"{name}: not measured")
        elif (relation == "<=" and value > limit) or (relation == ">=" and value < limit):
            failures.append(f"{name} = {value:.3g}, expected {relation} {limit}")
    return failures
