"""The demos' building blocks: perceptron gates, the fixed forward network, 1-vs-7, checkpoints."""

import numpy as np
import pytest

from graphnet import Network
from graphnet.datasets import logic_gate
from graphnet.demos import (
    DEMO_OPTIONS,
    DEMOS,
    FORWARD_BOOK_PARAMS,
    GATE_PERCEPTRONS,
    MNIST17_TARGET,
    forward_network,
    gate_perceptron,
    ones_and_sevens,
    train_mnist17,
    xor_perceptrons,
)
from graphnet.math.errors import GraphnetError


@pytest.mark.parametrize("name", sorted(GATE_PERCEPTRONS))
def test_each_perceptron_computes_its_gate_with_bias_minus_threshold(name):
    net = gate_perceptron(name)
    inputs, targets = logic_gate(name)
    np.testing.assert_array_equal(net.predict(inputs), targets)
    (w1, w2), threshold = GATE_PERCEPTRONS[name]
    ((W, b),) = net.get_params()
    assert W.tolist() == [[w1, w2]] and b.tolist() == [-threshold]


def test_xor_is_or_and_nand_combined_by_and():
    net = xor_perceptrons()
    inputs, targets = logic_gate("xor")
    np.testing.assert_array_equal(net.predict(inputs), targets)
    for x in inputs:
        net.forward(x)
        assert net.layers[1].outputs == [gate_perceptron("or").forward(x)[0], gate_perceptron("nand").forward(x)[0]]


def test_forward_network_holds_the_books_weights_transposed():
    net = forward_network()
    assert net.sizes == [2, 3, 2, 2] and [a.name for a in net.activations] == ["sigmoid", "sigmoid", "softmax"]
    for (W, b), (book_W, book_b) in zip(net.get_params(), FORWARD_BOOK_PARAMS, strict=True):
        np.testing.assert_array_equal(W, np.array(book_W).T)
        np.testing.assert_array_equal(b, book_b)
    # the connection from node i below to node j is the book's W[i, j]
    assert net.connections[1, 0, 2].weight == FORWARD_BOOK_PARAMS[0][0][0][2]


def test_ones_and_sevens_alternate_in_a_fixed_order():
    images, labels, test_images, test_labels = ones_and_sevens(n_train=10)
    assert images.shape == (10, 784) and labels.tolist() == [0, 1] * 5
    assert test_images.shape == (200, 784) and np.bincount(test_labels).tolist() == [100, 100]
    with pytest.raises(GraphnetError, match="expected 1 … 800 ones and sevens, got 0"):
        ones_and_sevens(n_train=0)


def test_mnist17_reaches_the_promised_accuracy_and_the_fast_path_agrees():
    net, accuracies = train_mnist17()
    assert len(accuracies) == 201 and accuracies[0] < 0.6
    assert accuracies[-1] >= MNIST17_TARGET
    assert accuracies[-1] == pytest.approx(0.98)
    # the same per-sample updates on the fast path give the same weights (one truth)
    images, labels, _, _ = ones_and_sevens()
    twin = Network([784, 10, 2], init="normal", bias_init=1.0, seed=1)
    twin.train(images, np.eye(2)[labels], rate=0.5, epochs=1, batch_size=1, engine="fast", track_loss=False)
    np.testing.assert_allclose(twin.get_flat_params(), net.get_flat_params(), rtol=0, atol=1e-10)


def test_every_demo_with_options_is_a_demo():
    assert set(DEMO_OPTIONS) <= set(DEMOS)
