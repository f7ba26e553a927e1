"""Where the bundled templates and examples are: inside the installed package (validator/data/, put there by
setup.py at build time) or, in a source checkout / editable install, at the repository root."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DATA = Path(__file__).parent / "data"
_REPO_ROOT = Path(__file__).resolve().parent.parent


def _find(rel: str) -> Path:
    for base in (_PACKAGE_DATA, _REPO_ROOT):
        candidate = base / rel
        if candidate.exists():
            return candidate
    return _REPO_ROOT / rel


def templates_dir() -> Path:
    return _find("templates")


def template_dir(role: str) -> Path:
    return templates_dir() / role


def example_dir(name: str = "chestxray") -> Path:
    return _find(f"examples/{name}")


def default_benchmark() -> Path:
    return example_dir("chestxray") / "benchmark.yaml"
