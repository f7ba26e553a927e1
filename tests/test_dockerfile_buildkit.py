"""The Dockerfile reader against BuildKit's own grammar (the `dockerfile` package wraps BuildKit's Go parser), and
what medcube takes from a Dockerfile: heredocs, tabs, directives, ARG/ENV substitution, the final stage."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from validator.manifest import dockerfile

buildkit = pytest.importorskip("dockerfile", reason="pip install dockerfile (a test extra of medcube)")

CORPUS = {
    "heredocs": """\
        # syntax=docker/dockerfile:1.4
        FROM debian:bookworm-slim
        RUN <<EOF
        set -e
        echo one
        EOF
        RUN <<-"SCRIPT" bash
        \techo tab-stripped
        \tSCRIPT
        COPY <<CONF /etc/app.conf
        key=value
        CONF
        RUN cat <<A && cat <<B
        a
        A
        b
        B
        ENTRYPOINT ["python3", "/app/mlcube.py"]
        """,
    "tabs_and_case": "FROM\tpython:3.11-slim\nworkdir\t/app\nCOPY\t. .\nEntryPoint\t[\"python3\", \"main.py\"]\nCMD\tinfer\n",
    "continuations": """\
        FROM python:3.11-slim
        RUN apt-get update && \\
            # a comment inside
            apt-get install -y curl \\

            && rm -rf /var/lib/apt/lists/*
        ENV A=1 \\
            B="two words"
        CMD ["python3", \\
             "main.py"]
        """,
    "escape_directive": "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir `\n    c:\\\\\nCOPY . C:\\\\app\n",
    "multistage": """\
        ARG BASE=python:3.11-slim
        FROM ${BASE} AS build
        RUN --mount=type=cache,target=/root/.cache/pip pip wheel -w /wheels numpy
        ENTRYPOINT ["false"]
        FROM build AS test
        RUN true
        FROM ${BASE}
        COPY --from=build /wheels /wheels
        ENTRYPOINT ["python3", "/app/mlcube.py"]
        """,
}


def parse(text: str) -> dockerfile.Dockerfile:
    return dockerfile.parse(textwrap.dedent(text), Path("Dockerfile"))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_instructions_lines_and_heredocs_match_buildkit(name):
    text = textwrap.dedent(CORPUS[name])
    ours = dockerfile.parse(text, Path("Dockerfile"))
    theirs = buildkit.parse_string(text)
    assert [(i.cmd, i.line, i.end_line) for i in ours.instructions] == [
        (c.cmd.upper(), c.start_line, c.end_line) for c in theirs
    ]
    for i, c in zip(ours.instructions, theirs, strict=True):
        assert [(h.name, h.content) for h in i.heredocs] == [(h.name, h.content) for h in c.heredocs]
        if c.json:
            assert i.exec_form() == list(c.value)
        elif i.cmd in ("RUN", "CMD", "ENTRYPOINT") and not c.heredocs:
            assert i.value.split() == " ".join(c.flags + c.value).split()


def test_heredoc_bodies_are_not_instructions_and_copy_heredoc_is_not_a_context_file():
    df = parse(CORPUS["heredocs"])
    assert [i.cmd for i in df.instructions] == ["FROM", "RUN", "RUN", "COPY", "RUN", "ENTRYPOINT"]
    assert df.directives == {"syntax": "docker/dockerfile:1.4"}
    assert df.all("RUN")[1].heredocs[0].text == "echo tab-stripped\n"
    assert df.copies() == []
    assert df.entrypoint == ["python3", "/app/mlcube.py"]


def test_final_stage_decides_entrypoint_copies_and_user():
    df = parse("""\
        FROM python:3.11 AS build
        USER root
        COPY requirements.txt /build/
        ENTRYPOINT ["false"]
        FROM python:3.11-slim
        COPY --from=build /build /build
        COPY project /app
        ENTRYPOINT ["python3", "/app/mlcube.py"]
        """)
    assert [s.name for s in df.stages] == ["build", None]
    assert df.entrypoint == ["python3", "/app/mlcube.py"]
    assert [(src, dest) for src, dest, _ in df.copies()] == [(["project"], "/app")]
    assert df.last("USER") is None  # USER root is the build stage's, not the image's


def test_a_stage_built_from_another_inherits_its_entrypoint_workdir_and_env():
    df = parse("""\
        FROM python:3.11-slim AS base
        ENV APP=/srv/app
        WORKDIR $APP
        COPY . .
        ENTRYPOINT ["python3", "mlcube.py"]
        FROM base
        RUN true
        """)
    assert df.entrypoint == ["python3", "mlcube.py"]
    assert df.workdir_at(10**9) == "/srv/app"
    assert df.env() == {"APP": "/srv/app"}
    assert [(src, dest) for src, dest, _ in df.copies()] == [(["."], ".")]


def test_arg_and_env_substitution_where_buildkit_substitutes(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mlcube.py").write_text("")
    df = parse("""\
        ARG BASE_IMAGE=python:3.11-slim
        ARG DIR=/opt
        FROM ${BASE_IMAGE}
        ARG DIR
        ARG SUB=${DIR}/app
        ENV HOME_DIR=${SUB:-/nowhere} EMPTY=
        WORKDIR ${HOME_DIR}
        COPY ${SRC:-src} ${EMPTY:+/unused}./
        RUN echo ${HOME_DIR} \\$HOME
        ENTRYPOINT ["python3", "${HOME_DIR}/mlcube.py"]
        """)
    assert df.stages[0].base == "python:3.11-slim"
    assert df.workdir_at(10**9) == "/opt/app"
    assert [(src, dest) for src, dest, _ in df.copies()] == [(["src"], "./")]
    assert df.host_path("/opt/app/mlcube.py", tmp_path) == (tmp_path / "src" / "mlcube.py").resolve()
    run = df.last("RUN")
    assert df.expanded(run) == run.value  # RUN is expanded by the shell, not by the builder
    assert df.entrypoint == ["python3", "${HOME_DIR}/mlcube.py"]  # exec form: no substitution at all
    assert df.variables_at(df.last("WORKDIR"), {"DIR": "/x"})["HOME_DIR"] == "/x/app"  # a build arg wins
    assert "SRC" not in df.variables_at(df.last("COPY"), {"SRC": "other"})  # only declared ARGs take build args


def test_args_do_not_cross_stages_but_globals_need_redeclaring():
    df = parse("""\
        ARG V=global
        FROM x:1 AS a
        ARG L=local
        WORKDIR /$V$L
        FROM a
        WORKDIR w$L
        ARG V
        WORKDIR $V
        """)
    workdirs = [df.expanded(i) for i in df.all("WORKDIR")]
    assert workdirs == ["/local", "w", "global"]


@pytest.mark.parametrize("expr, expected", [
    ("$A", "1"), ("${A}", "1"), ("${NOPE}", ""), ("${NOPE:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""),
    ("${A:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${NOPE+alt}", ""), ("\\$A", "$A"),
    ("a${A}b$A-c", "a1b1-c"),
])
def test_expand(expr, expected):
    assert dockerfile.expand(expr, {"A": "1", "EMPTY": ""}) == expected
