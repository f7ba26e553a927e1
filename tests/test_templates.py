"""The cookiecutter templates: bake each over a matrix of answers, check what comes out, and run it for real.

Host tests run the baked cubes' tasks as subprocesses (`python3 project/mlcube.py TASK --label=path`) on generated
chest-X-ray-like data; tests marked `docker` build each baked cube FROM the offline base image and run the chain
under the benchmark rules (uid 1000, --network none, read-only inputs), with container_config.yaml's commands and
mount paths, and with the MLCube client when it is installed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from PIL import Image

from validator import __version__, resources
from validator.manifest.roles import TASKS

ROLES = ("data_preparator", "model", "metrics")
TEMPLATES = resources.templates_dir()
TEMPLATE_NAMES = {"data_preparator": "data_preparator", "model": "model", "metrics": "evaluator"}  # MedPerf's names
ROOT = Path(__file__).resolve().parents[1]
CODE_MODULE = {"data_preparator": "prepare.py", "model": "infer.py", "metrics": "metrics.py"}
ROLE_TASKS = {"data_preparator": ("prepare", "sanity_check", "statistics"), "model": ("infer",), "metrics": ("evaluate",)}
DEFAULT_SLUG = {"data_preparator": "data_preparator_mlcube", "model": "model_mlcube", "metrics": "metrics_mlcube"}
# Files identical in every template (cookiecutter cannot share files between templates, so this test keeps them in step).
SHARED = ("hooks/pre_gen_project.py", "{{cookiecutter.project_slug}}/project/Dockerfile",
          "{{cookiecutter.project_slug}}/.github/workflows/medcube.yml",
          "{{cookiecutter.project_slug}}/.pre-commit-config.yaml")
LABELS = ["atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax",
          "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia"]

OPTIONS = {
    "defaults": {},
    "custom": {
        "project_name": "Dr. O'Neil: CNN #2 \"beta\"",
        "project_slug": "chest-cnn_2",
        "description": "Thorax: a test cube; with 'quotes' & {braces}",
        "author_name": "Zoë Ångström",
        "image_name": "localhost:5000/team/chest-cnn:0.1.0",
        "base_image": "registry.example.org/python:3.11-slim",
        "medcube_github": "my-org/medcube.fork",
        "medcube_rev": "0123abc",
    },
    "gpu": {"accelerator_count": "2", "image_name": "myorg/cube"},
}


def expected_tree(role: str) -> set[str]:
    files = {
        "README.md", "container_config.yaml", ".pre-commit-config.yaml", ".github/workflows/medcube.yml",
        "mlcube/mlcube.yaml", "mlcube/workspace/parameters.yaml",
        "project/Dockerfile", "project/mlcube.py", "project/requirements.txt", f"project/{CODE_MODULE[role]}",
    }
    if role == "model":
        files.add("mlcube/workspace/additional_files/weights.yaml")
    return files


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def bake(role: str, output_dir: Path, **answers) -> Path:
    return Path(cookiecutter(str(TEMPLATES / TEMPLATE_NAMES[role]), no_input=True, extra_context=answers, output_dir=str(output_dir)))


@pytest.fixture(params=[(r, o) for r in ROLES for o in OPTIONS], ids=lambda p: f"{p[0]}-{p[1]}")
def baked(request, cookies):
    """(role, answers, project folder) for every template and set of answers, baked with pytest-cookies."""
    role, option = request.param
    answers = OPTIONS[option]
    result = cookies.bake(extra_context=answers, template=str(TEMPLATES / TEMPLATE_NAMES[role]))
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return role, {**result.context, **answers}, result.project_path


# ------------------------------------------------------------------------------------------- what is baked


def test_tree_is_exactly_the_documented_layout(baked):
    role, answers, project = baked
    assert project.name == answers.get("project_slug", DEFAULT_SLUG[role])
    assert files_of(project) == expected_tree(role)


def test_default_answers_are_medperfs(cookies):
    for role, name in (("data_preparator", "Data Preparator MLCube"), ("model", "Model MLCube"), ("metrics", "Metrics MLCube")):
        result = cookies.bake(template=str(TEMPLATES / TEMPLATE_NAMES[role]))
        assert result.context["project_name"] == name
        assert result.project_path.name == DEFAULT_SLUG[role]
        assert (result.context["author_name"], result.context["accelerator_count"]) == ("John Smith", "0")
        # MedPerf's default is docker/image:latest for every role; three cubes made with it overwrite each other's
        # image, so each role's default is its own, from the project slug.
        assert result.context["image_name"] == f"local/{DEFAULT_SLUG[role].replace('_', '-')}:0.1.0"
        assert result.context["base_image"] == "python:3.11-slim"


def test_every_variable_used_is_defined():
    """Cookiecutter renders with StrictUndefined; this also covers branches a given bake does not take."""
    for role in ROLES:
        defined = set(json.loads((TEMPLATES / TEMPLATE_NAMES[role] / "cookiecutter.json").read_text()))
        for path in (TEMPLATES / TEMPLATE_NAMES[role]).rglob("*"):
            if path.is_file():
                blocks = re.findall(r"\{[{%].*?[%}]\}", path.as_posix() + path.read_text(), re.S)
                used = {name for block in blocks for name in re.findall(r"cookiecutter\.(\w+)", block)}
                assert used <= defined, f"{path}: undefined {used - defined}"


def test_shared_files_are_identical_in_every_template():
    for rel in SHARED:
        texts = {role: (TEMPLATES / TEMPLATE_NAMES[role] / rel).read_text() for role in ROLES}
        assert len(set(texts.values())) == 1, f"{rel} differs between templates"


def test_generated_python_compiles_and_yaml_parses(baked):
    _, _, project = baked
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    for path in [*project.rglob("*.yaml"), *project.rglob("*.yml")]:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path
    assert not re.search(r"\{\{|\{%|\}\}", "".join(p.read_text() for p in project.rglob("*") if p.is_file()))


def mlcube_volumes(task: dict) -> tuple[set, set]:
    params = task["parameters"]
    return set(params.get("inputs", {})), set(params.get("outputs", {}))


def test_mlcube_yaml_and_container_config_agree(baked):
    role, answers, project = baked
    mlcube = yaml.safe_load((project / "mlcube/mlcube.yaml").read_text())
    config = yaml.safe_load((project / "container_config.yaml").read_text())
    gpus = int(answers.get("accelerator_count", "0"))

    assert mlcube["name"] == answers["project_name"]
    assert mlcube["description"] == answers["description"]
    assert mlcube["authors"] == [{"name": answers["author_name"]}]
    assert mlcube["docker"]["image"] == config["image"] == answers["image_name"]
    assert (project / "mlcube" / mlcube["docker"]["build_context"] / mlcube["docker"]["build_file"]).is_file()
    assert mlcube["platform"]["accelerator_count"] == gpus
    assert config["container_type"] == "DockerImage"
    assert tuple(mlcube["tasks"]) == tuple(config["tasks"]) == ROLE_TASKS[role]

    for name, task in config["tasks"].items():
        spec = TASKS[name]
        inputs, outputs = set(task.get("input_volumes", {})), set(task.get("output_volumes", {}))
        assert (inputs, outputs) == mlcube_volumes(mlcube["tasks"][name]), name
        # Only the contract's labels, every required one, at the contract's default mount paths and types.
        assert {v.label for v in spec.inputs if v.required} <= inputs <= {v.label for v in spec.inputs}
        assert {v.label for v in spec.outputs if v.required} <= outputs <= {v.label for v in spec.outputs}
        volumes = {**task.get("input_volumes", {}), **task.get("output_volumes", {})}
        for label, volume in volumes.items():
            contract = spec.input(label) or spec.output(label)
            assert (volume["mount_path"], volume["type"]) == (contract.default_mount, contract.type), (name, label)
        # The command names the task and passes every volume at its mount path.
        argv = shlex.split(task["run_args"]["command"])
        assert argv[0] == name
        assert sorted(argv[1:]) == sorted(f"--{label}={v['mount_path']}" for label, v in volumes.items())
        assert task["run_args"].get("gpus") == (gpus or None)
    assert ("gpu_args" in mlcube["docker"]) == (gpus > 0)


def test_mlcube_py_options_are_the_volume_labels(baked):
    role, _, project = baked
    probe = ("import json, sys, typer; sys.path.insert(0, 'project'); import mlcube; "
             "group = typer.main.get_command(mlcube.app); "
             "print(json.dumps({n: sorted(o for p in c.params for o in p.opts if o != '--help') for n, c in group.commands.items()}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True).stdout
    mlcube = yaml.safe_load((project / "mlcube/mlcube.yaml").read_text())
    expected = {name: sorted(f"--{label}" for side in mlcube_volumes(task) for label in side)
                for name, task in mlcube["tasks"].items()}
    assert json.loads(out) == expected


def test_dockerfile_follows_the_layout(baked):
    _, answers, project = baked
    lines = [line for line in (project / "project/Dockerfile").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == f"ARG BASE_IMAGE={answers['base_image']}"
    assert lines[1] == "FROM ${BASE_IMAGE}"
    install = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    assert lines.index("COPY requirements.txt /mlcube_project/requirements.txt") < install < lines.index("COPY . /mlcube_project")
    assert lines[-1] == 'ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]'
    assert not any(line.startswith("USER") for line in lines)  # any uid the benchmark picks


def test_ci_workflow_and_pre_commit_hook_use_medcubes_action_and_hook(baked):
    """The workflow runs the repository's own action.yml and the pre-commit config its .pre-commit-hooks.yaml, both
    from the answered GitHub repository and revision (no package index entry)."""
    role, answers, project = baked
    repo, rev = answers.get("medcube_github", "mlcommons/medcube"), answers.get("medcube_rev", "v" + __version__)
    workflow = yaml.safe_load((project / ".github/workflows/medcube.yml").read_text())
    # Least permissions: none for the workflow, the job's own (read the code, upload SARIF); no token kept by the
    # checkout for the cube's build to find in .git/config.
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["validate"]["permissions"] == {"contents": "read", "security-events": "write"}
    steps = workflow["jobs"]["validate"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"] == {"persist-credentials": False}
    action = next(s for s in steps if s.get("uses", "").startswith(repo + "@"))
    assert action["uses"] == f"{repo}@{rev}" and action["with"] == {"path": ".", "test-role": role}
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert set(action["with"]) <= set(inputs)
    assert not any("pip install medcube" in s.get("run", "") for s in steps)
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks == [{"repo": f"https://github.com/{repo}", "rev": rev, "hooks": [{"id": "medcube-validate"}]}]
    assert "medcube-validate" in {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_default_medcube_revision_is_this_version():
    for role in ROLES:
        assert json.loads((TEMPLATES / TEMPLATE_NAMES[role] / "cookiecutter.json").read_text())["medcube_rev"] == "v" + __version__


def test_requirements_are_satisfied_by_debian_bookworm():
    bookworm = {"numpy": (1, 24, 2), "pillow": (9, 4, 0), "pydicom": (2, 3, 1), "pyyaml": (6, 0), "typer": (0, 7, 0)}
    for role in ROLES:
        text = (TEMPLATES / TEMPLATE_NAMES[role] / "{{cookiecutter.project_slug}}/project/requirements.txt").read_text()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, bound = line.split(">=")
                assert tuple(map(int, bound.split("."))) <= bookworm[name.lower()], line


# ------------------------------------------------------------------------------------------- hooks


BAD_ANSWERS = [
    ("project_slug", "my cube", "a folder name of letters, digits"),
    ("project_slug", "1st_cube", "a folder name of letters, digits"),
    ("project_slug", "../escape", "a folder name of letters, digits"),
    ("image_name", "Docker/Image:latest", "a lowercase image reference"),
    ("image_name", "myorg/cube:", "a lowercase image reference"),
    ("image_name", "myorg//cube", "a lowercase image reference"),
    ("image_name", "my org/cube", "a lowercase image reference"),
    ("base_image", "python:3.11 slim", "an image reference"),
    ("accelerator_count", "-1", "a non-negative integer"),
    ("accelerator_count", "one", "a non-negative integer"),
    ("accelerator_count", "1.5", "a non-negative integer"),
    ("medcube_github", "https://github.com/mlcommons/medcube", "a GitHub repository owner/name"),
    ("medcube_github", "medcube", "a GitHub repository owner/name"),
    ("medcube_rev", "v1 --evil", "a git tag, branch or commit"),
    ("medcube_rev", "-rf", "a git tag, branch or commit"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field,value,expected", BAD_ANSWERS, ids=[f"{f}={v}" for f, v, _ in BAD_ANSWERS])
def test_hook_rejects_bad_answer_and_leaves_nothing(role, field, value, expected, tmp_path, capfd):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        bake(role, out, **{field: value})
    err = capfd.readouterr().err
    assert f"error: {field} {value!r} is not valid: expected {expected}" in err
    assert "(e.g. " in err
    assert list(out.iterdir()) == [] and list(tmp_path.iterdir()) == [out]


def test_hook_reports_every_bad_answer_at_once(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        bake("model", tmp_path, project_slug="a b", image_name="A", accelerator_count="x")
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert [e.split()[1] for e in errors] == ["project_slug", "image_name", "accelerator_count"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("image", ["cube", "myorg/cube", "myorg/cube:0.1.0-rc_1", "ghcr.io/my-org/sub/cube:v2",
                                   "localhost:5000/cube:latest", "myorg/cube@sha256:" + "a" * 64])
def test_hook_accepts_valid_image_references(image, tmp_path):
    assert bake("metrics", tmp_path, image_name=image).is_dir()


# ------------------------------------------------------------------------------------------- the chain, on the host


def make_raw_data(root: Path, count: int = 12) -> Path:
    """Chest-X-ray-like raw data in MedPerf's layout: images/<id>.png (grayscale, varied sizes), labels/labels.csv."""
    rng = np.random.default_rng(7)
    findings = ["effusion", "No Finding", "Effusion|Mass", "cardiomegaly", "Pleural_Thickening", "infiltration",
                "nodule", "effusion", "atelectasis|infiltration", "hernia", "No Finding", "pneumonia"]
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    with open(root / "labels" / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Image ID", "Label"])
        for i in range(count):
            size = (64 + 8 * (i % 3), 64)
            pixels = rng.integers(20 * (i % 5), 120 + 20 * (i % 5), size=size[::-1], dtype=np.uint8)
            Image.fromarray(pixels, mode="L").save(root / "images" / f"{i:08d}_000.png")
            writer.writerow([f"{i:08d}_000", findings[i % len(findings)]])
    return root


def task(project: Path, name: str, **volumes) -> subprocess.CompletedProcess:
    """Run one task of a baked cube on the host, as MedPerf's local runs do: `python3 mlcube.py TASK --label=path`."""
    args = [f"--{label}={path}" for label, path in volumes.items()]
    return subprocess.run([sys.executable, str(project / "project" / "mlcube.py"), name, *args],
                          capture_output=True, text=True, timeout=120)


def digest(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    root = tmp_path_factory.mktemp("trio")
    return {role: bake(role, root) for role in ROLES}


def run_chain(trio: dict, raw: Path, out: Path) -> dict:
    prep, model, metrics = trio["data_preparator"], trio["model"], trio["metrics"]
    params = {role: cube / "mlcube/workspace/parameters.yaml" for role, cube in trio.items()}
    prepared = dict(data_path=out / "data", labels_path=out / "labels", parameters_file=params["data_preparator"])
    results = {
        "prepare": task(prep, "prepare", data_path=raw / "images", labels_path=raw / "labels",
                        parameters_file=params["data_preparator"], output_path=out / "data",
                        output_labels_path=out / "labels"),
        "sanity_check": task(prep, "sanity_check", **prepared),
        "statistics": task(prep, "statistics", **prepared, output_path=out / "statistics" / "statistics.yaml"),
        "infer": task(model, "infer", data_path=out / "data", parameters_file=params["model"],
                      additional_files=model / "mlcube/workspace/additional_files", output_path=out / "predictions"),
        "evaluate": task(metrics, "evaluate", predictions=out / "predictions", labels=out / "labels",
                         parameters_file=params["metrics"], output_path=out / "results" / "results.yaml"),
    }
    return results


def check_chain_outputs(out: Path, count: int) -> None:
    records = sorted(p.stem for p in (out / "data").glob("*.npy"))
    assert len(records) == count
    assert records == sorted(p.stem for p in (out / "labels").glob("*.npy"))
    for record in records:
        image, label = np.load(out / "data" / f"{record}.npy"), np.load(out / "labels" / f"{record}.npy")
        assert (image.shape, image.dtype) == ((28, 28, 1), np.uint8)
        assert label.shape == (14,) and set(np.unique(label)) <= {0, 1}
    stats = yaml.safe_load((out / "statistics/statistics.yaml").read_text())
    assert stats["num_cases"] == count and set(stats["labels_count"]) == set(LABELS)
    predictions = json.loads((out / "predictions/predictions.json").read_text())
    assert sorted(predictions) == records
    assert all(len(p) == 14 and all(0.0 <= x <= 1.0 for x in p) for p in predictions.values())
    results = yaml.safe_load((out / "results/results.yaml").read_text())
    assert 0.0 <= results["Accuracy"] <= 1.0 and 0.0 <= results["AUC"] <= 1.0


@pytest.fixture(scope="module")
def chain(trio, tmp_path_factory):
    """The chain run once on 12 records: (raw data folder, its digest before the run, output folder, task results)."""
    root = tmp_path_factory.mktemp("chain")
    raw = make_raw_data(root / "raw")
    before = digest(raw)
    return raw, before, root / "out", run_chain(trio, raw, root / "out")


def copy_of(out: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(out, tmp_path / "out"))


def test_trio_runs_the_chest_xray_chain_on_the_host(chain):
    raw, before, out, results = chain
    for name, proc in results.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
    check_chain_outputs(out, 12)
    assert digest(raw) == before  # inputs untouched
    # The example logic really encodes the findings, NIH-style rows included.
    label = np.load(out / "labels/00000002_000.npy")  # "Effusion|Mass"
    assert [LABELS[i] for i in np.flatnonzero(label)] == ["effusion", "mass"]
    assert not np.load(out / "labels/00000001_000.npy").any()  # "No Finding"
    stats = yaml.safe_load((out / "statistics/statistics.yaml").read_text())
    assert stats["labels_count"]["effusion"] == 3 and stats["labels_count"]["pleural"] == 1


def test_a_rerun_overwrites_outputs(trio, chain, tmp_path):
    raw, _, out, _ = chain
    out = copy_of(out, tmp_path)
    results = run_chain(trio, raw, out)
    assert all(p.returncode == 0 for p in results.values()), {n: p.stderr for n, p in results.items()}
    check_chain_outputs(out, 12)


def test_sanity_check_names_the_bad_record(trio, chain, tmp_path):
    out = copy_of(chain[2], tmp_path)
    prep, params = trio["data_preparator"], trio["data_preparator"] / "mlcube/workspace/parameters.yaml"
    np.save(out / "data" / "00000002_000.npy", np.zeros((32, 32, 1), dtype=np.uint8))
    for name, extra in (("sanity_check", {}), ("statistics", {"output_path": out / "s.yaml"})):
        proc = task(prep, name, data_path=out / "data", labels_path=out / "labels", parameters_file=params, **extra)
        assert proc.returncode == 1
        assert proc.stderr.strip() == f"{name} failed: record 00000002_000: image is uint8 (32, 32, 1), expected uint8 (28, 28, 1)"
    (out / "labels" / "00000003_000.npy").unlink()
    proc = task(prep, "sanity_check", data_path=out / "data", labels_path=out / "labels", parameters_file=params)
    assert (proc.returncode, proc.stderr.strip()) == (1, "sanity_check failed: record 00000003_000: has no label")


def test_evaluate_names_a_record_without_prediction(trio, chain, tmp_path):
    out = copy_of(chain[2], tmp_path)
    predictions = json.loads((out / "predictions/predictions.json").read_text())
    del predictions["00000004_000"]
    (out / "predictions/predictions.json").write_text(json.dumps(predictions))
    proc = task(trio["metrics"], "evaluate", predictions=out / "predictions", labels=out / "labels",
                parameters_file=trio["metrics"] / "mlcube/workspace/parameters.yaml", output_path=out / "r.yaml")
    assert proc.returncode == 1 and "record 00000004_000: no prediction" in proc.stderr


def test_prepare_names_a_record_with_an_unknown_label_or_no_image(trio, tmp_path):
    prep, params = trio["data_preparator"], trio["data_preparator"] / "mlcube/workspace/parameters.yaml"
    raw = make_raw_data(tmp_path / "raw", count=3)
    csv_file = raw / "labels" / "labels.csv"
    csv_file.write_text(csv_file.read_text().replace("Effusion|Mass", "Effusion|Dragon"))
    proc = task(prep, "prepare", data_path=raw / "images", labels_path=raw / "labels", parameters_file=params,
                output_path=tmp_path / "d", output_labels_path=tmp_path / "l")
    assert proc.returncode == 1 and "record 00000002_000: unknown label 'Dragon'" in proc.stderr
    (raw / "images" / "00000002_000.png").unlink()
    proc = task(prep, "prepare", data_path=raw / "images", labels_path=raw / "labels", parameters_file=params,
                output_path=tmp_path / "d", output_labels_path=tmp_path / "l")
    assert proc.returncode == 1 and "record 00000002_000: image 00000002_000.png not found" in proc.stderr


def test_metrics_are_the_benchmark_definitions(trio, tmp_path):
    """Accuracy = mean per-label accuracy at the threshold; AUC = mean ROC AUC over labels with both classes."""
    labels, predictions = tmp_path / "labels", tmp_path / "predictions"
    labels.mkdir(), predictions.mkdir()
    truth = np.zeros((4, 14), dtype=np.uint8)
    truth[:2, 0] = 1  # label 0: records 0, 1 positive
    truth[1, 1] = 1   # label 1: record 1 positive
    scores = np.full((4, 14), 0.1)
    scores[:, 0] = [0.9, 0.4, 0.3, 0.2]  # both positives above both negatives: AUC 1
    scores[:, 1] = [0.6, 0.2, 0.1, 0.1]  # the positive (0.2) beats 2 of the 3 negatives: AUC 2/3
    for i in range(4):
        np.save(labels / f"r{i}.npy", truth[i])
    (predictions / "predictions.json").write_text(json.dumps({f"r{i}": scores[i].tolist() for i in range(4)}))
    proc = task(trio["metrics"], "evaluate", predictions=predictions, labels=labels,
                parameters_file=trio["metrics"] / "mlcube/workspace/parameters.yaml", output_path=tmp_path / "r.yaml")
    assert proc.returncode == 0, proc.stderr
    results = yaml.safe_load((tmp_path / "r.yaml").read_text())
    expected_accuracy = ((scores > 0.5) == (truth == 1)).mean()  # labels 2..13 have one class: no AUC
    assert results == {"Accuracy": round(float(expected_accuracy), 6), "AUC": round((1.0 + 2 / 3) / 2, 6), "num_cases": 4}


def write_benchmark(root: Path, trio: dict, count: int = 12) -> Path:
    """A benchmark profile naming the baked trio, with chest-X-ray-like demo data (MedPerf layout + paths.yaml)."""
    demo = make_raw_data(root / "demo", count=count)
    (demo / "paths.yaml").write_text("data_path: images\nlabels_path: labels\n")
    profile = {
        "name": "templates", "description": "the three baked templates",
        **{role: str(path) for role, path in trio.items()},
        "demo_data": {"path": "demo"},
        "contracts": {
            "statistics": {"required_keys": ["num_cases", "labels_count"]},
            "predictions": {"file": "predictions.json", "records": "*.npy", "length": 14, "range": [0, 1]},
            "results": {"required_keys": ["Accuracy", "AUC"]},
        },
    }
    (root / "benchmark.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return root / "benchmark.yaml"


def test_trio_passes_medcube_test_with_the_local_runner(trio, tmp_path):
    from validator.chain.options import RunOptions
    from validator.cli import run_test as medcube_test
    from validator.commands.common import ReportFiles

    benchmark = write_benchmark(tmp_path, trio)
    junit = tmp_path / "junit.xml"
    assert medcube_test(benchmark, files=ReportFiles(junit=junit),
                        options=RunOptions(runner="local", run_dir=tmp_path / "run")) == 0
    assert 'tests="5" failures="0" errors="0"' in junit.read_text()


# ------------------------------------------------------------------------------------------- input_format: DICOM


def generated_raw(root: Path, fmt: str, count: int = 10, seed: int = 5) -> Path:
    """The chest X-ray example's generator: the same images and labels.csv as PNG, DICOM or a mix."""
    sys.path.insert(0, str(resources.example_dir("chestxray") / "tools"))
    import generate_data

    generate_data.generate(root, count, seed=seed, size=64, workers=1, fmt=fmt, dicom_share=0.5)
    return root


@pytest.fixture(scope="module")
def dicom_preps(tmp_path_factory):
    """The data preparator baked with each input_format answer."""
    root = tmp_path_factory.mktemp("dicom_preps")
    return {fmt: bake("data_preparator", root, project_slug=f"prep_{fmt}", input_format=fmt)
            for fmt in ("png", "dicom", "both")}


def prepare_with(prep: Path, raw: Path, out: Path) -> subprocess.CompletedProcess:
    return task(prep, "prepare", data_path=raw / "images", labels_path=raw / "labels",
                parameters_file=prep / "mlcube/workspace/parameters.yaml", output_path=out / "data",
                output_labels_path=out / "labels")


def test_input_format_answer_sets_parameters_and_requirements(dicom_preps):
    for fmt, prep in dicom_preps.items():
        assert yaml.safe_load((prep / "mlcube/workspace/parameters.yaml").read_text())["input_format"] == fmt
        requirements = (prep / "project/requirements.txt").read_text()
        assert ("pydicom>=" in requirements) == (fmt != "png"), fmt
    assert json.loads((TEMPLATES / "data_preparator/cookiecutter.json").read_text())["input_format"][0] == "png"


def test_input_format_rejects_an_unknown_answer(tmp_path):
    from validator.create import create
    from validator.errors import UserError

    with pytest.raises(UserError, match="choices are"):
        create("data_preparator", tmp_path / "out", no_input=True, extra_context={"input_format": "jpeg"})
    assert not (tmp_path / "out").exists()


def test_dicom_and_both_prepare_the_same_records_as_png(dicom_preps, tmp_path):
    """Same seed in PNG, DICOM and mixed form: the baked preparators write the very same prepared data."""
    pytest.importorskip("pydicom")
    raws = {fmt: generated_raw(tmp_path / f"raw_{fmt}", fmt) for fmt in ("png", "dicom", "mixed")}
    outputs = {}
    for answer, fmt in (("png", "png"), ("dicom", "dicom"), ("both", "mixed"), ("both", "png")):
        proc = prepare_with(dicom_preps[answer], raws[fmt], tmp_path / f"out_{answer}_{fmt}")
        assert proc.returncode == 0, f"{answer} on {fmt}: {proc.stderr}"
        outputs[(answer, fmt)] = digest(tmp_path / f"out_{answer}_{fmt}")
    assert len(outputs[("png", "png")]) == 20
    assert len(set(map(lambda d: tuple(sorted(d.items())), outputs.values()))) == 1
    prep = dicom_preps["dicom"]
    prepared = dict(data_path=tmp_path / "out_dicom_dicom/data", labels_path=tmp_path / "out_dicom_dicom/labels",
                    parameters_file=prep / "mlcube/workspace/parameters.yaml")
    assert task(prep, "sanity_check", **prepared).returncode == 0
    assert task(prep, "statistics", **prepared, output_path=tmp_path / "s.yaml").returncode == 0


def test_input_format_names_the_record_it_cannot_use(dicom_preps, tmp_path):
    pytest.importorskip("pydicom")
    raw = generated_raw(tmp_path / "raw", "mixed")
    dcm = sorted((raw / "images").glob("*.dcm"))[0]
    proc = prepare_with(dicom_preps["png"], raw, tmp_path / "o1")  # a .dcm-only record for a png preparator
    assert proc.returncode == 1 and f"record {dcm.stem}: image {dcm.stem}.png not found" in proc.stderr
    Image.fromarray(np.full((8, 8), 9, dtype=np.uint8)).save(dcm.with_suffix(".png"))
    proc = prepare_with(dicom_preps["both"], raw, tmp_path / "o2")
    assert proc.returncode == 1 and f"record {dcm.stem}: both {dcm.stem}.png and {dcm.stem}.dcm" in proc.stderr
    dcm.with_suffix(".png").unlink()
    dcm.write_bytes(dcm.read_bytes()[:200])  # truncated
    proc = prepare_with(dicom_preps["both"], raw, tmp_path / "o4")
    assert proc.returncode == 1 and f"record {dcm.stem}: cannot read {dcm.name}" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_dicom_preparator_builds_and_prepares_dicom_in_docker(dicom_preps, docker_client, base_image, tmp_path):
    """The `dicom` answer builds FROM the offline base (pydicom from Debian) and prepares DICOM data in a container
    exactly as on the host."""
    pytest.importorskip("pydicom")
    import docker

    prep = Path(shutil.copytree(dicom_preps["dicom"], tmp_path / "prep"))
    tag = f"medcube-test/data-preparator-dicom:{uuid.uuid4().hex[:12]}"
    default_image = yaml.safe_load((prep / "container_config.yaml").read_text())["image"]
    for config_file in (prep / "container_config.yaml", prep / "mlcube/mlcube.yaml"):
        config_file.write_text(config_file.read_text().replace(default_image, tag))
    build(docker_client, prep, tag, base_image)
    try:
        raw = generated_raw(tmp_path / "raw", "dicom")
        for p in [raw, *raw.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        status, logs = run_container_config_task(docker_client, prep, "prepare", {
            "data_path": raw / "images", "labels_path": raw / "labels",
            "parameters_file": prep / "mlcube/workspace/parameters.yaml",
            "output_path": tmp_path / "out/data", "output_labels_path": tmp_path / "out/labels"})
        assert status == 0, logs
        assert prepare_with(prep, raw, tmp_path / "host").returncode == 0
        assert digest(tmp_path / "out") == digest(tmp_path / "host")
    finally:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass


# ------------------------------------------------------------------------------------------- medcube validate --static


def test_baked_cubes_pass_static_validation(baked):
    checks = pytest.importorskip("validator.checks")
    if not hasattr(checks, "run_static"):
        pytest.skip("static validator not yet available")
    _, _, project = baked
    report = checks.run_static(project)
    assert report.ok, [f"{f.code} {f.file}:{f.line} {f.message}" for f in report.findings]
    assert report.findings == [], [f"{f.code} {f.message}" for f in report.findings]  # not even a warning


# ------------------------------------------------------------------------------------------- in Docker


def build(client, project: Path, tag: str, base_image: str) -> None:
    import docker

    try:
        client.images.build(path=str(project / "project"), tag=tag, buildargs={"BASE_IMAGE": base_image},
                             rm=True, forcerm=True, network_mode="none")
    except docker.errors.BuildError as error:
        log = "".join(chunk.get("stream", "") for chunk in error.build_log)
        pytest.fail(f"building {project.name} failed: {error}\n{log[-3000:]}")


def run_container_config_task(client, project: Path, name: str, host_paths: dict) -> tuple[int, str]:
    """Run a task the way MedPerf runs container_config.yaml: each volume at its mount_path (inputs read-only),
    `command` passed to the image ENTRYPOINT, uid 1000, no network, read-only root filesystem, writable /tmp."""
    config = yaml.safe_load((project / "container_config.yaml").read_text())
    spec = config["tasks"][name]
    volumes = {}
    for side, mode in (("input_volumes", "ro"), ("output_volumes", "rw")):
        for label, volume in spec.get(side, {}).items():
            host, mount = Path(host_paths[label]), volume["mount_path"]
            if volume["type"] == "file" and mode == "rw":  # mount an output file's folder
                host, mount = host.parent, str(Path(mount).parent)
            if mode == "rw":
                host.mkdir(parents=True, exist_ok=True)
                host.chmod(0o777)
            volumes[str(host)] = {"bind": mount, "mode": mode}
    container = client.containers.run(config["image"], command=shlex.split(spec["run_args"]["command"]),
                                      user="1000:1000", network_mode="none", read_only=True, tmpfs={"/tmp": ""},
                                      volumes=volumes, detach=True)
    try:
        status = container.wait(timeout=120)["StatusCode"]
        return status, container.logs().decode()
    finally:
        container.remove(force=True)


def remove_images(docker_client, images, keep=()) -> None:
    """Remove the images a test built (not those in keep), and the containers the MLCube client left from them (it
    runs its containers without --rm)."""
    import docker

    for image in images:
        for container in docker_client.containers.list(all=True, filters={"ancestor": image}):
            container.remove(force=True)
        if image in keep:
            continue
        try:
            docker_client.images.remove(image, force=True)
        except docker.errors.APIError:
            pass


@pytest.fixture(scope="module")
def docker_trio(trio, docker_client, base_image):
    """The trio, each built FROM the offline base image under a unique tag (removed afterwards)."""

    tags = {}
    for role, project in trio.items():
        tag = f"medcube-test/{role.replace('_', '-')}:{uuid.uuid4().hex[:12]}"
        default = yaml.safe_load((project / "container_config.yaml").read_text())["image"]
        for config_file in (project / "container_config.yaml", project / "mlcube/mlcube.yaml"):
            config_file.write_text(config_file.read_text().replace(default, tag))
        build(docker_client, project, tag, base_image)
        tags[role] = tag
    yield trio, tags
    remove_images(docker_client, tags.values())


@pytest.mark.docker
@pytest.mark.slow
def test_trio_builds_and_runs_the_chain_in_docker_under_benchmark_rules(docker_trio, docker_client, tmp_path):
    trio, _ = docker_trio
    raw = make_raw_data(tmp_path / "raw")
    for p in [raw, *raw.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    before = digest(raw)
    out = tmp_path / "out"
    params = {role: cube / "mlcube/workspace/parameters.yaml" for role, cube in trio.items()}
    prepared = {"data_path": out / "data", "labels_path": out / "labels", "parameters_file": params["data_preparator"]}
    steps = [
        ("data_preparator", "prepare", {"data_path": raw / "images", "labels_path": raw / "labels",
                                        "parameters_file": params["data_preparator"], "output_path": out / "data",
                                        "output_labels_path": out / "labels"}),
        ("data_preparator", "sanity_check", prepared),
        ("data_preparator", "statistics", {**prepared, "output_path": out / "statistics/statistics.yaml"}),
        ("model", "infer", {"data_path": out / "data", "parameters_file": params["model"],
                            "additional_files": trio["model"] / "mlcube/workspace/additional_files",
                            "output_path": out / "predictions"}),
        ("metrics", "evaluate", {"predictions": out / "predictions", "labels": out / "labels",
                                 "parameters_file": params["metrics"], "output_path": out / "results/results.yaml"}),
    ]
    for role, name, paths in steps:
        status, logs = run_container_config_task(docker_client, trio[role], name, paths)
        assert status == 0, f"{role} {name} exited {status}:\n{logs}"
    check_chain_outputs(out, 12)
    assert digest(raw) == before
    assert (out / "predictions/predictions.json").stat().st_uid == 1000  # written as the unprivileged user


@pytest.mark.docker
@pytest.mark.slow
def test_sanity_check_fails_in_docker_naming_the_record(docker_trio, docker_client, tmp_path):
    trio, _ = docker_trio
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir(), labels.mkdir()
    np.save(data / "a.npy", np.zeros((28, 28, 1), dtype=np.uint8))
    np.save(labels / "a.npy", np.full(14, 2, dtype=np.uint8))
    params = trio["data_preparator"] / "mlcube/workspace/parameters.yaml"
    status, logs = run_container_config_task(docker_client, trio["data_preparator"], "sanity_check",
                                             {"data_path": data, "labels_path": labels, "parameters_file": params})
    assert status == 1 and "sanity_check failed: record a: label must be 14 values of 0 or 1" in logs
    assert "Traceback" not in logs


@pytest.mark.docker
@pytest.mark.slow
def test_trio_passes_medcube_test_in_docker(docker_trio, base_image, tmp_path):
    from validator.chain.options import RunOptions
    from validator.cli import run_test as medcube_test
    from validator.commands.common import ReportFiles

    trio, _ = docker_trio
    benchmark = write_benchmark(tmp_path, trio)
    report = tmp_path / "report.json"
    assert medcube_test(benchmark, files=ReportFiles(json=report),
                        options=RunOptions(runner="docker", base_image=base_image, run_dir=tmp_path / "run")) == 0
    results = json.loads(report.read_text())
    assert results["runner"] == "docker" and set(results["results"]) >= {"Accuracy", "AUC"}


def mlcube_cli() -> list[str]:
    """The MLCube client: $MEDCUBE_MLCUBE (scripts/test.sh installs it into its own venv), else `mlcube` on PATH."""
    exe = os.environ.get("MEDCUBE_MLCUBE") or shutil.which("mlcube")
    if exe and Path(exe).exists():
        return [exe]
    message = "the MLCube client (mlcube==0.0.9, mlcube-docker==0.0.9) is not installed; bash scripts/test.sh installs it"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def run_chain_under_mlcube(trio: dict, tmp_path: Path) -> None:
    """prepare -> sanity_check -> statistics -> infer -> evaluate of a trio of cubes, each task run by the MLCube
    client on its mlcube.yaml, on 6 generated records; then the chain's outputs are checked."""
    cli = mlcube_cli()
    raw = make_raw_data(tmp_path / "raw", count=6)
    out = tmp_path / "out"
    steps = [
        ("data_preparator", "prepare", {"data_path": raw / "images", "labels_path": raw / "labels",
                                        "output_path": out / "data", "output_labels_path": out / "labels"}),
        ("data_preparator", "sanity_check", {"data_path": out / "data", "labels_path": out / "labels"}),
        ("data_preparator", "statistics", {"data_path": out / "data", "labels_path": out / "labels",
                                           "output_path": out / "statistics/statistics.yaml"}),
        ("model", "infer", {"data_path": out / "data", "output_path": out / "predictions"}),
        ("metrics", "evaluate", {"predictions": out / "predictions", "labels": out / "labels",
                                 "output_path": out / "results/results.yaml"}),
    ]
    for role, name, paths in steps:
        args = [f"{label}={path}" for label, path in paths.items()]
        proc = subprocess.run([*cli, "run", f"--mlcube={trio[role] / 'mlcube'}", f"--task={name}", "--platform=docker",
                               *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, f"mlcube run {role} {name}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    check_chain_outputs(out, 6)


@pytest.mark.docker
@pytest.mark.slow
def test_trio_runs_under_the_mlcube_client(docker_trio, tmp_path):
    """mlcube.yaml as the MLCube client runs it: mounts at /mlcube_io{N}, `TASK --label=...` after the ENTRYPOINT."""
    run_chain_under_mlcube(docker_trio[0], tmp_path)
