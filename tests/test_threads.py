"""BLAS threads by product size: one thread for small products, the count put back, nothing breaks without control."""

import numpy as np
import pytest

from graphnet import Network
from graphnet.fast import threads
from graphnet.fast.threads import (
    MULTIPLY_ADDS_PER_THREAD,
    NO_CONTROL,
    blas_threads_for,
    free_cores,
    largest_product,
    threads_for,
    via_openblas,
)


def test_the_thread_count_grows_with_the_largest_product_up_to_the_free_cores():
    assert largest_product([784, 30, 10], 32) == 32 * 784 * 30
    assert threads_for(MULTIPLY_ADDS_PER_THREAD - 1, 2) == 1
    assert threads_for(2 * MULTIPLY_ADDS_PER_THREAD, 2) == 2
    assert threads_for(100 * MULTIPLY_ADDS_PER_THREAD, 4) == 4
    assert threads_for(100 * MULTIPLY_ADDS_PER_THREAD, free_cores(2, 1.0)) == 1  # another process holds a core
    assert [threads_for(largest_product([784, 30, 10], n), 2) for n in (1, 10, 32, 64)] == [1, 1, 1, 1]


class _Recorder:
    """A stand-in BLAS: records every count set."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.set_to: list[int] = []

    def get(self) -> int:
        return self.threads

    def set(self, threads: int) -> None:
        self.set_to.append(threads)
        self.threads = threads


@pytest.fixture
def recorder(monkeypatch):
    blas = _Recorder(2)
    monkeypatch.setattr(threads, "_control", threads.BlasThreads("recorder", blas.get, blas.set))
    monkeypatch.setattr(threads, "_default", None)
    monkeypatch.setattr(threads, "other_load", lambda: 0.0)  # an idle machine
    return blas


def test_small_products_run_on_one_thread_and_the_count_is_put_back(recorder):
    with blas_threads_for([784, 30, 10], 32) as chosen:
        assert chosen == 1 and recorder.threads == 1
    assert recorder.threads == 2 and recorder.set_to == [1, 2]
    with blas_threads_for([784, 300, 10], 128) as chosen:  # 30 million multiply-adds: both threads
        assert chosen == 2
    assert recorder.set_to == [1, 2]  # unchanged: nothing to set


def test_the_count_is_put_back_when_training_fails(recorder):
    net = Network([4, 3, 2], seed=0)
    X = np.ones((6, 4))
    X[3, 1] = np.nan
    with pytest.raises(ValueError):
        net.train(X, np.zeros((6, 2)), rate=0.1, batch_size=2, engine="fast")
    assert recorder.threads == 2 and recorder.set_to == [1, 2]


def test_without_any_control_training_runs_and_nothing_is_set(monkeypatch):
    monkeypatch.setattr(threads, "_control", NO_CONTROL)
    with blas_threads_for([784, 30, 10], 32) as chosen:
        assert chosen == 0
    net = Network([4, 3, 2], seed=0)
    history = net.train(np.ones((4, 4)), np.zeros((4, 2)), rate=0.1, batch_size=2, engine="fast")
    assert len(history.losses) == 1


def test_the_ctypes_fallback_reads_and_sets_numpys_openblas():
    blas = via_openblas()
    if blas is None:
        pytest.skip("numpy here does not bundle OpenBLAS")
    before = blas.get()
    assert isinstance(before, int) and before >= 1
    blas.set(1)
    try:
        assert blas.get() == 1
    finally:
        blas.set(before)
    assert blas.get() == before
