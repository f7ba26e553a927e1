"""The shapes of cubes found in public repositories (bench/wild/), written here as small MLCube- and MedPerf-shaped
fixtures, each in both directions (works / broken): role only from real evidence, severities by the policy of
docs/findings.md, `--target medperf|mlcube`, `--role`, a schema error that no longer hides the code checks, the
one front door (each config read once), and `validate DIR/mlcube_medperf.yaml` validating that file.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from validator.checks import gate, load, run_static
from validator.cli import app
from validator.manifest import yamlread

TYPER_SCRIPT = '''\
import typer

app = typer.Typer()


@app.command("{first}")
def first({params}):
    pass


@app.command("{second}")
def second({params}):
    pass


if __name__ == "__main__":
    app()
'''


def _cube(root: Path, mlcube: str, *, first="infer", second="hotfix", params="", dockerfile=True,
          files: dict[str, str] | None = None) -> Path:
    """A cube folder: mlcube/mlcube.yaml, and (with `dockerfile`) project/Dockerfile running project/mlcube.py."""
    root.mkdir(parents=True)
    (root / "mlcube").mkdir()
    (root / "mlcube" / "mlcube.yaml").write_text(textwrap.dedent(mlcube), encoding="utf-8")
    (root / "mlcube" / "workspace").mkdir()
    (root / "mlcube" / "workspace" / "parameters.yaml").write_text("{}\n", encoding="utf-8")
    if dockerfile:
        (root / "project").mkdir()
        (root / "project" / "Dockerfile").write_text(
            "FROM python:3.11-slim\nCOPY . /mlcube_project\nENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"]\n",
            encoding="utf-8")
        (root / "project" / "mlcube.py").write_text(
            TYPER_SCRIPT.format(first=first, second=second, params=params), encoding="utf-8")
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


HEAD = """\
name: wild
description: a cube shaped like those in public repositories
authors:
  - {name: A}
docker:
  image: example/wild:0.1.0
  build_context: "../project"
  build_file: "Dockerfile"
"""

TRAINING = HEAD + """\
tasks:
  train:
    parameters:
      inputs: {data_dir: data/}
      outputs: {model_dir: model/}
  inference:
    parameters:
      inputs: {data_dir: data/, model_dir: model/}
      outputs: {out_dir: out/}
"""

MODEL = HEAD + """\
tasks:
  infer:
    parameters:
      inputs: {data_path: data/, parameters_file: parameters.yaml}
      outputs: {output_path: predictions/}
"""

OWN_LABELS = HEAD + """\
tasks:
  infer:
    parameters:
      inputs: {data_dir: data/, model_dir: model/}
      outputs: {out_dir: out/}
