"""Build the notebooks in notebooks/ from the cell lists below, stored without outputs.

Run: ``python scripts/make_notebooks.py`` to (re)write them, ``--check`` to verify that
the stored notebooks are exactly what this script makes (exit status 1 if not).  Edit the
cells here, not in Jupyter, so every change is a reviewable diff of Python source.
Needs nbformat (``pip install -e ".[notebook]"``).

Each notebook is a list of cells: ``md(...)`` for Markdown, ``code(...)`` for Python.
Cell ids are derived from the notebook's name and the cell's position, so rebuilding
gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"

Cell = tuple[str, str]


def md(text: str) -> Cell:
    return ("markdown", textwrap.dedent(text).strip())


def code(text: str) -> Cell:
    return ("code", textwrap.dedent(text).strip())


PERCEPTRONS: list[Cell] = [
    md(
        """
        # 1 · Perceptrons and activation functions

        A perceptron is one unit: it weighs its inputs, adds a bias and fires if the sum
        reaches zero,

        y = step(w₁·x₁ + w₂·x₂ + b),  step(z) = 1 if z ≥ 0 else 0.

        Books often write the condition as w₁·x₁ + w₂·x₂ ≥ θ with a threshold θ; that is the
        same unit with **b = −θ**.  In graphnet the bias is the weight of a connection from
        a `ConstNode`, a node whose output is always 1.
        """
    ),
    code(
        """
        import numpy as np
        from rich.columns import Columns
        from rich.console import Console
        from rich.panel import Panel
        from rich.table import Table

        from graphnet import GraphnetError, Network, get_activation
        from graphnet.datasets import logic_gate

        console = Console()
        """
    ),
    md(
        """
        ## AND with weights set by hand

        A network `[2, 1]` has two inputs and one output unit.  `set_params` takes one
        `(W, b)` pair per layer, `W` of shape (n_out, n_in).  With w = (0.5, 0.5) and
        θ = 0.7 only the input (1, 1) reaches the threshold.
        """
    ),
    code(
        """
        and_unit = Network([2, 1], activation="step")
        and_unit.set_params([(np.array([[0.5, 0.5]]), np.array([-0.7]))])
        X, T = logic_gate("and")
        print("inputs:", X.tolist())
        print("output:", and_unit.predict(X).ravel().tolist())
        print("truth: ", T.ravel().tolist())
        """
    ),
    md(
        """
        The same unit computes OR or NAND with other numbers.  Only the weights and the
        threshold change, never the unit.
        """
    ),
    code(
        """
        GATES = {"and": ((0.5, 0.5), 0.7), "or": ((0.5, 0.5), 0.2), "nand": ((-0.5, -0.5), -0.7)}


        def perceptron(weights, threshold):
            unit = Network([2, 1], activation="step")
            unit.set_params([(np.array([weights]), np.array([-threshold]))])
            return unit


        table = Table("x1", "x2", *(name.upper() for name in GATES))
        outputs = {name: perceptron(*GATES[name]).predict(X).ravel() for name in GATES}
        for row, x in enumerate(X):
            table.add_row(f"{x[0]:g}", f"{x[1]:g}", *(f"{outputs[name][row]:g}" for name in GATES))
        console.print(table)
        for name in GATES:
            assert outputs[name].tolist() == logic_gate(name)[1].ravel().tolist()
        """
    ),
    md(
        """
        ## XOR needs a second layer

        One unit separates the plane with one straight line, and no line puts (0, 1) and
        (1, 0) on one side and (0, 0) and (1, 1) on the other.  Two lines do: OR and NAND
        in a hidden layer, and AND of the two on top.
        """
    ),
    code(
        """
        xor_net = Network([2, 2, 1], activation="step")
        (or_w, or_t), (nand_w, nand_t), (and_w, and_t) = GATES["or"], GATES["nand"], GATES["and"]
        xor_net.set_params(
            [
                (np.array([or_w, nand_w]), np.array([-or_t, -nand_t])),
                (np.array([and_w]), np.array([-and_t])),
            ]
        )
        for x in X:
            y = xor_net.forward(x)[0]
            s1, s2 = xor_net.layers[1].outputs
            print(f"x = {x}  OR = {s1:g}  NAND = {s2:g}  XOR = AND(OR, NAND) = {y:g}")
        """
    ),
    md(
        """
        These weights were chosen by hand.  Learning them by gradient descent needs the
        derivative of the activation, and the step function has none that helps (it is 0
        almost everywhere).  graphnet refuses to backpropagate through it:
        """
    ),
    code(
        """
        X_xor, T_xor = logic_gate("xor")
        try:
            xor_net.train(X_xor, T_xor, rate=0.5)
        except GraphnetError as error:
            print(type(error).__name__ + ":", error)
        """
    ),
    md(
        """
        ## Smooth activations

        Each activation is one class holding its value f(z) and its derivative f′(z), in a
        scalar form (used node by node on the graph) and an array form (used by the fast
        path).  The derivative takes the **net input** z.
        """
    ),
    code(
        """
        table = Table("name", "f(z)", "f′(z)", "f(0)", "f′(0)", "f(2)", "f′(2)")
        for name in ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "step"]:
            f = get_activation(name)
            values = [f"{f.value(z):.4f}" for z in (0.0, 2.0)]
            slopes = [f"{f.derivative(z):.4f}" if f.differentiable else "—" for z in (0.0, 2.0)]
            table.add_row(name, f.formula, f.derivative_formula, values[0], slopes[0], values[1], slopes[1])
        console.print(table)
        """
    ),
    md("The scalar and array forms agree, even far out where a naive sigmoid overflows:"),
    code(
        """
        z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
        for name in ["sigmoid", "tanh", "relu", "leaky_relu"]:
            f = get_activation(name)
            scalar = np.array([f.value(float(v)) for v in z])
            assert np.allclose(scalar, f.value_array(z)), name
            print(f"{name:>10}: {f.value_array(z)}")
        """
    ),
    md("Drawn with characters (this works in any terminal too: `graphnet demo gates`):"),
    code(
        """
        from graphnet.views.charts import text_plot

        z = np.linspace(-4, 4, 321)
        console.print(
            Columns(
                [
                    Panel(text_plot(z, get_activation(name).value_array(z)), title=name, expand=False)
                    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "step"]
                ]
            )
        )
        """
    ),
    md('And with matplotlib, if it is installed (`pip install "graphnet[plot]"`), with each derivative dashed:'),
    code(
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print('matplotlib is not installed: pip install "graphnet[plot]"')
        else:
            fig, axes = plt.subplots(1, 5, figsize=(16, 3))
            for ax, name in zip(axes, ["sigmoid", "tanh", "relu", "leaky_relu", "step"], strict=True):
                f = get_activation(name)
                ax.plot(z, f.value_array(z), label="f")
                if f.differentiable:
                    ax.plot(z, f.derivative_array(z), "--", label="f′")
                ax.set_title(name)
                ax.grid(alpha=0.3)
                ax.legend()
            fig.tight_layout()
        """
    ),
    md(
        """
        **Try:** find weights for NOR; build XNOR from two layers; what happens to the
        sigmoid's derivative at z = ±10, and what does that mean for learning?
        """
    ),
]

