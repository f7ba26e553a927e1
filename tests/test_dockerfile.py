"""validator.manifest.dockerfile: instructions with lines, continuations, exec/shell form, ARG defaults, COPY mapping."""

from __future__ import annotations

import textwrap
from pathlib import Path

from validator.manifest import dockerfile


def parse(text: str) -> dockerfile.Dockerfile:
    return dockerfile.parse(textwrap.dedent(text).lstrip("\n"), Path("Dockerfile"))


def test_instructions_keep_the_line_of_their_keyword():
    df = parse("""
        # syntax=docker/dockerfile:1
        ARG BASE_IMAGE=python:3.11-slim

        FROM ${BASE_IMAGE}
        run pip install \\
            numpy \\
            # a comment inside a continuation is dropped
            pyyaml
        COPY . /mlcube_project
    """)
    assert [(i.cmd, i.line) for i in df.instructions] == [("ARG", 2), ("FROM", 4), ("RUN", 5), ("COPY", 9)]
    run = df.last("RUN")
    assert run.value.split() == ["pip", "install", "numpy", "pyyaml"]
    assert "comment" not in run.value


def test_trailing_continuation_at_end_of_file():
    df = parse("FROM python:3.11\nCMD python3 \\\n")
    assert df.last("CMD").line == 2 and df.last("CMD").value.strip() == "python3"


def test_exec_and_shell_form():
    df = parse("""
        FROM python:3.11-slim
        ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]
        CMD python3 main.py --start=prepare
    """)
    assert df.entrypoint == ["python3", "/mlcube_project/mlcube.py"]
    assert df.cmd == ["/bin/sh", "-c", "python3 main.py --start=prepare"]
    assert df.last("ENTRYPOINT").exec_form() == ["python3", "/mlcube_project/mlcube.py"]
    assert df.last("CMD").exec_form() is None


def test_broken_json_is_shell_form():
    df = parse('FROM x:1\nENTRYPOINT ["python3", "/a.py"\n')
    assert df.entrypoint[:2] == ["/bin/sh", "-c"]


def test_last_entrypoint_wins_and_missing_is_none():
    df = parse('FROM x:1\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n')
    assert df.entrypoint == ["b"] and df.cmd is None
    assert parse("FROM x:1\n").entrypoint is None


def test_arg_defaults():
    df = parse("""
        ARG BASE_IMAGE="python:3.11-slim"
        ARG UID
        ARG TAG = 1.0
        FROM ${BASE_IMAGE}
        ARG LATE='x'
    """)
    assert df.arg_defaults() == {"BASE_IMAGE": "python:3.11-slim", "UID": "", "TAG": "1.0", "LATE": "x"}


def test_copies_skip_flags_and_other_stages():
    df = parse("""
        FROM python:3.11 AS build
        FROM python:3.11-slim
        COPY --chown=1000:1000 requirements.txt setup.cfg /app/
        COPY --from=build /wheels /wheels
        ADD ["data dir", "/data"]
        COPY only-one-arg
    """)
    copies = [(src, dest) for src, dest, _ in df.copies()]
    assert copies == [(["requirements.txt", "setup.cfg"], "/app/"), (["data dir"], "/data")]


def test_workdir_accumulates():
    df = parse("""
        FROM python:3.11-slim
        WORKDIR /opt
        WORKDIR app
        COPY . .
        WORKDIR /srv
    """)
    assert df.workdir_at(1) == "/"
    assert df.workdir_at(4) == "/opt/app"
    assert df.workdir_at(10**9) == "/srv"


def test_host_path_maps_image_paths_to_the_build_context(tmp_path):
    ctx = tmp_path / "ctx"
    (ctx / "project").mkdir(parents=True)
    (ctx / "project" / "main.py").write_text("print()\n")
    (ctx / "requirements.txt").write_text("")
    (ctx / "run.sh").write_text("")
    df = parse("""
        FROM python:3.11-slim
        COPY requirements.txt /project/requirements.txt
        COPY project /project
        WORKDIR /srv
        COPY run.sh ./bin/
        COPY run.sh entry.sh
    """)
    assert df.host_path("/project/main.py", ctx) == (ctx / "project" / "main.py").resolve()
    assert df.host_path("/project/missing.py", ctx) == (ctx / "project" / "missing.py").resolve()
    assert df.host_path("/project/requirements.txt", ctx) == (ctx / "project" / "requirements.txt").resolve()
    assert df.host_path("/srv/bin/run.sh", ctx) == (ctx / "run.sh").resolve()
    assert df.host_path("/srv/entry.sh", ctx) == (ctx / "run.sh").resolve()
    assert df.host_path("/usr/lib/python3/x.py", ctx) is None  # not copied: from the base image


def test_copy_dot_maps_the_whole_context(tmp_path):
    (tmp_path / "mlcube.py").write_text("")
    df = parse('FROM python:3.11-slim\nCOPY . /mlcube_project\nENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]\n')
    assert df.host_path("/mlcube_project/mlcube.py", tmp_path) == (tmp_path / "mlcube.py").resolve()
    assert df.host_path("/mlcube_project", tmp_path) == tmp_path.resolve()


def test_copy_into_the_workdir(tmp_path):
    (tmp_path / "main.py").write_text("")
    df = parse('FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCOPY main.py ./entry/\nENTRYPOINT ["python3", "main.py"]\n')
    assert df.host_path("/app/main.py", tmp_path) == (tmp_path / "main.py").resolve()
    assert df.host_path("/app/./main.py", tmp_path) == (tmp_path / "main.py").resolve()
    assert df.host_path("/app/entry/main.py", tmp_path) == (tmp_path / "main.py").resolve()


def test_read_tolerates_bad_bytes(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_bytes(b"FROM python:3.11\nLABEL x=\xff\n")
    df = dockerfile.read(f)
    assert [i.cmd for i in df.instructions] == ["FROM", "LABEL"] and df.path == f
