"""A real headless browser for the report tests: Debian's chromium, run as scripts/test.sh installs it.

`open_page` loads a local HTML file twice (once for the DOM after load, once for a screenshot) with a fresh
profile, every background service switched off, and the page's console on stderr, so Content-Security-Policy
violations (anything the page tried to load) can be read back. `external_urls` lists what in a DOM would make a
request: resource attributes and CSS url()/@import pointing anywhere but data: URIs and in-page anchors.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    dom: str
    screenshot: Path
    console: list[str]  # the page's console messages (CSP violations among them)


def _run(binary: str, args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="medcube-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, check=False,
                              text=True, timeout=timeout)


def open_page(binary: str, html: Path, screenshot: Path, size: str = "1200,2400") -> Page:
    url = Path(html).resolve().as_uri()
    dump = _run(binary, ["--dump-dom", url])
    assert dump.returncode == 0, dump.stderr[-2000:]
    shot = _run(binary, [f"--window-size={size}", f"--screenshot={screenshot}", url])
    assert shot.returncode == 0 and Path(screenshot).is_file(), shot.stderr[-2000:]
    console = [ln for ln in (dump.stderr + shot.stderr).splitlines() if ":CONSOLE" in ln]
    return Page(dump.stdout, Path(screenshot), console)


_RESOURCE_ATTRS = {"src", "srcset", "href", "action", "formaction", "poster", "data", "xlink:href", "background",
                   "ping", "manifest", "codebase", "cite", "longdesc", "icon"}
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)|@import\s+["']?([^"';\s]+)""", re.IGNORECASE)
_REMOTE = re.compile(r"^\s*(https?:|ftp:|wss?:)?//", re.IGNORECASE)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self._in_style = tag == "style"
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self._css(value)
            if name not in _RESOURCE_ATTRS or not value or value.startswith(("data:", "#")):
                continue
            if tag == "a" and name == "href" and not _REMOTE.match(value):
                continue  # a link to a local file or an anchor loads nothing until clicked, and nothing remote
            self.urls.append(value)
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.urls.append(dict(attrs).get("content") or "")

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        for a, b in _CSS_URL.findall(text):
            value = (a or b).strip()
            if not value.startswith("data:"):
                self.urls.append(value)


def external_urls(dom: str) -> list[str]:
    """URLs in a DOM that would be fetched, or that lead off the page to the network."""
    collector = _Collector()
    collector.feed(dom)
    collector.close()
    return collector.urls


def active_content(dom: str) -> list[str]:
    """Script elements and event-handler attributes (onload=, onerror=, ...) in a DOM."""
    collector = _Collector()
    collector.feed(dom)
    collector.close()
    return [tag for tag, _ in collector.elements if tag == "script"] + [
        f"{tag} {name}" for tag, attrs in collector.elements for name, _ in attrs if name.startswith("on")]


def text_of(dom: str) -> str:
    """The visible text of a DOM, roughly: tags removed, entities decoded, whitespace collapsed."""
    import html

    dom = re.sub(r"<(style|script)\b.*?</\1>", " ", dom, flags=re.IGNORECASE | re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())