FORWARD: list[Cell] = [
    md(
        """
        # 2 · The forward pass by hand

        The three-layer network of *Deep Learning from Scratch* (ch. 3): 2 inputs, hidden
        layers of 3 and 2 sigmoid units, 2 outputs.  We compute it twice: with numpy in the
        book's layout, and on graphnet's object graph, node by node.

        Two differences from the book, said once:

        * the book stores a layer's weights as **(n_in, n_out)** and computes x·W + b;
          graphnet stores **(n_out, n_in)**, so that `W[j, i]` is w_ji, the weight from node
          i below into node j, and computes W·x + b.  The matrices are transposes;
        * the book's output layer is the identity; here it is a **softmax**, which turns
          the output net inputs into probabilities.
        """
    ),
    code(
        """
        import numpy as np
        from rich.console import Console

        from graphnet import Network

        console = Console()

        x = np.array([1.0, 0.5])
        # the book's layout: (n_in, n_out)
        W1, b1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])
        W2, b2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])
        W3, b3 = np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])
        """
    ),
    md("## With numpy, one matrix product per layer"),
    code(
        """
        def sigmoid(a):
            return 1 / (1 + np.exp(-a))


        def softmax(a):
            e = np.exp(a - a.max())
            return e / e.sum()


        a1 = x @ W1 + b1
        z1 = sigmoid(a1)
        a2 = z1 @ W2 + b2
        z2 = sigmoid(a2)
        a3 = z2 @ W3 + b3
        y = softmax(a3)
        print("a1 =", a1, " z1 =", z1)
        print("a2 =", a2, " z2 =", z2)
        print("a3 =", a3, " (the book's output)")
        print("y  =", y, " sum =", y.sum())
        """
    ),
    md("## On the graph, node by node"),
    code(
        """
        net = Network([2, 3, 2, 2], activation="sigmoid", output_activation="softmax", loss="categorical_cross_entropy")
        net.set_params([(W1.T, b1), (W2.T, b2), (W3.T, b3)])  # transposed: (n_out, n_in)
        outputs = net.forward(x)
        for layer in net.layers[1:]:
            print(f"layer {layer.index}: net = {np.round(layer.net_inputs, 6)}  o = {np.round(layer.outputs, 6)}")
        """
    ),
    md(
        """
        Every node holds its own numbers.  Node 1-2 is the third unit of layer 1; its net
        input is the sum over its upstream connections, the bias connection last:
        net_j = Σ_i w_ji·o_i (with o = 1 for the bias node).
        """
    ),
    code(
        """
        node = net.layers[1].nodes[2]
        print(repr(node))
        for connection in node.upstream:
            print(f"  {connection!r:>22}   w·o = {connection.weight:g}·{connection.upstream.output:g}")
        print("Σ w·o =", sum(c.weight * c.upstream.output for c in node.upstream), " net_input =", node.net_input)
        """
    ),
    md("Both computations agree to the last bit that matters:"),
    code(
        """
        for (nets, outs), layer in zip([(a1, z1), (a2, z2), (a3, y)], net.layers[1:], strict=True):
            np.testing.assert_allclose(layer.net_inputs, nets, rtol=1e-14)
            np.testing.assert_allclose(layer.outputs, outs, rtol=1e-14)
        print("graph == numpy on every layer")
        """
    ),
    md(
        """
        ## The same pass, one step at a time

        The stepper runs the network's own forward code one node at a time and shows each
        formula with its numbers (a softmax layer computes all its net inputs first, then
        all outputs).
        """
    ),
    code(
        """
        steps = net.stepper(x, target=[0.0, 1.0])
        while steps.next_phase_name in ("input", "forward", "net_input", "output"):
            print(steps.next())
        """
    ),
    md(
        """
        ## The mirror

        `net.vectorized()` is the same network on numpy arrays, working on whole batches.
        It shares the parameters: change a weight on the graph and the fast path uses it.
        """
    ),
    code(
        """
        fast = net.vectorized()
        print("fast path:", fast.predict(x), " graph:", net.predict(x))
        net.connections[1, 0, 0].weight = 1.0  # w_00 of layer 1, set in the graph
        print("after w_00 := 1 ->", fast.predict(x), net.predict(x))
        """
    ),
    code("console.print(net)"),
    md(
        """
        **Try:** replace the softmax by `output_activation="identity"` and check the book's
        result y = (0.31682708, 0.69627909); feed a batch of inputs (a 2-D array) to
        `fast.predict`.
        """
    ),
]

