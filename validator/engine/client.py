"""Connect to the Docker engine, or say clearly that none answers."""

from __future__ import annotations

import os

from validator.errors import EngineUnavailable


def connect(timeout: float = 300.0):
    """A docker SDK client whose engine answered a ping. Raises EngineUnavailable otherwise."""
    try:
        import docker
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise EngineUnavailable("the docker Python package is not installed", hint="pip install docker") from e
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as e:  # DockerException, requests errors, FileNotFoundError on the socket
        raise EngineUnavailable(
            f"no Docker engine answers at {host} ({_short(e)})",
            hint="start Docker (or set DOCKER_HOST), or run without it: --runner local",
        ) from e
    return client


def engine_available() -> bool:
    try:
        connect(timeout=5).close()
        return True
    except EngineUnavailable:
        return False


def _short(e: Exception) -> str:
    text = str(e)
    if "FileNotFoundError" in text or "No such file" in text:
        return "no socket there"
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused"
    if "PermissionError" in text or "Permission denied" in text:
        return "permission denied on the socket; is your user in the docker group?"
    text = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return text[:160]
