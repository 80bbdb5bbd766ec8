"""The timed cases of ``graphnet bench``, and the minimal reference loops they are measured against.

Each ``*_cases`` function builds its networks and data once and returns the actions to
time, by name; :func:`graphnet.tools.bench.run_bench` runs them interleaved and turns the
seconds into figures.  Beside graphnet's two engines stand the yardsticks: the classic
per-neuron tutorial code, a dozen-line numpy loop of the same MLP (SGD and Adam), an epoch
of its matrix products alone, a square matmul, and PyTorch when it is installed.

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
                        (the overhead ratio; on the BLAS threads the fast path chooses, so
                        the ratio compares the code); both also as a share of the matmul rate
adam                    at batch 128, float64: the fast path and the minimal loop with Adam
matrix products alone   at batch 128: an epoch of only the MLP's matrix products, the
                        ceiling of the matmul-rate share for any numpy code of that MLP
                        (it, and the square matmul beside it, on the fast path's threads)
fast call               one fast call after the graph changed (copies the weights in) and
                        with the graph unchanged (copies nothing): the price of one truth
matmul rate             GFLOP/s of a square matmul: fast-path figures as a share of it
torch                   the same MLP with nn + autograd + SGD, when torch is installed, beside
                        every fast epoch, on as many threads as the fast path takes
gradient check          full, sampled and directional checks (when the checker exists; timed by
                        ``run_bench`` from :func:`graphnet.tools.gradcheck.time_gradient_checks`)
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import time
import tracemalloc
from collections.abc import Callable
from functools import reduce
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.datasets import load_mnist, one_hot
from graphnet.fast.threads import blas_threads_for
from graphnet.graph import fused
from graphnet.graph.network import Network
from graphnet.math.optimizers import get_optimizer

Array = NDArray[np.floating]


def _digits(n_samples: int) -> tuple[Array, Array]:
    images, labels = load_mnist(kind="train", n_samples=n_samples)
    return images, one_hot(labels, 10)


def timed(action: Callable[[], object]) -> float:
    """Seconds one call of ``action`` takes (``time.perf_counter``)."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


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
        seconds.append(timed(lambda: Network(sizes, seed=0)))
    gc.collect()
    tracemalloc.start()
    net = Network(sizes, seed=0)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, {"bytes_per_connection": current / net.n_parameters, "connections": net.n_parameters}


def graph_optimizer_cases(sizes: list[int], n_samples: int) -> tuple[dict[str, Callable[[], object]], int, int]:
    """Per-sample graph training with momentum and with Adam, each connection keeping its state."""
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
                net.train_batch(x, t, 0.01, 1.0)

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

    def reference() -> None:  # on the fast path's BLAS threads, as the SGD yardstick
        with blas_threads_for(sizes, batch_size):
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

    def reference() -> None:  # on the BLAS threads the fast path chooses: the ratio compares the code
        with np.errstate(over="ignore"), blas_threads_for(sizes, batch_size):
            reference_epoch(params, X, T, 0.1, batch_size)

    cases: dict[str, Callable[[], object]] = {f"fast epoch {label}": ours, f"numpy loop {label}": reference}
    if batch_size >= 128:
        products = products_epoch_case([W for W, _ in params], X, batch_size)

        def products_alone() -> None:
            with blas_threads_for(sizes, batch_size):
                products()

        square = square_matmul_case(dtype)

        def square_alike() -> None:  # on the same threads too: a second thread's spinning would slow the next case
            with blas_threads_for(sizes, batch_size):
                square()

        cases[f"matrix products alone {label}"] = products_alone
        cases[f"square matmul {MATMUL_SIZE} beside {label}"] = square_alike
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
    best = min(timed(lambda: a @ b) for _ in range(repetitions))
    return 2.0 * size**3 / best / 1e9


def torch_cases(
    sizes: list[int], batch_size: int, n_samples: int, dtype: type = np.float64
) -> dict[str, Callable[[], object]]:
    """The same MLP in PyTorch (nn.Linear + sigmoid, MSE-like loss, SGD), when torch is installed.

    On as many CPU threads as the fast path takes for this batch (:mod:`graphnet.fast.threads`),
    so that neither side's idle threads spin beside the other's; the data as tensors of
    ``dtype`` made once, like the fast path's.
    """
    if importlib.util.find_spec("torch") is None:
        return {}
    import torch

    images, targets = _digits(n_samples)
    torch_dtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    X = torch.tensor(images, dtype=torch_dtype)
    T = torch.tensor(targets, dtype=torch_dtype)
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(n_in, n_out).to(torch_dtype), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def epoch() -> None:
        before = torch.get_num_threads()
        with blas_threads_for(sizes, batch_size) as threads:  # as many threads as the fast path takes
            torch.set_num_threads(threads or before)
            try:
                for start in range(0, n_samples, batch_size):
                    optimizer.zero_grad()
                    y = model(X[start : start + batch_size])
                    loss = 0.5 * ((y - T[start : start + batch_size]) ** 2).sum(dim=1).mean()
                    loss.backward()
                    optimizer.step()
            finally:
                torch.set_num_threads(before)

    return {f"torch epoch {'-'.join(map(str, sizes))} batch {batch_size} {np.dtype(dtype).name}": epoch}
