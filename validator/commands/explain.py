"""`medcube explain CODE`: one finding code's catalogue entry (severity, stage, title, fix), offline."""

from __future__ import annotations

import difflib

from validator.errors import UserError


def explain_text(code: str) -> str:
    from validator.codes import CATALOGUE

    key = code.strip().upper()
    if key.isdigit():
        key = "MC" + key.zfill(3)
    entry = CATALOGUE.get(key)
    if entry is None:
        close = difflib.get_close_matches(key, CATALOGUE, n=3, cutoff=0.6)
        raise UserError(f"unknown finding code {code!r}",
                        hint=(f"Did you mean {', '.join(close)}? " if close else "")
                        + "Codes are MC000-MC999; docs/findings.md lists them all.")
    return (f"{entry.id} ({entry.severity}, {entry.stage} stage): {entry.title}\n\n"
            f"How to fix it: {entry.fix}\n\n"
            f"Leave it out: --ignore {entry.id}, `ignore: [{entry.id}]` in .medcube.yaml, or at one place "
            f"`# medcube: ignore={entry.id}` (YAML line) / `# medcube ignore={entry.id}` (line above a Dockerfile "
            "instruction).\n")


def explain_command(code: str) -> str:
    """The catalogue entry of ``code`` as text (the CLI prints it); UserError for a code not in the catalogue."""
    return explain_text(code)
