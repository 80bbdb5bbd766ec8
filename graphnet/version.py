"""The version of graphnet (a bottom module with no imports, so that any layer may read it)."""

__version__ = "0.1.0"
