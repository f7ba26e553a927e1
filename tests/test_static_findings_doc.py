"""docs/findings.md documents every finding code: title (codes.py), an example (from the broken cubes), the fix.

Regenerate it after changing a code, a message or a fix text:

    python tests/test_static_findings_doc.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from static_cubes import CASES, build, run_relative  # noqa: E402

from validator.chain.outputs import CODES as CONTRACT_CODES  # noqa: E402
from validator.chain.probes import CODES as PROBE_CODES  # noqa: E402
from validator.checks.codes import CODES  # noqa: E402
from validator.engine.result import CODES as ENGINE_CODES  # noqa: E402

RUN_SECTIONS = [
    ("Build and run (MC6xx)", ENGINE_CODES),
    ("Output contracts (MC7xx)", CONTRACT_CODES),
    ("Probes (MC8xx)", PROBE_CODES),
]

DOC = ROOT / "docs" / "findings.md"

SECTIONS = [
    ("MC0", "Reading the config"),
    ("MC1", "Schema (`medcube schema mlcube|container_config|parameters`)"),
    ("MC2", "Role contract (MedPerf's tasks and volume labels)"),
    ("MC3", "Both formats in one cube"),
    ("MC4", "Config against code and files"),
    ("MC5", "Advice (warnings)"),
]

FIX = {
    "MC000": "Point medcube at a cube folder: one holding `container_config.yaml` (MedPerf) and/or "
             "`mlcube/mlcube.yaml` (MLCube), or at one of those files. `medcube create model` makes a new cube.",
    "MC001": "Fix the YAML at the line given: indent with spaces (never tabs), put a space after each `key:`, close "
             "every `[`, `{` and quote. The same code is used for a broken `parameters.yaml`.",
    "MC002": "The file must be a mapping of `key: value` lines at the top level. A key given twice is silently "
             "collapsed by YAML to its last value: keep one.",
    "MC101": "Rename the key to the one suggested (\"did you mean\"), or remove it. `medcube schema NAME` prints every "
             "allowed key; with yaml-language-server, `# yaml-language-server: $schema=<file>` in the config gives "
             "completion in the editor.",
    "MC102": "Add the key named in the message, under the key at the line given.",
    "MC103": "Use a value of the type or from the list in the hint. Image names are lowercase `[registry/]repo/name[:tag]`; "
             "volume types are `file` or `directory`; `container_type` is one of MedPerf's five types.",
    "MC201": "A cube has one role. Declare the tasks of exactly one: data preparator `prepare`, `sanity_check`, "
             "`statistics`; model `infer`; metrics `evaluate`. Split a cube that mixes roles.",
    "MC202": "Add the task. In container_config.yaml a data preparator declares `prepare` and `statistics` "
             "(`sanity_check` is optional); in mlcube.yaml it declares all three.",
    "MC203": "As an error: the task name is a typo of a task of the role; rename it. As a warning: the task is outside "
             "the contract and MedPerf never runs it; remove it or keep it for your own use.",
    "MC204": "Use the fixed labels (MedPerf finds host paths by them). prepare: `data_path`, `labels_path`, "
             "`parameters_file` in, `output_path`, `output_labels_path` (`metadata_path`, `report_file`) out; "
             "sanity_check/statistics: `data_path`, `labels_path`, `parameters_file` in, statistics `output_path` out; "
             "infer: `data_path`, `parameters_file`, `additional_files` in, `output_path` out; evaluate: "
             "`predictions`, `labels`, `parameters_file` in, `output_path` out. Extra model inputs go under "
             "`additional_files/`.",
    "MC205": "Declare the volume; the hint gives MedPerf's default mount path.",
    "MC206": "Set the type MedPerf passes: statistics and results `output_path` are files (`statistics.yaml`, "
             "`results.yaml`), the data, labels and predictions volumes are directories, `parameters_file` a file.",
    "MC207": "Move the volume between `input_volumes` (read-only) and `output_volumes` (writable), or between "
             "`inputs` and `outputs` in mlcube.yaml.",
    "MC208": "Mount paths are absolute paths inside the container, e.g. `/mlcommons/volumes/labels`.",
    "MC209": "Give each volume of a task its own mount path: the second mount would hide the first.",
    "MC210": "`run_args.gpus` takes what `docker run --gpus` takes: `all`, a count such as `1`, or `device=0,1`.",
    "MC211": "medcube builds and runs `DockerImage` cubes; the static checks still apply to the others. Test "
             "archives and Singularity images with MedPerf itself.",
    "MC301": "Declare the same tasks in `container_config.yaml` and `mlcube/mlcube.yaml` (`medcube convert` writes the "
             "first from the second), or drop the file you no longer use.",
    "MC302": "Declare the same volumes, types and sides in both files.",
    "MC303": "Use one image name (and tag) in `image:` and `docker.image:`.",
    "MC401": "Make the script that ENTRYPOINT or `run_args.command` runs exist in the build context at the path the "
             "COPY lines put it, or fix the path; fix a Python syntax error at the line given.",
    "MC402": "Give the entrypoint a command per task, named exactly like the task. typer turns `def sanity_check` into "
             "`sanity-check`: write `@app.command(\"sanity_check\")`.",
    "MC403": "Add the option to the command (typer: `typer.Option(..., \"--data_path\")`; without the declaration typer "
             "names it `--data-path`), or remove the volume from the config.",
    "MC404": "Add a Dockerfile: beside container_config.yaml (build context: that folder), in `project/`, or where "
             "`docker.build_context`/`build_file` of mlcube.yaml point (relative to the `mlcube/` folder).",
    "MC405": "COPY sources are relative to the build context: fix the path or add the file.",
    "MC406": "Create the parameters file MedPerf mounts as `parameters_file` (`workspace/parameters.yaml` or "
             "`mlcube/workspace/parameters.yaml`) as a mapping of names to values; `{}` when there are none.",
    "MC407": "Put the file under the workspace's `additional_files/` (MedPerf ships it as additional_files.tar.gz), or "
             "fix the path.",
    "MC408": "Add `ENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"]` (or your script) to the Dockerfile, or a "
             "`run_args.command` to the task.",
    "MC409": "typer runs a lone command without its name, so `mlcube.py infer ...` fails. Add a second command (MedPerf's "
             "templates add `hotfix`) or an `@app.callback()`.",
    "MC410": "Every host path the config names (parameters file, additional files, mlcube.yaml defaults, build "
             "context, Dockerfile, COPY sources) must be a plain file or folder inside the cube folder: no symbolic link, "
             "no `..` out, no absolute path. medcube mounts, copies and packs these paths as root: see docs/SECURITY.md.",
    "MC411": "Replace the link, FIFO, socket or device with a plain file. medcube and MedPerf never follow a link a cube "
             "supplies, and a build context must not point out of itself.",
    "MC412": "Add a `.dockerignore` that leaves out data, or move it out of the build context. "
             "`MEDCUBE_MAX_BUILD_CONTEXT` (bytes) raises the limit.",
    "MC413": "Remove the option: a benchmark runs cubes without extra privileges, host namespaces, host devices or host "
             "mounts, and with no network. medcube ignores it when running; MedPerf would pass it on.",
    "MC414": "Write each output into its own folder (`workspace/<label>/`): additional files and the parameters file "
             "are the benchmark's inputs, mounted read-only.",
    "MC501": "Pin the base image to a tag (`python:3.11-slim`) or a digest, so the image builds the same tomorrow.",
    "MC502": "COPY `requirements.txt` and `RUN pip install -r` before copying the code: a code change then reuses the "
             "cached dependency layer.",
    "MC503": "MedPerf runs containers as a non-root user anyway; drop `USER root` or switch back after the steps that "
             "need it.",
    "MC504": "Add a `.dockerignore` that leaves out the workspace: parameters and additional files are mounted at run "
             "time, they do not belong in the image.",
}


def _examples(corpus: Path) -> dict[str, tuple[str, object]]:
    """code -> (case name, finding) for the first broken case of each code, one in a config file first."""
    out = {}
    configs = ("container_config.yaml", "mlcube.yaml")
    for case in sorted(CASES.values(), key=lambda c: (Path(c.file).name not in configs, c.name)):
        if case.code in out:
            continue
        report, _ = run_relative(corpus / case.name)
        out[case.code] = (case.name, next(f for f in report.findings if f.code == case.code))
    return out


def render(corpus: Path) -> str:
    """The page, with its examples from `corpus` (the broken cubes as static_cubes.build makes them)."""
    examples = _examples(corpus)
    lines = [
        "# Findings",
        "",
        "Every finding medcube reports has a stable code. Errors make `validate` and `test` exit 1; "
        "warnings (advice) do not. Each finding names the file and line, says what is wrong and how to fix it; "
        "`--format json` gives the same as `{severity, code, file, line, column, message, hint}`.",
        "",
        "The examples come from the broken cubes of `tests/static_cubes.py` (each a valid fixture cube with one "
        "change, built at test time; paths relative to the cube). This page is generated by "
        "`python tests/test_static_findings_doc.py`.",
        "",
        "| code | title |",
        "|---|---|",
    ]
    lines += [f"| [{code}](#{code.lower()}) | {title} |" for code, title in CODES.items()]
    for prefix, heading in SECTIONS:
        lines += ["", f"## {heading}"]
        for code, title in CODES.items():
            if not code.startswith(prefix):
                continue
            lines += ["", f"### {code}", "", f"**{title}**", ""]
            if code in examples:
                case, f = examples[code]
                where = f"{f.file}:{f.line}" if f.line else f.file
                lines += [f"Example (`{case}`), {f.severity} at `{where}`:", "", "```text",
                          f.message]
                if f.hint:
                    lines.append("→ " + f.hint)
                lines += ["```", ""]
            if code in FIX:
                lines.append(f"How to fix: {FIX[code]}")
    lines += ["", "## Build, run and the benchmark chain (`medcube validate`, `medcube test`)", "",
              "These come from building a cube and running it in the chain under the benchmark's rules. Each "
              "message names the task and the cube, says what happened and what to change; the hostile cubes of "
              "`tests/hostile_cubes.py` (one misbehaviour each; `python tests/hostile_cubes.py DIR` writes them out) show them."]
    for heading, codes in RUN_SECTIONS:
        lines += ["", f"### {heading}", "", "| code | title |", "|---|---|"]
        lines += [f"| {code} | {title} |" for code, title in codes.items()]
    return "\n".join(lines) + "\n"


def test_every_run_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for _, codes in RUN_SECTIONS:
        for code, title in codes.items():
            assert f"| {code} | {title} |" in text, f"{code} is missing from docs/findings.md (regenerate it)"


def test_every_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for code, title in CODES.items():
        assert f"### {code}" in text, f"{code} is missing from docs/findings.md"
        assert title in text, f"the title of {code} is missing from docs/findings.md"
    static = {code for code in CODES if code[:3] in ("MC0", "MC1", "MC2", "MC3", "MC4", "MC5")}
    assert static <= set(FIX), f"write a 'how to fix' (FIX in this file) for: {sorted(static - set(FIX))}"
    assert set(FIX) <= set(CODES), f"FIX documents unknown codes: {sorted(set(FIX) - set(CODES))}"


def test_render_covers_every_code_with_an_example(broken_corpus):
    text = render(broken_corpus)
    assert text.count("Example (`") == len([c for c in CODES if c in FIX])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        DOC.write_text(render(build(Path(tmp))), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
