"""Cancellation as CI does it: a cancelled job gets SIGINT or SIGTERM (and SIGKILL later). The first signal ends
medcube through the cleanup every run already has (containers removed, builds and local tasks killed with their
process groups, staging folders removed: all in `finally` / `except BaseException` blocks), and it exits 130
(SIGINT) or 143 (SIGTERM); a second signal ends it at once.

`install()` is called once, by the CLI's entry point. `Cancelled` is a BaseException, so no `except Exception` on
the way swallows it, and click does not turn it into its own "Aborted!" (exit 1) as it does a KeyboardInterrupt.
This module knows nothing of runs or reports.
"""

from __future__ import annotations

import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(BaseException):
    """The run was cancelled by a signal: what is running is stopped on the way out."""

    def __init__(self, signum: int):
        super().__init__(f"cancelled by {signal.Signals(signum).name}")
        self.signum = signum
        # What the run had when the signal came (a run report, a command's result), set on the way out by the
        # layer that has it, so that the command line writes it, marked "cancelled".
        self.partial: object | None = None

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # as a shell reports a process ended by that signal: 130, 143


_received: list[int] = []


def _handler(signum, frame) -> None:
    if _received:  # a second signal: the user (or CI) does not wait for the cleanup
        os._exit(128 + signum)
    _received.append(signum)
    raise Cancelled(signum)


def install() -> None:
    """SIGINT and SIGTERM raise Cancelled in the main thread (the first), or end the process (the second)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _received.clear()
    for signum in SIGNALS:
        signal.signal(signum, _handler)


def message(e: Cancelled) -> str:
    return (f"medcube: {e} - the run's containers, builds and local tasks were stopped; "
            "the report says what ran before (marked cancelled), the logs are in the run folder")
