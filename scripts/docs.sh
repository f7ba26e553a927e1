#!/usr/bin/env bash
# The documentation site, built as CI builds it: MkDocs with Material from docs/ (mkdocs.yml), --strict, so a broken
# link, a page missing from the navigation or a stale generated page fails:
#
#   bash scripts/docs.sh            # the site in .cache/site/ (open .cache/site/index.html)
#
# docs/findings.md (from validator/codes.py) and the module map of docs/architecture.md (from the tree) are
# generated: both are checked to be fresh first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The project's venv (scripts/venv.sh, made by scripts/test.sh; Debian's own python3 refuses pip installs).
. scripts/venv.sh && medcube_venv docs

python3 -c 'import mkdocs, material' 2>/dev/null || python3 -m pip install -q --progress-bar off -e '.[docs]'
python3 scripts/layout.py --check
before=$(sha256sum docs/findings.md)
python3 scripts/findings_doc.py >/dev/null
[[ "$(sha256sum docs/findings.md)" == "$before" ]] || { echo "[docs] docs/findings.md was stale: regenerated, commit it" >&2; exit 1; }
NO_MKDOCS_2_WARNING=1 python3 -m mkdocs build --strict --quiet
echo "[docs] built .cache/site ($(find .cache/site -name '*.html' | wc -l) pages)" >&2
