"""Demo data for a benchmark run: a folder holding `paths.yaml`, or a `.tar.gz` with `paths.yaml` at its root.

A tarball's sha256 (when given) is checked before anything is read from it, and it is extracted with
validator.archive.safe_extract: no absolute names, no `..`, no links pointing out, no device files; a refusal
names the member.
Extracted trees are cached by the tarball's sha256, so a second run does not extract again; a record of every
entry (mode, sha256) is kept beside the tree, and the tree is checked against it, under a lock, before each run:
a cached tree that changed is extracted again, never trusted. Tasks get it mounted read-only.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from validator import hostfs
from validator.archive import safe_extract, sha256_file
from validator.cachedir import cache_dir
from validator.errors import UserError
from validator.manifest.yamlread import YamlSyntaxError, load_data

PATHS_FILE = "paths.yaml"


@dataclass(frozen=True)
class DemoData:
    root: Path  # the folder holding paths.yaml
    data_path: Path
    labels_path: Path
    source: Path  # the directory or tarball it came from
    sha256: str | None = None  # of the tarball


def is_tarball(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz", ".tar"))


def load_demo_data(path: Path, sha256: str | None = None, extract_to: Path | None = None) -> DemoData:
    """Resolve demo data to host folders. ``extract_to`` overrides the cache folder for tarballs."""
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"demo data not found: {path}", hint="give a folder holding paths.yaml or a .tar.gz with paths.yaml at its root")
    if path.is_dir():
        if sha256:
            raise UserError(
                f"a sha256 was given for the demo data folder {path}; only a tarball can be checked",
                hint="drop the sha256, or point at the .tar.gz",
            )
        return _from_root(path.resolve(), path)
    if not is_tarball(path):
        raise UserError(f"demo data must be a folder or a .tar.gz: {path}")
    actual = sha256_file(path)  # checked before anything is read from the archive
    if sha256 and actual.lower() != sha256.lower():
        raise UserError(
            f"the demo data {path} does not match its sha256 (expected {sha256}, got {actual})",
            hint="the file is corrupt or was replaced; download it again, or update the sha256 if you changed it",
        )
    if extract_to:
        target = Path(extract_to)
        if not (target / PATHS_FILE).is_file():
            extract(path, target)
    else:
        target = cache_dir() / "demo_data" / actual
        with hostfs.locked(cache_dir() / "locks" / f"demo-{actual}.lock"):  # one run extracts or checks at a time
            record = target.with_name(actual + ".tree.json")
            if not (target / PATHS_FILE).is_file() or _tree_record(target) != _read_record(record):
                extract(path, target)  # missing, or changed since it was extracted: never trusted as it is
                record.write_text(json.dumps(_tree_record(target)))
    root = _find_root(target, path)
    return _from_root(root, path, actual)


def _tree_record(root: Path) -> dict:
    """What an extracted tree holds: every entry's type and mode, and each file's sha256 (links never followed)."""
    out = {}
    for e in hostfs.walk(root):
        out[e.rel] = [e.mode, sha256_file(e.path, follow_links=False) if e.is_file else None]
    return out


def _read_record(path: Path) -> dict | None:
    try:
        return json.loads(hostfs.read_text(path, 64 << 20))
    except (hostfs.HostFileError, ValueError):
        return None


def _find_root(target: Path, source: Path) -> Path:
    if (target / PATHS_FILE).is_file():
        return target
    raise UserError(f"{source} has no {PATHS_FILE} at its root", hint=f"pack the demo data with {PATHS_FILE} at the top: tar -C DIR -czf demo.tar.gz .")


def _from_root(root: Path, source: Path, sha256: str | None = None) -> DemoData:
    paths_file = root / PATHS_FILE
    if not paths_file.is_file():
        raise UserError(f"no {PATHS_FILE} in {source}", hint=f"{PATHS_FILE} names the raw data: {{data_path: images, labels_path: labels}}")
    try:
        paths = load_data(hostfs.read_text(paths_file, 64 * 1024), PATHS_FILE)
    except hostfs.HostFileError as e:
        raise UserError(e.message, file=str(paths_file), hint="paths.yaml is a small plain file") from None
    except YamlSyntaxError as e:
        raise UserError(f"{PATHS_FILE} is not valid YAML: {e.message}", file=str(paths_file), line=e.line) from None
    if not isinstance(paths, dict):
        raise UserError(f"{PATHS_FILE} must be a mapping with data_path and labels_path", file=str(paths_file))
    resolved = {}
    for key in ("data_path", "labels_path"):
        value = paths.get(key)
        if not isinstance(value, str) or not value:
            raise UserError(f"{PATHS_FILE} has no {key}", file=str(paths_file), hint=f"e.g. {key}: {'images' if key == 'data_path' else 'labels'}")
        try:  # a NUL byte, or a name longer than Linux allows: no such folder, never a traceback
            p = (root / value).resolve() if not os.path.isabs(value) else Path(value)
            is_dir = p.is_dir()
        except (OSError, ValueError):
            p, is_dir = root / "-", False
        if os.path.isabs(value) or not _inside(p, root.resolve()):
            raise UserError(f"{PATHS_FILE}: {key} {value!r} points outside the demo data folder", file=str(paths_file), hint="use a path relative to the folder holding paths.yaml")
        if not is_dir:
            raise UserError(f"{PATHS_FILE}: {key} {value!r} is not a folder in {source}", file=str(paths_file))
        resolved[key] = p
    return DemoData(root, resolved["data_path"], resolved["labels_path"], Path(source), sha256)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def extract(archive: Path, target: Path) -> None:
    """Extract into ``target`` through validator.archive (every member checked first; the archive is refused as a
    whole otherwise), via a staging folder renamed into place when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        safe_extract(archive, staging)
        _readable(staging)
        if os.path.lexists(target):
            hostfs.rmtree(target)
        staging.rename(target)
    except BaseException:
        hostfs.rmtree(staging)
        raise


def _readable(root: Path) -> None:
    """Make the tree readable by the unprivileged user tasks run as (tar may carry 0600 modes)."""
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                mode = os.stat(p).st_mode
                os.chmod(p, 0o755 if mode & 0o111 else 0o644)
