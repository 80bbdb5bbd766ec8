"""The gradient checker: a correct network, then a planted wrong derivative, side by side.

Run: ``python demos/gradient_check.py`` (the same as ``graphnet demo gradcheck``).
"""

import sys

from rich.console import Console

from graphnet.demos import demo_gradcheck

if __name__ == "__main__":
    sys.exit(demo_gradcheck(Console()))
