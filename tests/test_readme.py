"""The README as a newcomer reads it: every Python block runs, in order, as one doctest session.

Also what the README says about the command line and the files holds: every command of
``graphnet`` is in its table, every file it names exists, and the notebook extra installs
what its notebook commands need.
"""

import doctest
import re
import sys
from pathlib import Path

import pytest

from graphnet.cli.commands import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def python_blocks(text):
    """Every ```python block of the README, in order (each must be a REPL session)."""
    return fenced_blocks(text, "python")


def test_every_python_block_is_a_session_to_paste() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    assert len(blocks) == text.count("```python")  # none missed by the pattern
    for block in blocks:
        assert block.lstrip().startswith(">>>"), block[:80]  # nothing that would not be run


def test_the_readme_examples_run_as_written():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3  # the first session, the gradient checker, the stepper
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, "README.md", str(README), 0)  # one session: names carry on
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 20, runner.summarize()
    assert runner.tries == sum(block.count(">>> ") for block in blocks)  # every line was tried


def test_the_readme_stepper_lines_are_the_events_reprs():
    text = README.read_text(encoding="utf-8")
    assert "[0] input 0-0: o(0-0) = 1" in text
    assert "[13] hidden_delta 1-2: δ(1-2) = 0.5075·0.4925·(0.0459·(−0.1013) + (−0.0401)·0.1007) = −0.00217" in text


def test_the_command_table_has_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("## The command line")[1].split("\n\n")[1]
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name in commands:
        assert f"| `graphnet {name}" in table, name


def test_every_file_the_readme_names_exists() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`(?:python3? )?((?:demos|scripts|notebooks|graphnet|tests)/[\w./-]+)`", text))
    assert "demos/NAME.py" in text and named
    for path in named - {"demos/NAME.py"}:
        assert (ROOT / path).exists(), path
    from graphnet.demos import DEMOS

    for name in DEMOS:  # "python demos/NAME.py" for every demo
        assert (ROOT / "demos" / f"{name}.py").is_file(), name


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_the_notebook_extra_gives_jupyter_to_open_and_run_the_notebooks() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras["notebook"]}
    assert {"notebook", "nbconvert", "ipykernel"} <= names  # jupyter notebook / lab, jupyter nbconvert, the kernel
    text = README.read_text(encoding="utf-8")
    assert 'pip install -e ".[notebook]"' in text and "jupyter notebook notebooks/" in text
    assert "jupyter nbconvert --to notebook --execute" in text
