"""The ``tour`` demo: every demo that finishes in seconds, one after another, timed."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from graphnet.demos.forward import demo_forward
from graphnet.demos.gates import demo_gates
from graphnet.demos.gradcheck import demo_gradcheck
from graphnet.demos.mnist17 import demo_mnist17
from graphnet.demos.options import Demo
from graphnet.demos.speed import demo_speed
from graphnet.demos.xor import demo_xor

#: The demos of the tour by name, in order.
TOUR_DEMOS: dict[str, Demo] = {
    "gates": demo_gates,
    "forward": demo_forward,
    "xor": demo_xor,
    "gradcheck": demo_gradcheck,
    "mnist17": demo_mnist17,
    "speed": demo_speed,
}
#: The demos of the tour, in order.
TOUR = tuple(TOUR_DEMOS)


def demo_tour(console: Console) -> int:
    """The short tour: every demo that finishes in seconds, one after another, timed."""
    table = Table("demo", "status", "seconds", title="tour", title_justify="left")
    statuses = []
    start = time.perf_counter()
    for name in TOUR:
        began = time.perf_counter()
        status = TOUR_DEMOS[name](console)
        statuses.append(status)
        table.add_row(name, "ok" if status == 0 else f"exit {status}", f"{time.perf_counter() - began:.1f}")
    console.rule("Tour finished")
    console.print(table)
    console.print(f"total {time.perf_counter() - start:.1f} s", highlight=False)
    return max(statuses)
