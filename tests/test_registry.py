"""A benchmark registered on a MedPerf server (validator.registry), against a stand-in server of our own
(tests/medperf_standin.py: MedPerf's endpoints and answer shapes, HTTPS with a self-signed certificate, a bearer
token). The server is the one thing mocked: no MedPerf server is reachable from here. The files are real (the chest
X-ray example packaged by `medcube package`), the downloads go over real sockets, the errors are the CLI's own."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from medperf_standin import EXAMPLE, TOKEN, StandIn, chestxray, serve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def standin(tmp_path, monkeypatch):
    state = StandIn()
    server, _ = serve(state, tmp_path)
    chestxray(state, tmp_path / "work")
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDPERF_CONFIG_STORAGE", str(tmp_path / "no-medperf"))
    monkeypatch.setenv("MEDPERF_TOKEN", TOKEN)
    yield state
    server.shutdown()
    server.server_close()


def medcube(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "validator", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=600)


def server_args(state: StandIn) -> list[str]:
    return ["--medperf-server", state.url, "--medperf-certificate", str(state.certificate)]


def materialise(state: StandIn, roles=("data_preparator", "metrics"), **kw):
    from validator.registry.profile import materialise as run
    from validator.registry.settings import resolve

    return run(resolve(state.url, state.certificate), 1, set(roles), quiet=True, **kw)


def test_a_registered_benchmark_becomes_a_benchmark_folder_and_a_second_run_fetches_no_file(standin):
    from validator.chain.benchmark import load_benchmark
    from validator.manifest.load import load_cube

    reg = materialise(standin, roles=("data_preparator", "model", "metrics"))
    bench = load_benchmark(reg.profile)
    assert bench.name == "chestxray"
    assert bench.demo_sha256 == standin.benchmarks[1]["demo_dataset_tarball_hash"]
    for role, uid in (("data_preparator", 1), ("model", 2), ("metrics", 3)):
        cube = load_cube(bench.cube(role))
        assert cube.role == role and cube.image == standin.mlcubes[uid]["container_config"]["image"]
    weights = bench.cube("model") / "workspace" / "additional_files" / "cnn_weights.pth"
    assert weights.read_bytes() == (EXAMPLE / "model" / "mlcube" / "workspace" / "additional_files" /
                                    "cnn_weights.pth").read_bytes()
    # the reference model is read through /models/ (a Model wraps its container), as MedPerf's client does
    assert any(r["path"] == "/api/v0/models/1/" for r in standin.log)
    fetched = len(standin.file_requests())
    assert fetched == 2  # the demo tarball and the model's additional files
    assert not any(r["auth"] for r in standin.file_requests())  # the token goes to the API only
    again = materialise(standin, roles=("data_preparator", "model", "metrics"))
    assert again.folder == reg.folder and len(standin.file_requests()) == fetched


def test_a_role_given_locally_is_not_fetched(standin):
    reg = materialise(standin)  # model local
    assert set(reg.cubes) == {"data_preparator", "metrics"}
    assert not any(r["path"].startswith("/api/v0/models/") for r in standin.log)
    assert len(standin.file_requests()) == 1  # the demo data only: the model's weights are not needed


def test_a_cut_download_is_resumed_with_a_range_request(standin):
    standin.cut_once.add("demo_data.tar.gz")
    reg = materialise(standin)
    ranges = [r["range"] for r in standin.file_requests()]
    assert ranges[0] is None and ranges[1] and ranges[1].startswith("bytes=")
    from validator.archive import sha256_file

    demo = yaml.safe_load(reg.profile.read_text())["demo_data"]
    assert sha256_file(demo["path"]) == standin.benchmarks[1]["demo_dataset_tarball_hash"]


def test_a_stalled_download_is_an_error_naming_the_file(standin, monkeypatch):
    from validator.errors import RegistryError

    standin.stall["demo_data.tar.gz"] = 3
    monkeypatch.setenv("MEDCUBE_DOWNLOAD_TIMEOUT", "0.5")
    with pytest.raises(RegistryError) as e:
        materialise(standin)
    assert "demo dataset of benchmark 1" in e.value.message and "/files/demo_data.tar.gz" in e.value.message
    assert "timed out" in e.value.message


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(standin, monkeypatch):
    from validator.errors import RegistryError

    monkeypatch.setenv("MEDCUBE_MAX_DOWNLOAD_BYTES", "1000")
    with pytest.raises(RegistryError) as e:
        materialise(standin)
    assert "over the cap of 1000" in e.value.message


def test_wrong_hash_401_404_unreachable_and_untrusted_certificate_are_clear_errors(standin, tmp_path):
    args = ["test", "--medperf-benchmark", "1", "-m", "examples/chestxray/model", "--no-probes", *server_args(standin)]
    standin.benchmarks[1]["demo_dataset_tarball_hash"] = "ab" * 32
    r = medcube(*args)
    assert r.returncode == 2, r.stderr
    assert "does not match its registered sha256" in r.stderr and "/files/demo_data.tar.gz" in r.stderr
    assert not list((tmp_path / "cache" / "medperf" / "files").glob("abab*"))  # nothing kept
    r = medcube(*args, env={"MEDPERF_TOKEN": "expired-token"})
    assert r.returncode == 2 and "401" in r.stderr and "MEDPERF_TOKEN" in r.stderr
    assert "expired-token" not in r.stdout + r.stderr
    r = medcube(*args, env={"MEDPERF_TOKEN": ""})
    assert r.returncode == 2 and "needs a login (401)" in r.stderr
    args404 = ["test", "--medperf-benchmark", "99", "-m", "examples/chestxray/model", *server_args(standin)]
    r = medcube(*args404)
    assert r.returncode == 2 and f"benchmark 99 does not exist on {standin.url} (404" in r.stderr
    r = medcube("test", "--medperf-benchmark", "1", "--medperf-server", standin.url)
    assert r.returncode == 2 and "certificate was not accepted" in r.stderr and "--medperf-certificate" in r.stderr
    r = medcube("test", "--medperf-benchmark", "1", "--medperf-server", "https://127.0.0.1:9",
                "--medperf-certificate", str(standin.certificate))
    assert r.returncode == 2 and "cannot be reached" in r.stderr
    for out in (r.stdout, r.stderr):
        assert TOKEN not in out


def test_medperf_stored_login_is_read_not_written_and_only_for_its_server(standin, tmp_path, monkeypatch):
    from validator.errors import RegistryError
    from validator.registry.settings import resolve

    storage = tmp_path / "medperf_config"
    email = "owner@example.org"
    tokens = storage / ".tokens" / base64.b64encode(email.encode()).decode()
    tokens.mkdir(parents=True)
    (tokens / "medperf_access_token").write_text(TOKEN)
    (tokens / "medperf_refresh_token").write_text("refresh")
    now = time.time()
    config = {"active_profile_name": "mine", "storage": {},
              "profiles": {"default": {"server": "https://api.medperf.org"},
                           "mine": {"server": standin.url, "certificate": str(standin.certificate),
                                    "credentials": {"email": email, "token_issued_at": int(now) - 10,
                                                    "token_expires_in": 3600, "logged_in_at": int(now) - 10}}}}
    (storage / "config.yaml").write_text(yaml.safe_dump(config))
    before = {p: p.stat().st_mtime_ns for p in storage.rglob("*")}
    monkeypatch.setenv("MEDPERF_CONFIG_STORAGE", str(storage))
    monkeypatch.delenv("MEDPERF_TOKEN")
    server = resolve()  # the active profile's server, certificate and login
    assert server.url == standin.url and server.certificate == standin.certificate and server.token == TOKEN
    assert TOKEN not in repr(server) and "mine" in server.token_source
    assert materialise(standin).name == "chestxray"
    other = resolve("https://api.example.org")  # another server never gets the stored login
    assert other.token is None and other.certificate is None
    config["profiles"]["mine"]["credentials"]["token_issued_at"] = int(now) - 7200
    (storage / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(RegistryError, match="has expired"):
        resolve()
    after = {p: p.stat().st_mtime_ns for p in storage.rglob("*") if p.name != "config.yaml"}
    assert after == {p: t for p, t in before.items() if p.name != "config.yaml"}  # nothing written, no folder made


def test_server_url_as_medperf_parses_it():
    from validator.registry.settings import API_PATH, resolve, server_url

    assert server_url("api.medperf.org") == "https://api.medperf.org"
    assert server_url("http://localhost:8000/") == "https://localhost:8000"
    assert resolve("localhost:8000", environ={}).api == "https://localhost:8000" + API_PATH


def test_registered_digest_is_compared_with_the_pulled_image_repo_digests():
    # A registry cannot be reached from here, so the pull itself is not exercised: only the comparison of what the
    # engine records (RepoDigests) with MedPerf's registered image_hash.
    from validator.registry.images import digest_matches

    digest = "sha256:" + "ab" * 32
    assert digest_matches([f"docker.io/org/cube@{digest}"], digest)
    assert digest_matches([f"org/cube@{digest}"], "ab" * 32)
    assert not digest_matches([f"org/cube@sha256:{'cd' * 32}"], digest)
    assert not digest_matches([], digest)


def test_package_prints_the_association_once_the_model_passed(tmp_path, monkeypatch):
    from validator.registry.submission import association_lines, record_pass

    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path / "cache"))
    cube = EXAMPLE / "model"
    assert "medperf model associate" not in "\n".join(association_lines(cube, "model"))
    record_pass(cube, 7, "chestxray", "https://127.0.0.1:8443")
    lines = "\n".join(association_lines(cube, "model"))
    assert "medperf model associate --benchmark 7 --model_uid MODEL_UID" in lines
    assert "medperf profile set --server https://127.0.0.1:8443" in lines
    assert association_lines(EXAMPLE / "metrics", "metrics") == []
    r = medcube("package", str(cube), "-o", str(tmp_path / "deploy"), env={"MEDCUBE_CACHE_DIR": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr
    assert "medperf model submit" in r.stdout and "medperf model associate --benchmark 7" in r.stdout


def test_a_local_profile_lends_its_contracts_to_the_registered_benchmark(standin):
    from validator.chain.benchmark import load_benchmark
    from validator.registry.session import registered_benchmark

    reg = registered_benchmark(1, standin.url, standin.certificate, ["data_preparator", "metrics"], quiet=True,
                               local_profile=EXAMPLE, check_images=False)
    bench = load_benchmark(reg.profile)
    local = load_benchmark(EXAMPLE)
    assert bench.contracts == local.contracts and bench.primary_metric == local.primary_metric == "AUC"
    plain = registered_benchmark(1, standin.url, standin.certificate, ["data_preparator", "metrics"], quiet=True,
                                 check_images=False)
    assert plain.folder != reg.folder and load_benchmark(plain.profile).contracts.results_keys == []


def test_hostile_answers_are_refused_with_a_message(standin):
    import hashlib
    import io
    import tarfile

    from validator.errors import RegistryError, UserError
    from validator.registry.client import Client
    from validator.registry.settings import resolve

    # a redirect keeps the token on the same origin only (localhost is the same server under another name)
    client = Client(resolve(standin.url, standin.certificate))
    standin.redirects["/api/v0/mlcubes/5/"] = f"{standin.url}/api/v0/mlcubes/1/"
    assert client.container(5)["id"] == 1
    assert [r["auth"] for r in standin.log[-2:]] == [True, True]
    standin.redirects["/api/v0/mlcubes/6/"] = standin.url.replace("127.0.0.1", "localhost") + "/api/v0/mlcubes/1/"
    with pytest.raises(RegistryError, match="redirected to https://localhost:.*another server"):
        client.container(6)
    assert [r["auth"] for r in standin.log[-2:]] == [True, False]
    # a benchmark whose cube ids are not ids; a container_config that is not a mapping
    standin.benchmarks[1]["data_evaluator_mlcube"] = "3; rm -rf /"
    with pytest.raises(RegistryError, match="'data_evaluator_mlcube' is .* not an id"):
        materialise(standin)
    standin.benchmarks[1]["data_evaluator_mlcube"] = 3
    standin.mlcubes[3]["container_config"] = "image: x\x1b[2J"
    with pytest.raises(RegistryError, match="no container_config mapping"):
        materialise(standin)
    # an additional files tarball with a member that climbs out: nothing extracted, the member named
    standin.mlcubes[3]["container_config"] = standin.mlcubes[1]["container_config"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    standin.files["evil.tar.gz"] = buf.getvalue()
    standin.mlcubes[3]["additional_files_tarball_url"] = f"{standin.url}/files/evil.tar.gz"
    standin.mlcubes[3]["additional_files_tarball_hash"] = hashlib.sha256(buf.getvalue()).hexdigest()
    with pytest.raises(UserError, match=r"refusing to extract.*\.\./escape\.txt"):
        materialise(standin)