"""

PARAMS = "data_dir: str = typer.Option(..., '--data_dir'), model_dir: str = typer.Option('', '--model_dir'), " \
         "out_dir: str = typer.Option('', '--out_dir')"
MODEL_PARAMS = "data_path: str = typer.Option(..., '--data_path'), output_path: str = typer.Option(..., '--output_path'), " \
               "parameters_file: str = typer.Option('', '--parameters_file')"


def _codes(report, severity=None):
    return sorted(str(f.code) for f in report.findings if severity is None or f.severity == severity)


def _show(report) -> str:
    return "\n".join(f"{f.severity} {f.code} {f.where()} {f.message}" for f in report.findings)


# 1. A role only from real evidence.

def test_training_cube_with_train_and_inference_is_not_a_benchmark_cube(tmp_path):
    cube = _cube(tmp_path / "c", TRAINING, first="train", second="inference", params=PARAMS)
    report = run_static(cube)
    assert report.ok, _show(report)
    assert report.role is None
    mc212 = [f for f in report.findings if f.code == "MC212"]
    assert len(mc212) == 1 and "training pipeline" in mc212[0].message and "federated" not in mc212[0].message


def test_infer_with_labels_of_its_own_is_not_medperfs_model(tmp_path):
    cube = _cube(tmp_path / "c", OWN_LABELS, params=PARAMS)
    report = run_static(cube)
    assert report.ok, _show(report)
    assert _codes(report, "error") == [] and "MC212" in _codes(report)
    assert "declares none of the labels MedPerf gives" in next(f for f in report.findings if f.code == "MC212").message


def test_role_declared_with_role_option_runs_the_role_checks(tmp_path):
    cube = _cube(tmp_path / "c", OWN_LABELS, params=PARAMS)
    report = run_static(cube, role="model")
    assert report.role == "model"
    assert "MC204" in _codes(report, "error"), _show(report)  # data_dir: a label MedPerf never supplies
    result = CliRunner().invoke(app, ["validate", "--static", "--no-config", "--format", "json", "--role", "model", str(cube)])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["cubes"][0]["role"] == "model"


def test_a_typo_of_a_benchmark_task_with_its_labels_is_still_said(tmp_path):
    cube = _cube(tmp_path / "c", MODEL.replace("  infer:", "  infr:"), first="infr", params=MODEL_PARAMS)
    report = run_static(cube)
    assert not report.ok
    assert any(f.is_error and "did you mean 'infer'" in f.message for f in report.findings), _show(report)


def test_a_model_cube_by_its_labels_is_checked_as_one(tmp_path):
    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    report = run_static(cube)
    assert report.role == "model" and report.ok, _show(report)


# 2. Severities by the policy, and a schema error that does not hide the code checks.

def test_unknown_author_key_is_a_warning_and_later_checks_run(tmp_path):
    text = MODEL.replace("  - {name: A}", "  - {name: A, institution: B}")
    works = run_static(_cube(tmp_path / "works", text, params=MODEL_PARAMS))
    assert works.ok and "MC101" in _codes(works, "warning"), _show(works)
    broken = run_static(_cube(tmp_path / "broken", text, first="predict", params=MODEL_PARAMS))
    assert "MC402" in _codes(broken, "error"), _show(broken)  # the code check still runs


def test_a_schema_error_no_longer_hides_the_code_checks(tmp_path):
    text = MODEL.replace("image: example/wild:0.1.0", "image: Not An Image")
    report = run_static(_cube(tmp_path / "c", text, first="predict", params=MODEL_PARAMS))
    assert "MC103" in _codes(report, "error") and "MC402" in _codes(report, "error"), _show(report)


def test_parameters_yaml_beside_mlcube_yaml_is_found(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "mlcube.yaml").write_text(MODEL.replace('  build_context: "../project"\n  build_file: "Dockerfile"\n', ""),
                                        encoding="utf-8")
    missing = run_static(bundle)
    assert "MC406" in _codes(missing, "error"), _show(missing)
    (bundle / "parameters.yaml").write_text("{}\n", encoding="utf-8")
    found = run_static(bundle)
    assert "MC406" not in _codes(found), _show(found)


# 3. Which runtime.

MLCUBE_ERA = MODEL.replace("parameters_file: parameters.yaml}",
                           'parameters_file: {type: file, default: "null"}, checkpoint_path: {type: file, default: "null"}}')


def test_target_decides_a_label_medperf_never_supplies(tmp_path):
    cube = _cube(tmp_path / "c", MLCUBE_ERA, params=MODEL_PARAMS + ", checkpoint_path: str = typer.Option('', '--checkpoint_path')")
    for_medperf = load(cube)
    assert "MC204" in _codes(for_medperf, "error"), _show(for_medperf)
    for_mlcube = load(cube, target="mlcube")
    assert for_mlcube.ok and for_mlcube.target == "mlcube", _show(for_mlcube)
    said = [f for f in for_mlcube.findings if f.code == "MC204"]
    assert said and all(f.severity == "warning" and "--target medperf" in f.message for f in said)
    assert "MC214" not in _codes(for_mlcube)  # which file MedPerf 0.3 runs is no concern of the MLCube client
    runner = CliRunner()
    text = runner.invoke(app, ["validate", "--static", "--no-config", "--format", "text", "--target", "mlcube", str(cube)])
    assert text.exit_code == 0 and "for mlcube" in text.output, text.output
    sarif = runner.invoke(app, ["validate", "--static", "--no-config", "--format", "sarif", str(cube)])
    assert sarif.exit_code == 1 and json.loads(sarif.output)["runs"][0]["properties"]["target"] == "medperf"
    junit = tmp_path / "junit.xml"
    runner.invoke(app, ["validate", "--static", "--no-config", "--target", "mlcube", "--junit", str(junit), str(cube)])
    assert '<property name="target" value="mlcube"' in junit.read_text(encoding="utf-8")


def test_a_missing_parameters_file_is_an_error_for_both_targets(tmp_path):
    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    (cube / "mlcube" / "workspace" / "parameters.yaml").unlink()
    assert "MC406" in _codes(load(cube, target="mlcube"), "error")


# 8. The file given is the file validated.

def test_validate_a_named_config_file_validates_that_file(tmp_path):
    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    (cube / "mlcube" / "mlcube_medperf.yaml").write_text(
        textwrap.dedent(MODEL).replace("infer:", "evaluate:"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--static", "--no-config", "--format", "json",
                                      str(cube / "mlcube" / "mlcube_medperf.yaml")])
    doc = json.loads(result.output)
    files = {f["file"] for c in doc["cubes"] for f in c["findings"]}
    assert files and all(f.endswith("mlcube_medperf.yaml") or "project" in f for f in files), files


# 23.1: the one front door.

def _count_config_reads(monkeypatch) -> list[Path]:
    """Every YAML file read from now on, by the checks or by the loader."""
    reads: list[Path] = []
    real = yamlread.read

    def counting(path, *args, **kwargs):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr("validator.checks.read", counting)
    monkeypatch.setattr("validator.manifest.load.read", counting)
    return reads


def test_a_cube_is_read_once_for_checks_and_the_gate(tmp_path, monkeypatch):
    from validator.checks import checked_cube

    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    reads = _count_config_reads(monkeypatch)
    loaded = checked_cube(cube)
    assert gate.refused([loaded]) == []
    configs = [p for p in reads if p.name == "mlcube.yaml"]
    assert len(configs) == 1, reads


def test_a_submission_is_read_once_for_its_load_and_its_gate(tmp_path, monkeypatch):
    """Many submissions: each submission's config is read once, and the gate it passes reuses that reading."""
    from validator.chain.submissions import Submission, _load

    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    reads = _count_config_reads(monkeypatch)
    sub = Submission(str(cube), "model")
    _load(sub)
    assert sub.findings == [] and [p.name for p in reads].count("mlcube.yaml") == 1, (sub.findings, reads)


