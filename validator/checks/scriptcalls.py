"""A wrapper against the script it runs: an entrypoint script (mlcube.py, a task's wrapper) that runs another Python
script with a literal command (`subprocess.run(["python3", "infer.py", "--data", d])`, `os.system(f"python3
infer.py --data {d}")`, a list assigned once to a name and passed) and an option that script's own parser
(argparse, click, typer; read by pyinterface) does not define. One level deep; a command that is not literal, a
script not found in the build context, or a parser that lets unknown options through (parse_known_args) is left
alone.
"""

from __future__ import annotations

import ast
import posixpath
from pathlib import Path

from validator import codes as C
from validator.findings import Finding, warning
from validator.manifest import pyinterface
from validator.manifest.argv import is_interpreter, split
from validator.manifest.dockerfile import Dockerfile

_HOLE = "\x00"  # a part of the command the code computes: not known here
_SUBPROCESS = {"run", "call", "check_call", "check_output", "Popen"}
_OS = {"system", "popen"}


def _modules(nodes) -> dict[str, str]:
    """Names bound to subprocess / os and to their functions: {"sp": "subprocess", "run": "subprocess.run"}.
    `nodes`: the script's walk (pyinterface.walk)."""
    names: dict[str, str] = {}
    for node, _chain in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in ("subprocess", "os"):
                    names[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "os"):
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _runs(call: ast.Call, modules: dict[str, str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module = modules.get(func.value.id)
        return module == "subprocess" and func.attr in _SUBPROCESS or module == "os" and func.attr in _OS
    if isinstance(func, ast.Name):
        full = modules.get(func.id, "")
        return full in {f"subprocess.{n}" for n in _SUBPROCESS} | {f"os.{n}" for n in _OS}
    return False


def _text(node, depth: int = 0) -> str | None:
    """A string the code writes literally, with _HOLE where it computes a part; None when it is no string (or is
    joined from more parts than a command line has: a script cannot nest medcube's reading past the stack)."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _HOLE
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 64:
        left, right = _text(node.left, depth + 1), _text(node.right, depth + 1)
        if left is None and right is None:
            return None
        return (_HOLE if left is None else left) + (_HOLE if right is None else right)
    return None


Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Module


class _Param(int):
    """A command that is the scope function's parameter of this index (the caller builds it)."""


def _split(text: str) -> list[str] | None:
    try:
        return split(text)
    except ValueError:  # unbalanced quotes
        return None


def _value(node, scope: Scope, depth: int = 0) -> str | list[str] | _Param | None:
    """What an expression holds in its scope, as far as it is literal: a string (with _HOLE for computed parts), a
    list of words (a list literal, or `text.split()`), a parameter of the scope function, or None (not known)."""
    if depth > 4 or node is None:
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for e in node.elts:
            t = _text(e)
            out.append(_HOLE if t is None else t)
        return out
    text = _text(node)
    if text is not None:
        return text
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split" \
            and not node.args and not node.keywords:
        inner = _value(node.func.value, scope, depth + 1)
        return inner.split() if isinstance(inner, str) else inner if isinstance(inner, _Param) else None
    if isinstance(node, ast.Name):
        if not isinstance(scope, ast.Module):
            params = [a.arg for a in scope.args.posonlyargs + scope.args.args]
            if node.id in params:
                return _Param(params.index(node.id))
        return _bound(node.id, scope, depth + 1)
    return None


def _bound(name: str, scope: Scope, depth: int) -> str | list[str] | _Param | None:
    """A name's value in its scope: one assignment, then `+=` of more text or words; None when assigned twice."""
    value: str | list[str] | _Param | None = None
    assigned = False
    for node in sorted((n for n in ast.walk(scope) if isinstance(n, (ast.Assign, ast.AugAssign))),
                       key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if assigned or len(node.targets) != 1:
                return None
            assigned = True
            got = _value(node.value, scope, depth)
            value = got
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            more = _value(node.value, scope, depth)
            if not isinstance(node.op, ast.Add) or value is None or isinstance(value, _Param):
                return None
            if isinstance(value, str):
                value = value + more if isinstance(more, str) else value + _HOLE
            else:
                value = value + (more if isinstance(more, list) else [_HOLE])
    return value


def _words(value) -> list[str] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return _split(value)
    return None


def _scopes(tree: ast.Module, nodes) -> list[Scope]:
    return [tree, *(n for n, _chain in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]


def _calls_in(scope: Scope):
    """The calls of a scope, not those of the functions defined in it (they are scopes of their own)."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if isinstance(node, ast.ClassDef):
                todo.extend(ast.iter_child_nodes(node))
            continue
        if isinstance(node, ast.Call):
            yield node
        todo.extend(ast.iter_child_nodes(node))


def _cwd(call: ast.Call) -> str | None:
    """The working directory a run call gives (`cwd="/app"`; _HOLE in it where computed); None: the caller's."""
    for kw in call.keywords:
        if kw.arg == "cwd":
            text = _text(kw.value)
            return _HOLE if text is None else None if text in (".", "./") else text
    return None


def _commands(tree: ast.Module, nodes, modules: dict[str, str]) -> list[tuple[list[str], int, str | None]]:
    """Each command the script runs whose words are known here, with the line of the call that builds it: a
    literal command passed to subprocess / os, or to a helper of the script that passes its parameter on
    (`def exec_python(cmd): subprocess.Popen(cmd.split())`, then `exec_python(f"python3 app.py --x={x}")`)."""
    scopes = _scopes(tree, nodes)
    found: list[tuple[list[str], int, str | None]] = []
    helpers: dict[str, tuple[int, str | None]] = {}  # function name -> (the parameter that is the command, cwd)
    for scope in scopes:
        for call in _calls_in(scope):
            if not _runs(call, modules):
                continue
            arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
            value = _value(arg, scope)
            if isinstance(value, _Param) and not isinstance(scope, ast.Module):
                helpers[scope.name] = (int(value), _cwd(call))
                continue
            words = _words(value)
            if words:
                found.append((words, call.lineno, _cwd(call)))
    if helpers:
        for scope in scopes:
            for call in _calls_in(scope):
                name = call.func.id if isinstance(call.func, ast.Name) else \
                    call.func.attr if isinstance(call.func, ast.Attribute) else None
                index, cwd = helpers.get(name or "", (None, None))
                if index is None or index >= len(call.args):
                    continue
                words = _words(_value(call.args[index], scope))
                if words:
                    found.append((words, call.lineno, cwd))
    return found


def _script_of(tokens: list[str]) -> int | None:
    """Index of the Python script the command runs (after an interpreter, or a computed one: sys.executable)."""
    if not tokens:
        return None
    if tokens[0].endswith(".py") and _HOLE not in tokens[0]:
        return 0
    if tokens[0] != _HOLE and not is_interpreter(tokens[0]):
        return None
    for i, tok in enumerate(tokens[1:], 1):
        if tok in ("-m", "-c") or _HOLE in tok:
            return None
        if tok.endswith(".py"):
            return i
        if not tok.startswith("-"):
            return None
    return None


def _host(script: str, df: Dockerfile, context: Path, wrapper: Path, cwd: str | None) -> Path | None:
    """The called script in the build context: by its image path (a relative one from the working directory the
    call gives, else the final WORKDIR, where the container starts), else beside the wrapper."""
    if not script.startswith("/") and cwd is not None:
        if _HOLE in cwd:
            return None  # a folder the code computes
        base = cwd if cwd.startswith("/") else posixpath.join(df.workdir_at(10**9), cwd)
        host = df.host_path(posixpath.join(base, script), context)
        return host if host is not None and host.is_file() else None
    image_path = script if script.startswith("/") else posixpath.join(df.workdir_at(10**9), script)
    host = df.host_path(image_path, context)
    if host is not None and host.is_file():
        return host
    if not script.startswith("/"):
        beside = wrapper.parent / script
        if beside.is_file():
            return beside
    return None


def _accepts(option: str, allowed: set[str], abbreviations: bool) -> bool:
    if option in allowed or option in ("--help", "-h"):
        return True
    return abbreviations and any(a.startswith(option) for a in allowed)


def check_calls(wrapper: Path, tree: ast.Module, df: Dockerfile, context: Path, show,
                interfaces: dict, nodes: list | None = None, memo: dict | None = None) -> list[Finding]:
    """MC431 for each option a wrapper passes that the script it runs does not define. `nodes`: the tree's walk
    (pyinterface.walk), when the caller has it; `memo`: the script's Interface.memo, where the commands it runs
    (which depend on the script alone) are kept."""
    memo = {} if memo is None else memo
    if "commands run" not in memo:
        nodes = pyinterface.walk(tree) if nodes is None else nodes
        modules = _modules(nodes)
        memo["commands run"] = _commands(tree, nodes, modules) if modules else []
    findings: list[Finding] = []
    for tokens, lineno, cwd in memo["commands run"]:
        at = _script_of(tokens)
        if at is None:
            continue
        host = _host(tokens[at], df, context, wrapper, cwd)
        if host is None or host == wrapper:
            continue
        key = ("called", host)  # apart from the entrypoints' own readings, which report what they cannot read
        if key not in interfaces:
            try:
                interfaces[key] = pyinterface.read(host)
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError, RecursionError):
                interfaces[key] = None  # not a script medcube can read: nothing to compare
        iface = interfaces[key]
        if iface is None or iface.kind == "unknown" or iface.known_args:
            continue
        rest = tokens[at + 1:]
        allowed, line = set(iface.global_options), iface.line
        if iface.commands:
            first = rest[0] if rest else None
            if first is not None and first in iface.commands:
                cmd = iface.commands[first]
            elif len(iface.commands) == 1 and (first is None or first.startswith("-")):
                cmd = next(iter(iface.commands.values()))  # a lone command runs without its name
            else:
                continue  # which command runs is not known here
            allowed |= cmd.options
            line = cmd.line
        for tok in rest:
            if tok == _HOLE or not tok.startswith("--") or tok == "--":
                continue
            option = tok.split("=", 1)[0]
            if _HOLE in option or _accepts(option, allowed, iface.abbreviations):
                continue
            findings.append(warning(
                C.WRAPPER_OPTION_REJECTED, show(wrapper),
                f"runs {tokens[at]} with {option}, which the parser of {show(host)}" + (f":{line}" if line else "")
                + " does not define: the script stops with an error before it does anything",
                hint=f"Use an option {show(host)} defines ({', '.join(sorted(allowed)) or 'it defines none'}), or "
                f"add {option} to its parser.", line=lineno))
    return findings
