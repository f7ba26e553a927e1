"""Command lines in configs: a string is split like a shell would, a list is taken as it is."""

from __future__ import annotations

import shlex


def to_argv(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return None
