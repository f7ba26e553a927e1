"""`.dockerignore` as medcube reads it (validator.engine.images.dockerignore) against the docker SDK's `exclude_paths`, on
generated build contexts and patterns: the set of paths sent must be the same, since medcube's build cache key is a
hash over them (a path the builder reads but the key leaves out would let a stale image pass for a fresh one)."""

from __future__ import annotations

import os
import random

from docker.utils.build import exclude_paths

from validator.engine.images import dockerignore

NAMES = ["a", "B", "build", "data", "x.py", ".git", "Dockerfile", "sub", "node_modules", "f[1]", "a b", "README.md"]
PARTS = ["a", "B", "b", "build", "data", "*", "**", "?", "*.py", "[ab]", "[!a]", "[]]", "[", ".", "..", "sub", "x.py",
         ".git", "Dockerfile", "f[1]", "a b", "*.MD", "\\x", "[^a]", "**/*.py", "d*"]


def make_tree(root: str, rng: random.Random, depth: int = 0) -> None:
    for name in rng.sample(NAMES, rng.randint(1, 5)):
        path = os.path.join(root, name)
        if depth < 3 and rng.random() < 0.4:
            os.mkdir(path)
            make_tree(path, rng, depth + 1)
        else:
            open(path, "w").close()
    if rng.random() < 0.2:
        os.symlink("..", os.path.join(root, "link"))  # listed, never followed


def make_pattern(rng: random.Random) -> str:
    pattern = "/".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.2:
        pattern = "/" + pattern
    if rng.random() < 0.1:
        pattern += "/"
    if rng.random() < 0.25:
        pattern = "!" + pattern
    if rng.random() < 0.05:
        pattern = f" {pattern} "
    return pattern


def test_the_paths_sent_are_the_docker_sdks_on_generated_contexts(tmp_path):
    compared = differing = 0
    for seed in range(1500):
        rng = random.Random(seed)
        root = tmp_path / str(seed)
        root.mkdir()
        make_tree(str(root), rng)
        patterns = [make_pattern(rng) for _ in range(rng.randint(0, 5))]
        dockerfile = rng.choice([None, "Dockerfile", "sub/Dockerfile"])
        want = set(exclude_paths(str(root), list(patterns), dockerfile=dockerfile))
        got = set(dockerignore.sent(str(root), list(patterns), dockerfile))
        compared += 1
        differing += want != got
        assert got == want, (seed, patterns, dockerfile, sorted(want ^ got))
    assert compared == 1500 and differing == 0


def test_an_excluded_folder_is_walked_only_for_a_pattern_that_sends_something_inside(tmp_path):
    (tmp_path / "data" / "keep").mkdir(parents=True)
    (tmp_path / "data" / "keep" / "x").write_text("x")
    (tmp_path / "data" / "big").write_text("x")
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    assert sorted(dockerignore.sent(str(tmp_path), ["data"])) == ["Dockerfile"]
    assert sorted(dockerignore.sent(str(tmp_path), ["data", "!data/keep"])) == [
        "Dockerfile", "data/keep", "data/keep/x"]


def test_the_dockerfile_and_dockerignore_are_always_sent(tmp_path):
    for name in ("Dockerfile", ".dockerignore", "other"):
        (tmp_path / name).write_text("x")
    assert sorted(dockerignore.sent(str(tmp_path), ["*"])) == [".dockerignore", "Dockerfile"]


def test_a_context_deeper_than_the_recursion_limit_is_walked(tmp_path):
    folder = tmp_path
    for _ in range(1200):  # Python's recursion limit is 1000: a recursive walk (the SDK's too) stops with an error
        folder = folder / "a"
        folder.mkdir()
    (folder / "f").write_text("x")
    sent = list(dockerignore.sent(str(tmp_path), []))
    assert len(sent) == 1201 and sent[-1] == "/".join(["a"] * 1200) + "/f"
    # Removed here, deepest first: pytest's own clean-up of old temporary folders walks them recursively.
    (folder / "f").unlink()
    while folder != tmp_path:
        folder.rmdir()
        folder = folder.parent
