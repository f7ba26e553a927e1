"""Text from a cube (file names, messages quoting its content) made safe for one line of a CI log."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """Newlines and tabs become spaces; other control characters (terminal escapes) are shown as \\xNN."""
    text = re.sub(r"[\r\n\t]+", " ", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text).strip()
