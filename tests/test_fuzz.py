"""Property-based tests of every input surface medcube reads (hypothesis, structure-aware: a valid file with values,
keys and types swapped, aliases and merge keys, other encodings, cut short; see tests/fuzz_inputs.py).

The oracle, for every surface: medcube answers with findings or a UserError (a message, exit 2), never another
exception (a traceback); nothing it prints or writes holds a raw control character; it changes no file outside the
run folder (the cube's other files, the demo tarball). The library functions are called in-process (milliseconds an
example); the CLI runs in a subprocess for a smaller sample (exit code 0, 1 or 2, no "Traceback", a hang bound).

`MEDCUBE_FUZZ_PROFILE=long` (and `MEDCUBE_FUZZ_EXAMPLES=N`) for a long run by hand; `ci` (the default) is bounded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
import yaml
from fuzz_inputs import CLI_EXAMPLES, RAW_CONTROL, file_name, hostile_text, mutated, value, yaml_file
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from validator.checks import run_static
from validator.cli import app
from validator.errors import UserError
from validator.report.console import print_user_error
from validator.report.formats import render_findings
from validator.report.json_report import to_json
from validator.report.text import print_text

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

ENGINE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).parent.parent


def _tree(root: Path, skip: set[Path] = frozenset()) -> dict:  # type: ignore[assignment]
    """Every entry under root: its type, and each regular file's sha256 (links not followed)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath) / name
            if p in skip:
                continue
            if p.is_symlink():
                out[str(p)] = "link:" + os.readlink(p)
            elif p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[str(p)] = "dir"
    return out


def assert_printable(text: str, what: str = "output") -> None:
    m = RAW_CONTROL.search(text)
    assert m is None, f"raw control character {m.group()!r} in {what}: {text[max(0, m.start() - 60):m.end() + 60]!r}"


def assert_reported_safely(reports) -> None:
    """The static reports, in every format medcube prints them in, hold no raw control character."""
    findings = [f for r in reports for f in r.findings]
    for f in findings:
        for part in (f.file, f.message, f.hint or ""):
            assert_printable(part, f"finding {f.code}")
    for fmt in ("sarif", "github", "gnu"):
        assert_printable(render_findings(fmt, findings), fmt)
    assert_printable(to_json(reports), "json")
    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_text(reports, console)
    assert_printable(console.file.getvalue(), "text")


def assert_user_error_printable(e: UserError, capsys) -> None:
    print_user_error(e)
    assert_printable(capsys.readouterr().err, "the error message")


@pytest.fixture(scope="module")
def bench():
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-") as tmp:
        dest = Path(tmp) / "bench"
        shutil.copytree(ENGINE, dest)
        yield dest


def _fuzz_config(bench: Path, cube: str, config: str, raw: bytes) -> None:
    path = bench / cube / config
    original = path.read_bytes()
    before = _tree(bench, {path})
    try:
        path.write_bytes(raw)
        report = run_static(bench / cube)
        assert_reported_safely([report])
        assert _tree(bench, {path}) == before  # the check changed nothing of the cube
    finally:
        path.write_bytes(original)


MLCUBE = yaml.safe_load((ENGINE / "model" / "mlcube" / "mlcube.yaml").read_text())
CONTAINER_CONFIG = yaml.safe_load((ENGINE / "prep" / "container_config.yaml").read_text())
PARAMETERS = {"threshold": 0.5, "labels": ["0", "1"], "nested": {"a": [1, 2]}}
BENCHMARK = yaml.safe_load((ENGINE / "benchmark.yaml").read_text())


# --- cube configs, parameters.yaml ---------------------------------------------------------------------------------

@given(raw=yaml_file(MLCUBE))
def test_fuzz_mlcube_yaml(bench, raw):
    _fuzz_config(bench, "model", "mlcube/mlcube.yaml", raw)


@given(raw=yaml_file(CONTAINER_CONFIG))
def test_fuzz_container_config_yaml(bench, raw):
    _fuzz_config(bench, "prep", "container_config.yaml", raw)


@given(raw=yaml_file(PARAMETERS))
def test_fuzz_parameters_yaml(bench, raw):
    _fuzz_config(bench, "prep", "workspace/parameters.yaml", raw)


@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")),
                     st.sampled_from([b"\xff\xfe", b"# -*- coding: latin-1 -*-\n\xe9", b"import typer\n\x00",
                                      b"# coding: nonsense\n", b"\xef\xbb\xbfimport sys\n", b"(" * 2000])))
