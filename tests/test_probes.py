"""The probes' parts, each on its own: options, log reading, snapshots, prediction comparison, fault injection, the
GPU check's reading, the capped log, and the probes' place in the reports. The whole, through real containers, is
tests/test_hostile.py."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from validator import cli as testing  # run_test: the command's result printed, its exit code
from validator.chain.benchmark import PredictionsContract
from validator.chain.options import RunOptions
from validator.chain.probes import (
    PROBES,
    ProbeOptions,
    ProbeResult,
    determinism,
    faults,
    gpu,
    inputs,
    logscan,
    probe_options,
)
from validator.chain.probes.options import OPT_IN
from validator.chain.result import RunReport
from validator.commands.common import ReportFiles
from validator.engine.limits import Limits
from validator.engine.result import TaskResult
from validator.engine.tasks.logcap import CappedLog
from validator.engine.tasks.plan import Mount, RunPlan
from validator.engine.tasks.snapshot import differences, snapshot
from validator.errors import UserError
from validator.report import json_report, junit
from validator.report import text as text_report


def plan(tmp_path) -> RunPlan:
    """infer of a container_config model: data read-only, predictions writable."""
    data, preds = tmp_path / "data", tmp_path / "predictions"
    data.mkdir(exist_ok=True)
    preds.mkdir(exist_ok=True)
    return RunPlan(
        task="infer", image="x", args=[], entrypoint=None,
        mounts=[Mount(data, "/mlcommons/volumes/data", "ro", "directory", ("data_path",)),
                Mount(preds, "/mlcommons/volumes/predictions", "rw", "directory", ("output_path",))],
        inputs={"data_path": data}, outputs={"output_path": preds}, output_types={"output_path": "directory"},
    )


# -- options -----------------------------------------------------------------------------------------------------------
def test_probe_options():
    assert probe_options().enabled == frozenset(PROBES) - OPT_IN
    opts = probe_options(no_probe=["rerun", "faults,determinism"])
    assert opts.enabled == frozenset(PROBES) - OPT_IN - {"rerun", "faults", "determinism"}
    assert probe_options(no_probes=True) is None
    assert probe_options(no_probe=list(PROBES)) is None
    with pytest.raises(UserError, match="there is no probe 'netwrok'") as e:
        probe_options(no_probe=["netwrok"])
    assert "did you mean 'network'" in e.value.hint
    with pytest.raises(UserError):
        probe_options(tolerance=-1)
    # an opt-in probe runs only when asked for, and --no-probe wins
    assert probe_options(probe=["singularity"]).enabled == frozenset(PROBES)
    assert "singularity" not in probe_options(probe=["singularity"], no_probe=["singularity"]).enabled
    with pytest.raises(UserError, match="--probe: there is no probe 'singularty'"):
        probe_options(probe=["singularty"])


def test_one_catalogue_of_codes():
    """validator.codes is the one catalogue: every code MC and three digits, its stage given by its hundreds, a
    title and a fix for each, and every code a module reports by name is the catalogue's own object."""
    from validator import codes
    from validator.chain import outputs
    from validator.chain.probes import session
    from validator.engine import result  # noqa: F401

    stages = {"6": "run", "7": "output", "8": "probe", "9": "submission"}
    for code, entry in codes.CATALOGUE.items():
        assert re.fullmatch(r"MC\d{3}", code) and entry == code and entry.name
        assert entry.stage == stages.get(code[2], "static") and entry.title and len(entry.fix) > 20
        assert entry.severity in ("error", "warning", "info")  # info: what was not checked (MC411)
    assert outputs.NO_RECORDS is codes.NO_RECORDS and session.ACCEPTS_BROKEN is codes.ACCEPTS_BROKEN
    assert {"MC001", "MC601", "MC701", "MC801"} <= set(codes.CATALOGUE)
    assert sum(e.stage == "probe" for e in codes.CATALOGUE.values()) == 13


