"""medcube's own Engine API client (validator.engine.client.api) against a real engine: output frames, waits, stats, labels;
names that would leave their URL path refused; an engine that cannot be reached said in a sentence; and the run path
importing no docker SDK (the reason the client exists: about 80 ms at every start)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from engine_forwarder import Forwarder

from validator.engine.client.api import Engine, EngineError, EngineTimeout
from validator.engine.client.connect import connect
from validator.errors import EngineUnavailable

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "engine"


@pytest.mark.parametrize("name", ["..", "../containers/json", "a/../../b", "./x", "a/./b", ""])
def test_a_name_that_would_leave_its_url_path_is_refused_before_anything_is_sent(name, tmp_path):
    engine = Engine(f"unix://{tmp_path / 'no-engine.sock'}")  # nothing listens: a request would fail otherwise
    with pytest.raises(EngineError) as e:
        engine.image(name)
    assert e.value.status == 400 and "not an image or container name" in e.value.explanation


@pytest.mark.parametrize("host, words", [
    ("ssh://user@host", "unix:// or tcp://"),
    ("npipe:////./pipe/docker_engine", "unix:// or tcp://"),
    ("tcp://", "names no host"),
])
def test_a_docker_host_medcube_cannot_talk_to_is_a_clear_error(host, words, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(EngineUnavailable, match=words) as e:
        connect(timeout=2)
    assert e.value.hint and "DOCKER_HOST" in e.value.hint


def test_no_socket_is_said_so(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'none.sock'}")
    with pytest.raises(EngineUnavailable, match="no socket there"):
        connect(timeout=2)


# -- against the engine -------------------------------------------------------------------------------------------
@pytest.fixture
def container(engine, base_image):
    """Create a container of the base image running a Python program (removed at the end)."""
    made: list[str] = []
    label = f"org.medcube.test={uuid.uuid4().hex[:8]}"

    def make(program: str) -> str:
        body = {"Image": base_image, "Cmd": ["python3", "-c", program], "User": "1000:1000", "Tty": False,
                "Labels": dict([label.split("=")]), "HostConfig": {"NetworkMode": "none"}}
        cid = engine.create(body)
        made.append(cid)
        return cid

    make.label = label  # type: ignore[attr-defined]
    yield make
    for cid in made:
        engine.remove(cid)


@pytest.mark.docker
def test_output_frames_are_joined_in_order_from_the_attach_stream_and_the_logs(engine, container):
    # stdout and stderr interleaved, one write far over a frame's 64 KiB, bytes that are no UTF-8. The engine reads
    # the two pipes apart, so only the order within each is certain.
    program = ("import sys\n"
               "for i in range(50):\n"
               "    out = sys.stdout if i % 2 else sys.stderr\n"
               "    out.buffer.write(b'%s %d\\n' % (b'out' if i % 2 else b'err', i)); out.flush()\n"
               "sys.stdout.buffer.write(b'\\xff' * 300000 + b'\\n'); sys.stdout.flush()\n")
    blob = b"\xff" * 300000 + b"\n"
    cid = container(program)
    stream = engine.attach(cid)
    engine.start(cid)
    chunks = list(stream)
    assert engine.wait(cid, 60)["StatusCode"] == 0
    assert max(len(c) for c in chunks) <= 64 * 1024
    # the engine's own copy (json-file) holds text: bytes that are no UTF-8 come back as U+FFFD, as `docker logs`
    replaced = "\ufffd".encode() * 300000 + b"\n"
    for data, tail in ((b"".join(chunks), blob), (engine.logs(cid), replaced)):
        # stderr's lines may come anywhere between stdout's frames (each is one write, so never split)
        err = re.findall(rb"err \d+\n", data)
        assert err == [b"err %d\n" % i for i in range(0, 50, 2)]
        assert re.sub(rb"err \d+\n", b"", data) == b"".join(b"out %d\n" % i for i in range(1, 50, 2)) + tail
    assert engine.inspect(cid)["State"]["ExitCode"] == 0


@pytest.mark.docker
def test_a_wait_past_its_timeout_raises_and_the_container_is_found_by_its_label(engine, container):
    cid = container("import time; time.sleep(60)")
    engine.start(cid)
    with pytest.raises(EngineTimeout):
        engine.wait(cid, 0.5)
    assert engine.containers(container.label) == [cid]
    samples = engine.stats(cid)
    first = next(samples)
    assert "memory_stats" in first  # the sampled peak memory of an engine whose cgroups are not readable here
    samples.close()
    engine.kill(cid)
    assert engine.wait(cid, 30)["StatusCode"] != 0
    engine.remove(cid)
    engine.remove(cid)  # already gone: fine
    assert engine.containers(container.label) == []
    with pytest.raises(EngineError) as e:
        engine.inspect(cid)
    assert e.value.not_found


@pytest.mark.docker
def test_an_image_is_inspected_by_tag_or_id_and_a_missing_one_is_none(engine, base_image):
    attrs = engine.image(base_image)
    assert attrs is not None and attrs["Id"].startswith("sha256:")
    assert engine.image(attrs["Id"])["Id"] == attrs["Id"]
    assert engine.image("medcube-test/no-such-image:0") is None


@pytest.mark.docker
def test_a_chain_run_imports_no_docker_sdk(tmp_path, base_image):
    """`medcube test` on built images talks to the engine through validator.engine.client.api only: docker-py, requests
    and urllib3 stay unimported (run twice: the first run may build, the second is what is checked)."""
    bench = tmp_path / "bench"
    shutil.copytree(FIXTURES, bench)
    probe = ("import runpy, sys\n"
             "sys.argv = ['medcube', 'test', sys.argv[1], '--no-probes', '--run-dir', sys.argv[2], "
             "'--base-image', sys.argv[3]]\n"
             "try:\n    runpy.run_module('validator', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             "print('EXIT', code, 'SDK', sorted(m for m in ('docker', 'requests', 'urllib3') if m in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for n in (1, 2):
        out = subprocess.run([sys.executable, "-c", probe, str(bench / "benchmark.yaml"), str(tmp_path / f"run{n}"),
                              base_image], capture_output=True, text=True, env=env, timeout=600)
    assert "EXIT 0 SDK []" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]


@pytest.fixture
def tcp_engine(engine):
    """The same engine reached over plain TCP (DOCKER_HOST=tcp://), through a forwarder to its unix socket."""
    forwarder = Forwarder()
    yield forwarder.host
    forwarder.cut()


@pytest.mark.docker
def test_an_engine_over_plain_tcp_runs_a_container_the_same_way(tcp_engine, base_image, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", tcp_engine)
    engine = connect(timeout=30)
    assert engine.version and engine.image(base_image)["Id"].startswith("sha256:")
    cid = engine.create({"Image": base_image, "Cmd": ["python3", "-c", "print('over tcp')"], "User": "1000:1000",
                         "HostConfig": {"NetworkMode": "none"}})
    try:
        stream = engine.attach(cid)
        engine.start(cid)
        assert b"".join(stream) == b"over tcp\n"
        assert engine.wait(cid, 60)["StatusCode"] == 0
    finally:
        engine.remove(cid)


@pytest.mark.docker
def test_a_shm_size_in_mib_starts_with_that_much_shared_memory(engine, base_image):
    """`shm_size: 64MiB` (what `docker run --shm-size` and MedPerf take) gives the container 64 MiB of /dev/shm; the
    docker SDK refused that spelling before the container was even created."""
    from validator.engine.tasks.spec import ContainerSpec

    spec = ContainerSpec(image=base_image, args=["-c", "import os; s = os.statvfs('/dev/shm'); print(s.f_blocks * s.f_frsize)"],
                         entrypoint=["python3"], user="1000:1000", mounts=[], shm_size="64MiB")
    cid = engine.create(spec.api_body())
    try:
        stream = engine.attach(cid)
        engine.start(cid)
        assert b"".join(stream).strip() == str(64 << 20).encode()
    finally:
        engine.remove(cid)
