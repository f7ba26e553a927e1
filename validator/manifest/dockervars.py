"""Dockerfile variables the way BuildKit reads them: `ARG` and `ENV` name/value pairs, and the substitution of `$X`,
`${X}`, `${X:-default}`, `${X:+alt}`, `${X-default}`, `${X+alt}` (unknown variables are empty, `\\$` is a literal
`$`). Pure text functions; validator.manifest.dockerfile decides where they apply."""

from __future__ import annotations

import re

from validator.manifest.argv import split

_VARIABLE = re.compile(r"\\\$|\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand(text: str, values: dict[str, str]) -> str:
    """BuildKit's variable substitution; unknown variables are empty, `\\$` stays a literal `$`."""

    def sub(m: re.Match) -> str:
        if m.group(0) == "\\$":
            return "$"
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3) or ""
        value = values.get(name)
        if op == ":-":
            return value if value else expand(word, values)
        if op == "-":
            return value if value is not None else expand(word, values)
        if op == ":+":
            return expand(word, values) if value else ""
        if op == "+":
            return expand(word, values) if value is not None else ""
        return value or ""

    return _VARIABLE.sub(sub, text)


def arg_pairs(value: str) -> list[tuple[str, str | None]]:
    """`ARG A=1 B` -> [("A", "1"), ("B", None)]; `ARG NAME = value` is read leniently as one pair."""
    text = value.strip()
    try:
        words = split(text)
    except ValueError:
        words = text.split()
    if words and all(_NAME.fullmatch(w.partition("=")[0]) for w in words):
        return [(w.partition("=")[0], w.partition("=")[2] if "=" in w else None) for w in words]
    single = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", text, re.S)
    if single:
        return [(single.group(1), _unquote(single.group(2).strip()))]
    return []


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_pairs(value: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="x y"` -> [("A", "1"), ("B", "x y")]; the legacy `ENV NAME value with spaces` too."""
    text = value.strip()
    first = text.split(None, 1)
    if first and "=" not in first[0]:
        return [(first[0], first[1].strip() if len(first) > 1 else "")]
    try:
        words = split(text)
    except ValueError:
        words = text.split()
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words if "=" in w]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text
