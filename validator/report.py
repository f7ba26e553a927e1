"""Static findings -> a readable table (rich) or JSON; user errors -> one clear message, no traceback."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from validator.errors import UserError


def stdout() -> Console:
    return Console(soft_wrap=False, highlight=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def to_json(reports, runs=None) -> str:
    """The static reports; with `runs` (one run report per cube, from the build-and-run stage) each cube also gets
    a "run" object and "ok" covers both stages."""
    from validator.run_report import report_dict

    cubes = []
    for i, r in enumerate(reports):
        d = r.to_dict()
        d["findings"] = [
            {k: f[k] for k in ("severity", "code", "file", "line", "column", "message", "hint")} for f in d["findings"]
        ]
        if runs is not None:
            d["run"] = report_dict(runs[i])
            d["ok"] = d["ok"] and runs[i].ok
        cubes.append(d)
    return json.dumps({"ok": all(c["ok"] for c in cubes), "cubes": cubes}, indent=2)


def print_text(reports, console: Console | None = None) -> None:
    console = console or stdout()
    for r in reports:
        errors = sum(f.is_error for f in r.findings)
        warnings = len(r.findings) - errors
        status = Text("PASS", style="bold green") if r.ok else Text("FAIL", style="bold red")
        title = Text.assemble(status, f"  {r.path}", f"  ({r.role or 'role unknown'})")
        console.print(title)
        if r.findings:
            # Narrow terminals (CI logs are 80 columns): fixed small columns, paths relative to the cube (its path is
            # in the title), and the where/problem columns wrap instead of collapsing to an ellipsis.
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
            table.add_column("", no_wrap=True, min_width=5)
            table.add_column("code", no_wrap=True, min_width=5)
            table.add_column("where", overflow="fold", ratio=1)
            table.add_column("problem and fix", overflow="fold", ratio=3, min_width=24)
            prefix = r.path.rstrip("/") + "/"
            for f in sorted(r.findings, key=lambda f: (not f.is_error, f.file, f.line or 0)):
                mark = Text("error", style="red") if f.is_error else Text("warn", style="yellow")
                text = Text(f.message)
                if f.hint:
                    text.append("\n→ " + f.hint, style="dim")
                where = f.where()
                table.add_row(mark, f.code, where[len(prefix):] if where.startswith(prefix) else where, text)
            console.print(table)
        console.print(f"  {errors} error(s), {warnings} warning(s)\n")


def print_user_error(e: UserError) -> None:
    console = stderr()
    console.print(Text("error: ", style="bold red") + Text(str(e)))


def write_json(reports, runs=None) -> None:
    sys.stdout.write(to_json(reports, runs) + "\n")