BACKPROP: list[Cell] = [
    md(
        """
        # 3 · Backpropagation, step by step

        One training step on one sample (x, t) has six phases, always in this order:

        1. **input**: o_i = x_i
        2. **forward**: net_j = Σ_i w_ji·o_i, o_j = f(net_j), layer by layer
        3. **output_delta**: δ_j of every output unit
        4. **hidden_delta**: δ_j = f′(net_j)·Σ_k w_kj·δ_k, from the top layer down
        5. **gradient**: ∂E/∂w_ji = δ_j·o_i
        6. **update**: w_ji ← w_ji − η·∂E/∂w_ji

        Sign convention: δ_j = ∂E/∂net_j.  For squared error E = ½Σ(t − y)² and a sigmoid
        output that is δ_j = (y_j − t_j)·y_j·(1 − y_j).  Many texts define δ with (t − y),
        the negative, and then update with a plus; the new weights are the same.
        """
    ),
    code(
        """
        import numpy as np
        from rich.console import Console

        from graphnet import Network

        console = Console()
        net = Network([3, 4, 2], activation="sigmoid", loss="squared_error", seed=0)
        x, t = [1.0, 0.0, 1.0], [0.9, 0.1]
        steps = net.stepper(x, t, rate=0.5)
        console.print(steps)
        """
    ),
    md("`next()` takes one step and returns an event: the formula in symbols and with numbers."),
    code(
        """
        for _ in range(4):
            console.print(steps.next())
        """
    ),
    md("`back()` undoes the last step exactly; `run_to` runs until a given step."),
    code(
        """
        print("undone:", steps.back())
        event = steps.run_to("delta", layer=1, node=2)
        console.print(event)
        """
    ),
    md(
        """
        Left as the last line of a cell, an event shows itself typeset: its line, then the
        formula and the same formula with its numbers in MathML (the very text printed above;
        no extra package).  Steps count from `[0]`, here as in the terminal and the HTML
        player; the stepper's header "step k/N" means k steps are taken, so `[k]` is next.
        """
    ),
    code("event  # [13], the 14th step: typeset in Jupyter, one line in a terminal"),
    md(
        """
        The output deltas were computed just before.  Check them against the formula,
        δ_j = (y_j − t_j)·y_j·(1 − y_j):
        """
    ),
    code(
        """
        y = np.array(net.output_layer.outputs)
        expected = (y - np.array(t)) * y * (1 - y)
        print("graph:  ", net.output_layer.deltas)
        print("formula:", expected)
        np.testing.assert_allclose(net.output_layer.deltas, expected, rtol=1e-12)
        """
    ),
    md("And the hidden delta of node 1-2, δ = σ′(net)·Σ_k w_kj·δ_k, by hand:"),
    code(
        """
        node = net.layers[1].nodes[2]
        downstream_sum = sum(c.weight * c.downstream.delta for c in node.downstream)
        by_hand = node.output * (1 - node.output) * downstream_sum
        print(f"δ(1-2) = {node.delta:.10g}, by hand {by_hand:.10g}")
        assert abs(node.delta - by_hand) < 1e-15
        """
    ),
    md("The whole network at this moment, with the node that was just computed:"),
    code("console.print(steps)"),
    md(
        """
        `run()` takes every remaining step: the gradients, then the updates.  Afterwards
        the network is exactly as after one ordinary training step on (x, t):
        """
    ),
    code(
        """
        events = steps.run()
        print(len(events), "more steps; the last one:")
        console.print(events[-1])

        twin = Network([3, 4, 2], activation="sigmoid", loss="squared_error", seed=0)
        twin.train([x], [t], rate=0.5, epochs=1)
        print("same weights as train():", np.array_equal(net.get_flat_params(), twin.get_flat_params()))
        """
    ),
    md(
        """
        ## The gradients are derivatives of the loss

        ∂E/∂w computed by backpropagation must match a finite difference
        (E(w + ε) − E(w − ε)) / 2ε.  Check one weight, w from node 0-0 into node 1-3:
        """
    ),
    code(
        """
        probe = Network([3, 4, 2], activation="sigmoid", loss="squared_error", seed=0)
        probe.forward(x)
        probe.backward(t)
        connection = probe.connections[1, 0, 3]
        analytic = connection.gradient

        eps = 1e-6
        w = connection.weight
        connection.weight = w + eps
        e_plus = probe.loss([x], [t])
        connection.weight = w - eps
        e_minus = probe.loss([x], [t])
        connection.weight = w
        numeric = (e_plus - e_minus) / (2 * eps)
        print(f"backprop {analytic:.10g}, central difference {numeric:.10g}")
        assert abs(analytic - numeric) < 1e-8
        """
    ),
    md(
        """
        **Try:** step through a network with a softmax output and cross-entropy loss
        (`output_activation="softmax", loss="categorical_cross_entropy"`): the output
        delta becomes simply y − t.  In a terminal, `graphnet step` does the same
        interactively.
        """
    ),
]

