"""'Did you mean' for keys and labels."""

from __future__ import annotations

import difflib


def closest(word: str, choices) -> str | None:
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices) -> str:
    best = closest(word, choices)
    return f" (did you mean '{best}'?)" if best else ""
