"""The one catalogue of finding codes, hadolint-style: every code medcube reports, with its id, default severity,
the stage that reports it, a title and how to fix it. Checks, the engine, the output contracts and the probes use
these by name; docs/findings.md is generated from this module (`python scripts/findings_doc.py`), and a test keeps
it fresh. A Code is the id string itself (a finding's `code`), carrying its entry.

Its length (over 400 lines) is the catalogue's: one entry a code, kept in one table on purpose.

Stages: static (MC0xx-MC5xx: reading, schema, role contract, both formats, config against code, advice), run
(MC6xx: build and run), output (MC7xx: the benchmark's output contracts), probe (MC8xx), submission (MC9xx:
many submissions in one `medcube test`).
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["error", "warning", "info"]
Stage = Literal["static", "run", "output", "probe", "submission"]


class Code(str):
    """A finding code: the id ("MC101") as a string, with its catalogue entry as attributes."""

    severity: Severity  # the default; a check may report a code as a warning where it says so in the fix text
    stage: Stage
    title: str  # type: ignore[assignment]  # shadows str.title on purpose: the catalogue entry's title
    fix: str
    name: str  # the constant's name in this module, set below

    def __new__(cls, id: str, severity: Severity, stage: Stage, title: str, fix: str) -> Code:
        code = super().__new__(cls, id)
        code.severity, code.stage, code.title, code.fix = severity, stage, title, fix
        code.name = ""
        return code

    @property
    def id(self) -> str:
        return str(self)

    # A Code is immutable: copies are the code itself, a pickle is its id looked up again.
    def __copy__(self) -> Code:
        return self

    def __deepcopy__(self, memo: dict) -> Code:
        return self

    def __reduce__(self) -> tuple:
        return (_by_id, (str(self),))


CATALOGUE: dict[str, Code] = {}
"""Every code, by id, in the order of the documentation."""


def _code(id: str, severity: Severity, stage: Stage, title: str, fix: str) -> Code:
    if id in CATALOGUE:
        raise ValueError(f"finding code {id} defined twice")
    CATALOGUE[id] = code = Code(id, severity, stage, title, fix)
    return code


def lookup(id: str) -> Code | None:
    return CATALOGUE.get(str(id))


def _by_id(id: str) -> Code | str:
    return CATALOGUE.get(id, id)


NO_CONFIG = _code(
    "MC000", "error", "static",
    'no cube config found',
    'Point medcube at a cube folder: one holding `container_config.yaml` (MedPerf) and/or '
    '`mlcube/mlcube.yaml` (MLCube), or at one of those files. `medcube create model` makes a new cube.',
)
YAML_SYNTAX = _code(
    "MC001", "error", "static",
    'YAML syntax error',
    'Fix the YAML at the line given: indent with spaces (never tabs), put a space after each `key:`, '
    'close every `[`, `{` and quote. The same code is used for a broken `parameters.yaml`, for a recursive '
    'alias (`a: &x {b: *x}`), and for a file that is not UTF-8 ("not UTF-8", with the byte and line): save it as '
    'UTF-8.',
)
NOT_A_MAPPING = _code(
    "MC002", "error", "static",
    'config is not a mapping / a key is given twice',
    'The file must be a mapping of `key: value` lines at the top level. A key given twice is silently '
    'collapsed by YAML to its last value: keep one.',
)
UNKNOWN_KEY = _code(
    "MC101", "warning", "static",
    'unknown key',
    'An error only where the runtime rejects the key (container_config.yaml `run_args`: MedPerf stops with "Run '
    'args X are not allowed"); elsewhere MLCube and MedPerf ignore it, and medcube warns (a typo there usually '
    'means a setting is not applied). '
    'Rename the key to the one suggested ("did you mean"), or remove it. `medcube schema NAME` prints '
    'every allowed key; with yaml-language-server, `# yaml-language-server: $schema=<file>` in the config'
    ' gives completion in the editor.',
)
MISSING_KEY = _code(
    "MC102", "error", "static",
    'missing required key',
    'Add the key named in the message, under the key at the line given.',
)
BAD_VALUE = _code(
    "MC103", "error", "static",
    'wrong type or value',
    'Use a value of the type or from the list in the hint. Image names are lowercase '
    '`[registry/]repo/name[:tag]`; volume types are `file` or `directory`; `container_type` is one of '
    "MedPerf's five types. No value may hold a NUL byte, and no path may be longer than Linux allows (4095 "
    'bytes, 255 a name).',
)
MIXED_ROLES = _code(
    "MC201", "error", "static",
    'tasks do not match one role',
    'A cube has one role. Declare the tasks of exactly one: data preparator `prepare`, `sanity_check`, '
    '`statistics`; model `infer`; metrics `evaluate`. Split a cube that mixes roles.',
)
MISSING_ROLE_TASK = _code(
    "MC202", "error", "static",
    'required task missing',
    'Add the task. A data preparator declares `prepare`, `sanity_check` and `statistics` in both formats: MedPerf runs all three in that order and stops with "Task sanity_check is not found in container config." when one is missing.',
)
FOREIGN_TASK = _code(
    "MC203", "error", "static",
    'task not part of the role',
    'As an error: the task name is a typo of a task of the role; rename it. As a warning: the task is '
    'outside the contract and MedPerf never runs it; remove it or keep it for your own use.',
)
UNKNOWN_LABEL = _code(
    "MC204", "error", "static",
    'unknown volume label',
    'Use the labels MedPerf supplies to that task (it looks up every declared label: another one stops it with a KeyError). Every task may declare `parameters_file` and `additional_files`. prepare: `data_path`, `labels_path` in, `output_path`, `output_labels_path` (`metadata_path`, `report_file`) out; sanity_check/statistics: `data_path`, `labels_path`, `metadata_path` (when prepare writes it) in, statistics `output_path` out; infer: `data_path` in, `output_path` out; evaluate: `predictions`, `labels` in, `output_path` (and `local_outputs_path`) out. In mlcube.yaml, extra model inputs go under `additional_files/`.',
)
MISSING_VOLUME = _code(
    "MC205", "error", "static",
    'required volume missing',
    "Declare the volume; the hint gives MedPerf's default mount path. A warning for prepare's `output_labels_path`: MedPerf runs without it, but evaluate then reads an empty labels folder.",
)
VOLUME_TYPE = _code(
    "MC206", "warning", "static",
    'volume type differs from the contract',
    'A warning: neither MedPerf 0.3 nor MLCube checks the type (a file input mounts its folder either way). '
    'Set the type MedPerf passes: statistics and results `output_path` are files (`statistics.yaml`, '
    '`results.yaml`), the data, labels and predictions volumes are directories, `parameters_file` a file.',
)
VOLUME_SIDE = _code(
    "MC207", "error", "static",
    'volume on the wrong side (input vs output)',
    'Move the volume between `input_volumes` (read-only) and `output_volumes` (writable), or between '
    '`inputs` and `outputs` in mlcube.yaml.',
)
RELATIVE_MOUNT = _code(
    "MC208", "error", "static",
    'mount path not absolute',
    'Mount paths are absolute paths inside the container, e.g. `/mlcommons/volumes/labels`.',
)
MOUNT_TWICE = _code(
    "MC209", "error", "static",
    'mount path used twice',
    'Give each volume of a task its own mount path: the second mount would hide the first.',
)
BAD_GPUS = _code(
    "MC210", "error", "static",
    'invalid gpus value',
    '`run_args.gpus` takes what `docker run --gpus` takes: `all`, a count such as `1`, or `device=0,1`; `none` (or 0) asks for no GPU.',
)
UNRUNNABLE_TYPE = _code(
    "MC211", "warning", "static",
    'container type medcube cannot build or run',
    'medcube builds and runs `DockerImage` cubes; the static checks still apply to the others. Test '
    'archives and Singularity images with MedPerf itself.',
)
NOT_A_BENCHMARK_CUBE = _code(
    "MC212", "warning", "static",
    'not a benchmark cube (federated learning, certificates, run_script)',
    'Nothing to fix when the container is meant for federated learning, certificates or confidential computing: medcube checks only its schema, MedPerf runs it through its own commands. If it is meant to be a benchmark cube, declare the tasks of one role.',
)
METADATA_NEVER_WRITTEN = _code(
    "MC213", "error", "static",
    'a task reads metadata_path that prepare never writes',
    'Add `metadata_path` to the output volumes of `prepare` (MedPerf then creates the folder and passes it to sanity_check and statistics), or drop it from the task that reads it.',
)
MLCUBE_ONLY = _code(
    "MC214", "warning", "static",
    'mlcube.yaml only: MedPerf 0.3.0 runs container_config.yaml',
    'Write a `container_config.yaml` beside `mlcube/` (`medcube convert mlcube/mlcube.yaml -o container_config.yaml`); keep mlcube.yaml for the MLCube client if you use it.',
)
TWO_WORKSPACES = _code(
    "MC215", "warning", "static",
    'both workspace layouts present and different',
    "Keep one workspace. The rule: `workspace/` beside container_config.yaml (MedPerf's layout) wins when it holds parameters.yaml, else `mlcube/workspace/`.",
)
FORMATS_TASKS = _code(
    "MC301", "error", "static",
    'mlcube.yaml and container_config.yaml declare different tasks',
    'Declare the same tasks in `container_config.yaml` and `mlcube/mlcube.yaml` (`medcube convert` writes'
    ' the first from the second), or drop the file you no longer use.',
)
FORMATS_VOLUMES = _code(
    "MC302", "error", "static",
    'mlcube.yaml and container_config.yaml declare different volumes',
    'Declare the same volumes, types and sides in both files.',
)
FORMATS_IMAGES = _code(
    "MC303", "warning", "static",
    'mlcube.yaml and container_config.yaml name different images',
    'Use one image name (and tag) in `image:` and `docker.image:`.',
)
SCRIPT_MISSING = _code(
    "MC401", "error", "static",
    'the script a task runs is missing or unreadable',
    'Make the script that ENTRYPOINT or `run_args.command` runs exist in the build context at the path '
    'the COPY lines put it, or fix the path; fix a Python syntax error at the line given.',
)
NOT_A_COMMAND = _code(
    "MC402", "error", "static",
    'task is not a command of the entrypoint script',
    'Give the entrypoint a command per task, named exactly like the task. typer turns `def sanity_check` '
    'into `sanity-check`: write `@app.command("sanity_check")`.',
)
NOT_AN_OPTION = _code(
    "MC403", "error", "static",
    'declared parameter is not an option of the command',
    'Add the option to the command (typer: `typer.Option(..., "--data_path")`; without the declaration '
    'typer names it `--data-path`), or remove the volume from the config.',
)
NO_DOCKERFILE = _code(
    "MC404", "warning", "static",
    'Dockerfile or build context missing',
    'MedPerf pulls the image and never builds, so this is a warning: the image cannot be built from here. To have it built and checked, add a Dockerfile: beside container_config.yaml (build context: that folder), in `project/`, or where `docker.build_context`/`build_file` of mlcube.yaml point (relative to the `mlcube/` folder).',
)
COPY_MISSING = _code(
    "MC405", "error", "static",
    'COPY source missing from the build context',
    'COPY sources are relative to the build context: fix the path or add the file.',
)
BAD_PARAMETERS = _code(
    "MC406", "error", "static",
    'parameters file missing or not a mapping',
    'Create the parameters file MedPerf mounts as `parameters_file` (`workspace/parameters.yaml` or `mlcube/workspace/parameters.yaml`) as a mapping of names to values; an empty file is read as `{}`. A warning when the workspace holds other `parameters*.yaml` files (the one submitted is chosen with `--parameters-file`).',
)
FILE_MISSING = _code(
    "MC407", "warning", "static",
    'file named in the config does not exist',
    "Put the file under the workspace's `additional_files/` (MedPerf ships it as additional_files.tar.gz), or fix the path. A warning: MedPerf downloads the tarball from the submitted URL; medcube needs the files here to run and package the cube.",
)
NOTHING_TO_RUN = _code(
    "MC408", "error", "static",
    'no entrypoint and no command: nothing would run',
    'Add `ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]` (or your script) to the Dockerfile, or a '
    '`run_args.command` to the task.',
)
LONE_TYPER_COMMAND = _code(
    "MC409", "error", "static",
    'typer app with a single command takes no command name',
    'typer runs a lone command without its name, so `mlcube.py infer ...` fails. Add a second command '
    "(MedPerf's templates add `hotfix`) or an `@app.callback()`.",
)
PATH_OUT = _code(
    "MC420", "error", "static",
    'a host path from the config leaves the cube folder or goes through a link',
    'Every host path the config names (parameters file, additional files, mlcube.yaml defaults, build '
    'context, Dockerfile, COPY sources) must be a plain file or folder inside the cube folder: no symbolic link, '
    'no `..` out, no absolute path. medcube mounts, copies and packs these paths as root: see docs/SECURITY.md.',
)
BAD_ENTRY = _code(
    "MC421", "error", "static",
    'a link or special file among the files medcube packs, mounts or builds',
    'Replace the link, FIFO, socket or device with a plain file. medcube and MedPerf never follow a link a cube '
    'supplies, and a build context must not point out of itself.',
)
BIG_CONTEXT = _code(
    "MC422", "error", "static",
    'build context larger than medcube builds',
    'Add a `.dockerignore` that leaves out data, or move it out of the build context. '
    '`MEDCUBE_MAX_BUILD_CONTEXT` (bytes) raises the limit.',
)
PRIVILEGED = _code(
    "MC423", "error", "static",
    'the config asks for privileges, host namespaces or host mounts',
    'Remove the option: a benchmark runs cubes without extra privileges, host namespaces, host devices or host '
    'mounts, and with no network. medcube ignores it when running; MedPerf would pass it on.',
)
OUTPUT_IS_INPUT = _code(
    "MC424", "error", "static",
    'an output is written where the benchmark provides an input',
    'Write each output into its own folder (`workspace/<label>/`): additional files and the parameters file are '
    "the benchmark's inputs, mounted read-only.",
)
PATH_NOT_MOUNTED = _code(
    "MC410", "error", "static",
    'path in run_args is not a mount of the task',
    'MedPerf mounts only the volumes a task declares: use a `mount_path` of that task in `run_args.command` / `entrypoint` (the message suggests the closest), or declare the volume in the task.',
)
CONFIG_ONLY = _code(
    "MC411", "info", "static",
    'no Dockerfile: a config-only cube, build checks skipped',
    'Nothing to fix: a cube made by `medperf container create` has no Dockerfile. The run stage uses the local image or pulls it (`--pull`). Add a Dockerfile beside container_config.yaml to have the build checked.',
)
INHERITED_ENTRYPOINT = _code(
    "MC412", "warning", "static",
    'ENTRYPOINT inherited from a base image that cannot be checked statically',
    "The run stage reads the built image's real entrypoint (`docker inspect`). To have it checked statically, set ENTRYPOINT in your Dockerfile.",
)
TASK_NAME_EXECUTED = _code(
    "MC413", "error", "static",
    'no ENTRYPOINT and the command starts with a task name',
    'Add `ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]` to the Dockerfile, or start `run_args.command` with the program (`python3 /path/script.py infer ...`).',
)
RELATIVE_ENTRYPOINT = _code(
    "MC414", "warning", "static",
    'relative script path in ENTRYPOINT (breaks under Singularity)',
    'Use the absolute path of the script in ENTRYPOINT (the message gives it): Singularity does not start in WORKDIR.',
)
ENTRYPOINT_WITH_SPACES = _code(
    "MC415", "error", "static",
    'run_args.entrypoint with spaces, or a list (MedPerf passes it as one word)',
    'Put only the executable in `run_args.entrypoint`, as a string, and its arguments in `run_args.command`: '
    'MedPerf passes the entrypoint as one `docker run --entrypoint` word (a list as its Python text), and so does '
    "medcube's run stage.",
)
DOCKERFILE_SYNTAX = _code(
    "MC416", "error", "static",
    'a Dockerfile line docker build rejects',
    'Fix the line the message names: an unknown instruction (a typo such as `CPY` for `COPY`; the message suggests '
    'the closest) or a `FROM` without an image. `docker build` stops there, so the cube cannot be built at all.',
)
SHELL_FORM_ENTRYPOINT = _code(
    "MC417", "error", "static",
    'ENTRYPOINT in shell form: the task\'s arguments are ignored',
    'Write ENTRYPOINT in exec form, `ENTRYPOINT ["python3", "/mlcube_project/mlcube.py"]`. In shell form docker runs '
    '`/bin/sh -c "..."` and drops the arguments it is given, so every task (prepare, infer, evaluate ...) would run '
    'the same command without its task name or paths.',
)
BROKEN_EXEC_FORM = _code(
    "MC418", "error", "static",
    'an exec form (`["...", ...]`) that is not a JSON array of strings',
    'Close the brackets, quote every item with double quotes, and write numbers as strings (`["python3", "x.py", '
    '"1"]`). Otherwise docker takes the whole line as a shell command: the build fails (RUN) or the container runs '
    '`/bin/sh -c \'["python3", ...\'`, which is no program (CMD, ENTRYPOINT).',
)
DROPPED_EXIT_STATUS = _code(
    "MC419", "warning", "static",
    'the entrypoint script drops the exit status of a program it runs',
    'A wrapper that runs the real script with `subprocess.Popen(...).wait()`, `subprocess.call(...)` or '
    '`os.system(...)` and ignores the result exits 0 when that script fails, so a failed task "passes" '
    '(MedPerf fixed exactly this in its own cubes). Use `subprocess.run(cmd, check=True)`, or '
    '`sys.exit(process.wait())`.',
)
REQUIRED_OPTION_NOT_PASSED = _code(
    "MC430", "error", "static",
    'the command requires an option the task never passes',
    'The entrypoint\'s parser requires the option (typer `typer.Option(...)` or an Annotated option without a '
    'default, click `required=True`, argparse `required=True`), but MedPerf and MLCube pass only '
    '`--<label>=<path>` for each volume the task declares (and what `run_args.command` says): the task stops at '
    'once with "Missing option". Declare the volume or parameter, pass it in the command, or give the option a '
    'default.',
)
WRAPPER_OPTION_REJECTED = _code(
    "MC431", "warning", "static",
    'the entrypoint runs a script with an option that script does not define',
    'A wrapper (mlcube.py, an entrypoint script) runs another script (`subprocess.run([...])`, `os.system("...")`) '
    'and passes an option that script\'s own parser (argparse, click, typer) does not define: the script stops with '
    '"unrecognized arguments" / "No such option". Rename the option on one side; both places are named.',
)
EMPTY_SCRIPT = _code(
    "MC432", "error", "static",
    'the entrypoint script is empty',
    'The script a task runs holds no code (0 bytes, or only comments and blank lines): the task does nothing and '
    'exits 0, so it "passes" and writes no outputs. Put the task\'s code in the script, or point the ENTRYPOINT / '
    'run_args.command at the script that has it.',
)
UNPINNED_BASE = _code(
    "MC501", "warning", "static",
    'base image without a pinned tag',
    'Pin the base image to a tag (`python:3.11-slim`) or a digest, so the image builds the same tomorrow.',
)
REQUIREMENTS_AFTER_CODE = _code(
    "MC502", "warning", "static",
    'requirements installed after the code is copied',
    'COPY `requirements.txt` and `RUN pip install -r` before copying the code: a code change then reuses '
    'the cached dependency layer.',
)
RUNS_AS_ROOT = _code(
    "MC503", "warning", "static",
    'image runs as root',
    'MedPerf runs containers as a non-root user anyway; drop `USER root` or switch back after the steps '
    'that need it.',
)
WORKSPACE_IN_CONTEXT = _code(
    "MC504", "warning", "static",
    'large workspace in the build context without .dockerignore',
    'Add a `.dockerignore` that leaves out the workspace: parameters and additional files are mounted at '
    'run time, they do not belong in the image.',
)
HADOLINT = _code(
    "MC510", "warning", "static",
    'hadolint: Dockerfile hygiene',
    'Follow the rule hadolint names in the message (its page: https://github.com/hadolint/hadolint/wiki/DLxxxx). '
    'Reported only where hadolint is installed (`pip install "medcube[lint]"`): hadolint\'s error and warning levels '
    'as a warning, its info and style levels as an info. `# hadolint ignore=DL3008` on the line above silences one '
    'rule there, `--ignore MC510` all of them.',
)
BUILD_FAILED = _code(
    "MC601", "error", "run",
    'docker build failed',
    'Read the build log named in the message (the last lines are shown). Build it yourself with `docker '
    "build` in the cube's build context to iterate faster.",
)
PULL_FAILED = _code(
    "MC602", "error", "run",
    'base image could not be pulled (no network): use --base-image',
    'No registry is reachable from here: pass `--base-image IMG` (or set MEDCUBE_BASE_IMAGE) with an '
    'image already present locally; the Dockerfile must take its base from `ARG BASE_IMAGE`.',
)
IMAGE_MISSING = _code(
    "MC603", "error", "run",
    'no Dockerfile and the image is not present locally (build or pull it: --pull)',
    'MedPerf pulls the image: pass `--pull` to do the same, or build or pull it yourself (`docker build -t IMAGE .`, `docker pull IMAGE`), or add a Dockerfile beside the config so medcube builds it.',
)
EXIT_NONZERO = _code(
    "MC610", "error", "run",
    'task exited with a non-zero code',
    "Read the log tail under the task (the full log is in the run folder's `logs/`); run the task by hand"
    ' with the same arguments (the report shows the `docker run` line).',
)
TIMEOUT = _code(
    "MC611", "error", "run",
    'task ran past --timeout and was killed',
    'Make the task faster on the demo data, or raise `--timeout` if the demo data is really that large; a'
    ' task that waits for the network never ends here (`--network none`).',
)
OOM = _code(
    "MC612", "error", "run",
    'task ran out of memory (--memory) and was killed',
    "Lower the task's memory use (batch size, streaming over records instead of loading them all), or "
    'raise `--memory`.',
)
NO_GPU = _code(
    "MC613", "error", "run",
    'GPUs requested but the engine has no GPU runtime',
    'Run without `--gpus` on this machine, or install the NVIDIA driver and nvidia-container-toolkit and '
    'restart Docker.',
)
START_FAILED = _code(
    "MC614", "error", "run",
    'the engine could not create or start the container',
    'The engine refused the container: the message quotes its reason (a missing image, a bad mount, a bad'
    ' option).',
)
PLAN_FAILED = _code(
    "MC615", "error", "run",
    'task cannot run: a volume has no host path or an input is missing',
    'Give the task every volume it declares: the message names the label without a host path or the input'
    ' that does not exist.',
)
LOCAL_UNSUPPORTED = _code(
    "MC616", "error", "run",
    'the local runner cannot run this entrypoint',
    'The local runner runs Python entrypoints in exec form only; use `--runner docker` for anything else.',
)
MISSING_TASK = _code(
    "MC617", "error", "run",
    'the chain needs a task the cube does not declare',
    'Declare the task the role needs (a data preparator: prepare, sanity_check, statistics; a model: '
    'infer; metrics: evaluate).',
)
PIDS_LIMIT = _code(
    "MC618", "error", "run",
    'task hit the process limit (--pids)',
    'Bound the number of workers (e.g. `min(os.cpu_count(), 8)`) and join them; raise `--pids` only if '
    'the task really needs that many.',
)
LOG_LIMIT = _code(
    "MC619", "error", "run",
    'task wrote more log than --log-limit (the log on disk was cut)',
    "Log a line per batch or per case, not per pixel or per step, and no debug output by default. An error: MedPerf reads a container's output line by line and crawls on long logs (90k lines took minutes, 600k did not finish).",
)
LEFT_RUNNING = _code(
    "MC620", "error", "run",
    'task left processes running after it ended',
    'Wait for (join) every process and thread the task starts before it exits; in a container they are '
    'killed when the task ends.',
)
NO_ENTRYPOINT = _code(
    "MC621", "error", "run",
    'the image has no entrypoint: the task name or nothing would be executed',
    'Set ENTRYPOINT in the Dockerfile (e.g. `["python3", "/mlcube_project/mlcube.py"]`), or start `run_args.command` with the program (`python3 /path/script.py infer ...`).',
)
OUTPUT_SPECIAL = _code(
    "MC622", "error", "run",
    'task left a link, FIFO or device file in its outputs (removed)',
    'Write plain files and folders only: MedPerf and medcube never follow a link a task writes, and a FIFO or '
    'device in the outputs would block or reach the host when the data is copied. medcube removes them (never '
    'what a link points to) before anything reads the outputs.',
)
ENGINE_LOST = _code(
    "MC623", "error", "run",
    'the Docker engine stopped answering while the task ran (it restarted, went away, or the connection broke)',
    'Nothing is known of how the task would have ended. The message says what medcube saw: the engine answered again '
    'and had stopped the container (a restart), it did not answer again within 30 s (it stopped or crashed), or only '
    'the connection broke. Check the engine (`docker info`, its log: a restart, a crash, no disk or memory left) and '
    'run again; a container left while the engine was away is removed at the end of the run if it answers by then.',
)
LIMITS_NOT_ENFORCED = _code(
    "MC630", "warning", "run",
    'the engine cannot enforce some of the limits asked for (memory, CPUs, processes)',
    'The tasks ran without the limits the message names, so a task that would exceed them on the benchmark\'s '
    'machines passed here. Typical: rootless Podman on cgroup v1, or on cgroup v2 without the controllers delegated '
    'to the user. Run again with rootful Docker or Podman, or on a machine with cgroup v2 and delegation (systemd '
    '`Delegate=memory pids cpu`).',
)
BUILD_NOT_ISOLATED = _code(
    "MC631", "error", "run",
    'no builder here can build without network on this engine',
    "The build was not run: Podman's Docker-compatible build endpoint ignores `networkmode=none`, so RUN steps "
    "would reach the network. Install the podman command (it builds through the same socket with `--network "
    "none`), or pass --build-network if this benchmark allows builds to download.",
)
NO_FITTING_BENCHMARK = _code(
    "MC632", "info", "run",
    "no benchmark fits this cube: built and probed, not run in a chain",
    "The cube is not one of the bundled chest X-ray benchmark's (its tasks, labels or parameters differ) and no "
    "benchmark profile was given or found beside it (`benchmark.yaml` in its folder or the folder above): its image "
    "was built and each entrypoint asked for `--help`, but no chain ran, because demo data of another benchmark "
    "would fail a correct cube. Pass the benchmark it belongs to: `medcube validate CUBE --benchmark "
    "BENCHMARK.yaml` (or `--medperf-benchmark N`), or put that `benchmark.yaml` beside the cube.",
)
NO_RECORDS = _code(
    "MC701", "error", "output",
    'prepare wrote no records or no labels',
    'prepare must write the prepared records into `output_path` and the labels into `output_labels_path`;'
    ' see its log.',
)
BAD_STATISTICS = _code(
    "MC702", "error", "output",
    'statistics.yaml missing, empty or not a mapping',
    'The statistics task writes a YAML mapping to its `output_path` file.',
)
STATISTICS_KEYS = _code(
    "MC703", "error", "output",
    'statistics.yaml lacks a required key',
    'Add the keys the benchmark requires (its `statistics_keys`) to statistics.yaml.',
)
NO_PREDICTIONS = _code(
    "MC704", "error", "output",
    'predictions file missing or unreadable',
    'infer writes the predictions file the benchmark expects (its `predictions.file`) into `output_path`,'
    ' complete and closed.',
)
MISSING_PREDICTIONS = _code(
    "MC705", "error", "output",
    'records without a prediction (warning: predictions for unknown records)',
    'Write one prediction per prepared record, keyed by the record id.',
)
BAD_PREDICTION_SHAPE = _code(
    "MC706", "error", "output",
    'prediction not numeric or of the wrong shape',
    "Each prediction is a number or a list of numbers of the benchmark's shape.",
)
BAD_PREDICTION_VALUES = _code(
    "MC707", "error", "output",
    'prediction not finite or out of range',
    "Predictions are finite and within the benchmark's range (e.g. probabilities in [0, 1]).",
)
BAD_RESULTS = _code(
    "MC708", "error", "output",
    'results.yaml missing or not a mapping of metric -> number',
    'evaluate writes a YAML mapping metric -> number (null when undefined, or a mapping of those) to its '
    '`output_path` file.',
)
RESULTS_KEYS = _code(
    "MC709", "error", "output",
    'results.yaml lacks a required metric',
    'Write every metric the benchmark requires (its `results_keys`).',
)
RESULTS_NOT_FINITE = _code(
    "MC710", "warning", "output",
    'a metric is NaN or infinite (warning)',
    'A metric that is undefined on the demo data is written as null, not NaN.',
)
INPUT_CHANGED = _code(
    "MC801", "error", "probe",
    'an input changed while a task ran',
    'Treat inputs as read-only: write only into the output volumes and /tmp.',
)
INPUT_WRITE = _code(
    "MC802", "error", "probe",
    'task tried to write into a read-only input',
    'Write only into the output volumes and /tmp: inputs are mounted read-only.',
)
NEEDS_NETWORK = _code(
    "MC803", "error", "probe",
    'task needs network (a benchmark runs it with --network none)',
    'Ship everything the task needs in the image or in additional_files: benchmarks run tasks with '
    '`--network none`.',
)
NEEDS_ROOT = _code(
    "MC804", "error", "probe",
    'task needs root (a benchmark runs it as an unprivileged user)',
    'Run as any uid: write only into the outputs and /tmp, install into the image at build time, never '
    'chown at run time.',
)
WRITES_OUTSIDE = _code(
    "MC805", "error", "probe",
    'task writes outside its output folders',
    'Write only into the output volumes and /tmp; the rest of the container is not writable to an '
    'unprivileged user.',
)
NONDETERMINISTIC = _code(
    "MC806", "warning", "probe",
    'infer gives different predictions on the same data (warning; error with --strict-determinism)',
    'Seed every random generator and use deterministic kernels '
    '(`torch.use_deterministic_algorithms(True)`), or raise `--determinism-tolerance`.',
)
RERUN_FAILS = _code(
    "MC807", "error", "probe",
    'task fails when run again into its non-empty output folder',
    "Overwrite (or empty) the output folder's own files when run again; do not fail on files that are "
    'there.',
)
ACCEPTS_BROKEN = _code(
    "MC808", "warning", "probe",
    'sanity_check accepts broken data (warning: MedPerf runs it; error with --strict)',
    'Make sanity_check fail (exit code not 0) on the broken copies the probe names: blank images, wrong shapes, missing labels, unexpected files. A warning (MedPerf runs a lax sanity_check); `--strict` makes it fail.',
)
GPU_NOT_SEEN = _code(
    "MC809", "error", "probe",
    'GPUs requested but the framework in the image sees none',
    'Install the CUDA build of the framework in the image and request GPUs with `--gpus`; check the '
    "framework's own device query inside the image.",
)
PROBE_INCOMPLETE = _code(
    "MC810", "error", "probe",
    'a probe could not finish (error) or could not tell (warning)',
    'The message says why the probe could not finish; fix that cause and run again. A probe that cannot finish '
    'proves nothing, so it fails the run; a probe that ran but cannot tell (no GPU framework found, a data format '
    'it cannot break) is a warning. `--no-probe NAME` skips a probe knowingly.',
)
IMPORT_CRASH = _code(
    "MC811", "error", "probe",
    "a task's entrypoint crashes before it reads its arguments (the `--help` probe)",
    "Once the image is built, each task's entrypoint is run in it with `--help` in place of its arguments (no data, "
    "no network, the benchmark's user): it ended in a Python traceback at import (a module missing from the image, "
    "a syntax error, a misspelt attribute such as `typer.Options`). Install what the code imports in the image "
    "(requirements.txt, the Dockerfile), fix the line the message names, and rebuild. Usage text, exit code 2 or an "
    "entrypoint that ignores `--help` are never reported.",
)
UNLISTED_OPTION = _code(
    "MC812", "warning", "probe",
    "a task is given an option its entrypoint's `--help` does not list (the `--help` probe)",
    "The usage text the real parser in the image printed for `--help` lists its options; the task is given one it "
    "does not list (nor an abbreviation of one), so the parser will likely stop with \"unrecognized arguments\" or "
    "\"No such option\". The code medcube read statically may not be the code in the image (an old build, a copy "
    "under another path): rename the option or the label so they agree, and rebuild.",
)
SINGULARITY = _code(
    "MC815", "error", "probe",
    'the task would fail under Singularity / Apptainer (read-only image, another working directory)',
    "Singularity runs the image read-only, starts in the user's working directory (not the image's WORKDIR), binds "
    "the user's HOME and leaves only /tmp writable. Write only into the output folders (or /tmp), and call scripts "
    "by absolute path (e.g. `python3 /mlcube_project/mlcube.py`), never relative to the working directory.",
)
SUBMISSION_NOT_LOADED = _code(
    "MC901", "error", "submission",
    "a submission's cube config could not be loaded",
    "The message names the config and what is wrong with it: fix it (`medcube validate --static CUBE` lists every "
    "problem), or pass the cube under the option of its role (--model or --metrics). The other submissions run.",
)
SUBMISSION_SAME_IMAGE = _code(
    "MC902", "error", "submission",
    "two submissions name the same image",
    "Give every submission its own image name or tag: building one image name from two build contexts replaces "
    "the first image, and its tasks would run the other submission's code.",
)
SUBMISSION_RUN_FAILED = _code(
    "MC903", "error", "submission",
    "a submission's run stopped on an unexpected error",
    "The message names the error; the submission's logs are in its folder of the run folder "
    "(`submissions/<n>-<name>/logs`). Run that submission alone (`medcube test BENCH --model CUBE`) to reproduce it.",
)


for _name, _value in list(globals().items()):
    if isinstance(_value, Code):
        _value.name = _name
