"""The gradient checker: a correct network, then a planted wrong derivative, side by side.

Run: ``python demos/gradcheck.py`` (the same as ``graphnet demo gradcheck``).
"""

import sys

from graphnet.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", "gradcheck", *sys.argv[1:]]))
