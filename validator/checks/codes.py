"""Every finding code medcube emits, with a one-line title (docs/findings.md is generated from this)."""

CODES = {
    # reading
    "MC000": "no cube config found",
    "MC001": "YAML syntax error",
    "MC002": "config is not a mapping / a key is given twice",
    # schema
    "MC101": "unknown key",
    "MC102": "missing required key",
    "MC103": "wrong type or value",
    # role contract
    "MC201": "tasks do not match one role",
    "MC202": "required task missing",
    "MC203": "task not part of the role",
    "MC204": "unknown volume label",
    "MC205": "required volume missing",
    "MC206": "volume type differs from the contract",
    "MC207": "volume on the wrong side (input vs output)",
    "MC208": "mount path not absolute",
    "MC209": "mount path used twice",
    "MC210": "invalid gpus value",
    "MC211": "container type medcube cannot build or run",
    "MC212": "not a benchmark cube (federated learning, certificates, run_script)",
    "MC213": "a task reads metadata_path that prepare never writes",
    "MC214": "mlcube.yaml only: MedPerf 0.3.0 runs container_config.yaml",
    "MC215": "both workspace layouts present and different",
    # both formats present
    "MC301": "mlcube.yaml and container_config.yaml declare different tasks",
    "MC302": "mlcube.yaml and container_config.yaml declare different volumes",
    "MC303": "mlcube.yaml and container_config.yaml name different images",
    # cross-file
    "MC401": "the script a task runs is missing or unreadable",
    "MC402": "task is not a command of the entrypoint script",
    "MC403": "declared parameter is not an option of the command",
    "MC404": "Dockerfile or build context missing",
    "MC405": "COPY source missing from the build context",
    "MC406": "parameters file missing or not a mapping",
    "MC407": "file named in the config does not exist",
    "MC408": "no entrypoint and no command: nothing would run",
    "MC409": "typer app with a single command takes no command name",
    "MC410": "path in run_args is not a mount of the task",
    "MC411": "no Dockerfile: a config-only cube, build checks skipped",
    "MC412": "ENTRYPOINT inherited from a base image that cannot be checked statically",
    "MC413": "no ENTRYPOINT and the command starts with a task name",
    "MC414": "relative script path in ENTRYPOINT (breaks under Singularity)",
    "MC415": "run_args.entrypoint with spaces",
    # advisory (warnings)
    "MC501": "base image without a pinned tag",
    "MC502": "requirements installed after the code is copied",
    "MC503": "image runs as root",
    "MC504": "large workspace in the build context without .dockerignore",
}
