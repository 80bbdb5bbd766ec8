"""Data for graphnet: logic gates, MNIST digits, CSV files and 2-D toy sets.

Every loader returns plain numpy arrays, one sample per row: inputs as float64, class
labels as int64 (or targets as float64 rows).  Nothing here needs the network except
:func:`download_mnist`; a 5,000-image MNIST subset ships with the package.

Contents
--------
=============================== ====================================================
:func:`logic_gate`, :func:`xor`  truth tables of AND, OR, NAND, NOR, XOR, XNOR
:func:`load_mnist`               MNIST from a folder of IDX files, or the bundled subset
:func:`load_bundled_mnist`       the bundled subset (4,000 train / 1,000 test)
:func:`digit_text`               one image drawn with characters
:func:`download_mnist`           the full MNIST set, SHA-256 verified
:func:`read_idx`, :func:`write_idx`  the IDX file format
:func:`load_csv`                 your own numeric data from a CSV file
:func:`toy_dataset`              circle, xor, gauss, spiral, two_moons in the plane
:func:`decision_boundary_text`   what a classifier learned, as a rich Text heatmap
:func:`decision_boundary_png`    the same as a PNG (needs matplotlib)
:func:`one_hot`                  labels -> target rows (``on=0.9, off=0.1`` for soft ones)
:func:`scale_unit`               pixel values 0..255 -> [0, 1]
:func:`standardize`              each column to mean 0, standard deviation 1
:func:`binary_subset`            two classes only, relabelled 1/0 (the "7 vs 1" problem)
=============================== ====================================================

Examples
--------
>>> from graphnet.datasets import load_bundled_mnist, one_hot
>>> images, labels = load_bundled_mnist(kind="train", n_samples=100)
>>> images.shape, one_hot(labels, 10).shape
((100, 784), (100, 10))
"""

from graphnet.datasets.csv import load_csv
from graphnet.datasets.download import MNIST_MIRRORS, MNIST_SHA256, download_file, download_mnist
from graphnet.datasets.gates import GATE_NAMES, logic_gate, xor
from graphnet.datasets.idx import read_idx, read_labelled_images, write_idx
from graphnet.datasets.mnist import ENV_VAR, digit_text, load_bundled_mnist, load_mnist
from graphnet.datasets.prep import binary_subset, one_hot, scale_unit, standardize
from graphnet.datasets.toy import (
    DEFAULT_NOISE,
    TOY_NAMES,
    decision_boundary_png,
    decision_boundary_text,
    decision_regions,
    draw_decision_boundary,
    toy_dataset,
)
from graphnet.math.errors import MissingDependencyError

__all__ = [
    "DEFAULT_NOISE",
    "ENV_VAR",
    "GATE_NAMES",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "TOY_NAMES",
    "MissingDependencyError",
    "binary_subset",
    "decision_boundary_png",
    "decision_boundary_text",
    "decision_regions",
    "digit_text",
    "download_file",
    "download_mnist",
    "draw_decision_boundary",
    "load_bundled_mnist",
    "load_csv",
    "load_mnist",
    "logic_gate",
    "one_hot",
    "read_idx",
    "read_labelled_images",
    "scale_unit",
    "standardize",
    "toy_dataset",
    "write_idx",
    "xor",
]
