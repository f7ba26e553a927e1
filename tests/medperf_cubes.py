"""MedPerf-shaped cubes, one per fact of how MedPerf 0.3.0 runs a cube, in both directions.

Each case is a small cube written here (the layout `medperf container create` makes: `container_config.yaml`,
`workspace/parameters.yaml`, `workspace/additional_files/`, no Dockerfile unless the fact needs one) plus MedPerf's
verdict on it, read from MedPerf's code (the file is named in `source`):

- `medperf="runs"`: MedPerf runs it, so medcube must report no error (the warnings and infos it may report are
  listed, and nothing else);
- `medperf="fails"`: MedPerf stops on it, so medcube must report an error with that code, whose message names
  MedPerf's reason (`reason`, a substring).

`python tests/medperf_cubes.py DIR` writes the cubes out to look at them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

V = "/mlcommons/volumes"


def vol(label: str, mount: str, kind: str = "directory") -> str:
    return f"      {label}:\n        mount_path: {mount}\n        type: {kind}\n"


def task(name: str, inputs: str = "", outputs: str = "", run_args: str = "") -> str:
    text = f"  {name}:\n"
    if run_args:
        text += "    run_args:\n" + run_args
    if inputs:
        text += "    input_volumes:\n" + inputs
    if outputs:
        text += "    output_volumes:\n" + outputs
    return text


def command(line: str) -> str:
    return f"      command: {line}\n"


PARAMS = vol("parameters_file", f"{V}/parameters/parameters_file.yaml", "file")
PREPARED = vol("data_path", f"{V}/data") + vol("labels_path", f"{V}/labels") + PARAMS
PREPARE = task("prepare", vol("data_path", f"{V}/raw_data") + vol("labels_path", f"{V}/raw_labels") + PARAMS,
               vol("output_path", f"{V}/data") + vol("output_labels_path", f"{V}/labels"),
               command("python3 /project/prepare.py"))
SANITY = task("sanity_check", PREPARED, "", command("python3 /project/sanity_check.py"))
STATISTICS = task("statistics", PREPARED, vol("output_path", f"{V}/statistics/statistics.yaml", "file"),
                  command("python3 /project/statistics.py"))
INFER = task("infer", vol("data_path", f"{V}/data") + PARAMS + vol("additional_files", f"{V}/additional_files"),
             vol("output_path", f"{V}/predictions"))
EVALUATE = task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels") + PARAMS,
                vol("output_path", f"{V}/results/results.yaml", "file"))


def config(*tasks: str, image: str = "myorg/cube:0.1.0", head: str = "container_type: DockerImage\n") -> str:
    return f"{head}image: {image}\ntasks:\n" + "".join(tasks)


PREP_CONFIG = config(PREPARE, SANITY, STATISTICS)
MODEL_CONFIG = config(INFER)
METRICS_CONFIG = config(EVALUATE)


@dataclass(frozen=True)
class MedperfCase:
    name: str
    fact: str  # what MedPerf does, in a sentence
    source: str  # where in MedPerf's code (cli/medperf/...)
    medperf: str  # "runs" | "fails"
    files: dict  # path -> text
    code: str | None = None  # fails: the error medcube must give
    reason: str | None = None  # fails: a substring of its message naming MedPerf's reason
    allowed: frozenset = field(default_factory=frozenset)  # runs: the only non-error codes medcube may report

    def build(self, root: Path) -> Path:
        dest = Path(root) / self.name
        dest.mkdir(parents=True)
        for rel, text in self.files.items():
            path = dest / rel
            if rel.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return dest


def created(cfg: str, params: str = "", additional: bool = True, **extra) -> dict:
    """A cube as `medperf container create` lays it out: config, an (empty) parameters file, additional_files/."""
    files = {"container_config.yaml": cfg, "workspace/parameters.yaml": params}
    if additional:
        files["workspace/additional_files/"] = ""
    files.update(extra)
    return files


CONFIG_ONLY = frozenset({"MC411"})  # the info every cube without a Dockerfile gets

DOCKERFILE = "FROM python:3.11-slim\nCOPY project /project\nENTRYPOINT [\"python3\", \"/project/main.py\"]\n"


def runs(name, fact, source, files, allowed=CONFIG_ONLY) -> MedperfCase:
    return MedperfCase(name, fact, source, "runs", files, allowed=frozenset(allowed))


def fails(name, fact, source, files, code, reason) -> MedperfCase:
    return MedperfCase(name, fact, source, "fails", files, code=code, reason=reason)


CASES = {c.name: c for c in [
    # `medperf container create` output: config only, no Dockerfile, no code, empty parameters file.
    runs("create_data_preparator", "a folder made by `medperf container create data_preparator` is a complete cube",
         "templates/data_preparator_container", created(PREP_CONFIG)),
    runs("create_model", "a folder made by `medperf container create model` is a complete cube",
         "templates/model_container", created(MODEL_CONFIG)),
    runs("create_evaluator", "a folder made by `medperf container create evaluator` is a complete cube",
         "templates/evaluator_container", created(METRICS_CONFIG)),
    runs("empty_parameters_file", "an empty parameters file is read as {}", "commands/mlcube/submit.py",
         created(METRICS_CONFIG, params="")),
    fails("parameters_file_a_list", "a parameters file must be a mapping (MedPerf dumps it back with yaml.safe_dump "
          "and the cube reads it as one)", "entities/cube.py",
          created(METRICS_CONFIG, params="- 0.5\n- 0.7\n"), "MC406", "must be a mapping"),
    # Only container_config.yaml runs.
    fails("no_container_type", "a config without container_type is refused", "containers/parsers/factory.py",
          created(config(EVALUATE, head="")), "MC102", "container_type"),
    fails("unknown_container_type", "an unknown container_type is refused (Invalid container type)",
          "containers/parsers/factory.py", created(config(EVALUATE, head="container_type: Podman\n")),
          "MC103", "container_type"),
    fails("no_image", "a config without image is refused", "containers/parsers/simple_container.py",
          created("container_type: DockerImage\ntasks:\n" + EVALUATE), "MC102", "image"),
    fails("volume_without_type", "every volume needs type and mount_path", "containers/parsers/simple_container.py",
          created(METRICS_CONFIG.replace("        type: file\n", "", 1)), "MC102", "type"),
    # Labels MedPerf offers every task, and what it never supplies.
    runs("prepare_reads_additional_files", "every task is offered additional_files (and parameters_file)",
         "entities/cube.py", created(config(task("prepare", vol("data_path", f"{V}/raw_data")
                                                 + vol("labels_path", f"{V}/raw_labels") + PARAMS
                                                 + vol("additional_files", f"{V}/additional_files"),
                                                 vol("output_path", f"{V}/data") + vol("output_labels_path", f"{V}/labels"),
                                                 command("python3 /project/prepare.py")),
                                            SANITY, STATISTICS))),
    runs("evaluate_writes_local_outputs_path", "evaluate is also offered the output local_outputs_path",
         "commands/execution/container_execution.py",
         created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels") + PARAMS,
                             vol("output_path", f"{V}/results/results.yaml", "file")
                             + vol("local_outputs_path", f"{V}/local_outputs"))))),
    fails("infer_reads_labels", "a declared label MedPerf does not supply to the task is a KeyError",
          "containers/parsers/simple_container.py (get_volumes)",
          created(config(task("infer", vol("data_path", f"{V}/data") + vol("labels_path", f"{V}/labels"),
                              vol("output_path", f"{V}/predictions")))), "MC204", "KeyError"),
    fails("statistics_reads_metadata_never_written", "metadata_path reaches sanity_check/statistics only when prepare "
          "outputs it (else KeyError: 'metadata_path')", "commands/dataset/prepare.py",
          created(config(PREPARE, SANITY, task("statistics", PREPARED + vol("metadata_path", f"{V}/metadata"),
                                                vol("output_path", f"{V}/statistics/statistics.yaml", "file"),
                                                command("python3 /project/statistics.py")))),
          "MC213", "KeyError: 'metadata_path'"),
    runs("statistics_reads_metadata_prepare_writes", "with prepare writing metadata_path, statistics gets it",
         "commands/dataset/prepare.py",
         created(config(task("prepare", vol("data_path", f"{V}/raw_data") + vol("labels_path", f"{V}/raw_labels"),
                             vol("output_path", f"{V}/data") + vol("output_labels_path", f"{V}/labels")
                             + vol("metadata_path", f"{V}/metadata"), command("python3 /project/prepare.py")),
                        SANITY, task("statistics", PREPARED + vol("metadata_path", f"{V}/metadata"),
                                     vol("output_path", f"{V}/statistics/statistics.yaml", "file"),
                                     command("python3 /project/statistics.py"))))),
    # The data preparation chain.
    fails("preparator_without_sanity_check", "data preparation runs prepare, sanity_check, statistics; without "
          "sanity_check: 'Task sanity_check is not found in container config.'", "commands/dataset/prepare.py",
          created(config(PREPARE, STATISTICS)), "MC202", "sanity_check"),
    # run_args.
    fails("run_args_network", "run_args may hold only shm_size, gpus, command, entrypoint, environment "
          "('Run args network are not allowed.')", "containers/runners/utils.py",
          created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels"),
                              vol("output_path", f"{V}/results/results.yaml", "file"),
                              command("python3 /project/metrics.py") + "      network: host\n"))),
          "MC101", "network"),
    runs("run_args_gpus", "gpus: N in run_args becomes --gpus N", "containers/runners/docker_utils.py",
         created(config(task("infer", vol("data_path", f"{V}/data"), vol("output_path", f"{V}/predictions"),
                             command("python3 /project/infer.py") + "      gpus: 1\n")))),
    fails("run_args_entrypoint_with_spaces", "run_args.entrypoint is passed as ONE --entrypoint value",
          "containers/runners/docker_utils.py",
          created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels"),
                              vol("output_path", f"{V}/results/results.yaml", "file"),
                              "      entrypoint: python3 /project/metrics.py\n"))), "MC415", "one --entrypoint"),
    runs("run_args_entrypoint_one_executable", "an entrypoint naming one executable, arguments in command, runs",
         "containers/runners/docker_utils.py",
         created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels"),
                             vol("output_path", f"{V}/results/results.yaml", "file"),
                             "      entrypoint: python3\n" + command("/project/metrics.py"))))),
    fails("command_path_not_mounted", "MedPerf mounts only the volumes a task declares: a path of another task's "
          "mount is absent in the container", "containers/parsers/simple_container.py (get_volumes)",
          created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels"),
                              vol("output_path", f"{V}/results/results.yaml", "file"),
                              command(f"python3 /project/metrics.py --labels {V}/label"))),),
          "MC410", "did you mean"),
    # YAML as MedPerf reads it (yaml.safe_load).
    runs("merge_keys", "MedPerf reads configs with yaml.safe_load, which resolves merge keys (<<)",
         "commands/mlcube/submit.py",
         created("container_type: DockerImage\nimage: myorg/cube:0.1.0\ntasks:\n  evaluate:\n    input_volumes:\n"
                 f"      predictions: &dir\n        type: directory\n        mount_path: {V}/predictions\n"
                 f"      labels:\n        <<: *dir\n        mount_path: {V}/labels\n"
                 f"    output_volumes:\n      output_path:\n        <<: *dir\n        type: file\n"
                 f"        mount_path: {V}/results/results.yaml\n")),
    # Images MedPerf pulls, entrypoints from base images.
    runs("entrypoint_from_base_image", "MedPerf pulls the image and runs its entrypoint, wherever it comes from "
         "(a FROM image medcube cannot see into)", "containers/runners/docker_runner.py",
         created(METRICS_CONFIG, **{"Dockerfile": "FROM myorg/metrics-base:1.0\nCOPY project /project\n",
                                    "project/metrics.py": "print('ok')\n"}), allowed={"MC412"}),
    runs("sanity_check_without_labels", "a task that does not read the labels need not declare them: MedPerf "
         "mounts only the labels a task declares", "containers/parsers/simple_container.py (get_volumes)",
         created(config(PREPARE, task("sanity_check", vol("data_path", f"{V}/data"), "",
                                      command("python3 /project/sanity_check.py")), STATISTICS))),
    runs("prepare_without_output_labels", "prepare may write no labels folder (MedPerf then hands evaluate an "
         "empty one: a warning)", "commands/dataset/prepare.py",
         created(config(PREPARE.replace(vol("output_labels_path", f"{V}/labels"), ""), SANITY, STATISTICS)),
         allowed={"MC411", "MC205"}),
    fails("preparator_without_statistics", "data preparation runs statistics after sanity_check",
          "commands/dataset/prepare.py", created(config(PREPARE, SANITY)), "MC202", "statistics"),
    fails("evaluate_reads_metadata", "metadata_path is supplied to sanity_check and statistics only, never to "
          "evaluate (KeyError)", "commands/execution/container_execution.py",
          created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels")
                              + vol("metadata_path", f"{V}/metadata"),
                              vol("output_path", f"{V}/results/results.yaml", "file")))), "MC204", "KeyError"),
    runs("run_args_environment_and_shm_size", "run_args may hold environment and shm_size",
         "containers/runners/utils.py",
         created(config(task("infer", vol("data_path", f"{V}/data"), vol("output_path", f"{V}/predictions"),
                             command("python3 /project/infer.py") + "      shm_size: 1gb\n"
                             "      environment:\n        OMP_NUM_THREADS: '1'\n")))),
    fails("run_args_shm_size_not_a_size", "shm_size goes to docker run --shm-size, which refuses what is no size",
          "containers/runners/docker_utils.py",
          created(config(task("infer", vol("data_path", f"{V}/data"), vol("output_path", f"{V}/predictions"),
                              command("python3 /project/infer.py") + "      shm_size: lots\n"))), "MC103", "shm_size"),
    fails("task_name_executed_without_entrypoint", "with no ENTRYPOINT, docker runs the command's first word: a task "
          "name is no program", "containers/runners/docker_utils.py",
          created(config(task("evaluate", vol("predictions", f"{V}/predictions") + vol("labels", f"{V}/labels"),
                              vol("output_path", f"{V}/results/results.yaml", "file"),
                              command(f"evaluate --predictions={V}/predictions"))),
                  **{"Dockerfile": "FROM python:3.11-slim\nCOPY project /project\n",
                     "project/metrics.py": "print('ok')\n"}), "MC413", "as a program"),
    runs("relative_entrypoint_script", "Docker finds a relative script in WORKDIR; MedPerf's Singularity runner does "
         "not (a warning)", "containers/runners/singularity_utils.py",
         created(METRICS_CONFIG, **{"Dockerfile": "FROM python:3.11-slim\nWORKDIR /project\nCOPY project .\n"
                                                  'ENTRYPOINT ["python3", "metrics.py"]\n',
                                    "project/metrics.py": "print('ok')\n"}), allowed={"MC414"}),
    # Other MedPerf containers.
    runs("federated_learning_container", "MedPerf runs federated learning containers through its own commands; "
         "they are no data preparator, model or metrics cube", "commands/dataset/train.py, commands/aggregator/run.py",
         created(config(task("train", vol("data_path", f"{V}/data"), vol("output_logs", f"{V}/logs"),
                             command("python3 /project/fl.py train")),
                        task("start_aggregator", "", vol("output_logs", f"{V}/logs"),
                             command("python3 /project/fl.py aggregate")))), allowed={"MC212"}),
    runs("confidential_computing_container", "confidential computing containers declare run_script",
         "containers/parsers/simple_container.py (is_script_container)",
         created(config(task("run_script", vol("data_path", f"{V}/data"), vol("output_path", f"{V}/results")))),
         allowed={"MC212"}),
]}


def build_all(root: Path) -> Path:
    for case in CASES.values():
        case.build(root)
    return root


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/medperf_cubes.py DIR")
    build_all(Path(sys.argv[1]))
    print(f"wrote {len(CASES)} cubes to {sys.argv[1]}")
