#!/usr/bin/env bash
# The test command, the same for people and for CI:
#
#   bash scripts/test.sh [PYTEST ARGS...]        e.g.  bash scripts/test.sh -k engine -x
#
# 1. installs the project with its test, example, dev and lint extras (torch 2.13.0, CPU build) into the venv .venv (made
#    once and reused, scripts/venv.sh: Debian's own python3 refuses pip installs, PEP 668), and the
#    MLCube client (mlcube==0.0.9, mlcube-docker==0.0.9) into its own venv: it pins cookiecutter==2.1.1 and
#    omegaconf==2.1.0, which conflict with medcube's cookiecutter>=2.5 and need pip<24.1 to install at all;
#    and Debian's chromium (apt-get, when missing) for the tests that open the HTML report in a headless browser;
# 2. installs/starts the Docker engine and builds the offline base image (scripts/setup-engine.sh),
# 3. runs `python3 -m pytest -q ARGS...` (the venv's python3) with MEDCUBE_BASE_IMAGE and MEDCUBE_MLCUBE (the
#    mlcube CLI) exported.
# "No tests collected" (pytest exit code 5) is a failure.
#
# Settings (environment): MEDCUBE_VENV (.venv), MEDCUBE_SKIP_INSTALL=1 skips step 1 (the venv is still used
# when it exists, else python3 as it is), MEDCUBE_SKIP_ENGINE=1 skips step 2 (and Podman),
# MEDCUBE_PODMAN=1 also sets up Podman's API socket, rootful and rootless (scripts/setup-podman.sh),
# (tests marked docker are then skipped, or fail when CI=true), MEDCUBE_MLCUBE_VENV (.cache/mlcube-venv),
# MEDCUBE_LINT=1 runs `ruff check .`, `mypy` and `lint-imports` (the layer order) before the tests (.ci/run sets it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MLCUBE_VENV="${MEDCUBE_MLCUBE_VENV:-.cache/mlcube-venv}"
MLCUBE_PINS=(mlcube==0.0.9 mlcube-docker==0.0.9)

declare -a TIMINGS=()
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
T_START=$(now)
record() { TIMINGS+=("$(awk -v l="$1" -v a="$2" -v b="$(now)" 'BEGIN{printf "%-22s %8.1f s", l, b-a}')"); }
report() {
    local rc=$?
    record "total" "$T_START"
    printf '[test] timings:\n' >&2
    printf '[test]   %s\n' "${TIMINGS[@]}" >&2
    exit "$rc"
}
trap report EXIT

. scripts/venv.sh
t=$(now)
if [[ "${MEDCUBE_SKIP_INSTALL:-0}" == 1 ]]; then
    echo "[test] install skipped (MEDCUBE_SKIP_INSTALL=1)" >&2
    if [[ -x "${MEDCUBE_VENV:-.venv}/bin/python3" ]]; then medcube_venv test; fi
else
    medcube_venv test
    record "venv" "$t"
    t=$(now)
    echo "[test] pip install -e '.[test,examples,dev,lint]' (into ${VIRTUAL_ENV})" >&2
    # The examples extra admits any torch >= 2.13; the tests take the CPU build 2.13.0 (a wheel pip finds locally
    # here; an unpinned torch would be a CUDA build of several GB).
    python3 -m pip install -q --progress-bar off -e '.[test,examples,dev,lint]' 'torch==2.13.0'
    record "install" "$t"

    t=$(now)
    if [[ ! -x "$MLCUBE_VENV/bin/mlcube" ]]; then
        echo "[test] mlcube client into $MLCUBE_VENV" >&2
        python3 -m venv "$MLCUBE_VENV"
        "$MLCUBE_VENV/bin/python" -m pip install -q --progress-bar off 'pip<24.1'
        "$MLCUBE_VENV/bin/python" -m pip install -q --progress-bar off "${MLCUBE_PINS[@]}"
    fi
    record "install mlcube" "$t"

    t=$(now)
    if ! command -v chromium >/dev/null 2>&1; then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            echo "[test] apt-get install chromium (the HTML report tests open the report in it, headless)" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get install -y -q chromium >/dev/null 2>&1 || {
                apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
            }
        else
            echo "[test] chromium missing and not installable here (needs root and apt-get): browser tests skip" >&2
        fi
    fi
    record "install chromium" "$t"
fi
if [[ -x "$MLCUBE_VENV/bin/mlcube" ]]; then
    MEDCUBE_MLCUBE="$(cd "$MLCUBE_VENV/bin" && pwd)/mlcube"
    export MEDCUBE_MLCUBE
fi

t=$(now)
if [[ "${MEDCUBE_SKIP_ENGINE:-0}" == 1 ]]; then
    echo "[test] engine setup skipped (MEDCUBE_SKIP_ENGINE=1)" >&2
else
    echo "[test] bash scripts/setup-engine.sh" >&2
    exports=$(bash scripts/setup-engine.sh)
    eval "$exports"
    record "engine setup" "$t"
fi
export MEDCUBE_BASE_IMAGE="${MEDCUBE_BASE_IMAGE:-medcube/base:bookworm}"

# The Podman job (MEDCUBE_PODMAN=1, as .ci/run sets it): Podman's API socket, rootful and rootless, beside Docker,
# for the tests marked podman (they skip without MEDCUBE_PODMAN_HOST, and fail under CI=true).
if [[ "${MEDCUBE_PODMAN:-0}" == 1 && "${MEDCUBE_SKIP_ENGINE:-0}" != 1 ]]; then
    t=$(now)
    echo "[test] bash scripts/setup-podman.sh (rootful, then --rootless)" >&2
    eval "$(bash scripts/setup-podman.sh)"
    eval "$(bash scripts/setup-podman.sh --rootless)"
    record "podman setup" "$t"
fi

if [[ "${MEDCUBE_LINT:-0}" == 1 ]]; then
    t=$(now)
    echo "[test] ruff check . && mypy && lint-imports (MEDCUBE_LINT=1)" >&2
    python3 -m ruff check .
    python3 -m mypy
    lint-imports --no-cache
    record "lint and types" "$t"
fi

t=$(now)
echo "[test] python3 -m pytest -q $*" >&2
rc=0
python3 -m pytest -q "$@" || rc=$?
record "pytest" "$t"
if [[ $rc -eq 5 ]]; then
    echo "[test] ERROR: pytest collected no tests (exit code 5): check the test paths and -k/-m filters" >&2
    exit 1
fi
exit "$rc"
