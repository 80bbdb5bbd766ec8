"""An independent oracle: the same conv net in PyTorch gives the same outputs and gradients (float64).

PyTorch is optional (``pip install graphnet[torch]``); without it these tests are skipped.
"""

import numpy as np
import pytest
from conftest import valid_targets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conv import conv_specs

from graphnet import AvgPool, Conv, ConvNetwork, MaxPool

torch = pytest.importorskip("torch")
F = torch.nn.functional

ORACLE_TOLERANCE = 1e-10
ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=1),
}
PAIRS = [
    ("sigmoid", "squared_error"),
    ("identity", "mean_squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
    ("tanh", "squared_error"),
]


def torch_loss(name, Y, T, Z):
    if name == "squared_error":
        return 0.5 * ((T - Y) ** 2).sum(dim=1)
    if name == "mean_squared_error":
        return ((T - Y) ** 2).mean(dim=1)
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(Z, T, reduction="none").sum(dim=1)
    return -(T * torch.log_softmax(Z, dim=1)).sum(dim=1)


def torch_run(net, X, T, hidden, output, loss, reduction):
    """The network's forward pass and E in PyTorch from its parameters; returns Y and the gradients."""
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in net.get_params()]
    A = torch.tensor(X).reshape(len(X), *net.plans[0].in_shape)
    pairs = iter(params)
    for plan in net.plans[1:]:
        spec = plan.spec
        last = plan is net.plans[-1]
        f = ACTIVATIONS[output if last else hidden]
        if isinstance(spec, Conv):
            W, b = next(pairs)
            A = f(F.conv2d(A, W, b, stride=spec.stride, padding=spec.padding))
        elif isinstance(spec, MaxPool):
            A = F.max_pool2d(A, spec.size, stride=spec.step)
        elif isinstance(spec, AvgPool):
            A = F.avg_pool2d(A, spec.size, stride=spec.step)
        else:
            W, b = next(pairs)
            Z = A.reshape(len(A), -1) @ W.T + b
            A = f(Z)
    per_sample = torch_loss(loss, A, torch.tensor(T), Z)
    E = per_sample.mean() if reduction == "mean" else per_sample.sum()
    if net.l2:
        E = E + 0.5 * net.l2 * sum((W**2).sum() for W, _ in params)
    E.backward()
    return A.detach().numpy(), E.item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    conv_specs(),
    st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "identity"]),
    st.sampled_from(PAIRS),
    st.sampled_from(["mean", "sum"]),
    st.sampled_from([0.0, 0.01]),
    st.integers(0, 2**32 - 1),
)
def test_pytorch_gives_the_same_outputs_loss_and_gradients(specs, hidden, pair, reduction, l2, seed):
    output, loss = pair
    if output == "softmax":
        specs[-1] = max(specs[-1], 2)
    net = ConvNetwork(specs, activation=hidden, output_activation=output, loss=loss, bias_init=0.1, l2=l2, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, net.sizes[0]))
    T = valid_targets(loss, 3, net.sizes[-1], rng)
    Y, E, gradients = torch_run(net, X, T, hidden, output, loss, reduction)
    np.testing.assert_allclose(net.predict(X), Y, rtol=0, atol=ORACLE_TOLERANCE)
    np.testing.assert_allclose(net.vectorized().predict(X), Y, rtol=0, atol=ORACLE_TOLERANCE)
    assert net.loss(X, T, reduction=reduction, engine="graph") == pytest.approx(E, abs=ORACLE_TOLERANCE)
    for engine in (net, net.vectorized()):
        for (a, b), (c, d) in zip(engine.gradients(X, T, reduction=reduction), gradients, strict=True):
            np.testing.assert_allclose(a, c, rtol=0, atol=ORACLE_TOLERANCE)
            np.testing.assert_allclose(b, d, rtol=0, atol=ORACLE_TOLERANCE)
