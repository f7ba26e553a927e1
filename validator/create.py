"""`medcube create`: a new cube from medcube's cookiecutter templates, or a renamed copy of a reference example.

The templates (`templates/<role>/`) are plain cookiecutter templates; this module only finds them
(`validator.resources`: package data in an installed wheel, the checkout's `templates/` otherwise), passes the
answers through and turns cookiecutter's failures into `UserError`s.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Mapping, Sequence, Union

import yaml

from validator import resources, templating
from validator.errors import UserError
from validator.manifest.roles import ROLES
from validator.paths import display_path

EXAMPLES = ("chestxray",)
# The answers that a copy of an example takes: its folder, its MLCube name and its image.
EXAMPLE_KEYS = ("project_name", "project_slug", "image_name")
# The template folder of each role: MedPerf's names (`medperf container create evaluator`, config.templates).
TEMPLATE_NAMES = {"data_preparator": "data_preparator", "model": "model", "metrics": "evaluator"}
# Answers under their pre-0.1 names, still taken by --extra-context.
KEY_ALIASES = {"docker_image_name": "image_name"}
# `medcube test` option naming the cube under test, per role.
TEST_OPTION = {"data_preparator": "--data-preparator", "model": "--model", "metrics": "--metrics"}
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".medcube")

ExtraContext = Union[Mapping[str, str], Sequence[str], None]


def template_dir(role: str) -> Path:
    """The cookiecutter template of a role (package data when installed, `templates/` in a checkout)."""
    path = resources.template_dir(TEMPLATE_NAMES[_check_role(role)])
    if not (path / "cookiecutter.json").is_file():
        raise UserError(
            f"medcube's {role} template is missing from this installation ({path})",
            hint="reinstall medcube: pip install --force-reinstall medcube",
        )
    return path


def create(
    role: str,
    output_dir: Union[str, Path] = ".",
    no_input: bool = False,
    extra_context: ExtraContext = None,
    example: str | None = None,
    image: str | None = None,
    folder_name: str | None = None,
) -> Path:
    """Generate a new `role` cube in `output_dir` and return its folder.

    Asks the template's questions (project_name, project_slug, description, author_name, accelerator_count,
    image_name, base_image) unless `no_input`; `extra_context` presets answers, as a mapping or as
    `key=value` strings (MedPerf's keys; `docker_image_name` is taken for image_name). `image` and `folder_name`
    are `medperf container create`'s `-i` and `-f` (the answers image_name and project_slug). `role` may be
    `evaluator`, MedPerf's name for metrics (its template folder is `templates/evaluator`). With
    `example="chestxray"` the reference cube of that example is copied instead and renamed (folder, mlcube.yaml
    name, image in both config files); only project_name, project_slug and image_name are asked then.
    """
    role = _check_role(role)
    template = template_dir(role)
    defaults = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    questions = [key for key in defaults if not key.startswith("_")]
    answers = parse_extra_context(extra_context, EXAMPLE_KEYS if example else questions)
    for key, value in (("image_name", image), ("project_slug", folder_name)):
        if value is not None:
            answers[key] = value
    # Absolute: the template's hook runs from the template's folder.
    output_dir = Path(os.path.abspath(Path(output_dir).expanduser()))
    if example:
        return _copy_example(role, _check_example(example), template, defaults, answers, output_dir, no_input)

    # Ask first (as cookiecutter would), so that a rejected answer can be shown in the command to run again.
    chosen = _ask(defaults, questions, answers, no_input)
    made_output_dir = not output_dir.exists()
    try:
        project = templating.generate(template, chosen, output_dir)
    except templating.HookRejected:
        if made_output_dir and output_dir.is_dir() and not any(output_dir.iterdir()):
            output_dir.rmdir()  # leave nothing behind
        raise UserError(
            "the answers were rejected (see the error above); nothing was written",
            hint="fix the answer named above and run again: " + rerun_command(role, output_dir, chosen),
        ) from None
    except templating.OutputExists as error:
        raise UserError(error.message, hint=_exists_hint()) from None
    except templating.BadAnswer as error:
        raise UserError(
            f"the answers were rejected: {error.message}", hint="nothing was written; run again with one of the options"
        ) from None
    except templating.GenerationFailed as error:
        raise UserError(f"cookiecutter could not generate the cube: {error.message}") from None
    return project.resolve()


def _ask(defaults: dict, questions: Sequence[str], answers: dict, no_input: bool) -> dict[str, str]:
    """The template's questions with their prompts, the answers given preset: what cookiecutter itself would ask."""
    user_defaults = templating.user_defaults()
    context = OrderedDict((key, user_defaults.get(key, defaults[key])) for key in questions)
    context.update(answers)
    chosen = templating.ask(context, defaults.get("__prompts__", {}), no_input)
    return {key: str(chosen[key]) for key in questions}


def rerun_command(role: str, output_dir: Path, answers: Mapping[str, str]) -> str:
    """`medcube create` with every answer given, to run again after fixing the rejected one."""
    parts = ["medcube", "create", role, "-o", shlex.quote(display_path(output_dir)), "--no-input"]
    for key, value in answers.items():
        parts += ["--extra-context", shlex.quote(f"{key}={value}")]
    return " ".join(parts)


def parse_extra_context(extra_context: ExtraContext, known: Sequence[str]) -> dict[str, str]:
    """`{"k": "v"}` or `["k=v", ...]` (split on the first `=`) -> dict; unknown keys are a UserError."""
    if not extra_context:
        return {}
    if isinstance(extra_context, Mapping):
        pairs = [(str(k), str(v)) for k, v in extra_context.items()]
    else:
        pairs = []
        for item in extra_context:
            key, sep, value = str(item).partition("=")
            if not sep or not key.strip():
                raise UserError(
                    f"--extra-context {item!r} is not of the form key=value",
                    hint="e.g. --extra-context project_name='My Model' --extra-context accelerator_count=1",
                )
            pairs.append((key.strip(), value))
    pairs = [(KEY_ALIASES.get(key, key) if KEY_ALIASES.get(key) in known else key, value) for key, value in pairs]
    for key, _ in pairs:
        if key not in known:
            raise UserError(f"--extra-context: unknown variable {key!r}", hint=f"known here: {', '.join(known)}")
    return dict(pairs)


def next_steps(path: Union[str, Path], role: str) -> str:
    """The commands to run after `create`, to print for the user."""
    role, path = _check_role(role), Path(path)
    shown = display_path(path)
    option = TEST_OPTION[role]
    commands = [
        (f"cd {shlex.quote(shown)}", ""),
        ("medcube validate --static .", "config files and contract, no Docker"),
        ("medcube validate .", "build the image, smoke-run it in the chest X-ray chain"),
        (f"medcube test {option} .", "the whole benchmark chain with this cube"),
    ]
    width = max(len(command) for command, _ in commands) + 2
    lines = [f"Created a {role} cube in {shown}. Next:"]
    lines += [f"  {command:<{width}}# {why}" if why else f"  {command}" for command, why in commands]
    lines.append("Then put your own logic at the TODO(your logic) markers in project/ (README.md says how).")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ helpers


# `medperf container create` names the metrics role "evaluator".
ROLE_ALIASES = {"evaluator": "metrics"}


def _check_role(role) -> str:
    role = getattr(role, "value", role)  # a CLI enum
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}", hint=f"one of: {', '.join(ROLES)} (or evaluator, MedPerf's name for metrics)")
    return role


def _check_example(example: str) -> str:
    if example not in EXAMPLES:
        raise UserError(f"unknown example {example!r}", hint=f"one of: {', '.join(EXAMPLES)}")
    return example


def _exists_hint() -> str:
    return "choose another project_slug (--extra-context project_slug=...) or --output-dir, or remove that folder"


def _copy_example(role, example, template, defaults, answers, output_dir: Path, no_input) -> Path:
    source = resources.example_dir(example) / role
    if not source.is_dir():
        raise UserError(f"the {example} example has no {role} cube in this installation ({source})")

    # The template's questions, defaults and prompts, for the three answers a copy takes.
    user_defaults = templating.user_defaults()
    questions = OrderedDict((key, user_defaults.get(key, defaults[key])) for key in EXAMPLE_KEYS)
    questions.update(answers)
    prompts = {k: v for k, v in defaults.get("__prompts__", {}).items() if k in EXAMPLE_KEYS}
    chosen = templating.ask(questions, prompts, no_input)

    # Same checks as a generated cube: the template's own pre_gen_project hook.
    output_dir.mkdir(parents=True, exist_ok=True)
    hook_context = {**{k: v for k, v in defaults.items() if not k.startswith("_")}, **chosen}
    try:
        templating.run_pre_gen_hook(template, output_dir, hook_context)
    except templating.HookRejected:
        command = rerun_command(role, output_dir, {key: str(chosen[key]) for key in EXAMPLE_KEYS})
        raise UserError(
            "the answers were rejected (see the error above); nothing was written",
            hint="fix the answer named above and run again: " + command.replace(
                "--no-input", f"--example {shlex.quote(example)} --no-input"),
        ) from None

    destination = (output_dir / chosen["project_slug"]).resolve()
    if destination.exists():
        raise UserError(f'"{destination}" directory already exists', hint=_exists_hint())
    shutil.copytree(source, destination, ignore=_IGNORE)
    _rename(destination, chosen["project_name"], chosen["image_name"])
    return destination


def _rename(cube: Path, name: str, image: str) -> None:
    """Set the image in both config files and the name in mlcube.yaml, keeping their comments."""
    mlcube = cube / "mlcube" / "mlcube.yaml"
    if mlcube.is_file():
        _edit_yaml(
            mlcube,
            [(r"^(name:[ \t]*)\S.*$", json.dumps(name)), (r"^([ \t]+image:[ \t]*)\S.*$", image)],
            lambda data: data.get("name") == name and (data.get("docker") or {}).get("image") == image,
            lambda data: data.update(name=name, docker={**(data.get("docker") or {}), "image": image}),
        )
    config = cube / "container_config.yaml"
    if config.is_file():
        _edit_yaml(
            config,
            [(r"^(image:[ \t]*)\S.*$", image)],
            lambda data: data.get("image") == image,
            lambda data: data.update(image=image),
        )


def _edit_yaml(path: Path, edits, done, fallback) -> None:
    """Replace lines in place (comments survive); if the file is laid out otherwise, rewrite it from its data."""
    text = path.read_text(encoding="utf-8")
    for pattern, value in edits:

        def keep_prefix(m: re.Match[str], value: str = value) -> str:
            return m.group(1) + value

        text = re.sub(pattern, keep_prefix, text, count=1, flags=re.M)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and done(data):
        path.write_text(text, encoding="utf-8")
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fallback(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
