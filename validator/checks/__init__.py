"""Static validation, the one front door for reading a cube: `load(path, target=, role=)` reads each config file
once, checks it (schema, then one semantic pass per concern, each a small function returning findings) and
completes the model; it returns the report with the cube AND its findings. The static gate (gate.py) is its
blocking findings, so a cube runs only after it was checked; `run_static` is `load` for the callers that want the
report only. Never raises for a user's mistake.

A schema error no longer stops the later checks: where the model can still be built from the file, every check
runs (a malformed author entry must not hide a crash in the code); only a file that cannot be read or is not a
mapping stops there. `target` is the runtime the verdict is for: "medperf" (MedPerf 0.3, the default) or "mlcube"
(the MLCube client, which runs mlcube.yaml as written); findings that hold for MedPerf only are warnings under
"mlcube", and say so (targets.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from validator import codes as C
from validator import hostfs
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
from validator.checks.target import TARGETS, for_target
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
    target: str = "medperf"

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "role": self.role,
            "target": self.target,
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


def run_static(path: Path | str, show=display_path, target: str = "medperf", role: str | None = None) -> CubeReport:
    """The findings of one cube (load's report)."""
    return load(path, target=target, role=role, show=show)


def load(path: Path | str, target: str = "medperf", role: str | None = None, show=display_path) -> CubeReport:
    """Read, check and complete one cube: the report holds the Cube (None when it could not be built) and every
    finding (inline ignores applied). The Cube remembers its report (`cube.checked`), so the gate does not read it
    again."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    files: dict[str, Path] = {}  # a finding's shown file -> the file, for the inline ignores
    report = _load(path, target, role, show, files)
    report.findings = inline.apply(report.findings, files)
    report.target = target
    report.findings = for_target(report.findings, target, report.cube)
    if report.cube is not None:
        report.cube.checked = report
    return report


def checked_cube(value: Path | str | Cube, target: str = "medperf") -> Cube:
    """The cube at a path, read and checked once (load) for the target runtime: the Cube carries its static report,
    which the gate uses instead of reading the cube again. A cube that cannot be built raises the reading error (no
    config, YAML syntax)."""
    if isinstance(value, Cube):
        return value
    report = load(value, target=target)
    if report.cube is not None:
        return report.cube
    from validator.manifest.load import load_cube

    return load_cube(value)


def _load(path: Path | str, target: str, role: str | None, show, files: dict[str, Path]) -> CubeReport:
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
    unusable_paths = False
    for fmt, file in located.files.items():
        shown = show(file)
        files[shown] = file
        try:
            doc = read(file)
        except YamlSyntaxError as e:
            report.findings.append(error(C.YAML_SYNTAX, shown, e.described(),
                                         hint=e.hint or "Fix the YAML at that line (indentation, a missing ':' or quote).",
                                         line=e.line, column=e.column))
            continue
        if not isinstance(doc.data, dict):
            report.findings.append(error(C.NOT_A_MAPPING, shown, "expected a mapping of keys at the top of the file",
                                         hint="See `medcube schema " + SCHEMA_OF[fmt] + "` for the expected keys.", line=1))
            continue
        for kpath, (line, col) in doc.duplicates:
            report.findings.append(error(C.NOT_A_MAPPING, shown, f"key '{'.'.join(map(str, kpath))}' is given twice; "
                                         "YAML keeps only the last one", hint="Remove or merge one of them.",
                                         line=line, column=col))
        report.findings += schema.check_doc(doc, SCHEMA_OF[fmt], shown)
        report.findings += hostpaths.check_privileges(doc, fmt, shown)
        unusable = pathtext.check_text(doc, fmt, shown)  # a path no file system takes: no model from it
        report.findings += unusable
        if has_errors(unusable):
            unusable_paths = True
        docs[fmt] = doc
    if len(docs) < len(located.files) or unusable_paths:
        return report  # a file that cannot be read as a mapping: nothing to build a model from
    try:
        cube = assemble(located, docs)
    except (TypeError, ValueError, AttributeError, KeyError):  # a shape the tolerant parsers do not survive
        return report  # the schema findings say what is wrong
    if role is not None:
        cube.role = role
        if cube.other is not None:
            cube.other.role = role
    report.cube = cube
    report.role = cube.role
    views = [cube] + ([cube.other] if cube.other is not None else [])
    df = None
    if cube.build is not None and cube.build.dockerfile.is_file() and (
            hostfs.plainly_inside(cube.path, cube.build.dockerfile)
            or hostfs.escape(cube.path, cube.build.dockerfile) is None
            and hostfs.links_on_the_way(cube.path, cube.build.dockerfile) is None):
        df = dockerfile_reader.read(cube.build.dockerfile)  # never a file out of the cube (MC420 says so)
        files[show(df.path)] = df.path
    if cube.parameters_file is not None:
        files[show(cube.parameters_file)] = cube.parameters_file
    findings: list[Finding] = hostpaths.check_paths(cube, show) + hostpaths.check_copy_sources(cube, df, show)
    if has_errors(report.findings):
        # A schema error: the role and mount checks would only repeat it, but the code checks still run, so a
        # malformed entry does not hide a crash in the code.
        said_code: set[tuple] = set()
        try:
            for view in views:
                for f in crossfile.check_code(view, df, show, {}):
                    if (f.code, f.message) not in said_code:
                        said_code.add((f.code, f.message))
                        findings.append(f)
        except (OSError, ValueError):  # a value of the malformed file no path takes: the schema findings say it
            pass
        report.findings += _dedupe(findings)
        return report
    other = medperf.not_a_benchmark_cube(cube, show)
    if other is not None:  # federated learning, certificates, run_script: one message, not one per task
        report.findings += [other, *roles.check_runtime(cube, show), *medperf.check_entrypoint_string(cube, show)]
        if cube.format == "mlcube":  # the MLCube client runs it: its tasks against its code, its files
            report.findings += _dedupe([*findings, *crossfile.check_code(cube, df, show, {}, every_task=True),
                                        *crossfile.check_files(cube, show)])
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
        for f in (*crossfile.check_code(view, df, show, interfaces), *crossfile.check_files(view, show, interfaces)):
            if (f.code, f.message) not in said:
                said.add((f.code, f.message))
                findings.append(f)
    report.findings += _dedupe(findings)
    return report

