"""The attack corpus: cubes, tarballs and deploy folders made to hurt the host medcube runs on, written at test time.

Each ATTACK is one way an untrusted submission could make medcube itself (not the container) damage or leak the
host, and the recipe that writes it: `make(folder, decoys)` writes the case into `folder` and returns the medcube
command line to run (arguments after `python3 -m validator`). `decoys` is a folder of host files the attack aims
at (a YAML file holding a secret token, a plain file, a folder); tests/test_attacks.py runs each command as a user
would and then checks that the decoys are unchanged (content, mode, owner), that the secret appears in no output,
that medcube ended with a clear message in time, and that the hostile input did not pass.

CLASSES names the attack classes of docs/SECURITY.md; every class has cases. Cases whose fix is not in place yet say
so in `open` (the test then expects them to fail, strictly: a fixed case turns the test red until `open` is cleared).

To look at the cases by hand:

    python tests/attack_corpus.py DIR      # writes DIR/<case>/ and DIR/decoys/, prints each command
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hostile_cubes import CC, PY, Cube

TESTS = Path(__file__).resolve().parent
HOSTILE = TESTS / "fixtures" / "hostile"
ENGINE_DEMO = TESTS / "fixtures" / "engine" / "demo_data"
VALID = TESTS / "fixtures" / "static" / "valid"
SECRET = "DECOY-SECRET-7f3a91c2"  # in decoys/secret.yaml; must never appear in anything medcube prints or writes

CLASSES = {
    "links": "links a cube wrote into its outputs are never followed",
    "host-paths": "host paths a config names stay inside the cube folder",
    "static-first": "test and validate refuse a hostile config before any container starts",
    "images": "runs use the image they built, never a tag naming another image",
    "bounds": "every input is bounded: YAML, tarballs, outputs, builds",
    "escapes": "text a cube controls is escaped where medcube prints or writes it",
    "local-runner": "no silent local runner; the local runner gets a scrubbed environment",
    "probes": "a probe that cannot complete is an error",
    "privileges": "a config asking for privileges, host namespaces or host mounts is reported",
}


@dataclass(frozen=True)
class Attack:
    name: str
    klass: str  # a key of CLASSES
    does: str
    make: Callable[[Path, Path], list[str]]  # (case folder, decoys folder) -> medcube arguments
    words: tuple[str, ...] = ()  # in medcube's output: the clear message
    docker: bool = False  # needs the Docker engine
    env: tuple[tuple[str, str], ...] = ()  # extra environment for the medcube process
    open: str = ""  # why the case is not fixed yet ("" when it is)
    timeout: int = 180  # seconds medcube may take, all included

    def build(self, folder: Path, decoys: Path) -> list[str]:
        folder.mkdir(parents=True, exist_ok=True)
        return self.make(folder, decoys)


def make_decoys(folder: Path) -> Path:
    """Host files an attack aims at: secret.yaml (a token; in JSON, so any reader parses it), victim.txt, a folder;
    modes an attack would change."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret.yaml").write_text(json.dumps({"token": SECRET, "owner": "ci"}) + "\n")  # JSON is YAML
    (folder / "victim.txt").write_text("a host file that must stay as it is\n")
    (folder / "inner").mkdir(exist_ok=True)
    (folder / "inner" / "data.txt").write_text("host data\n")
    os.chmod(folder / "secret.yaml", 0o600)
    os.chmod(folder / "victim.txt", 0o640)
    os.chmod(folder / "inner", 0o750)
    return folder


# ------------------------------------------------------------------ helpers that write cubes

BENCH = ["test", str(HOSTILE), "--runner", "docker", "--timeout", "30"]
NO_OWN_RUNS = ["--no-probe", "determinism", "--no-probe", "rerun", "--no-probe", "faults"]


def outputs(folder: Path) -> list[str]:
    return ["--run-dir", str(folder / "run"), "--report", str(folder / "report.json"),
            "--junit", str(folder / "junit.xml")]


