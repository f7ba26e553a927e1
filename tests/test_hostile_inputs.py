"""Hostile demo data through `medcube test --demo-data`: every tarball that could write outside its target, plant a
device or a link pointing out, or is not what its sha256 says, is refused as a whole before anything is extracted,
with a message naming the member and a hint; nothing lands outside the target and no staging folder is left."""

from __future__ import annotations

import io
import tarfile
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from validator.cli import app

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
DEMO = Path(__file__).parent / "fixtures" / "engine" / "demo_data"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


def good_members() -> list[tuple[tarfile.TarInfo, bytes | None]]:
    out = []
    for p in sorted(DEMO.rglob("*")):
        info = tarfile.TarInfo(str(p.relative_to(DEMO)))
        if p.is_dir():
            info.type = tarfile.DIRTYPE
            out.append((info, None))
        else:
            data = p.read_bytes()
            info.size = len(data)
            out.append((info, data))
    return out


def tarball(path: Path, extra: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in good_members() + extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name: str, kind=tarfile.REGTYPE, link: str = "", data: bytes | None = None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    if data is not None:
        info.size = len(data)
    return info, data


def medcube_test(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["test", str(HOSTILE), "--runner", "local", "--no-probes", *map(str, args)])
    return result.exit_code, flat(result.output)


ESCAPE = f"medcube-escape-{uuid.uuid4().hex[:8]}"
REFUSED = [
    ("absolute", member(f"/tmp/{ESCAPE}/evil.txt", data=b"x"), f"member '/tmp/{ESCAPE}/evil.txt' has an absolute path"),
    ("dotdot", member(f"../{ESCAPE}.txt", data=b"x"), f"member '../{ESCAPE}.txt' climbs out of the archive with '..'"),
    ("symlink-absolute", member("images/passwd", tarfile.SYMTYPE, "/etc/passwd"),
     "member 'images/passwd' is a link pointing out of the archive (/etc/passwd)"),
    ("symlink-relative", member("images/up", tarfile.SYMTYPE, f"../../{ESCAPE}"),
     f"member 'images/up' is a link pointing out of the archive (../../{ESCAPE})"),
    ("hardlink", member("images/hard", tarfile.LNKTYPE, f"../{ESCAPE}"),
     f"member 'images/hard' is a link pointing out of the archive (../{ESCAPE})"),
    ("char-device", member("images/null", tarfile.CHRTYPE), "member 'images/null' is a device or FIFO file"),
    ("block-device", member("images/sda", tarfile.BLKTYPE), "member 'images/sda' is a device or FIFO file"),
    ("fifo", member("images/pipe", tarfile.FIFOTYPE), "member 'images/pipe' is a device or FIFO file"),
]


@pytest.mark.parametrize("name,bad,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_unsafe_member_is_refused(name, bad, words, tmp_path, cache):
    archive = tarball(tmp_path / "demo.tar.gz", [bad])
    rc, out = medcube_test("--demo-data", archive)
    assert rc == 2, out
    assert "refusing to extract" in out and words in out
    assert "hint:" in out and "medcube package-demo" in out
    assert not Path("/tmp", ESCAPE).exists() and not Path("/tmp", f"{ESCAPE}.txt").exists()
    assert not (tmp_path / ESCAPE).exists() and not (cache / ESCAPE).exists()
    left = list((cache / "demo_data").iterdir()) if (cache / "demo_data").exists() else []
    assert left == [], "nothing extracted, no staging folder left"


def test_sha256_mismatch_is_refused_before_reading(tmp_path, cache):
    archive = tarball(tmp_path / "demo.tar.gz", [])
    rc, out = medcube_test("--demo-data", archive, "--demo-sha256", "0" * 64)
    assert rc == 2 and "does not match its sha256 (expected " + "0" * 64 in out
    assert "hint:" in out and "download it again" in out
    assert not (cache / "demo_data").exists()


def test_sha256_for_a_folder_is_refused(cache):
    rc, out = medcube_test("--demo-data", DEMO, "--demo-sha256", "0" * 64)
    assert rc == 2 and "only a tarball can be checked" in out and "hint:" in out


@pytest.mark.parametrize("name,content,words", [
    ("demo.zip", b"PK\x03\x04", "demo data must be a folder or a .tar.gz"),
    ("demo.tar.gz", b"\x1f\x8b not really gzip", "not a readable tar archive"),
])
def test_what_is_not_a_tarball_is_refused(name, content, words, tmp_path, cache):
    (tmp_path / name).write_bytes(content)
    rc, out = medcube_test("--demo-data", tmp_path / name)
    assert rc == 2 and words in out


def test_missing_paths_yaml_and_paths_pointing_out(tmp_path, cache):
    with tarfile.open(tmp_path / "nopaths.tar.gz", "w:gz") as tar:
        tar.add(DEMO / "images", arcname="images")
    rc, out = medcube_test("--demo-data", tmp_path / "nopaths.tar.gz")
    assert rc == 2 and "has no paths.yaml at its root" in out and "tar -C DIR -czf demo.tar.gz ." in out
    data = b"data_path: ../../..\nlabels_path: labels\n"
    archive = tarball(tmp_path / "out.tar.gz", [])
    with tarfile.open(archive, "w:gz") as tar:
        for info, content in good_members():
            if info.name == "paths.yaml":
                info.size, content = len(data), data
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    rc, out = medcube_test("--demo-data", archive)
    assert rc == 2 and "data_path '../../..' points outside the demo data folder" in out


def test_missing_demo_data(tmp_path, cache):
    rc, out = medcube_test("--demo-data", tmp_path / "nowhere.tar.gz")
    assert rc == 2 and "demo data not found" in out and "hint:" in out
