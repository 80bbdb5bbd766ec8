"""The README's speed tables are what scripts/speed_table.py writes from the bench run kept beside it."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("speed_table", ROOT / "scripts" / "speed_table.py")
assert spec is not None and spec.loader is not None
speed_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed_table)


def kept_run():
    return json.loads((ROOT / "scripts" / "readme_bench.json").read_text(encoding="utf-8"))


def test_the_readme_speed_tables_are_the_scripts_output_for_the_kept_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(speed_table.BEGIN) == 1 and readme.count(speed_table.END) == 1
    start = readme.index(speed_table.BEGIN)
    written = readme[start : readme.index(speed_table.END) + len(speed_table.END)]
    assert written == speed_table.block(kept_run()), (
        "run: python scripts/speed_table.py scripts/readme_bench.json --readme README.md"
    )


def test_the_kept_run_is_a_bench_run_with_every_ratio_the_tables_show():
    run = kept_run()
    assert {"quick", "measurements", "facts", "ratios", "notes"} <= set(run)
    assert "fast / numpy loop 784-30-10 batch 32 float64" in run["ratios"]


def _run(ratios, measurements=None, facts=None, notes=()):
    return {
        "quick": False,
        "ratios": ratios,
        "measurements": measurements or {},
        "facts": facts or {},
        "notes": list(notes),
    }


def test_each_ratio_lands_in_its_row_and_column():
    run = _run(
        {"fast / numpy loop 784-300-10 batch 10 float32": 0.987, "torch / fast 784-30-10 batch 1 float64": 40.04},
        measurements={"graph train step 784-30-10": {"median": 0.0456}},
        notes=["warning: x disagrees with itself", "torch is not installed"],
    )
    lines = speed_table.tables(run)
    loop = lines.index("| fast epoch / numpy loop | batch 1 | batch 10 | batch 32 | batch 128 |")
    assert lines[loop + 5] == "| 784-300-10 float32 | — | 0.987 | — | — |"
    torch = lines.index("| torch epoch / fast epoch | batch 1 | batch 10 | batch 32 | batch 128 |")
    assert lines[torch + 2] == "| 784-30-10 float64 | 40 | — | — | — |"
    assert "| graph train step, µs per connection per sample | 0.0456 | — |" in lines
    assert lines[-2:] == ["The run's own warnings (a ratio whose figures disagree): 1.", "- x disagrees with itself"]


def test_replacing_the_block_keeps_the_text_around_it():
    run = _run({})
    readme = f"before\n{speed_table.BEGIN}\nold\n{speed_table.END}\nafter\n"
    assert speed_table.replace_block(readme, run) == f"before\n{speed_table.block(run)}\nafter\n"
    with pytest.raises(ValueError):
        speed_table.replace_block("no markers", run)
