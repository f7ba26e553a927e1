"""Build a cube's image and run one of its tasks, in a container or as a local subprocess: three concerns, one
package each, and what two of them share.

The engine knows the Cube model and nothing else: no config formats (validator.manifest turns them into a Cube),
no benchmarks (validator.chain runs tasks in a chain and checks their outputs).

    client/    talking to the engine: the Engine API over http.client, the TLS settings, connecting
    images/    building images: BuildKit through the docker CLI, else the SDK; build contexts and .dockerignore
    tasks/     running tasks: the plan, the container spec, the Docker and local runners, the runner factory
    limits.py  user-adjustable limits, the user a task runs as and the GPUs asked for (images and tasks)
    result.py  TaskResult, BuildResult and the finding codes of this stage (images and tasks)
"""
