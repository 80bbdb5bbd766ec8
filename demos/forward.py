"""The forward pass of the textbook 2-3-2-2 network with fixed weights, every net input and output shown.

Run: ``python demos/forward.py`` (the same as ``graphnet demo forward``).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "forward", *sys.argv[1:]]))
