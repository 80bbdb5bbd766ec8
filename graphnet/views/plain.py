"""Plain ASCII output: a rich console whose every line goes through :func:`~graphnet.math.numbers.to_ascii`.

``graphnet --ascii …`` (or ``GRAPHNET_ASCII=1``) prints through :func:`ascii_console`: the
formulas with ``-`` and ``*`` (their numbers part is valid Python arithmetic, so a learner can
paste it into Python to check it), names spelled out (``delta``, ``eta``), tables drawn
with ``-``, ``|`` and ``+``, no colour and no wrapping (a wrapped formula is no longer Python).
"""

from __future__ import annotations

import io
import sys
from typing import TextIO, cast

from rich.console import Console

from graphnet.math.numbers import to_ascii


class AsciiWriter(io.TextIOBase):
    """A text stream that writes each complete line to ``target`` (standard output) in ASCII."""

    def __init__(self, target: TextIO | None = None) -> None:
        super().__init__()
        self._target = target
        self._pending = ""

    @property
    def target(self) -> TextIO:
        """Where the lines go: the stream given, else the standard output of the moment."""
        return self._target if self._target is not None else sys.stdout

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self.target.write(to_ascii(line) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.target.write(to_ascii(self._pending))
            self._pending = ""
        self.target.flush()


def ascii_console(target: TextIO | None = None) -> Console:
    """A rich console printing plain ASCII lines to ``target`` (standard output): no colour, no wrapping."""
    return Console(
        file=cast(TextIO, AsciiWriter(target)), color_system=None, soft_wrap=True, emoji=False, highlight=False
    )
