"""Which runtime a verdict is for (`--target`): "medperf" (MedPerf 0.3, the default) or "mlcube" (the MLCube client,
and the MedPerf of MLCube's time, which ran mlcube.yaml as written).

Some findings hold only once a cube runs under MedPerf 0.3 (converted to container_config.yaml): a label MedPerf
never supplies (it looks up every declared label), a label of its contract the task lacks, metadata_path that
prepare never writes, a parameters file defaulting to "null" (which MedPerf must mount), run_args.entrypoint as one
word, no container_config.yaml at all. Under "mlcube" these are
warnings that say they are errors for MedPerf 0.3 (MC214, which only says MedPerf needs another file, is left
out). Every other finding holds for both.
"""

from __future__ import annotations

from dataclasses import replace

from validator import codes as C
from validator.findings import Finding

TARGETS = ("medperf", "mlcube")
MEDPERF_ONLY = (C.UNKNOWN_LABEL, C.MISSING_VOLUME, C.METADATA_NEVER_WRITTEN, C.ENTRYPOINT_WITH_SPACES)
# A parameters file defaulting to "null": MLCube-era cubes whose script reads "null" as "none given" (MLCube mounts
# the workspace either way); MedPerf 0.3 mounts the registered parameters file, which must then exist.
NULL_PARAMETERS = "null"
NOT_FOR_MLCUBE = (C.MLCUBE_ONLY,)


def for_target(findings: list[Finding], target: str, cube=None) -> list[Finding]:
    """The findings as they hold for the target runtime."""
    if target == "medperf":
        return findings
    out = []
    for f in findings:
        if str(f.code) in NOT_FOR_MLCUBE:
            continue
        medperf_only = str(f.code) in MEDPERF_ONLY or (
            str(f.code) == C.BAD_PARAMETERS and cube is not None and cube.parameters_file is not None
            and cube.parameters_file.name == NULL_PARAMETERS)
        if f.is_error and medperf_only and (cube is None or cube.format == "mlcube"):
            f = replace(f, severity="warning", message=f.message + " [an error under --target medperf: MedPerf 0.3 "
                        "fails here once the cube is converted; the MLCube client runs it]")
        out.append(f)
    return out
