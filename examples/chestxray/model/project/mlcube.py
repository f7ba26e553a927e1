"""Chest X-ray SimpleCNN model: the `infer` task.

    python3 mlcube.py infer --data_path=DATA --parameters_file=P.yaml --output_path=PREDICTIONS \
        (--additional_files=DIR_WITH_cnn_weights.pth | --weights=cnn_weights.pth) [--device=cpu|cuda|auto]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import typer  # noqa: E402
import yaml  # noqa: E402

app = typer.Typer(add_completion=False)


@app.callback()
def main():
    """Chest X-ray SimpleCNN model cube."""


@app.command("infer")
def infer(
    data_path: str = typer.Option(..., "--data_path", help="prepared images (<id>.npy)"),
    parameters_file: str = typer.Option(..., "--parameters_file"),
    output_path: str = typer.Option(..., "--output_path", help="folder for predictions.json"),
    additional_files: str = typer.Option(None, "--additional_files", help="folder holding cnn_weights.pth"),
    weights: str = typer.Option(None, "--weights", help="weights file (mlcube.yaml input)"),
    device: str = typer.Option(None, "--device", help="auto (default), cpu, cuda or cuda:N"),
):
    """Predict the 14 finding probabilities of every prepared image."""
    from infer import RecordError, find_weights, run_inference

    t0 = time.time()
    with open(parameters_file) as f:
        parameters = yaml.safe_load(f) or {}
    try:
        weights_path = find_weights(weights, additional_files, parameters)
        n, t_run = run_inference(data_path, parameters, weights_path, output_path, device=device)
    except (FileNotFoundError, RecordError, RuntimeError) as e:
        print(f"infer: {e}", file=sys.stderr)
        raise typer.Exit(code=1) from None
    dt = time.time() - t0
    print(f"infer: {n} record(s) in {dt:.2f}s; reading + inference + writing {t_run:.2f}s "
          f"({n / max(t_run, 1e-9):.0f} images/s)")


if __name__ == "__main__":
    app()
