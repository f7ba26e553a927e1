"""Write docs/findings.md from the code catalogue (validator/codes.py): a table of every code, then per code its
title, default severity, an example finding (from the broken cubes of tests/static_cubes.py, built in a temporary
folder) and how to fix it.

    python scripts/findings_doc.py            # rewrite docs/findings.md
    python scripts/findings_doc.py --check    # exit 1 when docs/findings.md is not what this would write
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from validator.codes import CATALOGUE, Code  # noqa: E402

DOC = ROOT / "docs" / "findings.md"

SECTIONS = [
    ("MC0", "Reading the config"),
    ("MC1", "Schema (`medcube schema mlcube|container_config|parameters`)"),
    ("MC2", "Role contract (MedPerf's tasks and volume labels)"),
    ("MC3", "Both formats in one cube"),
    ("MC4", "Config against code and files"),
    ("MC5", "Advice (warnings)"),
    ("MC6", "Build and run (`medcube validate`, `medcube test`)"),
    ("MC7", "The benchmark's output contracts"),
    ("MC8", "Probes (`medcube test`)"),
    ("MC9", "Many submissions (`medcube test BENCH --model A --model B ...`)"),
]

INTRO = [
    "# Findings",
    "",
    "Every finding medcube reports has a stable code from one catalogue (`validator/codes.py`). Each finding "
    "names the file and line, says what is wrong and how to fix it; `--format json` gives the same as "
    "`{severity, code, file, line, column, message, hint}`.",
    "",
    "## Severity policy",
    "",
    "medcube's verdicts follow MedPerf as it runs today (CLI 0.3.0):",
    "",
    "- **error**: MedPerf would fail, hang or give wrong results with this cube (a task it cannot find, a label "
    "it never supplies, a mount the command needs but the task does not declare, a log flood MedPerf crawls "
    "on). Errors make `validate` and `test` exit 1.",
    "- **warning**: MedPerf runs the cube, but something is likely wrong or could not be checked (quality "
    "findings such as a lax sanity_check or nondeterministic predictions, an ENTRYPOINT inherited from an "
    "unknown base image, advice). Warnings exit 0; `--strict` makes them fail.",
    "- **info**: what medcube did not check and why (a config-only cube has no Dockerfile to check); never fails.",
    "",
    "Exit codes: **0** all good (warnings and infos only, unless `--strict`); **1** findings that fail, or a failed "
    "task; **2** a usage error (a bad path, option or input file: one message saying what to fix); **3** an internal "
    "error, a bug in medcube (one message naming it; `MEDCUBE_DEBUG=1` prints the traceback): please report it.",
    "",
    "A finding can be left out where it stands: `# medcube: ignore=MC303` at the end of the YAML line it points "
    "at, or `# medcube ignore=MC501` on the line above the Dockerfile instruction; everywhere with `--ignore MC501` "
    "or a settings file. `medcube explain MC501` prints a code's entry offline.",
    "",
    "Cubes MedPerf runs pass; cubes MedPerf rejects fail with MedPerf's reason. `tests/medperf_cubes.py` holds one "
    "MedPerf-shaped cube per fact, in both directions.",
    "",
    "This page is generated from the catalogue by `python scripts/findings_doc.py`. The examples come from the "
    "broken cubes of `tests/static_cubes.py` (each a valid fixture cube with one change, built at test time; paths "
    "relative to the cube); the build, run and probe findings from the hostile cubes of `tests/hostile_cubes.py` "
    "(one misbehaviour each; `python tests/hostile_cubes.py DIR` writes them out).",
]


def examples(corpus: Path) -> dict[str, tuple[str, object]]:
    """code -> (case name, finding) for the first broken case of each code, one in a config file first."""
    from static_cubes import CASES, run_relative

    out: dict[str, tuple[str, object]] = {}
    configs = ("container_config.yaml", "mlcube.yaml")
    for case in sorted(CASES.values(), key=lambda c: (Path(c.file).name not in configs, c.name)):
        if case.code in out:
            continue
        report, _ = run_relative(corpus / case.name)
        out[case.code] = (case.name, next(f for f in report.findings if f.code == case.code))
    return out


def _entry(code: Code, example) -> list[str]:
    lines = ["", f"### {code}", "", f"**{code.title}** ({code.severity}; `{code.name}`)", ""]
    if example is not None:
        case, f = example
        where = f"{f.file}:{f.line}" if f.line else f.file
        lines += [f"Example (`{case}`), {f.severity} at `{where}`:", "", "```text", f.message]
        if f.hint:
            lines.append("→ " + f.hint)
        lines += ["```", ""]
    lines.append(f"How to fix: {code.fix}")
    return lines


def render(corpus: Path) -> str:
    """The page, with its examples from ``corpus`` (the broken cubes as static_cubes.build makes them)."""
    found = examples(corpus)
    lines = list(INTRO) + ["", "| code | severity | title |", "|---|---|---|"]
    lines += [f"| [{c}](#{c.lower()}) | {c.severity} | {c.title} |" for c in CATALOGUE.values()]
    for prefix, heading in SECTIONS:
        lines += ["", f"## {heading}"]
        for code in CATALOGUE.values():
            if code.startswith(prefix):
                lines += _entry(code, found.get(code))
    return "\n".join(lines) + "\n"


def fresh() -> str:
    from static_cubes import build

    with tempfile.TemporaryDirectory() as tmp:
        return render(build(Path(tmp)))


def main(argv: list[str]) -> int:
    text = fresh()
    if "--check" in argv:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/findings_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
