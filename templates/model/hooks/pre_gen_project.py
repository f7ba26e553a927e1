"""Check the answers before anything is written; on a bad answer print why and exit 1 (cookiecutter then
removes the half-made project folder). The same file is in every medcube template."""

import re
import sys

COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE = re.compile(
    r"^(?=.{1,255}$)"  # at most 255 characters
    + rf"(?:{COMPONENT}(?::[0-9]+)?/)?{COMPONENT}(?:/{COMPONENT})*"  # [registry[:port]/]repository
    + r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"  # [:tag][@digest]
)
SLUG = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
COUNT = re.compile(r"^[0-9]{1,3}$")
GITHUB = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
REV = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$")

answers = {
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "image_name": {{ cookiecutter.image_name | tojson }},
    "base_image": {{ cookiecutter.base_image | tojson }},
    "accelerator_count": {{ cookiecutter.accelerator_count | string | tojson }},
    "medcube_github": {{ cookiecutter.medcube_github | tojson }},
    "medcube_rev": {{ cookiecutter.medcube_rev | tojson }},
}
rules = {
    "project_slug": (SLUG.match, "a folder name of letters, digits, '_' or '-' starting with a letter or '_'", "my_cube"),
    "image_name": (IMAGE.match, "a lowercase image reference [registry/]repository[:tag]", "myorg/chestxray-model:0.1.0"),
    "base_image": (IMAGE.match, "an image reference [registry/]repository[:tag]", "python:3.11-slim"),
    "accelerator_count": (COUNT.match, "a non-negative integer", "0 for CPU only, 1 for one GPU"),
    "medcube_github": (GITHUB.match, "a GitHub repository owner/name", "mlcommons/medcube"),
    "medcube_rev": (REV.match, "a git tag, branch or commit", "v0.1.0"),
}
errors = [
    f"error: {name} {answers[name]!r} is not valid: expected {expected} (e.g. {example})"
    for name, (ok, expected, example) in rules.items()
    if not ok(answers[name])
]
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
