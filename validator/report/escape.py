"""Text from a cube (file names, messages quoting its content) made safe for one line of a CI log: the escapes of
validator.textsafe, and newlines and tabs folded into spaces."""

from __future__ import annotations

import re

from validator.textsafe import printable


def one_line(text: str) -> str:
    """Newlines and tabs become spaces; other control characters (terminal escapes, bidi overrides) are shown
    escaped (\\xNN, \\uNNNN)."""
    return printable(re.sub(r"[\r\n\t]+", " ", text)).strip()
