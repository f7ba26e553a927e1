"""Read the command-line interface of a cube's Python entrypoint (typer, click or argparse) with `ast`,
without importing or running it: its commands, the options each accepts, and the options it requires (typer
`typer.Option(...)` or an Annotated option without a default, click `required=True`, argparse `required=True`)."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Required:
    """An option the parser requires: any of its names given satisfies it."""

    names: tuple[str, ...]  # e.g. ("--data_path", "-d")
    line: int


@dataclass
class Command:
    name: str  # the name the CLI answers to
    function: str
    line: int
    options: set[str] = field(default_factory=set)  # e.g. {"--data_path"}
    named_explicitly: bool = True
    required: list[Required] = field(default_factory=list)


@dataclass
class Interface:
    kind: str  # "typer" | "click" | "argparse" | "unknown"
    commands: dict[str, Command] = field(default_factory=dict)
    global_options: set[str] = field(default_factory=set)  # argparse options of the main parser
    has_callback: bool = False
    global_required: list[Required] = field(default_factory=list)  # argparse: of the one main parser
    line: int | None = None  # where the parser is made (argparse) or its first command
    known_args: bool = False  # argparse parse_known_args: options it does not define are let through
    abbreviations: bool = False  # argparse: a unique prefix of an option is that option
    tree: ast.Module | None = field(default=None, repr=False, compare=False)  # the script read (read())
    # every node of the tree with the functions it lies in (walk()), for the checks that read the script further
    nodes: list[tuple[ast.AST, tuple]] = field(default_factory=list, repr=False, compare=False)
    # answers of checks that depend on the script alone (by the check's name), kept with it as the Interface is
    memo: dict = field(default_factory=dict, repr=False, compare=False)

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


def _has_kw(call: ast.Call, *names: str) -> bool:
    return any(kw.arg in names for kw in call.keywords)


def _is_ellipsis(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _typer_required(call: ast.Call, annotated: bool, default) -> bool:
    """typer requires an option whose default is `...` (`typer.Option(...)`, `default=...`), or, in the Annotated
    form, one the parameter gives no default; an environment variable may stand in for it (not required here)."""
    if _has_kw(call, "envvar", "prompt"):
        return False
    given = next((kw.value for kw in call.keywords if kw.arg == "default"), None)
    if annotated:
        return default is None and given is None or _is_ellipsis(given) or _is_ellipsis(default)
    first = call.args[0] if call.args else given
    return _is_ellipsis(first)


def _typer_options(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], list[Required]]:
    opts: set[str] = set()
    required: list[Required] = []
    args = fn.args.args + fn.args.kwonlyargs
    defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + list(fn.args.defaults) + list(fn.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=True):
        in_annotation = _option_call(arg.annotation)
        call = in_annotation or _option_call(default)
        names: list[str] = []
        if call is not None:
            if _attr_name(call.func) == "Argument":
                continue
            for d in (s for s in _strings(call) if s.startswith("-")):
                names += [x for x in d.split("/") if x.startswith("-")]
        elif default is None:
            continue  # a plain parameter without default is a positional argument
        if not names:
            names = ["--" + arg.arg.replace("_", "-")]
            if isinstance(arg.annotation, ast.Name) and arg.annotation.id == "bool":
                names.append("--no-" + arg.arg.replace("_", "-"))  # typer's flag pair
        opts.update(names)
        if call is not None and _typer_required(call, in_annotation is not None, default):
            required.append(Required(tuple(names), arg.lineno))
    return opts, required


def _click_options(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], list[Required]]:
    opts: set[str] = set()
    required: list[Required] = []
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and _attr_name(dec.func) == "option":
            names = [x for s in _strings(dec) if s.startswith("-") for x in s.split("/") if x.startswith("-")]
            opts.update(names)
            # click lets a default, an environment variable or a prompt stand in for a required option
            if names and _kw(dec, "required") is True and not _has_kw(dec, "default", "envvar", "prompt"):
                required.append(Required(tuple(names), dec.lineno))
    return opts, required


def parse(path: Path, raw: bytes | None = None) -> ast.Module:
    """The script's syntax tree (`raw`: its bytes, when the caller read them). Its bytes are decoded as Python does
    (UTF-8, or the encoding its first lines declare): UnicodeDecodeError when they are not that, SyntaxError when
    they are no Python."""
    raw = Path(path).read_bytes() if raw is None else raw
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    return ast.parse(raw.decode(encoding), filename=str(path))


def walk(tree: ast.AST) -> list[tuple[ast.AST, tuple]]:
    """Every node of the tree in `ast.walk`'s order (breadth first), each with the functions (FunctionDef /
    AsyncFunctionDef nodes, outermost first, the node itself included) whose body holds it: one walk that the
    interface and the checks of the script share, instead of one `ast.walk` each. The children of a node are
    `ast.iter_child_nodes`'s (its `_fields` that hold nodes, in order), read in this loop: walking is the larger
    part of reading a script, and the generators cost twice the loop."""
    out: list[tuple[ast.AST, tuple]] = []
    todo: deque[tuple[ast.AST, tuple]] = deque([(tree, ())])
    pop, push = todo.popleft, todo.append
    functions, node_type = (ast.FunctionDef, ast.AsyncFunctionDef), ast.AST
    while todo:
        node, chain = pop()
        if isinstance(node, functions):
            chain = (*chain, node)
        out.append((node, chain))
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                push((value, chain))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        push((item, chain))
    return out


_READ: dict[bytes, Interface] = {}  # a script's bytes -> its interface, for this process
_READ_MAX = 256  # scripts remembered (the oldest is forgotten first)
_READ_MAX_BYTES = 256 << 10  # a larger script is parsed each time, not held


def read(path: Path) -> Interface:
    """The script's interface (its tree and its walk kept for the checks that read the script further); raises as
    parse(). The answer depends on the script's bytes only, so it is remembered by them for this process: the
    cubes made from one template (a benchmark's submissions, MedPerf's examples) share their entrypoint script,
    and parsing it is the larger part of checking a cube's code. The Interface returned may be shared: callers
    read it and never change it. A script that cannot be read is parsed (and raises) every time."""
    raw = Path(path).read_bytes()
    iface = _READ.get(raw)
    if iface is not None:
        return iface
    tree = parse(path, raw)
    nodes = walk(tree)
    iface = from_tree(tree, nodes)
    iface.tree = tree
    iface.nodes = nodes
    if len(raw) <= _READ_MAX_BYTES:
        if len(_READ) >= _READ_MAX:
            del _READ[next(iter(_READ))]
        _READ[raw] = iface
    return iface


def is_empty(tree: ast.Module) -> bool:
    """A script that runs nothing: no statements (0 bytes, only comments and blank lines), or only a docstring,
    `pass` or `...`."""
    return all(isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
               for stmt in tree.body)


def from_tree(tree: ast.AST, nodes: list[tuple[ast.AST, tuple]] | None = None) -> Interface:
    """The interface of a parsed script; `nodes`: its walk() when the caller has it already."""
    # One walk over the tree (the slowest part of a static check), then each pass over the nodes it needs.
    assigns, functions, arg_calls = [], [], []
    typer_apps: set[str] = set()
    uses_click = known_args = False
    for node, _chain in nodes if nodes is not None else walk(tree):
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
            elif _attr_name(node.func) in ("parse_known_args", "parse_known_intermixed_args"):
                known_args = True
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
            opts, required = _typer_options(node) if is_typer else _click_options(node)
            iface.kind = "typer" if is_typer else "click"
            iface.commands[name] = Command(name, node.name, node.lineno, opts, bool(explicit), required)
            iface.line = iface.line or node.lineno

    if iface.kind == "unknown":
        _argparse(assigns, arg_calls, iface)
        iface.known_args = known_args
    return iface


def _argparse(assigns, arg_calls, iface: Interface) -> None:
    """The options of the parser(s); a required option of the main parser only where the file makes one parser (with
    several, which one runs is not known here)."""
    subparser_vars: dict[str, str] = {}
    parser_vars: set[str] = set()
    parsers = 0
    abbreviations = True
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
            parsers += 1
            iface.line = iface.line or node.lineno
            abbreviations = abbreviations and _kw(node.value, "allow_abbrev") is not False
    if not parser_vars and not subparser_vars:
        return
    iface.kind = "argparse"
    iface.abbreviations = abbreviations
    for node in arg_calls:
        owner = _attr_name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        names = [s for s in _strings(node) if s.startswith("-")]
        required = Required(tuple(names), node.lineno) if names and _kw(node, "required") is True else None
        if owner in subparser_vars:
            command = iface.commands[subparser_vars[owner]]
            command.options |= set(names)
            if required:
                command.required.append(required)
        else:
            iface.global_options |= set(names)
            if required and parsers == 1:
                iface.global_required.append(required)
