"""Machine-readable reports for CI: SARIF 2.1.0 (checked against the OASIS schema), GitHub workflow annotations and
one-line `file:line:col: severity CODE message`, rendered from the findings of the real static checks."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
from static_cubes import CASES, build

from validator.checks import run_static
from validator.codes import CATALOGUE
from validator.findings import Finding, error, warning
from validator.report import github, gnu, sarif
from validator.report.rules import code_rules

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def static_findings(tmp_path_factory) -> list[Finding]:
    """The findings of every broken static cube, paths relative to the folder holding them."""
    root = build(tmp_path_factory.mktemp("static"))
    out: list[Finding] = []
    for name in CASES:
        out += run_static(root / name, show=lambda p: os.path.relpath(p, root)).findings
    return out


def test_sarif_of_every_static_finding_is_valid_sarif_2_1_0(static_findings):
    doc = sarif.to_dict(static_findings)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)  # raises with the offending path when invalid
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CATALOGUE)
    results = run["results"]
    assert len(results) == len(static_findings) and len({f.code for f in static_findings}) > 20
    for f, r in zip(static_findings, results, strict=True):
        assert r["ruleId"] == f.code and rules[r["ruleIndex"]]["id"] == f.code
        assert r["level"] == {"info": "note"}.get(f.severity, f.severity)
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == f.file.replace(" ", "%20")
        assert loc.get("region", {}).get("startLine") == f.line
        assert r["message"]["text"].startswith(f.message)


def test_sarif_rules_link_to_the_code_in_docs_findings():
    anchors = set(re.findall(r"^### (MC\d{3})$", (ROOT / "docs" / "findings.md").read_text(), re.MULTILINE))
    doc = sarif.to_dict([])
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        code = CATALOGUE[rule["id"]]
        assert rule["helpUri"].endswith("docs/findings.md#" + rule["id"].lower())
        assert rule["shortDescription"]["text"] == code.title
        assert rule["help"]["text"].startswith(code.title) and code.fix in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == {"info": "note"}.get(code.severity, code.severity)
    assert set(CATALOGUE) <= anchors  # every code has its section


def test_sarif_rule_carries_severity_and_fix_when_the_catalogue_has_them():
    rules = [code_rules()[0]._replace(severity="warning", fix="do this")]
    rule = sarif.to_dict([], rules)["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert "How to fix: do this" in rule["fullDescription"]["text"]


def test_sarif_absolute_and_odd_paths_are_uris():
    doc = sarif.to_dict([error("MC101", "/srv/my cube/container_config.yaml", "m", line=3, column=0)])
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "file:///srv/my%20cube/container_config.yaml"
    assert loc["region"] == {"startLine": 3}  # column 0 is not a SARIF column


def test_gnu_is_one_unwrapped_line_per_finding(static_findings):
    text = gnu.render(static_findings)
    lines = text.splitlines()
    assert len(lines) == len(static_findings)
    pattern = re.compile(r"^(?P<file>[^:]+)(:(?P<line>\d+)(:(?P<col>\d+))?)?: (?P<sev>error|warning|info) (?P<code>MC\d{3}) \S")
    for f, ln in zip(static_findings, lines, strict=True):
        m = pattern.match(ln)
        assert m, ln
        assert (m["file"], m["code"], m["sev"]) == (f.file, f.code, f.severity)
        assert m["line"] == (str(f.line) if f.line is not None else None)


def test_gnu_long_paths_and_control_characters_stay_on_one_line():
    long = "a/" * 60 + "container_config.yaml"
    f = warning("MC501", long, "base image\nwithout\x1b[31m a tag", hint="pin it\tplease", line=4, column=6)
    assert gnu.render([f]) == (f"{long}:4:6: warning MC501 base image without\\x1b[31m a tag (fix: pin it please)\n")


def test_github_annotations_escape_what_the_runner_reads():
    f = error("MC405", "cube, one/Dockerfile:x", "100% missing\nsecond line", hint="add it", line=7, column=2)
    assert github.line(f) == (
        "::error file=cube%2C one/Dockerfile%3Ax,line=7,col=2,title=MC405::100%25 missing%0Asecond line%0Afix: add it"
    )
    w = warning("MC503", "Dockerfile", "runs as root")
    assert github.line(w) == "::warning file=Dockerfile,title=MC503::runs as root"


def test_github_annotation_per_static_finding(static_findings):
    lines = github.render(static_findings).splitlines()
    assert len(lines) == len(static_findings)
    for f, ln in zip(static_findings, lines, strict=True):
        command = {"info": "notice"}.get(f.severity, f.severity)
        assert ln.startswith(f"::{command} file=") and f",title={f.code}::" in ln
