"""`medcube explain CODE` (offline, from the catalogue), and exit code 3 for an internal error (a bug in medcube),
apart from 1 (findings) and 2 (the user's mistake)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from validator.cli import app
from validator.codes import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent


def medcube(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validator", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_explain_prints_the_catalogue_entry():
    out = medcube("explain", "mc417")
    entry = CATALOGUE["MC417"]
    assert out.returncode == 0
    assert out.stdout.startswith(f"MC417 ({entry.severity}, static stage): {entry.title}")
    assert entry.fix in out.stdout and "# medcube ignore=MC417" in out.stdout


def test_explain_an_unknown_code_is_a_usage_error_with_suggestions():
    out = medcube("explain", "MC41")
    assert out.returncode == 2 and "unknown finding code" in out.stderr and "Traceback" not in out.stderr


def test_every_code_can_be_explained():
    runner = CliRunner()
    for code in CATALOGUE:
        result = runner.invoke(app, ["explain", code])
        assert result.exit_code == 0 and result.output.startswith(code), code


def test_a_bug_in_medcube_exits_3_without_a_traceback(monkeypatch):
    # A bug cannot be made on purpose in the real code: one is put into the explain command here.
    import validator.commands.explain as explain

    def broken(code):
        raise KeyError("a bug")

    monkeypatch.setattr(explain, "explain_text", broken)
    result = CliRunner().invoke(app, ["explain", "MC501"])
    assert result.exit_code == 3
    assert "internal error" in result.output and "KeyError" in result.output and "Traceback" not in result.output
    monkeypatch.setenv("MEDCUBE_DEBUG", "1")
    result = CliRunner().invoke(app, ["explain", "MC501"])
    assert result.exit_code == 3 and "Traceback" in result.output


def test_usage_errors_and_findings_keep_their_codes(tmp_path):
    assert medcube("validate", "--static", str(tmp_path / "missing")).returncode == 2
    assert medcube("validate", "--bogus-option").returncode == 2
    assert medcube("validate", "--static", str(tmp_path)).returncode == 1  # MC000: no cube here
