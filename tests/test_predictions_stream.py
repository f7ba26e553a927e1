"""predictions.json read a record at a time (validator/chain/predstream.py): the output contract's findings are the
ones the file read whole gives, and the plain file is never read whole."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.chain import outputs
from validator.chain.benchmark import PredictionsContract
from validator.chain.outputs import MAX_NESTING, MAX_PREDICTIONS, check_predictions
from validator.chain.predstream import NotStreamed, records

CONTRACT = PredictionsContract(file="predictions.json", shape=(2,), range=(0.0, 1.0))


def whole(monkeypatch, *args):
    """check_predictions with the stream turned off: the file read whole, as before streaming."""
    with monkeypatch.context() as m:
        m.setattr(outputs, "_streamed", lambda path, verdicts: False)
        return check_predictions(*args)


def never_whole(path):
    raise AssertionError(f"{path} was read whole")


def test_a_plain_predictions_file_is_never_read_whole(tmp_path, monkeypatch):
    ids = [f"r{i:04d}" for i in range(2000)]
    preds = {rid: [0.25, 0.75] for rid in ids[1:]}
    preds |= {"r0001": [0.5], "r0002": [0.5, 7], "x9": [0.1, 0.2]}
    (tmp_path / "predictions.json").write_text(json.dumps(preds))
    monkeypatch.setattr(outputs, "load_prediction_file", never_whole)
    findings = check_predictions(tmp_path, ids, CONTRACT, "model")
    assert [(f.code, f.severity) for f in findings] == [
        ("MC705", "error"), ("MC705", "warning"), ("MC706", "error"), ("MC707", "error")]
    assert "1 of 2000 prepared records have no prediction (e.g. r0000)" in findings[0].message
    assert "(e.g. x9)" in findings[1].message
    assert "r0001: shape [1]" in findings[2].message and "r0002: outside [0, 1]" in findings[3].message


CASES = {
    "good": '{"a": [0.1, 0.9], "b": [0.5, 0.5]}',
    "missing and extra": '{"a": [0.1, 0.9], "z": [0.5, 0.5]}',
    "a record twice, the last bad": '{"a": [0.1, 0.9], "b": [0.5, 0.5], "a": [2, 0]}',
    "a record twice, the last good": '{"a": "high", "b": [0.5, 0.5], "a": [0.1, 0.2]}',
    "NaN and Infinity": '{"a": [NaN, 0.9], "b": [Infinity, 0]}',
    "shapes": '{"a": [[0.1, 0.9]], "b": "high", "c": [true, 0.1], "d": null}',
    "nested deeper than the limit": '{"a": ' + "[" * 40 + "1" + "]" * 40 + ', "b": [0.5, 0.5]}',
    "nested far too deep": '{"a": ' + "[" * 5000 + "1" + "]" * 5000 + "}",
    "a list": "[1, 2]",
    "cut short": '{"a": [0.1, 0.9], "b": [0.5',
    "trailing garbage": '{"a": [0.1, 0.9]} x',
    "a form feed": '{"a":\x0c[0.1, 0.9], "b": [0.5, 0.5]}',
    "a lone surrogate key": '{"\\ud800": [0.1, 0.9], "a": [0.1, 0.9]}',
    "a question mark key": '{"a?": [0.1, 0.9], "a": [0.1, 0.9]}',
    "an integer too large for a float": '{"a": [1' + "0" * 400 + ', 0], "b": [0.5, 0.5]}',
    "a byte-order mark": '\ufeff{"a": [0.1, 0.9]}',
    "empty": "{}",
    "nothing": "   ",
    "numbers as ints and exponents": '{"a": [0, 1], "b": [1e-1, 5E-1]}',
}


@pytest.mark.parametrize("content", CASES.values(), ids=CASES.keys())
def test_the_stream_gives_the_findings_of_the_file_read_whole(tmp_path, monkeypatch, content):
    (tmp_path / "predictions.json").write_bytes(content.encode("utf-8", "surrogatepass"))
    ids = ["a", "b", "c"]
    streamed = check_predictions(tmp_path, ids, CONTRACT, "model")
    assert streamed == whole(monkeypatch, tmp_path, ids, CONTRACT, "model")


def test_an_integer_too_large_for_a_float_is_not_finite(tmp_path):
    (tmp_path / "predictions.json").write_text('{"a": [1' + "0" * 400 + ", 0]}")
    (f,) = check_predictions(tmp_path, ["a"], CONTRACT, "model")
    assert f.code == "MC707" and "a: not finite" in f.message


def test_the_per_record_format_still_reads_each_file(tmp_path):
    contract = PredictionsContract(file="{id}.json", shape=(2,), range=(0.0, 1.0))
    (tmp_path / "a.json").write_text("[0.1, 0.9]")
    (tmp_path / "b.json").write_text("[0.1, NaN]")
    (tmp_path / "c.json").write_text("[0.1")
    findings = check_predictions(tmp_path, ["a", "b", "c", "d"], contract, "model")
    assert [(f.code, f.severity) for f in findings] == [("MC704", "error"), ("MC705", "error"), ("MC707", "error")]
    assert "2 of 4 prepared records have no prediction (e.g. c, d)" in findings[1].message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)
objects = st.lists(st.tuples(st.text(max_size=4), json_values), max_size=6).map(
    lambda pairs: "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}")
noise = st.sampled_from(["", " ", "\x0b", "\x0c", "\\ud800", "\\udcff", "NaN", "}", "{", ",", '"', "\ufeff", "\xff"])


def _cut(text: str, at: int, piece: str) -> bytes:
    at = min(at, len(text))
    return (text[:at] + piece + text[at:]).encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None)
@given(text=objects, at=st.integers(0, 200), piece=noise)
def test_streamed_records_are_what_python_json_reads(tmp_path_factory, text, at, piece):
    """Either the stream refuses the file (it is then read whole), or its records, the last of a key kept, are
    exactly what Python's json reads: same keys in the same order, same values and types."""
    raw = _cut(text, at, piece)
    path = tmp_path_factory.mktemp("p") / "predictions.json"
    path.write_bytes(raw)
    try:
        got = list(records(path, MAX_PREDICTIONS, MAX_NESTING))
    except NotStreamed:
        return
    expected = json.loads(raw.decode("utf-8", errors="replace"))
    assert isinstance(expected, dict)
    kept: dict = {}
    for key, value in got:
        kept[key] = value
    assert list(kept) == list(expected)
    assert _typed(kept) == _typed(expected)


