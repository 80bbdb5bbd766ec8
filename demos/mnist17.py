""" "1" or "7"? A 784-10-2 sigmoid network trained image by image on the graph, test accuracy after every step.

Run: ``python demos/mnist17.py [--samples N] [--rate R] [--seed S] [--plot FILE]``
(the same as ``graphnet demo mnist17``; ``--help`` lists the options).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "mnist17", *sys.argv[1:]]))
