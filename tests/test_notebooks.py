"""The notebooks: stored without outputs, what scripts/make_notebooks.py makes, and run top to bottom."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: No limit on a cell's time: how long a notebook takes on a busy machine is the bench's business, not a test's.
CELL_TIMEOUT = None
EXERCISES = ROOT / "notebooks" / "07_exercises.ipynb"
#: A correct solution of each exercise of notebook 07, keyed by the line its cell starts with.
SOLUTIONS = {
    "def tanh_derivative": "def tanh_derivative(z):\n    return 1.0 - np.tanh(z) ** 2",
    "def hidden_delta": (
        "def hidden_delta(outputs, W_next, delta_next):\n    return outputs * (1.0 - outputs) * (W_next.T @ delta_next)"
    ),
    "def training_step": (
        "def training_step(W, b, x, t, rate):\n"
        "    o = 1.0 / (1.0 + np.exp(-(W @ x + b)))\n"
        "    delta = (o - t) * o * (1.0 - o)\n"
        "    return W - rate * np.outer(delta, x), b - rate * delta"
    ),
}


def test_there_are_seven_notebooks():
    assert [path.name[:3] for path in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_", "07_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_notebooks_are_what_the_generator_makes(tmp_path):
    pytest.importorskip("nbformat")
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "scripts" / "make_notebooks.py")
    assert spec is not None and spec.loader is not None
    make_notebooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_notebooks)
    assert make_notebooks.main(["--out", str(tmp_path)]) == 0
    for path in NOTEBOOKS:
        assert (tmp_path / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name
    assert make_notebooks.main(["--check"]) == 0


def execute(path, monkeypatch, replace=None):
    """Run the notebook at ``path`` (cells starting with a key of ``replace`` swapped for its value)."""
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's path-migration warning would be an error
    # The kernel imports this checkout's graphnet, whatever is installed elsewhere.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("GRAPHNET_MNIST_DIR", raising=False)
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        for start, source in (replace or {}).items():
            if cell.cell_type == "code" and cell.source.startswith(start):
                cell.source = source
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # how long it takes is not a test's business
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    assert all(cell.execution_count is not None for cell in notebook.cells if cell.cell_type == "code")
    return notebook


def shown(cell):
    """What a code cell printed or showed, as text."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return "".join(parts).strip()


def checks(notebook):
    """The text of each exercise check cell (those calling check_…) of notebook 07, in order."""
    return [shown(cell) for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("check_")]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    notebook = execute(path, monkeypatch)
    if path.name.startswith("04_"):  # a write into the fast arrays lasts until the graph changes
        cell = next(c for c in notebook.cells if c.source.startswith("fast.layers[1].W[:] = 123.0"))
        lines = shown(cell).splitlines()
        assert lines[:2] == ["W2 after the next call: [123. 123. 123.]", "fast and graph agree: False"]
        assert "123" not in lines[2] and lines[3] == "fast and graph agree: True"
    if path == EXERCISES:  # as stored, nothing is written yet, and each check says so
        assert all(text.startswith("✗") and "not written yet" in text for text in checks(notebook))
        assert shown(notebook.cells[-2]).endswith("0 of 3 exercises pass")


@pytest.mark.slow
def test_exercises_pass_with_a_correct_solution(monkeypatch):
    notebook = execute(EXERCISES, monkeypatch, SOLUTIONS)
    results = checks(notebook)
    assert len(results) == 3 and all(text.startswith("✓") for text in results), results
    assert shown(notebook.cells[-2]).endswith("3 of 3 exercises pass")


@pytest.mark.slow
def test_a_planted_mistake_is_named_without_the_answer(monkeypatch):
    wrong = {
        **SOLUTIONS,
        "def hidden_delta": "def hidden_delta(outputs, W_next, delta_next):\n    return W_next.T @ delta_next",
    }
    notebook = execute(EXERCISES, monkeypatch, wrong)
    derivative, hidden, step = checks(notebook)
    assert derivative.startswith("✓") and step.startswith("✓")
    assert hidden == (
        "✗ hidden delta: the sum over the next layer is right, but the factor f′(net_j) of the unit itself is missing"
    )
    assert "outputs * (1" not in hidden and "o(1" not in hidden
    assert shown(notebook.cells[-2]).endswith("2 of 3 exercises pass")