def test_fuzz_entrypoint_script(bench, raw):
    _fuzz_config(bench, "prep", "mlcube.py", raw)


@given(raw=st.one_of(st.binary(max_size=300), hostile_text().map(lambda t: ("FROM x\nENTRYPOINT " + t).encode(
    "utf-8", "replace"))))
def test_fuzz_dockerfile(bench, raw):
    _fuzz_config(bench, "prep", "Dockerfile", raw)


# --- benchmark.yaml ----------------------------------------------------------------------------------------------

@given(raw=yaml_file(BENCHMARK))
def test_fuzz_benchmark_yaml(bench, raw, capsys):
    from validator.chain.benchmark import load_benchmark

    path = bench / "benchmark.yaml"
    original = path.read_bytes()
    try:
        path.write_bytes(raw)
        try:
            load_benchmark(path)
        except UserError as e:
            assert e.message
            assert_user_error_printable(e, capsys)
    finally:
        path.write_bytes(original)


# --- what a cube writes and medcube reads ----------------------------------------------------------------------

RESULTS = {"Accuracy": 0.75, "per_class": {"0": None, "1": 1.0}}
STATISTICS = {"num_cases": 4, "labels_count": {"0": 2, "1": 2}}
PREDICTIONS = {"case1": [0.2, 0.8], "case2": [0.9, 0.1]}


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-out-") as tmp:
        yield Path(tmp)


@given(raw=yaml_file(RESULTS))
def test_fuzz_results_file(scratch, raw):
    from validator.chain.outputs import check_results, read_results

    path = scratch / "results.yaml"
    path.write_bytes(raw)
    findings = check_results(path, ["Accuracy"], "metrics")
    read_results(path)
    for f in findings:
        assert_printable(f.message + (f.hint or ""))


@given(raw=yaml_file(STATISTICS))
def test_fuzz_statistics_file(scratch, raw):
    from validator.chain.outputs import check_statistics

    path = scratch / "statistics.yaml"
    path.write_bytes(raw)
    for f in check_statistics(path, ["num_cases"], "prep"):
        assert_printable(f.message + (f.hint or ""))