# -- a failed task's log ---------------------------------------------------------------------------------------------------
URLLIB = """Traceback (most recent call last):
  File "/mlcube_project/mlcube.py", line 24, in <module>
    weights = urllib.request.urlopen("https://example.org/w.bin", timeout=10).read()
socket.gaierror: [Errno -3] Temporary failure in name resolution
urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>
"""
REQUESTS = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries "
            "exceeded with url: /bert/resolve/main/config.json (Caused by NewConnectionError('<urllib3.connection."
            "HTTPSConnection object>: Failed to establish a new connection: [Errno 101] Network is unreachable'))")


@pytest.mark.parametrize("log,target", [(URLLIB, "https://example.org/w.bin"), (REQUESTS, "huggingface.co"),
                                        ("curl: (6) Could not resolve host: pypi.org", "pypi.org")])
def test_network_is_recognised(log, target):
    f = logscan.network_finding("infer", log, "model/container_config.yaml")
    assert f.code == "MC803" and f.is_error
    assert f.message.startswith("task infer needs network") and target in f.message and "--network none" in f.message
    assert "build time" in f.hint


def test_network_retried_until_the_timeout():
    log = "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(... [Errno 101] Network is unreachable')': /simple/numpy/"
    f = logscan.network_finding("prepare", log, "x", timed_out=True)
    assert f.code == "MC803" and "kept trying to connect until --timeout killed it" in f.message


def test_other_failures_are_not_network():
    assert logscan.network_finding("infer", "ValueError: shapes (3,) and (4,) not aligned", "x") is None
    assert logscan.network_finding("infer", "ConnectionResetError by a local pipe", "x") is None


def test_permission_failures_are_told_apart(tmp_path):
    p = plan(tmp_path)

    def codes(log):
        return [(f.code, f.message) for f in logscan.permission_findings("infer", log, p, "x", uid=1000)]

    (code, message), = codes("OSError: [Errno 30] Read-only file system: '/mlcommons/volumes/data/cache.json'")
    assert code == "MC802" and "task infer tried to change its input data_path" in message
    (code, message), = codes("PermissionError: [Errno 13] Permission denied: '/etc/model.conf'")
    assert code == "MC804" and "/etc/model.conf" in message and "uid 1000" in message
    (code, message), = codes("PermissionError: [Errno 1] Operation not permitted: '/mlcommons/volumes/predictions/a'")
    assert code == "MC804" and "not permitted" in message
    found = logscan.permission_findings("infer", "PermissionError: [Errno 13] Permission denied: '/.cache/torch'", p, "x")
    assert [f.code for f in found] == ["MC805"] and "HOME=/tmp" in found[0].hint
    (code, message), = codes("PermissionError: [Errno 13] Permission denied: '/mlcube_project/out.csv'")
    assert code == "MC805" and "/mlcube_project/out.csv" in message and "output_path" in message
    # writable places, and a read refused on an input, are not the task's fault here
    assert codes("PermissionError: [Errno 13] Permission denied: '/mlcommons/volumes/predictions/x'") == []
    assert codes("PermissionError: [Errno 13] Permission denied: '/tmp/x'") == []
    assert codes("PermissionError: [Errno 13] Permission denied: '/mlcommons/volumes/data/a.png'") == []
    # shells and coreutils put the path first
    assert [c for c, _ in codes("touch: cannot touch '/etc/x': Permission denied")] == ["MC804"]
    assert [c for c, _ in codes("rm: cannot remove '/mlcommons/volumes/data/a': Read-only file system")] == ["MC802"]
    assert [c for c, _ in codes("mkdir: cannot create directory '/workspace': Permission denied")] == ["MC805"]
    # the local runner's read-only copies, for a non-root user
    (code, _), = codes("PermissionError: [Errno 13] Permission denied: '/tmp/medcube-local-infer-x/inputs/0/data/a'")
    assert code == "MC802"


