"""More than 100 bad ``graphnet`` invocations: each exits 2 with one line on stderr, no traceback.

Each case is called through ``main([...])`` (a usage error argparse finds raises SystemExit(2),
one graphnet finds returns 2; both are counted the same).  The cases naming a bad file are
also checked to do no work: the functions that load data, build networks, benchmark or run a
demo are replaced by ones that fail the test if called, so the path is refused right after
parsing.  A few cases run through ``python -m graphnet`` to prove no traceback reaches stderr.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from graphnet.cli import commands, main, pictures
from graphnet.graph.network import Network
from graphnet.math import validation

ROOT = Path(__file__).resolve().parent.parent

#: CSV files (name -> bytes) each bad in its own way; "{tmp}" in a case is the folder holding them.
BAD_CSVS: dict[str, bytes] = {
    "utf16.csv": "x1,x2,label\n0,0,0\n1,1,1\n".encode("utf-16"),
    "utf16be.csv": "x1,x2,label\n0,0,0\n1,1,1\n".encode("utf-16-be"),
    "latin1.csv": "x1,café,label\n0,0,0\n1,1,1\n".encode("latin-1"),
    "binary.csv": bytes(range(256)) * 4,
    "garbage.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff",
    "nul.csv": b"x1,x2,label\n0,\x00,0\n",
    "empty.csv": b"",
    "blank.csv": b"\n\n   \n",
    "header.csv": b"x1,x2,label\n",
    "ragged.csv": b"x1,x2,label\n0,0,0\n1,1\n",
    "long_row.csv": b"x1,x2,label\n0,0,0\n1,1,1,1\n",
    "text.csv": b"x1,x2,label\n0,abc,0\n",
    "empty_cell.csv": b"x1,x2,label\n0,,0\n",
    "nan.csv": b"x1,x2,label\n0,nan,0\n1,1,1\n",
    "inf.csv": b"x1,x2,label\n0,inf,0\n1,1,1\n",
    "huge_value.csv": b"x1,x2,label\n0,1e400,0\n1,1,1\n",
    "quote.csv": b'x1,x2,label\n"0"1,0,0\n',
    "dup.csv": b"x1,x1,label\n0,0,0\n",
    "no_features.csv": b"label\n0\n1\n",
    "no_label.csv": b"x1,x2\n0,0\n",
    "half.csv": b"x1,x2,label\n0,0,0\n1,1,0.5\n",
    "negative.csv": b"x1,x2,label\n0,0,0\n1,1,-1\n",
    "billion.csv": b"x1,x2,label\n0,0,0\n1,1,1e9\n",
    "e300.csv": b"x1,x2,label\n0,0,0\n1,1,1e300\n",
    "nan_label.csv": b"x1,x2,label\n0,0,nan\n1,1,1\n",
    "max_classes.csv": b"x1,x2,label\n0,0,0\n1,1,1000\n",
}
GOOD_CSV = b"x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


def _sys_refuses_files() -> bool:
    """/sys is read-only even for root on Linux: a real unwritable folder, no chmod needed."""
    try:
        validation.check_output_file("/sys/graphnet-probe.json")
    except validation.PathError:
        return True
    return False


SYS_REFUSES_FILES = _sys_refuses_files()

#: (argv with {tmp} for the folder of files, whether the case must do no work at all).
CASES: list[tuple[str, bool]] = [
    # numbers that are not numbers, or out of range
    ("train --batch-size ²", True),
    ("train --batch-size ³", True),
    ("train --batch-size ١٢", True),
    ("train --batch-size 0", True),
    ("train --batch-size -3", True),
    ("train --batch-size 1.5", True),
    ("train --batch-size lots", True),
    ("train --batch-size ''", True),
    ("train --epochs -1", False),
    ("train --epochs x", True),
    ("train --epochs 1.5", True),
    ("train --epochs ²", True),
    ("train --rate nan", False),
    ("train --rate inf", False),
    ("train --rate -inf", False),
    ("train --rate 0", False),
    ("train --rate -1", False),
    ("train --rate 1e400", False),
    ("train --rate fast", True),
    ("train --hidden 0", False),
    ("train --hidden -2", False),
    ("train --hidden 100000000", False),
    ("train --hidden 4 x", True),
    ("train --dropout 1", False),
    ("train --dropout nan", False),
    ("train --dropout -0.1", False),
    ("train --seed -1", False),
    ("train --seed x", True),
    ("train --samples 0 --data mnist", False),
    ("train --samples -4 --data mnist", False),
    ("train --samples 100000000 --data mnist", False),
    # unknown names
    ("train --activation sigmod", False),
    ("train --output-activation nope", False),
    ("train --loss nope", False),
    ("train --init nope", False),
    ("train --optimizer nope", True),
    ("train --data nope", True),
    ("train --data toy:nope", True),
    ("train --engine nope", True),
    ("train --reduction nope", True),
    ("train --data and --activation step", False),
    ("train --data xor --csv {tmp}/good.csv", True),
    ("train --target-column ² --csv {tmp}/good.csv", False),
    ("train --target-column 9 --csv {tmp}/good.csv", False),
    ("train --target-column nope --csv {tmp}/good.csv", False),
    # bad input paths
    ("train --csv {tmp}", True),
    ("train --csv {tmp}/missing.csv", True),
    ("train --csv {tmp}/no/such/folder.csv", True),
    ("train --csv {tmp}/fifo.csv", True),
    ("train --csv /dev/null", True),
    ("train --csv {tmp}/loop.csv", True),
    ("train --csv {tmp}/good.csv/inside.csv", True),
    ("train --csv {tmp}/unreadable.csv", True),
    # bad CSV files, one per defect
    *((f"train --csv {{tmp}}/{name}", False) for name in BAD_CSVS),
    # bad output paths, checked before any work
    ("train --plot {tmp}/missing/loss.png", True),
    ("train --plot {tmp}", True),
    ("train --plot {tmp}/fifo.csv", True),
    ("train --plot {tmp}/readonly/loss.png", True),
    ("train --plot {tmp}/good.csv/loss.png", True),
    ("train --plot {tmp}/" + "n" * 300 + ".png", True),
    ("train --plot /sys/loss.png", True),
    ("train --data mnist --plot {tmp}/missing/loss.png", True),
    ("draw -o {tmp}/missing/x.svg", True),
    ("draw -o {tmp}", True),
    ("draw -o {tmp}/readonly/x.svg", True),
    ("draw -o /dev/null", True),
    ("draw -o /sys/x.svg", True),
    ("draw --output {tmp}/" + "n" * 300 + ".svg", True),
    ("step --html {tmp}/missing/step.html", True),
    ("step --html {tmp}", True),
    ("step --html {tmp}/readonly/step.html", True),
    ("step --html {tmp}/fifo.csv", True),
    ("bench --json {tmp}/missing/bench.json", True),
    ("bench --json {tmp}", True),
    ("bench --json {tmp}/readonly/bench.json", True),
    ("bench --quick --json /sys/bench.json", True),
    ("bench --json {tmp}/loop.csv", True),
    ("demo mnist --checkpoint {tmp}/missing/mnist.npz", True),
    ("demo mnist --checkpoint {tmp}", True),
    ("demo mnist --checkpoint {tmp}/readonly/mnist.npz", True),
    ("demo mnist --checkpoint /sys/mnist.npz", True),
    ("demo mnist --plot {tmp}/missing/acc.png", True),
    ("demo mnist17 --plot {tmp}/missing/acc.png", True),
    ("demo mnist17 --plot {tmp}/readonly/acc.png", True),
    ("demo gates --plot {tmp}/missing/a.png", True),
    ("demo gates --plot {tmp}", True),
    ("demo optimizers --plot {tmp}/readonly/loss.png", True),
    ("demo optimizers --plot /dev/null", True),
    # bad layer sizes and samples
    ("dump --layers 0", False),
    ("dump --layers 3", False),
    ("dump --layers -1 2", False),
    ("dump --layers 3 0 2", False),
    ("dump --layers 100000 100000", False),
    ("dump --layers 3 x 2", True),
    ("dump --layers", True),
    ("dump --input nan 1 2", False),
    ("dump --input 1 2", False),
    ("dump --input 1e400 1 2", False),
    ("dump --target inf 1", False),
    ("dump --target 1", False),
    ("dump --activation nope", False),
    ("dump --loss nope", False),
    ("dump --init nope", False),
    ("dump --seed -1", False),
    ("dump --dropout 2", False),
    ("dump --loss categorical_cross_entropy --output-activation sigmoid", False),
    ("dump --activation step", False),
    ("step --rate nan", False),
    ("step --rate -1", False),
    ("step --rate x", True),
    ("step --optimizer nope", True),
    ("step --html", True),
    ("draw", True),
    ("draw -o {tmp}/x.svg --max-nodes 0", False),
    ("draw -o {tmp}/x.svg --max-nodes ²", True),
    ("draw -o {tmp}/x.svg --digits 0", True),
    ("draw -o {tmp}/x.svg --digits 18", True),
    ("draw -o {tmp}/x.svg --digits ²", True),
    ("draw -o {tmp}/x.svg --digits 4.5", True),
    ("draw -o {tmp}/x.svg --show nope", True),
    ("draw -o {tmp}/x.svg --show net,bogus", True),
    ("draw -o {tmp}/x.svg --names book", True),
    ("step --html {tmp}/step.html --digits x", True),
    ("step --html {tmp}/step.html --show w,grads", True),
    ("step --html {tmp}/step.html --names Textbook", True),
    ("step --digits -1", True),
    ("draw -o {tmp}/x.svg --layers 0", False),
    ("gradcheck --mode nope", True),
    ("gradcheck --order 3", True),
    ("gradcheck --epsilon 0", False),
    ("gradcheck --epsilon -1", False),
    ("gradcheck --epsilon nan", False),
    ("gradcheck --per-layer 0 --mode sample", False),
    ("gradcheck --directions 0 --mode directional", False),
    ("gradcheck --samples 0", False),
    ("gradcheck --samples -1", False),
    ("gradcheck --rows -1", False),
    ("gradcheck --l2 -1", False),
    ("gradcheck --l2 nan", False),
    ("gradcheck --plant-bug --layers 3 2", False),
    ("gradcheck --layers 3", False),
    ("gradcheck --activation nope", False),
    # demos: unknown names and bad options
    ("demo nope", True),
    ("demo mnist --hidden ²", True),
    ("demo mnist --epochs 0", True),
    ("demo mnist --rate nan", True),
    ("demo mnist --rate 0", True),
    ("demo mnist --batch-size 0", True),
    ("demo mnist --batch-size ²", True),
    ("demo mnist --samples 0", True),
    ("demo mnist --samples 100000", False),
    ("demo mnist --seed -1", False),
    ("demo mnist17 --samples 0", True),
    ("demo optimizers --epochs 0", True),
    ("demo speed --sizes 0", True),
    ("demo speed --sizes 785 30 10", False),
    ("demo speed --sizes 784", False),
    ("demo cg --hidden 0", True),
    ("demo tour --x", True),
    ("demo forward 1", True),
    ("frobnicate", True),
    ("--nope", True),
]


def _argv(case: str, folder: Path) -> list[str]:
    return [("" if word == "''" else word.replace("{tmp}", str(folder))) for word in case.split()]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bad files, a FIFO, a link loop, a read-only folder and an unreadable file (both simulated for root)."""
    for name, data in BAD_CSVS.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    (tmp_path / "unreadable.csv").write_bytes(GOOD_CSV)
    os.mkfifo(tmp_path / "fifo.csv")
    os.symlink(tmp_path / "loop.csv", tmp_path / "loop.csv")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    # chmod does not stop root: refuse new files in readonly/ and reading unreadable.csv the way the OS would
    real_temporary, real_access = validation.tempfile.NamedTemporaryFile, validation.os.access

    def temporary(*args: object, dir: object = None, **kwargs: object) -> object:
        if dir is not None and Path(str(dir)) == readonly:
            raise PermissionError(13, "Permission denied")
        return real_temporary(*args, dir=dir, **kwargs)  # type: ignore[call-overload]

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == tmp_path / "unreadable.csv":
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validation, "tempfile", SimpleNamespace(NamedTemporaryFile=temporary))
    monkeypatch.setattr(validation.os, "access", access)
    return tmp_path


