"""Build a cube's image and run one of its tasks, in a container or as a local subprocess.

The engine knows the Cube model and nothing else: no config formats (validator.manifest turns them into a Cube),
no benchmarks (validator.chain runs tasks in a chain and checks their outputs).

    plan.py    Cube + task + host paths -> RunPlan (image, argv, mounts, environment)
    build.py   docker build with a content-hash cache (BuildKit through the CLI, else the SDK)
    buildkit.py   a build through the docker CLI with BuildKit
    sdkbuild.py   a build through the docker SDK's legacy builder
    context.py    a build context's files and content hash
    dockerignore.py  which paths of a build context `.dockerignore` leaves to be sent
    docker.py  run a RunPlan in a container under benchmark rules and limits
    local.py   run a RunPlan as a subprocess of this Python (no Docker)
    runner.py  the Runner protocol both implement, and their shared judgement (exit code, log limit, outputs)
    spec.py    one container (rules and limits), as the `docker run` line and as the Engine API body
    watch.py   what is watched while a container runs: its log, refused forks, peak memory
    hostpaths.py  container paths -> host paths for the local runner (mounts, COPY sources)
    processes.py  a local task's processes: log pump, marked processes killed when it ends
    limits.py  user-adjustable limits and the unprivileged user
    api.py     a small Engine API client: images inspected, containers created, attached, waited for, removed
    transport.py  http.client over the unix socket, TCP or TLS; the TLS settings read once
    client.py  connect to the Docker engine
    select.py  the runner factory: docker or local, by name
    result.py  TaskResult, BuildResult and the finding codes of this stage
    scratch.py remove a scratch folder whatever modes its tasks left
"""
