"""The import graph of the validator package, read from the code with ast (every import, at module level or inside
a function), and the private names imported across modules. The layer order and the absence of cycles are
import-linter's contracts in pyproject.toml (`lint-imports`).

    python scripts/import_graph.py            # the modules, each with what it imports
    python scripts/import_graph.py --check    # exit 1 when a private name is imported across modules

`from validator.pkg import name` counts as an import of validator.pkg.name when that is a module, else of
validator.pkg (its __init__, which imports whatever it imports in turn).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "validator"


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "data" in path.relative_to(PACKAGE).parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def graph() -> tuple[dict[str, set[str]], list[str]]:
    """module -> the validator modules it imports; and the private names imported from another module."""
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    private = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.append(sub if sub in mods else node.module)
                    if sub not in mods and alias.name.startswith("_") and node.module.startswith("validator"):
                        private.append(f"{name} imports {node.module}.{alias.name}")
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges[name].add(t)
    return edges, private


def main(argv: list[str]) -> int:
    edges, private = graph()
    if "--check" not in argv:
        for m in sorted(edges):
            print(f"{m}: {', '.join(sorted(edges[m])) or '-'}")
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports")
    for p in private:
        print("private import: " + p)
    return 1 if private else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
