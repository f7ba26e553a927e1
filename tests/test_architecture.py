"""The package's shape: the layer order and no import cycle (import-linter's contracts in pyproject.toml), no
private name imported across modules, no module over 400 lines unless its docstring says why
(scripts/import_graph.py reads the imports with ast), one root for every exception."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)

MAX_LINES = 400


def test_no_private_import():
    assert import_graph.graph()[1] == []


def test_the_layer_order_and_no_cycle_as_import_linter_checks_them():
    if shutil.which("lint-imports") is None:
        pytest.skip("import-linter (the dev extra) checks the layers")
    proc = subprocess.run(["lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


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


# A signal is no error: like KeyboardInterrupt it must pass every `except Exception` on its way out.
SIGNALS = {"validator.cancel.Cancelled"}


def test_every_exception_medcube_raises_has_one_root():
    from validator.errors import MedcubeError

    outside = []
    for name in import_graph.modules():
        if ".compiled" in name or name.endswith("__main__"):  # generated (its exception stays in conforms); the CLI
            continue
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name
                    and not issubclass(value, MedcubeError) and f"{name}.{value.__name__}" not in SIGNALS):
                outside.append(f"{name}.{value.__name__}")
    assert outside == []


def test_every_module_of_the_package_has_a_layer():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    package = ROOT / "validator"
    top = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    top |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert top - named == set(), "give each a layer in pyproject.toml's [tool.importlinter] (docs/architecture.md)"
