"""The engine lost while a task ran (the wait's connection broke): what happened, as far as medcube can tell. It
waits a bounded time for the engine to answer again, then asks it about the task's container:

    no answer within the bound        it went away (stopped, crashed) and did not come back
    answers, the container stopped    it restarted (a restart stops every container, without live-restore)
    answers, the container still runs only the connection broke

Boundary: the words of MC623's message (validator.engine.tasks.docker makes the finding); no container is removed
here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from validator.engine.client.api import Engine, EngineError


@dataclass
class Lost:
    text: str  # what happened, for the finding's message
    answers: bool  # the engine answers again


def what_happened(engine: Engine, container: str, e: EngineError, within: float) -> Lost:
    why = e.explanation.strip()[:200]
    back = answers_again(engine, within)
    if back is None:
        return Lost(f"it went away ({why}) and did not answer again within {within:g}s: it stopped or crashed", False)
    try:
        state: dict[str, Any] = engine.inspect(container).get("State") or {}
    except EngineError:
        state = {}  # it answers, the container is gone
    if not state.get("Running"):
        return Lost(f"it restarted: it answered again {back:.0f}s later, and the task's container had been stopped "
                    f"with it ({state_text(state)})", True)
    return Lost(f"the connection to it broke ({why}); the engine still answers and the task still ran", True)


def answers_again(engine: Engine, within: float) -> float | None:
    """Seconds until the engine answered a ping again (at most ``within``), None when it did not."""
    started = time.monotonic()
    while True:
        try:
            engine.ping()
            return time.monotonic() - started
        except EngineError:
            if time.monotonic() - started >= within:
                return None
            time.sleep(0.5)


def state_text(state: dict[str, Any]) -> str:
    """What the engine says of a container that no longer runs."""
    if not state:
        return "it is gone"
    code = state.get("ExitCode")
    return f"{state.get('Status') or 'exited'}" + (f", exit code {code}" if code is not None else "")
