"""`validator.create`: the library behind `medcube create` (templates, example copies, user errors, next steps)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
import yaml

from validator import create as create_module
from validator import resources
from validator.create import create, next_steps, parse_extra_context
from validator.errors import UserError

REPO = Path(__file__).resolve().parent.parent
ROLES = ("data_preparator", "model", "metrics")
CODE_MODULE = {"data_preparator": "prepare.py", "model": "infer.py", "metrics": "metrics.py"}


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("role", ROLES)
def test_create_with_defaults_returns_the_new_cube(role, tmp_path):
    path = create(role, tmp_path, no_input=True)
    assert path == (tmp_path / f"{role}_mlcube").resolve() and path.is_dir()
    assert f"project/{CODE_MODULE[role]}" in tree(path)
    assert yaml.safe_load((path / "container_config.yaml").read_text())["image"] == \
        f"local/{path.name.replace('_', '-')}:0.1.0"


def test_create_takes_extra_context_as_mapping_or_key_value_strings(tmp_path):
    a = create("model", tmp_path / "a", no_input=True, extra_context={"project_name": "Chest CNN", "accelerator_count": 1})
    b = create("model", tmp_path / "b", no_input=True,
               extra_context=["project_name=Chest CNN", "accelerator_count=1", "description=a=b, c"])
    assert a.name == b.name == "chest_cnn"
    mlcube = yaml.safe_load((b / "mlcube/mlcube.yaml").read_text())
    assert mlcube["description"] == "a=b, c"  # split on the first '=' only
    assert mlcube["platform"]["accelerator_count"] == 1
    assert yaml.safe_load((a / "container_config.yaml").read_text())["tasks"]["infer"]["run_args"]["gpus"] == 1


def test_the_default_slug_is_a_valid_folder_name_for_any_project_name(tmp_path):
    assert create("model", tmp_path, no_input=True, extra_context={"project_name": "Chest X-ray (CNN) v2 – Zoë"}).name \
        == "chest_x_ray_cnn_v2_zoe"


def test_create_accepts_the_cli_role_enum(tmp_path):
    from validator.cli import Role

    assert create(Role.metrics, tmp_path, no_input=True).name == "metrics_mlcube"


def test_create_asks_the_template_questions_with_medperfs_defaults(tmp_path):
    """Answer the prompts on stdin as a user would: every question in order, an empty line keeps the default."""
    # name, slug, description, author, GPUs, image, base image, medcube's GitHub repository, its revision
    answers = ["Lung Model", "", "", "", "1", "myorg/lung-model:0.1.0", "", "", ""]
    script = "import sys; from validator.create import create; print(create('model', sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], input="\n".join(answers) + "\n",
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for question in ("project_name", "project_slug", "description", "author_name", "accelerator_count",
                     "image_name", "base_image", "medcube_github", "medcube_rev"):
        assert f"{question}" in proc.stdout
    assert "Model MLCube" in proc.stdout and "python:3.11-slim" in proc.stdout  # the defaults shown
    cube = tmp_path / "lung_model"
    assert proc.stdout.strip().endswith(f": {cube.resolve()}")  # the last prompt, then create()'s return value
    mlcube = yaml.safe_load((cube / "mlcube/mlcube.yaml").read_text())
    assert mlcube["name"] == "Lung Model" and mlcube["authors"] == [{"name": "John Smith"}]
    assert mlcube["docker"]["image"] == "myorg/lung-model:0.1.0" and mlcube["platform"]["accelerator_count"] == 1
    assert (cube / "project/Dockerfile").read_text().count("ARG BASE_IMAGE=python:3.11-slim") == 1


# ------------------------------------------------------------------------------------------- user errors


def test_unknown_role_is_a_user_error():
    with pytest.raises(UserError) as error:
        create("trainer", no_input=True)
    assert "unknown role 'trainer'" in error.value.message
    assert error.value.hint == "one of: data_preparator, model, metrics (or evaluator, MedPerf's name for metrics)"


def test_evaluator_is_medperfs_name_for_metrics(tmp_path):
    path = create("evaluator", tmp_path, no_input=True)
    assert path.name == "metrics_mlcube" and (path / "project/metrics.py").is_file()


def test_image_and_folder_name_as_medperf_container_create_takes_them(tmp_path):
    path = create("model", tmp_path, no_input=True, image="myorg/chest-cnn:0.2.0", folder_name="chest_cnn")
    assert path.name == "chest_cnn"
    assert yaml.safe_load((path / "container_config.yaml").read_text())["image"] == "myorg/chest-cnn:0.2.0"
    assert yaml.safe_load((path / "mlcube/mlcube.yaml").read_text())["docker"]["image"] == "myorg/chest-cnn:0.2.0"


def test_default_images_differ_between_roles(tmp_path):
    images = {yaml.safe_load((create(role, tmp_path, no_input=True) / "container_config.yaml").read_text())["image"]
              for role in ROLES}
    assert len(images) == 3


def test_relative_output_dir_with_an_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = create("model", Path("rel/dir"), no_input=True, example="chestxray")
    assert path == (tmp_path / "rel/dir/model_mlcube").resolve()
    assert (path / "container_config.yaml").is_file()


def test_rejected_answer_prints_the_rerun_command_with_every_answer(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as error:
        create("model", Path("out"), no_input=True, extra_context={"project_name": "Chest CNN", "image_name": "Bad Image"})
    hint = error.value.hint
    assert "medcube create model -o out --no-input" in hint
    for answer in ("'project_name=Chest CNN'", "project_slug=chest_cnn", "'image_name=Bad Image'",
                   "base_image=python:3.11-slim", "accelerator_count=0", "'author_name=John Smith'"):
        assert f"--extra-context {answer}" in hint, hint


@pytest.mark.parametrize("bad", [["project_name"], ["=value"], [" =x"]])
def test_extra_context_without_key_value_is_a_user_error(bad, tmp_path):
    with pytest.raises(UserError) as error:
        create("model", tmp_path, no_input=True, extra_context=bad)
    assert "is not of the form key=value" in error.value.message and error.value.hint
    assert list(tmp_path.iterdir()) == []


def test_unknown_extra_context_key_is_a_user_error(tmp_path):
    with pytest.raises(UserError) as error:
        create("model", tmp_path, no_input=True, extra_context=["project_nmae=x"])
    assert error.value.message == "--extra-context: unknown variable 'project_nmae'"
    assert "project_name" in error.value.hint and "_role" not in error.value.hint


def test_existing_output_folder_is_a_user_error_and_stays_untouched(tmp_path):
    (tmp_path / "model_mlcube").mkdir()
    (tmp_path / "model_mlcube" / "mine.txt").write_text("keep me")
    with pytest.raises(UserError) as error:
        create("model", tmp_path, no_input=True)
    assert "model_mlcube" in error.value.message and "already exists" in error.value.message
    assert "project_slug" in error.value.hint
    assert tree(tmp_path / "model_mlcube") == {"mine.txt"}


def test_rejected_answers_are_a_user_error_and_nothing_is_written(tmp_path, capfd):
    out = tmp_path / "new" / "folder"
    with pytest.raises(UserError) as error:
        create("data_preparator", out, no_input=True, extra_context={"image_name": "My Image"})
    assert "nothing was written" in error.value.message
    captured = capfd.readouterr()
    assert "error: image_name 'My Image' is not valid" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


def test_parse_extra_context():
    assert parse_extra_context(None, ["a"]) == {}
    assert parse_extra_context(["a=1", "b= x=y "], ["a", "b"]) == {"a": "1", "b": " x=y "}
    assert parse_extra_context({"a": 2}, ["a"]) == {"a": "2"}


# ------------------------------------------------------------------------------------------- next steps


@pytest.mark.parametrize("role,option", [("data_preparator", "--data-preparator"), ("model", "--model"), ("metrics", "--metrics")])
def test_next_steps_name_the_commands_to_run(role, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = create(role, tmp_path, no_input=True)
    text = next_steps(path, role)
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    assert f"cd {role}_mlcube" in lines
    assert lines.index("medcube validate --static .") < lines.index("medcube validate .")
    assert f"medcube test {option} ." in lines
    assert "TODO(your logic)" in text


def test_next_steps_quote_paths_outside_the_working_directory(tmp_path, monkeypatch):
    cube = tmp_path / "my cubes" / "model_mlcube"
    cube.mkdir(parents=True)
    monkeypatch.chdir(REPO)
    assert f"  cd '{cube}'" in next_steps(cube, "model").splitlines()


# ------------------------------------------------------------------------------------------- --example


MLCUBE_YAML = """\
name: Chest X-ray CNN   # shown by MLCube
description: reference model
docker:
  # the image users pull
  image: mlcommons/chestxray-model:0.0.1
  build_context: "../project"
