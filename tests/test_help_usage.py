"""What the entrypoint --help probe reads from a usage text (validator.chain.probes.entrypoint_help.unlisted): the
options a task is given against the options its real parser lists. No engine: the usage texts are argparse's,
click's and typer's own wording."""

from __future__ import annotations

import textwrap
from pathlib import Path

from validator.chain.probes.entrypoint_help import unlisted
from validator.manifest.load import load_cube

ARGPARSE = """usage: mlcube.py infer [-h] --data_path DATA_PATH --output_path OUTPUT_PATH [--parameters_file P]

options:
  -h, --help            show this help message and exit
  --data_path DATA_PATH
  --output_path OUTPUT_PATH
  --parameters_file P
"""
TYPER = """ Usage: mlcube.py infer [OPTIONS]

+- Options -------------------------------------------------------+
| *  --data-path          TEXT  [default: None] [required]         |
| *  --output-path        TEXT  [default: None] [required]         |
|    --help                     Show this message and exit.        |
+------------------------------------------------------------------+
"""


def _cube(tmp_path: Path, command: str):
    (tmp_path / "container_config.yaml").write_text(textwrap.dedent(f"""\
        container_type: DockerImage
        image: example/model:1
        tasks:
          infer:
            run_args:
              command: {command}
            input_volumes:
              data_path: {{mount_path: /mlcommons/volumes/data, type: directory}}
            output_volumes:
              output_path: {{mount_path: /mlcommons/volumes/predictions, type: directory}}
        """), encoding="utf-8")
    cube = load_cube(tmp_path)
    return cube, cube.tasks["infer"]


def test_every_option_listed_or_abbreviated_says_nothing(tmp_path):
    cube, task = _cube(tmp_path, "python3 /p/mlcube.py infer --data_path=/mlcommons/volumes/data --output_path "
                                 "/mlcommons/volumes/predictions --param /x")
    assert unlisted(cube, task, ARGPARSE) is None  # --param: argparse takes it for --parameters_file


def test_an_option_the_parser_does_not_list_is_a_warning_naming_both(tmp_path):
    cube, task = _cube(tmp_path, "python3 /p/mlcube.py infer --data_path /mlcommons/volumes/data --output_path "
                                 "/mlcommons/volumes/predictions")
    finding = unlisted(cube, task, TYPER)  # typer spells them --data-path, --output-path
    assert finding is not None and finding.code == "MC812" and finding.severity == "warning"
    assert "--data_path, --output_path" in finding.message and "--data-path" in finding.message
    assert finding.line == task.line


def test_a_usage_text_without_options_says_nothing(tmp_path):
    cube, task = _cube(tmp_path, "python3 /p/run.py --data_path /mlcommons/volumes/data")
    assert unlisted(cube, task, "running the model\nTraceback: no data\n") is None
    assert unlisted(cube, task, "") is None
