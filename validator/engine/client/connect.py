"""Connect to the Docker engine, or say clearly that none answers."""

from __future__ import annotations

import os

from validator.engine.client.api import Engine, EngineError
from validator.errors import EngineUnavailable


def connect(timeout: float = 300.0, kind: str | None = None) -> Engine:
    """An engine (validator.engine.client.api) that answered a ping. Raises EngineUnavailable otherwise. ``kind``
    ("docker" or "podman", else MEDCUBE_ENGINE; validator.engine.client.kind) picks the socket when DOCKER_HOST is
    unset, and must then be what answers (a UserError otherwise)."""
    from validator.engine.client.kind import check_name, engine_host, learn

    try:
        host = engine_host(kind)
        engine = Engine(host, timeout) if host else Engine.from_env(timeout)
    except ValueError as e:
        raise EngineUnavailable(str(e), hint="set DOCKER_HOST to unix:///path/to/docker.sock or tcp://HOST:PORT "
                                "(for an engine reached over ssh, forward its socket: ssh -L)") from None
    try:
        engine.ping()
    except EngineError as e:
        raise EngineUnavailable(
            f"no Docker engine answers at {engine.host} ({_short(e)})",
            hint="start Docker (or set DOCKER_HOST), or run without it: --runner local",
        ) from e
    if kind or os.environ.get("MEDCUBE_ENGINE"):
        try:
            facts = learn(engine)
        except EngineError as e:
            raise EngineUnavailable(f"the engine at {engine.host} did not say what it is ({_short(e)})") from e
        check_name(kind, facts, engine.host)
    return engine


def _short(e: EngineError) -> str:
    text = e.explanation
    if "FileNotFoundError" in text or "No such file" in text:
        return "no socket there"
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused"
    if "PermissionError" in text or "Permission denied" in text:
        return "permission denied on the socket; is your user in the docker group?"
    text = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return text[:160]