def _typed(value):
    """value with each leaf tagged by its type (so 1 and 1.0 and True differ) and NaN made comparable."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


PAIRS = [
    ('{"a": [0.1, 0.9], "b": [0.5, 0.5], "c": "x"}', '{"a": [0.1000000001, 0.9], "b": [0.4, 0.6], "c": "x"}'),
    ('{"a": [0.1, 0.9], "b": [1, 0], "c": "x"}', '{"a": [0.1, 0.9, 0.0], "b": "high", "c": "y", "d": [0.5]}'),
    ('{"a": [0.1, 0.9], "a": [0.2, 0.9]}', '{"a": [0.2, 0.9]}'),  # the last of a record counts
    ('{"a": [NaN, 0.9]}', '{"a": [NaN, 0.8]}'),  # read whole (ijson refuses NaN)
    ('{"a": [0.1, 0.9]}', "{broken"),  # unreadable: compared byte for byte
]


@pytest.mark.parametrize("first, second", PAIRS)
def test_determinism_compares_streamed_records_as_it_compared_whole_files(tmp_path, monkeypatch, first, second):
    from validator.chain.probes import determinism

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, first), (b, second)):
        folder.mkdir()
        (folder / "predictions.json").write_text(text)
    contract = PredictionsContract(file="predictions.json")
    streamed = determinism.compare(a, b, contract, ["a"], 1e-5)

    def refused(*args):
        raise NotStreamed("refused by the test")

    monkeypatch.setattr(determinism, "records", refused)
    assert streamed == determinism.compare(a, b, contract, ["a"], 1e-5)


@pytest.mark.parametrize("content", [*CASES.values(), '{"a": [0.1], "b": [0.2], "c": [0.3], "a": [0.4], "d": [0.5]}'],
                         ids=[*CASES.keys(), "a record twice around the cap"])
def test_the_html_report_reads_streamed_predictions_as_it_read_the_whole_file(tmp_path, monkeypatch, content):
    from validator.report import runfiles

    (tmp_path / "predictions").mkdir()
    (tmp_path / "predictions" / "predictions.json").write_bytes(content.encode("utf-8", "surrogatepass"))
    monkeypatch.setattr(runfiles, "MAX_RECORDS", 3)  # the first 3 records (by first place, with their last value)
    streamed = runfiles.read_predictions(tmp_path)
    monkeypatch.setattr(runfiles, "_first_records", lambda path: None)
    assert streamed == runfiles.read_predictions(tmp_path)
