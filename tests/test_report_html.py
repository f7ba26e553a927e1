"""The HTML report without a browser: what it shows, what it escapes, what it refuses to read from a run folder.

Run folders here are small generated ones (numpy writes the arrays, so the report's own .npy reader is checked
against the real format); the report of a real demo run in a real browser is in test_report_html_browser.py.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validator.codes import CATALOGUE
from validator.report import charts, runfiles
from validator.report.html import page_context, render_html

np = pytest.importorskip("numpy")

from report_runs import HOSTILE, LABELS, make_run  # noqa: E402  (after the numpy check)


def test_sections_metrics_and_roc_curves(tmp_path):
    report = make_run(tmp_path / "run")
    html = render_html(report, command=["medcube", "test", "examples/chestxray"])
    ctx = page_context(report)
    assert "FAIL" in html and "medcube test examples/chestxray" in html
    assert "up to date" in html and "built in 3.0s" in html  # the cached build and the one built
    fig = ctx["runs"][0]["figures"]
    assert [b.label for b in fig["auc"]["bars"]] == LABELS and fig["auc"]["undefined"] == [LABELS[2]]
    # ROC curves computed from the run folder: the AUC drawn agrees with a direct pairwise count
    preds = json.loads((tmp_path / "run/predictions/predictions.json").read_text())
    truth = {r: np.load(tmp_path / f"run/labels/{r}.npy") for r in preds}
    for j, roc in enumerate(fig["rocs"]):
        pos = [preds[r][j] for r in preds if truth[r][j]]
        neg = [preds[r][j] for r in preds if not truth[r][j]]
        if not pos or not neg:
            assert roc["path"] is None and roc["auc"] is None
            continue
        wins = sum((p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg))
        assert roc["auc"] == f"{wins / (len(pos) * len(neg)):.3f}"
    assert len(fig["strip"]) == 6 and fig["strip"][0]["src"].startswith("data:image/png;base64,")
    assert fig["threshold"] == 0.5
    # the failed task: marked on the timeline, its finding with file:line and a link into docs/findings.md
    spans = {s.label: s for s in ctx["runs"][0]["timeline"]["spans"]}
    assert spans["infer"].failed and not spans["prepare"].failed
    (finding,) = ctx["findings"]
    assert finding["where"] == "/x/model/container_config.yaml:7" and finding["href"].endswith("findings.md#mc610")
    assert 'href="' + finding["href"] + '"' in html
    assert finding["title"] == CATALOGUE["MC610"].title and finding["title"] in html


def test_cube_controlled_text_is_escaped(tmp_path):
    report = make_run(tmp_path / "run")
    (tmp_path / "run/logs/1-prepare.log").write_text("ok\n" + HOSTILE + "\n\x1b[31mred\x1b[0m\n")
    report["tasks"][1]["message"] = HOSTILE
    report["tasks"][1]["findings"][0]["message"] = HOSTILE
    report["results"]["per_label_AUC"] = {HOSTILE: 0.9, "b": 0.4, "c": None}
    report["benchmark"] = HOSTILE
    html = render_html(report)
    assert "<script" not in html and "<img src=x" not in html and "evil.example/\">" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "\x1b" not in html


def test_run_folder_links_and_oversized_files_are_not_read(tmp_path):
    report = make_run(tmp_path / "run")
    run = tmp_path / "run"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n")
    # a cube replaced its predictions by a link to a file outside the run folder, and its log by another
    (run / "predictions/predictions.json").unlink()
    (run / "predictions/predictions.json").symlink_to(secret)
    (run / "logs/1-prepare.log").unlink()
    (run / "logs/1-prepare.log").symlink_to(secret)
    report["tasks"][1]["log_path"] = str(secret)  # a log path outside the run folder
    html = render_html(report)
    assert "TOP-SECRET-LINE" not in html
    ctx = page_context(report)
    assert ctx["runs"][0]["figures"]["rocs"] == [] and "no readable predictions" in ctx["runs"][0]["figures"]["notes"][0]
    # a link in a folder above the file is refused too
    os.rename(run / "labels", tmp_path / "labels-real")
    (run / "labels").symlink_to(tmp_path / "labels-real")
    assert runfiles.read_npy(run, "labels/rec000.npy") is None and runfiles.list_records(run, "labels") == []
    assert runfiles.read_npy(tmp_path / "labels-real", "rec000.npy") is not None
    big = run / "data" / "big.npy"
    np.save(big, np.zeros(runfiles.MAX_NPY_BYTES, dtype=np.uint8))
    assert runfiles.read_npy(run, "data/big.npy") is None
    assert runfiles.read_capped(run, "../secret.txt", 100) is None


@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32", ">f8", "bool", "int16"])
def test_npy_reader_matches_numpy(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    np.save(tmp_path / "a.npy", arr)
    shape, values = runfiles.parse_npy((tmp_path / "a.npy").read_bytes())
    assert shape == arr.shape and values == arr.ravel().tolist()


def test_npy_reader_refuses_pickles_and_garbage(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert runfiles.parse_npy((tmp_path / "o.npy").read_bytes()) is None
    np.save(tmp_path / "s.npy", np.array(["x"]))
    assert runfiles.parse_npy((tmp_path / "s.npy").read_bytes()) is None
    good = (np.save(tmp_path / "g.npy", np.zeros(4)), (tmp_path / "g.npy").read_bytes())[1]
    assert runfiles.parse_npy(good[:-1]) is None and runfiles.parse_npy(b"not an array") is None


def test_png_encoder_round_trips():
    Image = pytest.importorskip("PIL.Image")
    import io

    pixels = [random.Random(1).randrange(256) for _ in range(7 * 5)]
    image = Image.open(io.BytesIO(runfiles.png(7, 5, pixels)))
    assert image.size == (7, 5) and image.tobytes() == bytes(pixels)


def test_roc_curve_ties_and_single_class():
    roc = charts.roc_curve([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])
    assert roc.points == [(0.0, 0.0), (1.0, 1.0)] and roc.auc == 0.5
    assert charts.roc_curve([1, 1], [0.2, 0.3]) is None


def test_leaderboard_ranks_submissions(tmp_path):
    report = make_run(tmp_path / "run")
    report["submissions"] = [
        {"path": "/m/weak", "role": "model", "ok": True, "results": {"AUC": 0.6, "Accuracy": 0.9}, "tasks": [], "findings": []},
        {"path": "/m/broken", "role": "model", "ok": False, "results": {}, "tasks": [{"status": "failed"}],
         "findings": [{"severity": "error", "code": "MC610", "file": "f", "line": None, "column": None,
                       "message": "m", "hint": None}]},
        {"path": "/m/strong", "role": "model", "ok": True, "results": {"AUC": 0.8, "Accuracy": 0.7}, "tasks": [], "findings": []},
    ]
    board = page_context(report)["leaderboard"]
    assert board["key"] == "AUC" and [r["name"] for r in board["rows"]] == ["strong", "weak", "broken"]
    assert board["rows"][2]["errors"] == 1
    assert 'id="leaderboard"' in render_html(report)


def test_validate_json_with_runs(tmp_path):
    run = make_run(tmp_path / "run")
    data = {"ok": False, "cubes": [{"path": "/x/model", "role": "model", "ok": False, "run": run, "findings": [
        {"severity": "warning", "code": "MC503", "file": "/x/model/project/Dockerfile", "line": 1, "column": None,
         "message": "runs as root", "hint": "add USER"}]}]}
    ctx = page_context(data)
    assert ctx["kind"] == "validate" and len(ctx["runs"]) == 1
    assert {f["code"] for f in ctx["findings"]} == {"MC503", "MC610"}
    assert "Dockerfile:1" in render_html(data)


def test_a_moved_run_folder_is_read_from_where_it_is_now(tmp_path):
    report = make_run(tmp_path / "run")
    shutil.move(tmp_path / "run", tmp_path / "moved")
    assert "prepared 12 records" not in render_html(report)
    html = render_html(report, run_dir=tmp_path / "moved")
    assert "prepared 12 records" in html and "ROC curves" in html


@pytest.mark.docker
def test_image_sizes_from_the_engine(base_image):
    from validator.engine.images.image_size import image_sizes

    sizes = image_sizes([base_image, "medcube-test/no-such-image:0"])
    assert list(sizes) == [base_image] and sizes[base_image] > 10 * 2**20


def test_static_only_validate_report():
    data = {"ok": False, "cubes": [{"path": "cubes/a", "role": None, "ok": False, "findings": [
        {"severity": "error", "code": "MC000", "file": "cubes/a", "line": None, "column": None,
         "message": "no container_config.yaml here", "hint": None}]}]}
    html = render_html(data, command="medcube validate --static cubes/a")
    assert "static checks only" in html and "MC000" in html and "Timeline" not in html
    assert "no container_config.yaml here" in html and 'id="verdict">FAIL<' in html


def test_a_big_run_still_makes_a_small_page(tmp_path):
    """800 records and noisy 512 x 512 RGB images: the ROC curves are thinned, the images subsampled."""
    run = tmp_path / "run"
    report = make_run(run, cases=800)
    rng = np.random.default_rng(1)
    for i in range(6):
        np.save(run / "data" / f"rec{i:03d}.npy", rng.integers(0, 256, (512, 512, 3), dtype=np.uint8))
    html = render_html(report)
    assert len(html) < 600_000, len(html)
    figures = page_context(report)["runs"][0]["figures"]
    assert len(figures["rocs"][0]["path"].split()) <= 400
    assert len(figures["strip"]) == 6  # shown, at 128 x 128


def test_curve_thinning_keeps_both_ends():
    points = [(i / 999, (i / 999) ** 0.5) for i in range(1000)]
    path = charts.curve_path(points, 100, 0, max_points=50).split()
    assert len(path) == 50 and path[0] == "0.0,100.0" and path[-1] == "100.0,0.0"


def test_validate_static_writes_the_html_report(tmp_path):
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out" / "validate.html"
    proc = subprocess.run([sys.executable, "-m", "validator", "validate", "--static", "examples/chestxray/model",
                           "--html", str(out)], cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = out.read_text()
    assert 'id="verdict">PASS<' in html and "examples/chestxray/model" in html and "static checks only" in html
    assert "medcube validate --static examples/chestxray/model --html" in html


def test_odd_reports_and_run_folders_still_render(tmp_path):
    """Whatever a cube left behind, and a report with fields missing, give a page, not a traceback."""
    run = tmp_path / "run"
    report = make_run(run)
    (run / "predictions/predictions.json").write_text(json.dumps({"rec000": "high", "rec001": [1, "x"], "rec002": [0.1]}))
    np.save(run / "labels/rec002.npy", np.zeros((2, 2)))
    np.save(run / "data/rec002.npy", np.zeros(5))
    (run / "logs/1-prepare.log").write_bytes(b"\xff\xfe\x00binary\x1b[2Jnoise")
    report["results"] = {"per_label_AUC": [0.1, 0.2], "nested": {"a": [1, 2], "b": {"c": 1}}, "AUC": float("nan")}
    report["tasks"].append({"task": "evaluate"})
    report["builds"].append({})
    report["probes"].append({"name": None})
    report["findings"] = [{"code": None}]
    report["submissions"] = [{"path": None, "results": {"AUC": "n/a"}}, "not a submission"]
    html = render_html(report)
    assert 'id="verdict">FAIL<' in html and "binarynoise" in html
    (run / "predictions/predictions.json").write_text("[1, 2, 3]")
    assert "no readable predictions" in render_html(report)


def test_an_html_path_that_cannot_be_written_is_a_clear_error(tmp_path):
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "report.html"
    proc = subprocess.run([sys.executable, "-m", "validator", "validate", "--static", "examples/chestxray/model",
                           "--html", str(target)], cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "cannot write the HTML report" in proc.stderr and "Traceback" not in proc.stderr
