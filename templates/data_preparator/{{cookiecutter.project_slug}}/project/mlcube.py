"""Entry point of the cube: MedPerf and MLCube run `python3 mlcube.py TASK --data_path=... ...`.

One command per task; its options are the volume labels MedPerf passes (do not rename them). Keep this file
thin: read the parameters, call your code in prepare.py.
"""

import typer
import yaml

import prepare as preparation  # your code: project/prepare.py

app = typer.Typer(add_completion=False)


@app.callback()
def main():
    """Data preparator cube: prepares raw data, checks it and summarizes it."""


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


@app.command("prepare")
def prepare(
    data_path: str = typer.Option(..., "--data_path", help="Folder of raw images."),
    labels_path: str = typer.Option(..., "--labels_path", help="Folder of raw labels."),
    parameters_file: str = typer.Option(..., "--parameters_file", help="parameters.yaml"),
    output_path: str = typer.Option(..., "--output_path", help="Folder to write prepared records to."),
    output_labels_path: str = typer.Option(..., "--output_labels_path", help="Folder to write prepared labels to."),
):
    """Turn raw data and labels into prepared records and labels."""
    parameters = load_parameters(parameters_file)
    run("prepare", preparation.prepare, data_path, labels_path, parameters, output_path, output_labels_path)


@app.command("sanity_check")
def sanity_check(
    data_path: str = typer.Option(..., "--data_path", help="Folder of prepared records."),
    labels_path: str = typer.Option(..., "--labels_path", help="Folder of prepared labels."),
    parameters_file: str = typer.Option(..., "--parameters_file", help="parameters.yaml"),
):
    """Fail when a prepared record is not as the benchmark expects."""
    run("sanity_check", preparation.sanity_check, data_path, labels_path, load_parameters(parameters_file))


@app.command("statistics")
def statistics(
    data_path: str = typer.Option(..., "--data_path", help="Folder of prepared records."),
    labels_path: str = typer.Option(..., "--labels_path", help="Folder of prepared labels."),
    parameters_file: str = typer.Option(..., "--parameters_file", help="parameters.yaml"),
    output_path: str = typer.Option(..., "--output_path", help="statistics.yaml to write."),
):
    """Check the prepared data, then write a summary of it to OUTPUT_PATH."""
    run("statistics", preparation.statistics, data_path, labels_path, load_parameters(parameters_file), output_path)


if __name__ == "__main__":
    app()
