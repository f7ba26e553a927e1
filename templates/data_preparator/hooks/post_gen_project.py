"""After generation: a preparator that reads PNG only does not depend on pydicom (drop it from requirements.txt).
The generated code itself reads `input_format` from mlcube/workspace/parameters.yaml."""

import os

input_format = {{ cookiecutter.input_format | tojson }}

if input_format == "png":
    path = os.path.join("project", "requirements.txt")
    with open(path) as f:
        lines = f.readlines()
    with open(path, "w") as f:
        f.writelines(line for line in lines if not line.startswith("pydicom"))
