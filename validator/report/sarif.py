"""Findings as SARIF 2.1.0 (the format GitHub code scanning and other CI dashboards import).

One run, tool `medcube`, one rule per finding code (title, help text and a link into docs/findings.md), one result
per finding with its file (a URI relative to the working directory) and line/column.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from typing import Iterable
from urllib.parse import quote

from validator import VERSION
from validator.findings import Finding
from validator.report.rules import Rule, code_rules, help_uri

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/mlcommons/medcube"


# medcube severities -> SARIF levels (an info is a "note").
LEVELS = {"error": "error", "warning": "warning", "info": "note"}

def _uri(path: str) -> str:
    """A relative path as a relative URI reference; an absolute one as a file: URI."""
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    if PurePosixPath(posix).is_absolute():
        return "file://" + quote(posix)
    return quote(posix) or "."


def _rule(rule: Rule) -> dict:
    text = rule.title + (f". How to fix: {rule.fix}" if rule.fix else "")
    out = {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": text},
        "help": {"text": text + f" See {help_uri(rule.id)}"},
        "helpUri": help_uri(rule.id),
    }
    if rule.severity in LEVELS:
        out["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    return out


def _result(f: Finding, index: int | None) -> dict:
    text = f.message + (f" Fix: {f.hint}" if f.hint else "")
    location: dict = {"artifactLocation": {"uri": _uri(f.file)}}
    if f.line is not None and f.line >= 1:
        region: dict = {"startLine": f.line}
        if f.column is not None and f.column >= 1:
            region["startColumn"] = f.column
        location["region"] = region
    out: dict = {
        "ruleId": f.code,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }
    if index is not None:
        out["ruleIndex"] = index
    return out


def to_dict(findings: Iterable[Finding], rules: list[Rule] | None = None, target: str | None = None,
            cancelled: str | None = None) -> dict:
    rules = code_rules() if rules is None else rules
    index = {r.id: i for i, r in enumerate(rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "medcube",
                        "version": VERSION,
                        "semanticVersion": VERSION,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index.get(f.code)) for f in findings],
                **({"properties": {"target": target}} if target else {}),
                **({"invocations": [_cancelled(cancelled)]} if cancelled else {}),
            }
        ],
    }


def _cancelled(signal_name: str) -> dict:
    """The run's invocation when a signal cancelled it: not successful, and why (the results are those found
    before the signal)."""
    codes = {"SIGINT": 130, "SIGTERM": 143}
    return {"executionSuccessful": False, **({"exitCode": codes[signal_name]} if signal_name in codes else {}),
            "exitSignalName": signal_name,
            "toolExecutionNotifications": [{"level": "error", "message": {
                "text": f"cancelled by {signal_name}: the findings are those of what ran before the signal"}}],
            "properties": {"status": "cancelled"}}


def render(findings: Iterable[Finding], rules: list[Rule] | None = None, target: str | None = None,
           cancelled: str | None = None) -> str:
    """The SARIF log; `target` (the runtime judged: medperf or mlcube) goes into the run's properties; `cancelled`
    (the signal that cancelled the run) into its invocation."""
    return json.dumps(to_dict(findings, rules, target, cancelled), indent=2) + "\n"
