"""The HTML report of a real demo run, opened in a real headless browser (Debian's chromium).

Checked: the page rendered (the screenshot is not blank and shows the verdict's colour, which also proves the
stylesheet passed the page's Content-Security-Policy), the verdict and a metric are in the page text, nothing in
the DOM points at the network and the page's console reports no blocked load. Two controls show those checks can
fail: a report with an external image injected trips both. Chromium comes from scripts/test.sh; without it these
tests are skipped locally and fail under CI=true.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import active_content, external_urls, find_chromium, open_page, text_of
from conftest import _unavailable

from validator.report.html import write_html

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
VERDICT_GREEN = (0x1A, 0x7F, 0x37)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("chromium is not installed (scripts/test.sh installs it: apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The chest X-ray demo run (local runner: no image to build) with --html, and its JSON report."""
    for module in ("torch", "numpy", "PIL", "typer"):
        pytest.importorskip(module)
    tmp = tmp_path_factory.mktemp("demo")
    cmd = [sys.executable, "-m", "validator", "test", "examples/chestxray", "--runner", "local", "--no-probes",
           "--report", str(tmp / "report.json"), "--run-dir", str(tmp / "run"), "--html", str(tmp / "report.html")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"HTML report: {tmp / 'report.html'}" in proc.stdout
    assert (tmp / "run" / "report.html").read_text() == (tmp / "report.html").read_text()  # also in the run folder
    return json.loads((tmp / "report.json").read_text()), tmp / "report.html"


def _pixels_near(png: Path, rgb: tuple[int, int, int], tol: int = 12) -> tuple[int, int]:
    from PIL import Image

    image = Image.open(png).convert("RGB")
    data = image.tobytes()
    near = sum(1 for i in range(0, len(data), 3)
               if all(abs(data[i + k] - rgb[k]) <= tol for k in range(3)))
    colours = len({data[i : i + 3] for i in range(0, len(data), 3 * 7)})
    return near, colours


def test_demo_report_renders_without_network(chromium, demo, tmp_path):
    data, html = demo
    assert html.stat().st_size < 2 * 1024 * 1024
    page = open_page(chromium, html, tmp_path / "report.png")
    text = text_of(page.dom)
    assert 'id="verdict">PASS<' in page.dom
    assert "medcube test examples/chestxray --runner local --no-probes" in text  # the command as typed
    assert "AUC" in text and f"{data['results']['AUC']:.4f}" in text
    assert "Threshold used: 0.5" in text and "ROC curves" in text and "cardiomegaly" in text
    assert page.dom.count('src="data:image/png;base64,') >= 1  # the strip of prepared images
    assert external_urls(page.dom) == []
    assert page.console == [], page.console  # a blocked load or script would be logged here
    green, colours = _pixels_near(page.screenshot, VERDICT_GREEN)
    assert green > 300 and colours > 20, (green, colours)  # rendered, styled, not blank


def test_the_checks_fail_on_a_page_that_loads_from_the_network(chromium, demo, tmp_path):
    _, html = demo
    bad = tmp_path / "bad.html"
    bad.write_text(html.read_text().replace("<footer>", '<img src="http://127.0.0.1:9/pixel.png"><footer>'))
    page = open_page(chromium, bad, tmp_path / "bad.png", size="800,600")
    assert external_urls(page.dom) == ["http://127.0.0.1:9/pixel.png"]
    assert any("Content Security Policy" in line for line in page.console), page.console


def test_hostile_log_stays_text_in_the_browser(chromium, tmp_path):
    pytest.importorskip("numpy")
    from report_runs import HOSTILE, make_run

    report = make_run(tmp_path / "run")
    (tmp_path / "run/logs/1-prepare.log").write_text("prepared\n" + HOSTILE + "\n")
    report["tasks"][1]["message"] = HOSTILE
    html = write_html(tmp_path / "hostile.html", report)
    page = open_page(chromium, html, tmp_path / "hostile.png", size="800,600")
    assert active_content(page.dom) == []
    assert HOSTILE in text_of(page.dom)  # shown, character for character, as text
    assert external_urls(page.dom) == [] and page.console == []
