"""The attack corpus (tests/attack_corpus.py) through medcube's command line, as a benchmark owner's CI runs it:
a fresh `python3 -m validator` process per case, aimed at decoy host files.

After every case: the decoys are unchanged (content, mode, owner, and no file added or removed), the decoy secret
appears nowhere in what medcube printed or wrote (stdout, stderr, the JSON and JUnit reports, the run folder), the
output holds no raw terminal escape, medcube ended within the case's time with a clear message (no traceback), and
the hostile input did not pass (exit code 1 or 2). A written JUnit file is well-formed XML.

Cases marked `open` in the corpus are attacks not fixed yet: they are expected to fail (strict xfail), so fixing
one turns its test red until the corpus says it is fixed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from attack_corpus import ATTACKS, CLASSES, DECOY_IMAGE, HOSTILE, SECRET, hostile, make_decoys
from hostile_cubes import CC, PY

ROOT = Path(__file__).resolve().parent.parent


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below root by lstat: type and mode, owner, and the sha256 of regular files."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = os.lstat(path)
            digest = None
            if stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, digest)
    st = os.lstat(root)
    out["."] = (st.st_mode, st.st_uid, st.st_gid, None)
    return out


def written_text(folder: Path) -> str:
    """The regular files medcube wrote below folder, as text (links are not followed, FIFOs not opened)."""
    parts = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            if stat.S_ISREG(os.lstat(path).st_mode) and os.lstat(path).st_size < (16 << 20):
                parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def run_medcube(args: list[str], cwd: Path, env: dict, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validator", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, errors="replace", timeout=timeout)


@pytest.fixture
def decoy_image(request):
    """A tag naming an image that exists before the run (the base image's), removed afterwards."""
    import docker

    client = docker.from_env()
    base = os.environ.get("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")
    try:
        image = client.images.get(base)
    except docker.errors.ImageNotFound:
        pytest.skip(f"base image {base} missing")
    repo, tag = DECOY_IMAGE.rsplit(":", 1)
    image.tag(repo, tag)
    yield image.id
    try:
        current = client.images.get(DECOY_IMAGE)
        client.images.remove(DECOY_IMAGE, noprune=True)
        if current.id != image.id:  # the run replaced the tag's image: remove what it built
            client.images.remove(current.id, force=True)
    except docker.errors.APIError:
        pass
    client.close()


def _params():
    out = []
    for attack in ATTACKS.values():
        marks = [pytest.mark.docker, pytest.mark.slow] if attack.docker else []
        if attack.open:
            marks.append(pytest.mark.xfail(reason=f"open: {attack.open}", strict=True))
        out.append(pytest.param(attack, id=attack.name, marks=marks))
    return out


def remove_images_built_under(folder: Path) -> None:
    """The images medcube built from cubes below folder (labelled with their cube folder): attack cubes are new
    folders each run, so their images would pile up in the shared engine."""
    import docker

    from validator.engine.images.build import CUBE_LABEL

    client = docker.from_env()
    try:
        for image in client.images.list(filters={"label": CUBE_LABEL}):
            if str((image.labels or {}).get(CUBE_LABEL, "")).startswith(str(folder.resolve())):
                try:
                    client.images.remove(image.id, force=True)
                except docker.errors.APIError:
                    pass
    finally:
        client.close()


@pytest.mark.parametrize("attack", _params())
def test_attack(attack, tmp_path, request):
    decoys = make_decoys(tmp_path / "host")
    watched = [decoys, HOSTILE.parent / "engine" / "demo_data"]
    image_id = request.getfixturevalue("decoy_image") if attack.name == "image_tag_taken" else None
    case = tmp_path / "case"
    args = attack.build(case, decoys)
    before = [snapshot(w) for w in watched]
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache"),
           "TMPDIR": str(tmp_path), **dict(attack.env)}
    env.setdefault("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")
    try:
        proc = run_medcube(args, work, env, attack.timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"medcube ran longer than {attack.timeout}s")
    finally:
        after = [snapshot(w) for w in watched]
        if attack.docker:
            remove_images_built_under(tmp_path)
    out = proc.stdout + proc.stderr
    flat = " ".join(out.split())

    assert after == before, "a decoy changed"
    if image_id is not None:
        import docker

        assert docker.from_env().images.get(DECOY_IMAGE).id == image_id, "the run replaced another image's tag"
    files = written_text(case) + written_text(work)
    assert SECRET not in out and SECRET not in files, "the decoy secret leaked"
    assert not re.search(r'File "[^"]*validator/', out), f"a traceback of medcube: {out[-3000:]}"
    assert "\x1b" not in out and "\x07" not in out, "a raw terminal control character reached the output"
    assert not re.search(r"(?m)^\s*PASS\b", out), "a line medcube did not write starts with PASS"
    assert proc.returncode in (1, 2), f"the hostile input passed (exit {proc.returncode}): {out[-3000:]}"
    for words in attack.words:
        assert words in flat, f"{words!r} not in: {flat[-3000:]}"
    junit = case / "junit.xml"
    if junit.is_file():
        ET.parse(junit)  # well-formed


