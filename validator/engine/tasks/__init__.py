"""Running tasks: one task of a cube planned and run, in a container or as a local subprocess, behind one protocol.

    plan.py       Cube + task + host paths -> RunPlan (image, argv, mounts, environment, GPUs)
    runner.py     the Runner protocol both runners implement, and their shared judgement (exit code, log limit, outputs)
    select.py     the runner factory: docker or local, by name
    docker.py     run a RunPlan in a container under benchmark rules and limits
    spec.py       one container (rules and limits), as the `docker run` line and as the Engine API body
    watch.py      what is watched while a container runs: its log, refused forks, peak memory, OOM kills
    cgroups.py    where a container's cgroup is, per engine (Docker, Podman) and cgroup version
    logcap.py     a task's log on disk, capped
    local.py      run a RunPlan as a subprocess of this Python (no Docker)
    hostpaths.py  container paths -> host paths for the local runner (mounts, COPY sources)
    processes.py  a local task's processes: log pump, marked processes killed when it ends
    snapshot.py   what a file or folder holds, to tell whether a task changed it
    scratch.py    remove a scratch folder whatever modes its tasks left
"""
