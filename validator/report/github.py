"""Findings as GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=MCnnn::message`), which the
runner shows as annotations on the pull request's changed lines.

Escaping follows the runner's rules (actions/toolkit `command.ts`): `%`, CR and LF in the message; also `:` and `,`
in properties. A line that starts with `::` inside a message cannot start a command of its own.
"""

from __future__ import annotations

import re
from typing import Iterable

from validator.findings import Finding

_OTHER_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


def _data(text: str) -> str:
    text = _OTHER_CONTROL.sub(" ", text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def line(f: Finding) -> str:
    props = [f"file={_property(f.file)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
        if f.column is not None:
            props.append(f"col={f.column}")
    props.append(f"title={_property(f.code)}")
    message = f.message + (f"\nfix: {f.hint}" if f.hint else "")
    command = {"error": "error", "warning": "warning", "info": "notice"}.get(f.severity, "warning")
    return f"::{command} {','.join(props)}::{_data(message)}"


def render(findings: Iterable[Finding]) -> str:
    return "".join(line(f) + "\n" for f in findings)
