"""GPU: when GPUs are requested, a check inside the cube's image, with the same GPU request, that its framework
sees them (torch, tensorflow, jax; nvidia-smi when present).

The check is a Python one-liner run instead of the image's entrypoint; it prints one line,
`MEDCUBE_GPU_CHECK {json}`, which `interpret` turns into a finding.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from validator import findings as F
from validator.chain.probes.logscan import read_log
from validator.codes import GPU_NOT_SEEN, NO_GPU, PROBE_INCOMPLETE
from validator.engine.images.tag import image_name
from validator.engine.tasks.plan import RunPlan
from validator.values import GpuRequest

MARK = "MEDCUBE_GPU_CHECK"
SCRIPT = r"""
import json, os, shutil, subprocess
out = {"frameworks": {}, "env": {k: os.environ.get(k) for k in ("NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")}}
try:
    import torch
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    out["frameworks"]["torch"] = {"version": torch.__version__, "cuda": torch.version.cuda, "gpus": n,
                                  "names": [torch.cuda.get_device_name(i) for i in range(n)]}
except ImportError:
    pass
except Exception as e:
    out["frameworks"]["torch"] = {"error": repr(e)[:200], "gpus": 0}
try:
    import tensorflow as tf
    out["frameworks"]["tensorflow"] = {"version": tf.__version__, "gpus": len(tf.config.list_physical_devices("GPU"))}
except ImportError:
    pass
except Exception as e:
    out["frameworks"]["tensorflow"] = {"error": repr(e)[:200], "gpus": 0}
try:
    import jax
    out["frameworks"]["jax"] = {"version": jax.__version__, "gpus": len([d for d in jax.devices() if d.platform == "gpu"])}
except ImportError:
    pass
except Exception as e:
    out["frameworks"]["jax"] = {"error": repr(e)[:200], "gpus": 0}
smi = shutil.which("nvidia-smi")
if smi:
    try:
        r = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
        out["nvidia_smi"] = (r.stdout or r.stderr).strip()[:500]
    except Exception as e:
        out["nvidia_smi"] = repr(e)[:200]
print("MEDCUBE_GPU_CHECK " + json.dumps(out), flush=True)
""".strip()

_LINE = re.compile(rf"^{MARK} (\{{.*\}})\s*$", re.MULTILINE)


def parse(log: str) -> dict | None:
    m = _LINE.search(log)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except json.JSONDecodeError:
        return None


def _describe(name: str, info: dict) -> str:
    text = f"{name} {info.get('version', '')}".strip()
    if "error" in info:
        return f"{text} (failed: {info['error']})"
    if name == "torch" and info.get("cuda") is None and "version" in info:
        text += " (a CPU-only build: torch.version.cuda is None)"
    return text


def interpret(check: dict | None, image: str, gpus: str, where: str) -> tuple[list[F.Finding], str]:
    """(findings, one line for the report) from the check's output."""
    if check is None:
        return [F.warning(PROBE_INCOMPLETE, where,
                          f"the GPU check could not run in {image}: it printed no result",
                          hint="the check runs `python3 -c ...` in the image; without python3 it cannot tell")], \
            "could not run"
    frameworks = check.get("frameworks") or {}
    seeing = {n: i for n, i in frameworks.items() if (i.get("gpus") or 0) > 0}
    if seeing:
        name, info = next(iter(seeing.items()))
        names = ", ".join(info.get("names") or [])
        return [], f"{name} sees {info['gpus']} GPU{'s' if info['gpus'] > 1 else ''}" + (f" ({names})" if names else "")
    smi = check.get("nvidia_smi")
    if not frameworks:
        return [F.warning(PROBE_INCOMPLETE, where,
                          f"the GPU check found no torch, tensorflow or jax in {image}: it cannot tell whether the "
                          "task will see the GPUs" + (f" (nvidia-smi: {smi})" if smi else ""),
                          hint="nothing to change if the cube uses another framework; check its log for the device "
                          "it runs on")], "no framework found"
    seen = "; ".join(_describe(n, i) for n, i in frameworks.items())
    return [F.error(
        GPU_NOT_SEEN, where,
        f"GPUs were requested (--gpus {gpus}) but inside {image} {seen} sees no GPU"
        + (f" (nvidia-smi: {smi})" if smi else " (no nvidia-smi in the image)"),
        hint="install a CUDA build of the framework in the image (e.g. a pytorch/pytorch *-cuda* base image, or pip "
        "install torch from the CUDA wheel index) and do not override NVIDIA_VISIBLE_DEVICES or CUDA_VISIBLE_DEVICES",
    )], "framework sees no GPU"


def check_images(runner, cubes: dict, built: dict, gpus, logs: Path, probe) -> None:
    """The GPU probe before the chain: the check run once in each image whose tasks request GPUs (or all, with
    --gpus); its findings and message into `probe` (a ProbeResult)."""
    checked: list[tuple[str, str]] = []
    for role, cube in cubes.items():
        wanted = GpuRequest.effective(gpus, *(t.gpu_request for t in cube.tasks.values()))
        if wanted is None or image_name(cube) in {c for c, _ in checked}:
            continue
        b = built.get(str(cube.path))
        if b is not None and not b.ok:
            continue
        plan = RunPlan(task="gpu_check", image=image_name(cube), args=[], entrypoint=["python3", "-c", SCRIPT],
                       mounts=[], gpus=wanted)
        result = runner.run(cube, plan, logs / f"probe-gpu-{role}.log")
        probe.runs += 1
        where = cube.rel(cube.config_file)
        if any(f.code == NO_GPU for f in result.findings):
            probe.status = "skipped"
            probe.message = "the engine has no GPU runtime (the tasks say so)"
            break
        if result.status != "passed":
            probe.findings.append(F.error(PROBE_INCOMPLETE, where,
                                          f"the GPU check could not run in {plan.image}: {result.message}",
                                          hint=f"its log: {result.log_path}"))
            checked.append((plan.image, "could not run"))
            continue
        findings, line = interpret(parse(read_log(result.log_path)), plan.image, str(wanted), where)
        probe.findings += findings
        checked.append((plan.image, line))
    if probe.status != "skipped":
        probe.message = "; ".join(f"{img}: {line}" for img, line in checked) if checked else "no GPU requested"
        if not checked:
            probe.status = "skipped"
