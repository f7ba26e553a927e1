"""A small Dockerfile reader: instructions with their line numbers, ARG defaults, COPY mappings, ENTRYPOINT/CMD.

Enough for static checks and the local runner; it is not a full BuildKit parser.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    cmd: str  # upper case: FROM, RUN, COPY, ...
    value: str  # the rest of the line, continuations joined
    line: int  # 1-based line of the instruction keyword

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form as a list, None for the shell form."""
        text = self.value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
        return None

    def argv(self) -> list[str]:
        """The instruction as argv: exec form as is, shell form wrapped like Docker does."""
        form = self.exec_form()
        if form is not None:
            return form
        return ["/bin/sh", "-c", self.value.strip()]


@dataclass
class Dockerfile:
    path: Path
    instructions: list[Instruction] = field(default_factory=list)
    _copies: tuple | None = field(default=None, init=False, repr=False, compare=False)  # (len(instructions), copies)

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]

    def last(self, cmd: str) -> Instruction | None:
        found = self.all(cmd)
        return found[-1] if found else None

    @property
    def entrypoint(self) -> list[str] | None:
        ins = self.last("ENTRYPOINT")
        return ins.argv() if ins else None

    @property
    def cmd(self) -> list[str] | None:
        ins = self.last("CMD")
        return ins.argv() if ins else None

    def arg_defaults(self) -> dict[str, str]:
        out = {}
        for ins in self.all("ARG"):
            name, _, default = ins.value.strip().partition("=")
            out[name.strip()] = default.strip().strip('"').strip("'")
        return out

    def copies(self) -> list[tuple[list[str], str, Instruction]]:
        """(sources, destination, instruction) of every COPY/ADD from the build context (not --from=)."""
        if self._copies is not None and self._copies[0] == len(self.instructions):
            return list(self._copies[1])
        out = []
        for ins in self.instructions:
            if ins.cmd not in ("COPY", "ADD"):
                continue
            form = ins.exec_form()
            try:
                parts = form if form is not None else shlex.split(ins.value)
            except ValueError:
                continue
            if any(p.startswith("--from") for p in parts):
                continue
            parts = [p for p in parts if not p.startswith("--")]
            if len(parts) < 2:
                continue
            out.append((parts[:-1], parts[-1], ins))
        self._copies = (len(self.instructions), tuple(out))
        return out

    def workdir_at(self, line: int) -> str:
        wd = "/"
        for ins in self.instructions:
            if ins.line > line:
                break
            if ins.cmd == "WORKDIR":
                wd = posixpath.join(wd, ins.value.strip())
        return wd

    def host_path(self, image_path: str, context: Path) -> Path | None:
        """Where a path inside the image comes from in the build context (None when no COPY covers it)."""
        image_path = posixpath.normpath(image_path)
        for sources, dest, ins in reversed(self.copies()):
            raw = posixpath.join(self.workdir_at(ins.line), dest)
            dest = posixpath.normpath(raw)  # `COPY . .` after WORKDIR /app: /app/. is /app
            if dest != "/" and (raw.endswith("/") or posixpath.basename(raw) in (".", "..")):
                dest += "/"
            for src in sources:
                src_host = (context / src).resolve()
                if dest.endswith("/") or len(sources) > 1 or src_host.is_dir():
                    base = dest.rstrip("/") or "/"
                    if src_host.is_dir():
                        rel = _relative(image_path, base)
                        if rel is not None:
                            return src_host / rel if rel else src_host
                    else:
                        target = posixpath.join(base, posixpath.basename(src))
                        if image_path == target:
                            return src_host
                elif image_path == dest:
                    return src_host
        return None


def _relative(path: str, base: str) -> str | None:
    if base == "/":
        return path.lstrip("/")
    if path == base:
        return ""
    if path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return None


_CONT = re.compile(r"\\\s*$")


def parse(text: str, path: Path) -> Dockerfile:
    df = Dockerfile(path)
    buf, start = "", None
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if start is None and (not stripped or stripped.startswith("#")):
            continue
        if start is not None and stripped.startswith("#"):
            continue
        if start is None:
            start = n
        if _CONT.search(raw):
            buf += _CONT.sub("", raw) + " "
            continue
        buf += raw
        cmd, _, value = buf.strip().partition(" ")
        df.instructions.append(Instruction(cmd.upper(), value.strip(), start))
        buf, start = "", None
    if start is not None and buf.strip():
        cmd, _, value = buf.strip().partition(" ")
        df.instructions.append(Instruction(cmd.upper(), value.strip(), start))
    return df


def read(path: Path) -> Dockerfile:
    return parse(Path(path).read_text(encoding="utf-8", errors="replace"), Path(path))
