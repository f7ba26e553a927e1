"""Read YAML keeping the line and column of every node, so findings can point at the offending place.

Every YAML medcube reads comes from someone else (a cube's config, a benchmark profile, a task's results.yaml), so
reading is bounded: MAX_BYTES of text, MAX_DEPTH levels of nesting and MAX_NODES nodes once aliases are expanded.
A first pass over libyaml's event stream (iterative, stopping at the first limit crossed) checks the limits before
anything is composed, so an alias bomb, 100,000 nested brackets or a recursive alias (`a: &x {b: *x}`) end in a
YamlSyntaxError, not a hang or a crash. Bytes that are not UTF-8 are a NotUtf8Error (a YamlSyntaxError saying so).
`load_data(text, name)` is the bounded replacement for `yaml.safe_load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validator import utf8
from validator.errors import MedcubeError

_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
try:  # the C parser is several times faster; marks are the same
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Pos = tuple[int, int]  # 1-based line, column

MAX_BYTES = 1 << 20  # a config, a profile, a results file: far below a MiB
MAX_DEPTH = 64  # nesting levels
MAX_NODES = 200_000  # nodes after alias expansion


class YamlSyntaxError(MedcubeError):
    """A file that is no YAML (or too large, deep or aliased to read), at its line and column. ``hint``: how to fix
    it, where it differs from the caller's hint for a syntax error (None: the caller's)."""

    title = "YAML syntax error"

    def __init__(self, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.line = line
        self.column = column

    def described(self) -> str:
        """"YAML syntax error: ...", or "not UTF-8: ..." for a file that is no text medcube reads."""
        return f"{self.title}: {self.message}"


class NotUtf8Error(YamlSyntaxError):
    """The file's bytes are not UTF-8: no YAML was parsed, so the YAML is not to blame."""

    title = "not UTF-8"

    def __init__(self, error: UnicodeDecodeError):
        super().__init__(utf8.message(error), utf8.where(error)[1], None)
        self.hint = "Save the file as UTF-8 (YAML files are read as UTF-8, as MedPerf reads them)."

    def described(self) -> str:
        return self.message  # "not UTF-8: invalid start byte at byte 7 (line 2)"


@dataclass
class Doc:
    """A parsed YAML document: plain Python data plus where each value and key came from."""

    file: Path
    data: Any
    values: dict[tuple, Pos] = field(default_factory=dict)  # path -> position of the value
    keys: dict[tuple, Pos] = field(default_factory=dict)  # path -> position of the mapping key
    duplicates: list[tuple[tuple, Pos]] = field(default_factory=list)  # keys given twice

    def pos(self, path=(), key: bool = False) -> Pos | tuple[None, None]:
        """Position of a path; the key's position when key=True; the nearest ancestor when unknown."""
        path = tuple(path)
        while True:
            table = self.keys if key and path in self.keys else self.values
            if path in table:
                return table[path]
            if not path:
                return (None, None)
            path = path[:-1]
            key = True

    def line(self, path=(), key: bool = False) -> int | None:
        return self.pos(path, key)[0]


