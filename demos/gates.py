"""Perceptrons with hand-set weights (AND, OR, NAND, XOR from three of them) and the activation functions drawn.

Run: ``python demos/gates.py [--plot FILE]`` (the same as ``graphnet demo gates``).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "gates", *sys.argv[1:]]))
