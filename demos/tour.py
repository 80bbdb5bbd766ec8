"""The short tour: gates, forward, xor, gradcheck, mnist17 and speed, one after another.

Run: ``python demos/tour.py`` (the same as ``graphnet demo``).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "tour", *sys.argv[1:]]))