def hostile(folder: Path, decoys: Path, role: str, name: str, edits: tuple, params: dict | None = None) -> Path:
    """A good cube of tests/fixtures/hostile with `edits`, its parameters naming the decoys (JSON is YAML)."""
    cube = Cube(name, role, "attack", "attack", tuple(edits)).build(folder)
    (cube / "workspace" / "parameters.yaml").write_text(json.dumps({"cube": name, "decoy": str(decoys),
                                                                    **(params or {})}) + "\n")
    return cube


def model(folder: Path, decoys: Path, name: str, code: str, imports: str = "") -> Path:
    """The good model, running `code` (with `decoy` = the decoys folder) before it writes its predictions."""
    write = 'with open(os.path.join(a.output_path, "predictions.json"), "w") as f:\n'
    edits = [(PY, write, 'decoy = json.load(open(a.parameters_file))["decoy"]\n' + code.lstrip("\n") + "\n" + write)]
    if imports:
        edits.append((PY, "import argparse, json, os\n", f"import argparse, json, os, {imports}\n"))
    return hostile(folder, decoys, "model", name, tuple(edits))


def prep_after_prepare(folder: Path, decoys: Path, name: str, code: str) -> Path:
    """The good data preparator, running `code` at the end of prepare (`decoy` = the decoys folder)."""
    end = '    print(f"prepared {len(rows)} records")\n'
    code = "\n".join("    " + line if line else line for line in code.strip("\n").split("\n"))
    return hostile(folder, decoys, "data_preparator", name, (
        (PY, end, end + '    decoy = json.load(open(a.parameters_file))["decoy"]\n' + code + "\n"),))


def metrics_writes(folder: Path, decoys: Path, name: str, code: str) -> Path:
    """The good metrics, writing its results with `code` instead (`decoy` = the decoys folder)."""
    return hostile(folder, decoys, "metrics", name, (
        (PY, 'with open(a.output_path, "w") as f:\n    json.dump(results, f)\n',
         'decoy = json.load(open(a.parameters_file))["decoy"]\n' + code.strip("\n") + "\n"),))


def static_copy(folder: Path, base: str, name: str = "cube") -> Path:
    dest = folder / name
    shutil.copytree(VALID / base, dest)
    return dest


def sub(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def relink(path: Path, target: Path | str) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    os.symlink(target, path)


def tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], good: bool = True) -> Path:
    """A demo tarball: the engine tests' demo data (when `good`) plus `members`."""
    with tarfile.open(path, "w:gz") as tar:
        if good:
            for p in sorted(ENGINE_DEMO.rglob("*")):
                tar.add(p, arcname=str(p.relative_to(ENGINE_DEMO)), recursive=False)
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name: str, data: bytes | None = None, kind=tarfile.REGTYPE) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if data is not None else 0
    return info, data


# ------------------------------------------------------------------ the cases

def _links_prepared_record(folder, decoys):
    cube = prep_after_prepare(folder, decoys, "link_in_prepared_data", r'''
os.symlink(os.path.join(decoy, "victim.txt"), os.path.join(a.output_path, "zz.json"))
os.symlink(decoy, os.path.join(a.output_labels_path, "zz"))
''')
    return [*BENCH, "--data-preparator", str(cube), *outputs(folder)]


def _links_predictions(folder, decoys):
    cube = model(folder, decoys, "predictions_link", r'''
os.symlink(os.path.join(decoy, "secret.yaml"), os.path.join(a.output_path, "predictions.json"))
raise SystemExit(0)
''')
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _links_rerun(folder, decoys):
    cube = model(folder, decoys, "rerun_link", r'''
if not os.path.lexists(os.path.join(a.output_path, "cache")):
    os.symlink(decoy, os.path.join(a.output_path, "cache"))
''')
    return [*BENCH, "--model", str(cube), "--no-probe", "determinism", *outputs(folder)]


