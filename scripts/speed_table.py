"""The README's speed tables, written from one ``graphnet bench --json`` run.

Every figure in them comes from that one run, so the README cannot drift from what the
bench prints; ``tests/test_speed_table.py`` holds the README's block to what this script
writes from the run kept in ``scripts/readme_bench.json``.

Run::

    graphnet bench --json /tmp/bench.json                  # a full run (about 10 minutes)
    cp /tmp/bench.json scripts/readme_bench.json
    python scripts/speed_table.py scripts/readme_bench.json --readme README.md

Without ``--readme`` the block is printed.  A figure the run did not measure (a quick run,
no torch) shows as —.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

BEGIN = "<!-- speed tables: written by scripts/speed_table.py from scripts/readme_bench.json; do not edit -->"
END = "<!-- end of speed tables -->"
NETWORKS = ("784-30-10", "784-300-10")
DTYPES = ("float64", "float32")
BATCHES = (1, 10, 32, 128)


def number(value: float | None, digits: int = 3) -> str:
    """A figure to ``digits`` significant digits (thousands separated), or — when not measured.

    >>> number(0.98765), number(12.345), number(1360.2), number(None), number(float("nan"))
    ('0.988', '12.3', '1,360', '—', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _grid(ratios: dict[str, float], title: str, name: str) -> list[str]:
    """One row per network and dtype, one column per batch size: ``name.format(key)`` of each."""
    lines = [f"| {title} | " + " | ".join(f"batch {b}" for b in BATCHES) + " |", "| --- |" + " ---: |" * len(BATCHES)]
    for network in NETWORKS:
        for dtype in DTYPES:
            cells = [number(ratios.get(name.format(key=f"{network} batch {b} {dtype}"))) for b in BATCHES]
            lines.append(f"| {network} {dtype} | " + " | ".join(cells) + " |")
    return lines


def _median(measurements: dict[str, Any], name: str) -> float | None:
    measurement = measurements.get(name)
    return None if measurement is None else float(measurement["median"])


def tables(run: dict[str, Any]) -> list[str]:
    """The lines of the README's block (without the markers) from a bench run's JSON."""
    ratios: dict[str, float] = run["ratios"]
    m: dict[str, Any] = run["measurements"]
    facts: dict[str, Any] = run["facts"]
    kind = "quick" if run.get("quick") else "full"
    lines = [
        f"One {kind} `graphnet bench` run ({facts.get('date', 'undated')}; matmul rate "
        f"{number(facts.get('matmul GFLOP/s float64'))} GFLOP/s float64, "
        f"{number(facts.get('matmul GFLOP/s float32'))} float32; load average "
        f"{number(facts.get('load average at start'), 2)} at the start, "
        f"{number(facts.get('load average at end'), 2)} at the end; BLAS threads set by "
        f"{facts.get('BLAS threads set by', '—')}). Ratios are medians of back-to-back pairs.",
        "",
        *_grid(ratios, "fast epoch / numpy loop", "fast / numpy loop {key}"),
        "",
        *_grid(ratios, "torch epoch / fast epoch", "torch / fast {key}"),
        "",
        "| measure | " + " | ".join(NETWORKS) + " |",
        "| --- |" + " ---: |" * len(NETWORKS),
    ]

    def row(what: str, cells: list[str]) -> None:
        lines.append(f"| {what} | " + " | ".join(cells) + " |")

    row(
        "fast epoch at batch 128, µs per sample (float64 / float32)",
        [
            f"{number(_median(m, f'fast epoch {n} batch 128 float64'))} / "
            f"{number(_median(m, f'fast epoch {n} batch 128 float32'))}"
            for n in NETWORKS
        ],
    )
    row(
        "fast epoch / its matrix products alone, batch 128 (float64 / float32)",
        [
            f"{number(ratios.get(f'fast / matrix products alone {n} batch 128 float64'))} / "
            f"{number(ratios.get(f'fast / matrix products alone {n} batch 128 float32'))}"
            for n in NETWORKS
        ],
    )
    row(
        "fast epoch / numpy loop with Adam, batch 128 float64",
        [number(ratios.get(f"fast / numpy loop {n} batch 128 float64 adam")) for n in NETWORKS],
    )
    row(
        "graph train step, µs per connection per sample",
        [number(_median(m, f"graph train step {n}")) for n in NETWORKS],
    )
    row(
        "classic per-neuron code / graph train step",
        [number(ratios.get(f"classic / graph train step {n} (paired)")) for n in NETWORKS],
    )
    row(
        "graph train step with momentum / Adam, µs per connection per sample",
        [
            f"{number(_median(m, f'graph train step {n} momentum'))} / "
            f"{number(_median(m, f'graph train step {n} adam'))}"
            for n in NETWORKS
        ],
    )
    row(
        "graph / fast per sample, batch 32",
        [number(ratios.get(f"graph / fast per sample {n} (batch 32, paired)")) for n in NETWORKS],
    )
    row(
        "building `Network(sizes)`: seconds, bytes per connection",
        [
            f"{number(_median(m, f'graph construction {n}'))}, "
            f"{number((facts.get(f'construction {n}') or {}).get('bytes_per_connection'))}"
            for n in NETWORKS
        ],
    )
    row(
        "gradient check: full, sampled, directional (seconds)",
        [
            ", ".join(number(_median(m, f"gradient check {n} {kind}")) for kind in ("full", "sampled", "directional"))
            for n in NETWORKS
        ],
    )
    warnings = [note for note in run.get("notes", []) if note.startswith("warning")]
    lines += ["", f"The run's own warnings (a ratio whose figures disagree): {len(warnings)}."]
    lines += [f"- {note.removeprefix('warning: ')}" for note in warnings]
    return lines


def block(run: dict[str, Any]) -> str:
    """The README's block, markers included."""
    return "\n".join([BEGIN, *tables(run), END])


def replace_block(readme: str, run: dict[str, Any]) -> str:
    """``readme`` with its block (between the markers) written anew from ``run``."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + block(run) + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the JSON of graphnet bench --json")
    parser.add_argument("--readme", type=Path, help="rewrite the block in this README (else print it)")
    args = parser.parse_args(argv)
    run = json.loads(args.run.read_text(encoding="utf-8"))
    if args.readme is None:
        sys.stdout.write(block(run) + "\n")
        return 0
    args.readme.write_text(replace_block(args.readme.read_text(encoding="utf-8"), run), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
