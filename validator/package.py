"""What `medperf container submit` / `medperf model submit` and `medperf benchmark submit` need, made and checked
locally.

package():        a deploy folder per cube (MedPerf's config, parameters, additional_files.tar.gz, a manifest
                  with sha256 and sizes, the image reference and its warnings, and the exact submit command: local
                  config and parameters files, a URL only for the additional files, with their sha256)
package_demo():   the demo dataset tarball with paths.yaml at its root
verify_package(): re-check a deploy folder before uploading it
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validator import hostfs
from validator.archive import check_tarball, sha256_file, write_deterministic
from validator.errors import UserError

MANIFEST = "medcube-package.yaml"
CONFIG = "container_config.yaml"
PARAMETERS = "parameters.yaml"
ADDITIONAL = "additional_files.tar.gz"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the submit command) as YAML literal blocks, readable as they will be pasted."""


_Dumper.add_representer(
    str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


@dataclass
class Package:
    folder: Path
    manifest: dict
    submit_command: str


def _image_facts(image: str | None) -> dict:
    facts: dict[str, Any] = {"image": image, "image_id": None, "repo_digests": [], "note": None}
    if not image:
        return facts
    from validator.engine.client.api import EngineError
    from validator.engine.client.connect import connect
    from validator.errors import EngineUnavailable

    try:
        attrs = connect(timeout=5).image(image)
    except (EngineUnavailable, EngineError) as e:  # no engine: say so, do not fail packaging
        attrs, why = None, type(e).__name__
    else:
        why = "no such image"
    if attrs is None:
        facts["note"] = f"image not inspected here ({why}); build it with `medcube validate` first"
        return facts
    facts["image_id"] = attrs.get("Id")
    facts["repo_digests"] = list(attrs.get("RepoDigests") or [])
    if not facts["repo_digests"]:
        facts["note"] = ("built locally, not pushed: push it (docker push) so data owners can pull it; "
                         "MedPerf then records its digest")
    return facts


def submit_command(name: str, config: str, parameters: str | None, additional_sha256: str | None,
                   role: str | None = None) -> str:
    """The command MedPerf 0.3.0 accepts: the config and parameters files are LOCAL paths (MedPerf reads and uploads
    their contents, commands/mlcube/submit.py); only the additional files tarball is a URL, with its sha256.
    Models are registered with `medperf model submit` (same options), the other roles with `medperf container submit`.
    """
    verb = "medperf model submit" if role == "model" else "medperf container submit"
    lines = [verb, f"   --name {shlex.quote(name)}", f"   --container-config-file {shlex.quote(config)}"]
    if parameters:
        lines.append(f"   --parameters-file {shlex.quote(parameters)}")
    if additional_sha256:
        lines.append(f'   --additional-file "<URL of {ADDITIONAL}>"')
        lines.append(f"   --additional-hash {additional_sha256}")
    lines.append("   --operational")
    return " \\\n".join(lines)


def _copy_plain(src: Path, dst: Path) -> None:
    """Copy a regular file without following a link (the static checks refuse links first; this holds regardless)."""
    with os.fdopen(hostfs.open_regular(src), "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout)


# Image names that are placeholders: MedPerf pulls the image, so they must name one pushed to a registry.
_PLACEHOLDER_PREFIXES = ("local/", "docker/image", "example/", "localhost/")


def image_warnings(image: str | None) -> list[str]:
    """Why an image reference is not ready to submit (empty when it is)."""
    if not image:
        return ["the cube names no image: MedPerf pulls the image named in container_config.yaml"]
    warnings = []
    if image.startswith(_PLACEHOLDER_PREFIXES):
        warnings.append(f"image {image} is a placeholder: MedPerf pulls the image, so name one in a registry data "
                        "owners can reach (e.g. docker.io/myorg/my-cube:0.1.0), push it, and package again")
    last = image.split("@")[0].split("/")[-1]
    if "@sha256:" not in image and (":" not in last or last.endswith(":latest")):
        warnings.append(f"image {image} has no fixed tag (:latest): MedPerf records the digest it pulls at "
                        "submission, so a later push under the same tag breaks every data owner's check; pin a version")
    return warnings


def _prepare_output(output: Path) -> None:
    if output.is_symlink():
        raise UserError(f"{output} is a symbolic link", hint="Choose another --output (medcube does not write "
                        "through links).")
    if output.exists():
        if not output.is_dir() or (any(output.iterdir()) and not (output / MANIFEST).exists()):
            raise UserError(f"{output} exists and is not a medcube deploy folder",
                            hint="Choose another --output, or remove that folder yourself.")
        shutil.rmtree(output)
    output.mkdir(parents=True)


def package(cube_path: Path, output: Path | None = None) -> Package:
    from validator.checks import display_path, run_static
    from validator.manifest.convert import dump, to_container_config

    report = run_static(cube_path)
    if not report.ok or report.cube is None:
        errors = [f for f in report.findings if f.is_error]
        first = errors[0] if errors else None
        raise UserError(
            f"{cube_path} fails `medcube validate --static` ({len(errors)} error(s))"
            + (f"; first: {first.where()}: {first.code} {first.message}" if first else ""),
            hint=f"Run `medcube validate --static {cube_path}` and fix the errors, then package again.")
    cube = report.cube
    output = Path(output) if output else cube.path / "deploy"
    _prepare_output(output)

    files: dict[str, dict] = {}
    if cube.format == "container_config":
        _copy_plain(cube.config_file, output / CONFIG)
        source = display_path(cube.config_file)
    else:
        (output / CONFIG).write_text(dump(to_container_config(cube)), encoding="utf-8")
        source = f"converted from {display_path(cube.config_file)}"
    files[CONFIG] = {"source": source}
    if cube.parameters_file is not None and cube.parameters_file.is_file():
        _copy_plain(cube.parameters_file, output / PARAMETERS)
        files[PARAMETERS] = {"source": display_path(cube.parameters_file)}
    extra = cube.additional_files
    if extra is not None and extra.is_dir() and any(extra.iterdir()):
        entries = [(p.name, p) for p in sorted(extra.iterdir())]
        write_deterministic(output / ADDITIONAL, entries)
        files[ADDITIONAL] = {"source": display_path(extra)}
    for name, meta in files.items():
        meta["sha256"] = sha256_file(output / name)
        meta["size"] = (output / name).stat().st_size
    name = (cube.name or cube.path.name).lower().replace(" ", "-")
    command = submit_command(
        name, display_path(output / CONFIG),
        display_path(output / PARAMETERS) if PARAMETERS in files else None,
        files[ADDITIONAL]["sha256"] if ADDITIONAL in files else None, cube.role)
    manifest = {
        "medcube_package": 1,
        "cube": display_path(cube.path),
        "role": cube.role,
        **_image_facts(cube.image),
        "warnings": image_warnings(cube.image),
        "files": files,
        "submit": command,
    }
    (output / MANIFEST).write_text(yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, width=200), encoding="utf-8")
    return Package(output, manifest, command)


def upload_instructions(pkg: Package) -> str:
    from validator.checks import display_path

    files = pkg.manifest["files"]
    lines = [f"Deploy folder: {display_path(pkg.folder)}", ""]
    for name, meta in files.items():
        lines.append(f"  {name:<26} sha256 {meta['sha256']}  ({meta['size']} bytes)")
    lines.append("")
    for warning in pkg.manifest.get("warnings") or []:
        lines.append(f"warning: {warning}")
    step = 1
    image = pkg.manifest.get("image")
    lines.append(f"{step}. Push the image {image} to its registry (docker push {image}): MedPerf pulls it.")
    if pkg.manifest.get("note"):
        lines.append(f"   note: {pkg.manifest['note']}")
    if ADDITIONAL in files:
        step += 1
        lines.append(f"{step}. Upload {ADDITIONAL} to a host data owners can reach (a web server, a bucket, a GitHub "
                     "release), keeping the bytes unchanged, and put its URL in place of <URL of ...> below.")
    step += 1
    lines.append(f"{step}. From the folder you ran `medcube package` in, run (MedPerf reads the config and "
                 "parameters files from these local paths and uploads their contents):")
    lines.append("")
    lines.append(pkg.submit_command)
    lines.append("")
    lines.append(f"Before submitting, `medcube verify-package {display_path(pkg.folder)}` re-checks the folder.")
    return "\n".join(lines)


def package_demo(data_dir: Path, labels_dir: Path, output: Path | None = None) -> tuple[Path, str]:
    data_dir, labels_dir = Path(data_dir), Path(labels_dir)
    for label, d in (("DATA_DIR", data_dir), ("LABELS_DIR", labels_dir)):
        if not d.is_dir():
            raise UserError(f"{label} {d} is not a folder", hint="Pass the folders of the raw data records and labels.")
    data_name = data_dir.name or "data"
    labels_name = labels_dir.name if labels_dir.name != data_name else f"{labels_dir.name}_labels"
    output = Path(output) if output else Path("demo_data.tar.gz")
    paths = {"data_path": f"demo_data/{data_name}", "labels_path": f"demo_data/{labels_name}"}
    with tempfile.TemporaryDirectory() as tmp:
        paths_file = Path(tmp) / "paths.yaml"
        paths_file.write_text(yaml.safe_dump(paths, sort_keys=False), encoding="utf-8")
        digest = write_deterministic(output, [
            ("paths.yaml", paths_file),
            (paths["data_path"], data_dir),
            (paths["labels_path"], labels_dir),
        ])
    return output, digest


MAX_MANIFEST_BYTES = 64 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")


def _shown(name: str) -> str:
    """A name from a deploy folder or its manifest, as printed: control characters escaped."""
    return name.encode("unicode_escape").decode("ascii")[:200]


def _read_manifest(manifest_file: Path) -> dict[str, dict]:
    """The manifest's `files`, checked: only the names `package` writes, each with a sha256 and a size. The manifest
    is read as a regular file (not through a link), bounded like every YAML medcube reads."""
    from validator.manifest.yamlread import YamlSyntaxError, load_data

    def bad(why: str) -> UserError:
        return UserError(f"{manifest_file}: {why}", hint="Package the cube again (`medcube package`).")

    try:
        manifest = load_data(hostfs.read_text(manifest_file, MAX_MANIFEST_BYTES), str(manifest_file))
    except hostfs.HostFileError as e:
        raise bad(e.message.replace(f"{manifest_file} ", "", 1)) from None
    except YamlSyntaxError as e:
        raise bad(f"unreadable manifest ({e.message}" + (f", line {e.line})" if e.line else ")")) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise bad("unreadable manifest (no 'files' mapping)")
    files = manifest["files"]
    for name, meta in files.items():
        if name not in (CONFIG, PARAMETERS, ADDITIONAL):
            raise bad(f"lists '{_shown(str(name))}', which `medcube package` never writes "
                      f"(only {CONFIG}, {PARAMETERS}, {ADDITIONAL})")
        if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str) \
                or not SHA256.fullmatch(meta["sha256"]) or type(meta.get("size")) is not int or meta["size"] < 0:
            raise bad(f"the entry of {name} needs a sha256 (64 hex digits) and a size (bytes)")
    return files


