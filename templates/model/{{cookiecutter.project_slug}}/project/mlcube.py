"""Entry point of the cube: MedPerf and MLCube run `python3 mlcube.py infer --data_path=... ...`.

One command per task; its options are the volume labels MedPerf passes (do not rename them). Keep this file
thin: read the parameters, call your code in infer.py.
"""

import typer
import yaml

import infer as model_code  # your code: project/infer.py

app = typer.Typer(add_completion=False)


@app.callback()
def main():
    """Model cube: writes one prediction per prepared record."""


def load_parameters(parameters_file: str) -> dict:
    with open(parameters_file) as f:
        return yaml.safe_load(f) or {}


def run(task, step, *args):
    """Call a step of your code; a ValueError (bad input) ends the task with a one-line message and exit code 1."""
    try:
        step(*args)
    except ValueError as error:
        typer.echo(f"{task} failed: {error}", err=True)
        raise typer.Exit(1)


@app.command("infer")
def infer(
    data_path: str = typer.Option(..., "--data_path", help="Folder of prepared records (<id>.npy)."),
    parameters_file: str = typer.Option(..., "--parameters_file", help="parameters.yaml"),
    additional_files: str = typer.Option(..., "--additional_files", help="Folder of weights and other files."),
    output_path: str = typer.Option(..., "--output_path", help="Folder to write predictions.json to."),
):
    """Run the model on every record of DATA_PATH."""
    run("infer", model_code.infer, data_path, load_parameters(parameters_file), additional_files, output_path)


if __name__ == "__main__":
    app()
