"""Which findings fail a run: `--fail-on error|warning` and `--ignore MCnnn`, from the command line or from the
nearest settings file above a cube (`.medcube.yaml`, or `[tool.medcube]` in a `pyproject.toml`).

```yaml
# .medcube.yaml                       # pyproject.toml
fail-on: warning                      # [tool.medcube]
ignore: [MC501, MC503]                # fail-on = "warning"
                                      # ignore = ["MC501", "MC503"]
```
The search starts in the cube's folder and goes up, stopping after the folder that holds `.git` (the repository
root); in one folder `.medcube.yaml` wins over `pyproject.toml`, and a `pyproject.toml` without `[tool.medcube]` is
passed over. `--fail-on` on the command line replaces the file's value; `--ignore` adds to its list. Settings files
are read as plain files (no links, at most 1 MiB); a bad one is a UserError naming the file and the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from validator.codes import CATALOGUE
from validator.errors import UserError
from validator.findings import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

YAML_NAME = ".medcube.yaml"
PYPROJECT = "pyproject.toml"
FAIL_ON = ("error", "warning")
MAX_BYTES = 1 << 20
_CODE = re.compile(r"^MC\d{3}$")
_KEYS = ("fail-on", "ignore")


@dataclass(frozen=True)
class Gate:
    fail_on: str = "error"  # the lowest severity that fails: "error" or "warning"
    ignore: frozenset[str] = frozenset()  # codes left out of reports and of the verdict
    source: str | None = None  # the settings file these came from, None for defaults and command line only

    def kept(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings that are not ignored."""
        return [f for f in findings if f.code not in self.ignore]

    def fails(self, findings: Iterable[Finding]) -> bool:
        """Whether these findings (ignored ones left out) fail the run."""
        kept = self.kept(findings)
        if self.fail_on == "warning":
            return any(f.severity in ("error", "warning") for f in kept)  # an info never fails
        return any(f.is_error for f in kept)


def check_code(code: str, where: str) -> str:
    code = code.strip().upper()
    if not _CODE.match(code):
        raise UserError(f"{where}: '{code}' is not a finding code", hint="Codes look like MC501; docs/findings.md lists them.")
    if code not in CATALOGUE:
        near = [c for c in CATALOGUE if c[:4] == code[:4]]
        raise UserError(f"{where}: {code} is no finding code of medcube", hint="docs/findings.md lists them"
                        + (f"; near it: {', '.join(near[:8])}" if near else "") + ".")
    return code


def check_fail_on(value: Any, where: str) -> str:
    if value not in FAIL_ON:
        raise UserError(f"{where}: fail-on is {value!r}, expected one of: error, warning",
                        hint="error: only errors fail (the default); warning: warnings fail too.")
    return value


def find_settings(start: Path) -> Path | None:
    """The nearest settings file at or above `start` (a cube folder or a file in it), or None."""
    folder = Path(start).absolute()
    if not folder.is_dir():
        folder = folder.parent
    for d in (folder, *folder.parents):
        yaml_file = d / YAML_NAME
        if _plain_file(yaml_file):
            return yaml_file
        pyproject = d / PYPROJECT
        if _plain_file(pyproject) and _has_tool_table(pyproject):
            return pyproject
        if (d / ".git").exists():
            return None
    return None


def _shown(path: Path) -> Path:
    """Relative to the working directory when below it, as a user would type it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path}: settings file larger than 1 MiB", hint="Keep only medcube's settings in it.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text", hint="Save the settings file as UTF-8.") from None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        return "medcube" in (_load_toml(pyproject).get("tool") or {})
    except UserError:
        return True  # a broken pyproject.toml that may hold our table: read it and say what is wrong


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML: {e}", hint="Fix the TOML syntax at that place.") from None


def read_settings(path: Path) -> dict:
    """The settings (keys fail-on, ignore) of one file, checked."""
    path = Path(path)
    if path.name == PYPROJECT:
        table = (_load_toml(path).get("tool") or {}).get("medcube")
        where = f"{path}: [tool.medcube]"
        if table is None:
            return {}
    else:
        import yaml

        try:
            table = yaml.safe_load(_read_text(path))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise UserError(f"not valid YAML: {getattr(e, 'problem', None) or e}", file=str(path), line=line,
                            hint="Fix the YAML at that line.") from None
        where = str(path)
        if table is None:
            return {}
    if not isinstance(table, dict):
        raise UserError(f"{where}: expected a mapping of settings", hint="Keys: fail-on, ignore.")
    unknown = [k for k in table if k not in _KEYS]
    if unknown:
        raise UserError(f"{where}: unknown setting '{unknown[0]}'", hint="medcube reads: fail-on, ignore.")
    out: dict = {}
    if "fail-on" in table:
        out["fail-on"] = check_fail_on(table["fail-on"], f"{where} fail-on")
    if "ignore" in table:
        codes = table["ignore"]
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise UserError(f"{where}: ignore must be a list of codes", hint='e.g. ignore = ["MC501"]')
        out["ignore"] = [check_code(c, f"{where} ignore") for c in codes]
    return out


def gate_for(
    cube: Path | str | None,
    fail_on: str | None = None,
    ignore: Sequence[str] = (),
    use_settings: bool = True,
) -> Gate:
    """The gate for one cube: the nearest settings file (unless use_settings is False), then the command line."""
    settings: dict = {}
    source = None
    if use_settings and cube is not None:
        found = find_settings(Path(cube))
        if found is not None:
            found = _shown(found)
            settings = read_settings(found)
            source = str(found)
    chosen = check_fail_on(fail_on, "--fail-on") if fail_on is not None else settings.get("fail-on", "error")
    codes = set(settings.get("ignore", [])) | {check_code(c, "--ignore") for c in ignore}
    return Gate(chosen, frozenset(codes), source)
