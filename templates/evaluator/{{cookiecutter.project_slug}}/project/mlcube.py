"""Entry point of the cube: MedPerf and MLCube run `python3 mlcube.py evaluate --predictions=... ...`.

One command per task; its options are the volume labels MedPerf passes (do not rename them). Keep this file
thin: read the parameters, call your code in metrics.py.
"""

import typer
import yaml

import metrics as metrics_code  # your code: project/metrics.py

app = typer.Typer(add_completion=False)


@app.callback()
def main():
    """Metrics cube: scores a model's predictions against the labels."""


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


@app.command("evaluate")
def evaluate(
    predictions: str = typer.Option(..., "--predictions", help="Folder of the model's predictions."),
    labels: str = typer.Option(..., "--labels", help="Folder of prepared labels (<id>.npy)."),
    parameters_file: str = typer.Option(..., "--parameters_file", help="parameters.yaml"),
    output_path: str = typer.Option(..., "--output_path", help="results.yaml to write."),
):
    """Compute the metrics of PREDICTIONS against LABELS and write them to OUTPUT_PATH."""
    run("evaluate", metrics_code.evaluate, predictions, labels, load_parameters(parameters_file), output_path)


if __name__ == "__main__":
    app()
