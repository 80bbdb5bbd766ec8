"""The command line: called through main([...]) so failures show as test failures."""

import pytest
from rich.console import Console

from graphnet import __version__
from graphnet.cli import main


def run(argv, capsys):
    console = Console(record=True, width=120, color_system=None)
    code = main(argv, console=console)
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