def test_the_gate_refuses_an_entrypoint_with_spaces(tmp_path):
    cube = tmp_path / "cc"
    cube.mkdir()
    (cube / "container_config.yaml").write_text(textwrap.dedent("""\
        container_type: DockerImage
        image: example/model:0.1.0
        tasks:
          infer:
            run_args:
              entrypoint: python3 /mlcube_project/mlcube.py
            input_volumes:
              data_path: {mount_path: /mlcommons/volumes/data, type: directory}
            output_volumes:
              output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}
        """), encoding="utf-8")
    report = load(cube)
    assert "MC415" in _codes(report, "error"), _show(report)
    assert [str(f.code) for f in gate.blocking(report)] == ["MC415"]


@pytest.mark.parametrize("target", ["medperf", "mlcube"])
def test_unknown_target_is_refused_and_known_ones_recorded(tmp_path, target):
    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    assert load(cube, target=target).to_dict()["target"] == target
    with pytest.raises(ValueError):
        load(cube, target="singularity")


def test_convert_converts_an_mlcube_era_cube_and_says_what_is_left(tmp_path):
    cube = _cube(tmp_path / "c", MLCUBE_ERA, params=MODEL_PARAMS + ", checkpoint_path: str = typer.Option('', '--checkpoint_path')")
    result = CliRunner().invoke(app, ["convert", str(cube / "mlcube" / "mlcube.yaml")])
    assert result.exit_code == 0, result.output
    assert "container_type: DockerImage" in result.output
    assert "still to fix for MedPerf 0.3: MC204" in result.output  # the label MedPerf never supplies stays named


