"""'Did you mean' for keys and labels."""

from __future__ import annotations

import difflib


def closest(word: str, choices) -> str | None:
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None

