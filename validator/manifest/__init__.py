"""A cube's files read into one model: mlcube.yaml and container_config.yaml become one Cube (model.py); the
Dockerfile and the entrypoint script are read for what the checks and the engine need.

    yamlread.py          YAML with the line and column of every node
    mlcube_yaml.py       mlcube.yaml -> Cube
    container_config.py  container_config.yaml -> Cube
    load.py              find a cube's config files and load either or both
    model.py             Cube, Task, Volume, Build
    roles.py             MedPerf's roles, their tasks and the volume labels MedPerf gives each task
    dockerfile.py        the Dockerfile: stages, COPY sources, ENTRYPOINT/CMD
    pyinterface.py       the entrypoint script's command-line interface (typer, click, argparse), read with ast
    argv.py              a task's argument vector
    convert.py           Cube -> container_config.yaml (`medcube convert`)
    schemas/             the JSON Schemas, shipped as data
"""