@pytest.mark.parametrize("body, said", [
    ("    import subprocess\n    subprocess.Popen(['python3', 'run.py']).wait()\n", True),
    ("    import os\n    os.system('python3 run.py')\n", True),
    ("    import subprocess, sys\n    sys.exit(subprocess.Popen(['python3', 'run.py']).wait())\n", False),
    ("    import subprocess\n    subprocess.run(['python3', 'run.py'], check=True)\n", False),
])
def test_a_wrapper_that_drops_the_exit_status_is_a_warning_with_its_line(tmp_path, body, said):
    cube = _cube(tmp_path / "c", MODEL, params=MODEL_PARAMS)
    script = cube / "project" / "mlcube.py"
    script.write_text(script.read_text(encoding="utf-8").replace("def first(" + MODEL_PARAMS + "):\n    pass\n",
                                                                 "def first(" + MODEL_PARAMS + "):\n" + body),
                      encoding="utf-8")
    report = run_static(cube)
    found = [f for f in report.findings if f.code == "MC419"]
    assert report.ok, _show(report)
    assert bool(found) is said, _show(report)
    if said:
        assert found[0].severity == "warning" and found[0].line is not None and found[0].file.endswith("mlcube.py")


# 4. Code <-> config, both ways: a required option no task passes (MC430), an option a wrapper passes that its
# script rejects (MC431), any Python interpreter's name (python3.7, /usr/bin/python3, python -u), an empty script
# (MC432).

WEIGHTS_MODEL = MODEL.replace("parameters_file: parameters.yaml}", "parameters_file: parameters.yaml, weights: additional_files/w.pth}")
WEIGHTS_FILE = {"mlcube/workspace/additional_files/w.pth": "weights\n"}

REQUIRED = {  # each parser kind, the option --weights required (True) or with a default (False)
    ("typer", True): 'import typer\n\napp = typer.Typer()\n\n\n@app.command("infer")\ndef infer(\n'
                     '    data_path: str = typer.Option(..., "--data_path"),\n'
                     '    parameters_file: str = typer.Option("", "--parameters_file"),\n'
                     '    output_path: str = typer.Option(..., "--output_path"),\n'
                     '    weights: str = typer.Option(..., "--weights"),\n):\n    pass\n\n\n'
                     '@app.command("hotfix")\ndef hotfix():\n    pass\n\n\napp()\n',
    ("annotated", True): 'from typing import Annotated\n\nimport typer\n\napp = typer.Typer()\n\n\n@app.command("infer")\n'
                         'def infer(\n    data_path: Annotated[str, typer.Option("--data_path")],\n'
                         '    parameters_file: Annotated[str, typer.Option("--parameters_file")],\n'
                         '    output_path: Annotated[str, typer.Option("--output_path")],\n'
                         '    weights: Annotated[str, typer.Option("--weights")],\n):\n    pass\n\n\n'
                         '@app.command("hotfix")\ndef hotfix():\n    pass\n\n\napp()\n',
    ("click", True): 'import click\n\n\n@click.group()\ndef cli():\n    pass\n\n\n@cli.command("infer")\n'
                     '@click.option("--data_path")\n@click.option("--parameters_file")\n@click.option("--output_path")\n'
                     '@click.option("--weights", required=True)\ndef infer(data_path, parameters_file, output_path, weights):\n'
                     '    pass\n\n\ncli()\n',
    ("argparse", True): 'import argparse\n\nparser = argparse.ArgumentParser()\nsub = parser.add_subparsers(dest="task")\n'
                        'infer = sub.add_parser("infer")\ninfer.add_argument("--data_path")\n'
                        'infer.add_argument("--parameters_file")\ninfer.add_argument("--output_path")\n'
                        'infer.add_argument("--weights", required=True)\nargs = parser.parse_args()\n',
}
REQUIRED[("typer", False)] = REQUIRED[("typer", True)].replace('typer.Option(..., "--weights")', 'typer.Option("", "--weights")')
REQUIRED[("annotated", False)] = REQUIRED[("annotated", True)].replace(
    'weights: Annotated[str, typer.Option("--weights")],', 'weights: Annotated[str, typer.Option("--weights")] = "",')
