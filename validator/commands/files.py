"""The commands that write or check files: `convert`, `schema`, `package`, `package-demo`, `verify-package`."""

from __future__ import annotations

from pathlib import Path

from validator.errors import UserError
from validator.report import text as text_report
from validator.report.console import stderr, stdout


def convert_command(path: Path, output: Path | None, force: bool) -> int:
    from validator.checks import display_path, run_static
    from validator.manifest.convert import dump, to_container_config
    from validator.manifest.load import load_cube, locate

    located = locate(path)
    if "mlcube" not in located.files:
        raise UserError(f"{path}: no mlcube.yaml to convert", hint="Pass an mlcube.yaml or a cube directory holding mlcube/mlcube.yaml.")
    src = located.files["mlcube"]
    static = run_static(src)
    errors = [f for f in static.findings if f.is_error]
    if errors:
        text_report.print_text([static], stderr())
        raise UserError(f"{display_path(src)} has errors; fix them before converting.", hint="The table above lists them.")
    cube = load_cube(src)
    config_text = dump(to_container_config(cube))
    if output is None:
        print(config_text, end="")
        return 0
    if output.exists() and not force:
        raise UserError(f"{output} already exists", hint="Pass --force to overwrite it, or choose another --output.")
    output.write_text(config_text, encoding="utf-8")
    stderr().print(f"wrote {display_path(output)}")
    return 0


def schema_command(name: str, output: Path | None) -> int:
    from validator.manifest import schemas

    if name not in schemas.PRINTABLE:
        raise UserError(f"unknown schema '{name}'", hint=f"Choose one of: {', '.join(schemas.PRINTABLE)}.")
    schema_text = schemas.text(name)
    if output is None:
        print(schema_text, end="" if schema_text.endswith("\n") else "\n")
    else:
        output.write_text(schema_text, encoding="utf-8")
    return 0


def package_command(cube: Path, output: Path | None) -> int:
    from validator.package import package, upload_instructions
    from validator.registry.submission import association_lines

    pkg = package(cube, output)
    print(upload_instructions(pkg))
    for line in association_lines(cube, pkg.manifest.get("role")):
        print(line)
    return 0


def package_demo_command(data_dir: Path, labels_dir: Path, output: Path | None) -> int:
    from validator.checks import display_path
    from validator.package import package_demo

    tarball, digest = package_demo(data_dir, labels_dir, output)
    print(f"Demo dataset: {display_path(tarball)}")
    print(f"sha256: {digest}")
    print("Test it: medcube test BENCHMARK --demo-data " + display_path(tarball) + f" --demo-sha256 {digest}")
    print("Upload it unchanged, then: medperf benchmark submit ... --demo-url \"<URL of "
          + tarball.name + '>\" ...')
    return 0


def verify_package_command(folder: Path) -> int:
    from validator.package import verify_package

    result = verify_package(folder)
    out = stdout()
    for name in result.checked:
        out.print(f"[green]ok[/green]      {name}")
    for problem in result.problems:
        out.print(f"[red]problem[/red] {problem}")
    out.print("package OK" if result.ok else f"{len(result.problems)} problem(s): package the cube again "
                  "(`medcube package`) before uploading.")
    return 0 if result.ok else 1
