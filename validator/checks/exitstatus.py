"""MC419: an entrypoint script that runs a program and throws its exit status away (`p.wait()`,
`subprocess.call(...)`, `os.system(...)` as a bare statement) in a function that never reads a return code, so the
task exits 0 when the program fails. Reads the script's walk (pyinterface.walk), never the script itself."""

from __future__ import annotations

import ast
from pathlib import Path

from validator import codes as C
from validator.findings import Finding, warning

_RUNS = {("subprocess", "call"), ("os", "system")}


def dropped_exit_status(nodes: list[tuple[ast.AST, tuple]], host: Path, show, memo: dict | None = None) \
        -> list[Finding]:
    """A statement that runs a program and throws its exit status away (`p.wait()`, `subprocess.call(...)`,
    `os.system(...)` as a bare statement) in a function that never reads a return code: the task then exits 0
    when the program fails. One warning per script, at the first such line. `nodes`: the script's walk
    (pyinterface.walk: breadth first, each node with the functions that hold it), read once for every function.
    `memo`: the script's Interface.memo, where the answer (which depends on the script alone) is kept."""
    memo = {} if memo is None else memo
    if "dropped exit status" not in memo:
        memo["dropped exit status"] = _first_dropped(nodes)
    found = memo["dropped exit status"]
    if found is None:
        return []
    what, function, line = found
    return [warning(
        C.DROPPED_EXIT_STATUS, show(host),
        f"{what} in {function}() runs a program and ignores its exit status: when it fails, the task "
        "still exits 0 and the run goes on as if it had passed",
        hint="Use subprocess.run(cmd, check=True), or sys.exit(process.wait()).", line=line)]


def _first_dropped(nodes: list[tuple[ast.AST, tuple]]) -> tuple[str, str, int] | None:
    """(the call as shown, the function, the line) of the first statement that drops an exit status."""
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    names: dict[int, set[str]] = {}  # id(function) -> the attribute and variable names in it (nested ones included)
    first: dict[int, ast.Expr] = {}  # id(function) -> its first statement that drops an exit status (walk order)
    for node, chain in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
        if not chain:
            continue
        if isinstance(node, ast.Attribute):
            for fn in chain:
                names.setdefault(id(fn), set()).add(node.attr)
        elif isinstance(node, ast.Name):
            for fn in chain:
                names.setdefault(id(fn), set()).add(node.id)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute):
            func = node.value.func
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if func.attr == "wait" and not node.value.args or (owner, func.attr) in _RUNS:
                for fn in chain:
                    first.setdefault(id(fn), node)
    for fn in functions:
        if names.get(id(fn), set()) & {"returncode", "check_returncode", "exit", "check_call", "check_output"}:
            continue
        stmt = first.get(id(fn))
        if stmt is not None:
            assert isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
            func = stmt.value.func
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            return f"{owner}.{func.attr}(" + ("...)" if (owner, func.attr) in _RUNS else ")"), fn.name, stmt.lineno
    return None
