"""Read the command-line interface of a cube's Python entrypoint (typer, click or argparse) with `ast`,
without importing or running it."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    name: str  # the name the CLI answers to
    function: str
    line: int
    options: set[str] = field(default_factory=set)  # e.g. {"--data_path"}
    named_explicitly: bool = True


@dataclass
class Interface:
    kind: str  # "typer" | "click" | "argparse" | "unknown"
    commands: dict[str, Command] = field(default_factory=dict)
    global_options: set[str] = field(default_factory=set)  # argparse options of the main parser
    has_callback: bool = False

    @property
    def single_command_app(self) -> bool:
        """typer runs a lone command without a command name unless the app has a callback."""
        return self.kind == "typer" and len(self.commands) == 1 and not self.has_callback


def _attr_name(node) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _strings(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _kw(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


def _option_call(node) -> ast.Call | None:
    """typer.Option(...) as a default or inside Annotated[...]."""
    if isinstance(node, ast.Call) and _attr_name(node.func) in ("Option", "Argument"):
        return node
    if isinstance(node, ast.Subscript) and _attr_name(node.value) == "Annotated":
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for e in elts[1:]:
            if isinstance(e, ast.Call) and _attr_name(e.func) in ("Option", "Argument"):
                return e
    return None


def _typer_options(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    opts: set[str] = set()
    args = fn.args.args + fn.args.kwonlyargs
    defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + list(fn.args.defaults) + list(fn.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=True):
        call = _option_call(arg.annotation) or _option_call(default)
        if call is not None:
            if _attr_name(call.func) == "Argument":
                continue
            decls = [s for s in _strings(call) if s.startswith("-")]
            if decls:
                for d in decls:
                    opts.update(x for x in d.split("/") if x.startswith("-"))
                continue
        elif default is None:
            continue  # a plain parameter without default is a positional argument
        opts.add("--" + arg.arg.replace("_", "-"))
    return opts


def _click_options(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    opts: set[str] = set()
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and _attr_name(dec.func) == "option":
            names = [s for s in _strings(dec) if s.startswith("-")]
            opts.update(names)
    return opts


def read(path: Path) -> Interface:
    """The script's interface. Its bytes are decoded as Python does (UTF-8, or the encoding its first lines
    declare): UnicodeDecodeError when they are not that, SyntaxError when they are no Python."""
    raw = Path(path).read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    tree = ast.parse(raw.decode(encoding), filename=str(path))
    return from_tree(tree)


def from_tree(tree: ast.AST) -> Interface:
    # One walk over the tree (the slowest part of a static check), then each pass over the nodes it needs.
    assigns, functions, arg_calls = [], [], []
    typer_apps: set[str] = set()
    uses_click = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Call):
                assigns.append(node)
                if _attr_name(node.value.func) == "Typer":
                    typer_apps.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
        elif isinstance(node, ast.Call):
            if _attr_name(node.func) == "add_argument":
                arg_calls.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            uses_click = uses_click or any(m and m.split(".")[0] == "click" for m in mods)

    iface = Interface("unknown")
    for node in functions:
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            func = call.func if call else dec
            if not isinstance(func, ast.Attribute):
                continue
            owner = _attr_name(func.value)
            if func.attr == "callback" and owner in typer_apps:
                iface.has_callback = True
            if func.attr != "command":
                continue
            is_typer = owner in typer_apps or not uses_click
            explicit = (_strings(call) if call else []) or ([_kw(call, "name")] if call and _kw(call, "name") else [])
            name = explicit[0] if explicit else node.name.replace("_", "-")
            opts = _typer_options(node) if is_typer else _click_options(node)
            iface.kind = "typer" if is_typer else "click"
            iface.commands[name] = Command(name, node.name, node.lineno, opts, bool(explicit))

    if iface.kind == "unknown":
        _argparse(assigns, arg_calls, iface)
    return iface


def _argparse(assigns, arg_calls, iface: Interface) -> None:
    subparser_vars: dict[str, str] = {}
    parser_vars: set[str] = set()
    for node in assigns:
        fname = _attr_name(node.value.func)
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if fname == "add_parser":
            names = _strings(node.value)
            if names:
                for t in targets:
                    subparser_vars[t] = names[0]
                iface.commands.setdefault(names[0], Command(names[0], names[0], node.lineno))
        elif fname == "ArgumentParser":
            parser_vars.update(targets)
    if not parser_vars and not subparser_vars:
        return
    iface.kind = "argparse"
    for node in arg_calls:
        owner = _attr_name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        opts = {s for s in _strings(node) if s.startswith("-")}
        if owner in subparser_vars:
            iface.commands[subparser_vars[owner]].options |= opts
        else:
            iface.global_options |= opts
