"""The README's ``>>>`` examples (first session, gradient checker, stepper) run as one doctest."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text):
    return [block for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL) if ">>>" in block]


def test_the_readme_examples_run_as_written():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3  # the first session, the gradient checker, the stepper
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 20, runner.summarize()


def test_the_readme_stepper_lines_are_the_events_reprs():
    text = README.read_text(encoding="utf-8")
    assert "[0] input 0-0: o(0-0) = 1" in text
    assert "[13] hidden_delta 1-2: δ(1-2) = 0.5075·0.4925·(0.0459·(−0.1013) + (−0.0401)·0.1007) = −0.00217" in text