REQUIRED[("click", False)] = REQUIRED[("click", True)].replace(', required=True', '')
REQUIRED[("argparse", False)] = REQUIRED[("argparse", True)].replace(', required=True', '')


@pytest.mark.parametrize("kind", ["typer", "annotated", "click", "argparse"])
def test_a_required_option_the_task_never_passes_is_an_error_with_its_line(tmp_path, kind):
    script = REQUIRED[(kind, True)]
    broken = load(_cube(tmp_path / "broken", MODEL, files={"project/mlcube.py": script}))
    (f,) = [f for f in broken.findings if f.code == "MC430"] or [None]
    assert f is not None and f.is_error, _show(broken)
    assert f.file.endswith("project/mlcube.py") and "--weights" in f.message and "mlcube.yaml" in f.message
    assert script.splitlines()[f.line - 1].lstrip().startswith(('weights', '@click.option("--weights"',
                                                                 'infer.add_argument("--weights"')), f.line
    # MLCube passes the same `--label=path` words: an error for both runtimes
    assert "MC430" in _codes(load(tmp_path / "broken", target="mlcube"), "error")
    works = load(_cube(tmp_path / "works", WEIGHTS_MODEL, files={"project/mlcube.py": script, **WEIGHTS_FILE}))
    assert works.ok and "MC430" not in _codes(works), _show(works)


@pytest.mark.parametrize("kind", ["typer", "annotated", "click", "argparse"])
def test_an_option_with_a_default_may_be_left_out(tmp_path, kind):
    report = load(_cube(tmp_path / "c", MODEL, files={"project/mlcube.py": REQUIRED[(kind, False)]}))
    assert report.ok and "MC430" not in _codes(report), _show(report)


def test_a_required_option_missing_from_a_container_config_command(tmp_path):
    cube = tmp_path / "cc"
    (cube / "project").mkdir(parents=True)
    (cube / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY project /project\n'
                                     'ENTRYPOINT ["python3", "/project/mlcube.py"]\n', encoding="utf-8")
    (cube / "project" / "mlcube.py").write_text(REQUIRED[("argparse", True)], encoding="utf-8")
    config = textwrap.dedent("""\
        container_type: DockerImage
        image: example/model:0.1.0
        tasks:
          infer:
            run_args:
              command: infer --data_path=/mlcommons/volumes/data --output_path=/mlcommons/volumes/predictions{more}
            input_volumes:
              data_path: {{mount_path: /mlcommons/volumes/data, type: directory}}
            output_volumes:
              output_path: {{mount_path: /mlcommons/volumes/predictions, type: directory}}
        """)
    (cube / "container_config.yaml").write_text(config.format(more=""), encoding="utf-8")
    broken = load(cube)
    assert "MC430" in _codes(broken, "error"), _show(broken)
    assert "the following arguments are required: --weights" in next(f for f in broken.findings if f.code == "MC430").message
    (cube / "container_config.yaml").write_text(config.format(more=" --weights=/mlcube_project/w.pth"), encoding="utf-8")
    works = load(cube)
    assert "MC430" not in _codes(works), _show(works)


APP = 'import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument("--names")\nparser.add_argument("{out}")\n' \
      'args = parser.parse_args()\n'
