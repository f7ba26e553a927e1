#!/usr/bin/env bash
# The demo, on a fresh machine: validate the chest X-ray reference cubes, then run the whole benchmark chain
# (prepare -> sanity_check -> statistics -> infer -> evaluate) on the bundled demo data in Docker under the
# benchmark rules (no network, non-root, read-only inputs).
#
#   bash scripts/demo.sh
#
# Installs medcube with the example extras into the venv .venv (made once, reused; MEDCUBE_VENV names another:
# scripts/venv.sh, so an externally managed python3 as on Debian 12 is never pip-installed into), starts a Docker
# engine and builds the offline base image (scripts/setup-engine.sh, root needed). Without an engine, the chain
# runs with the local runner and says so. Afterwards `. .venv/bin/activate` gives you the `medcube` command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

. scripts/venv.sh
medcube_venv demo
echo "[demo] pip install -e '.[examples]' (into ${VIRTUAL_ENV})" >&2
python3 -m pip install -q --progress-bar off -e '.[examples]'

runner=()
if exports=$(bash scripts/setup-engine.sh); then
    eval "$exports"
else
    echo "[demo] no Docker engine could be started: the chain runs with the local runner (not a sandbox)" >&2
    runner=(--runner local)
fi

set -x
medcube validate --static examples/chestxray/data_preparator examples/chestxray/model examples/chestxray/metrics
medcube test examples/chestxray "${runner[@]}" --report demo-report.json --junit demo-junit.xml --html demo-report.html
