"""The package's shape: one-way layers (import-linter checks them in CI), and the rules it cannot see.

``lint-imports`` (contracts in pyproject.toml) holds the layers, the independence of the two
engines and the absence of import cycles.  These tests hold what it does not: module size,
no module importing another's underscore names, and that every socket and view the engines
call is filled once ``graphnet`` is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import graphnet
from graphnet.common import display, extensions

PACKAGE = Path(graphnet.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 500


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_500_lines(path: Path) -> None:
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{_name(path)} has {n_lines} lines; split it by job"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_imports_another_modules_private_names(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("graphnet")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize("path", [p for p in MODULES if p != PACKAGE / "__init__.py"], ids=_name)
def test_no_module_imports_the_root_package(path: Path) -> None:
    # the root imports every layer to fill the sockets: importing it from below would point up
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.ImportFrom) and node.module == "graphnet" and node.level == 0)
        or (isinstance(node, ast.Import) and any(alias.name == "graphnet" for alias in node.names))
    ]
    assert upward == []


def test_a_planted_private_import_is_caught(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("from graphnet.graph.network import _hidden\n")
    with pytest.raises(AssertionError):
        test_no_module_imports_another_modules_private_names(planted)


def test_every_socket_is_plugged_once_graphnet_is_imported() -> None:
    sockets = [value for value in vars(extensions).values() if isinstance(value, extensions.Socket)]
    assert {socket.name for socket in sockets} == {
        "mirror",
        "conv_mirror",
        "train_loop",
        "save_network",
        "load_network",
        "stepper",
        "conv_stepper",
    }
    assert all("empty" not in repr(socket) for socket in sockets), sockets


def test_an_empty_socket_says_who_fills_it() -> None:
    socket: extensions.Socket[[], None] = extensions.Socket("example", "graphnet.somewhere")
    with pytest.raises(NotImplementedError, match=r"'example'.*graphnet\.somewhere"):
        socket()


def test_every_class_that_renders_itself_has_a_registered_view() -> None:
    from graphnet.common.training import History
    from graphnet.graph.layer import Layer
    from graphnet.graph.network import Network
    from graphnet.graph.objects import Connection, Node
    from graphnet.tools.bench import BenchResult
    from graphnet.tools.stepper import Event, Stepper
    from graphnet.tools.verdicts import GradientReport

    for cls in (Node, Connection, Layer, Network, History, Event, Stepper, GradientReport, BenchResult):
        assert display.rich.draws(cls), cls.__name__
    for view, cls in ((display.text, Network), (display.text, GradientReport), (display.svg, Network)):
        assert view.draws(cls), (view.name, cls.__name__)
    assert display.html.draws(Stepper)
    assert not display.html.draws(Network)


def test_a_view_without_a_drawer_names_the_type() -> None:
    view: display.View[str] = display.View("example")
    with pytest.raises(NotImplementedError, match="no example view of int"):
        view(3)