GRAPH_VS_FAST: list[Cell] = [
    md(
        """
        # 4 · The graph and the vectorized mirror

        The graph computes with Python floats, one node and one connection at a time, so
        every number can be looked at.  `net.vectorized()` computes the same thing with
        numpy matrices on whole batches.  Two rules hold:

        * **the mirror**: for the same parameters both give the same outputs, deltas and
          gradients (to about 1e-12);
        * **one truth for parameters**: the graph's connections hold the weights; a weight
          changed through either view is what the other view uses next.
        """
    ),
    code(
        """
        import time

        import numpy as np

        from graphnet import Network
        from graphnet.datasets import load_bundled_mnist, one_hot

        X, labels = load_bundled_mnist(kind="train", n_samples=100)
        T = one_hot(labels, 10)
        net = Network([784, 30, 10], seed=0)
        fast = net.vectorized()
        print(net, "with", net.n_parameters, "connections")
        """
    ),
    md("## Same numbers"),
    code(
        """
        graph_outputs = net.predict(X[:20])  # 20 samples through the object graph
        fast_outputs = fast.predict(X[:20])  # one matrix product per layer
        print("largest output difference:", np.abs(graph_outputs - fast_outputs).max())

        graph_gradients = net.gradients(X[:20], T[:20])
        fast_gradients = fast.gradients(X[:20], T[:20])
        for layer, ((gW, gb), (fW, fb)) in enumerate(zip(graph_gradients, fast_gradients, strict=True), start=1):
            difference_W, difference_b = np.abs(gW - fW).max(), np.abs(gb - fb).max()
            print(f"layer {layer}: largest ∂E/∂W difference {difference_W:.1e}, ∂E/∂b {difference_b:.1e}")
        """
    ),
    md("## Different speed"),
    code(
        """
        def one_epoch_seconds(engine):
            model = Network([784, 30, 10], seed=0)
            start = time.perf_counter()
            model.train(X, T, rate=0.5, epochs=1, batch_size=1, engine=engine, track_loss=False)
            return time.perf_counter() - start, model


        graph_seconds, graph_model = one_epoch_seconds("graph")
        fast_seconds, fast_model = one_epoch_seconds("fast")
        print(f"graph: {graph_seconds / len(X) * 1e6:8.0f} µs per sample")
        print(f"fast:  {fast_seconds / len(X) * 1e6:8.0f} µs per sample  ({graph_seconds / fast_seconds:.0f}x faster)")
        print("same weights afterwards:", np.abs(graph_model.get_flat_params() - fast_model.get_flat_params()).max())
        """
    ),
    md(
        """
        ## One truth

        A weight set on a graph connection is what the fast path uses next; fast training
        writes its result back to the connections; `set_params` is seen by both.
        """
    ),
    code(
        """
        x = X[0]
        before = fast.predict(x)
        net.connections[2, 5, 3].weight += 1.0  # w_35 of layer 2, changed on the graph
        print("fast output 3 moved by", fast.predict(x)[3] - before[3])

        w_before = net.connections[1, 400, 0].weight
        net.train(X, T, rate=0.5, epochs=1, batch_size=10, engine="fast", track_loss=False)
        print("connection (0-400) -> (1-0) after fast training:", w_before, "->", net.connections[1, 400, 0].weight)

        params = net.get_params()
        params[0][0][:] = 0.0
        net.set_params(params)
        same = np.allclose(fast.predict(X[:3]), fast.predict(X[3:6]))
        print("after set_params with W1 = 0, every image gives the same fast output:", same)
        """
    ),
    md(
        """
        The only way to break the rule is to write into the fast path's arrays directly.
        Such a write is *not* undone by the next call: the arrays are a cache, copied from
        the graph again only after the graph's weights change.  Until then the fast path
        computes with the written values and disagrees with the graph (and after fast
        training, whose result the graph has not fetched yet, the write would even be
        carried into the graph).  Use `set_params` or a connection instead.
        """
    ),
    code(
        """
        fast.layers[1].W[:] = 123.0  # bypasses the graph
        fast.predict(x)  # nothing on the graph changed, so nothing is copied over the 123s
        print("W2 after the next call:", fast.layers[1].W[0, :3])
        print("fast and graph agree:", np.allclose(fast.predict(x), net.predict(x)))

        net.connections[2, 5, 3].weight += 0.0  # any write to a graph weight marks the graph changed
        fast.predict(x)  # ...so this call copies the graph's weights over the 123s
        print("W2 after a graph change and the next call:", fast.layers[1].W[0, :3])
        print("fast and graph agree:", np.allclose(fast.predict(x), net.predict(x)))
        """
    ),
    md("## float32"),
    code(
        """
        net32 = Network([784, 30, 10], seed=0).vectorized(np.float32)
        net64 = Network([784, 30, 10], seed=0).vectorized()
        difference = np.abs(net32.predict(X[:5]) - net64.predict(X[:5])).max()
        print(net32.predict(X[:5]).dtype, "largest difference to float64:", difference)
        """
    ),
]

