"""The ``graphnet`` command line: :func:`main` (``graphnet = "graphnet.cli:main"``)."""

from graphnet.cli.commands import main

__all__ = ["main"]
