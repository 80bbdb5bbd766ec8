"""``--conv`` on the command line: the layer grammar, step (terminal and --html), train; bad input is one line."""

import io

import pytest
from rich.console import Console

from graphnet import AvgPool, Conv, MaxPool
from graphnet.cli import main
from graphnet.common.convspec import parse_layers
from graphnet.datasets import ENV_VAR
from graphnet.math.errors import ShapeError


@pytest.fixture(autouse=True)
def bundled_digits(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def run(argv, capsys, monkeypatch=None, stdin=""):
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    console = Console(record=True, width=120, color_system=None, file=io.StringIO())
    code = main(argv, console=console)
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def test_the_layer_grammar():
    assert parse_layers("2x6x5 conv3x3s2p1 maxpool2s1 avgpool1 16 4") == [
        (2, 6, 5),
        Conv(3, 3, stride=2, padding=1),
        MaxPool(2, stride=1),
        AvgPool(1),
        16,
        4,
    ]
    with pytest.raises(ShapeError, match="'pool2' is not one of"):
        parse_layers("1x4x4 pool2 3")


def test_step_walks_a_conv_net_and_shows_the_shared_sum(capsys, monkeypatch):
    argv = ["step", "--conv", "1x3x3 conv1x2 maxpool2 2", "--activation", "tanh"]
    code, out, err = run(argv, capsys, monkeypatch, stdin="r\nq\n")
    assert code == 0, err
    assert "61 steps" in out and "∂E/∂K1[0,0,0,0] = (" in out and "update K1[0,0,0,0]" in out


def test_step_writes_the_player_of_a_conv_net(capsys, tmp_path):
    page = tmp_path / "step.html"
    code, _out, err = run(["step", "--conv", "1x3x3 conv1x2 maxpool2 2", "--html", str(page)], capsys)
    assert code == 0, err
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and 'data-shared="K1[0,0,1,1]"' in html


def test_train_trains_a_conv_net_on_the_digits(capsys):
    argv = ["train", "--data", "mnist", "--samples", "100", "--conv", "1x28x28 conv2x5 maxpool2", "--hidden"]
    argv += ["--activation", "relu", "--engine", "fast", "--epochs", "2", "--batch-size", "10", "--rate", "0.05"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "ConvNetwork((1, 28, 28) → Conv(2, 5)" in out and "test accuracy:" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["step", "--conv", "1x3x3 cnv1x2 2"], "layer 'cnv1x2' is not one of"),
        (["step", "--conv", "1x3x3 conv1x4 2"], "does not fit"),
        (["step", "--conv", "1x3x3 conv1x2 2", "--dropout", "0.5"], "no dropout"),
    ],
)
def test_bad_conv_options_are_one_line(argv, message, capsys):
    code, _out, err = run(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


def test_draw_writes_a_conv_net_with_a_shared_weight_highlighted(capsys, tmp_path):
    picture = tmp_path / "conv.svg"
    argv = ["draw", "--conv", "1x4x4 conv2x3 maxpool2 3", "--highlight", "K1[0,0,1,1]", "-o", str(picture)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "wrote" in out
    svg = picture.read_text()
    assert svg.startswith("<svg") and svg.count('class="conn kernel shared"') == 4
    code, _out, err = run([*argv[:-2], "-o", str(tmp_path / "x.svg"), "--highlight", "K9"], capsys)
    assert code == 2 and "highlight must name a shared weight" in err


def test_gradcheck_checks_a_conv_net_and_fails_with_a_planted_bug(capsys):
    argv = ["gradcheck", "--conv", "1x5x5 conv2x3 maxpool2 3", "--activation", "tanh", "--samples", "2"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "gradient check passed: 29 parameters (29 ok)" in out
    code, out, _err = run([*argv, "--plant-bug"], capsys)
    assert code == 1 and "gradient check FAILED" in out and "wrong" in out
