"""The terminal view of the stepper behind ``graphnet step``.

In a terminal, single keys drive it (Enter/n next, b back, p next phase, r run to the
end, q quit) and the screen is redrawn after each.  When standard input is not a
terminal, the same letters are read one per line (an empty line is "next") and every
step is printed as it is taken, so a session can be scripted and tested.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.text import Text

from graphnet.tools.stepper import Event, Stepper

KEYS_HELP = "Enter/n next · b back · p next phase · r run to end · q quit"


def _act(stepper: Stepper, key: str) -> tuple[list[Event], str | None]:
    """Apply one command; return the events taken and a message (None for none)."""
    if key in ("", "n", "\r", "\n", " "):
        if stepper.done:
            return [], "all steps are done: b to go back, q to quit"
        return [stepper.next()], None
    if key == "b":
        undone = stepper.back()
        return (
            [],
            "nothing to undo"
            if undone is None
            else f"undone: step [{undone.index}] {undone.phase} {undone.shown_name}",
        )
    if key == "p":
        return stepper.next_phase(), None
    if key == "r":
        return stepper.run(), None
    return [], f"unknown key {key!r}: {KEYS_HELP}"


def step_session(stepper: Stepper, console: Console, *, interactive: bool, stdin: TextIO | None = None) -> int:
    """Run a stepping session on ``console``; return the exit status (0)."""
    source = stdin if stdin is not None else sys.stdin
    if interactive:
        return _interactive(stepper, console, _key_reader(source))
    console.print(Text(f"graphnet step: {stepper.network!r}, {stepper.total} steps.  {KEYS_HELP}", style="bold"))
    console.print(stepper)
    for line in source:
        command = line.strip().lower()
        if command == "q":
            break
        events, message = _act(stepper, command)
        for event in events:
            console.print(event)
        if message:
            console.print(Text(message, style="dim"))
    console.print(Text(f"stopped at step {stepper.position}/{stepper.total}", style="bold"))
    console.print(stepper)
    return 0


def _interactive(stepper: Stepper, console: Console, read_key: Callable[[], str]) -> int:
    message: str | None = None
    while True:
        console.clear()
        console.print(stepper)
        console.print(Text(KEYS_HELP, style="dim"))
        if message:
            console.print(Text(message, style="yellow"))
        key = read_key()
        if key in ("q", "\x03", "\x04", ""):  # q, Ctrl-C, Ctrl-D, end of input
            return 0
        _, message = _act(stepper, "n" if key in ("\r", "\n") else key.lower())


def _key_reader(stream: TextIO) -> Callable[[], str]:
    """Read one key at a time from a terminal (raw mode), restoring it afterwards."""
    import termios
    import tty

    descriptor = stream.fileno()

    def read_key() -> str:
        saved = termios.tcgetattr(descriptor)
        try:
            tty.setraw(descriptor)
            return stream.read(1)
        finally:
            termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)

    return read_key