# -- snapshots and input immutability ---------------------------------------------------------------------------------------
def test_snapshot_differences(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (root / "c.txt").write_text("c")
    before = snapshot(root)
    assert differences(before, snapshot(root)) == []
    (root / "a.txt").write_text("A")
    (root / "sub" / "b.txt").unlink()
    (root / "new.txt").write_text("n")
    os.chmod(root / "c.txt", 0o600)
    assert differences(before, snapshot(root)) == [
        "modified a.txt", "changed the permissions of c.txt (644 -> 600)", "added new.txt", "deleted sub/b.txt"]
    f = tmp_path / "p.yaml"
    f.write_text("x: 1")
    one = snapshot(f)
    f.write_text("x: 1")  # same bytes again: no change
    assert differences(one, snapshot(f)) == []


def test_input_check_names_task_label_and_change(tmp_path):
    p = plan(tmp_path)
    (tmp_path / "data" / "case1.json").write_text("[1]")
    token = inputs.take(p)
    (tmp_path / "data" / "case1.json").write_text("[2]")
    result = TaskResult("infer", "model", "m", "passed")
    (f,) = inputs.check("infer", token, result, "m/container_config.yaml")
    assert f.code == "MC801" and "task infer changed its input data_path" in f.message
    assert "modified case1.json" in f.message and f.hint
    result.input_changes = {"data_path": ["added x"]}
    assert [g.code for g in inputs.check("infer", inputs.take(p), result, "m")] == ["MC801"]


# -- determinism -------------------------------------------------------------------------------------------------------------
def test_compare_predictions(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    contract = PredictionsContract(file="predictions.json")
    (a / "predictions.json").write_text(json.dumps({"c1": [0.1, 0.9], "c2": [0.5, 0.5], "c3": "x"}))
    (b / "predictions.json").write_text(json.dumps({"c1": [0.1 + 1e-9, 0.9], "c2": [0.4, 0.6], "c3": "x"}))
    diffs, largest = determinism.compare(a, b, contract, ["c1", "c2", "c3"], 1e-5)
    assert diffs == ["c2: differs by up to 0.1"] and largest == pytest.approx(0.1)
    assert determinism.compare(a, b, contract, [], 0.5)[0] == []
    (b / "predictions.json").write_text(json.dumps({"c1": [0.1, 0.9, 0.0], "c3": "y"}))
    diffs, _ = determinism.compare(a, b, contract, [], 1e-5)
    assert diffs == ["c1: shape [2] then [3]", "c2: only in the first run", "c3: 'x' then 'y'"]
    (b / "predictions.json").write_text("{broken")  # unreadable: compared byte for byte
    assert determinism.compare(a, b, contract, [], 1e-5)[0] == ["predictions.json: differs"]


def test_compare_per_record_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, v in ((a, 0.25), (b, 0.75)):
        d.mkdir()
        (d / "c1.json").write_text(json.dumps([v]))
    diffs, _ = determinism.compare(a, b, PredictionsContract(file="{id}.json"), ["c1"], 1e-5)
    assert diffs == ["c1: differs by up to 0.5"]


# -- fault injection ---------------------------------------------------------------------------------------------------------
def prepared(tmp_path, suffix="json"):
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir()
    labels.mkdir()
    for i in (1, 2):
        (data / f"case{i}.{suffix}").write_text(json.dumps([0.1 * i, 0.2, 0.3, 0.4]))
        (labels / f"case{i}.json").write_text(str(i % 2))
    return data, labels


def test_faults_on_json_records(tmp_path):
    data, labels = prepared(tmp_path)
    assert faults.inject("blank", data, labels, "*.json") == "data/case1.json set to zeros"
    assert json.loads((data / "case1.json").read_text()) == [0.0, 0.0, 0.0, 0.0]
    assert faults.inject("wrong_shape", data, labels, "*.json") == "data/case1.json: shape [4] -> [2]"
    assert faults.inject("missing_label", data, labels, "*.json") == "labels/case1.json removed"
    assert sorted(p.name for p in labels.iterdir()) == ["case2.json"]
    assert faults.inject("extra_file", data, labels, "*.json") == f"data/{faults.EXTRA_FILE} added"


def test_faults_on_npy_and_png_records(tmp_path):
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir()
    labels.mkdir()
    np.save(data / "r1.npy", np.full((8, 6), 7, dtype=np.uint8))
    (labels / "labels.csv").write_text("id,label\nr1,1\nr2,0\n")
    assert faults.inject("blank", data, labels, "*.npy") == "data/r1.npy set to zeros"
    assert not np.load(data / "r1.npy").any() and np.load(data / "r1.npy").dtype == np.uint8
    assert faults.inject("wrong_shape", data, labels, "*.npy") == "data/r1.npy: shape [8, 6] -> [8, 3]"
    assert faults.inject("missing_label", data, labels, "*.npy") == "the row of r1 removed from labels/labels.csv"
    assert (labels / "labels.csv").read_text() == "id,label\nr2,0\n"
    Image.new("L", (10, 4), 200).save(data / "r2.png")
    (data / "r1.npy").unlink()
    assert faults.inject("blank", data, labels, "*.png") == "data/r2.png a black 10x4 image"
    assert Image.open(data / "r2.png").getextrema() == (0, 0)
    assert faults.inject("wrong_shape", data, labels, "*.png") == "data/r2.png: 10x4 -> 5x4 pixels"


def test_faults_that_cannot_be_made_say_why(tmp_path):
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir()
    (data / "scan.nii.gz").write_bytes(b"\x00")
    with pytest.raises(faults.Unsupported, match="cannot blank a .gz file"):
        faults.inject("blank", data, labels, "*.nii.gz")
    with pytest.raises(faults.Unsupported, match="no labels folder"):
        faults.inject("missing_label", data, labels, "*.nii.gz")


# -- GPU ---------------------------------------------------------------------------------------------------------------------
def test_gpu_check_reading():
    seen = {"frameworks": {"torch": {"version": "2.3.0", "cuda": "12.1", "gpus": 1, "names": ["NVIDIA H100"]}}}
    findings, line = gpu.interpret(seen, "img", "all", "x")
    assert findings == [] and line == "torch sees 1 GPU (NVIDIA H100)"
    cpu = {"frameworks": {"torch": {"version": "1.13.0", "cuda": None, "gpus": 0, "names": []}}}
    (f,), _ = gpu.interpret(cpu, "img", "all", "x")
    assert f.code == "MC809" and f.is_error and "CPU-only build" in f.message and "--gpus all" in f.message
    (f,), _ = gpu.interpret({"frameworks": {}, "nvidia_smi": "GPU 0: NVIDIA A100"}, "img", "1", "x")
    assert f.code == "MC810" and not f.is_error and "A100" in f.message
    (f,), _ = gpu.interpret(gpu.parse("no python here"), "img", "1", "x")
    assert f.code == "MC810"
    assert gpu.parse('x\nMEDCUBE_GPU_CHECK {"frameworks": {}}\n') == {"frameworks": {}}


@pytest.mark.docker
def test_gpu_check_runs_in_a_real_image(docker_client, base_image, tmp_path, engine):
    """There is no GPU on this machine: this runs the check script in a real image without a GPU request and checks
    that it reads torch there and that its answer turns into MC809 'sees no GPU'. The other half, a framework that
    sees a GPU, needs a machine with a GPU and nvidia-container-toolkit and is not tested here (the reading of such
    an answer is, in test_gpu_check_reading)."""
    from validator.engine.tasks.docker import DockerRunner

    runner = DockerRunner(engine, Limits.from_options(timeout=60, memory="1g"), run_id="probe-gpu-test")
    p = RunPlan(task="gpu_check", image=base_image, args=[], entrypoint=["python3", "-c", gpu.SCRIPT], mounts=[])

    class Cube:
        role, path, config_file = "model", tmp_path, tmp_path / "container_config.yaml"

        def rel(self, x):
            return str(x)

    result = runner.run(Cube(), p, tmp_path / "gpu.log")
    assert result.status == "passed", result.log_tail
    check = gpu.parse((tmp_path / "gpu.log").read_text())
    assert check["frameworks"]["torch"]["gpus"] == 0 and check["frameworks"]["torch"]["version"]
    (f,), _ = gpu.interpret(check, base_image, "all", "x")
    assert f.code == "MC809"
    assert docker_client.containers.list(all=True, filters={"label": "org.medcube.run=probe-gpu-test"}) == []


# -- the capped log ----------------------------------------------------------------------------------------------------------
def test_capped_log_keeps_the_start_and_the_end(tmp_path):
    log = CappedLog(tmp_path / "t.log", limit=1000, memory_cap=300)
    for i in range(200):
        log.write(f"line {i:04d}\n".encode())
    log.close()
    text = (tmp_path / "t.log").read_text()
    assert log.truncated and log.total == 2000 and log.written == 1000
    assert text.startswith("line 0000\n") and text.rstrip().endswith("line 0199")
    assert "[medcube: log cut at 1000 B (--log-limit): the task wrote 2.0 KiB in all" in text
    assert len(text) < 1000 + 300 + 200
    assert log.text().endswith("line 0199\n") and len(log.text()) <= 300
    small = CappedLog(tmp_path / "s.log", limit=1000)
    small.write(b"hello\n")
    small.close()
    assert not small.truncated and (tmp_path / "s.log").read_text() == "hello\n"


def test_log_limit_option():
    assert Limits().log_limit == 50 * 1024**2
    assert Limits.from_options(log_limit="1m").log_limit == 1024**2
    assert Limits.from_options(log_limit="none").log_limit is None
    with pytest.raises(UserError, match="--log-limit"):
        Limits.from_options(log_limit="lots")


# -- probes in the chain and the reports -------------------------------------------------------------------------------------
def console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def test_probes_in_the_reports(tmp_path):
    from validator.findings import warning

    report = RunReport(benchmark="b", runner="local", run_dir=tmp_path)
    report.tasks = [TaskResult("infer", "model", "model", "passed", seconds=0.1)]
    report.probes = [ProbeResult("determinism", "warning", "1 of 2 records differ", 0.5, 1,
                                 [warning("MC806", "m", "infer gave different predictions")]),
                     ProbeResult("faults", "skipped", "prepare did not pass")]
    data = json_report.report_dict(report)
    assert [p["name"] for p in data["probes"]] == ["determinism", "faults"] and report.ok
    suite = ET.fromstring(junit.junit_xml(report).split("\n", 1)[1])
    assert [c.get("name") for c in suite.iter("testcase")] == ["infer", "determinism", "faults"]
    assert suite.get("tests") == "3" and suite.get("skipped") == "1" and suite.get("failures") == "0"
    out = console()
    text_report.print_run_report(report, out)
    text = " ".join(out.export_text().split())
    assert "MC806 infer gave different predictions" in text and "1/1 tasks passed, warnings from determinism in" in text


def test_probes_run_only_on_the_cubes_under_test(bench, tmp_path):
    """`medcube test --model X`: the benchmark's own preparator is not probed (its sanity_check is weak)."""
    out = console()
    rc = testing.run_test(bench, cubes={"model": bench / "model"}, files=ReportFiles(json=tmp_path / "r.json"),
                              options=RunOptions(runner="local", run_dir=tmp_path / "run", console=out,
                                                 probes=ProbeOptions()))
    probes = {p["name"]: p for p in json.loads((tmp_path / "r.json").read_text())["probes"]}
    assert rc == 0, out.export_text()
    assert probes["faults"]["status"] == "skipped" and "not under test" in probes["faults"]["message"]
    assert probes["determinism"]["status"] == "passed" and probes["rerun"]["message"] == "ran again: infer"
    assert not (tmp_path / "run" / "probes").exists()  # scratch copies removed


def test_a_probe_that_breaks_is_an_error_and_the_run_goes_on(bench, tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faults, "inject", broken)
    out = console()
    rc = testing.run_test(bench, files=ReportFiles(json=tmp_path / "r.json"),
                              options=RunOptions(runner="local", run_dir=tmp_path / "run", console=out,
                                                 probes=probe_options(no_probe=["rerun", "determinism"])))
    probes = {p["name"]: p for p in json.loads((tmp_path / "r.json").read_text())["probes"]}
    assert rc == 1  # a probe that cannot finish proves nothing: the run does not pass
    assert probes["faults"]["status"] == "failed"
    assert probes["faults"]["findings"][0]["code"] == "MC810" and "disk full" in probes["faults"]["findings"][0]["message"]