WRAPPERS = {  # the MedPerf template's helper, an os.system f-string, a list literal
    "helper": '    cmd = f"python3 app.py --names={data_path} --out={output_path}"\n    exec_python(cmd)\n',
    "os.system": '    sys.exit(os.system(f"python3 /mlcube_project/app.py --names {data_path} --out {output_path}"))\n',
    "list": '    sys.exit(subprocess.run([sys.executable, "/mlcube_project/app.py", "--names", data_path, '
            '"--out=" + output_path]).returncode)\n',
}
WRAPPER = 'import os\nimport subprocess\nimport sys\n\nimport typer\n\napp = typer.Typer()\n\n\ndef exec_python(cmd):\n' \
          '    splitted = cmd.split()\n    sys.exit(subprocess.Popen(splitted, cwd=".").wait())\n\n\n@app.command("infer")\n' \
          'def infer(\n    data_path: str = typer.Option(..., "--data_path"),\n' \
          '    parameters_file: str = typer.Option("", "--parameters_file"),\n' \
          '    output_path: str = typer.Option(..., "--output_path"),\n):\n{body}\n\n' \
          '@app.command("hotfix")\ndef hotfix():\n    pass\n\n\napp()\n'


@pytest.mark.parametrize("shape", list(WRAPPERS))
def test_an_option_the_wrapper_passes_that_its_script_rejects_is_a_warning_naming_both(tmp_path, shape):
    wrapper = WRAPPER.replace("{body}", WRAPPERS[shape])
    broken = load(_cube(tmp_path / "broken", MODEL, files={"project/mlcube.py": wrapper,
                                                           "project/app.py": APP.format(out="--dest")}))
    found = [f for f in broken.findings if f.code == "MC431"]
    assert broken.ok and len(found) == 1 and found[0].severity == "warning", _show(broken)
    f = found[0]
    call_line = wrapper.splitlines()[f.line - 1]
    assert f.file.endswith("project/mlcube.py") and ("exec_python(cmd)" in call_line or "app.py" in call_line), call_line
    assert "--out" in f.message and "project/app.py:3" in f.message, f.message  # the script's parser, at its line
    works = load(_cube(tmp_path / "works", MODEL, files={"project/mlcube.py": wrapper,
                                                         "project/app.py": APP.format(out="--out")}))
    assert "MC431" not in _codes(works), _show(works)


def test_a_script_that_lets_unknown_options_through_is_not_judged(tmp_path):
    app_text = APP.format(out="--dest").replace("parse_args()", "parse_known_args()")
    wrapper = WRAPPER.replace("{body}", WRAPPERS["list"])
    report = load(_cube(tmp_path / "c", MODEL, files={"project/mlcube.py": wrapper, "project/app.py": app_text}))
    assert "MC431" not in _codes(report), _show(report)


@pytest.mark.parametrize("interpreter", [["python3.7"], ["python3.11"], ["/usr/bin/python3"], ["/opt/conda/bin/python"],
                                         ["python", "-u"], ["/usr/bin/env", "python3"]])
def test_every_python_interpreter_gets_the_code_checks(tmp_path, interpreter):
    entry = json.dumps([*interpreter, "/mlcube_project/mlcube.py"])
    dockerfile = {"project/Dockerfile": f"FROM python:3.11-slim\nCOPY . /mlcube_project\nENTRYPOINT {entry}\n"}
    broken = load(_cube(tmp_path / "broken", MODEL, first="predict", params=MODEL_PARAMS, files=dockerfile))
    assert "MC402" in _codes(broken, "error"), _show(broken)  # infer is not a command of the script
    works = load(_cube(tmp_path / "works", MODEL, params=MODEL_PARAMS, files=dockerfile))
    assert works.ok and not [c for c in _codes(works) if c.startswith("MC40")], _show(works)


@pytest.mark.parametrize("text", ["", "\n\n", "# the model goes here\n", '"""The model."""\n\n# TODO\n'])
def test_an_empty_entrypoint_script_is_an_error_naming_the_file(tmp_path, text):
    broken = load(_cube(tmp_path / "broken", MODEL, files={"project/mlcube.py": text}))
    found = [f for f in broken.findings if f.code == "MC432"]
    assert len(found) == 1 and found[0].is_error and found[0].file.endswith("project/mlcube.py"), _show(broken)
    works = load(_cube(tmp_path / "works", MODEL, params=MODEL_PARAMS))
    assert "MC432" not in _codes(works), _show(works)


