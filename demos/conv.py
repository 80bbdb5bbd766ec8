"""A small conv net on the bundled digits: trained on the fast path, kernels drawn, one digit stepped on the graph.

Run: ``python demos/conv.py [--maps N] [--hidden N] [--epochs N] [--no-step] [--plot FILE]``
(the same as ``graphnet demo conv``; ``--help`` lists the options).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "conv", *sys.argv[1:]]))
