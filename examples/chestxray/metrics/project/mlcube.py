"""Chest X-ray metrics: the `evaluate` task.

    python3 mlcube.py evaluate --predictions=PREDICTIONS_DIR --labels=LABELS_DIR --parameters_file=P.yaml \
        --output_path=results.yaml
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import typer  # noqa: E402
import yaml  # noqa: E402

app = typer.Typer(add_completion=False)

MAX_REPORTED = 50


@app.callback()
def main():
    """Chest X-ray metrics cube."""


@app.command("evaluate")
def evaluate(
    predictions: str = typer.Option(..., "--predictions", help="folder holding predictions.json"),
    labels: str = typer.Option(..., "--labels", help="prepared labels (<id>.npy)"),
    parameters_file: str = typer.Option(..., "--parameters_file"),
    output_path: str = typer.Option(..., "--output_path", help="results.yaml to write"),
):
    """Accuracy and AUC as MedPerf's tutorial computes them, plus per-label AUC/F1 and macro/micro averages."""
    from metrics import EvaluationError, compute_metrics, load_predictions_and_labels

    with open(parameters_file) as f:
        parameters = yaml.safe_load(f) or {}
    names = parameters.get("labels_list")
    try:
        y, s = load_predictions_and_labels(predictions, labels, len(names) if names else None)
    except EvaluationError as e:
        lines = str(e).splitlines()
        print(f"evaluate: {len(lines)} problem(s)", file=sys.stderr)
        for line in lines[:MAX_REPORTED]:
            print(f"  - {line}", file=sys.stderr)
        if len(lines) > MAX_REPORTED:
            print(f"  ... and {len(lines) - MAX_REPORTED} more", file=sys.stderr)
        raise typer.Exit(code=1) from None
    results = compute_metrics(y, s, names, float(parameters.get("threshold", 0.5)))
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "w") as f:
        yaml.safe_dump(results, f, sort_keys=False)
    print(f"evaluate: {results['num_cases']} case(s), Accuracy {results['Accuracy']:.4f}, AUC {results['AUC']:.4f}")


if __name__ == "__main__":
    app()
