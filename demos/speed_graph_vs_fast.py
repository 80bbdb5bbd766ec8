"""Train the same network for the same samples on the graph and on the fast path, and time both.

Run: ``python demos/speed_graph_vs_fast.py [--sizes 784 300 10] [--samples 200]``
(the same as ``graphnet demo speed`` with the defaults).  Prints the measured times and
the speed ratio; nothing here asserts a time.
"""

import argparse
import sys

from rich.console import Console

from graphnet.demos import demo_speed

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[784, 30, 10])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    sys.exit(demo_speed(Console(), sizes=tuple(args.sizes), n_samples=args.samples))
