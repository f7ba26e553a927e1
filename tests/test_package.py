"""Submission packaging: deterministic artifacts, verification, and the demo tarball (real files, real tarballs)."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from validator.archive import check_tarball, safe_extract, write_deterministic
from validator.checks import display_path
from validator.cli import app
from validator.errors import UserError
from validator.package import (
    ADDITIONAL,
    CONFIG,
    MANIFEST,
    PARAMETERS,
    image_warnings,
    package,
    package_demo,
    submit_command,
    verify_package,
)

runner = CliRunner()

MODEL_FIXTURE = Path(__file__).parent / "fixtures" / "static" / "valid" / "medcube_model"
IMAGE = "example/medcube-model:0.1.0"


def make_cube(root: Path, *, with_container_config: bool = True) -> Path:
    """A copy of the valid model fixture (both config formats), with a nested file in additional_files."""
    cube = root / "cnn"
    shutil.copytree(MODEL_FIXTURE, cube)
    (cube / "mlcube" / "workspace" / "additional_files" / "sub").mkdir()
    (cube / "mlcube" / "workspace" / "additional_files" / "sub" / "notes.txt").write_text("extra\n")
    if not with_container_config:
        (cube / "container_config.yaml").unlink()
    return cube


def tree_hash(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_packaging_twice_gives_byte_identical_files(tmp_path):
    cube = make_cube(tmp_path)
    a = package(cube, tmp_path / "a")
    # Touch mtimes: a deterministic tarball does not depend on them.
    for p in (cube / "mlcube" / "workspace" / "additional_files").rglob("*"):
        p.touch()
    b = package(cube, tmp_path / "b")
    for name in (CONFIG, PARAMETERS, ADDITIONAL):
        assert (a.folder / name).read_bytes() == (b.folder / name).read_bytes(), name
    assert a.manifest["files"] == b.manifest["files"]


def test_package_contents_and_submit_command(tmp_path):
    cube = make_cube(tmp_path)
    before = tree_hash(cube)
    pkg = package(cube, tmp_path / "deploy")
    assert sorted(p.name for p in pkg.folder.iterdir()) == sorted([CONFIG, PARAMETERS, ADDITIONAL, MANIFEST])
    with tarfile.open(pkg.folder / ADDITIONAL) as tar:
        names = tar.getnames()
        assert names == sorted(names, key=lambda n: Path(n).parts)
        assert {"weights.pt", "sub/notes.txt"} <= set(names)
        assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in tar.getmembers())
    manifest = yaml.safe_load((pkg.folder / MANIFEST).read_text())
    assert manifest["image"] == IMAGE
    assert manifest["role"] == "model"
    for name, meta in manifest["files"].items():
        assert meta["sha256"] == hashlib.sha256((pkg.folder / name).read_bytes()).hexdigest()
        assert meta["size"] == (pkg.folder / name).stat().st_size
    # MedPerf 0.3.0 reads the config and parameters from local files; only the tarball is a URL, with its hash.
    assert pkg.submit_command.startswith("medperf model submit")
    assert f"--container-config-file {display_path(pkg.folder / CONFIG)}" in pkg.submit_command
    assert f"--parameters-file {display_path(pkg.folder / PARAMETERS)}" in pkg.submit_command
    assert '--additional-file "<URL of additional_files.tar.gz>"' in pkg.submit_command
    assert f"--additional-hash {manifest['files'][ADDITIONAL]['sha256']}" in pkg.submit_command
    assert "URL of container_config" not in pkg.submit_command and "URL of parameters" not in pkg.submit_command
    assert manifest["submit"] == pkg.submit_command
    assert any("placeholder" in w for w in manifest["warnings"])  # example/... is no registry a data owner can pull
    assert tree_hash(cube) == before  # the user's cube is never modified


def test_mlcube_only_cube_is_converted(tmp_path):
    cube = make_cube(tmp_path, with_container_config=False)
    pkg = package(cube, tmp_path / "deploy")
    config = yaml.safe_load((pkg.folder / CONFIG).read_text())
    assert config["container_type"] == "DockerImage"
    infer = config["tasks"]["infer"]
    assert set(infer["input_volumes"]) == {"data_path", "parameters_file", "additional_files"}
    assert "--weights=/mlcommons/volumes/additional_files/weights.pt" in infer["run_args"]["command"]
    assert verify_package(pkg.folder).ok


def test_verify_reports_tampered_file_by_name(tmp_path):
    pkg = package(make_cube(tmp_path), tmp_path / "deploy")
    assert verify_package(pkg.folder).ok
    with open(pkg.folder / PARAMETERS, "a") as f:
        f.write("batch_size: 6\n")
    result = verify_package(pkg.folder)
    assert not result.ok
    assert len(result.problems) == 1 and result.problems[0].startswith(f"{PARAMETERS}: sha256")
    out = runner.invoke(app, ["verify-package", str(pkg.folder)])
    assert out.exit_code == 1
    assert PARAMETERS in out.output


def test_verify_reports_unsafe_additional_files(tmp_path):
    pkg = package(make_cube(tmp_path), tmp_path / "deploy")
    evil = pkg.folder / ADDITIONAL
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../outside.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    evil.write_bytes(buf.getvalue())
    manifest = yaml.safe_load((pkg.folder / MANIFEST).read_text())
    manifest["files"][ADDITIONAL]["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    manifest["files"][ADDITIONAL]["size"] = len(buf.getvalue())
    (pkg.folder / MANIFEST).write_text(yaml.safe_dump(manifest))
    problems = verify_package(pkg.folder).problems
    assert any("../../outside.txt" in p and ADDITIONAL in p for p in problems)


def test_package_refuses_invalid_cube(tmp_path):
    cube = make_cube(tmp_path)
    config = cube / "container_config.yaml"
    config.write_text(config.read_text().replace("input_volumes", "input_volume"))
    with pytest.raises(UserError, match="fails `medcube validate --static`"):
        package(cube, tmp_path / "deploy")
    out = runner.invoke(app, ["package", str(cube), "-o", str(tmp_path / "deploy")])
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert not (tmp_path / "deploy").exists()


def test_package_does_not_overwrite_foreign_folder(tmp_path):
    cube = make_cube(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "important.txt").write_text("keep")
    with pytest.raises(UserError, match="not a medcube deploy folder"):
        package(cube, mine)
    assert (mine / "important.txt").read_text() == "keep"


def test_package_demo_is_deterministic_and_safe(tmp_path):
    data, labels = tmp_path / "raw" / "images", tmp_path / "raw" / "labels"
    data.mkdir(parents=True)
    labels.mkdir()
    (data / "a.png").write_bytes(b"png-a")
    (data / "b.png").write_bytes(b"png-b")
    (labels / "labels.csv").write_text("Image ID,Label\na,effusion\nb,hernia\n")
    one, sha1 = package_demo(data, labels, tmp_path / "one.tar.gz")
    (data / "a.png").touch()
    two, sha2 = package_demo(data, labels, tmp_path / "two.tar.gz")
    assert sha1 == sha2 and one.read_bytes() == two.read_bytes()
    assert check_tarball(one) == []
    out = safe_extract(one, tmp_path / "x", sha256=sha1)
    paths = yaml.safe_load((out / "paths.yaml").read_text())
    assert (out / paths["data_path"] / "a.png").read_bytes() == b"png-a"
    assert (out / paths["labels_path"] / "labels.csv").exists()
    with pytest.raises(UserError, match="sha256"):
        safe_extract(one, tmp_path / "y", sha256="0" * 64)
    assert not (tmp_path / "y").exists()


def test_write_deterministic_refuses_links(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "link").symlink_to("/etc/passwd")
    with pytest.raises(UserError, match="symbolic links"):
        write_deterministic(tmp_path / "o.tar.gz", [("d", tmp_path / "d")])


@pytest.mark.slow
def test_packaged_demo_round_trips_through_medcube_test(tmp_path, monkeypatch):
    """package-demo -> medcube test --demo-data X --demo-sha256 H on the chest X-ray benchmark (local runner:
    the same chain, no image build; the Docker path is covered by the workflow tests)."""
    from validator.archive import safe_extract as extract
    from validator.chain.benchmark import load_benchmark
    from validator.resources import default_benchmark

    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    bench = load_benchmark(default_benchmark())
    raw = extract(bench.demo_data, tmp_path / "raw", bench.demo_sha256)
    paths = yaml.safe_load((raw / "paths.yaml").read_text())
    out = runner.invoke(app, ["package-demo", str(raw / paths["data_path"]), str(raw / paths["labels_path"]),
                              "-o", str(tmp_path / "demo.tar.gz")])
    assert out.exit_code == 0, out.output
    digest = next(line.split()[1] for line in out.output.splitlines() if line.startswith("sha256:"))
    ok = runner.invoke(app, ["test", "--demo-data", str(tmp_path / "demo.tar.gz"), "--demo-sha256", digest,
                             "--runner", "local", "--run-dir", str(tmp_path / "run")])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "run" / "results" / "results.yaml").is_file()
    bad = runner.invoke(app, ["test", "--demo-data", str(tmp_path / "demo.tar.gz"), "--demo-sha256", "0" * 64,
                              "--runner", "local", "--run-dir", str(tmp_path / "run2")])
    assert bad.exit_code == 2
    assert "sha256" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "run2" / "results").exists()


def test_submit_command_per_role_and_without_optional_files():
    command = submit_command("prep", "deploy/container_config.yaml", None, None, "data_preparator")
    assert command.splitlines()[0] == "medperf container submit \\"
    assert "--parameters-file" not in command and "--additional" not in command
    assert "--container-config-file deploy/container_config.yaml" in command
    assert submit_command("m", "d/c.yaml", "d/p.yaml", "ab" * 32, "model").startswith("medperf model submit")


@pytest.mark.parametrize("image, expected", [
    ("docker.io/myorg/chest-cnn:0.1.0", []),
    ("myorg/chest-cnn@sha256:" + "a" * 64, []),
    ("myorg/chest-cnn", ["no fixed tag"]),
    ("myorg/chest-cnn:latest", ["no fixed tag"]),
    ("docker/image:latest", ["placeholder", "no fixed tag"]),
    ("local/model-mlcube:0.1.0", ["placeholder"]),
    ("localhost:5000/team/cnn:1.0", []),
])
def test_image_warnings(image, expected):
    got = image_warnings(image)
    assert len(got) == len(expected) and all(word in text for word, text in zip(expected, got, strict=True)), got
