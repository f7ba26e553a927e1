"""Which engine, which socket, what it sends (quick: no engine needed). What a real Podman answers is in
tests/test_podman.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.chain.probes import singularity
from validator.codes import SINGULARITY
from validator.engine.client.kind import EngineFacts, check_name, engine_host, select
from validator.engine.tasks import cgroups
from validator.engine.tasks.plan import Mount, RunPlan
from validator.engine.tasks.spec import ContainerSpec
from validator.errors import UserError


def test_facts_name_the_limits_an_engine_cannot_enforce():
    rootless_v1 = EngineFacts("podman", "4.3.1", rootless=True, controllers=())
    assert rootless_v1.unenforced(memory=True, cpus=True, pids=True) == ["--memory", "--cpus", "--pids"]
    assert rootless_v1.unenforced(memory=False, cpus=False, pids=True) == ["--pids"]
    rootful = EngineFacts("podman", "4.3.1", controllers=("cpu", "memory", "pids"))
    assert rootful.unenforced(memory=True, cpus=True, pids=True) == []
    assert EngineFacts("docker", "20.10").unenforced(memory=True, cpus=True, pids=True) == []  # not said: assumed
    assert rootless_v1.describe() == "Podman 4.3.1, rootless, cgroup v1"


def test_engine_names_and_sockets(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDCUBE_ENGINE", raising=False)
    with pytest.raises(UserError, match="'rkt' is not an engine"):
        engine_host("rkt")
    monkeypatch.setenv("DOCKER_HOST", "unix:///somewhere/docker.sock")
    assert engine_host("podman") is None  # DOCKER_HOST wins; the engine that answers is checked against the name
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("CONTAINER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setattr("validator.engine.client.kind.PODMAN_SOCKET", str(tmp_path / "nothing.sock"))
    with pytest.raises(UserError, match="no Podman API socket found") as e:
        engine_host("podman")
    assert "podman system service" in e.value.hint


def test_the_engine_asked_for_must_be_what_answers(monkeypatch):
    monkeypatch.delenv("MEDCUBE_ENGINE", raising=False)
    docker = EngineFacts("docker", "20.10.24")
    check_name(None, docker, "unix:///var/run/docker.sock")  # nothing asked: whatever answers
    check_name("docker", docker, "unix:///var/run/docker.sock")
    with pytest.raises(UserError, match="--engine podman: the engine at unix:///x.sock is Docker 20.10.24") as e:
        check_name("podman", docker, "unix:///x.sock")
    assert "--engine docker" in e.value.hint


def test_select_puts_the_socket_into_docker_host(monkeypatch, tmp_path):
    import socket

    path = tmp_path / "podman" / "podman.sock"
    path.parent.mkdir()
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    try:
        # select() writes DOCKER_HOST and MEDCUBE_ENGINE into os.environ: set first, so that monkeypatch restores
        # them (a delenv of an absent name records nothing) and no later test talks to this socket.
        for name in ("DOCKER_HOST", "CONTAINER_HOST", "MEDCUBE_ENGINE"):
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        monkeypatch.setattr("validator.engine.client.kind.PODMAN_SOCKET", str(tmp_path / "nothing.sock"))
        select("podman")
        import os

        assert os.environ["DOCKER_HOST"] == f"unix://{path}" and os.environ["MEDCUBE_ENGINE"] == "podman"
    finally:
        s.close()


def test_the_podman_container_body():
    spec = ContainerSpec(image="img", args=["infer"], entrypoint=None, user="1001:1001", mounts=[],
                         ulimits={"nofile": 1024, "nproc": 2048}, userns="keep-id", program="podman",
                         read_only_root=True, workdir="/home/x")
    host = spec.api_body()["HostConfig"]
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 1024},
                               {"Name": "nproc", "Soft": 2048, "Hard": 2048}]
    assert host["UsernsMode"] == "keep-id" and host["ReadonlyRootfs"] is True
    assert spec.api_body()["WorkingDir"] == "/home/x"
    cli = spec.cli()
    assert cli[:2] == ["podman", "run"] and "--read-only" in cli
    assert cli[cli.index("--userns") + 1] == "keep-id" and "nofile=1024:1024" in cli
    plain = ContainerSpec(image="img", args=None, entrypoint=None, user="1000:1000", mounts=[]).api_body()
    assert "Ulimits" not in plain["HostConfig"] and "WorkingDir" not in plain  # Docker's body as before


def test_cgroup_paths_per_engine():
    cid = "abc"
    assert Path("/sys/fs/cgroup/memory/libpod_parent/libpod-abc") in cgroups.dirs(cid, "memory", "1", "podman")
    assert Path("/sys/fs/cgroup/machine.slice/libpod-abc.scope") in cgroups.dirs(cid, "memory", "2", "podman")
    rootless = cgroups.dirs(cid, "pids", "2", "podman", uid=1001)
    assert Path("/sys/fs/cgroup/user.slice/user-1001.slice/user@1001.service/user.slice/libpod-abc.scope") in rootless
    assert Path("/sys/fs/cgroup/pids/docker/abc") in cgroups.dirs(cid, "pids", "1", "docker")


def test_oom_kills_read_from_the_memory_cgroup(tmp_path):
    (tmp_path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (tmp_path / "memory.events").write_text("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n")
    assert cgroups.oom_kills(tmp_path, "1") == 2 and cgroups.oom_kills(tmp_path, "2") == 1
    assert cgroups.oom_kills(tmp_path / "gone", "1") is None


def test_the_singularity_plan_and_what_its_log_says(tmp_path):
    plan = RunPlan(task="infer", image="img", args=["infer"], entrypoint=["python3", "/mlcube_project/mlcube.py"],
                   mounts=[Mount(tmp_path, "/data", "ro", "directory", ("data_path",))])
    s = singularity.plan_for(plan, tmp_path / "home")
    assert s.read_only_root and s.workdir == singularity.HOME and s.environment["HOME"] == singularity.HOME
    assert s.mounts[-1].container == singularity.HOME and s.mounts[-1].mode == "rw" and s.mounts[:-1] == plan.mounts
    code = singularity.code_folders(plan, {"Config": {"WorkingDir": "/workspace"}})
    assert code == ["/workspace", "/mlcube_project"]
    (f,) = singularity.findings("infer", "OSError: [Errno 30] Read-only file system: '/mlcube_project/cache.json'",
                                "cube/container_config.yaml", code, "exit 1")
    assert f.code == SINGULARITY and "writes into its code folder (/mlcube_project/cache.json)" in f.message
    (f,) = singularity.findings("infer", "python3: can't open file '/home/singularity-user/mlcube.py': [Errno 2]",
                                "c", code, "exit 2")
    assert "relative to the working directory" in f.message
    (f,) = singularity.findings("infer", "Segmentation fault\x1b[31m", "c", code, "exit 139")
    assert "fails as Singularity runs it" in f.message and "\x1b" not in f.message
