"""The run stage without an engine: the command the entrypoint --help probe asks (the task's command as MedPerf runs
it, `--help` in place of its arguments), what counts as a crash at import, run_args.entrypoint as MedPerf passes it
(one word), and which benchmark `validate` runs a cube in when it is given none (validator.chain.fit)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from validator.chain import fit
from validator.chain.probes.entrypoint_help import help_argv, import_crash
from validator.checks import load
from validator.engine.tasks.plan import plan_task
from validator.manifest.load import load_cube

sys.path.insert(0, str(Path(__file__).parent))
import other_benchmark_cube  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHESTXRAY = ROOT / "examples" / "chestxray"
ENGINE = Path(__file__).parent / "fixtures" / "engine"


def _cc(tmp_path: Path, run_args: str) -> Path:
    cube = tmp_path / "cc"
    cube.mkdir(parents=True)
    (cube / "container_config.yaml").write_text(
        "container_type: DockerImage\nimage: example/model:0.1.0\ntasks:\n  infer:\n    run_args:\n"
        + textwrap.indent(run_args, "      ")
        + "    input_volumes:\n      data_path: {mount_path: /mlcommons/volumes/data, type: directory}\n"
        "    output_volumes:\n      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}\n",
        encoding="utf-8")
    return cube


# -- the --help command ----------------------------------------------------------------------------------------------
def test_help_replaces_the_arguments_of_a_subcommand_app():
    cube = load_cube(CHESTXRAY / "model")  # command: infer --data_path=... (the image ENTRYPOINT runs mlcube.py)
    assert help_argv(cube, cube.tasks["infer"], {"Entrypoint": ["python3", "/mlcube_project/mlcube.py"]}) == \
        (None, ["infer", "--help"])


def test_help_keeps_the_program_and_script_of_a_command(tmp_path):
    cube = load_cube(_cc(tmp_path, "command: python3 /project/infer.py /mlcommons/volumes/data --out x\n"))
    assert help_argv(cube, cube.tasks["infer"], None) == (None, ["python3", "/project/infer.py", "--help"])


def test_help_keeps_the_one_entrypoint_word(tmp_path):
    cube = load_cube(_cc(tmp_path, "entrypoint: python3\ncommand: /project/infer.py --data_path=/x\n"))
    assert help_argv(cube, cube.tasks["infer"], None) == (["python3"], ["/project/infer.py", "--help"])


def test_help_without_a_command_asks_the_image_entrypoint_or_its_cmd(tmp_path):
    cube = load_cube(_cc(tmp_path, "gpus: 0\n"))
    task = cube.tasks["infer"]
    assert help_argv(cube, task, {"Entrypoint": ["/run.sh"], "Cmd": ["x"]}) == (None, ["--help"])
    assert help_argv(cube, task, {"Entrypoint": None, "Cmd": ["python3", "/infer.py"]}) == \
        (None, ["python3", "/infer.py", "--help"])
    assert help_argv(cube, task, {"Entrypoint": None, "Cmd": None}) is None


def test_help_of_an_mlcube_yaml_task_is_the_task_name():
    cube = load_cube(ENGINE / "model")
    assert help_argv(cube, cube.tasks["infer"], None) == (None, ["infer", "--help"])


# -- what a crash at import is ---------------------------------------------------------------------------------------
MODULE_MISSING = """\
Traceback (most recent call last):
  File "/mlcube_project/mlcube.py", line 4, in <module>
    import nibabel
ModuleNotFoundError: No module named 'nibabel'
"""
TYPO_IN_AN_IMPORTED_MODULE = """\
Traceback (most recent call last):
  File "/mlcube_project/mlcube.py", line 2, in <module>
    from infer import run
  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load
  File "/mlcube_project/infer.py", line 9, in <module>
    def run(data_path: str = typer.Options(..., "--data_path")):
                             ^^^^^^^^^^^^^