def _params_link_test(folder, decoys):
    cube = hostile(folder, decoys, "model", "parameters_link", ())
    relink(cube / "workspace" / "parameters.yaml", decoys / "secret.yaml")
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _additional_link_test(folder, decoys):
    cube = hostile(folder, decoys, "model", "additional_files_link", (
        (CC, "      parameters_file: {mount_path: /mlcommons/volumes/parameters/parameters_file.yaml, type: file}\n",
         "      parameters_file: {mount_path: /mlcommons/volumes/parameters/parameters_file.yaml, type: file}\n"
         "      additional_files: {mount_path: /mlcommons/volumes/additional_files, type: directory}\n"),))
    os.symlink(decoys, cube / "workspace" / "additional_files")
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _output_is_input_test(folder, decoys):
    cube = hostile(folder, decoys, "model", "writes_additional_files", (
        (CC, "      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}\n",
         "      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}\n"
         "      additional_files: {mount_path: /mlcommons/volumes/additional_files, type: directory}\n"),))
    # its additional files are a host folder medcube must not hand to the container's user: the decoys
    os.symlink(decoys, cube / "workspace" / "additional_files")
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _default_climbs_out(folder, decoys):
    cube = static_copy(folder, "seed_model_custom_cnn")
    rel = os.path.relpath(decoys / "secret.yaml", cube / "mlcube" / "workspace")
    sub(cube / "mlcube" / "mlcube.yaml", "weights: additional_files/cnn_weights.pth", f"weights: additional_files/../{rel}")
    return ["validate", "--static", str(cube)]


def _build_context_out(folder, decoys):
    cube = static_copy(folder, "seed_model_custom_cnn")
    (decoys / "Dockerfile").write_text("FROM scratch\n")
    rel = os.path.relpath(decoys, cube / "mlcube")
    sub(cube / "mlcube" / "mlcube.yaml", 'build_context: "../project"', f'build_context: "{rel}"')
    return ["validate", str(cube), "--no-run"]


