"""One predictions JSON object read record by record with ijson, so that what medcube holds does not grow with the
number of records (MedPerf's `predictions.json` holds every record of the data set in one object).

Only the plain case is streamed: a regular file (never through a link) of at most `limit` bytes that holds one JSON
object in strict JSON, whose text ijson decodes as Python's json module does, each record nested at most `nesting`
levels. Anything else raises `NotStreamed`, before the first record or after some: NaN or Infinity (Python's json
reads them, ijson refuses them), broken JSON, another top-level value, a surrogate escape in text, a vertical tab or
form feed, a record nested deeper. The caller then forgets what it has seen and reads the file whole, as it always
did, so every answer and every message stays the one Python's json module gives. Duplicate keys are yielded as they
come: the caller keeps the last.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from validator import hostfs
from validator.errors import MedcubeError

_WHITESPACE = b" \t\r\n"
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_PEEK = 64 << 10  # leading whitespace read to find the top-level value; more than that is read whole


class NotStreamed(MedcubeError):
    """The file is not the plain case: read it whole instead."""

    def __init__(self, why: str) -> None:
        super().__init__(f"not streamed: {why}", "the file is read whole instead")


class _Capped:
    """A binary file as ijson reads it, refusing (NotStreamed) what ijson reads otherwise than Python's json:
    - more than `limit` bytes in all (the file may grow while it is read);
    - a vertical tab or form feed: ijson takes them for whitespace between tokens, Python's json refuses them;
    - a surrogate escape (`\\ud800`): ijson's C backend turns a lone one into "?" or pairs it with the next escape,
      where Python's json keeps it (an escaped pair, a character beyond the BMP, is refused too: it is rare in ids).
    At the end it gives one newline more: ijson's C backend lets a string left open after the top-level object pass
    (`{} "x`), and a raw newline inside a string is an error it does report."""

    def __init__(self, f, limit: int) -> None:
        self._f, self._left, self._ended, self._tail = f, limit, False, b""

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if not data and n and not self._ended:  # (ijson reads 0 bytes first, to tell bytes from text)
            self._ended = True
            return b"\n"
        self._left -= len(data)
        if self._left < 0:
            raise NotStreamed("larger than medcube reads")
        if b"\x0b" in data or b"\x0c" in data or _SURROGATE.search(self._tail + data):
            raise NotStreamed("a vertical tab, form feed or surrogate escape")
        self._tail = data[-3:]
        return data


def _too_deep(value, limit: int) -> bool:
    """Whether lists or mappings in value nest more than limit levels below it (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
    return False


def records(path: Path, limit: int, nesting: int) -> Iterator[tuple[str, object]]:
    """(record id, value) for each key of the JSON object in path, in file order; numbers as int and float, as Python's
    json gives them. `nesting` counts the object itself: a record may nest `nesting - 1` levels. Raises NotStreamed."""
    try:
        import ijson
    except ImportError:  # a broken install: the whole-file reader still works
        raise NotStreamed("ijson is not installed") from None
    try:
        fd = hostfs.open_regular(path)
    except hostfs.HostFileError as e:
        raise NotStreamed(e.message) from None
    with os.fdopen(fd, "rb") as f:
        try:
            if os.fstat(f.fileno()).st_size > limit or f.read(_PEEK).lstrip(_WHITESPACE)[:1] != b"{":
                raise NotStreamed("not a JSON object, or larger than medcube reads")
            f.seek(0)
            for key, value in ijson.kvitems(_Capped(f, limit), "", use_float=True):
                if _too_deep(value, nesting - 1):
                    raise NotStreamed(f"a record nested more than {nesting - 1} levels deep")
                yield key, value
        except NotStreamed:
            raise
        except Exception as e:  # ijson's errors, the few values its C backend cannot decode, a failed read
            raise NotStreamed(type(e).__name__) from None
