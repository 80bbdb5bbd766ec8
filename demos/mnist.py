"""All ten MNIST digits: 784-30-10 (or --hidden 300) on the fast path, early stopping, checkpoints.

Run: ``python demos/mnist.py [--hidden N] [--epochs N] [--checkpoint FILE] ...``
(the same as ``graphnet demo mnist``; ``--help`` lists the options).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "mnist", *sys.argv[1:]]))
