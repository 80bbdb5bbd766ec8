"""`graphnet train --data NAME` with every default succeeds, and a run that falls short says so.

The goals are the issue's: xor and every gate 100 %, toy:circle, toy:xor, toy:gauss and
toy:two_moons ≥ 97 %, toy:spiral ≥ 95 % (two arms, 1.75 turns), mnist ≥ 90 % on the test
images (on the fast path, its default).  Toy sets are judged on their test half and on the
training half.  The time each run takes is printed (pytest -s shows each figure), never asserted.
"""

import re

import numpy as np
import pytest

from graphnet import Network
from graphnet.cli.commands import main
from graphnet.cli.data import DATA_NAMES
from graphnet.cli.defaults import DEFAULTS, best_training_accuracy
from graphnet.datasets import GATE_NAMES, logic_gate, toy_dataset
from graphnet.tools.recording import train_recorded
from graphnet.views.training_plot import accuracy_range, log_scale, plot_training

GOALS = {
    **dict.fromkeys(GATE_NAMES, 1.0),
    "toy:circle": 0.97,
    "toy:xor": 0.97,
    "toy:gauss": 0.97,
    "toy:two_moons": 0.97,
    "toy:spiral": 0.95,
    "mnist": 0.90,
    "mnist17": 0.97,
}


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def figures(out):
    """Training and test accuracy (0 … 1, test None if absent), epochs and seconds from the report."""
    train = re.search(r"^training accuracy: ([0-9.]+)%$", out, re.M)
    test = re.search(r"^test accuracy: ([0-9.]+)%$", out, re.M)
    timing = re.search(r"^epochs: (\d+) · time: ([0-9.]+) s$", out, re.M)
    assert train is not None and timing is not None, out
    return (
        float(train.group(1)) / 100,
        None if test is None else float(test.group(1)) / 100,
        int(timing.group(1)),
        float(timing.group(2)),
    )


def test_every_data_set_has_defaults_and_a_goal():
    assert set(DEFAULTS) == set(DATA_NAMES) == set(GOALS)
    for name, goal in GOALS.items():
        assert DEFAULTS[name].goal == goal


def check_default_run(name, capsys, *extra):
    out = run(["train", "--data", name, *extra], capsys)
    train, test, epochs, seconds = figures(out)
    shown = "none" if test is None else f"{test:.2%}"
    print(f"{name} {' '.join(extra)}: training {train:.2%}, test {shown}, {epochs} epochs, {seconds:.2f} s")
    goal = GOALS[name]
    assert epochs == DEFAULTS[name].epochs
    if name in GATE_NAMES:
        assert test is None and train == 1.0
    else:
        assert test is not None and test >= goal
        assert train >= goal
    assert f"reached what {name} allows" in out
    assert f"settings: --hidden {' '.join(map(str, DEFAULTS[name].hidden))} " in out


@pytest.mark.parametrize("name", DATA_NAMES)
def test_default_run_reaches_its_goal(name, capsys):
    check_default_run(name, capsys)


@pytest.mark.parametrize("name", [name for name in DATA_NAMES if DEFAULTS[name].engine == "graph" and "toy" in name])
def test_graph_default_toy_sets_reach_their_goal_on_the_fast_path_too(name, capsys):
    check_default_run(name, capsys, "--engine", "fast")


def test_a_run_without_a_hidden_layer_says_xor_needs_one(capsys):
    out = run(["train", "--data", "xor", "--hidden"], capsys)
    assert "below what xor allows: training accuracy" in out and "but this data allows 100%" in out
    assert "a hidden layer (--hidden 4)" in out
    assert "or the defaults for xor, which reach it: --hidden 4 --activation tanh" in out


def test_a_short_run_is_told_to_train_longer(capsys):
    out = run(["train", "--data", "xor", "--epochs", "40", "--rate", "0.1"], capsys)
    assert "below what xor allows" in out and "more epochs (--epochs 80): the loss was still falling" in out


def test_a_stuck_run_is_told_what_to_change(capsys):
    out = run(["train", "--data", "toy:spiral", "--hidden", "2", "--epochs", "20"], capsys)
    assert "below what toy:spiral allows: test accuracy" in out
    assert "the loss stopped falling at" in out or "more epochs" in out


