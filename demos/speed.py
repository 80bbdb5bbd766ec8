"""Train the same network for the same samples on the graph and on the fast path, and time both.

Run: ``python demos/speed.py [--sizes 784 300 10] [--samples 200]``
(the same as ``graphnet demo speed``).  Prints the measured times and the speed ratio;
nothing here asserts a time.
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "speed", *sys.argv[1:]]))
