"""Dockerfile lines that break a cube (checks/dockerfile_lines.py) and the MC414 fix's path, on copies of the valid
fixtures (the corpus in static_cubes.py has one broken cube per code; these check what the messages and fixes say)."""

from __future__ import annotations

from static_cubes import edited_copy, run_relative


def _findings(cube, code):
    report, _ = run_relative(cube)
    return [f for f in report.findings if f.code == code]


def test_relative_entrypoint_fix_names_where_the_copy_put_the_script(tmp_path):
    """`COPY . /mlcube_project` and no WORKDIR: the script is /mlcube_project/mlcube.py, not /mlcube.py."""
    cube = edited_copy(tmp_path, "medcube_model", "project/Dockerfile", '"/mlcube_project/mlcube.py"', '"mlcube.py"')
    (f,) = _findings(cube, "MC414")
    assert f.hint == "Use the absolute path: /mlcube_project/mlcube.py."


def test_relative_entrypoint_is_found_from_the_final_workdir(tmp_path):
    """docker starts the container in the final WORKDIR, also when WORKDIR comes after ENTRYPOINT."""
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", 'ENTRYPOINT ["python3", "/project/metrics.py"]',
                 'ENTRYPOINT ["python3", "metrics.py"]\nWORKDIR /project')
    report, found = run_relative(cube)
    assert [c for c, *_ in found] == ["MC414"]  # the script is found (no MC401)
    assert report.findings[0].hint == "Use the absolute path: /project/metrics.py."


def test_unknown_instruction_suggests_the_closest(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "COPY project /project\n", "CPY project /project\n")
    (f,) = _findings(cube, "MC416")
    assert f.severity == "error" and "CPY" in f.message and f.hint.startswith("Did you mean COPY?")


def test_a_line_that_lost_its_backslash_is_an_unknown_instruction(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "ENV LANG C.UTF-8\n",
                 "ENV LANG C.UTF-8\nRUN apt-get update\n    && apt-get install -y curl\n")
    (f,) = _findings(cube, "MC416")
    assert "&&" in f.message and f.line == 9  # the line without the RUN


def test_shell_form_entrypoint_fix_is_the_exec_form(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", 'ENTRYPOINT ["python3", "/project/metrics.py"]',
                 "ENTRYPOINT python3 /project/metrics.py")
    (f,) = _findings(cube, "MC417")
    assert f.hint == 'Write it in exec form: ENTRYPOINT ["python3", "/project/metrics.py"]'
    report, _ = run_relative(cube)
    assert not report.ok


def test_shell_form_entrypoint_of_an_earlier_stage_is_not_the_image_s(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "FROM python:3.9.16-slim\n",
                 "FROM python:3.9.16-slim AS tools\nENTRYPOINT echo tools\n\nFROM python:3.9.16-slim\n")
    assert _findings(cube, "MC417") == []


def test_exec_form_problems_are_named(tmp_path):
    cases = {
        '["python3", "/project/metrics.py"': "not closed",
        "['python3', '/project/metrics.py']": "single quotes",
        '["python3", "/project/metrics.py", 1]': "1 is not a string",
    }
    for i, (form, said) in enumerate(cases.items()):
        cube = edited_copy(tmp_path / str(i), "tutorial_metrics", "Dockerfile", '["python3", "/project/metrics.py"]', form)
        (f,) = _findings(cube, "MC418")
        assert said in f.message, (form, f.message)


def test_from_without_image_is_an_error_not_an_empty_name(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "FROM python:3.9.16-slim", "FROM --platform=linux/amd64")
    report, found = run_relative(cube)
    assert [(c, s) for c, _f, _l, s in found] == [("MC416", "error")]
    assert "''" not in report.findings[0].message