def _mark(node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_MERGE = "tag:yaml.org,2002:merge"


def _construct(loader, node):
    """A scalar (or key) as yaml.safe_load makes it. A value its tag cannot be (`!!int 3,`, `!!float x`, a timestamp
    out of range) makes PyYAML's constructors raise ValueError or OverflowError, not a YAML error: it is one here,
    at the value's place (yaml.safe_load, and so MedPerf, stops on it)."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, TypeError) as e:
        raise yaml.constructor.ConstructorError(
            None, None, f"the value {str(node.value)[:60]!r} cannot be read as {node.tag.rsplit(':', 1)[-1]}: {e}",
            node.start_mark) from None


def _build(loader, node, path, doc: Doc):
    mark = node.start_mark
    doc.values[path] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if any(k.tag == _MERGE for k, _ in node.value):
            return _build_merged(loader, node, path, doc)
        out = {}
        keys = doc.keys
        for knode, vnode in node.value:
            key = _construct(loader, knode)
            if isinstance(key, (list, dict)):
                key = str(key)
            kpath = path + (key,)
            if key in out:
                doc.duplicates.append((kpath, _mark(knode)))
            keys[kpath] = _mark(knode)
            out[key] = _build(loader, vnode, kpath, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _construct(loader, node)


def _build_merged(loader, node, path, doc: Doc):
    """A mapping with merge keys (`<<: *base`), read as yaml.safe_load (and so MedPerf) reads it."""
    own = {id(k) for k, _ in node.value if k.tag != _MERGE}
    loader.flatten_mapping(node)
    out = {}
    merged: set = set()  # keys that came from a merge: the mapping's own key overrides them, no duplicate
    for knode, vnode in node.value:
        key = _construct(loader, knode)
        if isinstance(key, (list, dict)):
            key = str(key)
        kpath = path + (key,)
        if id(knode) not in own:
            merged.add(key)  # flatten_mapping orders merge sources so that the last one wins, as in PyYAML
        elif key in merged:
            merged.discard(key)
        elif key in out:
            doc.duplicates.append((kpath, _mark(knode)))
        doc.keys[kpath] = _mark(knode)
        out[key] = _build(loader, vnode, kpath, doc)
    return out


def _limit_error(what: str, event) -> YamlSyntaxError:
    mark = getattr(event, "start_mark", None)
    return YamlSyntaxError(what, mark.line + 1 if mark else None, mark.column + 1 if mark else None)


def _place(e: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = e.problem_mark or e.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (None, None)


def check_limits(text: str) -> None:
    """Raise YamlSyntaxError when text is larger, deeper or (aliases expanded) bigger than medcube reads.

    Walks libyaml's events once, without recursion: every collection's size is its nodes plus, for each alias, the
    size of the anchored node it repeats; the walk stops as soon as a limit is crossed."""
    if len(text) > MAX_BYTES:
        raise YamlSyntaxError(f"the file is larger than medcube reads ({len(text)} characters, at most {MAX_BYTES})",
                              None, None)
    loader = _Loader(text)
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for
    stack: list[list] = [[0, None]]  # per open collection: [nodes so far, its anchor]
    total = 0  # nodes so far, all collections together, aliases expanded
    inside: set[str] = set()  # anchors whose latest definition is a collection still open: `*name` there recurses
    try:
        while loader.check_event():
            event = loader.get_event()
            # isinstance on the event classes, which PyYAML never subclasses: the same test as their exact type
            if isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    sizes[event.anchor] = 1
                    inside.discard(event.anchor)
                stack[-1][0] += 1
                total += 1
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append([1, event.anchor])
                if event.anchor:
                    inside.add(event.anchor)
                total += 1
                if len(stack) - 1 > MAX_DEPTH:
                    raise _limit_error(f"nested more than {MAX_DEPTH} levels deep", event)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                count, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = count
                    inside.discard(anchor)
                stack[-1][0] += count
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor in inside:
                    raise _limit_error(f"the alias *{event.anchor} stands for a collection it is inside of (a "
                                       "recursive alias): no plain data has that shape", event)
                size = sizes.get(event.anchor, 1) if event.anchor is not None else 1  # `*name` always has one
                stack[-1][0] += size
                total += size
            if total > MAX_NODES:
                raise _limit_error(f"more than {MAX_NODES} values once its aliases (*name) are expanded "
                                   "(an alias bomb?)", event)
    except yaml.MarkedYAMLError as e:
        if "nesting depth" in str(e.problem):  # newer libyaml scans a flow collection's brackets ahead, and stops
            raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep", *_place(e)) from None
        return  # a syntax error: parse() reports it with its place
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _within_limits(root) -> bool:
    """Whether a composed document is surely within the limits check_limits() enforces: no node reached again
    through itself (a recursive alias), at most MAX_DEPTH collections deep and MAX_NODES nodes with aliases
    expanded (an alias counts the nodes it repeats, as in check_limits). One pass over the composed nodes, each
    looked at once (an alias is the node it repeats). Depth is counted through aliases, so this may say no where
    the text itself is shallow enough: the caller then asks check_limits()."""
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    size: dict[int, int] = {}  # id(collection) -> nodes it stands for, aliases expanded (a scalar: 1)
    height: dict[int, int] = {}  # id(collection) -> collections nested in it, itself included (a scalar: 0)
    open_: set[int] = set()  # collections whose children are being counted
    todo: list[tuple[Any, list | None]] = [(root, None)]
    while todo:
        node, children = todo.pop()
        key = id(node)
        if children is not None:  # its children are counted
            open_.discard(key)
            n = 1 + sum(size.get(id(c), 1) for c in children)
            h = 1 + max([height.get(id(c), 0) for c in children] or [0])
            if n > MAX_NODES or h > MAX_DEPTH:
                return False
            size[key], height[key] = n, h
            continue
        if key in size or not isinstance(node, (mapping, sequence)):
            continue
        children = [n for pair in node.value for n in pair] if isinstance(node, mapping) else node.value
        open_.add(key)
        todo.append((node, children))
        for child in children:
            if id(child) in open_:
                return False  # a recursive alias
            if id(child) not in size and isinstance(child, (mapping, sequence)):
                todo.append((child, None))
    return True


COMPOSE_FIRST = 4096  # characters: a text this short cannot nest deeper than libyaml's composer recurses safely


def parse(text: str, file: Path) -> Doc:
    """The document with the places of its keys and values. A text of at most COMPOSE_FIRST characters is composed
    first (libyaml, in C) and its composed nodes are held to the limits (_within_limits); only where they are not
    surely within them, or composing fails, does check_limits() read the events for the precise error. A longer
    text (which could nest deep enough to exhaust the C stack while composing) is checked first."""
    small = len(text) <= COMPOSE_FIRST
    if not small:
        check_limits(text)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            if small:
                check_limits(text)  # a limit crossed is said first, as for a longer text
            raise
        if small and node is not None and not _within_limits(node):
            check_limits(text)  # raises with the place; when it does not, the text is read as it always was
        doc = Doc(file=file, data=None)
        if node is not None:
            doc.data = _build(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as e:
        msg = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise YamlSyntaxError(msg or str(e), *_place(e)) from None
    except yaml.YAMLError as e:
        raise YamlSyntaxError(str(e), None, None) from None
    finally:
        loader.dispose()


def read_text(file: Path) -> str:
    """A YAML file's text: a regular file (a FIFO or a device is refused, never opened to block), at most
    MAX_BYTES, UTF-8."""
    from validator.hostfs import HostFileError, read_bytes

    try:
        raw = read_bytes(file, MAX_BYTES, follow_links=True)
    except HostFileError as e:
        raise YamlSyntaxError(e.message.replace(f"{file} ", "", 1).replace(f"{file}: ", "", 1), None, None) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NotUtf8Error(e) from None


def read(file: Path) -> Doc:
    file = Path(file)
    return parse(read_text(file), file)


def load_data(text: str, name: str = "<yaml>"):
    """yaml.safe_load within the limits above: plain data, or YamlSyntaxError."""
    return parse(text, Path(name)).data
