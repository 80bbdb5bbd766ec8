"""The conv demo: runs from the CLI and its script, draws kernels, steps a digit; reaches its accuracy."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from graphnet.cli import main
from graphnet.datasets import ENV_VAR, load_bundled_mnist
from graphnet.demos.conv import CONV_TARGET, conv_network, shifted, train_conv

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def bundled_digits(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def run(argv, capsys):
    console = Console(record=True, width=120, color_system=None, file=io.StringIO())
    code = main(argv, console=console)
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def test_shifting_moves_every_pixel_and_fills_the_border_with_zero():
    image = np.arange(784, dtype=float).reshape(1, 784) / 784
    rng = np.random.default_rng(0)
    moved = shifted(image, 2, rng).reshape(28, 28)
    dy, dx = np.random.default_rng(0).integers(-2, 3, size=(1, 2))[0]
    original = image.reshape(28, 28)
    for row in range(28):
        for column in range(28):
            source = (row - dy, column - dx)
            expected = original[source] if 0 <= source[0] < 28 and 0 <= source[1] < 28 else 0.0
            assert moved[row, column] == expected


def test_the_demo_runs_draws_its_kernels_and_steps_one_digit(capsys, tmp_path):
    picture = tmp_path / "kernels.png"
    argv = ["demo", "conv", "--epochs", "1", "--samples", "200", "--maps", "3", "--hidden", "0", "--plot", str(picture)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "1x28x28 → 3 maps 5x5 → max pool 2 → 10" in out
    assert "K1[0]" in out and "K1[2]" in out  # the kernels drawn
    assert "gradient of the shared kernel entry K1[0,0,2,2]" in out
    assert "∂E/∂K1[0,0,2,2] = (" in out and "576 shares in all" in out
    assert "stepped all" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not picture.exists()
    else:
        assert picture.read_bytes()[:4] == b"\x89PNG"


def test_the_demo_refuses_bad_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "conv", "--hidden", "-1"], console=Console(file=io.StringIO()))
    assert info.value.code == 2
    assert "argument --hidden: expected a whole number ≥ 0, got '-1'" in capsys.readouterr().err


def test_the_demo_script_runs_the_demo():
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / "conv.py"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: graphnet demo conv" in result.stdout


def test_the_graph_and_the_fast_path_agree_on_the_demo_net():
    net = conv_network(maps=2, hidden=8, seed=1)
    images, _ = load_bundled_mnist(kind="test", n_samples=3)
    np.testing.assert_allclose(net.predict(images), net.vectorized().predict(images), rtol=0, atol=1e-12)


@pytest.mark.slow
def test_the_demo_reaches_its_promised_test_accuracy():
    net, accuracies, _seconds = train_conv()
    assert accuracies[-1] >= CONV_TARGET
    test_images, test_labels = load_bundled_mnist(kind="test")
    assert net.accuracy(test_images, test_labels) == accuracies[-1]


def test_the_bench_conv_cases_train_the_same_net_on_both_engines():
    from graphnet.tools.bench_conv import CONV_LABEL, conv_cases

    cases = conv_cases(graph_samples=1, fast_samples=64)
    assert list(cases) == [f"graph conv epoch {CONV_LABEL} batch 1", f"fast conv epoch {CONV_LABEL} batch 32 float64"]
    assert [samples for _, samples in cases.values()] == [1, 64]
    for case, _ in cases.values():
        assert case().updates == case().updates > 0