# 3. Which runtime, on `medcube test` too: the gate judges for the target, and every report names it.

def _bench_with_a_label_medperf_never_supplies(bench: Path) -> Path:
    """The tiny benchmark's model (mlcube.yaml, argparse) with an input `config` of its own (a workspace file): the
    MLCube client mounts it, MedPerf 0.3 stops with KeyError (MC204)."""
    config = bench / "model" / "mlcube" / "mlcube.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "        parameters_file: {type: file, default: parameters.yaml}",
        "        parameters_file: {type: file, default: parameters.yaml}\n        config: {type: file, default: parameters.yaml}"),
        encoding="utf-8")
    script = bench / "model" / "project" / "mlcube.py"
    script.write_text(script.read_text(encoding="utf-8").replace(
        'infer.add_argument("--output_path", required=True)\n',
        'infer.add_argument("--output_path", required=True)\ninfer.add_argument("--config")\n'), encoding="utf-8")
    return bench / "model"


def test_test_target_decides_what_the_gate_stops(bench, tmp_path):
    from validator.chain.options import RunOptions
    from validator.commands.session import GateRefused
    from validator.commands.test import test_command

    model = _bench_with_a_label_medperf_never_supplies(bench)
    with pytest.raises(GateRefused) as refused:
        test_command(bench, cubes={"model": model}, options=RunOptions(runner="local", run_dir=tmp_path / "a"))
    assert [str(f.code) for f in refused.value.reports[0].findings if f.is_error] == ["MC204"]
    assert refused.value.reports[0].target == "medperf"
    result = test_command(bench, cubes={"model": model}, options=RunOptions(runner="local", run_dir=tmp_path / "b"),
                          target="mlcube")
    assert result.ok and result.run.target == "mlcube", [t.status for t in result.run.tasks]


def test_test_target_is_in_every_report(bench, tmp_path):
    from xml.etree import ElementTree as ET

    model = _bench_with_a_label_medperf_never_supplies(bench)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "test", str(bench), "-m", str(model), "--runner", "local", "--no-probes", "--no-config", "--target", "mlcube",
        "--run-dir", str(tmp_path / "run"), "--format", "sarif", "--report", str(out / "r.json"),
        "--junit", str(out / "r.xml"), "--html", str(out / "r.html")])
    assert result.exit_code == 0, result.output
    assert "tiny" in result.output and "for mlcube" in result.output  # the run report's title (text, on stderr)
    sarif = json.loads(result.stdout[result.stdout.index("{"):])
    assert sarif["runs"][0]["properties"]["target"] == "mlcube"
    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["target"] == "mlcube"
    props = {p.get("name"): p.get("value") for p in ET.parse(out / "r.xml").getroot().iter("property")}
    assert props["target"] == "mlcube"
    assert "for mlcube" in (out / "r.html").read_text(encoding="utf-8")
    refused = CliRunner().invoke(app, ["test", str(bench), "-m", str(model), "--runner", "local", "--no-probes",
                                       "--no-config", "--run-dir", str(tmp_path / "run2")])
    assert refused.exit_code == 1 and "MC204" in refused.output and "for medperf" in refused.output


def test_test_target_applies_to_one_submission(bench, tmp_path):
    model = bench / "model"
    result = CliRunner().invoke(app, ["test", str(bench), "-m", str(model), "-m", str(model), "--runner", "local",
                                      "--target", "mlcube"])
    assert result.exit_code == 2 and "--target" in result.output