def test_every_class_has_cases():
    counts = {k: 0 for k in CLASSES}
    for attack in ATTACKS.values():
        assert attack.klass in CLASSES, attack.name
        counts[attack.klass] += 1
    assert all(counts.values()), counts
    assert len(ATTACKS) >= 25


@pytest.mark.docker
@pytest.mark.slow
def test_concurrent_runs_sharing_an_image_tag_run_their_own_images(tmp_path):
    """Two cubes name the same image tag and are tested at the same time: a broken one and a good one. Each run
    uses the image its own build made, so the broken one fails and the good one passes, whatever the tag names."""
    decoys = make_decoys(tmp_path / "host")
    tag = f"medcube-test/attack-shared-{uuid.uuid4().hex[:8]}:1"
    good = hostile(tmp_path / "a", decoys, "model", "shares_a_tag_good", ())
    bad = hostile(tmp_path / "b", decoys, "model", "shares_a_tag_broken",
                  ((PY, 'print("wrote predictions")', "raise SystemExit(3)"),))
    for cube, name in ((good, "shares-a-tag-good"), (bad, "shares-a-tag-broken")):
        text = (cube / CC).read_text()
        (cube / CC).write_text(text.replace(f"image: medcube-test/hostile-{name}:0.1", f"image: {tag}"))
        assert f"image: {tag}" in (cube / CC).read_text()
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache")}
    env.setdefault("MEDCUBE_BASE_IMAGE", "medcube/base:bookworm")
    procs = {}
    try:
        for name, cube in (("good", good), ("bad", bad)):
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "validator", "test", str(HOSTILE), "--model", str(cube), "--no-probes",
                 "--timeout", "60", "--run-dir", str(tmp_path / f"run-{name}")],
                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        outs = {name: p.communicate(timeout=300)[0] for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        remove_images_built_under(tmp_path)
    assert procs["good"].returncode == 0, outs["good"][-2000:]
    assert procs["bad"].returncode == 1 and "exited with code 3" in " ".join(outs["bad"].split()), outs["bad"][-2000:]


def test_many_submissions_refuse_a_hostile_one_alone(tmp_path):
    """`medcube test --model A --model B`: a submission whose parameters.yaml links to a host file fails alone with
    the static finding, before anything of it is built or run (local runner: no image is involved here); the decoy
    is untouched and its secret not printed."""
    decoys = make_decoys(tmp_path / "host")
    good = hostile(tmp_path / "a", decoys, "model", "many_good", ())
    bad = hostile(tmp_path / "b", decoys, "model", "many_parameters_link", ())
    os.unlink(bad / "workspace" / "parameters.yaml")
    os.symlink(decoys / "secret.yaml", bad / "workspace" / "parameters.yaml")
    before = snapshot(decoys)
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), "MEDCUBE_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_medcube(["test", str(HOSTILE), "--model", str(good), "--model", str(bad), "--no-probes",
                        "--runner", "local", "--run-dir", str(tmp_path / "run"), "--report",
                        str(tmp_path / "report.json")], tmp_path, env, 180)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    import json

    by_name = {Path(s["path"]).name: s for s in json.loads((tmp_path / "report.json").read_text())["submissions"]}
    assert by_name["many_good"]["ok"]
    assert [f["code"] for f in by_name["many_parameters_link"]["findings"]] == ["MC420", "MC421"]  # also in its context
    assert not by_name["many_parameters_link"]["tasks"]
    assert SECRET not in out and SECRET not in (tmp_path / "report.json").read_text()
    assert snapshot(decoys) == before