AttributeError: module 'typer' has no attribute 'Options'. Did you mean: 'Option'?
"""
SYNTAX = """\
  File "/mlcube_project/mlcube.py", line 7
    def infer(:
              ^
SyntaxError: invalid syntax
"""
RAN_AND_FAILED_ON_NO_DATA = """\
Traceback (most recent call last):
  File "/mlcube_project/mlcube.py", line 30, in <module>
    main()
  File "/mlcube_project/mlcube.py", line 22, in main
    cases = os.listdir(args.data_path)
AttributeError: 'NoneType' object has no attribute 'data_path'
"""
HELP_ITSELF_BREAKS = """\
Traceback (most recent call last):
  File "/mlcube_project/mlcube.py", line 40, in <module>
    app()
  File "/usr/lib/python3/dist-packages/typer/core.py", line 100, in make_metavar
TypeError: Parameter.make_metavar() missing 1 required positional argument: 'ctx'
"""


@pytest.mark.parametrize("log,last", [
    (MODULE_MISSING, "ModuleNotFoundError: No module named 'nibabel'"),
    (TYPO_IN_AN_IMPORTED_MODULE, "AttributeError: module 'typer' has no attribute 'Options'. Did you mean: 'Option'?"),
    (SYNTAX, "SyntaxError: invalid syntax"),
])
def test_a_crash_at_import_is_named_by_its_last_line(log, last):
    assert import_crash("some output\n" + log, 1) == last


@pytest.mark.parametrize("log,code", [
    (RAN_AND_FAILED_ON_NO_DATA, 1),  # frames in functions: it ran (ignoring --help) and failed on the missing data
    (HELP_ITSELF_BREAKS, 1),  # the help text breaks inside the library, not the cube's import
    (MODULE_MISSING, 2),  # exit code 2: a parser's answer
    (MODULE_MISSING, 0),
    ("usage: mlcube.py [-h] {infer}\nmlcube.py: error: unrecognized arguments: --help\n", 2),
    ("ModuleNotFoundError: printed by a shell script, no traceback\n", 1),
    ("", 1),
])
def test_anything_else_is_no_crash(log, code):
    assert import_crash(log, code) is None


# -- run_args.entrypoint as MedPerf passes it -------------------------------------------------------------------------
def test_the_runner_passes_run_args_entrypoint_as_one_word(tmp_path):
    cube = load_cube(_cc(tmp_path, "entrypoint: python3 /project/infer.py\ncommand: --x 1\n"))
    plan = plan_task(cube, "infer", {"data_path": tmp_path, "output_path": tmp_path / "out"})
    assert plan.entrypoint == ["python3 /project/infer.py"] and plan.args == ["--x", "1"]
    assert plan.image_argv() == ["--entrypoint", "python3 /project/infer.py", "example/model:0.1.0", "--x", "1"]
    one = load_cube(_cc(tmp_path / "one", "entrypoint: python3\ncommand: /project/infer.py --x 1\n"))
    plan = plan_task(one, "infer", {"data_path": tmp_path, "output_path": tmp_path / "out"})
    assert plan.image_argv() == ["--entrypoint", "python3", "example/model:0.1.0", "/project/infer.py", "--x", "1"]


def test_a_list_entrypoint_is_its_python_text_under_medperf_and_an_error_statically(tmp_path):
    path = _cc(tmp_path, "entrypoint: [python3, /project/infer.py]\n")
    plan = plan_task(load_cube(path), "infer", {"data_path": tmp_path, "output_path": tmp_path / "out"})
    assert plan.entrypoint == ["['python3', '/project/infer.py']"]  # MedPerf: f"{entrypoint}"
    report = load(path)
    errors = [f for f in report.findings if f.is_error]
    assert [str(f.code) for f in errors] == ["MC415"] and "Python text" in errors[0].message
    assert "entrypoint: python3" in (errors[0].hint or "")


# -- which benchmark validate runs a cube in -------------------------------------------------------------------------
DEFAULT = CHESTXRAY / "benchmark.yaml"


def _checked(path: Path):
    report = load(path)
    assert report.cube is not None and report.cube.role, report.findings
    return report.cube


def test_a_cube_of_the_chest_xray_benchmark_runs_in_it():
    chosen = fit.choose(_checked(CHESTXRAY / "model"), DEFAULT)  # benchmark.yaml in the folder above
    assert chosen.benchmark is not None and "beside it" in chosen.why


def test_a_copy_of_a_chest_xray_cube_elsewhere_has_its_interface(tmp_path):
    shutil.copytree(CHESTXRAY / "metrics", tmp_path / "metrics")
    chosen = fit.choose(_checked(tmp_path / "metrics"), DEFAULT)
    assert chosen.benchmark is not None and "interface" in chosen.why and chosen.notes == []


def test_a_cube_of_another_benchmark_fits_none(tmp_path):
    cube = other_benchmark_cube.write(tmp_path / "brats")
    chosen = fit.choose(_checked(cube), DEFAULT)
    assert chosen.benchmark is None
    assert "modalities, segmentation_labels" in chosen.why and "in_channels" in chosen.why


def test_a_profile_beside_the_cube_is_found_and_checked_first(tmp_path):
    bench = tmp_path / "bench"
    shutil.copytree(ENGINE, bench)
    cube = other_benchmark_cube.write(bench / "brats")
    chosen = fit.choose(_checked(cube), DEFAULT)  # bench/benchmark.yaml: the folder above the cube
    assert chosen.benchmark is not None and chosen.benchmark.name == "tiny"  # type: ignore[union-attr]


def test_a_benchmark_yaml_that_is_no_profile_is_said_and_not_used(tmp_path):
    cube = other_benchmark_cube.write(tmp_path / "brats")
    (tmp_path / "benchmark.yaml").write_text("benchmark: brats\nmetrics: [dice]\n", encoding="utf-8")
    chosen = fit.choose(_checked(cube), DEFAULT)
    assert chosen.benchmark is None
    assert len(chosen.notes) == 1 and "is not a benchmark profile" in chosen.notes[0]


def test_a_profile_found_beside_may_not_reach_out_of_its_folder(tmp_path):
    shutil.copytree(ENGINE, tmp_path / "elsewhere")
    home = tmp_path / "home"
    cube = other_benchmark_cube.write(home / "brats")
    text = (ENGINE / "benchmark.yaml").read_text(encoding="utf-8")
    for role in ("prep", "model", "metrics"):
        text = text.replace(f": {role} ", f": ../elsewhere/{role} ")
    (home / "benchmark.yaml").write_text(text.replace("demo_data: demo_data", "demo_data: ../elsewhere/demo_data"),
                                         encoding="utf-8")
    chosen = fit.choose(_checked(cube), DEFAULT)
    assert chosen.benchmark is None and "outside its folder" in chosen.notes[0]
