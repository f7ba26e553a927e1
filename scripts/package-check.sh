#!/usr/bin/env bash
# The release artefacts, held true:
#
#   bash scripts/package-check.sh
#
# 1. `python -m build`: the sdist, then the wheel built FROM that sdist (as PyPI and conda-forge build it);
# 2. `twine check` on both (metadata, README rendering);
# 3. the sdist-built wheel installed into a fresh venv (uv; nothing of this checkout on its path), where
#    `medcube --version`, `medcube create model --no-input` and `medcube validate --static` on the created cube and on
#    the bundled example must work, and a broken cube must exit 1.
# Settings: MEDCUBE_DIST (default .cache/dist), MEDCUBE_WHEEL_VENV (default .cache/wheel-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The project's venv (scripts/venv.sh, made by scripts/test.sh; Debian's own python3 refuses pip installs).
. scripts/venv.sh && medcube_venv package

dist="${MEDCUBE_DIST:-.cache/dist}"
venv="${MEDCUBE_WHEEL_VENV:-.cache/wheel-venv}"
python3 -c 'import build, twine' 2>/dev/null || python3 -m pip install -q --progress-bar off 'build>=1' 'twine>=5'
command -v uv >/dev/null 2>&1 || python3 -m pip install -q --progress-bar off 'uv>=0.4'

rm -rf "$dist" "$venv"
python3 -m build -o "$dist" . >"$dist.log" 2>&1 || { cat "$dist.log" >&2; exit 1; }
python3 -m twine check --strict "$dist"/*
sdist=$(ls "$dist"/*.tar.gz)
wheel=$(ls "$dist"/*.whl)
listing=$(tar tzf "$sdist")
for path in templates/model/cookiecutter.json examples/chestxray/benchmark.yaml; do
    grep -qx "[^/]*/$path" <<<"$listing" || { echo "[package] the sdist lacks $path" >&2; exit 1; }
done

uv venv -q -p python3 "$venv"
uv pip install -q --python "$venv/bin/python" "$wheel"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
    cd "$work"   # not the checkout: the installed package only
    unset PYTHONPATH
    bin="$OLDPWD/$venv/bin"
    "$bin/medcube" --version
    "$bin/medcube" create model --no-input -o "$work" >/dev/null
    cube=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    "$bin/medcube" validate --static --format gnu "$cube"
    "$bin/medcube" create metrics --example chestxray --no-input -o "$work/ex" >/dev/null
    "$bin/medcube" validate --static --format gnu "$work/ex"/*
    printf 'not: [yaml\n' >>"$cube/container_config.yaml"
    rc=0
    "$bin/medcube" validate --static --format gnu "$cube" >/dev/null || rc=$?
    [[ $rc -eq 1 ]] || { echo "[package] a broken cube exited $rc, not 1" >&2; exit 1; }
)
echo "[package] $(basename "$sdist") -> $(basename "$wheel"): built, checked, installed and run" >&2
