"""manifest.convert: mlcube.yaml -> container_config.yaml, unit level (the CLI side is in test_cli.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from static_cubes import VALID

from validator.manifest.convert import dump, to_container_config
from validator.manifest.load import load_cube
from validator.manifest.roles import TASKS


def convert(name: str, tmp_path: Path | None = None, edit=None) -> dict:
    cube = VALID / name
    if edit is not None:
        shutil.copytree(cube, tmp_path / name)
        cube = tmp_path / name
        f = cube / "mlcube" / "mlcube.yaml"
        f.write_text(edit(f.read_text()))
    return to_container_config(load_cube(cube / "mlcube" / "mlcube.yaml"))


def test_default_mount_paths_and_command():
    cfg = convert("medcube_data_preparator")
    assert cfg["container_type"] == "DockerImage" and cfg["image"] == "example/medcube-prep:0.1.0"
    prepare = cfg["tasks"]["prepare"]
    assert prepare["input_volumes"]["data_path"] == {"mount_path": "/mlcommons/volumes/raw_data", "type": "directory"}
    assert prepare["output_volumes"]["output_labels_path"]["mount_path"] == "/mlcommons/volumes/labels"
    assert prepare["run_args"]["command"].split() == [
        "prepare",
        "--data_path=/mlcommons/volumes/raw_data",
        "--labels_path=/mlcommons/volumes/raw_labels",
        "--parameters_file=/mlcommons/volumes/parameters/parameters_file.yaml",
        "--output_path=/mlcommons/volumes/data",
        "--output_labels_path=/mlcommons/volumes/labels",
    ]
    stats = cfg["tasks"]["statistics"]["output_volumes"]["output_path"]
    assert stats == {"mount_path": TASKS["statistics"].output("output_path").default_mount, "type": "file"}
    assert "output_volumes" not in cfg["tasks"]["sanity_check"]  # no outputs: no empty mapping
    assert "gpus" not in prepare["run_args"]


def test_additional_files_become_one_mount():
    cfg = convert("seed_model_custom_cnn")
    infer = cfg["tasks"]["infer"]
    assert infer["input_volumes"]["additional_files"] == {"mount_path": "/mlcommons/volumes/additional_files",
                                                          "type": "directory"}
    assert "weights" not in infer["input_volumes"]
    assert "--weights=/mlcommons/volumes/additional_files/cnn_weights.pth" in infer["run_args"]["command"].split()
    assert infer["input_volumes"]["parameters_file"]["type"] == "file"


def test_gpus_from_accelerator_count(tmp_path):
    cfg = convert("medcube_model", tmp_path, lambda t: t.replace("accelerator_count: 0", "accelerator_count: 2"))
    assert cfg["tasks"]["infer"]["run_args"]["gpus"] == 2


def test_labels_outside_the_contract_get_a_mount_of_their_own(tmp_path):
    cfg = convert("medcube_metrics", tmp_path, lambda t: t.replace(
        "        parameters_file: parameters.yaml\n",
        "        parameters_file: parameters.yaml\n        thresholds: {type: file, default: thresholds.csv}\n"
        "        extra_dir: extra/\n"))
    vols = cfg["tasks"]["evaluate"]["input_volumes"]
    assert vols["thresholds"] == {"mount_path": "/mlcommons/volumes/thresholds/thresholds", "type": "file"}
    assert vols["extra_dir"] == {"mount_path": "/mlcommons/volumes/extra_dir", "type": "directory"}


def test_dump_round_trips_and_says_where_it_came_from():
    cfg = convert("medcube_data_preparator")
    text = dump(cfg)
    assert text.startswith("# ") and "medcube convert" in text.splitlines()[0]
    assert yaml.safe_load(text) == cfg
    assert list(yaml.safe_load(text)) == ["container_type", "image", "tasks"]  # the order MedPerf's files use
