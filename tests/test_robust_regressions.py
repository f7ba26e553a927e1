"""The four inputs that used to end medcube in a traceback or reach the terminal raw, each now a finding or an
escape: a recursive YAML alias in a cube's results file, control characters in a cube's folder name (progress line
and every output format), a NUL byte or an over-long path in a config, and files that are not UTF-8.

`medcube test` runs here with the local runner (the tiny benchmark's cubes are medcube's own test cubes), so no
engine is needed; what is checked is medcube's reading and printing, which the runner does not change."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from validator.chain.outputs import read_results
from validator.cli import app
from validator.manifest.yamlread import NotUtf8Error, YamlSyntaxError, load_data

ENGINE = Path(__file__).parent / "fixtures" / "engine"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args])
    # a traceback would be an exception other than the SystemExit every command ends with
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    dest = tmp_path / "bench"
    shutil.copytree(ENGINE, dest)
    return dest


# 1. a recursive alias ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["AUC: &a {x: *a}\n", "a: &a [1, *a]\n", "a: &a {<<: *a}\n",
                                  "a: &a {b: {c: [*a]}}\n"])
def test_recursive_alias_is_a_yaml_error(text):
    with pytest.raises(YamlSyntaxError, match="recursive alias"):
        load_data(text)


def test_alias_to_a_closed_collection_still_reads():
    assert load_data("x: &a {b: 1}\ny: *a\nz: {<<: *a, c: 2}\n") == {"x": {"b": 1}, "y": {"b": 1},
                                                                     "z": {"b": 1, "c": 2}}


def test_results_file_with_recursive_alias_is_a_finding(tmp_path):
    results = tmp_path / "results.yaml"
    results.write_text("AUC: &a {x: *a}\n")
    assert read_results(results) is None  # unreadable results are no results, never an exception


def test_medcube_test_reports_a_recursive_alias_in_results(tiny, tmp_path):
    script = tiny / "metrics" / "mlcube.py"
    script.write_text(script.read_text() + "open(a.output_path, 'w').write('AUC: &a {x: *a}\\n')\n")
    result = run("test", tiny / "benchmark.yaml", "--runner", "local", "--no-probes", "--run-dir", tmp_path / "run",
                 "--report", tmp_path / "r.json")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    evaluate = [t for t in report["tasks"] if t["task"] == "evaluate"][0]
    assert any("recursive alias" in f["message"] for f in evaluate["findings"]), evaluate["findings"]


# 2. control characters in a cube's folder name -----------------------------------------------------------------

HOSTILE_NAME = "mo\x1b[31mdel\x07\u202e[bold]x"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gnu"])
def test_folder_name_is_escaped_in_progress_and_every_format(tiny, tmp_path, fmt):
    (tiny / "model").rename(tiny / HOSTILE_NAME)
    bench = tiny / "benchmark.yaml"
    bench.write_text(bench.read_text().replace("model: model", 'model: "mo\\e[31mdel\\a\\u202e[bold]x"'))
    out = tmp_path / "out"
    result = run("test", bench, "--runner", "local", "--no-probes", "--run-dir", tmp_path / "run", "--format", fmt,
                 "--report", out / "r.json", "--junit", out / "j.xml", "--html", out / "r.html")
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.output), repr(result.output)
    if fmt == "text":  # the live progress line (a log, not a terminal: one line a task start)
        assert "start infer (mo\\x1b[31mdel\\x07\\u202e[bold]x)" in result.output
    for name in ("r.json", "j.xml", "r.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "del" in text, name  # the folder is named there (JSON writes \u001b, the others \x1b)
        assert not RAW_CONTROL.search(text), name


# 3. a NUL byte, an over-long path ---------------------------------------------------------------------------------

def _set(cube: Path, old: str, new: str, config: str = "mlcube/mlcube.yaml") -> None:
    path = cube / config
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("cube, old, new, config, expected", [
    ("model", "build_context: ../project", 'build_context: "../pro\\0ject"', "mlcube/mlcube.yaml",
     "docker.build_context holds a NUL byte"),
    ("model", "default: predictions/", 'default: "pred\\0ictions/"', "mlcube/mlcube.yaml",
     "tasks.infer.parameters.outputs.output_path.default holds a NUL byte"),
    ("prep", "mount_path: /mlcommons/volumes/raw_data,", 'mount_path: "/mlcommons/volumes/raw\\0data",',
     "container_config.yaml", "tasks.prepare.input_volumes.data_path.mount_path holds a NUL byte"),
    ("model", "build_context: ../project", "build_context: " + "a" * 5000, "mlcube/mlcube.yaml",
     "docker.build_context is 5000 bytes long, longer than a path can be"),
    ("model", "build_context: ../project", "build_context: ../" + "b" * 300, "mlcube/mlcube.yaml",
     "holds a name of 300 bytes, longer than a file name can be"),
])
def test_unusable_path_values_are_findings(tiny, cube, old, new, config, expected):
    _set(tiny / cube, old, new, config)
    result = run("validate", "--static", "--format", "json", tiny / cube)
    assert result.exit_code == 1
    findings = json.loads(result.output)["cubes"][0]["findings"]
    match = [f for f in findings if expected in f["message"]]
    assert match and match[0]["code"] == "MC103" and match[0]["line"] is not None, findings


@pytest.mark.parametrize("old, new", [
    ("build_context: ../project", "build_context: [" + "a" * 300 + "]"),  # found by the long fuzz run
    ("build_context: ../project", "build_context: [" + ", ".join(c * 100 for c in "abc") + "]"),
    ("build_file: Dockerfile", "build_file: {" + "d" * 300 + ": x}"),
    ("default: parameters.yaml", "default: {" + "p" * 300 + ": null}"),  # found by the second long run
    ("default: parameters.yaml", "default: [" + "p" * 300 + "]"),
], ids=["list-of-a-long-name", "list-of-three-names", "mapping", "volume-default-mapping", "volume-default-list"])
def test_a_path_value_that_is_no_string_is_a_schema_error_not_a_path(tiny, old, new):
    """docker.build_context / build_file or a volume's default given as a list or a mapping: the schema says so
    (MC1xx); the cube's model never takes the value's text as a path (its text can be longer than a name may be:
    an OSError before)."""
    _set(tiny / "model", old, new)
    result = run("validate", "--static", "--format", "json", tiny / "model")
    assert result.exit_code == 1, result.output
    findings = json.loads(result.output)["cubes"][0]["findings"]
    key = old.split(":")[0]
    assert [f for f in findings if f["code"].startswith("MC1") and key in f["message"]], findings


def test_nul_in_build_context_stops_medcube_test_before_building(tiny, tmp_path):
    _set(tiny / "model", "build_context: ../project", 'build_context: "../pro\\0ject"')
    result = run("test", tiny / "benchmark.yaml", "--runner", "local", "--run-dir", tmp_path / "run")
    assert result.exit_code == 1
    assert "NUL byte" in result.output


# 4. not UTF-8 ------------------------------------------------------------------------------------------------------

def test_non_utf8_yaml_is_said_so(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    from validator.manifest.yamlread import read
    with pytest.raises(NotUtf8Error) as e:
        read(path)
    assert e.value.described() == "not UTF-8: invalid continuation byte at byte 11 (line 2)"
    assert e.value.line == 2


@pytest.mark.parametrize("cube, file, code", [
    ("model", "mlcube/mlcube.yaml", "MC001"),
    ("prep", "container_config.yaml", "MC001"),
    ("prep", "workspace/parameters.yaml", "MC001"),
    ("prep", "mlcube.py", "MC401"),
])
def test_non_utf8_config_or_script_is_not_a_syntax_error(tiny, cube, file, code):
    path = tiny / cube / file
    raw = path.read_bytes()
    path.write_bytes(raw + b"# caf\xe9\n")
    result = run("validate", "--static", "--format", "json", tiny / cube)
    assert result.exit_code == 1
    findings = json.loads(result.output)["cubes"][0]["findings"]
    match = [f for f in findings if "not UTF-8" in f["message"]]
    assert match, findings
    f = match[0]
    assert f["code"] == code
    assert f"at byte {len(raw) + 5}" in f["message"]
    assert f["line"] == raw.count(b"\n") + 1
    assert "syntax" not in f["message"].lower() and "syntax" not in f["hint"].lower()


def test_script_with_a_declared_encoding_is_read(tiny):
    path = tiny / "prep" / "mlcube.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n" + path.read_bytes() + b"# caf\xe9\n")
    result = run("validate", "--static", "--format", "json", tiny / "prep")
    findings = json.loads(result.output)["cubes"][0]["findings"]
    assert not [f for f in findings if f["code"] == "MC401"], findings


# found by the property-based tests (tests/test_fuzz.py) ---------------------------------------------------------

@pytest.mark.parametrize("extra", [
    [(".", "file")],                              # a file standing for the archive's root: IsADirectoryError
    [("data", "file")],                           # a file where a folder is
    [("notes", "file"), ("notes/a.txt", "file")],  # a member inside a file
])
def test_demo_tarball_member_shapes_are_refused(tmp_path, extra):
    import hashlib
    import io
    import tarfile

    from validator.chain.demo_data import load_demo_data
    from validator.errors import UserError

    tarball = tmp_path / "demo.tar"
    with tarfile.open(tarball, "w") as tar:
        for name, kind in [("data", "dir"), ("labels", "dir"), ("paths.yaml", "paths"), *extra]:
            info = tarfile.TarInfo(name)
            data = b"data_path: data\nlabels_path: labels\n" if kind == "paths" else b"x"
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    with pytest.raises(UserError, match="refusing to extract: member"):
        load_demo_data(tarball, digest, extract_to=tmp_path / "out" / "demo")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no staging folder left


@pytest.mark.parametrize("argv", [["validate", "--static", "a" * 300], ["test", "a" * 300],
                                  ["validate", "--static", "b/" * 2100]])
def test_a_path_argument_longer_than_the_system_takes_is_a_usage_error(argv):
    """Found by the long run of the property-based tests: OSError 'File name too long' reached the user."""
    result = run(*argv)
    assert result.exit_code == 2, result.output
    assert "longer than" in result.output
