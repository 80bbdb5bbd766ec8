"""Training curves as a PNG (with matplotlib) and the message when matplotlib is missing."""

import struct
import sys

import pytest

from graphnet import History, Network
from graphnet.math.errors import EmptyDataError, GraphnetError, MissingDependencyError, MissingFileError, ShapeError
from graphnet.views.plot import default_title, plot_history

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
T = [[0.1], [0.9], [0.9], [0.1]]


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def history(epochs=40):
    return Network([2, 3, 1], seed=0).train(X, T, rate=2.0, epochs=epochs)


def hide_matplotlib(monkeypatch):
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)


def test_loss_curve_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_history(history(), tmp_path / "loss.png", dpi=50)
    assert path == tmp_path / "loss.png" and png_size(path) == (350, 200)


def test_loss_and_accuracy_png(tmp_path):
    pytest.importorskip("matplotlib")
    trained = history(30)
    accuracies = [min(1.0, 0.25 + 0.03 * k) for k in range(30)]
    path = plot_history(trained, tmp_path / "curves.png", accuracies=accuracies, title="xor <&>", dpi=50)
    assert png_size(path) == (350, 325)


def test_bad_histories_and_paths(tmp_path):
    pytest.importorskip("matplotlib")
    empty = History(engine="graph", rate=0.5, batch_size=1, reduction="mean")
    with pytest.raises(EmptyDataError, match="got 0 losses"):
        plot_history(empty, tmp_path / "x.png")
    with pytest.raises(ShapeError, match=r"one value per epoch \(40\); got 2"):
        plot_history(history(), tmp_path / "x.png", accuracies=[0.5, 0.6])
    with pytest.raises(MissingFileError, match="does not exist"):
        plot_history(history(), tmp_path / "missing" / "x.png")
    assert not list(tmp_path.iterdir())


def test_without_matplotlib_the_error_says_how_to_install(tmp_path, monkeypatch):
    hide_matplotlib(monkeypatch)
    with pytest.raises(MissingDependencyError, match=r'pip install "graphnet\[plot\]"') as caught:
        plot_history(history(), tmp_path / "x.png")
    assert isinstance(caught.value, GraphnetError) and isinstance(caught.value, ImportError)
    assert not (tmp_path / "x.png").exists()


def test_default_title_names_the_settings():
    assert default_title(history()) == "graph training · rate 2 · batch size 1"
    full = Network([2, 1], seed=0).train(X, T, rate=0.5, batch_size=None, engine="fast")
    assert default_title(full) == "fast training · rate 0.5 · full batch"
