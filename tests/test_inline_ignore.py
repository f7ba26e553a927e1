"""Inline ignores (checks/inline.py): `# medcube: ignore=MCnnn` on the offending YAML line, `# medcube ignore=MCnnn`
on the line above a Dockerfile instruction; only the codes named, only at that line."""

from __future__ import annotations

from static_cubes import edited_copy, run_relative


def _codes(cube):
    return [c for c, *_ in run_relative(cube)[1]]


MM_IMAGE = "image: example/medcube-metrics:0.1.0"


def test_yaml_ignore_on_the_offending_line(tmp_path):
    cube = edited_copy(tmp_path, "medcube_metrics", "container_config.yaml", MM_IMAGE, "image: example/medcube-metrics:0.2.0")
    assert _codes(cube) == ["MC303"]
    path = cube / "container_config.yaml"
    path.write_text(path.read_text().replace("medcube-metrics:0.2.0", "medcube-metrics:0.2.0  # medcube: ignore=MC303"))
    assert _codes(cube) == []


def test_yaml_ignore_names_the_code_and_the_line(tmp_path):
    cube = edited_copy(tmp_path, "medcube_metrics", "container_config.yaml", MM_IMAGE,
                 "image: example/medcube-metrics:0.2.0  # medcube: ignore=MC501,MC302")
    assert _codes(cube) == ["MC303"]  # another code: still reported
    path = cube / "container_config.yaml"
    text = path.read_text().replace("  # medcube: ignore=MC501,MC302", "")
    path.write_text("# medcube: ignore=MC303\n" + text)  # another line: still reported
    assert _codes(cube) == ["MC303"]


def test_dockerfile_ignore_on_the_line_above(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "FROM python:3.9.16-slim", "FROM python")
    assert _codes(cube) == ["MC501"]
    df = cube / "Dockerfile"
    df.write_text(df.read_text().replace("FROM python\n", "# medcube ignore=MC501\nFROM python\n"))
    assert _codes(cube) == []
    df.write_text(df.read_text().replace("# medcube ignore=MC501\n", "# hadolint ignore=DL3006\n# medcube: ignore=MC503,MC501\n"))
    assert _codes(cube) == []


def test_dockerfile_ignore_does_not_reach_past_an_instruction(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", "ENV LANG C.UTF-8\n", "# medcube ignore=MC503\nENV LANG C.UTF-8\nUSER root\n")
    assert _codes(cube) == ["MC503"]


def test_an_ignored_error_no_longer_fails(tmp_path):
    cube = edited_copy(tmp_path, "tutorial_metrics", "Dockerfile", 'ENTRYPOINT ["python3", "/project/metrics.py"]',
                 "# medcube ignore=MC417\nENTRYPOINT python3 /project/metrics.py")
    report, found = run_relative(cube)
    assert found == [] and report.ok
