"""Chest X-ray data preparator: the `prepare`, `sanity_check` and `statistics` tasks.

    python3 mlcube.py prepare --data_path=RAW_IMAGES --labels_path=RAW_LABELS --parameters_file=P.yaml \
        --output_path=DATA --output_labels_path=LABELS [--metadata_path=METADATA]
    python3 mlcube.py sanity_check --data_path=DATA --labels_path=LABELS --parameters_file=P.yaml
    python3 mlcube.py statistics --data_path=DATA --labels_path=LABELS --parameters_file=P.yaml \
        --output_path=statistics.yaml [--metadata_path=METADATA]

RAW_IMAGES holds PNG and/or DICOM files (prepare.py: the join rule; dicom.py: the DICOM display pipeline).

The command line is the standard library's argparse (MedPerf's templates use typer; either works, since MedPerf and
MLCube only pass `TASK --name=value` arguments): one dependency fewer on a data owner's machine, and about 40 ms less
at the start of each of the three tasks.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import yaml  # noqa: E402


def _load_parameters(parameters_file):
    with open(parameters_file) as f:
        return yaml.safe_load(f) or {}


def _fail(title, errors):
    from prepare import report

    print(f"{title}: {len(errors)} problem(s)", file=sys.stderr)
    report(0, errors)
    sys.exit(1)


def prepare(args):
    """Resize every labelled image to image_output_size and encode its labels as a 0/1 vector."""
    from prepare import prepare_dataset

    t0 = time.time()
    parameters = _load_parameters(args.parameters_file)
    prepared, errors = prepare_dataset(
        args.data_path, args.labels_path, parameters, args.output_path, args.output_labels_path,
        metadata_path=args.metadata_path,
    )
    if errors:
        _fail(f"prepare: {prepared} record(s) prepared", errors)
    print(f"prepare: {prepared} record(s) prepared in {time.time() - t0:.1f}s")


def sanity_check(args):
    """Check the prepared data against the benchmark's data contract; exit 1 on any problem."""
    from sanity_check import sanity_check as check

    errors, n = check(args.data_path, args.labels_path, _load_parameters(args.parameters_file))
    if errors:
        _fail("sanity_check failed", errors)
    print(f"sanity_check: {n} record(s) passed")


def statistics(args):
    """Write statistics.yaml: num_cases, labels_count, an image intensity summary and counts by source."""
    from stats import compute_statistics, write_statistics

    stats = compute_statistics(args.data_path, args.labels_path, _load_parameters(args.parameters_file),
                               metadata_path=args.metadata_path)
    write_statistics(stats, args.output_path)
    print(f"statistics: {stats['num_cases']} case(s) -> {args.output_path}")


def parser():
    main = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    tasks = main.add_subparsers(dest="task", required=True, metavar="TASK")

    p = tasks.add_parser("prepare", help=prepare.__doc__, allow_abbrev=False)
    p.add_argument("--data_path", required=True, help="folder of raw images (<Image ID>.png / .dcm)")
    p.add_argument("--labels_path", required=True, help="folder holding labels.csv")
    p.add_argument("--parameters_file", required=True)
    p.add_argument("--output_path", required=True, help="prepared images (<id>.npy)")
    p.add_argument("--output_labels_path", required=True, help="prepared labels (<id>.npy)")
    p.add_argument("--metadata_path", help="optional: sources.csv (format, modality)")
    p.set_defaults(run=prepare)

    s = tasks.add_parser("sanity_check", help=sanity_check.__doc__, allow_abbrev=False)
    s.add_argument("--data_path", required=True, help="prepared images")
    s.add_argument("--labels_path", required=True, help="prepared labels")
    s.add_argument("--parameters_file", required=True)
    s.set_defaults(run=sanity_check)

    t = tasks.add_parser("statistics", help=statistics.__doc__, allow_abbrev=False)
    t.add_argument("--data_path", required=True, help="prepared images")
    t.add_argument("--labels_path", required=True, help="prepared labels")
    t.add_argument("--parameters_file", required=True)
    t.add_argument("--output_path", required=True, help="statistics.yaml to write")
    t.add_argument("--metadata_path", help="optional: prepare's sources.csv folder")
    t.set_defaults(run=statistics)
    return main


if __name__ == "__main__":
    arguments = parser().parse_args()
    arguments.run(arguments)