def _copy_source_out(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    rel = os.path.relpath(decoys / "secret.yaml", cube)
    sub(cube / "Dockerfile", "ENV LANG C.UTF-8\n", f"ENV LANG C.UTF-8\nCOPY {rel} /secret.yaml\n")
    return ["validate", str(cube), "--no-run"]


def _package_params_link(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    relink(cube / "workspace" / "parameters.yaml", decoys / "secret.yaml")
    return ["package", str(cube), "-o", str(folder / "deploy")]


def _package_additional_link(folder, decoys):
    cube = static_copy(folder, "seed_model_custom_cnn")
    relink(cube / "mlcube" / "workspace" / "additional_files" / "cnn_weights.pth", decoys / "secret.yaml")
    return ["package", str(cube), "-o", str(folder / "deploy")]


def _verify_manifest_escape(folder, decoys):
    from validator.archive import sha256_file

    deploy = folder / "deploy"
    deploy.mkdir()
    rel = os.path.relpath(decoys / "secret.yaml", deploy)
    manifest = {"medcube_package": 1, "files": {rel: {"sha256": sha256_file(decoys / "secret.yaml"),
                                                     "size": (decoys / "secret.yaml").stat().st_size}}}
    (deploy / "medcube-package.yaml").write_text(json.dumps(manifest))
    return ["verify-package", str(deploy)]


def _verify_fifo(folder, decoys):
    deploy = folder / "deploy"
    deploy.mkdir()
    os.mkfifo(deploy / "container_config.yaml")
    manifest = {"medcube_package": 1, "files": {"container_config.yaml": {"sha256": "0" * 64, "size": 1}}}
    (deploy / "medcube-package.yaml").write_text(json.dumps(manifest))
    return ["verify-package", str(deploy)]


def _image_tag_taken(folder, decoys):
    """The model names an image tag that already exists (tagged by the test: `decoy_image`); the tag must keep
    naming its image."""
    cube = hostile(folder, decoys, "model", "takes_a_tag", ((PY, "print(\"wrote predictions\")", "raise SystemExit(3)"),))
    sub(cube / CC, "image: medcube-test/hostile-takes-a-tag:0.1", f"image: {DECOY_IMAGE}")
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


DECOY_IMAGE = "medcube-test/attack-decoy:1"


def _config(text: str):
    def make(folder, decoys):
        cube = static_copy(folder, "tutorial_metrics")
        (cube / "container_config.yaml").write_text(text)
        return ["validate", "--static", "--format", "json", str(cube)]
    return make


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def _params_bomb(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    (cube / "workspace" / "parameters.yaml").write_text(ALIAS_BOMB)
    return ["validate", "--static", str(cube)]


def _params_fifo(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    (cube / "workspace" / "parameters.yaml").unlink()
    os.mkfifo(cube / "workspace" / "parameters.yaml")
    return ["validate", "--static", str(cube)]


def _demo_bomb(folder, decoys):
    path = tarball(folder / "bomb.tar.gz", [member("images/zeros.txt", b"0" * (8 << 20))])
    return [*BENCH, "--demo-data", str(path), "--no-probes", *outputs(folder)]


def _demo_entries(folder, decoys):
    path = tarball(folder / "many.tar.gz", [member(f"images/x{i}.txt", b"1") for i in range(200)])
    return [*BENCH, "--demo-data", str(path), "--no-probes", *outputs(folder)]


def _demo_long_name(folder, decoys):
    path = tarball(folder / "long.tar.gz", [member("images/" + "n" * 300 + ".txt", b"1")])
    return [*BENCH, "--demo-data", str(path), "--no-probes", *outputs(folder)]


def _results_bomb(folder, decoys):
    bomb = json.dumps(ALIAS_BOMB)
    cube = metrics_writes(folder, decoys, "results_bomb", f"open(a.output_path, 'w').write({bomb})")
    return [*BENCH, "--metrics", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _build_sleeps(folder, decoys):
    cube = hostile(folder, decoys, "model", "build_sleeps", ())
    sub(cube / "Dockerfile", "COPY . /mlcube_project\n", f"RUN echo {uuid.uuid4().hex} && sleep 600\nCOPY . /mlcube_project\n")
    return [*BENCH, "--model", str(cube), "--build-timeout", "10", "--no-probes", *outputs(folder)]


def _build_network(folder, decoys):
    cube = hostile(folder, decoys, "model", "build_downloads", ())
    sub(cube / "Dockerfile", "COPY . /mlcube_project\n",
        f"RUN echo {uuid.uuid4().hex} && "  # a step of its own: no layer cache from a build with network
        "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)\"\n"
        "COPY . /mlcube_project\n")
    return [*BENCH, "--model", str(cube), "--no-probes", *outputs(folder)]


ESC_NAME = "infer\x1b[2K\rPASS  everything passed\x1b[0m"


def _escape_task_name(folder, decoys):
    """The name of a volume (an unknown label: an error that quotes it) holding escape sequences."""
    cube = static_copy(folder, "tutorial_metrics")
    sub(cube / "container_config.yaml", "      labels:\n", "      " + json.dumps(ESC_NAME) + ":\n")
    return ["validate", "--static", str(cube)]


def _markup_task_name(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    sub(cube / "container_config.yaml", "      labels:\n", '      "[bold green]PASS[/bold green] labels":\n')
    return ["validate", "--static", str(cube)]


def _escape_log(folder, decoys):
    cube = model(folder, decoys, "escapes_in_log", r'''
sys.stdout.write("\x1b[2J\x1b[H\rPASS  all 5 tasks passed\x07\x01\x0b\n")
sys.stdout.flush()
sys.exit(1)
''', imports="sys")
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _escape_file_name(folder, decoys):
    cube = model(folder, decoys, "escapes_in_file_names", r'''
open(os.path.join(a.output_path, "\x1b[31mPASS\x07\x01.json"), "w").write("{")
''')
    sub(cube / "mlcube.py", 'print("wrote predictions")', 'print("wrote predictions"); raise SystemExit(1)')
    return [*BENCH, "--model", str(cube), *NO_OWN_RUNS, *outputs(folder)]


def _no_engine(folder, decoys):
    cube = model(folder, decoys, "runs_on_the_host", r'''
open(os.path.join(decoy, "victim.txt"), "w").write("overwritten from the host\n")
''')
    return ["test", str(HOSTILE), "--model", str(cube), "--timeout", "30", "--no-probes", *outputs(folder)]


def _local_env(folder, decoys):
    cube = model(folder, decoys, "reads_the_environment", r'''
print(dict(os.environ), flush=True)
raise SystemExit(1)
''')
    return ["test", str(HOSTILE), "--runner", "local", "--model", str(cube), "--timeout", "30", "--no-probes",
            *outputs(folder)]


def _fifo_in_output(folder, decoys):
    cube = prep_after_prepare(folder, decoys, "fifo_in_output", r'''
os.mkfifo(os.path.join(a.output_labels_path, "zz.fifo"))
''')
    sub(cube / "mlcube.py", 'problems = [f"{n}: no label" for n in data if n not in labels]',
        'problems = [f"{n}: no label" for n in data if n not in labels and n + ".fifo" not in labels]')
    return [*BENCH, "--data-preparator", str(cube), "--no-probe", "determinism", *outputs(folder)]


def _gpu_args(folder, decoys):
    cube = static_copy(folder, "seed_model_custom_cnn")
    sub(cube / "mlcube" / "mlcube.yaml", '  build_file: "Dockerfile"\n',
        f'  build_file: "Dockerfile"\n  gpu_args: --privileged -v {decoys}:/host --pid=host\n')
    return ["validate", "--static", str(cube)]


def _run_args(folder, decoys):
    cube = static_copy(folder, "tutorial_metrics")
    sub(cube / "container_config.yaml", "  evaluate:\n",
        f"  evaluate:\n    run_args:\n      privileged: true\n      volumes: ['{decoys}:/host']\n")
    return ["validate", "--static", str(cube)]


ATTACKS = {a.name: a for a in [
    # links out of outputs
    Attack("link_in_prepared_data", "links", "prepare leaves links to host files in its outputs; the probes copy, "
           "write and chmod the prepared data", _links_prepared_record, ("symbolic link",), docker=True),
    Attack("predictions_link", "links", "predictions.json is a link to a host file", _links_predictions,
           ("symbolic link",), docker=True),
    Attack("rerun_link", "links", "infer leaves a link to a host folder in its output; the rerun probe copies and "
           "chowns it", _links_rerun, ("symbolic link",), docker=True),
    # host paths from a config
    Attack("parameters_link_test", "static-first", "parameters.yaml is a link to a host YAML file (medcube test)",
           _params_link_test, ("MC420",), docker=True),
    Attack("additional_files_link_test", "static-first", "additional_files/ is a link to a host folder "
           "(medcube test)", _additional_link_test, ("MC420",), docker=True),
    Attack("output_is_input_test", "static-first", "the model declares additional_files as an output",
           _output_is_input_test, ("additional_files",), docker=True),
    Attack("default_climbs_out", "host-paths", "an mlcube.yaml default climbs out with additional_files/../..",
           _default_climbs_out, ("MC420", "outside the cube folder")),
    Attack("build_context_out", "host-paths", "docker.build_context points at a host folder", _build_context_out,
           ("MC420", "build context")),
    Attack("copy_source_out", "host-paths", "the Dockerfile COPYs a host file from outside the build context",
           _copy_source_out, ("MC420", "leaves the build context")),
    Attack("package_parameters_link", "host-paths", "medcube package on a cube whose parameters.yaml links to a "
           "host file", _package_params_link, ("fails `medcube validate --static`", "MC420")),
    Attack("package_additional_link", "host-paths", "medcube package on a cube whose weights link to a host file",
           _package_additional_link, ("fails `medcube validate --static`",)),
    Attack("verify_manifest_escape", "host-paths", "a deploy manifest lists a host file by a '..' path",
           _verify_manifest_escape, ("never writes",)),
    Attack("verify_fifo", "bounds", "a deploy folder's container_config.yaml is a FIFO", _verify_fifo,
           ("FIFO",), timeout=30),
    # images
    Attack("image_tag_taken", "images", "the model's image: names an image that exists (another cube's)",
           _image_tag_taken, ("FAIL",), docker=True),
    # bounds
    Attack("config_alias_bomb", "bounds", "a 1 KB alias bomb as container_config.yaml", _config(ALIAS_BOMB),
           ("MC001", "alias bomb"), timeout=30),
    Attack("config_deep_nesting", "bounds", "100,000 nested brackets as container_config.yaml",
           _config("a: " + "[" * 100_000 + "]" * 100_000 + "\n"), ("MC001", "nested more than"), timeout=30),
    Attack("config_huge", "bounds", "a 3 MB container_config.yaml", _config("# " + "x" * (3 << 20) + "\n"),
           ("MC001", "larger than medcube reads"), timeout=30),
    Attack("parameters_alias_bomb", "bounds", "an alias bomb as parameters.yaml", _params_bomb,
           ("MC001", "alias bomb"), timeout=30),
    Attack("parameters_fifo", "bounds", "parameters.yaml is a FIFO (reading it would block forever)", _params_fifo,
           ("parameters",), timeout=30),
    Attack("demo_tarball_bomb", "bounds", "a small demo tarball that extracts to more than the limit", _demo_bomb,
           ("would extract more than",), docker=True, env=(("MEDCUBE_MAX_EXTRACT_BYTES", str(1 << 20)),)),
    Attack("demo_tarball_entries", "bounds", "a demo tarball with more entries than the limit", _demo_entries,
           ("more than 50 entries",), docker=True, env=(("MEDCUBE_MAX_EXTRACT_ENTRIES", "50"),)),
    Attack("demo_tarball_long_name", "bounds", "a demo tarball member with a 300-character name", _demo_long_name,
           ("has a name longer",), docker=True),
    Attack("results_alias_bomb", "bounds", "results.yaml is an alias bomb", _results_bomb, ("results.yaml",),
           docker=True),
    Attack("build_sleeps", "bounds", "the Dockerfile runs `sleep 600`", _build_sleeps, ("longer than the --build-timeout",),
           docker=True),
    Attack("build_needs_network", "bounds", "the Dockerfile connects to the internet while building",
           _build_network, ("--build-network",), docker=True),
    # escapes
    Attack("escape_in_task_name", "escapes", "a volume label holding terminal escape sequences and a fake PASS line",
           _escape_task_name, ("\\x1b",), timeout=30),
    Attack("markup_in_task_name", "escapes", "a volume label holding console markup", _markup_task_name,
           ("[bold green]PASS[/bold green]",), timeout=30),
    Attack("escape_in_log", "escapes", "a failing task's log holds escape sequences and XML-invalid characters",
           _escape_log, ("\\x1b",), docker=True),
    Attack("escape_in_file_name", "escapes", "an output file named with escape sequences", _escape_file_name,
           ("FAIL",), docker=True),
    # local runner
    Attack("no_engine", "local-runner", "no Docker engine answers: medcube must not run the cube on the host",
           _no_engine, ("--runner local",), env=(("DOCKER_HOST", "unix:///nonexistent/medcube-attack.sock"),)),
    Attack("local_runner_environment", "local-runner", "the local runner's task prints its environment "
           "(a CI secret in it)", _local_env, ("not a sandbox",), env=(("MEDCUBE_ATTACK_CI_TOKEN", SECRET),)),
    # probes
    Attack("fifo_in_output", "probes", "prepare leaves a FIFO in its output: a probe cannot copy it",
           _fifo_in_output, ("FIFO",), docker=True),
    # privileges
    Attack("gpu_args_privileged", "privileges", "mlcube.yaml gpu_args ask for --privileged, a host mount and the "
           "host's pid namespace", _gpu_args, ("MC423", "--privileged", "a host mount", "process namespace"),
           timeout=30),
    Attack("run_args_privileged", "privileges", "container_config.yaml run_args ask for privileged and a host "
           "volume", _run_args, ("MC423", "run_args.privileged", "run_args.volumes"), timeout=30),
]}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/attack_corpus.py DIR")
    root = Path(sys.argv[1])
    decoys = make_decoys(root / "decoys")
    for attack in ATTACKS.values():
        args = attack.build(root / attack.name, decoys)
        print(f"{attack.name}: python3 -m validator {' '.join(args)}")
