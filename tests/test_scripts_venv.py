"""scripts/venv.sh, which scripts/demo.sh and scripts/test.sh source: make the venv once, reuse it, put it first on
PATH; on a Debian python3 that is externally managed (PEP 668) and cannot make a venv, say what to install.

The host test uses this machine's python3. The docker test uses Debian bookworm's own python3 in the offline base
image, with Debian's EXTERNALLY-MANAGED marker put back (the base image removes it for cube builds) and without
python3-venv, as a non-root user with no network: pip refuses to install, and venv.sh says how to fix it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "[externally-managed]\nError=To install Python packages system-wide, try apt install python3-xyz.\n"


def source_venv(venv: Path) -> subprocess.CompletedProcess:
    script = ('. scripts/venv.sh && medcube_venv t && command -v python3 && '
              'python3 -c "import sys; print(sys.prefix != sys.base_prefix)"')
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "PATH") or k.startswith("PIP_")}
    env["MEDCUBE_VENV"] = str(venv)
    return subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_makes_the_venv_once_and_reuses_it(tmp_path):
    venv = tmp_path / "venv"
    first = source_venv(venv)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [str(venv / "bin/python3"), "True"]
    assert "python3 -m venv" in first.stderr
    again = source_venv(venv)
    assert again.returncode == 0 and again.stdout.split() == first.stdout.split()
    assert "python3 -m venv" not in again.stderr  # reused


@pytest.mark.docker
def test_debian_python_refuses_pip_and_venv_sh_says_what_to_install(docker_client, base_image):
    script = (f"printf '{MARKER}' > /usr/lib/python3.11/EXTERNALLY-MANAGED && "
              "su nobody -s /bin/bash -c '"
              "cd /tmp && python3 -m pip install six; echo pip=$?; "
              "cp -r /src /tmp/src && cd /tmp/src && . scripts/venv.sh && medcube_venv t; echo venv=$?'")
    out = docker_client.containers.run(
        base_image, ["bash", "-c", script], network_mode="none", remove=True, stdout=True, stderr=True,
        volumes={str(ROOT / "scripts"): {"bind": "/src/scripts", "mode": "ro"}}).decode()
    assert "externally-managed-environment" in out and "pip=1" in out, out
    assert "install the python3-venv package" in out and "venv=1" in out, out
