"""Hypothesis strategies for the property-based tests of tests/test_fuzz.py: structure-aware changes of medcube's
inputs (a valid file with one value, key or type swapped, aliases and merge keys added, re-encoded, cut short), and
the oracle every surface shares (no raw control character in anything medcube prints or writes).

Profiles: `ci` (the default: a bounded run in .ci/run) and `long` (by hand):
    MEDCUBE_FUZZ_PROFILE=long python3 -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import os
import re

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_COMMON = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=int(os.environ.get("MEDCUBE_FUZZ_EXAMPLES", "60")), **_COMMON)
settings.register_profile("long", max_examples=int(os.environ.get("MEDCUBE_FUZZ_EXAMPLES", "3000")), **_COMMON)
PROFILE = os.environ.get("MEDCUBE_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)
# The CLI in a subprocess: a process start an example, so fewer.
CLI_EXAMPLES = int(os.environ.get("MEDCUBE_FUZZ_CLI_EXAMPLES", "8" if PROFILE == "ci" else "150"))

# What a terminal, a CI log or an XML parser acts on (textsafe.printable escapes exactly these, and more).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Strings that broke, or could break, a reader: NUL, terminal escapes, bidi overrides, YAML syntax as text, paths
# out of the cube, huge names, numbers YAML reads oddly, tags medcube must never construct.
SPECIAL = [
    "", " ", "\x00", "a\x00b", "\x1b[2J\x1b[H", "\x1b]0;title\x07", "\u202egnp.exe", "\r", "\t", "\x7f", "\x85",
    "\u2028", "..", "../..", "../../etc/passwd", "/", "/etc/passwd", "/proc/self/mem", "~", "~root", "$HOME",
    "$(id)", "`id`", "*", "**/*", "a" * 256, "a" * 5000, "b/" * 2100, "{id}", "{", "}", "[", "]", ": ", "- ",
    "#", "&a", "*a", "!!python/object/apply:os.system ['id']", "0x1F", "1e999", "-1", "0", "NaN", ".nan", ".inf",
    "null", "~", "yes", "no", "on", "2001-12-14", "12:30:45", "=", "--", "-", "--help", "é", "日本", "\U0001F600",
    "\ufeff", "\ufffe", "con", "nul", "predictions.json", "*.json", "parameters.yaml",
]


def hostile_text() -> st.SearchStrategy[str]:
    specials = st.sampled_from(SPECIAL)
    return st.one_of(specials, st.text(max_size=40), st.builds(lambda a, b: a + b, specials, st.text(max_size=8)),
                     st.builds(lambda a, b: a + b, st.text(max_size=8), specials))


def scalar() -> st.SearchStrategy:
    return st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
                     st.floats(allow_nan=True, allow_infinity=True), hostile_text())


def value() -> st.SearchStrategy:
    return st.recursive(scalar(), lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(hostile_text(), inner, max_size=4)),
                        max_leaves=12)


def _paths(data, prefix=()):
    """Every path into data (keys and indexes), the root included."""
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, prefix + (i,))
    return out


def _copy(data):
    return yaml.safe_load(yaml.safe_dump(data))


def _set(data, path, new):
    if not path:
        return new
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = new
    return data


def _get(data, path):
    for p in path:
        data = data[p]
    return data


@st.composite
def mutated(draw, base):
    """base (plain YAML data) with one to three of: a value replaced, a key removed or renamed, a type swapped,
    a key added."""
    data = _copy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "rename", "wrap", "stringify", "add"]))
        current = _get(data, path)
        if op == "replace" or (op in ("delete", "rename") and not path):
            data = _set(data, path, draw(value()))
        elif op == "delete":
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif op == "rename":
            parent = _get(data, path[:-1])
            if isinstance(parent, dict):
                parent[draw(hostile_text())] = parent.pop(path[-1])
            else:
                parent[path[-1]] = draw(value())
        elif op == "wrap":
            data = _set(data, path, draw(st.sampled_from([[current], {"value": current}])))
        elif op == "stringify":
            data = _set(data, path, str(current))
        elif isinstance(current, dict):
            current[draw(hostile_text())] = draw(value())
        elif isinstance(current, list):
            current.append(draw(value()))
        else:
            data = _set(data, path, draw(value()))
    return data


def _dump(data) -> str | None:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
    except (yaml.YAMLError, UnicodeEncodeError, RecursionError):
        return None


ALIAS_FORMS = [
    "\nzz_anchor: &a {k: 1}\nzz_use: *a\n",                  # an alias to a closed mapping (valid)
    "\nzz_merge: {<<: *undefined}\n",                          # an undefined alias
    "\nzz_loop: &b {x: *b}\n",                                 # a recursive alias
    "\nzz_merge2: &c [1, 2]\nzz_m: {<<: *c}\n",                # a merge key that is no mapping
    "\nzz_list: &d [*d]\n",                                    # a recursive list
    "\n<<: {name: merged, tasks: {}}\n",                       # a top-level merge key
    "\nzz_bomb: &e [1,1,1,1,1,1,1,1,1,1]\nzz_b2: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\nzz_b3: [*f,*f,*f,*f,*f,*f,*f,*f]\n",
    "\n!!python/object/apply:os.system [id]\n",
    "\nzz: !!binary AA==\n",
    "\n" + "[" * 200 + "]" * 200 + "\n",
]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "utf-32"]


@st.composite
def yaml_file(draw, base) -> bytes:
    """The bytes of a YAML file: base changed structurally (mutated), then possibly an alias form appended, a
    different encoding, a cut, or a byte flipped."""
    data = draw(mutated(base)) if draw(st.booleans()) or base is None else _copy(base)
    text = _dump(data)
    if text is None:
        text = _dump(base) or ""
    if draw(st.integers(0, 3)) == 0:
        text += draw(st.sampled_from(ALIAS_FORMS))
    encoding = draw(st.sampled_from(ENCODINGS)) if draw(st.integers(0, 5)) == 0 else "utf-8"
    raw = text.encode(encoding, errors="replace")
    shape = draw(st.integers(0, 7))
    if shape == 0 and raw:
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif shape == 1 and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    elif shape == 2:
        raw = draw(st.binary(max_size=200))
    return raw


def file_name() -> st.SearchStrategy[str]:
    """A name a file or folder can have on Linux (no '/', no NUL, at most 255 bytes), hostile otherwise."""
    def ok(name: str) -> bool:
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return bool(name) and name not in (".", "..") and "/" not in name and "\x00" not in name and len(raw) <= 255
    return st.one_of(st.sampled_from([s for s in SPECIAL if ok(s)]), st.text(min_size=1, max_size=30)).filter(ok)
