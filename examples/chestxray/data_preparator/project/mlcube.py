"""Chest X-ray data preparator: the `prepare`, `sanity_check` and `statistics` tasks.

    python3 mlcube.py prepare --data_path=RAW_IMAGES --labels_path=RAW_LABELS --parameters_file=P.yaml \
        --output_path=DATA --output_labels_path=LABELS [--metadata_path=METADATA]
    python3 mlcube.py sanity_check --data_path=DATA --labels_path=LABELS --parameters_file=P.yaml
    python3 mlcube.py statistics --data_path=DATA --labels_path=LABELS --parameters_file=P.yaml \
        --output_path=statistics.yaml [--metadata_path=METADATA]

RAW_IMAGES holds PNG and/or DICOM files (prepare.py: the join rule; dicom.py: the DICOM display pipeline).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import typer  # noqa: E402
import yaml  # noqa: E402

app = typer.Typer(add_completion=False)


def _load_parameters(parameters_file):
    with open(parameters_file) as f:
        return yaml.safe_load(f) or {}


def _fail(title, errors):
    from prepare import report

    print(f"{title}: {len(errors)} problem(s)", file=sys.stderr)
    report(0, errors)
    raise typer.Exit(code=1)


@app.command("prepare")
def prepare(
    data_path: str = typer.Option(..., "--data_path", help="folder of raw images (<Image ID>.png / .dcm)"),
    labels_path: str = typer.Option(..., "--labels_path", help="folder holding labels.csv"),
    parameters_file: str = typer.Option(..., "--parameters_file"),
    output_path: str = typer.Option(..., "--output_path", help="prepared images (<id>.npy)"),
    output_labels_path: str = typer.Option(..., "--output_labels_path", help="prepared labels (<id>.npy)"),
    metadata_path: str = typer.Option(None, "--metadata_path", help="optional: sources.csv (format, modality)"),
):
    """Resize every labelled image to image_output_size and encode its labels as a 0/1 vector."""
    from prepare import prepare_dataset

    t0 = time.time()
    parameters = _load_parameters(parameters_file)
    prepared, errors = prepare_dataset(
        data_path, labels_path, parameters, output_path, output_labels_path, metadata_path=metadata_path
    )
    if errors:
        _fail(f"prepare: {prepared} record(s) prepared", errors)
    print(f"prepare: {prepared} record(s) prepared in {time.time() - t0:.1f}s")


@app.command("sanity_check")
def sanity_check(
    data_path: str = typer.Option(..., "--data_path", help="prepared images"),
    labels_path: str = typer.Option(..., "--labels_path", help="prepared labels"),
    parameters_file: str = typer.Option(..., "--parameters_file"),
):
    """Check the prepared data against the benchmark's data contract; exit 1 on any problem."""
    from sanity_check import sanity_check as check

    errors, n = check(data_path, labels_path, _load_parameters(parameters_file))
    if errors:
        _fail("sanity_check failed", errors)
    print(f"sanity_check: {n} record(s) passed")


@app.command("statistics")
def statistics(
    data_path: str = typer.Option(..., "--data_path", help="prepared images"),
    labels_path: str = typer.Option(..., "--labels_path", help="prepared labels"),
    parameters_file: str = typer.Option(..., "--parameters_file"),
    output_path: str = typer.Option(..., "--output_path", help="statistics.yaml to write"),
    metadata_path: str = typer.Option(None, "--metadata_path", help="optional: prepare's sources.csv folder"),
):
    """Write statistics.yaml: num_cases, labels_count, an image intensity summary and counts by source."""
    from stats import compute_statistics, write_statistics

    stats = compute_statistics(data_path, labels_path, _load_parameters(parameters_file), metadata_path=metadata_path)
    write_statistics(stats, output_path)
    print(f"statistics: {stats['num_cases']} case(s) -> {output_path}")


if __name__ == "__main__":
    app()
