"""What `medcube test --medperf-benchmark UID` and `medcube validate --medperf-benchmark UID` do before the chain runs:
resolve the server and token, fetch the benchmark and the cubes the run uses, check the images, and hand back the
benchmark folder to run. Messages go to stderr; the token is never among them."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from validator.errors import EngineUnavailable
from validator.manifest.roles import ROLES
from validator.registry.profile import MEDPERF_ROLE, Registered, materialise
from validator.registry.settings import resolve


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def _contracts(local_profile: Path | None) -> dict | None:
    """contracts and primary_metric of a local benchmark profile, kept for the registered benchmark's run."""
    if local_profile is None:
        return None
    import yaml

    from validator.chain.benchmark import find_benchmark_file, load_benchmark

    file = find_benchmark_file(local_profile)
    load_benchmark(file)  # any mistake in it is reported against that file
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    return {k: data[k] for k in ("contracts", "primary_metric") if k in data} or None


def registered_benchmark(uid: int, server: str | None, certificate: Path | None, roles: Iterable[str], *,
                         pull: bool = False, quiet: bool = False, local_profile: Path | None = None,
                         check_images: bool = True) -> Registered:
    """The benchmark folder for MedPerf benchmark ``uid``, holding the registered cubes of ``roles``."""
    from validator.registry.images import check_images as check

    settings = resolve(server, certificate)
    _say(f"MedPerf benchmark {uid} on {settings.url} (token: {settings.token_source})", quiet)
    wanted = frozenset(roles)
    registered = materialise(settings, uid, wanted, quiet=quiet, contracts=_contracts(local_profile))
    for role in ROLES:
        cube = registered.cubes.get(role)
        used = f"{MEDPERF_ROLE[role]} {cube.uid} ({cube.name})" if cube else "local"
        _say(f"  {role}: {used}", quiet)
    if check_images:
        try:
            for note in check(registered.cubes.values(), pull):
                _say(f"  {note}", quiet)
        except EngineUnavailable:
            if pull:
                raise
    _say(f"  benchmark folder: {registered.folder}", quiet)
    return registered


def roles_of(paths: Iterable[Path]) -> frozenset[str]:
    """The roles the given local cubes take, as far as they can be read; the chain's other roles are registered."""
    from validator.manifest.load import load_cube

    found = set()
    for path in paths:
        try:
            role = load_cube(path).role
        except Exception:  # an unreadable cube is reported by validate itself
            continue
        if role in ROLES:
            found.add(role)
    return frozenset(found)