MNIST: list[Cell] = [
    md(
        """
        # 5 · Real digits: MNIST

        graphnet ships 5,000 real MNIST digits: 4,000 for training and 1,000 for testing,
        400 and 100 of each digit, in round-robin order 0, 1, 2, …, 9, 0, 1, ….  (The full
        60,000 load with `load_mnist(path)` from a folder of the original files.)
        """
    ),
    code(
        """
        import numpy as np
        from rich.columns import Columns
        from rich.console import Console
        from rich.panel import Panel

        from graphnet import Network
        from graphnet.datasets import binary_subset, digit_text, load_bundled_mnist, one_hot
        from graphnet.views.render import sparkline

        console = Console()
        images, labels = load_bundled_mnist(kind="train")
        test_images, test_labels = load_bundled_mnist(kind="test")
        print(images.shape, test_images.shape, "first labels:", labels[:12].tolist())
        console.print(Columns([Panel(digit_text(images[i]), title=str(labels[i])) for i in range(3)]))
        """
    ),
    md(
        """
        ## "1" or "7"?

        The classic first experiment: a 784-10-2 sigmoid network, weights drawn from
        N(0, 1), biases 1, squared error, rate 0.5, trained **on the object graph**, one
        update per image, on the first 200 ones and sevens.  After every update we
        measure the accuracy on all 200 ones and sevens of the test split, on the fast
        path (`net.accuracy` uses it by default).
        """
    ),
    code(
        """
        X17, y17 = binary_subset(images, labels, positive=7, negative=1)  # 7 -> 1, 1 -> 0
        X17_test, y17_test = binary_subset(test_images, test_labels, positive=7, negative=1)
        X17, y17 = X17[:200], y17[:200]
        T17 = one_hot(y17, 2)

        net17 = Network([784, 10, 2], activation="sigmoid", loss="squared_error", init="normal", bias_init=1.0, seed=1)
        accuracies = [net17.accuracy(X17_test, y17_test)]
        for x, t in zip(X17, T17, strict=True):
            net17.forward(x)
            net17.backward(t)
            net17.update(0.5)
            accuracies.append(net17.accuracy(X17_test, y17_test))
        print(f"test accuracy: {accuracies[0]:.1%} before, {accuracies[-1]:.1%} after 200 updates")
        console.print(sparkline(accuracies, width=50, low=0.0, high=1.0))
        """
    ),
    md(
        """
        The seed matters with so little data: over seeds 0–19 this run ends between 93%
        and 98.5%; seed 1 gives 98.0%.  Try another seed, or more images.
        """
    ),
    md(
        """
        ## All ten digits on the fast path

        784-30-10, sigmoid, squared error, targets 0.9/0.1 (they keep the sigmoid away
        from its flat ends), mini-batches of 10, shuffled each epoch.  The graph would
        take minutes here; the fast path takes a second or two.
        """
    ),
    code(
        """
        T = one_hot(labels, 10, on=0.9, off=0.1)
        net = Network([784, 30, 10], activation="sigmoid", loss="squared_error", init="xavier", seed=0)
        for epoch in range(1, 11):
            net.train(images, T, rate=1.0, epochs=1, batch_size=10, shuffle=True, engine="fast", track_loss=False)
            test_accuracy = net.accuracy(test_images, test_labels)
            print(f"epoch {epoch:2}: training loss {net.loss(images, T):.4f}  test accuracy {test_accuracy:.1%}")
        """
    ),
    md("Which digits get confused with which?  The confusion matrix, true digit by row:"),
    code(
        """
        predicted = net.vectorized().predict(test_images).argmax(axis=1)
        confusion = np.zeros((10, 10), dtype=int)
        np.add.at(confusion, (test_labels, predicted), 1)
        print("      " + " ".join(f"{d:4}" for d in range(10)))
        for digit, row in enumerate(confusion):
            print(f"{digit:4}: " + " ".join(f"{n:4}" for n in row))
        """
    ),
    code(
        """
        wrong = np.flatnonzero(predicted != test_labels)[:3]
        panels = [Panel(digit_text(test_images[i]), title=f"{test_labels[i]} seen as {predicted[i]}") for i in wrong]
        console.print(Columns(panels))
        """
    ),
    md(
        """
        **Next:** `graphnet demo mnist --hidden 300` trains longer with early stopping and
        checkpoints; `graphnet demo cg` lets scipy's conjugate gradient optimise all
        parameters at once through `net.loss_and_gradient`.
        """
    ),
]