def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every function that does a command's work fail the test if it is called."""

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("work started before the options were checked")

    for owner, name in (
        (commands, "load_training_data"),
        (commands, "network_from_args"),
        (commands, "measure"),
        (commands, "run_named_demo"),
        (commands, "_gradcheck_network"),
        (pictures, "network_from_args"),
        (Network, "train"),
    ):
        monkeypatch.setattr(owner, name, fail)


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str]:
    """main(argv): its exit status (returned, or raised by argparse) and stderr."""
    console = Console(file=io.StringIO(), width=100)
    try:
        code: int | str | None = main(argv, console=console)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def assert_one_line_exit_2(code: int | str | None, err: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].strip(), err
    assert "Traceback" not in err and "error" in lines[0], err


def test_there_are_at_least_100_cases() -> None:
    assert len(CASES) >= 100
    assert len({case for case, _ in CASES}) == len(CASES)  # no case counted twice


@pytest.mark.parametrize(("case", "before_work"), CASES, ids=[case for case, _ in CASES])
def test_bad_invocation_exits_2_with_one_line(
    case: str, before_work: bool, folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.rsplit(maxsplit=1)[-1].startswith("/sys/") and not SYS_REFUSES_FILES:
        pytest.skip("/sys takes new files here (a real read-only folder is what this case needs)")
    if before_work:
        no_work(monkeypatch)
    code, err = call(_argv(case, folder), capsys)
    assert_one_line_exit_2(code, err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 555 folder; the simulated case covers it")
def test_a_real_read_only_folder_fails_before_training(tmp_path: Path, capsys, monkeypatch) -> None:
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o555)
    no_work(monkeypatch)
    try:
        code, err = call(["train", "--plot", str(readonly / "loss.png")], capsys)
    finally:
        readonly.chmod(0o755)
    assert_one_line_exit_2(code, err)


def test_the_messages_say_what_was_expected_and_what_was_given(folder: Path, capsys, monkeypatch) -> None:
    no_work(monkeypatch)
    expected = {
        "train --batch-size ²": "--batch-size must be a positive whole number or 'full'; got '²'",
        "bench --json {tmp}/missing/b.json": "the folder {tmp}/missing does not exist (option --json)",
        "train --plot {tmp}/readonly/l.png": "{tmp}/readonly takes no new file (Permission denied) (option --plot)",
        "demo mnist --checkpoint {tmp}": "it is a folder; expected a file name (option --checkpoint)",
        "train --csv {tmp}/fifo.csv": "not a regular file (a FIFO, device or socket); expected a file (option --csv)",
    }
    for case, fragment in expected.items():
        code, err = call(_argv(case, folder), capsys)
        assert_one_line_exit_2(code, err)
        assert fragment.replace("{tmp}", str(folder)) in err, err
    for name, where in (("utf16.csv", "line 1, byte 1"), ("latin1.csv", "line 1, byte 7")):
        monkeypatch.undo()  # these load the file: only the path check is before work
        code, err = call(["train", "--csv", str(folder / name)], capsys)
        assert_one_line_exit_2(code, err)
        assert f"{str(folder / name)!r}: expected UTF-8 text" in err and where in err, err


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("0.5", "expected a class label (a whole number ≥ 0), got 0.5"),
        ("-1", "expected a class label (a whole number ≥ 0), got -1"),
        ("1e9", "expected a class label below 1000"),
        ("1e300", "got 1e+300"),
    ],
)
def test_csv_labels_are_refused_before_anything_trains(
    label: str, fragment: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(f"x1,x2,label\n0,0,0\n1,1,{label}\n", encoding="utf-8")
    monkeypatch.setattr(Network, "__init__", lambda *_a, **_k: pytest.fail("a network was built"))
    code, err = call(["train", "--csv", str(path)], capsys)
    assert_one_line_exit_2(code, err)
    assert "line 3, column 'label': expected a" in err and fragment in err and "-9.22" not in err, err


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**30), max_value=10**30).map(float),
    )
)
def test_any_bad_csv_label_is_one_line_before_training(label: float, tmp_path: Path, capsys, monkeypatch) -> None:
    good = label == label and abs(label) != float("inf") and label == int(label) and 0 <= label < 1000
    if good:
        return
    path = tmp_path / "labels.csv"
    path.write_text(f"x1,label\n0,0\n1,{label!r}\n", encoding="utf-8")
    monkeypatch.setattr(Network, "__init__", lambda *_a, **_k: pytest.fail("a network was built"))
    code, err = call(["train", "--csv", str(path)], capsys)
    assert_one_line_exit_2(code, err)
    assert "line 3, column 'label': expected a" in err and "-9.22" not in err, err


def _python_m(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "graphnet", *argv], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_python_m_graphnet_runs_the_command_line() -> None:
    from graphnet.version import __version__

    result = _python_m("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"graphnet {__version__}", result
    result = _python_m("dump", "--layers", "2", "1", "--input", "1", "0", "--target", "1")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result


def test_bad_invocations_through_python_m_print_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "utf16.csv").write_bytes(BAD_CSVS["utf16.csv"])
    (tmp_path / "big.csv").write_bytes(BAD_CSVS["billion.csv"])
    for argv in (
        ["train", "--batch-size", "²"],
        ["train", "--csv", str(tmp_path / "utf16.csv")],
        ["train", "--csv", str(tmp_path / "big.csv")],
        ["bench", "--json", str(tmp_path / "missing" / "bench.json")],
        ["demo", "mnist", "--checkpoint", str(tmp_path)],
        ["frobnicate"],
    ):
        result = _python_m(*argv)
        assert result.returncode == 2, (argv, result)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, (argv, result)
        assert not (tmp_path / "missing").exists()
