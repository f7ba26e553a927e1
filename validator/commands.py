"""What each CLI command does, as functions returning an exit code (0 ok, 1 findings/failures, 2 usage)."""

from __future__ import annotations

from pathlib import Path

from validator.errors import UserError


def validate_command(paths, *, static, output_format, benchmark=None, no_run=False, runner=None,
                     base_image=None, gpus=None, rebuild=False) -> int:
    from validator import report
    from validator.checks import run_static

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"{missing[0]}: no such file or directory",
                        hint="Pass a cube directory, its container_config.yaml or its mlcube/mlcube.yaml.")
    reports = [run_static(p) for p in paths]
    ok = all(r.ok for r in reports)
    if output_format != "json":
        report.print_text(reports)
    runs = None
    if not static and not ok:
        report.stderr().print("Static checks failed: fix the errors above before medcube builds and runs the cube.")
    elif not static:
        from validator.testing import validate_run_command

        code, runs = validate_run_command(
            [r.cube for r in reports], benchmark=benchmark, no_run=no_run, runner=runner,
            base_image=base_image, gpus=gpus, rebuild=rebuild, output_format=output_format,
        )
        ok = code == 0
    if output_format == "json":
        report.write_json(reports, runs)
    return 0 if ok else 1


def convert_command(path: Path, output: Path | None, force: bool) -> int:
    from validator.checks import display_path, run_static
    from validator.manifest.convert import dump, to_container_config
    from validator.manifest.load import load_cube, locate
    from validator import report

    located = locate(path)
    if "mlcube" not in located.files:
        raise UserError(f"{path}: no mlcube.yaml to convert", hint="Pass an mlcube.yaml or a cube directory holding mlcube/mlcube.yaml.")
    src = located.files["mlcube"]
    static = run_static(src)
    errors = [f for f in static.findings if f.is_error]
    if errors:
        report.print_text([static], report.stderr())
        raise UserError(f"{display_path(src)} has errors; fix them before converting.", hint="The table above lists them.")
    cube = load_cube(src)
    text = dump(to_container_config(cube))
    if output is None:
        print(text, end="")
        return 0
    if output.exists() and not force:
        raise UserError(f"{output} already exists", hint="Pass --force to overwrite it, or choose another --output.")
    output.write_text(text, encoding="utf-8")
    report.stderr().print(f"wrote {display_path(output)}")
    return 0


def schema_command(name: str, output: Path | None) -> int:
    from validator.manifest import schemas

    if name not in schemas.NAMES:
        raise UserError(f"unknown schema '{name}'", hint=f"Choose one of: {', '.join(schemas.NAMES)}.")
    text = schemas.text(name)
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        output.write_text(text, encoding="utf-8")
    return 0


def package_command(cube: Path, output: Path | None) -> int:
    from validator.package import package, upload_instructions

    pkg = package(cube, output)
    print(upload_instructions(pkg))
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
    from validator import report

    result = verify_package(folder)
    console = report.stdout()
    for name in result.checked:
        console.print(f"[green]ok[/green]      {name}")
    for problem in result.problems:
        console.print(f"[red]problem[/red] {problem}")
    console.print("package OK" if result.ok else f"{len(result.problems)} problem(s): package the cube again "
                  "(`medcube package`) before uploading.")
    return 0 if result.ok else 1
