"""The gradient check of conv networks: numeric vs graph vs fast passes, and flags planted errors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_conv import conv_nets_and_data

from graphnet import Conv, ConvNetwork, MaxPool
from graphnet.fast.conv import ConvLayer, PoolLayer
from graphnet.graph.conv import SharedWeight
from graphnet.math.activations import Tanh
from graphnet.math.errors import IncompatibleError
from graphnet.tools.convcheck import conv_gradient_check
from graphnet.tools.gradcheck import PlantedBug


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_nets_and_data())
def test_the_check_passes_on_random_conv_nets(case):
    net, X, T = case
    before = net.get_params()
    report = conv_gradient_check(net, X, T)
    assert report.passed, report.to_text()
    assert len(report.rows) == sum(a.size + b.size for a, b in before)
    for (a, b), (c, d) in zip(before, net.get_params(), strict=True):  # parameters untouched
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_smooth_nets_are_checked_to_high_precision():
    net = ConvNetwork([(2, 5, 5), Conv(3, 3, stride=2, padding=1), MaxPool(2, stride=1), 4], activation="tanh", seed=3)
    rng = np.random.default_rng(0)
    report = conv_gradient_check(net, rng.normal(size=(3, 50)), rng.uniform(0.1, 0.9, size=(3, 4)))
    assert report.passed
    assert report.counts["ok"] == len(report.rows)
    assert report.max_relative_error < 1e-7


def case():
    net = ConvNetwork([(1, 5, 5), Conv(2, 3), MaxPool(2, stride=1), 3], activation="tanh", seed=1)
    rng = np.random.default_rng(2)
    return net, rng.normal(size=(2, 25)), rng.uniform(0.1, 0.9, size=(2, 3))


def test_a_planted_error_in_the_graphs_shared_gradient_sum_is_flagged(monkeypatch):
    def forgets_the_last_position(self, l2=0.0):
        self.gradient = sum(c.gradient for c in self.connections[:-1]) + l2 * self.weight
        return self.gradient

    monkeypatch.setattr(SharedWeight, "collect_gradient", forgets_the_last_position)
    report = conv_gradient_check(*case())
    assert not report.passed
    bad = {row.label for row in report.rows if row.verdict == "mismatch"}
    assert bad and all(label.startswith(("K1", "b1")) for label in bad)


def test_a_planted_error_in_the_fast_conv_backward_is_flagged(monkeypatch):
    original = ConvLayer.backward_delta

    def off_by_a_factor(self, delta, *, scale=1.0, propagate=True):
        result = original(self, delta, scale=scale, propagate=propagate)
        self.dW = self.dW * 1.01
        return result

    monkeypatch.setattr(ConvLayer, "backward_delta", off_by_a_factor)
    report = conv_gradient_check(*case())
    assert not report.passed
    assert {row.verdict for row in report.rows if row.label.startswith("K1")} == {"mismatch"}


def test_a_planted_error_in_the_pooling_route_is_flagged(monkeypatch):
    def routes_to_every_entry(self, dE_dY, *, scale=1.0, propagate=True):
        """Max pooling's δ sent to every entry of the window instead of its maximum only."""
        self.delta = dE_dY
        dX = np.zeros_like(self.X)
        s, k = self.stride, self.size
        h, w = dE_dY.shape[2:]
        for u in range(k):
            for v in range(k):
                dX[:, :, u : u + s * (h - 1) + 1 : s, v : v + s * (w - 1) + 1 : s] += dE_dY
        return dX

    monkeypatch.setattr(PoolLayer, "backward", routes_to_every_entry)
    report = conv_gradient_check(*case())
    assert not report.passed
    assert {row.verdict for row in report.rows if row.label.startswith("K1")} == {"mismatch"}


def test_a_planted_wrong_derivative_in_a_conv_layer_is_wrong_on_both_paths():
    net = ConvNetwork([(1, 5, 5), Conv(2, 3), 3], activation=PlantedBug(Tanh()), output_activation="tanh", seed=1)
    rng = np.random.default_rng(2)
    report = conv_gradient_check(net, rng.normal(size=(2, 25)), rng.uniform(0.1, 0.9, size=(2, 3)))
    assert not report.passed
    wrong = {row.label[:2] for row in report.rows if row.verdict == "wrong"}
    assert wrong == {"K1", "b1"}
    assert "wrong" in report.to_text()


def test_the_check_refuses_other_networks():
    from graphnet import Network

    with pytest.raises(IncompatibleError, match="ConvNetwork"):
        conv_gradient_check(Network([2, 1]), [0.0, 1.0], [0.5])
