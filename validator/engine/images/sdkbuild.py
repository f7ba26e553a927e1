"""The docker SDK's legacy builder, the fallback when no docker CLI here builds with BuildKit (engine/images/buildkit.py):
one build streamed and bounded the same way (no network unless asked, a memory limit, a timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from validator.engine.limits import Limits
from validator.manifest.model import Build


def sdk_build(engine, build: Build, dockerfile: str, tag: str | None, buildargs: dict[str, str],
               labels: dict[str, str], on_line: Callable[[str], None], limits: Limits) -> tuple[str, str | None, str | None, bool]:
    """The docker SDK's (legacy) build: (log, error or None, the image id, timed out). Bounded by ``limits``: no
    network unless build_network, the memory limit, build_timeout (the read timeout cuts a silent build, the check
    on each chunk a talkative one, and a watchdog closes the connection should the stream hang anyway)."""
    lines: list[str] = []
    error: str | None = None
    built_id: str | None = None
    timed_out = False
    timeout = limits.build_timeout
    started = time.monotonic()
    client = engine.sdk()
    api = _api(engine, client, timeout)
    watchdog = threading.Timer(timeout + 10, api.close) if timeout and api is not client.api else None
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    try:
        stream = api.build(path=str(build.context), dockerfile=dockerfile, tag=tag, buildargs=buildargs or None,
                           labels=labels, rm=True, forcerm=True, decode=True,
                           network_mode=None if limits.build_network else "none",
                           timeout=max(1, int(timeout)) if timeout else None,
                           container_limits={"memory": limits.memory, "memswap": limits.memory} if limits.memory
                           else None)
        for chunk in stream:
            if timeout and time.monotonic() - started > timeout:
                timed_out = True
                break
            aux = chunk.get("aux")
            if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
                built_id = aux["ID"]
            text = chunk.get("stream") or chunk.get("status") or ""
            if "errorDetail" in chunk or "error" in chunk:
                error = (chunk.get("errorDetail") or {}).get("message") or chunk.get("error") or "build failed"
                lines.append(f"ERROR: {error}\n")
                on_line(f"ERROR: {error}")
                continue
            if text:
                if chunk.get("status") and chunk.get("progress"):
                    text = f"{text} {chunk['progress']}"
                lines.append(text if text.endswith("\n") else text + "\n")
                for part in text.rstrip("\n").splitlines():
                    on_line(part)
    except Exception as e:  # the engine refused the build (bad context, API error), or a silence past the timeout
        if timeout and _is_read_timeout(e):
            timed_out = True
        else:
            error = str(e)
            lines.append(f"ERROR: {error}\n")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if api is not client.api:
            api.close()  # a cancelled build's connection closes: the engine stops the build
    if timed_out:
        error = f"the build ran longer than the --build-timeout of {timeout:g}s and was stopped"
        lines.append(f"ERROR: {error}\n")
    return "".join(lines), error, built_id, timed_out


def _api(engine, client, timeout: float | None):
    """The low-level client a build streams through: with the build timeout as its read timeout, so a build that
    prints nothing (RUN sleep) cannot outwait it; the engine's address and TLS settings as medcube resolved them."""
    if not timeout:
        return client.api
    import docker

    return docker.APIClient(version=client.api.api_version, **engine.sdk_kwargs(timeout))


def _is_read_timeout(e: Exception) -> bool:
    text = f"{type(e).__name__} {e}"
    return "ReadTimeout" in text or "Read timed out" in text or "timed out" in text.lower()
