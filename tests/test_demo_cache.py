"""The demo data cache: a cached tree that changed after extraction is extracted again (never trusted), and runs
that load it at the same time each get an intact tree. Real tarballs, a real cache folder."""

from __future__ import annotations

import threading
from pathlib import Path

from validator.archive import write_deterministic
from validator.chain.demo_data import load_demo_data

DEMO = Path(__file__).parent / "fixtures" / "engine" / "demo_data"


def _tarball(tmp_path: Path) -> Path:
    out = tmp_path / "demo.tar.gz"
    write_deterministic(out, [(p.name, p) for p in sorted(DEMO.iterdir())])
    return out


def test_a_changed_cache_is_extracted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = _tarball(tmp_path)
    first = load_demo_data(tarball)
    original = (first.data_path / "case1.txt").read_text()
    (first.data_path / "case1.txt").write_text("0 0 0 0\n")  # a previous run, or someone, changed the cache
    (first.data_path / "planted.txt").write_text("x")
    second = load_demo_data(tarball)
    assert (second.data_path / "case1.txt").read_text() == original
    assert not (second.data_path / "planted.txt").exists()


def test_concurrent_loads_each_get_an_intact_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    tarball = _tarball(tmp_path)
    results, errors = [], []

    def load():
        try:
            demo = load_demo_data(tarball)
            results.append(sorted(p.name for p in demo.data_path.iterdir()))
        except Exception as e:  # pragma: no cover - the failure is the assertion below
            errors.append(e)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [sorted(p.name for p in (DEMO / "images").iterdir())] * 6
