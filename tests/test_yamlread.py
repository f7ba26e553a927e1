"""yamlread: YAML with the 1-based line and column of every key and value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from validator.manifest.yamlread import YamlSyntaxError, parse, read

TEXT = textwrap.dedent("""\
    # a comment
    container_type: DockerImage
    tasks:
      infer:
        input_volumes:
          data_path:
            mount_path: /mlcommons/volumes/data
            type: directory
        flow: {a: 1, b: [x, y]}
    list:
      - name: first
      - second
""")


@pytest.fixture
def doc():
    return parse(TEXT, Path("c.yaml"))


def test_data_is_plain_python(doc):
    assert doc.data["tasks"]["infer"]["input_volumes"]["data_path"]["type"] == "directory"
    assert doc.data["list"] == [{"name": "first"}, "second"]
    assert doc.file == Path("c.yaml")


def test_key_positions(doc):
    assert doc.keys[("container_type",)] == (2, 1)
    assert doc.keys[("tasks", "infer")] == (4, 3)
    assert doc.keys[("tasks", "infer", "input_volumes", "data_path", "mount_path")] == (7, 9)
    assert doc.keys[("list", 0, "name")] == (11, 5)


def test_value_positions(doc):
    assert doc.values[("container_type",)] == (2, 17)
    assert doc.values[("tasks", "infer", "input_volumes", "data_path", "type")] == (8, 15)
    assert doc.values[()] == (2, 1)  # the top mapping starts at its first key


def test_flow_collections(doc):
    assert doc.keys[("tasks", "infer", "flow", "b")] == (9, 18)
    assert doc.values[("tasks", "infer", "flow", "b", 1)] == (9, 25)
    assert doc.values[("list", 1)] == (12, 5)


def test_pos_prefers_key_and_falls_back_to_ancestors(doc):
    assert doc.pos(("tasks", "infer"), key=True) == (4, 3)
    assert doc.pos(("tasks", "infer")) == (5, 5)  # the value: the mapping under infer
    assert doc.pos(("tasks", "infer", "nope", "deeper")) == (4, 3)  # nearest known ancestor, as a key
    assert doc.line(("container_type",)) == 2
    assert doc.line(("list", 7)) == 10


def test_pos_of_empty_document():
    empty = parse("", Path("e.yaml"))
    assert empty.data is None
    assert empty.pos(("a",)) == (None, None)


def test_duplicate_keys_are_recorded_and_last_wins():
    d = parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", Path("d.yaml"))
    assert d.data == {"a": 3, "b": {"c": 2}}
    assert sorted(d.duplicates) == [(("a",), (5, 1)), (("b", "c"), (4, 3))]


def test_non_string_keys():
    d = parse("2: two\ntrue: yes\n[a, b]: c\n", Path("k.yaml"))
    assert d.data[2] == "two" and d.data[True] is True
    assert "['a', 'b']" in d.data


@pytest.mark.parametrize("text,line", [
    ("a: 1\nb: [1, 2\n", 3),           # unclosed flow sequence: found at the end
    ("a: 1\n  b: 2\n", 2),              # bad indentation
    ("a:\n  - x\n  y: 1\n", 3),         # a mapping key inside a sequence
    ("a: 'unterminated\n", 2),
    ("a: 1\n\tb: 2\n", 2),              # a tab
])
def test_syntax_errors_have_a_line(text, line):
    with pytest.raises(YamlSyntaxError) as exc:
        parse(text, Path("bad.yaml"))
    assert exc.value.line == line
    assert exc.value.column is not None and exc.value.column >= 1
    assert exc.value.message


def test_several_documents_are_an_error():
    with pytest.raises(YamlSyntaxError):
        parse("a: 1\n---\nb: 2\n", Path("two.yaml"))


def test_read_file_and_non_utf8(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("threshold: 0.5\n", encoding="utf-8")
    assert read(good).data == {"threshold": 0.5}
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(YamlSyntaxError) as exc:
        read(bad)
    assert "UTF-8" in exc.value.message and exc.value.line == 1  # the line of the first bad byte


def test_python_tags_never_construct_objects():
    # a tagged collection is read as plain data; a tagged scalar is refused: nothing is imported or called
    assert parse("a: !!python/object/apply:os.system ['true']\n", Path("evil.yaml")).data == {"a": ["true"]}
    with pytest.raises(YamlSyntaxError):
        parse("a: !!python/name:os.system ''\n", Path("evil.yaml"))


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))
DEEP_THROUGH_ALIASES = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 80))


@pytest.mark.parametrize("text", [
    "a: &x {b: *x}\n",  # a recursive alias
    "- &x [1, *x]\n",
    BOMB,  # 10^7 values once expanded
    "[" * 70 + "]" * 70 + "\n",  # nested too deep
    "- " * 70 + "a\n",
    DEEP_THROUGH_ALIASES,  # shallow as written, 80 deep once its aliases are expanded: read as always
    "a: &x 1\nb: &x 2\nc: *x\n",  # a duplicate anchor
    "a: *nowhere\n",
    "base: &b {x: 1}\nboth: {<<: *b, x: 2, y: 3}\n",  # a merge key
], ids=["recursive", "recursive-in-list", "alias-bomb", "deep-flow", "deep-block", "deep-through-aliases",
        "duplicate-anchor", "undefined-alias", "merge"])
def test_a_short_text_composed_first_says_what_a_long_one_checked_first_says(text):
    """Texts up to COMPOSE_FIRST characters are composed first and held to the limits on their nodes; longer ones
    have their events checked first. Padded past that length with a comment, each text must read the same."""
    from validator.manifest.yamlread import COMPOSE_FIRST

    long_text = text + "#" * (COMPOSE_FIRST + 1) + "\n"
    assert len(text) <= COMPOSE_FIRST < len(long_text)

    def outcome(t):
        try:
            d = parse(t, Path("c.yaml"))
        except YamlSyntaxError as e:
            return ("error", e.message, e.line, e.column)
        return ("data", d.data, d.values, d.keys, d.duplicates)

    assert outcome(text) == outcome(long_text)


@pytest.mark.parametrize("text, line, column", [
    ("extra: !!int 3,\n", 1, 8),
    ("a: 1\nb: !!float x\n", 2, 4),
    ("a:\n  - !!timestamp 2020-99-99\n", 2, 5),
    ("? !!int zz\n: 1\n", 1, 3),
])
def test_a_value_its_tag_cannot_be_is_a_yaml_error_at_its_place(text, line, column):
    """PyYAML's constructors raise ValueError for a value its explicit tag cannot be (yaml.safe_load stops on it,
    and so MedPerf): a YAML syntax error at the value's place, never an internal error."""
    import yaml

    with pytest.raises((ValueError, yaml.YAMLError)):
        yaml.safe_load(text)
    with pytest.raises(YamlSyntaxError) as e:
        parse(text, Path("c.yaml"))
    assert (e.value.line, e.value.column) == (line, column)
    assert "cannot be read as" in str(e.value)
