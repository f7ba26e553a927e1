"""Inline ignores: a finding is left out when the file it points at says so at its line, as linters do (hadolint's
`# hadolint ignore=DL3008`, ruff's `# noqa`).

- YAML (container_config.yaml, mlcube.yaml, parameters.yaml): a comment on the offending line,
  `image: myorg/model  # medcube: ignore=MC303` (several codes: `ignore=MC303,MC501`);
- Dockerfile: a comment line right above the instruction (Dockerfile comments are whole lines), hadolint's form
  `# medcube ignore=MC501` or `# medcube: ignore=MC501`; comment lines stacked above an instruction all count.

Only the codes named are left out, only at that line; a finding without a line is ignored with `--ignore` or a
settings file instead. Files are read as plain files (no links, at most 1 MiB), like every file a cube controls."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from validator.findings import Finding

MAX_BYTES = 1 << 20
_IGNORE = re.compile(r"#\s*medcube:?\s+ignore\s*=\s*(MC\d{3}(?:\s*,\s*MC\d{3})*)", re.IGNORECASE)


def ignored_codes(lines: list[str], line: int, dockerfile: bool) -> set[str]:
    """The codes ignored at a 1-based line: that line's comment (YAML), or the comment lines above it (Dockerfile)."""
    if not 1 <= line <= len(lines):
        return set()
    if not dockerfile:
        candidates = [lines[line - 1]]
    else:
        candidates, n = [], line - 2
        while n >= 0 and lines[n].lstrip().startswith("#"):
            candidates.append(lines[n])
            n -= 1
    codes: set[str] = set()
    for text in candidates:
        for m in _IGNORE.finditer(text):
            codes |= {c.strip().upper() for c in m.group(1).split(",")}
    return codes


def _lines(path: Path) -> list[str] | None:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        with open(path, "rb") as f:
            return f.read(MAX_BYTES).decode("utf-8", "replace").splitlines()
    except OSError:
        return None


def apply(findings: list[Finding], files: dict[str, Path]) -> list[Finding]:
    """The findings less those their file ignores at their line. `files`: a finding's shown file -> its real path."""
    cache: dict[str, list[str] | None] = {}
    kept = []
    for f in findings:
        path = files.get(f.file)
        if f.line is None or path is None:
            kept.append(f)
            continue
        if f.file not in cache:
            cache[f.file] = _lines(path)
        lines = cache[f.file]
        if lines and f.code in ignored_codes(lines, f.line, dockerfile=_is_dockerfile(path)):
            continue
        kept.append(f)
    return kept


def _is_dockerfile(path: Path) -> bool:
    name = path.name.lower()
    return not name.endswith((".yaml", ".yml")) and ("dockerfile" in name or name.endswith(".containerfile")
                                                      or name == "containerfile")