OPTIMIZERS: list[Cell] = [
    md(
        """
        # 6 · Optimizers and dropout

        Plain gradient descent moves each weight by −η·g (g = ∂E/∂w).  Momentum, Nesterov,
        AdaGrad, RMSprop and Adam keep a little **memory per weight** and use it to shape
        the step.  In graphnet that memory is on the graph's own objects: each connection
        has a `state` (momentum's velocity v, Adam's m and v, …), and the optimizer object
        counts the updates t.  Dropout switches hidden nodes off while training; a dropped
        node is visibly dropped.
        """
    ),
    code(
        """
        import numpy as np
        from rich.console import Console

        from graphnet import Network
        from graphnet.demos import compare_optimizers
        from graphnet.math.optimizers import Adam, InverseTimeDecay, Momentum, StepDecay

        console = Console(width=110)
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        T = np.array([[0.0], [1.0], [1.0], [0.0]])
        """
    ),
    md(
        """
        ## Momentum, one connection at a time

        v ← μ·v − η·g;  w ← w + v.  After one training call with momentum every connection
        carries its velocity, shown in its repr and in the dump.
        """
    ),
    code(
        """
        net = Network([2, 2, 1], init="normal", seed=3)
        net.train(X, T, rate=0.5, epochs=3, optimizer=Momentum(momentum=0.9))
        print(net.optimizer, "after", net.optimizer.step_count, "updates")
        print(net.connections[1, 0, 1])
        print(net.connections[1, 0, 1].state)
        print("\\n".join(net.dump().splitlines()[:12]))
        """
    ),
    md(
        """
        The stepper shows the optimizer's rule with its numbers in every update event; the
        network continues the optimizer it has (its counts and the connections' states).
        """
    ),
    code(
        """
        steps = net.stepper(X[3], T[3], rate=0.5)
        update = steps.run_to("update")
        print(update.formula)
        print(update.numbers)
        """
    ),
    md(
        """
        ## Adam: three updates checked by hand

        m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);
        w ← w − η·m̂/(√v̂ + ε).  The same three updates written in numpy for one weight:
        """
    ),
    code(
        """
        net = Network([2, 2, 1], init="normal", seed=3)
        connection = net.connections[2, 0, 0]
        w, m, v = connection.weight, 0.0, 0.0
        for t in (1, 2, 3):
            gradient = net.gradients(X, T)[1][0][0, 0]  # ∂E/∂w of this connection, mean over the batch
            net.update(0.1, optimizer=Adam())
            m = 0.9 * m + 0.1 * gradient
            v = 0.999 * v + 0.001 * gradient**2
            w = w - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            print(f"t={t}: graph w = {connection.weight:.12f}, by hand w = {w:.12f}, state {connection.state}")
        """
    ),
    md(
        """
        ## Learning-rate schedules

        `rate` is the base rate η₀.  A schedule belongs to the optimizer: **step decay**
        η = η₀·γ^⌊e/k⌋ counts completed epochs e; **1/t decay** η = η₀/(1 + κ·t) counts the
        updates t made before this one.
        """
    ),
    code(
        """
        for schedule in (StepDecay(every=2, factor=0.5), InverseTimeDecay(decay=0.5)):
            optimizer = Momentum(schedule=schedule)
            rates = []
            model = Network([2, 2, 1], seed=0)
            for _ in range(5):
                model.train(X, T, rate=0.4, epochs=1, batch_size=None, optimizer=optimizer)
                rates.append(round(optimizer.current_rate, 4))
            print(f"{schedule!r:40} counts {schedule.counts:8} η per epoch: {rates}")
        """
    ),
    md(
        """
        ## Dropout, visibly

        Inverted dropout with keep probability q = 1 − p: o_j = f(net_j)·m_j/q while
        training, with m_j ∈ {0, 1}; the same mask multiplies δ_j.  Evaluation never drops.
        """
    ),
    code(
        """
        net = Network([2, 4, 1], activation="tanh", dropout=0.5, seed=1)
        masks = net.draw_masks(1, seed=0)
        steps = net.stepper(X[1], T[1], masks=masks)
        for event in steps.next_phase() + steps.next_phase():
            if event.layer == 1:
                print(event.numbers)
        console.print(net.layers[1])
        print("evaluation:", net.predict(X[1]), "- the same for any seed; nodes dropped now:", net.layers[1].masks)
        """
    ),
    md(
        """
        ## All six on the same digits

        The same 784-30-10 network (sigmoid, softmax, cross-entropy) and the same shuffled
        mini-batches, on the fast path, each optimizer with a rate typical for it.  The
        graph and the fast path agree on every optimizer to about 1e-12 (the tests check
        1e-10 after 50 updates); the fast path is just quicker here.
        """
    ),
    code(
        """
        runs = compare_optimizers(samples=1000, epochs=8)
        for run in runs:
            print(
                f"{run.name:9} η={run.rate:<6g} loss {run.losses[0]:.3f} → {run.losses[-1]:.4f}, "
                f"test accuracy {run.test_accuracy:.1%}"
            )
        """
    ),
    code(
        """
        import io

        from IPython.display import Image, display

        try:
            from matplotlib.figure import Figure
        except ImportError:
            print('matplotlib is not installed: pip install "graphnet[plot]"')
        else:
            figure = Figure(figsize=(6, 3.5))
            axes = figure.add_subplot()
            for run in runs:
                axes.semilogy(run.losses, label=f"{run.name} (η={run.rate:g})")
            axes.set_xlabel("epoch")
            axes.set_ylabel("training loss (log scale)")
            axes.legend()
            png = io.BytesIO()
            figure.savefig(png, format="png", bbox_inches="tight")
            display(Image(png.getvalue()))
        """
    ),
    md(
        """
        **Next:** `graphnet demo optimizers --epochs 30 --plot optimizers.png`, or add
        `--dropout 0.3` to see what dropout does to the curves.
        """
    ),
]

