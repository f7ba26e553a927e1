"""A benchmark registered on a MedPerf server, turned into a medcube benchmark folder the chain runs like any other.

    <cache>/medperf/benchmarks/<host>/<uid>-<hash of the answers>/
        benchmark.yaml                      the profile: the cube folders below, the demo tarball and its sha256
        registered.json                     what the server said (ids, names, images and their digests), no token
        data_preparator-<id>/ model-<id>/ metrics-<id>/
            container_config.yaml           the registered container_config
            workspace/parameters.yaml       the registered parameters_config ({} when none: MedPerf reads an empty
                                            file as {})
            workspace/additional_files/     the registered tarball, fetched by hash and extracted safely

Each is a config-only cube, as `medperf container create` makes it: the image is the registered one, used when
present locally or pulled with --pull. Only the roles the run uses are fetched; a role replaced by a local cube gets
an empty placeholder folder. The folder is named by a hash of the server's answers, so a changed registration gets a
new folder and an unchanged one is reused; it is written beside and renamed into place.

MedPerf's benchmark carries no output contracts: the profile has none (medcube's defaults apply), unless the caller
passes the contracts of a local profile to keep.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validator.errors import RegistryError
from validator.manifest.roles import ROLES
from validator.registry.client import Client
from validator.registry.download import fetch
from validator.registry.settings import Server
from validator.textsafe import printable

# benchmark field -> medcube role (benchmark/models.py; reference_model is a Model, the others MlCubes)
ROLE_FIELDS = {"data_preparator": "data_preparation_mlcube", "model": "reference_model",
               "metrics": "data_evaluator_mlcube"}
MEDPERF_ROLE = {"data_preparator": "data preparation container", "model": "reference model",
                "metrics": "evaluator container"}
REGISTERED = "registered.json"


@dataclass
class RegisteredCube:
    role: str
    uid: int  # the mlcube's id (for the model: its container's)
    name: str
    image: str | None
    image_hash: str | None
    folder: Path


@dataclass
class Registered:
    uid: int
    name: str
    server: str
    folder: Path  # holds benchmark.yaml
    cubes: dict[str, RegisteredCube] = field(default_factory=dict)  # roles fetched

    @property
    def profile(self) -> Path:
        return self.folder / "benchmark.yaml"


def _id(data: dict, key: str, what: str) -> int:
    value = data.get(key)
    if isinstance(value, dict) and isinstance(value.get("id"), int):
        value = value["id"]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RegistryError(f"{what}: the server's {key!r} is {printable(repr(value))[:80]}, not an id",
                            hint="this is not what a MedPerf server sends: check --medperf-server")
    return value


def _container(client: Client, role: str, uid: int, bench_what: str) -> tuple[int, dict]:
    """(mlcube id, mlcube) for a role: the model role goes through /models/ (a Model wraps its container)."""
    if role != "model":
        return uid, client.container(uid)
    model = client.model(uid)
    if model.get("type") != "CONTAINER" or not isinstance(model.get("container"), dict):
        raise RegistryError(f"{bench_what}: its reference model {uid} is a {printable(str(model.get('type')))[:40]} "
                            "model, not a container medcube can run",
                            hint="pass your model with -m LOCAL_MODEL: the reference model is then not needed")
    container = model["container"]
    return _id(container, "id", f"model {uid}'s container") if "id" in container else uid, container


def _check_container(c: dict, what: str) -> None:
    if not isinstance(c.get("container_config"), dict):
        raise RegistryError(f"{what}: it has no container_config mapping",
                            hint="it may be an MLCube-era registration (mlcube.yaml by URL): medcube reads "
                                 "MedPerf 0.3's container_config")
    if c.get("parameters_config") is not None and not isinstance(c["parameters_config"], dict):
        raise RegistryError(f"{what}: its parameters_config is not a mapping")
    if c.get("is_valid") is False:
        raise RegistryError(f"{what} is marked INVALID on the server", hint="MedPerf refuses it too")


def _digest(answers: Any) -> str:
    return hashlib.sha256(json.dumps(answers, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _host_key(url: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in url.split("://", 1)[-1])[:100]


def materialise(server: Server, uid: int, roles: frozenset[str] | set[str], *, quiet: bool = False,
                contracts: dict | None = None) -> Registered:
    """Fetch benchmark ``uid`` and the cubes of ``roles`` (the others are local), download and check the demo data
    and those cubes' additional files, and write the benchmark folder (see the module docstring)."""
    from validator.cachedir import cache_dir

    client = Client(server)
    what = f"benchmark {uid} on {server.url}"
    bench = client.benchmark(uid)
    name = printable(str(bench.get("name") or f"benchmark-{uid}"))[:128]
    if bench.get("is_valid") is False:
        raise RegistryError(f"{what} is marked INVALID on the server", hint="MedPerf refuses it too")
    metadata = bench.get("metadata")
    if isinstance(metadata, dict) and metadata.get("demo_dataset_already_prepared"):
        raise RegistryError(f"{what}: its demo dataset is already prepared (metadata demo_dataset_already_prepared); "
                            "medcube's chain always runs the data preparator",
                            hint="run `medperf test run -b UID` for this benchmark")
    context = server.ssl_context()
    demo = fetch(bench.get("demo_dataset_tarball_url"), bench.get("demo_dataset_tarball_hash"),
                 f"the demo dataset of {what}", context, quiet, suffix=".tar.gz")
    answers: dict[str, Any] = {"benchmark": bench}
    containers: dict[str, tuple[int, dict]] = {}
    for role in ROLES:
        if role not in roles:
            continue
        ref = _id(bench, ROLE_FIELDS[role], what)
        cid, container = _container(client, role, ref, what)
        _check_container(container, f"the {MEDPERF_ROLE[role]} {cid} of {what}")
        containers[role] = cid, container
        answers[role] = container
    tarballs: dict[str, Path] = {}
    for role, (cid, container) in containers.items():
        url = container.get("additional_files_tarball_url")
        if url:
            tarballs[role] = fetch(url, container.get("additional_files_tarball_hash"),
                                   f"the additional files of the {MEDPERF_ROLE[role]} {cid} of {what}", context,
                                   quiet, suffix=".tar.gz")
    answers["contracts"] = contracts
    root = cache_dir() / "medperf" / "benchmarks" / _host_key(server.url)
    folder = root / f"{uid}-{_digest(answers)}"
    registered = Registered(uid=uid, name=name, server=server.url, folder=folder)
    for role, (cid, container) in containers.items():
        config = container["container_config"]
        image = config.get("image") if isinstance(config.get("image"), str) else None
        image_hash = container.get("image_hash") if isinstance(container.get("image_hash"), str) else None
        registered.cubes[role] = RegisteredCube(role, cid, printable(str(container.get("name") or cid))[:128],
                                                image, image_hash or None, folder / f"{role}-{cid}")
    if not registered.profile.is_file():
        _write(registered, containers, tarballs, demo, bench, contracts, root)
    return registered


