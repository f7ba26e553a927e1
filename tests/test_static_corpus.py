"""The fixture corpus: every broken cube gives exactly the finding it is for; every valid cube gives no error.

The broken cubes are made at test time from the valid ones (tests/static_cubes.py: CASES is the recipe, one edit
and one expected finding {code, file, line, severity, also} per case; `broken_corpus` in conftest.py builds them).
"""

from __future__ import annotations

import pytest
import yaml
from static_cubes import CASES, VALID, run_relative

from validator.checks import run_static
from validator.codes import CATALOGUE

VALID_CUBES = sorted(p for p in VALID.iterdir() if p.is_dir())

# Findings the valid fixtures are allowed to carry (all warnings): the tutorial's model names
# mlcommons/chestxray-tutorial-cnn:0.0.1 in container_config.yaml and :0.0.0 in mlcube.yaml, as MedPerf's repo does.
# The seed model is an mlcube.yaml-only cube, which MedPerf 0.3.0 does not run (MC214).
VALID_WARNINGS = {"tutorial_model_custom_cnn": {("MC303", "container_config.yaml", 2)},
                  "seed_model_custom_cnn": {("MC214", "mlcube/mlcube.yaml", 1)}}


def _key(f) -> tuple:
    return (f[0], f[1], -1 if f[2] is None else f[2], f[3])


@pytest.mark.parametrize("name", list(CASES))
def test_broken_cube_gives_exactly_its_finding(name, broken_corpus):
    cube = broken_corpus / name
    want = CASES[name].expected(cube)
    report, got = run_relative(cube)
    assert sorted(got, key=_key) == sorted(want, key=_key), "\n".join(
        f"{f.code} {f.where()} {f.message}" for f in report.findings
    )
    assert report.ok is (CASES[name].severity != "error")


@pytest.mark.parametrize("name", list(CASES))
def test_broken_finding_says_how_to_fix(name, broken_corpus):
    report, _ = run_relative(broken_corpus / name)
    main = next(f for f in report.findings if f.code == CASES[name].code)
    assert main.message.strip(), main
    assert main.hint and main.hint.strip(), f"{main.code} {main.where()}: no hint"


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


# The static codes (MC0xx-MC5xx); the build/run stage's codes (MC6xx, MC7xx) are tested with the engine.
# MC510 is hadolint's (installed or not): tests/test_hadolint.py has its fixture.
STATIC_CODES = {code for code, entry in CATALOGUE.items() if entry.stage == "static"} - {"MC510"}


def test_every_code_has_a_broken_fixture():
    covered = {case.code for case in CASES.values()}
    assert len(STATIC_CODES) >= 30
    assert not STATIC_CODES - covered, f"codes without a broken fixture: {sorted(STATIC_CODES - covered)}"
    assert not covered - set(CATALOGUE), f"fixtures expect unknown codes: {sorted(covered - set(CATALOGUE))}"


def test_schema_codes_have_several_fixtures():
    counts = {c: 0 for c in ("MC101", "MC102", "MC103")}
    for case in CASES.values():
        if case.code in counts:
            counts[case.code] += 1
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("cube", VALID_CUBES, ids=[p.name for p in VALID_CUBES])
def test_valid_cube_has_no_errors(cube):
    report, got = run_relative(cube)
    assert report.ok, "\n".join(f"{f.code} {f.where()} {f.message}" for f in report.findings)
    assert {(c, f, line) for c, f, line, _ in got} == VALID_WARNINGS.get(cube.name, set())
    assert report.role in ("data_preparator", "model", "metrics")


def test_valid_fixtures_cover_both_formats_and_every_role():
    seen = set()
    for cube in VALID_CUBES:
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
    prep = yaml.safe_load((VALID / "tutorial_data_preparator/container_config.yaml").read_text())
    assert prep["image"] == "mlcommons/chestxray-tutorial-prep:0.0.1"
    assert prep["tasks"]["prepare"]["run_args"]["command"] == "python3 /project/main.py"
    assert prep["tasks"]["statistics"]["run_args"]["command"] == "python3 /project/main.py --start=sanity_check"
    assert prep["tasks"]["sanity_check"]["run_args"]["command"] == "python3 /project/main.py --start=sanity_check"
    model = yaml.safe_load((VALID / "tutorial_model_custom_cnn/container_config.yaml").read_text())
    assert "run_args" not in model["tasks"]["infer"]
    mlcube = yaml.safe_load((VALID / "tutorial_model_custom_cnn/mlcube/mlcube.yaml").read_text())
    assert mlcube["tasks"]["infer"]["parameters"]["inputs"]["weights"] == "additional_files/cnn_weights.pth"
    metrics = yaml.safe_load((VALID / "tutorial_metrics/container_config.yaml").read_text())
    assert set(metrics["tasks"]["evaluate"]["input_volumes"]) == {"predictions", "labels", "parameters_file"}
