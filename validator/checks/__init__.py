"""Static validation: read -> schema -> one semantic pass per concern, each a small function returning findings.

`run_static(path)` is the whole pipeline for one cube; it never raises for a user's mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from validator import codes as C
from validator.checks import (
    agreement,
    crossfile,
    dockerfile,
    dockerfile_lines,
    hadolint,
    hostpaths,
    inline,
    medperf,
    pathtext,
    roles,
    schema,
)
from validator.errors import ConfigNotFound
from validator.findings import Finding, error, has_errors
from validator.manifest import dockerfile as dockerfile_reader
from validator.manifest.load import assemble, locate
from validator.manifest.model import Cube
from validator.manifest.yamlread import YamlSyntaxError, read
from validator.paths import display_path  # noqa: F401  (the checks' callers import it from here too)

SCHEMA_OF = {"mlcube": "mlcube", "container_config": "container_config"}


@dataclass
class CubeReport:
    path: str
    role: str | None = None
    findings: list[Finding] = field(default_factory=list)
    cube: Cube | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "role": self.role,
            "ok": self.ok,
            "findings": [
                {k: v for k, v in f.to_dict().items()} for f in self.findings
            ],
        }


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.code, f.file, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def run_static(path: Path | str, show=display_path) -> CubeReport:
    files: dict[str, Path] = {}  # a finding's shown file -> the file, for the inline ignores
    report = _run_static(path, show, files)
    report.findings = inline.apply(report.findings, files)
    return report


def _run_static(path: Path | str, show, files: dict[str, Path]) -> CubeReport:
    report = CubeReport(path=str(path))
    try:
        located = locate(path)
    except ConfigNotFound as e:
        shown = show(path)  # the path as the user gave it, not the absolute one locate() reports
        message = e.message.replace(str(Path(path).absolute()), shown, 1)
        report.findings.append(error(C.NO_CONFIG, shown, message, hint=e.hint))
        return report
    report.path = show(located.cube_dir)
    docs = {}
    for fmt, file in located.files.items():
        files[show(file)] = file
        try:
            doc = read(file)
        except YamlSyntaxError as e:
            report.findings.append(error(C.YAML_SYNTAX, show(file), e.described(),
                                         hint=e.hint or "Fix the YAML at that line (indentation, a missing ':' or quote).",
                                         line=e.line, column=e.column))
            continue
        if not isinstance(doc.data, dict):
            report.findings.append(error(C.NOT_A_MAPPING, show(file), "expected a mapping of keys at the top of the file",
                                         hint="See `medcube schema " + SCHEMA_OF[fmt] + "` for the expected keys.", line=1))
            continue
        for kpath, (line, col) in doc.duplicates:
            report.findings.append(error(C.NOT_A_MAPPING, show(file), f"key '{'.'.join(map(str, kpath))}' is given twice; "
                                         "YAML keeps only the last one", hint="Remove or merge one of them.",
                                         line=line, column=col))
        report.findings += schema.check_doc(doc, SCHEMA_OF[fmt], show(file))
        report.findings += hostpaths.check_privileges(doc, fmt, show(file))
        report.findings += pathtext.check_text(doc, fmt, show(file))
        docs[fmt] = doc
    if has_errors(report.findings):
        return report  # semantic checks on a malformed file would only add noise

    cube = assemble(located, docs)
    report.cube = cube
    report.role = cube.role
    views = [cube] + ([cube.other] if cube.other is not None else [])
    df = None
    if cube.build is not None and cube.build.dockerfile.is_file():
        df = dockerfile_reader.read(cube.build.dockerfile)
        files[show(df.path)] = df.path
    if cube.parameters_file is not None:
        files[show(cube.parameters_file)] = cube.parameters_file
    findings: list[Finding] = hostpaths.check_paths(cube, show) + hostpaths.check_copy_sources(cube, df, show)
    other = medperf.not_a_benchmark_cube(cube, show)
    if other is not None:  # federated learning, certificates, run_script: one message, not one per task
        report.findings += [other, *roles.check_runtime(cube, show), *medperf.check_entrypoint_string(cube, show)]
        return report
    said_for_runtime: set[tuple] = set()  # a problem both config files have is reported once, on the one that runs
    for view in views:
        for f in (*roles.check_role(view, show), *roles.check_volumes(view, show),
                  *roles.check_runtime(view, show)):
            if view is cube:
                said_for_runtime.add((f.code, f.message))
            elif (f.code, f.message) in said_for_runtime:
                continue
            findings.append(f)
    findings += medperf.check_metadata(cube, show)
    findings += medperf.check_command_paths(cube, show)
    findings += medperf.check_entrypoint_string(cube, show)
    findings += medperf.check_mlcube_only(cube, show)
    findings += medperf.check_layout(cube, show)
    if not has_errors(findings):  # a file that breaks the contract would also "disagree": say it once
        findings += agreement.check_agreement(cube, show)
    findings += dockerfile.check_build(cube, df, show)
    findings += dockerfile.check_dockerfile(cube, df, show)
    if df is not None and cube.container_type == "DockerImage":
        findings += dockerfile_lines.check_lines(df, show)
        findings += hadolint.check_hadolint(df.path, show)
    said: set[tuple] = set()  # both views run the same script and read the same files: say each problem once
    interfaces: dict = {}  # and read it once
    for view in views:
        for f in (*crossfile.check_code(view, df, show, interfaces), *crossfile.check_files(view, show)):
            if (f.code, f.message) not in said:
                said.add((f.code, f.message))
                findings.append(f)
    report.findings += _dedupe(findings)
    return report