def _write(registered: Registered, containers: dict[str, tuple[int, dict]], tarballs: dict[str, Path], demo: Path,
           bench: dict, contracts: dict | None, root: Path) -> None:
    from validator.archive import safe_extract

    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=root))
    try:
        folders = {}
        for role in ROLES:
            if role in containers:
                cid, container = containers[role]
                cube = tmp / f"{role}-{cid}"
                workspace = cube / "workspace"
                workspace.mkdir(parents=True)
                (cube / "container_config.yaml").write_text(
                    yaml.safe_dump(container["container_config"], sort_keys=False), encoding="utf-8")
                (workspace / "parameters.yaml").write_text(
                    yaml.safe_dump(container.get("parameters_config") or {}, sort_keys=False), encoding="utf-8")
                extra = workspace / "additional_files"
                if role in tarballs:
                    safe_extract(tarballs[role], extra)
                else:
                    extra.mkdir()
            else:
                cube = tmp / f"{role}-local"  # replaced by a local cube: never loaded
                cube.mkdir()
            folders[role] = cube.name
        profile: dict[str, Any] = {
            "name": registered.name,
            "description": printable(str(bench.get("description") or ""))[:256]
            + f" (MedPerf benchmark {registered.uid} on {registered.server})",
            **folders,
            "demo_data": {"path": str(demo), "sha256": demo.name.split(".")[0]},
        }
        if contracts:
            profile.update(contracts)
        (tmp / "benchmark.yaml").write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        facts = {"uid": registered.uid, "name": registered.name, "server": registered.server,
                 "cubes": {r: {"uid": c.uid, "name": c.name, "image": c.image, "image_hash": c.image_hash}
                           for r, c in registered.cubes.items()}}
        (tmp / REGISTERED).write_text(json.dumps(facts, indent=2), encoding="utf-8")
        try:
            os.rename(tmp, registered.folder)
        except OSError:
            if not registered.profile.is_file():  # not another run's folder of the same answers
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_registered(folder: Path) -> dict:
    return json.loads((Path(folder) / REGISTERED).read_text(encoding="utf-8"))
