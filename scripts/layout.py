"""The module map of docs/architecture.md, made from the tree: every package and module of validator/ with the first
sentence of its docstring.

    python scripts/layout.py            # rewrite the block between the layout markers in docs/architecture.md
    python scripts/layout.py --check    # exit 1 when that block is not what this would write
    python scripts/layout.py --print    # print the block
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "validator"
DOC = ROOT / "docs" / "architecture.md"
START, END = "<!-- layout:start (python scripts/layout.py) -->", "<!-- layout:end -->"
WIDTH = 118


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    m = re.match(r"(.+?)\.(\s|$)", first)
    return m.group(1) if m else first


def lines(folder: Path = PACKAGE, depth: int = 0) -> list[str]:
    out = []
    pad = "  " * depth
    entries = sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name))
    for p in entries:
        if p.name.startswith(("_", ".")) and p.name != "__init__.py" or p.name == "data":
            continue
        if p.is_dir():
            init = p / "__init__.py"
            if not init.is_file():
                if any(p.glob("*.json")):
                    out.append(f"{pad}{p.name}/".ljust(28) + "  data files (JSON Schemas), shipped in the wheel")
                continue
            out.append(f"{pad}{p.name}/".ljust(28) + "  " + summary(init))
            out += lines(p, depth + 1)
        elif p.suffix == ".py" and p.name != "__init__.py":
            out.append(f"{pad}{p.name}".ljust(28) + "  " + summary(p))
    return [ln if len(ln) <= WIDTH else ln[: WIDTH - 1] + "…" for ln in out]


def block() -> str:
    return "\n".join([START, "```", "validator/".ljust(28) + "  " + summary(PACKAGE / "__init__.py"), *["  " + ln for ln in lines()], "```", END])


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = block()
    if "--print" in argv:
        print(new)
        return 0
    if START not in text or END not in text:
        print(f"{DOC.relative_to(ROOT)} has no layout markers", file=sys.stderr)
        return 1
    updated = text[: text.index(START)] + new + text[text.index(END) + len(END):]
    if "--check" in argv:
        if updated != text:
            print(f"{DOC.relative_to(ROOT)}: the module map is out of date: run python scripts/layout.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(updated, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
