"""A Dockerfile reader for static checks and the local runner: instructions with their lines, following BuildKit's
grammar where it matters to medcube.

- parser directives (`# syntax=`, `# escape=`), line continuations (with the escape character), comments and blank
  lines inside continuations, tabs or spaces after the keyword;
- heredocs (`RUN <<EOF`, `COPY <<EOF /dest`, `<<-EOF` stripping tabs, quoted names), kept on the instruction;
- stages: every FROM starts one; `FROM <stage>` inherits the stage's ENV, WORKDIR, ENTRYPOINT, CMD and USER. What the
  final image has (`entrypoint`, `cmd`, `last()`, `copies()`, `workdir_at()`) comes from the final stage and the
  stages it is built FROM;
- ARG/ENV substitution (`$X`, `${X}`, `${X:-default}`, `${X:+alt}`, `${X-default}`, `${X+alt}`, `\\$` kept) in the
  instructions BuildKit expands (FROM with the ARGs before the first FROM; COPY, ADD, WORKDIR, ENV, USER, ... with the
  stage's ARGs and ENVs). RUN, CMD and ENTRYPOINT are left as written (a shell expands them at run time).

It reads text only: nothing is built or fetched. `tests/test_dockerfile_buildkit.py` compares it with BuildKit's own
parser (the `dockerfile` package) on tricky files.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from validator.manifest.argv import split
from validator.manifest.dockervars import arg_pairs, env_pairs, expand

# Instructions whose arguments BuildKit expands with ARG/ENV values.
EXPANDED = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "ONBUILD"})
_HEREDOC_OWNERS = frozenset({"RUN", "COPY", "ADD"})
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")
_KEYWORD = re.compile(r"^\s*(\S+)(?:[ \t]+(.*))?$", re.S)


@dataclass
class Heredoc:
    name: str
    content: str  # the lines between the marker and the name, each ending in "\n", as written
    strip_tabs: bool = False  # `<<-NAME`: leading tabs are removed from every line when it is used

    @property
    def text(self) -> str:
        """The content as the build uses it."""
        if not self.strip_tabs:
            return self.content
        return "".join(line.lstrip("\t") for line in self.content.splitlines(keepends=True))


@dataclass
class Instruction:
    cmd: str  # upper case: FROM, RUN, COPY, ...
    value: str  # the rest of the line, continuations joined (for a heredoc, the line with the <<NAME marker)
    line: int  # 1-based line of the instruction keyword
    end_line: int | None = None  # last line, heredoc bodies included
    heredocs: list[Heredoc] = field(default_factory=list)
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM (global ARGs)

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
class Stage:
    index: int
    name: str | None  # the `AS name`, lower case
    base: str  # the FROM image (expanded), or the name of an earlier stage
    parent: int | None  # the index of the stage it is built FROM, None for an image
    instructions: list[Instruction] = field(default_factory=list)  # the FROM first


@dataclass
class Dockerfile:
    path: Path
    instructions: list[Instruction] = field(default_factory=list)
    directives: dict[str, str] = field(default_factory=dict)  # syntax, escape, ... (lower-case names)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ stages

    @property
    def stages(self) -> list[Stage]:
        key = ("stages", len(self.instructions))
        if key not in self._cache:
            self._cache[key] = self._stages()
        return self._cache[key]

    def _stages(self) -> list[Stage]:
        stages: list[Stage] = []
        names: dict[str, int] = {}
        global_args = self._declared_args([i for i in self.instructions if i.stage == -1], {})
        for ins in self.instructions:
            if ins.cmd == "FROM":
                words = [w for w in ins.value.split() if not w.startswith("--")]
                base = expand(words[0], global_args) if words else ""
                name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
                parent = names.get(base.lower())
                if parent is None and base.isdigit() and int(base) < len(stages):
                    parent = int(base)
                stages.append(Stage(len(stages), name, base, parent))
                if name:
                    names[name] = len(stages) - 1
            if stages and ins.stage >= 0:
                stages[ins.stage].instructions.append(ins)
        return stages

    def image_chain(self) -> list[Stage]:
        """The stages the final image is made of, the first one built FROM an image first."""
        if not self.stages:
            return []
        chain: list[Stage] = []
        seen: set[int] = set()
        stage: Stage | None = self.stages[-1]
        while stage is not None and stage.index not in seen:
            seen.add(stage.index)
            chain.append(stage)
            stage = self.stages[stage.parent] if stage.parent is not None else None
        return chain[::-1]

    def image_instructions(self) -> list[Instruction]:
        """The instructions of the final image's stages, in build order (what `docker run` sees)."""
        out = [ins for stage in self.image_chain() for ins in stage.instructions]
        if not self.stages:  # no FROM at all: treat the file as one stage
            out = [ins for ins in self.instructions if ins.stage == -1 and ins.cmd != "ARG"] or list(self.instructions)
        return out

    # ------------------------------------------------------------------ queries

    def all(self, cmd: str) -> list[Instruction]:
        """Every instruction `cmd` in the file, all stages."""
        return [i for i in self.instructions if i.cmd == cmd]

    def last(self, cmd: str) -> Instruction | None:
        """The instruction `cmd` that holds in the final image (its stages only), or None."""
        found = [i for i in self.image_instructions() if i.cmd == cmd]
        return found[-1] if found else None

    @property
    def entrypoint(self) -> list[str] | None:
        ins = self.last("ENTRYPOINT")
        return ins.argv() if ins else None

    @property
    def cmd(self) -> list[str] | None:
        ins = self.last("CMD")
        return ins.argv() if ins else None

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def arg_defaults(self) -> dict[str, str]:
        """Every ARG's default, all stages (later declarations win)."""
        out = {}
        for ins in self.all("ARG"):
            for name, default in arg_pairs(ins.value):
                out[name] = default or ""
        return out

    def variables_at(self, ins: Instruction, buildargs: dict[str, str] | None = None) -> dict[str, str]:
        """The ARG and ENV values an instruction sees (build args override ARG defaults; ENV wins over ARG).
        FROM sees the ARGs declared before the first FROM; a stage starts with the ENV of the stage it is built
        FROM and no ARGs (an `ARG NAME` without default takes the global one)."""
        if buildargs is None:
            return dict(self._scopes().get(id(ins), {}))
        return self._scopes(buildargs).get(id(ins), {})

    def _scopes(self, buildargs: dict[str, str] | None = None) -> dict[int, dict[str, str]]:
        """id(instruction) -> the variables it sees, for the instructions that expand them, in one pass."""
        key = ("scopes", len(self.instructions))
        if buildargs is None and key in self._cache:
            return self._cache[key]
        buildargs = buildargs or {}
        out: dict[int, dict[str, str]] = {}
        globals_: dict[str, str] = {}
        stage_env: list[dict[str, str]] = []  # ENV at the end of each stage
        args: dict[str, str] = {}
        env: dict[str, str] = {}
        parents = [s.parent for s in self.stages]
        for ins in self.instructions:
            if ins.cmd == "FROM":
                out[id(ins)] = dict(globals_)
                if stage_env:
                    stage_env[-1] = env
                parent = parents[ins.stage] if 0 <= ins.stage < len(parents) else None
                env = dict(stage_env[parent]) if parent is not None and parent < len(stage_env) else {}
                args = {}
                stage_env.append(env)
                continue
            seen = {**args, **env}
            if ins.cmd in EXPANDED or ins.cmd in ("ARG", "ENV"):
                out[id(ins)] = seen
            if ins.cmd == "ARG":
                for name, default in arg_pairs(ins.value):
                    if name in buildargs:
                        value = buildargs[name]
                    elif default is not None:
                        value = expand(default, seen)
                    else:
                        value = globals_.get(name, "") if ins.stage >= 0 else ""
                    (globals_ if ins.stage < 0 else args)[name] = value
                    seen = {**args, **env} if ins.stage >= 0 else dict(globals_)
            elif ins.cmd == "ENV" and ins.stage >= 0:
                env = dict(env)
                for name, value in env_pairs(ins.value):
                    env[name] = expand(value, {**args, **env})
                stage_env[-1] = env
        if buildargs == {}:
            self._cache[key] = out
        return out

    def expanded(self, ins: Instruction, buildargs: dict[str, str] | None = None) -> str:
        """The instruction's arguments with ARG/ENV substituted, for the instructions BuildKit expands."""
        if ins.cmd not in EXPANDED:
            return ins.value
        return expand(ins.value, self.variables_at(ins, buildargs))

    def env(self) -> dict[str, str]:
        """The ENV of the final image (its stages), expanded."""
        out: dict[str, str] = {}
        for ins in self.image_instructions():
            if ins.cmd == "ENV":
                seen = self.variables_at(ins)
                for name, value in env_pairs(ins.value):
                    out[name] = expand(value, {**seen, **out})
        return out

    def copies(self, image_only: bool = True) -> list[tuple[list[str], str, Instruction]]:
        """(sources, destination, instruction) of every COPY/ADD from the build context (not --from=, not heredocs),
        with ARG/ENV substituted: into the final image, or in every stage with image_only=False."""
        key = ("copies", len(self.instructions), image_only)
        if key in self._cache:
            return list(self._cache[key])
        out = []
        for ins in self.image_instructions() if image_only else self.instructions:
            if ins.cmd not in ("COPY", "ADD"):
                continue
            form = ins.exec_form()
            try:
                parts = form if form is not None else split(ins.value)
            except ValueError:
                continue
            if any(p.startswith("--from") for p in parts):
                continue
            parts = [p for p in parts if not p.startswith("--")]
            if len(parts) < 2:
                continue
            if ins.heredocs:
                parts = [p for p in parts[:-1] if not _HEREDOC.fullmatch(p)] + parts[-1:]
                if len(parts) < 2:
                    continue
            values = self.variables_at(ins)
            parts = [expand(p, values) for p in parts]
            out.append((parts[:-1], parts[-1], ins))
        self._cache[key] = tuple(out)
        return out

    def workdir_at(self, line: int) -> str:
        """The working directory at a line of the final image's stages ("/" before any WORKDIR)."""
        wd = "/"
        for ins in self.image_instructions():
            if ins.line > line:
                break
            if ins.cmd == "WORKDIR":
                wd = posixpath.join(wd, expand(ins.value.strip(), self.variables_at(ins)))
        return wd

    def host_path(self, image_path: str, context: Path) -> Path | None:
        """Where a path inside the image comes from in the build context (None when no COPY covers it). Answers are
        remembered for this Dockerfile (read once per check of a cube; the checks ask for the same few paths)."""
        key = ("host_path", len(self.instructions), image_path, os.fspath(context))
        if key not in self._cache:
            self._cache[key] = self._host_path(image_path, context)
        return self._cache[key]

    def _host_path(self, image_path: str, context: Path) -> Path | None:
        image_path = posixpath.normpath(image_path)
        for sources, dest, ins in reversed(self.copies()):
            raw = posixpath.join(self.workdir_at(ins.line), dest)
            dest = posixpath.normpath(raw)  # `COPY . .` after WORKDIR /app: /app/. is /app
            if dest != "/" and (raw.endswith("/") or posixpath.basename(raw) in (".", "..")):
                dest += "/"
            for src in sources:
                real = os.path.realpath(os.path.join(context, src))  # as Path.resolve(), without a Path per step
                src_host, src_is_dir = Path(real), os.path.isdir(real)
                if dest.endswith("/") or len(sources) > 1 or src_is_dir:
                    base = dest.rstrip("/") or "/"
                    if src_is_dir:
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

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _declared_args(instructions: list[Instruction], buildargs: dict[str, str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for ins in instructions:
            if ins.cmd == "ARG":
                for name, default in arg_pairs(ins.value):
                    values[name] = buildargs.get(name, expand(default, values) if default is not None else "")
        return values


def _relative(path: str, base: str) -> str | None:
    if base == "/":
        return path.lstrip("/")
    if path == base:
        return ""
    if path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return None


def parse(text: str, path: Path) -> Dockerfile:
    df = Dockerfile(path)
    lines = text.splitlines()
    n = 0
    # Parser directives: `# name=value` lines at the very top, before any blank line, comment or instruction.
    while n < len(lines):
        m = _DIRECTIVE.match(lines[n])
        if not m or m.group(1).lower() in df.directives:
            break
        df.directives[m.group(1).lower()] = m.group(2)
        n += 1
    escape = df.directives.get("escape", "\\")
    escape = escape if escape in ("\\", "`") else "\\"
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    stage = -1
    while n < len(lines):
        raw = lines[n]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            n += 1
            continue
        start = n
        buf = ""
        while True:
            raw = lines[n]
            if continuation.search(raw) and n + 1 < len(lines):
                buf += continuation.sub("", raw)
                n += 1
                while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
                    n += 1  # blank lines and comments inside a continuation are dropped
                if n >= len(lines):
                    break
                continue
            buf += continuation.sub("", raw) if continuation.search(raw) else raw
            n += 1
            break
        m = _KEYWORD.match(buf)
        if not m:
            continue
        cmd, value = m.group(1).upper(), (m.group(2) or "").strip()
        ins = Instruction(cmd, value, start + 1)
        if cmd in _HEREDOC_OWNERS and "<<" in value and not value.lstrip().startswith("["):
            for marker in _HEREDOC.finditer(value):
                strip_tabs, name = marker.group(1) == "-", marker.group(3)
                body = []
                while n < len(lines):
                    line = lines[n]
                    n += 1
                    check = line.lstrip("\t") if strip_tabs else line
                    if check == name:
                        break
                    body.append(line + "\n")
                ins.heredocs.append(Heredoc(name, "".join(body), strip_tabs))
        ins.end_line = n
        if cmd == "FROM":
            stage += 1
        ins.stage = stage
        df.instructions.append(ins)
    return df


def read(path: Path) -> Dockerfile:
    return parse(Path(path).read_text(encoding="utf-8", errors="replace"), Path(path))
