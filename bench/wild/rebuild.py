"""Rebuild the wild corpus's cube folders from local clones of their public repositories (no third-party code is
committed here: corpus.tsv names each cube by repository, commit and config path).

    python bench/wild/rebuild.py CLONES OUT

CLONES holds one git clone per repository, found as CLONES/owner+name/repo, CLONES/owner+name or CLONES/owner/name
(a clone with the pinned commits: `git clone https://github.com/OWNER/NAME CLONES/OWNER/NAME`). Each cube's folder
(the folder above mlcube/, or the config's own folder) at its commit is written to OUT/<id>/. Prints one line per
cube: id and the path to validate (the folder, or the config file where it is not named mlcube.yaml).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
MAX_FILE = 20 * 1024 * 1024  # data files and weights are left out: the checks read configs and code


def rows(path: Path = HERE / "corpus.tsv"):
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            cube_id, repo, commit, config = line.split("\t")
            yield cube_id, repo, commit, config


def cube_folder(config: str) -> PurePosixPath:
    parent = PurePosixPath(config).parent
    return parent.parent if parent.name == "mlcube" else parent


def clone_of(clones: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for candidate in (clones / f"{owner}+{name}" / "repo", clones / f"{owner}+{name}", clones / owner / name):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"no clone of {repo} under {clones} (git clone https://github.com/{repo} {clones}/{repo})")


def extract(clone: Path, commit: str, folder: PurePosixPath, out: Path) -> None:
    """Write the folder's files at the commit; a blob the clone lacks (a large file left out) or one over MAX_FILE is
    skipped, links are kept as links (the checks judge them)."""
    args = ["git", "-C", str(clone), "ls-tree", "-r", "-l", "-z", commit]
    if str(folder) != ".":
        args += ["--", str(folder)]
    listing = subprocess.run(args, check=True, capture_output=True).stdout.decode()
    strip = 0 if str(folder) == "." else len(folder.parts)
    for entry in filter(None, listing.split("\0")):
        meta, name = entry.split("\t", 1)
        mode, kind, blob, size = meta.split()
        parts = PurePosixPath(name).parts[strip:]
        if kind != "blob" or not parts or ".." in parts or not size.isdigit() or int(size) > MAX_FILE:
            continue
        got = subprocess.run(["git", "-C", str(clone), "cat-file", "blob", blob], capture_output=True)
        if got.returncode != 0:
            continue
        dest = out.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            dest.symlink_to(got.stdout.decode())
        else:
            dest.write_bytes(got.stdout)
            if mode == "100755":
                dest.chmod(0o755)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    clones, out = Path(argv[0]), Path(argv[1])
    for cube_id, repo, commit, config in rows():
        folder = cube_folder(config)
        dest = out / cube_id
        if not dest.exists():
            dest.mkdir(parents=True)
            extract(clone_of(clones, repo), commit, folder, dest)
        rel = PurePosixPath(config).relative_to(folder)
        print(cube_id, dest if rel.name == "mlcube.yaml" else dest / rel, sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