@dataclass
class Verification:
    folder: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(folder: Path) -> Verification:
    from validator.checks import run_static

    folder = Path(folder)
    result = Verification(folder)
    manifest_file = folder / MANIFEST
    if not os.path.lexists(manifest_file):
        raise UserError(f"{folder}: no {MANIFEST} here", hint="Pass a folder made by `medcube package`.")
    files = _read_manifest(manifest_file)
    for name, meta in files.items():
        path = folder / name
        if not os.path.lexists(path):
            result.problems.append(f"{name}: listed in {MANIFEST} but missing")
            continue
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            result.problems.append(f"{name}: is {hostfs.kind(mode)}, not a regular file (it is not read)")
            continue
        digest = sha256_file(path, follow_links=False)
        if digest != meta["sha256"]:
            result.problems.append(f"{name}: sha256 {digest} differs from the manifest's {meta['sha256']} "
                                   "(the file changed after packaging)")
        elif os.lstat(path).st_size != meta["size"]:
            result.problems.append(f"{name}: size differs from the manifest")
        else:
            result.checked.append(name)
    listed = set(files) | {MANIFEST}
    for extra in sorted(p.name for p in folder.iterdir() if p.name not in listed):
        result.problems.append(f"{_shown(extra)}: not listed in {MANIFEST} (it would not be submitted)")
    if ADDITIONAL in result.checked:
        result.problems += [f"{ADDITIONAL}: {p}" for p in check_tarball(folder / ADDITIONAL)]
    if CONFIG in result.checked:
        report = run_static(folder / CONFIG)
        # In a deploy folder there is no Dockerfile or project code: keep the config-level findings only.
        config_codes = ("MC0", "MC1", "MC2")
        for f in report.findings:
            if f.is_error and f.code.startswith(config_codes):
                result.problems.append(f"{CONFIG}:{f.line or ''} {f.code} {f.message}")
    return result