@given(kind=st.sampled_from(["json", "yaml", "npy", "per-record"]), data=st.data())
def test_fuzz_predictions(scratch, kind, data):
    from validator.chain.benchmark import PredictionsContract
    from validator.chain.outputs import check_predictions
    from validator.report.runfiles import parse_npy, read_predictions

    folder = scratch / "predictions"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    content = data.draw(mutated(PREDICTIONS))
    if kind == "npy":
        raw = data.draw(st.one_of(st.binary(max_size=200), st.binary(max_size=100).map(lambda b: b"\x93NUMPY\x01\x00" + b)))
        (folder / "case1.npy").write_bytes(raw)
        parse_npy(raw)
        contract = PredictionsContract(file="{id}.npy", shape=(2,), range=(0, 1))
    elif kind == "per-record":
        name = data.draw(file_name())
        (folder / f"{name}.json").write_bytes(data.draw(st.one_of(
            st.binary(max_size=100), st.builds(lambda v: json.dumps(v).encode(), value()))))
        contract = PredictionsContract(file="{id}.json", range=(0, 1))
    else:
        name = "predictions.json" if kind == "json" else "predictions.yaml"
        text = json.dumps(content, allow_nan=True) if kind == "json" else (yaml.safe_dump(content) or "")
        (folder / name).write_bytes(data.draw(st.sampled_from([text.encode(), text.encode()[: len(text) // 2],
                                                               b"[" * 100_000, b"\xff" + text.encode()])))
        contract = PredictionsContract(file=name, shape=(2,), range=(0, 1))
    ids = data.draw(st.lists(st.one_of(st.sampled_from(["case1", "case2"]), file_name()), max_size=3))
    for f in check_predictions(folder, ids, contract, "model"):
        assert_printable(f.message + (f.hint or ""))
    read_predictions(scratch, "predictions/predictions.json")


@given(names=st.lists(file_name(), max_size=5), data=st.data())
def test_fuzz_prepared_data_and_labels(scratch, names, data):
    from validator.chain.benchmark import PredictionsContract
    from validator.chain.outputs import check_prepared, record_ids

    folder = scratch / "prepared"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    (folder / "labels").mkdir()
    for name in names:
        side = data.draw(st.sampled_from(["data", "labels"]))
        (folder / side / name).write_bytes(data.draw(st.binary(max_size=50)))
    pattern = data.draw(st.sampled_from(["*", "*.json", "*.npy", "case*", "**/*"]))
    record_ids(folder / "data", pattern)
    for f in check_prepared(folder / "data", folder / "labels", PredictionsContract(records=pattern), "prep"):
        assert_printable(f.message + (f.hint or ""))


@given(log=st.one_of(st.binary(max_size=2000), hostile_text().map(str.encode)))
def test_fuzz_task_logs(scratch, log):
    from validator.chain.probes.logscan import network_finding, read_log
    from validator.report.runfiles import log_tail

    path = scratch / "logs" / "1-infer.log"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(log)
    text = read_log(path)
    finding = network_finding("infer", text, "model")
    if finding is not None:
        assert_printable(finding.message + (finding.hint or ""))
    log_tail(scratch, "logs/1-infer.log")


# --- demo tarballs -------------------------------------------------------------------------------------------------

MEMBER_TYPES = [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
                tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.CONTTYPE, b"x", b"g"]


@st.composite
def tar_member(draw):
    parts = draw(st.lists(st.one_of(file_name(), st.sampled_from(["..", ".", "", "/", "paths.yaml", "data",
                                                                   "labels"])), min_size=1, max_size=3))
    info = tarfile.TarInfo("/".join(parts))
    info.type = draw(st.sampled_from(MEMBER_TYPES))
    info.linkname = draw(st.one_of(st.just(""), hostile_text()))
    info.mode = draw(st.sampled_from([0o644, 0o755, 0o4755, 0o000, 0o7777]))
    data = draw(st.binary(max_size=40)) if info.type in (tarfile.REGTYPE, tarfile.CONTTYPE) else None
    if data is not None:
        info.size = len(data)
    return info, data


@given(members=st.lists(tar_member(), max_size=6), paths=yaml_file({"data_path": "data", "labels_path": "labels"}),
       gz=st.booleans())
def test_fuzz_demo_tarball(members, paths, gz, capsys):
    from validator.chain.demo_data import load_demo_data

    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-demo-") as tmp:
        root = Path(tmp)
        tarball = root / ("demo.tar.gz" if gz else "demo.tar")
        good = [(tarfile.TarInfo("data"), None), (tarfile.TarInfo("labels"), None)]
        for info, _ in good:
            info.type = tarfile.DIRTYPE
        pinfo = tarfile.TarInfo("paths.yaml")
        pinfo.size = len(paths)
        with tarfile.open(tarball, "w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tar:
            for info, data in [*good, (pinfo, paths), *members]:
                try:
                    tar.addfile(info, io.BytesIO(data) if data is not None else None)
                except (ValueError, UnicodeError):
                    pass  # a name tarfile itself cannot write: not an input medcube can get
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
        target = root / "extract" / "demo"
        try:
            load_demo_data(tarball, digest, extract_to=target)
        except UserError as e:
            assert e.message
            assert_user_error_printable(e, capsys)
        assert hashlib.sha256(tarball.read_bytes()).hexdigest() == digest  # the tarball is not changed
        outside = {p.name for p in root.iterdir()}
        assert outside <= {tarball.name, "extract"}, outside  # nothing lands beside it
        if (root / "extract").exists():
            assert {p.name for p in (root / "extract").iterdir()} <= {"demo"}  # no staging folder left
            for dirpath, dirs, files in os.walk(root / "extract"):
                for name in dirs + files:
                    p = Path(dirpath) / name
                    assert not p.is_symlink() or not os.path.isabs(os.readlink(p)), p


# --- cube folder and file names ------------------------------------------------------------------------------------

@given(folder=file_name(), extra=st.lists(file_name(), max_size=4))
def test_fuzz_cube_folder_and_file_names(folder, extra):
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-names-") as tmp:
        cube = Path(tmp) / folder
        shutil.copytree(ENGINE / "prep", cube)
        for name in extra:
            p = cube / "workspace" / "additional_files" / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"x")
        before = _tree(cube)
        assert_reported_safely([run_static(cube)])
        assert _tree(cube) == before


# --- CLI option values ---------------------------------------------------------------------------------------------

OPTIONS = {
    "--timeout": st.one_of(hostile_text(), st.floats().map(str), st.integers().map(str)),
    "--memory": st.one_of(hostile_text(), st.sampled_from(["1", "8g", "0", "-1g", "1e99g", "99999999999999t"])),
    "--cpus": st.one_of(hostile_text(), st.floats().map(str)),
    "--pids": st.one_of(hostile_text(), st.integers().map(str)),
    "--gpus": st.one_of(hostile_text(), st.sampled_from(["all", "0", "-1", "device=", "device=a,b", "2"])),
    "--log-limit": st.one_of(hostile_text(), st.sampled_from(["0", "1k", "50m", "-5m", "1e400"])),
    "--build-timeout": st.one_of(hostile_text(), st.floats().map(str)),
    "--determinism-tolerance": st.one_of(hostile_text(), st.floats().map(str)),
    "--no-probe": hostile_text(),
    "--ignore": hostile_text(),
    "--fail-on": hostile_text(),
    "--format": st.one_of(hostile_text(), st.sampled_from(["text", "json", "sarif", "github", "gnu"])),
    "--demo-sha256": st.one_of(hostile_text(), st.text("0123456789abcdef", min_size=64, max_size=64)),
    "--jobs": st.one_of(hostile_text(), st.integers().map(str)),
    "--shard": st.one_of(hostile_text(), st.sampled_from(["1/2", "0/0", "3/2", "-1/2", "1/0", "a/b"])),
    "--base-image": hostile_text(),
}


@st.composite
def cli_argv(draw, bench: Path, out: Path):
    """`medcube test` on the tiny benchmark whose model the static gate refuses (a NUL byte in its config), with
    fuzzed option values: every option is read before the gate, so a valid set ends at the gate (exit 1)."""
    argv = ["test", str(bench / "benchmark.yaml"), "--runner", "local", "--run-dir", str(out / "run")]
    for name in draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=4, unique=True)):
        argv += [name, draw(OPTIONS[name])]
    if draw(st.booleans()):
        argv += [draw(st.sampled_from(["--report", "--junit", "--html", "--demo-data", "--model"])),
                 str(out / draw(file_name()))]
    return argv