tasks:
  infer:
    parameters:
      inputs: {data_path: data/, parameters_file: {type: file, default: parameters.yaml}}
      outputs: {output_path: {type: directory, default: predictions/}}
"""
CONTAINER_CONFIG = """\
container_type: DockerImage
# reference image
image: mlcommons/chestxray-model:0.0.1
tasks:
  infer:
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/data, type: directory}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}
"""


@pytest.fixture
def fake_example(tmp_path, monkeypatch):
    """A stand-in for examples/chestxray/<role>/, so the copy logic is tested whatever state the real example is in."""
    root = tmp_path / "examples" / "chestxray"
    cube = root / "model"
    (cube / "mlcube" / "workspace" / "additional_files").mkdir(parents=True)
    (cube / "project" / "__pycache__").mkdir(parents=True)
    (cube / "mlcube" / "mlcube.yaml").write_text(MLCUBE_YAML)
    (cube / "container_config.yaml").write_text(CONTAINER_CONFIG)
    (cube / "mlcube" / "workspace" / "additional_files" / "cnn_weights.pth").write_bytes(b"\x00\x01weights")
    (cube / "project" / "infer.py").write_text("print('hi')\n")
    (cube / "project" / "__pycache__" / "infer.cpython-311.pyc").write_bytes(b"junk")
    monkeypatch.setattr(create_module.resources, "example_dir", lambda name: tmp_path / "examples" / name)
    return cube


def test_example_is_copied_and_renamed_keeping_comments(fake_example, tmp_path):
    out = tmp_path / "out"
    path = create("model", out, no_input=True, example="chestxray",
                  extra_context=["project_name=Lung CNN", "image_name=myorg/lung-cnn:0.1.0"])
    assert path == (out / "lung_cnn").resolve()
    assert tree(path) == {"mlcube/mlcube.yaml", "container_config.yaml", "project/infer.py",
                          "mlcube/workspace/additional_files/cnn_weights.pth"}
    assert (path / "mlcube/workspace/additional_files/cnn_weights.pth").read_bytes() == b"\x00\x01weights"
    mlcube_text = (path / "mlcube/mlcube.yaml").read_text()
    mlcube = yaml.safe_load(mlcube_text)
    assert (mlcube["name"], mlcube["docker"]["image"]) == ("Lung CNN", "myorg/lung-cnn:0.1.0")
    assert "# the image users pull" in mlcube_text and mlcube["description"] == "reference model"
    config_text = (path / "container_config.yaml").read_text()
    assert yaml.safe_load(config_text)["image"] == "myorg/lung-cnn:0.1.0" and "# reference image" in config_text
    assert "mlcommons/chestxray-model" not in mlcube_text + config_text
    assert yaml.safe_load((fake_example / "container_config.yaml").read_text())["image"] == "mlcommons/chestxray-model:0.0.1"


def test_example_in_flow_style_is_rewritten_from_its_data(fake_example, tmp_path):
    (fake_example / "mlcube" / "mlcube.yaml").write_text(
        "{name: CNN, docker: {image: a/b:1, build_context: ../project}, tasks: {infer: {parameters: {}}}}\n")
    path = create("model", tmp_path / "out", no_input=True, example="chestxray",
                  extra_context={"image_name": "myorg/x:2"})
    mlcube = yaml.safe_load((path / "mlcube/mlcube.yaml").read_text())
    assert mlcube["name"] == "Model MLCube" and mlcube["docker"] == {"image": "myorg/x:2", "build_context": "../project"}


def test_example_copies_check_the_answers_like_the_templates(fake_example, tmp_path, capfd):
    with pytest.raises(UserError) as error:
        create("model", tmp_path / "out", no_input=True, example="chestxray", extra_context={"project_slug": "no good"})
    assert "nothing was written" in error.value.message
    assert "error: project_slug 'no good' is not valid" in capfd.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(UserError, match="unknown variable 'accelerator_count'"):
        create("model", tmp_path / "out", no_input=True, example="chestxray", extra_context={"accelerator_count": "1"})
    create("model", tmp_path / "out", no_input=True, example="chestxray")
    with pytest.raises(UserError, match="already exists"):
        create("model", tmp_path / "out", no_input=True, example="chestxray")


def test_unknown_or_missing_example_is_a_user_error(fake_example, tmp_path):
    with pytest.raises(UserError, match="unknown example 'brats'") as error:
        create("model", tmp_path, no_input=True, example="brats")
    assert error.value.hint == "one of: chestxray"
    with pytest.raises(UserError, match="has no metrics cube"):
        create("metrics", tmp_path, no_input=True, example="chestxray")


@pytest.mark.parametrize("role", ROLES)
def test_real_chestxray_example_copy_is_as_valid_as_the_original(role, tmp_path):
    source = resources.example_dir("chestxray") / role
    if not ((source / "container_config.yaml").is_file() and (source / "mlcube/mlcube.yaml").is_file()):
        pytest.skip(f"examples/chestxray/{role} has no config files yet")
    path = create(role, tmp_path, no_input=True, example="chestxray",
                  extra_context={"project_slug": "mine", "image_name": "myorg/mine:0.1.0"})
    assert yaml.safe_load((path / "container_config.yaml").read_text())["image"] == "myorg/mine:0.1.0"
    assert yaml.safe_load((path / "mlcube/mlcube.yaml").read_text())["docker"]["image"] == "myorg/mine:0.1.0"
    from validator.checks import run_static

    # The copy is exactly as valid as the reference cube (whose own state is the example's tests' business).
    def findings(cube):
        return sorted((f.code, Path(f.file or "").name, f.line) for f in run_static(cube).findings)

    assert findings(path) == findings(source)


# ------------------------------------------------------------------------------------------- from a wheel


@pytest.mark.slow
def test_create_works_from_an_installed_wheel(tmp_path):
    """Build the wheel from a copy of the sources, install it in a fresh venv, create a cube there."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        if (REPO / name).is_file():
            shutil.copy(REPO / name, src / name)
    for name in ("validator", "templates", "examples/chestxray"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("medcube-*.whl"))
    venv.create(tmp_path / "venv", system_site_packages=True, with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    install = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    script = textwrap.dedent("""
        import sys, validator
        from validator.create import create, template_dir
        print(validator.__file__)
        print(template_dir("metrics"))
        print(create("metrics", sys.argv[1], no_input=True))
    """)
    proc = subprocess.run([python, "-c", script, str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stderr
    package_file, template, cube = proc.stdout.strip().splitlines()
    site = str(tmp_path / "venv")
    assert package_file.startswith(site) and template.startswith(site)
    assert template.endswith("validator/data/templates/evaluator")
    assert "project/metrics.py" in tree(Path(cube))
