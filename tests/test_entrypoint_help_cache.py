"""The entrypoint --help probe remembers clean answers (validator.chain.probes.entrypoint_help): an image that
answered a question is not asked it again, and says the same; a crash is asked again every run. Real engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from validator.chain.probes import entrypoint_help
from validator.engine.images.build import build_image
from validator.engine.limits import Limits
from validator.engine.tasks.docker import DockerRunner
from validator.manifest.load import load_cube

pytestmark = pytest.mark.docker
MODEL = Path(__file__).parent / "fixtures" / "engine" / "model"


def _built(tmp_path: Path, engine, base_image: str, name: str, first_line: str = ""):
    dest = tmp_path / name
    shutil.copytree(MODEL, dest)
    if first_line:
        py = dest / "project" / "mlcube.py"
        py.write_text(first_line + "\n" + py.read_text())
    cube = load_cube(dest)
    build = build_image(engine, cube, base_image=base_image)
    assert build.ok and build.image_id
    return cube, {str(cube.path): build}


def _ask(engine, cube, built, logs: Path):
    logs.mkdir(parents=True)
    found = entrypoint_help.check(DockerRunner(engine, Limits()), [("model", cube)], built, logs)
    return [f for fs in found.values() for f in fs], sorted(p.name for p in logs.iterdir())


def test_a_clean_answer_is_not_asked_again_and_a_crash_is(tmp_path, engine, base_image, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    cube, built = _built(tmp_path, engine, base_image, "good")
    first, asked = _ask(engine, cube, built, tmp_path / "run1")
    assert first == [] and asked == ["help-model-infer.log"]
    second, asked = _ask(engine, cube, built, tmp_path / "run2")
    assert second == [] and asked == []  # remembered: nothing run

    crashing, built = _built(tmp_path, engine, base_image, "crashing", "import a_module_the_image_lacks")
    for run in ("run3", "run4"):
        found, asked = _ask(engine, crashing, built, tmp_path / run)
        assert [f.code for f in found] == ["MC811"] and asked == ["help-model-infer.log"]


def test_an_option_the_real_parser_does_not_list_is_said_and_remembered(tmp_path, engine, base_image, monkeypatch):
    """The image's parser calls `--weights` `--model_weights`: the task is given `--weights`, which the usage text the
    real parser printed does not list (MC812, a warning); the good cube gets nothing. The usage text is remembered
    with the answer, so a second run says the same without asking."""
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    cube, built = _built(tmp_path, engine, base_image, "renamed")
    script = cube.path / "project" / "mlcube.py"
    script.write_text(script.read_text().replace('"--weights"', '"--model_weights"').replace("a.weights", "a.model_weights"))
    cube = load_cube(cube.path)
    build = build_image(engine, cube, base_image=base_image)
    assert build.ok
    for run in ("run1", "run2"):
        found, asked = _ask(engine, cube, {str(cube.path): build}, tmp_path / run)
        assert [(f.code, f.severity) for f in found] == [("MC812", "warning")], found
        assert "--weights," in found[0].message + "," and "--model_weights" in found[0].message
        assert asked == (["help-model-infer.log"] if run == "run1" else [])
    good, built = _built(tmp_path, engine, base_image, "good")
    assert _ask(engine, good, built, tmp_path / "run3")[0] == []
