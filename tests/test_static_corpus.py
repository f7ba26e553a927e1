"""The fixture corpus: every broken cube gives exactly the finding it is for; every valid cube gives no error.

Broken cubes live in tests/fixtures/static/broken/<case>/ with an expect.yaml (made by make_broken.py):
    {code: MC101, file: container_config.yaml, line: 7, severity: error, also: [...warnings...], sparse_files: {...}}
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from validator.checks import run_static
from validator.checks.codes import CODES

FIXTURES = Path(__file__).parent / "fixtures" / "static"
VALID = sorted(p for p in (FIXTURES / "valid").iterdir() if p.is_dir())
BROKEN = sorted(p for p in (FIXTURES / "broken").iterdir() if (p / "expect.yaml").is_file())

# Findings the valid fixtures are allowed to carry (all warnings): the tutorial's model names
# mlcommons/chestxray-tutorial-cnn:0.0.1 in container_config.yaml and :0.0.0 in mlcube.yaml, as MedPerf's repo does.
VALID_WARNINGS = {"tutorial_model_custom_cnn": {("MC303", "container_config.yaml", 2)}}


def _expect(case: Path) -> dict:
    return yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))


def _run(cube: Path):
    """run_static with every finding's file relative to the cube directory."""

    def rel(p) -> str:
        return os.path.relpath(p, cube)

    report = run_static(cube, show=rel)
    return report, [
        (f.code, rel(f.file) if os.path.isabs(f.file) else f.file, f.line, f.severity) for f in report.findings
    ]


def _materialize(case: Path, tmp_path: Path) -> Path:
    """The case itself, or a copy with its large sparse files created (they cannot be committed)."""
    sparse = _expect(case).get("sparse_files")
    if not sparse:
        return case
    cube = tmp_path / case.name
    shutil.copytree(case, cube)
    for rel, size in sparse.items():
        target = cube / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:
            f.truncate(size)
    return cube


def _key(f) -> tuple:
    return (f[0], f[1], -1 if f[2] is None else f[2], f[3])


@pytest.mark.parametrize("case", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_cube_gives_exactly_its_finding(case, tmp_path):
    exp = _expect(case)
    want = [(exp["code"], exp["file"], exp["line"], exp["severity"])]
    want += [(a["code"], a["file"], a["line"], a["severity"]) for a in exp.get("also", [])]
    report, got = _run(_materialize(case, tmp_path))
    assert sorted(got, key=_key) == sorted(want, key=_key), "\n".join(
        f"{f.code} {f.where()} {f.message}" for f in report.findings
    )
    assert report.ok is (exp["severity"] != "error")


@pytest.mark.parametrize("case", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_finding_says_how_to_fix(case, tmp_path):
    report, _ = _run(_materialize(case, tmp_path))
    main = next(f for f in report.findings if f.code == _expect(case)["code"])
    assert main.message.strip(), main
    assert main.hint and main.hint.strip(), f"{main.code} {main.where()}: no hint"


def test_corpus_is_large_enough():
    assert len(BROKEN) >= 25


# The static codes (MC0xx-MC5xx); the build/run stage's codes (MC6xx, MC7xx) are tested with the engine.
STATIC_CODES = {code for code in CODES if code[:3] in ("MC0", "MC1", "MC2", "MC3", "MC4", "MC5")}


def test_every_code_has_a_broken_fixture():
    covered = {_expect(case)["code"] for case in BROKEN}
    assert len(STATIC_CODES) >= 30
    assert not STATIC_CODES - covered, f"codes without a broken fixture: {sorted(STATIC_CODES - covered)}"
    assert not covered - set(CODES), f"fixtures expect unknown codes: {sorted(covered - set(CODES))}"


def test_schema_codes_have_several_fixtures():
    counts = {c: 0 for c in ("MC101", "MC102", "MC103")}
    for case in BROKEN:
        code = _expect(case)["code"]
        if code in counts:
            counts[code] += 1
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("cube", VALID, ids=[p.name for p in VALID])
def test_valid_cube_has_no_errors(cube):
    report, got = _run(cube)
    assert report.ok, "\n".join(f"{f.code} {f.where()} {f.message}" for f in report.findings)
    assert {(c, f, line) for c, f, line, _ in got} == VALID_WARNINGS.get(cube.name, set())
    assert report.role in ("data_preparator", "model", "metrics")


def test_valid_fixtures_cover_both_formats_and_every_role():
    seen = set()
    for cube in VALID:
        formats = frozenset(
            fmt for fmt, rel in (("container_config", "container_config.yaml"), ("mlcube", "mlcube/mlcube.yaml"))
            if (cube / rel).is_file()
        )
        seen.add((formats, run_static(cube).role))
    assert {f for f, _ in seen} == {
        frozenset({"container_config"}), frozenset({"mlcube"}), frozenset({"container_config", "mlcube"})
    }
    both = {role for f, role in seen if len(f) == 2}
    assert both == {"data_preparator", "model", "metrics"}


def test_tutorial_configs_are_medperfs():
    """The chest X-ray tutorial fixtures carry MedPerf's own configs (CONTRACT.md §2), not look-alikes."""
    prep = yaml.safe_load((FIXTURES / "valid/tutorial_data_preparator/container_config.yaml").read_text())
    assert prep["image"] == "mlcommons/chestxray-tutorial-prep:0.0.1"
    assert prep["tasks"]["prepare"]["run_args"]["command"] == "python3 /project/main.py"
    assert prep["tasks"]["statistics"]["run_args"]["command"] == "python3 /project/main.py --start=sanity_check"
    model = yaml.safe_load((FIXTURES / "valid/tutorial_model_custom_cnn/container_config.yaml").read_text())
    assert "run_args" not in model["tasks"]["infer"]
    mlcube = yaml.safe_load((FIXTURES / "valid/tutorial_model_custom_cnn/mlcube/mlcube.yaml").read_text())
    assert mlcube["tasks"]["infer"]["parameters"]["inputs"]["weights"] == "additional_files/cnn_weights.pth"
    metrics = yaml.safe_load((FIXTURES / "valid/tutorial_metrics/container_config.yaml").read_text())
    assert set(metrics["tasks"]["evaluate"]["input_volumes"]) == {"predictions", "labels", "parameters_file"}
