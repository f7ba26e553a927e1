"""The package's shape: no import cycle, no private name imported across modules, no module over 400 lines
unless its docstring says why (scripts/import_graph.py reads the imports with ast)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)

MAX_LINES = 400


def test_no_import_cycle_and_no_private_import():
    edges, private = import_graph.graph()
    assert import_graph.cycles(edges) == []
    assert private == []


def test_the_checker_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_graph.cycles(edges) == [["a", "b", "c"]]


def test_modules_are_small_or_say_why():
    for name, path in import_graph.modules().items():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_LINES:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert "lines" in doc.lower(), f"{name} has {lines} lines: split it, or say in its docstring why not"


def test_every_module_says_what_it_is():
    for name, path in import_graph.modules().items():
        if path.stat().st_size == 0:
            continue
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{name} has no module docstring"


def test_architecture_doc_module_map_is_fresh():
    spec = importlib.util.spec_from_file_location("layout", ROOT / "scripts" / "layout.py")
    layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout)
    assert layout.main(["--check"]) == 0, "run: python scripts/layout.py"
