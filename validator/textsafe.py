"""Text a cube controls, made safe to print and to write into a report.

Task names, file names, log lines and messages built from them come from other people. Before medcube prints them
or writes them into JSON, JUnit or HTML, `printable()` replaces every character that could move the cursor, clear
the screen, recolour the terminal, reorder text (bidi overrides) or make an XML file not well-formed by a visible
escape (`\\x1b`, `\\u202e`). Newlines and tabs stay. This module knows nothing of findings or reports.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline; DEL and C1 controls; the Unicode line and paragraph separators; bidi
# embeddings, overrides and isolates; lone surrogates;
# the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """text with every unsafe character replaced by its escape (see the module docstring)."""
    return _UNSAFE.sub(_escape, text) if isinstance(text, str) else text


def printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)
