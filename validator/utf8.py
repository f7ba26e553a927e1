"""Where bytes that should be UTF-8 text are not: the byte offset and line of the first bad byte, for a message.

medcube reads a cube's configs, parameters and scripts as UTF-8 (as MedPerf and Python 3 do). A file that is not is
reported as such, "not UTF-8", with its place, never as a YAML or Python syntax error. This module only words it.
"""

from __future__ import annotations


def where(error: UnicodeDecodeError) -> tuple[str, int]:
    """("<reason> at byte N (line L)", L) for a failed decode of error.object."""
    raw = error.object
    line = bytes(raw[: error.start]).count(b"\n") + 1
    return f"{error.reason} at byte {error.start} (line {line})", line


def message(error: UnicodeDecodeError) -> str:
    """"not UTF-8: invalid start byte at byte 7 (line 2)" (the encoding named when a file declared another)."""
    name = "UTF-8" if error.encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig") else error.encoding
    return f"not {name}: {where(error)[0]}"


SCRIPT_HINT = ("Save the script as UTF-8, or declare its encoding in its first two lines "
               "(`# -*- coding: latin-1 -*-`), as Python allows.")
