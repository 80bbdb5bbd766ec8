"""``graphnet demo NAME [OPTIONS]``: every demo through main([...]), its success and a bad option."""

import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from graphnet.cli import main
from graphnet.datasets import ENV_VAR, load_bundled_mnist
from graphnet.demos import DEMOS, TOUR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def bundled_digits(monkeypatch):
    """The demos' numbers are those of the bundled subset, whatever the environment says."""
    monkeypatch.delenv(ENV_VAR, raising=False)


def run(argv, capsys):
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    code = main(argv, console=console)
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def bad_option(argv, capsys):
    """A usage error: exit status 2 and one line on stderr."""
    with pytest.raises(SystemExit) as info:
        main(argv, console=Console(record=True, width=100, file=io.StringIO()))
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1, err
    return err.strip()


def hide(monkeypatch, *modules):
    """Make ``import module`` fail as if the package were not installed."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def test_tour_runs_every_short_demo_on_the_bundled_digits(capsys):
    code, out, err = run(["demo"], capsys)
    assert code == 0, err
    assert TOUR == ("gates", "forward", "xor", "gradcheck", "mnist17", "speed")
    summary = out.split("Tour finished")[1]
    for name in TOUR:
        assert re.search(rf"│ {name}\s+│ ok\s+│", summary), summary
    assert "final test accuracy: 98.0%" in out and "XOR: two layers of perceptrons" in out


def test_tour_takes_no_options(capsys):
    assert bad_option(["demo", "tour", "--fast"], capsys) == "graphnet demo tour: error: unrecognized arguments: --fast"


def test_gates_prints_truth_tables_and_draws_activations_with_characters(capsys):
    code, out, err = run(["demo", "gates"], capsys)
    assert code == 0, err
    for title in ("AND: w = (0.5, 0.5), θ = 0.7", "OR: w = (0.5, 0.5), θ = 0.2", "NAND: w = (-0.5, -0.5), θ = -0.7"):
        assert title in out
    assert "│ 1  │ 1  │ 1       │ 0         │ 0               │ 0     │" in out  # XOR row (1, 1)
    for name in ("sigmoid", "tanh", "relu", "LeakyReLU(alpha=0.01)", "step"):
        assert f"─ {name} ─" in out
    assert "•" in out


def test_gates_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "activations.png"
    code, out, err = run(["demo", "gates", "--plot", str(path)], capsys)
    assert code == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"saved {path}" in out.replace("\n", "")


def test_gates_plot_without_matplotlib_draws_characters_and_says_how_to_install(capsys, tmp_path, monkeypatch):
    hide(monkeypatch, "matplotlib", "matplotlib.figure")
    path = tmp_path / "activations.png"
    code, out, err = run(["demo", "gates", "--plot", str(path)], capsys)
    assert code == 0, err
    assert not path.exists()
    assert 'pip install "graphnet[plot]"' in out.replace("\n", "") and "─ sigmoid ─" in out


def test_gates_bad_options(capsys, tmp_path):
    assert "unrecognized arguments: --colour" in bad_option(["demo", "gates", "--colour"], capsys)
    pytest.importorskip("matplotlib")
    code, _out, err = run(["demo", "gates", "--plot", str(tmp_path / "missing" / "a.png")], capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_forward_prints_what_numpy_computes(capsys):
    code, out, err = run(["demo", "forward"], capsys)
    assert code == 0, err
    # An independent computation in the book's own layout: a = x·W + b.
    x = np.array([1.0, 0.5])
    W1, b1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])
    W2, b2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])
    W3, b3 = np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])
    a1 = x @ W1 + b1
    z1 = sigmoid(a1)
    a2 = z1 @ W2 + b2
    z2 = sigmoid(a2)
    a3 = z2 @ W3 + b3
    y = np.exp(a3) / np.exp(a3).sum()
    expected = {1: (a1, z1), 2: (a2, z2), 3: (a3, y)}
    rows = re.findall(r"│ (\d)-(\d)\s+│[^│\n]*│ (-?\d+\.\d{10}) │ (-?\d+\.\d{10}) │", out)
    assert len(rows) == 3 + 2 + 2
    for layer, node, net, output in rows:
        nets, outputs = expected[int(layer)]
        np.testing.assert_allclose(float(net), nets[int(node)], rtol=0, atol=6e-11)
        np.testing.assert_allclose(float(output), outputs[int(node)], rtol=0, atol=6e-11)
    identity = re.search(r"y = net = \((\d\.\d{10}), (\d\.\d{10})\)", out)
    assert identity is not None
    np.testing.assert_allclose([float(v) for v in identity.groups()], a3, rtol=0, atol=6e-11)


def test_forward_takes_no_options(capsys):
    assert "unrecognized arguments: 1 2" in bad_option(["demo", "forward", "1", "2"], capsys)


def test_mnist17_reaches_at_least_96_percent(capsys, tmp_path):
    path = tmp_path / "accuracy.png"
    code, out, err = run(["demo", "mnist17", "--plot", str(path)], capsys)
    assert code == 0, err
    final = re.search(r"final test accuracy: (\d+\.\d)%", out)
    assert final is not None and float(final.group(1)) >= 96.0
    assert final.group(1) == "98.0"  # the number the README quotes
    assert "a training 1" in out and "a training 7" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not path.exists()
    else:
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_mnist17_bad_options(capsys):
    err = bad_option(["demo", "mnist17", "--samples", "0"], capsys)
    assert err == "graphnet demo mnist17: error: argument --samples: expected a whole number ≥ 1, got '0'"
    assert "--rate: expected a finite number > 0, got 'nan'" in bad_option(["demo", "mnist17", "--rate", "nan"], capsys)
    code, _out, err = run(["demo", "mnist17", "--samples", "801"], capsys)
    assert code == 2 and err.strip() == "graphnet demo: error: --samples: expected 1 … 800 ones and sevens, got 801"


def test_mnist_trains_with_early_stopping_and_a_checkpoint_without_pickle(capsys, tmp_path):
    checkpoint = tmp_path / "mnist.npz"
    code, out, err = run(["demo", "mnist", "--checkpoint", str(checkpoint)], capsys)
    assert code == 0, err
    kept = re.search(r"kept the parameters of epoch (\d+): test accuracy (\d+\.\d)%", out.replace("\n", " "))
    assert kept is not None and float(kept.group(2)) >= 90.0
    assert f"checkpoint (best parameters, epoch {kept.group(1)})" in out
    from graphnet import Network

    with np.load(checkpoint, allow_pickle=False):  # a plain npz, no pickle
        pass
    net = Network.load(checkpoint)
    assert net.sizes == [784, 30, 10]
    test_images, test_labels = load_bundled_mnist(kind="test")
    assert f"{net.accuracy(test_images, test_labels):.1%}" == kept.group(2) + "%"


def test_mnist_with_300_hidden_units_runs(capsys):
    code, out, err = run(["demo", "mnist", "--hidden", "300", "--epochs", "1", "--samples", "500"], capsys)
    assert code == 0, err
    assert "784-300-10" in out and "ran all 1 epochs" in out


def test_mnist_bad_options(capsys, tmp_path):
    err = bad_option(["demo", "mnist", "--epochs", "0"], capsys)
    assert err == "graphnet demo mnist: error: argument --epochs: expected a whole number ≥ 1, got '0'"
    assert "argument --batch-size" in bad_option(["demo", "mnist", "--batch-size", "ten"], capsys)
    code, _out, err = run(["demo", "mnist", "--checkpoint", str(tmp_path / "no" / "such.npz")], capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    code, _out, err = run(["demo", "mnist", "--samples", "4001"], capsys)
    assert code == 2 and "--samples 4001, but the bundled train split holds only 4000 images" in err


def test_cg_reports_loss_and_accuracy_before_and_after(capsys):
    pytest.importorskip("scipy")
    code, out, err = run(["demo", "cg", "--maxiter", "20"], capsys)
    assert code == 0, err
    loss = re.search(r"│ loss E\(θ\)\s+│ (\d+\.\d+)\s+│ (\d+\.\d+)\s+│", out)
    assert loss is not None and float(loss.group(2)) < float(loss.group(1)) / 4
    assert "20 iterations" in out


def test_cg_without_scipy_says_how_to_install_and_exits_2(capsys, monkeypatch):
    hide(monkeypatch, "scipy", "scipy.optimize")
    code, _out, err = run(["demo", "cg"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("graphnet demo: error: the cg demo needs scipy") and 'pip install "graphnet[scipy]"' in err


def test_cg_bad_options(capsys):
    assert "argument --maxiter: expected a whole number ≥ 1" in bad_option(["demo", "cg", "--maxiter", "-3"], capsys)
    assert "argument --l2: expected a finite number ≥ 0, got '-1'" in bad_option(["demo", "cg", "--l2", "-1"], capsys)


def test_speed_with_options(capsys):
    code, out, err = run(["demo", "speed", "--samples", "20", "--sizes", "784", "8", "10"], capsys)
    assert code == 0, err
    assert "784-8-10 sigmoid, 20 real digits" in out and "graph, per-sample SGD" in out
    code, _out, err = run(["demo", "speed", "--sizes", "3", "10"], capsys)
    assert code == 2 and "sizes must start with 784 inputs" in err
    assert "argument --samples" in bad_option(["demo", "speed", "--samples", "0"], capsys)


def test_each_demo_explains_its_options(capsys):
    for name in DEMOS:
        with pytest.raises(SystemExit) as info:
            main(["demo", name, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: graphnet demo {name}"), out


def test_every_demo_has_its_script_as_the_readme_says():
    assert sorted(path.stem for path in (ROOT / "demos").glob("*.py")) == sorted(DEMOS)


@pytest.mark.parametrize("script", [f"{name}.py" for name in sorted(DEMOS)])
def test_demo_scripts_run_the_demos(script):
    argv = [sys.executable, str(ROOT / "demos" / script)]
    if script not in ("forward.py", "xor.py"):
        argv.append("--help")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_optimizers_compares_all_six_on_the_bundled_digits(capsys):
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    code = main(["demo", "optimizers"], console=console)
    out = console.export_text()
    assert code == 0, capsys.readouterr().err
    assert "loss curves side by side" in out and "2,000 digits" in out
    curves = out.split("the rules")[0]
    rows = {line.split("│")[1].strip(): line for line in curves.splitlines() if line.startswith("│ ")}
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        curve = rows[name].split("│")[3].strip()
        assert len(curve) == 16 and curve[0] == "█" and set(curve) <= set("▁▂▃▄▅▆▇█"), rows[name]
    assert "v ← μ·v − η·g;  w ← w + v" in out and "lowest training loss:" in out


def test_optimizers_plot_writes_a_png_or_says_how_to_get_matplotlib(capsys, tmp_path, monkeypatch):
    options = ["--samples", "300", "--epochs", "2", "--dropout", "0.2"]
    if importlib.util.find_spec("matplotlib") is not None:
        path = tmp_path / "optimizers.png"
        code, out, err = run(["demo", "optimizers", *options, "--plot", str(path)], capsys)
        assert code == 0, err
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "dropout p = 0.2" in out.replace("\n", " ")
    hide(monkeypatch, "matplotlib", "matplotlib.figure")
    path = tmp_path / "none.png"
    code, out, err = run(["demo", "optimizers", *options, "--plot", str(path)], capsys)
    assert code == 0, err
    assert not path.exists() and 'pip install "graphnet[plot]"' in out.replace("\n", "")
    assert "argument --dropout: expected a probability 0 ≤ p < 1" in bad_option(
        ["demo", "optimizers", "--dropout", "-1"], capsys
    )
