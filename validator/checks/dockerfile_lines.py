"""Dockerfile lines that break a cube, read from the parsed file alone (no build): what `docker build` rejects (an
unknown instruction, `FROM` without an image), an exec form docker would take as a shell command (unclosed, single
quotes, a number in it), and an ENTRYPOINT in shell form (docker then drops every task's arguments).

General Dockerfile hygiene is hadolint's job (checks/hadolint.py), not this module's."""

from __future__ import annotations

import difflib
import json

from validator import codes as C
from validator.findings import Finding, error
from validator.manifest.dockerfile import Dockerfile, Instruction

# Every instruction BuildKit's frontend knows (MAINTAINER is deprecated but still accepted).
INSTRUCTIONS = ("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")
# Instructions whose `[...]` argument must be a JSON array of strings to be the exec form.
_EXEC_FORM = ("RUN", "CMD", "ENTRYPOINT", "SHELL")


def check_lines(df: Dockerfile, show) -> list[Finding]:
    file = show(df.path)
    findings: list[Finding] = []
    for ins in df.instructions:
        if ins.cmd not in INSTRUCTIONS:
            findings.append(_unknown(ins, file))
        elif ins.cmd == "FROM" and not [w for w in ins.value.split() if not w.startswith("--")]:
            findings.append(error(
                C.DOCKERFILE_SYNTAX, file, "FROM names no image: docker build stops here",
                hint="Name the base image, e.g. `FROM python:3.11-slim` (medcube's templates use "
                "`ARG BASE_IMAGE=python:3.11-slim` then `FROM ${BASE_IMAGE}`).", line=ins.line))
        elif ins.cmd in _EXEC_FORM and ins.value.lstrip().startswith("["):
            problem = _exec_form_problem(ins.value.strip())
            if problem:
                findings.append(error(
                    C.BROKEN_EXEC_FORM, file, f"{ins.cmd} {_short(ins.value)}: {problem}, so docker takes the line as "
                    "a shell command" + (" (SHELL needs the exec form: the build fails)" if ins.cmd == "SHELL" else ""),
                    hint="Write a JSON array of strings: double quotes around every item, numbers quoted too, the "
                    "brackets closed, e.g. [\"python3\", \"/mlcube_project/mlcube.py\"].", line=ins.line))
    entry = df.last("ENTRYPOINT")
    if entry is not None and entry.value.strip() and not entry.value.lstrip().startswith("["):
        findings.append(error(
            C.SHELL_FORM_ENTRYPOINT, file, f"ENTRYPOINT {_short(entry.value)} is in shell form: docker runs it as "
            "`/bin/sh -c` and drops the arguments a task passes, so every task would run this same command",
            hint=f"Write it in exec form: ENTRYPOINT {json.dumps(entry.value.split())}", line=entry.line))
    return findings


def _unknown(ins: Instruction, file: str) -> Finding:
    close = difflib.get_close_matches(ins.cmd, INSTRUCTIONS, n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]}? " if close else ""
    return error(C.DOCKERFILE_SYNTAX, file, f"unknown instruction {_short(ins.cmd, 30)}: docker build stops here",
                 hint=hint + "A line that continues the previous one needs a `\\` at the end of that line; the "
                 "instructions are " + ", ".join(INSTRUCTIONS) + ".", line=ins.line)


def _exec_form_problem(text: str) -> str | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        if not text.rstrip().endswith("]"):
            return "the JSON array is not closed"
        if "'" in text:
            return "the items are in single quotes (JSON needs double quotes)"
        return "it is not valid JSON"
    if not isinstance(value, list):
        return "it is not a JSON array"
    odd = [v for v in value if not isinstance(v, str)]
    if odd:
        return f"{json.dumps(odd[0])} is not a string"
    return None


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
