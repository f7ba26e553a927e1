"""Finding codes of the probes (MC8xx), with their titles. Static checks use MC0xx-MC5xx, the engine MC6xx, the
output contracts MC7xx."""

INPUT_CHANGED = "MC801"  # an input's content changed while a task ran
INPUT_WRITE = "MC802"  # a task failed writing into (or deleting from) a read-only input
NEEDS_NETWORK = "MC803"  # a task failed after a connection attempt (tasks run with --network none)
NEEDS_ROOT = "MC804"  # a task failed doing what only root may (system folders, chown)
WRITES_OUTSIDE = "MC805"  # a task failed writing outside its output folders and /tmp
NONDETERMINISTIC = "MC806"  # infer gave different predictions on the same data
RERUN_FAILS = "MC807"  # a task fails when run again into its non-empty output folder
ACCEPTS_BROKEN = "MC808"  # sanity_check (or statistics) accepted broken copies of the prepared data
GPU_NOT_SEEN = "MC809"  # GPUs requested, but the framework in the image sees none
PROBE_INCOMPLETE = "MC810"  # a probe could not finish (error), or could not tell (warning)

CODES = {
    INPUT_CHANGED: "an input changed while a task ran",
    INPUT_WRITE: "task tried to write into a read-only input",
    NEEDS_NETWORK: "task needs network (a benchmark runs it with --network none)",
    NEEDS_ROOT: "task needs root (a benchmark runs it as an unprivileged user)",
    WRITES_OUTSIDE: "task writes outside its output folders",
    NONDETERMINISTIC: "infer gives different predictions on the same data (warning; error with --strict-determinism)",
    RERUN_FAILS: "task fails when run again into its non-empty output folder",
    ACCEPTS_BROKEN: "sanity_check accepts broken data",
    GPU_NOT_SEEN: "GPUs requested but the framework in the image sees none",
    PROBE_INCOMPLETE: "a probe could not finish (error) or could not tell (warning)",
}
