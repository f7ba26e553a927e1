"""benchmark.yaml -> Benchmark, with errors naming file and line; demo data folders and tarballs, safely."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from validator.archive import write_deterministic
from validator.chain.benchmark import load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.errors import UserError

FIXTURES = Path(__file__).parent / "fixtures" / "engine"


def write(bench: Path, text: str) -> Path:
    (bench / "benchmark.yaml").write_text(text)
    return bench / "benchmark.yaml"


GOOD = """\
name: tiny
data_preparator: prep
model: model
metrics: metrics
demo_data: demo_data
"""


def test_loads_the_fixture_profile():
    b = load_benchmark(FIXTURES)  # a folder holding benchmark.yaml works too
    assert b.name == "tiny" and b.cubes["model"] == (FIXTURES / "model").resolve()
    assert b.demo_data == (FIXTURES / "demo_data").resolve() and b.demo_sha256 is None
    assert b.contracts.statistics_keys == ["num_cases", "labels_count"]
    assert b.contracts.predictions.shape == (2,) and b.contracts.predictions.range == (0.0, 1.0)
    assert b.contracts.predictions.records == "*.json" and b.contracts.results_keys == ["Accuracy"]


def test_minimal_profile_has_default_contracts(bench):
    b = load_benchmark(write(bench, GOOD))
    assert b.contracts.statistics_keys == [] and b.contracts.predictions.file == "predictions.json"
    assert b.contracts.predictions.shape is None


@pytest.mark.parametrize("text,line,words", [
    (GOOD + "metrix: metrics\n", 6, "unknown key 'metrix' in the benchmark profile"),
    (GOOD.replace("model: model\n", ""), 1, "has no 'model'"),
    (GOOD.replace("model: model", "model: nowhere"), 3, "model: cube folder 'nowhere' not found"),
    (GOOD.replace("demo_data: demo_data", "demo_data: {path: demo_data, sha: 12}"), 5, "unknown key 'sha'"),
    (GOOD.replace("demo_data: demo_data", "demo_data: {path: d.tar.gz, sha256: 12}"), 5, "64 hexadecimal"),
    (GOOD + "contracts:\n  predictions: {length: -2}\n", 7, "positive integer"),
    (GOOD + "contracts:\n  predictions:\n    range: [1, 0]\n", 8, "low <= high"),
    (GOOD + "contracts:\n  results: {required: [AUC]}\n", 7, "unknown key 'required' in contracts.results"),
    (GOOD + "contracts:\n  results: {required_keys: AUC}\n", 7, "must be a list of names"),
    (GOOD + "name: other\n", 6, "given twice"),
    ("name: [unclosed\n", 2, "YAML syntax error"),
])
def test_mistakes_name_file_and_line(bench, text, line, words):
    file = write(bench, text)
    with pytest.raises(UserError) as e:
        load_benchmark(file)
    assert words in e.value.message
    assert e.value.file == str(file) and e.value.line == line


def test_did_you_mean(bench):
    with pytest.raises(UserError) as e:
        load_benchmark(write(bench, GOOD + "contracts:\n  predicitons: {}\n"))
    assert e.value.hint == "did you mean 'predictions'?"


def test_missing_profile(tmp_path):
    with pytest.raises(UserError, match="no benchmark profile"):
        load_benchmark(tmp_path)


# -- demo data ------------------------------------------------------------------------------------------------------
def test_demo_folder():
    demo = load_demo_data(FIXTURES / "demo_data")
    assert demo.data_path == (FIXTURES / "demo_data" / "images").resolve()
    assert demo.labels_path.name == "labels" and demo.sha256 is None


def test_demo_tarball_is_checked_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = tmp_path / "demo.tar.gz"
    digest = write_deterministic(tarball, [(p.name, p) for p in (FIXTURES / "demo_data").iterdir()])
    demo = load_demo_data(tarball, digest)
    assert demo.root == tmp_path / "cache" / "demo_data" / digest
    assert sorted(p.name for p in demo.data_path.iterdir()) == [f"case{i}.txt" for i in range(1, 5)]
    assert (demo.data_path / "case1.txt").stat().st_mode & 0o004  # readable by the unprivileged task user
    again = load_demo_data(tarball)  # cached: not extracted twice
    assert again.root == demo.root
    with pytest.raises(UserError, match="does not match its sha256"):
        load_demo_data(tarball, "0" * 64)


def _tar(path: Path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name, kind, target=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize("member,words", [
    (_file("/etc/evil"), "absolute"),
    (_file("../evil"), ".."),
    (_special("images/link", tarfile.SYMTYPE, "../../etc/passwd"), "link pointing out"),
    (_special("images/abs", tarfile.SYMTYPE, "/etc/passwd"), "link pointing out"),
    (_special("dev", tarfile.CHRTYPE), "device"),
    (_special("fifo", tarfile.FIFOTYPE), "FIFO"),
])
def test_unsafe_tarballs_are_refused_naming_the_member(tmp_path, member, words, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = _tar(tmp_path / "demo.tar.gz", [_file("paths.yaml", b"data_path: images\nlabels_path: labels\n"),
                                               member])
    with pytest.raises(UserError) as e:
        load_demo_data(tarball)
    assert words in e.value.message and repr(member[0].name).strip("'") in e.value.message
    assert not (tmp_path / "cache" / "demo_data").exists() or not any((tmp_path / "cache" / "demo_data").iterdir())


def test_paths_yaml_problems(tmp_path):
    root = tmp_path / "demo"
    (root / "images").mkdir(parents=True)
    with pytest.raises(UserError, match="no paths.yaml"):
        load_demo_data(root)
    (root / "paths.yaml").write_text("data_path: images\nlabels_path: ../../etc\n")
    with pytest.raises(UserError, match="points outside the demo data folder"):
        load_demo_data(root)
    (root / "paths.yaml").write_text("data_path: images\n")
    with pytest.raises(UserError, match="has no labels_path"):
        load_demo_data(root)
    tarball = _tar(tmp_path / "nopaths.tar.gz", [_file("images/a.txt")])
    with pytest.raises(UserError, match="no paths.yaml at its root"):
        load_demo_data(tarball, extract_to=tmp_path / "x")
