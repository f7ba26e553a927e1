"""The hostile cubes, made at test time from the well-behaved ones with ONE misbehaviour each.

tests/fixtures/hostile/ holds a well-behaved cube per role (good_prep, good_model, good_metrics: container_config.yaml
with Dockerfile and mlcube.py beside it). CUBES below is the whole recipe of the hostile corpus: cube name -> the role
it plays (and so the good cube it starts from), what it does, the finding it is for, and its edits. Every cube gets its
own image name, and "Hostile <role>: <what it does>" as the first line of its mlcube.py and container_config.yaml;
the edits are the misbehaviour. What tests/test_hostile.py expects of each (code, message words) is there.

Tests get the corpus once per run as the `hostile_cubes` fixture (conftest.py): a folder with a cube per name. To look
at the cubes by hand, or to run one:

    python tests/hostile_cubes.py DIR
    medcube test tests/fixtures/hostile --model DIR/needs_network
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

GOOD = Path(__file__).resolve().parent / "fixtures" / "hostile"
BASE = {"data_preparator": "good_prep", "model": "good_model", "metrics": "good_metrics"}
CC, PY, PARAMS = "container_config.yaml", "mlcube.py", "workspace/parameters.yaml"


@dataclass(frozen=True)
class Cube:
    name: str
    role: str
    does: str  # "Hostile <role>: <does>"
    expect: str  # the finding it is for, as its container_config.yaml says
    edits: tuple  # (file, old, new): `old` once in the good cube's file, or (start, end) for what lies between

    def build(self, root: Path) -> Path:
        """Write the cube to root/<name>/ and return that folder."""
        base = BASE[self.role]
        dest = Path(root) / self.name
        shutil.copytree(GOOD / base, dest)
        what = f"Hostile {self.role.replace('_', ' ')}: {self.does}"
        config = (dest / CC).read_text().split("\n", 2)[2]
        image = "medcube-test/hostile-{}:".format
        config = config.replace(image(base.replace("_", "-")), image(self.name.replace("_", "-")))
        (dest / CC).write_text(f"# {what}\n# Expected: {self.expect}\n{config}")
        (dest / PY).write_text(f'"""{what}"""\n' + (dest / PY).read_text().split("\n", 1)[1])
        (dest / PARAMS).write_text((dest / PARAMS).read_text().replace(f"cube: {base}", f"cube: {self.name}"))
        for rel, old, new in self.edits:
            path = dest / rel
            text = path.read_text()
            if isinstance(old, tuple):
                start = text.index(old[0])
                old = text[start: text.index(old[1], start)]
            assert text.count(old) == 1, (self.name, rel, old)
            path.write_text(text.replace(old, new))
        return dest


WRITE = 'with open(os.path.join(a.output_path, "predictions.json"), "w") as f:\n'  # the model's last step


def model(name: str, does: str, expect: str, misbehaviour: str, imports: str = "") -> Cube:
    """The good model, doing `misbehaviour` (with `imports` added to its first import line) before it writes its
    predictions."""
    edits = [(PY, WRITE, misbehaviour.lstrip("\n") + "\n" + WRITE)]
    if imports:
        edits.append((PY, "import argparse, json, os\n", f"import argparse, json, os, {imports}\n"))
    return Cube(name, "model", does, expect, tuple(edits))


def prep(name: str, does: str, expect: str, *edits) -> Cube:
    return Cube(name, "data_preparator", does, expect, edits)


def metrics(name: str, does: str, expect: str, *edits) -> Cube:
    return Cube(name, "metrics", does, expect, edits)


NO_SYS = (PY, "import argparse, csv, json, os, sys\n", "import argparse, csv, json, os\n")  # where nothing exits
MC802 = "MC802 in a container (read-only input), MC801 with the local runner (its copy changed)"
CGROUP_LIMIT = r'''
def cgroup_limit(*files):
    for path in files:
        try:
            value = open(path).read().strip()
        except OSError:
            continue
        return None if value == "max" or int(value) >= 1 << 40 else int(value)
    return None

'''

CUBES = {c.name: c for c in [
    model("needs_network", "downloads its weights at run time.", "MC803 (needs network)", r'''
import urllib.request

weights = urllib.request.urlopen("https://example.org/tiny-model/weights.bin", timeout=10).read()
'''),
    model("writes_into_inputs", "caches something next to the data it reads.", MC802, r'''
with open(os.path.join(a.data_path, "model.cache"), "w") as f:
    json.dump({"seen": True}, f)
'''),
    prep("deletes_input", "prepare deletes the raw data it has read.", MC802,
         (PY, '    print(f"prepared {len(rows)} records")\n', r'''    print(f"prepared {len(rows)} records")
    for name in os.listdir(a.data_path):  # "clean up" the raw data once prepared
        os.remove(os.path.join(a.data_path, name))
''')),
    model("needs_root", "writes its configuration into /etc.", "MC804 (needs root)", r'''
if os.getuid() == 0:  # only where it cannot do harm
    sys.exit("this hostile cube refuses to run as root: it would really write into /etc")

with open("/etc/tiny-model.conf", "w") as f:
    f.write("threads = 1\n")
''', imports="sys"),
    metrics("chowns_outputs", "hands its results file to root.", "MC804 (needs root)",
            (PY, "    json.dump(results, f)\n", "    json.dump(results, f)\nos.chown(a.output_path, 0, 0)\n")),
    model("writes_outside_outputs", "writes its predictions next to its code instead of into output_path.",
          "MC805 (writes outside its output folders)", r'''
with open("/mlcube_project/predictions.json", "w") as f:
    json.dump(predictions(), f)
'''),
    model("hangs", "waits for something that never comes.", "MC611 (timeout)", r'''
import time

print("waiting for a license server ...", flush=True)
time.sleep(3600)
'''),
    model("eats_memory", "loads everything into memory, again and again.", "MC612 (out of memory)", CGROUP_LIMIT + r'''
if cgroup_limit("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes") is None:
    sys.exit("this hostile cube eats memory only under a memory limit (medcube's docker runner sets one)")

blocks = []
while True:
    blocks.append(b"\1" * (64 << 20))  # written, so really resident
''', imports="sys"),
    model("fork_bomb", "starts processes without end.", "MC618 (--pids limit) and MC611 (timeout)", CGROUP_LIMIT + r'''
if cgroup_limit("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max") is None:
    sys.exit("this hostile cube forks without end only under a pids limit (medcube's docker runner sets one)")

import time

while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.05)
''', imports="sys"),
    model("floods_log", "prints a line per value, per record, per step.", "MC619 (--log-limit)", r'''
line = "step " + "x" * 90 + "\n"
for _ in range(80_000):  # about 8 MB
    sys.stdout.write(line)
print("flooding done", flush=True)
''', imports="sys"),
    model("malformed_predictions", "writes its predictions file half-way.", "MC704 (predictions file unreadable)", r'''
with open(os.path.join(a.output_path, "predictions.json"), "w") as f:
    f.write('{"case1": [0.9, 0.1], "case2": [')
sys.exit(0)
''', imports="sys"),
    metrics("malformed_results", "reports its metric as a word.", "MC708 (results.yaml holds a non-number)",
            (PY, "with open(a.output_path", 'results["Accuracy"] = "high"\nwith open(a.output_path')),
    prep("malformed_statistics", "statistics writes a list, not a mapping.", "MC702 (statistics.yaml is not a mapping)",
         (PY, ("def statistics():", "\n\n\n"), r'''def statistics():
    with open(a.output_path, "w") as f:
        f.write("- num_cases\n- 4\n")''')),
    prep("accepts_anything", "its sanity_check accepts anything.",
         "MC808 (sanity_check accepted broken copies of the prepared data)",
         (PY, ("def sanity_check():", "\n\n\n"), r'''def sanity_check():
    print("everything looks fine")  # checks nothing'''),
         NO_SYS),
    prep("no_sanity_check", "no sanity_check task, and a statistics task that checks nothing.",
         "MC617 (MedPerf stops: \"Task sanity_check is not found in container config.\")",
         (CC, ("  sanity_check:\n", "  statistics:\n"), ""),
         (PY, '"sanity_check": [], ', ""),
         (PY, ("def sanity_check():", "def statistics():"), ""),
         NO_SYS),
    model("nondeterministic", "adds unseeded noise to its predictions.",
          "MC806 (warning; an error with --strict-determinism)", r'''
import random

noisy = {}
for rid, (_, p) in predictions().items():
    q = min(1.0, max(0.0, p + random.uniform(-0.1, 0.1)))  # unseeded: another run, other numbers
    noisy[rid] = [1 - q, q]
predictions = lambda: noisy  # noqa: E731
'''),
    model("fails_on_rerun", "makes a work folder that must not exist yet.",
          "MC807 (fails when run again into its non-empty output folder)",
          'os.mkdir(os.path.join(a.output_path, "work"))  # FileExistsError when the folder holds a previous run\n'),
    Cube("writes_into_code", "model", "keeps a cache file in its own code folder (made writable in its image).",
         "MC815 with --probe singularity (Singularity's image is read-only); passes under Docker",
         ((PY, WRITE, r'''with open("/mlcube_project/cache.json", "w") as f:  # beside its code: fine in Docker only
    json.dump({"seen": True}, f)
''' + WRITE), ("Dockerfile", "COPY . /mlcube_project\n", "COPY . /mlcube_project\nRUN chmod 777 /mlcube_project\n"))),
    model("background_process", "starts a helper it never waits for.",
          "MC620 with the local runner (left a process running; killed); in a container it dies with the container",
          r'''import subprocess

subprocess.Popen(["sleep", "300"], start_new_session=True)  # keeps the task's output open, too
'''),
]}


def build(root: Path) -> Path:
    """Every cube under root/<name>/; root is returned."""
    for cube in CUBES.values():
        cube.build(root)
    return Path(root)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile_cubes.py DIR")
    print(f"{len(CUBES)} hostile cubes in {build(Path(sys.argv[1]))}")