def test_validate_run_stage_is_judged_and_named_for_the_target(bench, tmp_path):
    model = _bench_with_a_label_medperf_never_supplies(bench)
    result = CliRunner().invoke(app, ["validate", "--runner", "local", "--benchmark", str(bench), "--no-config",
                                      "--target", "mlcube", "--format", "json", str(model)])
    assert result.exit_code == 0, result.output
    cube = json.loads(result.stdout[result.stdout.index("{"):])["cubes"][0]
    assert cube["target"] == "mlcube" and cube["run"]["target"] == "mlcube"
    assert [t["status"] for t in cube["run"]["tasks"]] == ["passed"] * 5


@pytest.mark.parametrize("terms", [2000, 20000])
def test_a_script_nested_past_the_stack_is_no_crash(tmp_path, terms):
    """A command joined from thousands of parts (hostile, or generated code): medcube's reading gives up on it
    quietly instead of a traceback; at 20000 even Python's ast module cannot build the tree."""
    script = "import subprocess\n\ncmd = " + " + ".join(['"a"'] * terms) + "\nsubprocess.run(cmd)\n"
    cube = _cube(tmp_path / "c", MODEL, files={"project/mlcube.py": script})
    result = CliRunner().invoke(app, ["validate", "--static", "--no-config", "--format", "json", str(cube)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    json.loads(result.output)


@pytest.mark.parametrize("cwd, judged", [('cwd="/mlcube_project/sub"', True), ("cwd=os.path.dirname(__file__)", False)])
def test_a_wrapper_call_is_read_from_the_folder_it_runs_in(tmp_path, cwd, judged):
    """`cwd=` names where a relative script is found: a literal folder is followed; a computed one is not guessed
    (a script of that name elsewhere is not the one that runs)."""
    body = f'    sys.exit(subprocess.run(["python3", "app.py", "--names", data_path], {cwd}).returncode)\n'
    wrapper = WRAPPER.replace("{body}", body)
    report = load(_cube(tmp_path / "c", MODEL, files={"project/mlcube.py": wrapper, "project/app.py": APP.format(out="--x"),
                                                       "project/sub/app.py": APP.format(out="--x").replace("--names", "--n")}))
    found = [f for f in report.findings if f.code == "MC431"]
    assert bool(found) is judged, _show(report)
    if judged:
        assert "project/sub/app.py" in found[0].message and "--names" in found[0].message



# A task's own entrypoint in mlcube.yaml: MLCube's docker runner drops the task name (its custom entrypoints take no
# task name as their first argument), and so do the code checks.
def _own_entrypoint(script: str) -> str:
    return MODEL.replace("  infer:\n", f"  infer:\n    entrypoint: python3 /mlcube_project/{script}\n")


ARGPARSE_INFER = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", required=True)
parser.add_argument("--parameters_file", required=True)
parser.add_argument("--output_path", required=True)
{extra}
args = parser.parse_args()
"""


@pytest.mark.parametrize("extra,broken", [("", False), ('parser.add_argument("--weights", required=True)', True)])
def test_a_task_entrypoint_of_its_own_gets_no_task_name(tmp_path, extra, broken):
    """A plain script as the task's entrypoint works: it gets the options alone."""
    cube = _cube(tmp_path / "c", _own_entrypoint("infer.py"), params=MODEL_PARAMS,
                 files={"project/infer.py": ARGPARSE_INFER.format(extra=extra)})
    report = run_static(cube)
    assert "MC402" not in _codes(report), _show(report)
    assert ("MC430" in _codes(report, "error")) is broken, _show(report)  # a required option no parameter passes


def test_a_command_app_as_a_task_entrypoint_of_its_own_misses_its_command(tmp_path):
    """An app of commands (infer, hotfix) as the task's own entrypoint: MLCube passes no command name, so the app
    stops at once ("Missing command")."""
    cube = _cube(tmp_path / "c", _own_entrypoint("mlcube.py"), params=MODEL_PARAMS)
    report = run_static(cube)
    mc402 = [f for f in report.findings if f.code == "MC402"]
    assert mc402 and mc402[0].is_error and "without a command name" in mc402[0].message, _show(report)
