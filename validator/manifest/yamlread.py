"""Read YAML keeping the line and column of every node, so findings can point at the offending place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # the C parser is several times faster; marks are the same
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Pos = tuple[int, int]  # 1-based line, column


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


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


def _build(loader, node, path, doc: Doc):
    doc.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        loader.flatten_mapping(node)  # merge keys (`<<: *base`), as yaml.safe_load (and so MedPerf) reads them
        out = {}
        merged: set = set()  # keys that came from a merge: the mapping's own key overrides them, no duplicate
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
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
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse(text: str, file: Path) -> Doc:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        doc = Doc(file=file, data=None)
        if node is not None:
            doc.data = _build(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        msg = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise YamlSyntaxError(msg or str(e), line, col) from None
    except yaml.YAMLError as e:
        raise YamlSyntaxError(str(e), None, None) from None
    finally:
        loader.dispose()


def read(file: Path) -> Doc:
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise YamlSyntaxError(f"not UTF-8 text ({e.reason} at byte {e.start})", None, None) from None
    return parse(text, file)
