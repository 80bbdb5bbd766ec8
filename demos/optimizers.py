"""Six optimizers on the same network and digits: loss curves side by side.

Run: ``python demos/optimizers.py [--epochs N] [--dropout P] [--plot FILE] ...``
(the same as ``graphnet demo optimizers``; ``--help`` lists the options).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "optimizers", *sys.argv[1:]]))
