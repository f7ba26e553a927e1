"""Agreement of `medcube validate --static` with the judged table of the wild corpus (verdicts.tsv).

    python bench/wild/rebuild.py CLONES OUT > OUT/list.tsv     # once
    python bench/wild/agreement.py OUT [--show]

For each cube and target in verdicts.tsv, runs `python -m validator validate --static --format json --no-config
--target T PATH` and compares: a cube judged `works` must exit 0 (else a false error, each error finding listed),
a cube judged `broken` must exit 1 with an error of the cause code the table names (else a miss), or, where the
table says `run:` for the cause, static checks are not expected to see it (the run-stage check named does).
Prints the figures; exits 1 when any cube disagrees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def verdicts():
    for line in (HERE / "verdicts.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            cube_id, target, verdict, cause, why = line.split("\t")
            yield cube_id, target, verdict, cause, why


def paths(out: Path) -> dict[str, Path]:
    from rebuild import cube_folder, rows  # the same folder rule as the rebuild
    found = {}
    for cube_id, _repo, _commit, config in rows():
        rel = Path(config).relative_to(str(cube_folder(config)))
        found[cube_id] = out / cube_id if rel.name == "mlcube.yaml" else out / cube_id / rel
    return found


def validate(path: Path, target: str, targets_supported: bool) -> tuple[int, list[dict]]:
    cmd = [sys.executable, "-m", "validator", "validate", "--static", "--format", "json", "--no-config"]
    if targets_supported:
        cmd += ["--target", target]
    done = subprocess.run([*cmd, str(path)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.returncode, [{"severity": "error", "code": "??", "message": (done.stderr or done.stdout)[-300:]}]
    findings = [f for cube in doc.get("cubes", []) for f in cube.get("findings", [])]
    return done.returncode, findings


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out, show = Path(argv[0]), "--show" in argv
    sys.path.insert(0, str(HERE))
    where = paths(out)
    help_text = subprocess.run([sys.executable, "-m", "validator", "validate", "--help"], capture_output=True,
                               text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}).stdout
    targets_supported = "--target" in help_text
    rows = list(verdicts())
    agree = false_errors = misses = seen_at_run = 0
    false_findings = 0
    for cube_id, target, verdict, cause, _why in rows:
        rc, findings = validate(where[cube_id], target, targets_supported)
        errors = [f for f in findings if f.get("severity") == "error"]
        if verdict == "works":
            ok = rc == 0
            if not ok:
                false_errors += 1
                false_findings += len(errors)
        elif cause.startswith("run:"):
            ok = rc == 0 or any(f.get("code") in cause for f in errors)
            seen_at_run += 1
        else:
            ok = rc == 1 and any(f.get("code") in cause.split("|") for f in errors)
            misses += not ok
        agree += ok
        if show or not ok:
            mark = "ok  " if ok else ("FALSE" if verdict == "works" else "MISS ")
            print(f"{mark} {cube_id} [{target}] table={verdict}({cause}) exit={rc}")
            if not ok or show:
                for f in errors:
                    print(f"       {f.get('code')} {f.get('file', '')}:{f.get('line', '')} {f.get('message', '')[:150]}")
    print(f"\n{len(rows)} verdicts on {len(where)} cubes: exit code agrees on {agree}; "
          f"false errors: {false_errors} cubes ({false_findings} error findings); misses: {misses}; "
          f"broken only at run time (static not expected to see): {seen_at_run}")
    return 0 if agree == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
