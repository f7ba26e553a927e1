"""The runner factory: the Runner a run asks for by name (docker, the default, or local), beside the runners it
makes (validator.engine.tasks.docker, validator.engine.tasks.local)."""

from __future__ import annotations

from validator.engine.limits import Limits
from validator.engine.tasks.runner import Runner
from validator.errors import EngineUnavailable


def select_runner(name: str | None, limits: Limits, run_id: str = "medcube") -> tuple[Runner, str | None]:
    """(runner, note). name None or "docker": Docker, or a UserError saying how to get an engine; the local
    runner only when asked for by name (it is not a sandbox: the note says so)."""
    if name == "local":
        from validator.engine.tasks.local import LocalRunner

        return LocalRunner(limits), (
            "local runner: tasks run as subprocesses of this Python, as this user, with a scrubbed environment; "
            "no image is built. It is not a sandbox: run only cubes you trust this way")
    from validator.engine.client.connect import connect
    from validator.engine.tasks.docker import DockerRunner

    try:
        engine = connect()
    except EngineUnavailable as e:
        raise EngineUnavailable(
            f"{e.message}: medcube runs cubes in containers, and runs nothing without an engine",
            hint="start Docker (`bash scripts/setup-engine.sh` installs and starts one), or, for a cube you trust, "
            "pass --runner local (tasks then run on this machine, without isolation)") from None
    return DockerRunner(engine, limits, run_id=run_id), None
