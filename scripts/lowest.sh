#!/usr/bin/env bash
# The declared lower bounds, held true: installs the LOWEST version each range in pyproject.toml admits (its direct
# dependencies and the test and examples extras; what they need in turn at its newest) into a throwaway venv with
# uv (`--resolution lowest-direct`), then runs the quick suite there:
#
#   bash scripts/lowest.sh [PYTEST ARGS...]
#
# torch is the one exception to a plain resolve: where pip's find-links (PIP_FIND_LINKS) hold a CPU wheel of torch,
# that very wheel is installed (its version is the examples extra's floor), so the job downloads no CUDA build of
# several GB; without one, torch is left out and the tests that need it skip.
# Settings: MEDCUBE_LOWEST_VENV (default .cache/lowest-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The project's venv (scripts/venv.sh, made by scripts/test.sh; Debian's own python3 refuses pip installs).
. scripts/venv.sh && medcube_venv lowest

venv="${MEDCUBE_LOWEST_VENV:-.cache/lowest-venv}"
command -v uv >/dev/null 2>&1 || python3 -m pip install -q --progress-bar off 'uv>=0.4'
rm -rf "$venv"
uv venv -q -p python3 "$venv"

declare -a extra=()
overrides="$venv/overrides.txt"
: >"$overrides"
wheel=""
if [[ -n "${PIP_FIND_LINKS:-}" && -d "${PIP_FIND_LINKS}" ]]; then
    wheel=$(find "$PIP_FIND_LINKS" -maxdepth 1 -name 'torch-*-cp3*.whl' 2>/dev/null | sort | head -n 1)
fi
if [[ -n "$wheel" ]]; then
    version=$(basename "$wheel" | cut -d- -f2)
    echo "torch==$version" >>"$overrides"
    extra=(--find-links "$PIP_FIND_LINKS")
    echo "[lowest] torch from $(basename "$wheel")" >&2
else
    echo "torch; python_version < '0'" >>"$overrides"   # never installed: the tests needing torch skip
    echo "[lowest] no local torch wheel: torch left out" >&2
fi

uv pip install -q --python "$venv/bin/python" --resolution lowest-direct --override "$overrides" "${extra[@]}" \
    -e '.[test,examples]'
echo "[lowest] installed:" >&2
"$venv/bin/python" -m pip --version >/dev/null 2>&1 || true
uv pip list --python "$venv/bin/python" 2>/dev/null | grep -iE '^(typer|click|rich|pyyaml|jsonschema|docker|cookiecutter|jinja2|ijson|numpy|pillow|pydicom|torch|pytest|pytest-cookies|pytest-timeout|pre-commit|dockerfile) ' \
    | sed 's/^/[lowest]   /' >&2 || true

rc=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not docker and not slow and not podman" "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
    echo "[lowest] ERROR: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
