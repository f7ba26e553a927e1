"""The import graph of the validator package, read from the code with ast (every import, at module level or inside
a function), and its cycles.

    python scripts/import_graph.py            # the modules, each with what it imports; cycles last
    python scripts/import_graph.py --check    # exit 1 when there is a cycle, or a private name imported across modules

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


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main(argv: list[str]) -> int:
    edges, private = graph()
    found = cycles(edges)
    if "--check" not in argv:
        for m in sorted(edges):
            print(f"{m}: {', '.join(sorted(edges[m])) or '-'}")
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports, {len(found)} cycle(s)")
    for comp in found:
        print("cycle: " + " <-> ".join(comp))
    for p in private:
        print("private import: " + p)
    return 1 if found or private else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
