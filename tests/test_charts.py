"""Character plots and PNG curves."""

import sys

import numpy as np
import pytest

from graphnet.math.errors import GraphnetError, MissingDependencyError, MissingFileError, ShapeError
from graphnet.views.charts import POINT, curves_png, text_plot


def test_text_plot_has_height_rows_plus_the_x_range_and_labels_top_zero_bottom():
    x = np.linspace(-2.0, 2.0, 81)
    lines = text_plot(x, np.tanh(x), width=21, height=5).plain.splitlines()
    assert len(lines) == 6
    assert lines[0].lstrip().startswith("0.964 ┤") and lines[2].lstrip().startswith("0 ┼")
    assert lines[4].startswith("-0.964 ┤") and lines[5].split() == ["-2", "2"]
    # the curve rises left to right: its point in the top row lies right of the one in the bottom row
    assert lines[0].rindex(POINT) > lines[4].index(POINT)


def test_text_plot_connects_a_jump():
    x = np.linspace(-1.0, 1.0, 11)
    lines = text_plot(x, (x >= 0).astype(float), width=11, height=4).plain.splitlines()
    column = lines[0].index(POINT)
    assert all(line[column] == POINT for line in lines[:3]) and lines[3][column - 1] == POINT


def test_text_plot_refuses_bad_input():
    with pytest.raises(ShapeError, match="same number"):
        text_plot([1.0, 2.0], [1.0])
    with pytest.raises(GraphnetError, match="width"):
        text_plot([1.0], [1.0], width=1)


def test_curves_png_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    x = np.linspace(0, 1, 5)
    path = curves_png([("a", [("y", x, x)]), ("b", [("y", x, x), ("y²", x, x**2)])], tmp_path / "c.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(MissingFileError, match="does not exist"):
        curves_png([("a", [("y", x, x)])], tmp_path / "missing" / "c.png")


def test_curves_png_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "graphnet\[plot\]"'):
        curves_png([("a", [("y", [0, 1], [0, 1])])], tmp_path / "c.png")


def png_size(path):
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_optimizers_png_is_large_with_a_log_loss_axis(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from graphnet.demos import optimizers

    seen = {}
    original = optimizers.curves_png

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(optimizers, "curves_png", spy)
    runs = [optimizers.OptimizerRun(name, 0.1, [2.0, 0.5 / k, 0.02 / k], 0.9, 1.0) for k, name in enumerate("ab", 1)]
    path = optimizers.save_optimizers_png(tmp_path / "o.png", runs)
    assert png_size(path) == (1200, 750)
    assert seen["log_y"] is True and seen["markers"] is True


def test_accuracy_curves_are_zoomed_to_their_values(tmp_path):
    pytest.importorskip("matplotlib")
    from graphnet.demos.options import save_curve_png, zoomed_range

    assert zoomed_range([0.852, 0.918]) == (0.8, 1.005)
    assert zoomed_range([0.01, 0.5]) == (0.0, 1.005)
    path = save_curve_png(tmp_path / "a.png", [1, 2], [0.85, 0.9], title="t", xlabel="x", ylabel="y", zoom=True)
    assert png_size(path) == (1000, 600)