EXERCISES: list[Cell] = [
    md(
        """
        # 7 · Exercises: write backpropagation yourself

        Three graded exercises.  Write your code in the cells marked *your code*, then run
        the check below each: it prints **✓** and what it compared, or **✗** and what is
        off (a missing factor, a wrong sign, where the numbers differ), never the answer.
        Change your code and run the check again.  numpy is all you need.
        """
    ),
    code(
        """
        import numpy as np

        from graphnet.tools.exercises import check_derivative, check_hidden_delta, check_training_step

        np.set_printoptions(precision=6)  # numpy is yours to use in every exercise
        """
    ),
    md(
        """
        ## Exercise 1 · the slope of tanh

        Backpropagation needs the derivative f′(z) of every activation.  Write it for
        f(z) = tanh(z) = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ), elementwise on a numpy array z.  The check
        compares it with the slope it measures by central differences,
        (f(z + h) − f(z − h))/2h.

        *Hint:* like σ′(z) = σ(z)·(1 − σ(z)), it can be written with f(z) itself.
        """
    ),
    code(
        """
        def tanh_derivative(z):
            \"\"\"f′(z) for f = tanh, elementwise on the array z.\"\"\"
            # your code: replace None
            return None
        """
    ),
    code('check_derivative(tanh_derivative, "tanh")'),
    md(
        """
        ## Exercise 2 · the δ of a hidden layer

        δ_j = ∂E/∂net_j.  For a hidden unit j the chain rule collects the δ of every unit k
        that j feeds, each through the weight from j to k, and multiplies by how fast j's own
        output changes with its net input.  The hidden units are sigmoid units.

        * `outputs`: (n,) the hidden units' outputs o_j;
        * `W_next`: (m, n) the next layer's weights, row k holding the weights into unit k;
        * `delta_next`: (m,) the next layer's δ_k.

        The check compares your δ with the one graphnet's backward pass leaves on the nodes.
        """
    ),
    code(
        """
        def hidden_delta(outputs, W_next, delta_next):
            \"\"\"δ of each sigmoid hidden unit, from its outputs and the next layer's weights and δ.\"\"\"
            # your code: replace None
            return None
        """
    ),
    code("check_hidden_delta(hidden_delta)"),
    md(
        """
        ## Exercise 3 · one training step

        One layer of sigmoid units, o = σ(W·x + b), with the squared error
        E = ½·Σ_k (t_k − o_k)².  Write one step of gradient descent with learning rate η on
        one sample (x, t): return the new W and the new b.  The check trains a graphnet
        network with the same W and b on the same sample for one step and compares.
        """
    ),
    code(
        """
        def training_step(W, b, x, t, rate):
            \"\"\"One gradient-descent step on one sample: the new (W, b).\"\"\"
            # your code: replace None
            return None
        """
    ),
    code("check_training_step(training_step)"),
    md("## Your score"),
    code(
        """
        results = [
            check_derivative(tanh_derivative, "tanh"),
            check_hidden_delta(hidden_delta),
            check_training_step(training_step),
        ]
        for result in results:
            print(result)
        print(f"{sum(result.passed for result in results)} of {len(results)} exercises pass")
        """
    ),
    md(
        """
        **Next:** see a network learn what you just wrote, epoch by epoch:
        `graphnet train --data toy:spiral --html run.html`, then open run.html in a browser.
        """
    ),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "01_perceptrons_and_activations": PERCEPTRONS,
    "02_forward_pass_by_hand": FORWARD,
    "03_backpropagation_step_by_step": BACKPROP,
    "04_graph_vs_vectorized": GRAPH_VS_FAST,
    "05_mnist": MNIST,
    "06_optimizers": OPTIMIZERS,
    "07_exercises": EXERCISES,
}


def build(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    """One notebook, without outputs, with ids derived from its name."""
    notebook = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    for index, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell["id"] = f"{name[:2]}-{index:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def render(name: str, cells: list[Cell]) -> str:
    """The notebook's file content."""
    return nbformat.writes(build(name, cells)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the stored notebooks")
    parser.add_argument("--out", type=Path, default=NOTEBOOKS_DIR, help="folder to write (default: notebooks/)")
    args = parser.parse_args(argv)
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = args.out / f"{name}.ipynb"
        content = render(name, cells)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != content:
                stale.append(path.name)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    if stale:
        print(f"out of date (run python scripts/make_notebooks.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
