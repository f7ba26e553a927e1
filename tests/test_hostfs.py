"""validator.hostfs and validator.textsafe: links are never followed, FIFOs never opened, reads capped; unsafe
characters escaped. Real files, links and FIFOs in a temporary folder."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from validator import hostfs
from validator.archive import Limits, check_tarball
from validator.textsafe import printable


@pytest.fixture
def tree(tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("token")
    os.chmod(host / "secret", 0o600)
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "plain.txt").write_text("data")
    os.symlink(host / "secret", out / "file_link")
    os.symlink(host, out / "sub" / "dir_link")
    os.mkfifo(out / "pipe")
    return out, host


def test_walk_lists_links_and_fifos_without_entering_them(tree):
    out, _ = tree
    entries = {e.rel: e for e in hostfs.walk(out)}
    assert set(entries) == {"file_link", "pipe", "plain.txt", "sub", "sub/dir_link"}
    assert entries["file_link"].is_link and entries["sub/dir_link"].is_link and entries["pipe"].is_special
    assert [e.rel for e in hostfs.special_entries(out)] == ["file_link", "pipe", "sub/dir_link"]


def test_walk_is_capped(tree):
    with pytest.raises(hostfs.HostFileError, match="more than 2 entries"):
        list(hostfs.walk(tree[0], limit=2))


def test_reads_refuse_links_fifos_and_large_files(tree):
    out, _ = tree
    with pytest.raises(hostfs.HostFileError, match="symbolic link"):
        hostfs.read_bytes(out / "file_link", 100)
    done = threading.Event()

    def read_fifo():
        with pytest.raises(hostfs.HostFileError, match="FIFO"):
            hostfs.read_bytes(out / "pipe", 100)
        done.set()

    threading.Thread(target=read_fifo, daemon=True).start()
    assert done.wait(5), "reading a FIFO blocked"
    with pytest.raises(hostfs.HostFileError, match="larger than"):
        hostfs.read_bytes(out / "plain.txt", 3)
    assert hostfs.read_text(out / "plain.txt", 4) == "data"


def test_copytree_chmod_chown_never_reach_through_links(tree, tmp_path):
    out, host = tree
    before = os.lstat(host / "secret")
    skipped = hostfs.copytree(out, tmp_path / "copy")
    assert sorted(e.rel for e in skipped) == ["file_link", "pipe", "sub/dir_link"]
    assert (tmp_path / "copy" / "plain.txt").read_text() == "data"
    assert not os.path.lexists(tmp_path / "copy" / "file_link")
    hostfs.chmod_tree(out, 0o777, 0o666)
    hostfs.chown_tree(out, 1000, 1000)
    after = os.lstat(host / "secret")
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid)
    assert stat.S_IMODE(os.lstat(out / "plain.txt").st_mode) & 0o666 == 0o666


def test_escape_resolves_links(tree):
    out, host = tree
    assert hostfs.escape(out, out / "plain.txt") is None
    assert "through a link" in hostfs.escape(out, out / "file_link")
    assert "outside" in hostfs.escape(out, out / ".." / "host")
    assert hostfs.links_on_the_way(out, out / "sub" / "dir_link" / "secret") == out / "sub" / "dir_link"


def test_plainly_inside_only_where_no_link_needs_resolving(tree):
    out, host = tree
    cases = [out / "plain.txt", out / "file_link", out / "sub" / "dir_link" / "secret", out / ".." / "host",
             out / "missing" / ".." / "file_link", out / "sub" / ".." / "plain.txt", out / "sub" / "..", out,
             host / "secret", out / "nothing_here"]
    said = {str(p.relative_to(out.parent)) if p.is_relative_to(out.parent) else str(p): hostfs.plainly_inside(out, p)
            for p in cases}
    assert said == {"out/plain.txt": True, "out/file_link": False, "out/sub/dir_link/secret": False,
                    "out/../host": False, "out/missing/../file_link": False, "out/sub/../plain.txt": True,
                    "out/sub/..": False, "out": False, "host/secret": False, "out/nothing_here": False}
    for p in cases:  # where it says yes, resolving every link says the same
        if hostfs.plainly_inside(out, p):
            assert hostfs.escape(out, p) is None and hostfs.links_on_the_way(out, p) is None


def test_tarball_caps(tmp_path):
    import io
    import tarfile

    path = tmp_path / "t.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for i in range(5):
            info = tarfile.TarInfo(f"f{i}.txt")
            info.size = 1000
            tar.addfile(info, io.BytesIO(b"0" * 1000))
    assert check_tarball(path, Limits()) == []
    assert "more than 3 entries" in check_tarball(path, Limits(entries=3))[0]
    assert "more than 2500 bytes" in check_tarball(path, Limits(bytes=2500))[0]
    assert "name longer" in check_tarball(path, Limits(name=3))[0]


def test_printable_escapes_what_a_terminal_or_xml_would_act_on():
    assert printable("ok\tline\nnext") == "ok\tline\nnext"
    assert printable("\x1b[2K\rPASS\x07\x00") == "\\x1b[2K\\x0dPASS\\x07\\x00"
    assert printable("abc\u202edef\x85") == "abc\\u202edef\\x85"


def test_neutralize_removes_links_and_fifos_never_their_targets(tree):
    out, host = tree
    removed = hostfs.neutralize(out)
    assert sorted(e.rel for e in removed) == ["file_link", "pipe", "sub/dir_link"]
    assert (host / "secret").read_text() == "token" and hostfs.special_entries(out) == []
    assert (out / "plain.txt").is_file()
