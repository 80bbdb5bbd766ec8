"""The command line: called through main([...]) so failures show as test failures."""

import pytest
from rich.console import Console

from graphnet import __version__
from graphnet.cli import main


def run(argv, capsys):
    console = Console(record=True, width=120, color_system=None)
    try:
        code = main(argv, console=console)
    except SystemExit as exit_:  # argparse refused an option
        code = exit_.code
    captured = capsys.readouterr()
    return code, console.export_text() + captured.out, captured.err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"graphnet {__version__}"
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0 and "demo" in capsys.readouterr().out


def test_demo_xor_trains_the_graph(capsys):
    code, out, err = run(["demo", "xor"], capsys)
    assert code == 0, err
    assert "accuracy: 100%" in out and "Before training:" in out and "1-0: output:" in out


def test_unknown_subcommand_and_demo_are_one_line_exit_2(capsys):
    for argv in (["frobnicate"], ["demo", "nosuchdemo"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "error" in err


def test_dump_prints_the_classic_dump_after_one_sample(capsys):
    code, out, err = run(["dump", "--layers", "2", "3", "1", "--input", "1", "0", "--target", "1"], capsys)
    assert code == 0, err
    assert (
        "1-2: output:" in out
        and "(0-0) -> (1-0) =" in out
        and "delta: 0\n" not in out.split("layer 1:")[1].split("layer 2:")[0]
    )


def test_dump_with_a_wrong_input_length_is_one_line_exit_2(capsys):
    code, _out, err = run(["dump", "--layers", "2", "3", "1", "--input", "1", "0", "1"], capsys)
    assert code == 2
    assert err.strip() == "graphnet dump: error: --input has 3 values; --layers 2 3 1 has 2 input nodes, so expected 2"


def test_step_driven_by_piped_commands_shows_the_formulas(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n\np\nb\nr\nq\n"))
    code, out, err = run(["step", "--layers", "2", "2", "1", "--input", "1", "0", "--target", "1"], capsys)
    assert code == 0, err
    assert "o(0-0) = 1" in out and "o(1-0) = σ(" in out
    assert "undone: step" in out and "δ(2-0) = o·(1−o)·(y − t)" in out
    assert "w(0-0→1-0) ← w − η·∂E/∂w" in out
    assert "stopped at step 26/26" in out


def test_step_with_an_unknown_activation_is_one_line_exit_2(capsys):
    code, _out, err = run(["step", "--activation", "sigmod"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "argument --activation: invalid choice: 'sigmod' (choose from 'sigmoid', 'tanh'," in err


def test_train_on_a_gate_and_on_your_csv(capsys, tmp_path):
    code, out, err = run(["train", "--data", "and", "--hidden", "--epochs", "300", "--rate", "2"], capsys)
    assert code == 0, err
    assert "training accuracy: 100.00%" in out
    csv = tmp_path / "data.csv"
    csv.write_text("x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n")
    code, out, err = run(
        ["train", "--csv", str(csv), "--hidden", "--epochs", "300", "--rate", "2", "--engine", "fast"], capsys
    )
    assert code == 0, err
    assert "training accuracy: 100.00%" in out


def test_train_bad_arguments_are_one_line_exit_2(capsys, tmp_path):
    code, _, err = run(["train", "--rate", "-1"], capsys)
    assert code == 2 and err.strip() == "graphnet train: error: argument --rate: expected a finite number > 0, got '-1'"
    code, _, err = run(["train", "--csv", str(tmp_path / "missing.csv")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "missing.csv" in err
    code, _, err = run(["train", "--batch-size", "lots"], capsys)
    assert code == 2 and "batch-size" in err


def test_step_and_train_take_an_optimizer_and_dropout(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("r\nq\n"))
    argv = ["step", "--layers", "2", "3", "1", "--input", "1", "0.5", "--target", "1", "--optimizer", "momentum"]
    code, out, err = run([*argv, "--dropout", "0.5", "--seed", "1"], capsys)
    assert code == 0, err
    assert "v ← μ·v − η·g = 0.9·0 − 0.5·" in out and "(dropped)" in out and "·m/q" in out
    code, out, err = run(
        ["train", "--data", "xor", "--hidden", "4", "--epochs", "50", "--optimizer", "adam", "--rate", "0.05"], capsys
    )
    assert code == 0, err
    assert "50 epochs, 200 updates, rate 0.05, adam" in out
    code, _out, err = run(["train", "--data", "xor", "--dropout", "1.5"], capsys)
    assert code == 2 and "argument --dropout: expected a probability 0 ≤ p < 1, got '1.5'" in err


def test_gradcheck_with_dropout_checks_under_fixed_masks(capsys):
    code, out, err = run(["gradcheck", "--layers", "3", "5", "2", "--dropout", "0.5", "--samples", "2"], capsys)
    assert code == 0, err
    assert "checking under one fixed set of masks" in out and "PASSED" in out
