"""Fuzzing what test_fuzz.py does not reach: optimizers, dropout, the stepper and the gradient checker.

The same rule as there: every call either succeeds with finite results (and leaves every
weight and optimizer state finite) or raises a clear :class:`GraphnetError` that is also the
matching builtin.  Optimizer names, objects and hyper-parameters, dropout rates and masks,
stepper arguments and gradient-check options are drawn valid, nearly valid and junk.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import FLOATS, JUNK, arrays_near, attempt, data_for, maybe_junk, networks

from graphnet import Network, gradient_check
from graphnet.math.optimizers import OPTIMIZERS, SCHEDULES

CASES: Counter[str] = Counter()
EXAMPLES = {"optimizers": 700, "dropout": 500, "stepper": 500, "gradcheck": 300}


def fuzz(name: str) -> settings:
    return settings(max_examples=EXAMPLES[name], deadline=None, suppress_health_check=list(HealthCheck))


def all_finite(net: Network) -> bool:
    weights = np.array([c.weight for c in net.connections])
    states = [value for c in net.connections if c.state is not None for value in c.state.values()]
    return bool(np.isfinite(weights).all() and np.isfinite(np.array(states, dtype=float)).all())


@st.composite
def optimizers(draw) -> object:
    """A name, an object built from drawn hyper-parameters and schedule, or junk."""
    name = draw(st.sampled_from([*OPTIMIZERS, "adamw", "SGD"]))
    if draw(st.booleans()) or name not in OPTIMIZERS:
        return name if draw(st.integers(0, 5)) else draw(JUNK)
    cls = OPTIMIZERS[name]
    options = {
        key: draw(st.one_of(FLOATS, st.sampled_from([0.0, 0.5, 0.9, 0.999, 1.0, 1e-8]), JUNK))
        for key in cls().config()
        if draw(st.booleans())
    }
    if draw(st.booleans()):
        schedule = draw(st.sampled_from(list(SCHEDULES)))
        options["schedule"] = draw(st.one_of(st.just(schedule), st.just(SCHEDULES[schedule]()), JUNK))
    return attempt(cls, **options)


@fuzz("optimizers")
@given(data=st.data(), net=networks(), optimizer=optimizers(), engine=st.sampled_from(["graph", "fast"]))
def test_fuzz_optimizers(data, net, optimizer, engine):
    CASES["optimizers"] += 1
    if optimizer is None:
        return
    X, T = data.draw(data_for(net))
    rate = data.draw(maybe_junk(st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e300])))
    batch_size = data.draw(st.sampled_from([1, 2, None]))
    attempt(net.train, X, T, rate=rate, epochs=2, optimizer=optimizer, engine=engine, batch_size=batch_size)
    model = net if engine == "graph" else net.vectorized()
    if attempt(model.gradients, X, T) is not None:
        attempt(model.update, rate, optimizer=optimizer)
    attempt(net.reset_optimizer)
    assert all_finite(net)


@fuzz("dropout")
@given(
    data=st.data(),
    sizes=st.lists(st.integers(1, 4), min_size=3, max_size=4),
    dropout=maybe_junk(st.one_of(FLOATS, st.lists(FLOATS, min_size=1, max_size=3))),
    seed=st.integers(0, 3),
)
def test_fuzz_dropout(data, sizes, dropout, seed):
    CASES["dropout"] += 1
    net = attempt(Network, sizes, dropout=dropout, seed=seed)
    if net is None:
        return
    X, T = data.draw(data_for(net))
    n = len(X) if isinstance(X, list) or (isinstance(X, np.ndarray) and X.ndim >= 1) else 1
    masks = data.draw(
        st.one_of(
            st.none(),
            st.just(net.draw_masks(max(n, 1), seed=seed)),
            st.lists(st.one_of(st.none(), arrays_near((max(n, 1), sizes[1]))), max_size=len(sizes)),
            JUNK,
        )
    )
    attempt(net.train, X, T, rate=0.1, epochs=1, engine=data.draw(st.sampled_from(["graph", "fast"])))
    attempt(net.loss, X, T, masks=masks, engine=data.draw(st.sampled_from(["graph", "fast"])))
    attempt(net.gradients, X, T, masks=masks)
    attempt(net.vectorized().gradients, X, T, masks=masks)
    attempt(net.draw_masks, data.draw(maybe_junk(st.integers(-1, 3))), seed=data.draw(maybe_junk(st.integers(0, 3))))
    assert all_finite(net)


@fuzz("stepper")
@given(
    data=st.data(),
    net=networks(),
    rate=maybe_junk(st.one_of(FLOATS, st.sampled_from([0.5, 1e308, 1.7e308]))),
    optimizer=st.one_of(st.none(), st.sampled_from(list(OPTIMIZERS)), JUNK),
    moves=st.lists(st.sampled_from(["next", "back", "phase", "run", "run_to"]), max_size=8),
)
def test_fuzz_stepper(data, net, rate, optimizer, moves):
    CASES["stepper"] += 1
    x = data.draw(arrays_near((net.sizes[0],)))
    target = data.draw(arrays_near((net.sizes[-1],)))
    steps = attempt(net.stepper, x, target, rate=rate, optimizer=optimizer)
    if steps is None:
        return
    for move in moves:
        if move == "next":
            attempt(steps.next)
        elif move == "back":
            steps.back()
        elif move == "phase":
            attempt(steps.next_phase)
        elif move == "run":
            attempt(steps.run)
        else:
            phase = data.draw(st.sampled_from(["forward", "delta", "gradient", "update", "input", "bogus"]))
            attempt(steps.run_to, phase, layer=data.draw(st.one_of(st.none(), st.integers(-1, 4))))
        assert all_finite(net)
    str(steps)
    attempt(steps.to_html, max_nodes=data.draw(maybe_junk(st.integers(-1, 12))))


@fuzz("gradcheck")
@given(
    data=st.data(),
    net=networks(),
    mode=maybe_junk(st.sampled_from(["full", "sample", "directional", "every"])),
    order=maybe_junk(st.sampled_from([2, 4, 6, 3])),
    epsilon=st.one_of(st.none(), FLOATS),
    reduction=maybe_junk(st.sampled_from(["mean", "sum"])),
)
def test_fuzz_gradient_check(data, net, mode, order, epsilon, reduction):
    CASES["gradcheck"] += 1
    X, T = data.draw(data_for(net))
    report = attempt(gradient_check, net, X, T, mode=mode, order=order, epsilon=epsilon, reduction=reduction)
    if report is not None:
        assert report.summary and isinstance(report.passed, bool)
    assert all_finite(net)


def test_fuzz_training_ran_enough_cases():
    if set(CASES) != set(EXAMPLES):
        import pytest

        pytest.skip(f"only {sorted(CASES)} of these fuzz tests ran")
    assert sum(CASES.values()) >= sum(EXAMPLES.values()) * 0.9, CASES
