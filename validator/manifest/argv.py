"""Command lines in configs: a string is split like a shell would, a list is taken as it is; which word of one is
a Python interpreter."""

from __future__ import annotations

import re
import shlex
from functools import lru_cache

# A Python interpreter by any name an image gives it: python, python3, python3.7, python3.11, by absolute path
# (/usr/bin/python3, /opt/conda/bin/python).
_INTERPRETER = re.compile(r"(?:/\S*/)?python(?:[23](?:\.\d+)?)?")
_ENV = re.compile(r"(?:/\S*/)?env")


def is_interpreter(word: str) -> bool:
    return _INTERPRETER.fullmatch(word) is not None


def is_env(word: str) -> bool:
    """`env` (/usr/bin/env), which runs the program named after it."""
    return _ENV.fullmatch(word) is not None


def split(text: str) -> list[str]:
    """`shlex.split(text)` (ValueError on an unbalanced quote), its answer remembered per text: the same command
    lines and Dockerfile lines come back within one cube (both config views, every check of a COPY) and across the
    cubes made from one template, and shlex's tokenizer costs more than the rest of their checks."""
    return list(_split(text))


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    return tuple(shlex.split(text))


def to_argv(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return split(value)
        except ValueError:
            return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return None
