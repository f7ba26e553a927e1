# Sourced by scripts/demo.sh and scripts/test.sh (not run on its own): make the project's virtual environment
# once, reuse it after, and put it first on PATH.
#
#   . scripts/venv.sh && medcube_venv TAG      # TAG prefixes the progress lines on stderr
#
# Debian 12 and Ubuntu 24.04 mark their python3 as externally managed (PEP 668): `pip install` into it is
# refused (error: externally-managed-environment). medcube and its test tools therefore go into a venv,
# MEDCUBE_VENV (default .venv at the repository root), which any python3 >= 3.10 can make. On Debian/Ubuntu
# `python3 -m venv` needs the python3-venv package (ensurepip); it is installed with apt-get when missing and
# running as root, else the error says how. Afterwards VIRTUAL_ENV is set and PATH starts with its bin/
# (python3, pip, medcube), as `. .venv/bin/activate` would do; pip there still reads the machine's pip settings.
medcube_venv() {
    local tag="${1:-venv}" venv="${MEDCUBE_VENV:-.venv}"
    if [[ ! -x "$venv/bin/python3" ]] || ! "$venv/bin/python3" -c 'import pip' >/dev/null 2>&1; then
        local fresh=1
        [[ -e "$venv" ]] && fresh=0
        echo "[$tag] python3 -m venv $venv  ($(python3 --version 2>&1); reused on later runs)" >&2
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            [[ $fresh == 1 ]] && rm -rf "$venv"  # half made by the failed try
            if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
                echo "[$tag] python3 cannot make a venv (no ensurepip): apt-get install python3-venv" >&2
                export DEBIAN_FRONTEND=noninteractive
                apt-get install -y -q python3-venv >/dev/null 2>&1 || {
                    apt-get update -q >/dev/null && apt-get install -y -q python3-venv >/dev/null
                }
                python3 -m venv "$venv"
            else
                echo "[$tag] ERROR: \`python3 -m venv $venv\` failed: install the python3-venv package" \
                    "(sudo apt-get install python3-venv) or run as root, then run this again" >&2
                return 1
            fi
        fi
    fi
    VIRTUAL_ENV="$(cd "$venv" && pwd)"
    PATH="$VIRTUAL_ENV/bin:$PATH"
    export VIRTUAL_ENV PATH
    hash -r
}
