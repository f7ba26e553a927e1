"""`.dockerignore`: which paths of a build context are sent, as the docker SDK's builder decides it (its
`exclude_paths`, itself modelled on moby's), so that medcube's cache key (validator.engine.images.context) covers what a
build reads. tests/test_dockerignore.py holds this module and the SDK side by side on generated trees and patterns.

The rules, as the SDK applies them:
- a pattern is cleaned (spaces around it, `.` parts and empty parts dropped, `..` removing the part before it) and
  matched against the path relative to the context, without case;
- `*` and `?` match within one path part, `**` any number of parts (`**/` included), `[...]` a set; `\\` is an
  ordinary character;
- a pattern with as many parts as a path's parent also matches its descendants (`build` excludes `build/x/y`);
- the last pattern that matches wins: `!pattern` sends the path again;
- the Dockerfile and `.dockerignore` itself are always sent;
- an excluded folder is not walked unless a `!` pattern starts with its path; links are listed, never followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    keep: bool  # a `!` pattern
    parts: tuple[str, ...]
    regex: re.Pattern[str]

    @property
    def text(self) -> str:
        return "/".join(self.parts)


def _clean(pattern: str) -> list[str]:
    parts: list[str] = []
    for part in pattern.strip().split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def _regex(glob: str) -> str:
    """The glob as a regular expression (anchored at both ends)."""
    out = ["^"]
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            if glob[i:i + 1] == "*":
                i += 1
                if glob[i:i + 1] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
            else:
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = i + (glob[i:i + 1] == "!")
            end += glob[end:end + 1] == "]"
            end = glob.find("]", end)
            if end < 0:
                out.append("\\[")
                continue
            body = glob[i:end].replace("\\", "\\\\")
            i = end + 1
            if body.startswith("!"):
                body = "^" + body[1:]
            elif body.startswith("^"):
                body = "\\" + body
            out.append(f"[{body}]")
        else:
            out.append(re.escape(c))
    out.append("$")
    return "".join(out)


def rules(patterns: list[str], dockerfile: str | None) -> list[_Rule]:
    """The patterns of `.dockerignore`, then the two paths always sent."""
    out = []
    for pattern in [*patterns, f"!{dockerfile or 'Dockerfile'}", "!.dockerignore"]:
        keep = pattern.startswith("!")
        parts = _clean(pattern[1:] if keep else pattern)
        if parts:
            out.append(_Rule(keep, tuple(parts), re.compile(_regex("/".join(parts).lower()))))
    return out


def ignored(path: str, rules: list[_Rule]) -> bool:
    """Whether the path (relative, `/`-separated) is left out of the context."""
    name = path.lower()
    parents = [p for p in path.split("/")[:-1] if p and p != "."]
    out = False
    for rule in rules:
        hit = rule.regex.match(name) is not None
        if not hit and parents and len(rule.parts) <= len(parents):
            hit = rule.regex.match("/".join(parents[:len(rule.parts)]).lower()) is not None
        if hit:
            out = not rule.keep
    return out


def sent(root: str, patterns: list[str], dockerfile: str | None = None) -> Iterator[str]:
    """The paths (relative, files and folders) docker sends from the context ``root``. Iterative: a context
    nested deeper than Python's recursion limit is walked like any other."""
    compiled = rules(patterns, dockerfile)
    folders = [(root, "")]
    while folders:
        folder, prefix = folders.pop()
        for name in os.listdir(folder):
            rel = prefix + name
            out = ignored(rel, compiled)
            if not out:
                yield rel
            full = os.path.join(folder, name)
            if os.path.islink(full) or not os.path.isdir(full):
                continue
            if out and not any(r.keep and r.text.startswith(rel) for r in compiled):
                continue
            folders.append((full, rel + "/"))
