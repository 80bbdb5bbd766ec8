"""``graphnet draw``, ``graphnet step --html`` and ``graphnet train --plot``, through main([...])."""

import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from graphnet import Network
from graphnet.cli import main
from graphnet.math.numbers import format_number
from graphnet.views.player import record


def run(argv, capsys):
    console = Console(record=True, width=200, color_system=None)
    code = main(argv, console=console)
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def one_line(err):
    return len(err.strip().splitlines()) == 1


def test_draw_writes_the_svg(capsys, tmp_path):
    path = tmp_path / "net.svg"
    code, out, err = run(
        ["draw", "--layers", "2", "3", "1", "--input", "1", "0", "--target", "1", "-o", str(path)], capsys
    )
    assert code == 0, err
    assert f"wrote {path}" in out and "13 connections" in out
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 6
    assert len([e for e in root.iter("{http://www.w3.org/2000/svg}line")]) == 13
    assert "delta δ = 0\n" not in path.read_text(encoding="utf-8").split('id="node-2-0"')[1].split("</g>")[0]


def test_draw_collapses_big_layers(capsys, tmp_path):
    path = tmp_path / "mnist.svg"
    code, _, err = run(
        ["draw", "--layers", "784", "30", "10", "--weights-only", "--max-nodes", "6", "-o", str(path)], capsys
    )
    assert code == 0, err
    text = path.read_text(encoding="utf-8")
    assert "… 780 more" in text and "… 26 more" in text and "… 6 more" in text


def test_draw_bad_arguments_are_one_line_exit_2(capsys, tmp_path):
    code, _, err = run(
        ["draw", "--layers", "2", "3", "1", "--input", "1", "0", "1", "-o", str(tmp_path / "x.svg")], capsys
    )
    assert (
        code == 2
        and err.strip() == "graphnet draw: error: --input has 3 values; --layers 2 3 1 has 2 input nodes, so expected 2"
    )
    code, _, err = run(["draw", "-o", str(tmp_path / "missing" / "x.svg")], capsys)
    assert code == 2 and one_line(err) and "does not exist" in err
    with pytest.raises(SystemExit) as info:
        main(["draw", "--max-nodes", "1", "-o", str(tmp_path / "x.svg")])
    err = capsys.readouterr().err
    assert (
        info.value.code == 2 and one_line(err) and "argument --max-nodes: expected a whole number ≥ 3, got '1'" in err
    )
    with pytest.raises(SystemExit) as info:
        main(["draw", "--layers", "2", "3"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and one_line(err) and "-o/--output" in err
    assert not list(tmp_path.iterdir())


def test_step_html_writes_the_player(capsys, tmp_path):
    path = tmp_path / "step.html"
    argv = ["step", "--layers", "2", "2", "1", "--input", "1", "0", "--target", "1", "--html", str(path)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "26 steps of one training step" in out and "open it in a browser" in out
    html = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="graphnet-data">(.*?)</script>', html, re.S)[1])
    assert len(data["steps"]) == 26 and data["steps"][0]["formula"] == "o(0-0) = x_0"


def test_step_html_bad_arguments_are_one_line_exit_2(capsys, tmp_path):
    code, _, err = run(["step", "--html", str(tmp_path / "missing" / "step.html")], capsys)
    assert code == 2 and one_line(err) and err.startswith("graphnet step: error: cannot write")
    code, _, err = run(["step", "--input", "1", "--html", str(tmp_path / "step.html")], capsys)
    assert code == 2 and one_line(err) and "--input has 1 value; --layers 3 4 2 has 3 input nodes, so expected 3" in err
    assert not list(tmp_path.iterdir())


def test_draw_and_step_html_pass_show_digits_and_names_to_the_picture(capsys, tmp_path):
    sample = ["--layers", "2", "2", "2", "--input", "0.05", "0.1", "--target", "0.01", "0.99"]
    picture = ["--show", "o,w,grad,E", "--digits", "8", "--names", "textbook"]
    svg_path, html_path = tmp_path / "net.svg", tmp_path / "step.html"
    code, _, err = run(["draw", *sample, *picture, "-o", str(svg_path)], capsys)
    assert code == 0, err
    net = Network([2, 2, 2], seed=0)  # the command's network, built and run here
    net.forward([0.05, 0.1])
    net.backward([0.01, 0.99])
    expected = net.to_svg(target=[0.01, 0.99], show="o,w,grad,E", digits=8, names="textbook")
    svg = svg_path.read_text(encoding="utf-8")
    assert svg == expected and expected != net.to_svg(target=[0.01, 0.99])
    assert (
        f">w5 = {format_number(list(net.connections)[6].weight, 8)}<" in svg
        and "val-net-" not in svg
        and "val-delta-" not in svg
    )

    code, _, err = run(["step", *sample, *picture, "--rate", "0.5", "--html", str(html_path)], capsys)
    assert code == 0, err
    html = html_path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="graphnet-data">(.*?)</script>', html, re.S)[1])
    stepper = Network([2, 2, 2], seed=0).stepper([0.05, 0.1], [0.01, 0.99], rate=0.5, digits=8)
    assert data == json.loads(json.dumps(record(stepper, show="o,w,grad,E", digits=8, names="textbook").to_data()))
    assert data["digits"] == 8 and data["names"]["connections"][6] == "w5"
    textbook = Network([2, 2, 2], seed=0).stepper([0.05, 0.1], [0.01, 0.99], rate=0.5, digits=8, names="textbook")
    # the player writes the formulas with the stepper's digits and the chosen names
    assert [s["numbers"] for s in data["steps"]] == [e.numbers for e in textbook.run()]


def test_train_plot_writes_the_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    code, out, err = run(["train", "--data", "and", "--hidden", "--epochs", "20", "--plot", str(path)], capsys)
    assert code == 0, err
    assert f"wrote {path}" in out and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_plot_without_matplotlib_says_how_to_install(capsys, tmp_path, monkeypatch):
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, out, err = run(["train", "--data", "and", "--epochs", "5", "--plot", str(tmp_path / "loss.png")], capsys)
    assert code == 2 and one_line(err)
    assert err.startswith("graphnet train: error: --plot needs matplotlib") and 'pip install "graphnet[plot]"' in err
    assert "training" not in out  # it failed before training, not after
    assert not list(tmp_path.iterdir())