@pytest.fixture(scope="module")
def gated_bench():
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-cli-") as tmp:
        dest = Path(tmp) / "bench"
        shutil.copytree(ENGINE, dest)
        config = dest / "model" / "mlcube" / "mlcube.yaml"
        config.write_text(config.read_text().replace("build_context: ../project", 'build_context: "../pro\\0ject"'))
        yield dest


@given(data=st.data())
def test_fuzz_cli_options_in_process(gated_bench, data):
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-run-") as tmp:
        argv = data.draw(cli_argv(gated_bench, Path(tmp)))
        before = _tree(gated_bench)
        result = CliRunner().invoke(app, argv)
        assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
        assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.output)
        assert result.exit_code != 0  # the gate refuses the model, whatever the options
        assert_printable(result.output, f"the output of {argv}")
        assert _tree(gated_bench) == before


@given(data=st.data())
def test_fuzz_validate_cli_in_process(bench, data):
    argv = ["validate", "--static"]
    if data.draw(st.booleans()):
        argv += ["--format", data.draw(OPTIONS["--format"])]
    if data.draw(st.booleans()):
        argv += ["--ignore", data.draw(hostile_text())]
    argv += [data.draw(st.one_of(st.sampled_from([str(bench / "prep"), str(bench / "model")]),
                                 hostile_text().filter(lambda t: "\x00" not in t)))]
    result = CliRunner().invoke(app, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
    assert result.exit_code in (0, 1, 2)
    assert_printable(result.output, f"the output of {argv}")


@pytest.mark.timeout(900)
@settings(max_examples=CLI_EXAMPLES)  # each example is a process start (about a second)
@given(data=st.data())
def test_fuzz_cli_subprocess(gated_bench, data):
    """The real CLI, a smaller sample: exit 0/1/2, no traceback, no raw control character, bounded in time."""
    with tempfile.TemporaryDirectory(prefix="medcube-fuzz-sub-") as tmp:
        argv = data.draw(cli_argv(gated_bench, Path(tmp)))
        if any("\x00" in a for a in argv):
            return  # no process can be given a NUL byte in an argument
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(Path(tmp) / "cache")}
        try:
            proc = subprocess.run([sys.executable, "-m", "validator", *argv], capture_output=True, timeout=120,
                                  env=env, cwd=tmp)
        except (UnicodeEncodeError, ValueError):
            return  # an argument the OS cannot pass (a lone surrogate)
        out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
        assert proc.returncode in (1, 2), (argv, proc.returncode, out[-2000:])
        assert "Traceback" not in out, (argv, out[-3000:])
        assert_printable(out, f"the output of {argv}")