def test_csv_goal_is_what_equal_inputs_allow(tmp_path, capsys):
    X = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    labels = np.array([1, 1, 0, 0])
    assert best_training_accuracy(X, labels) == 0.75  # one of the three equal rows must be wrong
    assert best_training_accuracy(X[2:], labels[2:]) == 1.0
    csv = tmp_path / "points.csv"
    csv.write_text("a,b,label\n0,0,1\n0,0,1\n0,0,0\n1,1,0\n", encoding="utf-8")
    out = run(["train", "--csv", str(csv), "--epochs", "200"], capsys)
    assert "reached what" in out and "≥ 75%" in out


def test_toy_sets_have_a_test_half_of_the_same_draw():
    X, labels = toy_dataset("spiral", 800, seed=0)
    assert X.shape == (800, 2) and labels.sum() == 400


def test_recorded_training_makes_the_same_updates_as_one_call():
    X, labels = toy_dataset("two_moons", 60, seed=1)
    T = labels[:, None].astype(float)
    for engine in ("graph", "fast"):
        once, recorded = (Network([2, 5, 1], activation="tanh", seed=2) for _ in range(2))
        settings = {"batch_size": 7, "optimizer": "adam", "shuffle": True, "engine": engine}
        history = once.train(X, T, rate=0.02, epochs=4, seed=3, **settings)
        record = train_recorded(recorded, X, T, labels, rate=0.02, epochs=4, seed=3, keep_params=True, **settings)
        assert record.history.losses == history.losses and record.history.updates == history.updates
        for (W, b), (W2, b2) in zip(once.get_params(), recorded.get_params(), strict=True):
            np.testing.assert_array_equal(W, W2)
            np.testing.assert_array_equal(b, b2)
        np.testing.assert_array_equal(record.params[-1][0][0], recorded.get_params()[0][0])
        assert len(record.params) == 5 and record.accuracies[-1] == recorded.accuracy(X, labels)


def test_loss_axis_is_logarithmic_only_when_the_loss_spans_a_decade():
    assert log_scale([0.139, 0.05, 0.0028])
    assert not log_scale([0.127, 0.125, 0.123])  # the stuck run of the issue: a linear axis shows it flat
    assert not log_scale([0.5, 0.0])
    assert accuracy_range([0.83, 0.97]) == (75.0, 101.0)
    assert accuracy_range([0.02]) == (0.0, 101.0)


def test_training_plot_sizes(tmp_path):
    pytest.importorskip("matplotlib")
    X, T = logic_gate("xor")
    net = Network([2, 3, 1], activation="tanh", seed=0)
    record = train_recorded(net, X, T, T[:, 0], rate=0.5, epochs=3)
    png = plot_training(record, tmp_path / "p.png", title="t", boundary=(net.vectorized().predict, X, T[:, 0]))
    width, height = int.from_bytes(png.read_bytes()[16:20], "big"), int.from_bytes(png.read_bytes()[20:24], "big")
    assert (width, height) == (1600, 800)
    weights = plot_training(record, tmp_path / "w.png", first_layer=np.ones((3, 4)), image_side=2)
    assert weights.stat().st_size > 0
    alone = plot_training(record, tmp_path / "a.png")
    assert int.from_bytes(alone.read_bytes()[16:20], "big") == 900


def test_html_needs_two_inputs(tmp_path, capsys):
    csv = tmp_path / "three.csv"
    csv.write_text("a,b,c,label\n0,0,0,0\n1,1,1,1\n", encoding="utf-8")
    assert main(["train", "--csv", str(csv), "--html", str(tmp_path / "p.html")]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("--html replays training over the plane of two inputs; " + str(csv) + " has 3 inputs")
    assert not (tmp_path / "p.html").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "-1"], "argument --epochs: expected a whole number ≥ 1, got '-1'"),
        (["--epochs", "0", "--plot", "{tmp}/p.png"], "argument --epochs: expected a whole number ≥ 1, got '0'"),
    ],
)
def test_bad_epochs_are_refused_before_training(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:  # refused while the options are read
        main(["train", *(a.format(tmp=tmp_path) for a in argv)])
    assert refused.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
