"""Every CLI error names the option as typed, and comes before any work or output.

One case per class of mistake: a number out of range (refused by argparse while parsing), a
name that is not known, a sample that does not fit --layers, options that do not fit each
other or the data, a network the options cannot build or train, a bad CSV file.  Each must
exit 2 with one line on stderr naming the option, print nothing on stdout (no banner, no
heading), and never speak the library's argument names (``x``, ``sizes[1]``, ``n_samples``,
``max_rows``, ``batch_size=``).
"""

from __future__ import annotations

import io
import statistics
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from graphnet.cli import main
from graphnet.cli.commands import build_parser
from graphnet.cli.data import load_training_data, scaled
from graphnet.datasets import standardize

#: The library's own names, which a command-line user never typed.
API_NAMES = (
    "target=",
    ": x has",
    ": target has",
    "sizes[",
    "sizes=",
    "n_samples",
    "max_rows",
    "batch_size=",
    "max_nodes",
    "per_layer",
)

CASES: list[tuple[str, str]] = [
    # numbers out of range, refused while parsing
    ("train --epochs 0", "argument --epochs: expected a whole number ≥ 1, got '0'"),
    ("train --rate -1", "argument --rate: expected a finite number > 0, got '-1'"),
    ("train --rate nan", "argument --rate: expected a finite number > 0"),
    ("step --rate 0", "argument --rate: expected a finite number > 0, got '0'"),
    ("train --dropout 1", "argument --dropout: expected a probability 0 ≤ p < 1, got '1'"),
    ("dump --seed -1", "argument --seed: expected a whole number ≥ 0, got '-1'"),
    ("train --hidden 0", "argument --hidden: expected a whole number ≥ 1, got '0'"),
    ("train --data mnist --samples 0", "argument --samples: expected a whole number ≥ 1, got '0'"),
    ("dump --layers 3 0 2", "argument --layers: expected a whole number ≥ 1, got '0'"),
    ("gradcheck --samples 0", "argument --samples: expected a whole number ≥ 1, got '0'"),
    ("gradcheck --rows -1", "argument --rows: expected a whole number ≥ 0, got '-1'"),
    ("gradcheck --mode sample --per-layer 0", "argument --per-layer: expected a whole number ≥ 1"),
    ("gradcheck --mode directional --directions 0", "argument --directions: expected a whole number ≥ 1"),
    ("gradcheck --epsilon 0", "argument --epsilon: expected a finite number > 0"),
    ("gradcheck --l2 -1", "argument --l2: expected a finite number ≥ 0"),
    ("draw --max-nodes 1 -o {tmp}/x.svg", "argument --max-nodes: expected a whole number ≥ 3, got '1'"),
    ("dump --input nan 0 1", "argument --input: expected a finite number, got 'nan'"),
    ("demo optimizers --dropout 1", "argument --dropout: expected a probability 0 ≤ p < 1"),
    ("demo mnist --seed -2", "argument --seed: expected a whole number ≥ 0"),
    # names that are not known
    ("train --activation sigmod", "argument --activation: invalid choice: 'sigmod'"),
    ("dump --loss hinge", "argument --loss: invalid choice: 'hinge'"),
    ("gradcheck --init zeros", "argument --init: invalid choice: 'zeros'"),
    ("step --output-activation softplus", "argument --output-activation: invalid choice"),
    # a sample that does not fit --layers
    ("step --layers 3 4 2 --input 1 0", "--input has 2 values; --layers 3 4 2 has 3 input nodes, so expected 3"),
    ("dump --layers 3 4 2 --target 1", "--target has 1 value; --layers 3 4 2 has 2 output nodes, so expected 2"),
    ("draw --input 1 2 -o {tmp}/x.svg", "--input has 2 values; --layers 3 4 2 has 3 input nodes"),
    (
        "dump --loss bce --target 2 0",
        "binary_cross_entropy needs targets in [0, 1]; got values from 0 to 2 (option --target)",
    ),
    ("dump --layers 3", "--layers needs at least an input and an output size, e.g. --layers 3 4 2; got --layers 3"),
    ("gradcheck --layers 3", "--layers needs at least an input and an output size"),
    # options that do not fit each other or the data
    ("train --data and --batch-size 100", "--batch-size 100 is more than the 4 samples of and; expected at most 4"),
    ("train --data mnist --samples 5000", "--samples 5000, but the bundled train split holds only 4000 images"),
    ("demo mnist --samples 5 --batch-size 100", "--batch-size 100 is more than --samples 5; expected at most 5"),
    ("demo optimizers --samples 10 --batch-size 32", "--batch-size 32 is more than --samples 10"),
    ("demo mnist17 --samples 900", "--samples: expected 1 … 800 ones and sevens, got 900"),
    (
        "demo speed --sizes 5 3",
        "--sizes must start with 784 inputs (one per pixel) and have an output layer; got --sizes 5 3",
    ),
    ("demo speed --samples 5000", "--samples 5000, but the bundled train split holds only 4000 images"),
    # a network the options cannot build or train
    ("dump --loss categorical_cross_entropy", "(--layers 3 4 2 --activation sigmoid --loss categorical_cross_entropy)"),
    ("train --loss categorical_cross_entropy", "needs a 'softmax' output layer; got 'sigmoid' (--activation tanh"),
    ("train --activation step", "argument --activation: invalid choice: 'step'"),
    ("gradcheck --activation step", "has no derivative"),
    ("step --activation step", "(--layers 3 4 2 --activation step --loss squared_error)"),
    ("gradcheck --activation relu --output-activation softmax --layers 3 4 1", "softmax over 1 output unit"),
    ("dump --layers 100000 1000 2", "--layers 100000 1000 2 would need 100,003,002 connections"),
    # a bad CSV file
    ("train --csv {tmp}/text.csv", "'{tmp}/text.csv', line 2, column 'x2': expected a number, got 'abc'"),
    ("train --csv {tmp}/good.csv --target-column nope", "unknown target column 'nope'; known: label, x1, x2"),
    ("train --csv {tmp}/good.csv --target-column 5", "--target-column 5: expected a column index from -3 to 2"),
    ("train --csv {tmp}/good.csv --target-column -4", "--target-column -4: expected a column index from -3 to 2"),
]


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str, str]:
    console = Console(file=io.StringIO(), width=200)
    try:
        code: int | str | None = main(argv, console=console)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, console.file.getvalue() + captured.out, captured.err  # type: ignore[attr-defined]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "text.csv").write_text("x1,x2,label\n0,abc,0\n", encoding="utf-8")
    (tmp_path / "good.csv").write_text("x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("case", "fragment"), CASES, ids=[case for case, _ in CASES])
def test_each_error_names_the_option_as_typed_before_any_output(
    case: str, fragment: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = case.replace("{tmp}", str(folder)).split()
    code, out, err = call(argv, capsys)
    assert code == 2, (code, out, err)
    assert out == "", f"printed before the error: {out!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], err
    assert fragment.replace("{tmp}", str(folder)) in err, err
    assert not any(name in err for name in API_NAMES), err
    assert not list(folder.glob("*.svg"))  # nothing written


def test_a_negative_target_column_is_a_position_from_the_end(folder: Path) -> None:
    parser = build_parser()
    by_name = load_training_data(parser.parse_args(["train", "--csv", str(folder / "good.csv")]))
    by_position = load_training_data(
        parser.parse_args(["train", "--csv", str(folder / "good.csv"), "--target-column", "-1"])
    )
    first = load_training_data(parser.parse_args(["train", "--csv", str(folder / "good.csv"), "--target-column", "0"]))
    assert np.array_equal(by_name.labels, by_position.labels) and np.array_equal(by_name.inputs, by_position.inputs)
    assert first.labels.tolist() == [0, 0, 1, 1]  # column x1 as the label


def test_scale_standardises_each_input_column_by_the_training_data(folder: Path) -> None:
    path = folder / "wide.csv"
    rows = [(1.0, 200.0, 0), (2.0, 400.0, 1), (3.0, 200.0, 0), (6.0, 1000.0, 1)]
    path.write_text("a,b,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8")
    data = load_training_data(build_parser().parse_args(["train", "--csv", str(path)]))
    z = scaled(data)
    for column in range(2):
        values = [row[column] for row in rows]
        mean, std = statistics.fmean(values), statistics.pstdev(values)  # independent of numpy
        assert z.inputs[:, column].tolist() == pytest.approx([(v - mean) / std for v in values], rel=1e-12)
    assert np.array_equal(z.labels, data.labels) and np.array_equal(z.targets, data.targets)


def test_standardize_leaves_a_constant_column_at_zero_and_scales_test_data_alike() -> None:
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    Z, mean, std = standardize(train)
    assert Z.tolist() == [[-1.0, 0.0], [1.0, 0.0]] and std.tolist() == [1.0, 1.0]
    test, _, _ = standardize([[5.0, 7.0]], mean=mean, std=std)
    assert test.tolist() == [[3.0, 2.0]]


def test_scaled_training_reaches_what_unscaled_does_not(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    inputs = np.column_stack([labels * 2.0 + rng.normal(0, 0.3, 60), 1000.0 + 50.0 * rng.normal(0, 1, 60)])
    path = folder / "skewed.csv"
    path.write_text(
        "a,b,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(inputs, labels, strict=True)), encoding="utf-8"
    )
    argv = ["train", "--csv", str(path), "--epochs", "30", "--engine", "fast"]
    code, plain, err = call(argv, capsys)
    assert code == 0, err
    code, standardised, err = call([*argv, "--scale"], capsys)
    assert code == 0, err
    assert "(standardised)" in standardised

    def accuracy(text: str) -> float:
        return float(text.split("training accuracy: ")[1].split("%", maxsplit=1)[0])

    assert accuracy(standardised) > 90.0 and accuracy(standardised) > accuracy(plain)
