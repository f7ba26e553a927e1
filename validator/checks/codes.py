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
    # host safety (checks/hostpaths.py)
    "MC410": "a host path from the config leaves the cube folder or goes through a link",
    "MC411": "a link or special file among the files medcube packs, mounts or builds",
    "MC412": "build context larger than medcube builds",
    "MC413": "the config asks for privileges, host namespaces or host mounts",
    "MC414": "an output is written where the benchmark provides an input",
    # advisory (warnings)
    "MC501": "base image without a pinned tag",
    "MC502": "requirements installed after the code is copied",
    "MC503": "image runs as root",
    "MC504": "large workspace in the build context without .dockerignore",
}
