"""``python -m graphnet ...``: the ``graphnet`` command line, as :func:`graphnet.cli.main`."""

from graphnet.cli import main

if __name__ == "__main__":  # pragma: no cover - run through a subprocess in tests/test_cli_bad_input.py
    raise SystemExit(main())
