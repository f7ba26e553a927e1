"""The documentation site's shape (mkdocs.yml; `scripts/docs.sh` builds it with --strict in .ci/run): every page of
docs/ is in the navigation, and every docs/ link of the README's front page names a page that exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pages(nav) -> set[str]:
    out: set[str] = set()
    for item in nav:
        for value in (item.values() if isinstance(item, dict) else [item]):
            out |= _pages(value) if isinstance(value, list) else {value}
    return out


def test_every_page_is_in_the_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["docs_dir"] == "docs" and config["theme"]["name"] == "material" and config["strict"] is True
    assert _pages(config["nav"]) == {p.name for p in (ROOT / "docs").glob("*.md")}


def test_readme_links_to_the_pages():
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert {"docs/getting-started.md", "docs/findings.md", "docs/ci.md", "docs/SECURITY.md", "docs/scaling.md",
            "docs/architecture.md"} <= links
    assert all((ROOT / link).exists() for link in links), links
