"""The report formats of `validate` and `test` (`--format`), and which one applies when none is asked for.

text    tables for a person at a terminal (the default there)
gnu     one line per finding, `file:line:col: severity CODE message` (the default when stdout is not a terminal)
json    everything, for scripts
sarif   SARIF 2.1.0, for code scanning
github  GitHub Actions workflow commands: annotations on the pull request
"""

from __future__ import annotations

import sys
from typing import Iterable

from validator.findings import Finding

FORMATS = ("text", "json", "sarif", "github", "gnu")
LINE_FORMATS = ("sarif", "github", "gnu")  # rendered from the findings alone


def default_format(stream=None) -> str:
    """text on a terminal, gnu otherwise (CI logs, pipes, files): no tables wrapped at 80 columns."""
    stream = stream if stream is not None else sys.stdout
    try:
        return "text" if stream.isatty() else "gnu"
    except (AttributeError, ValueError):
        return "gnu"


def render_findings(fmt: str, findings: Iterable[Finding], cancelled: str | None = None) -> str:
    """The findings in one of LINE_FORMATS; ``cancelled`` (the signal that cancelled the run) is said by SARIF (the
    others are lines of findings: the run's end is said on stderr)."""
    from validator.report import github, gnu, sarif

    renderers = {"sarif": sarif.render, "github": github.render, "gnu": gnu.render}
    if fmt not in renderers:
        raise ValueError(f"{fmt!r} is not one of {', '.join(LINE_FORMATS)}")
    if fmt == "sarif":
        return sarif.render(list(findings), cancelled=cancelled)
    return renderers[fmt](list(findings))


def summary_line(findings: list[Finding], cubes: int) -> str:
    """One closing line for the line formats, e.g. `medcube: 2 cubes, 1 error, 3 warnings, 1 info` (infos only when
    there are some)."""
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    parts = [f"{cubes} cube{'s' if cubes != 1 else ''}"]
    parts += [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n or s != "info"]
    return "medcube: " + ", ".join(parts)
