"""A network's flat parameter vector optimised by scipy's conjugate gradient on cross-entropy + L2.

Run: ``python demos/cg.py [--samples N] [--maxiter N] [--l2 L]``
(the same as ``graphnet demo cg``; ``--help`` lists the options).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "cg", *sys.argv[1:]]))
