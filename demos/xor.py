"""XOR learnt by a 2-2-1 sigmoid object graph with per-sample SGD, dumped before and after.

Run: ``python demos/xor.py`` (the same as ``graphnet demo xor``).
"""

import sys

from rich.console import Console

from graphnet.demos import demo_xor

if __name__ == "__main__":
    sys.exit(demo_xor(Console()))
