"""The one adapter between medcube and cookiecutter's internals: asking a template's questions, running its
pre-generation hook, generating a project. Everything else (`validator.create`) speaks only to this module, so a
cookiecutter release that moves its internals is met here alone (pyproject.toml bounds the version it is tested
with)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from validator.errors import MedcubeError


class HookRejected(MedcubeError):
    """The template's pre_gen_project hook refused the answers (it printed why)."""


class OutputExists(MedcubeError):
    """The project folder is already there."""


class BadAnswer(MedcubeError):
    """An answer is not one of a choice question's options."""


class GenerationFailed(MedcubeError):
    """Any other failure of cookiecutter."""


def user_defaults() -> dict[str, Any]:
    """The user's own defaults (~/.cookiecutterrc `default_context`), as cookiecutter reads them."""
    from cookiecutter.config import get_user_config

    return dict(get_user_config().get("default_context", {}))


def ask(questions: Mapping[str, Any], prompts: Mapping[str, str], no_input: bool) -> dict[str, Any]:
    """Ask the questions (their values are the defaults) with the template's prompts, as cookiecutter would."""
    from cookiecutter.prompt import prompt_for_config

    context: dict[str, Any] = dict(questions)
    context["__prompts__"] = dict(prompts)
    return dict(prompt_for_config({"cookiecutter": context}, no_input))


def generate(template: Path, answers: Mapping[str, str], output_dir: Path) -> Path:
    """Generate the project from the template with these answers (nothing asked); its folder."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException, OutputDirExistsException
    from cookiecutter.main import cookiecutter

    try:
        with _quiet():
            return Path(cookiecutter(str(template), no_input=True, extra_context=dict(answers),
                                     output_dir=str(output_dir)))
    except FailedHookException:
        raise HookRejected("the template's hook rejected the answers") from None
    except OutputDirExistsException as error:
        raise OutputExists(str(error).removeprefix("Error: ")) from None
    except ValueError as error:  # an answer that is not one of a choice question's options
        raise BadAnswer(str(error)) from None
    except CookiecutterException as error:
        raise GenerationFailed(str(error)) from None


def run_pre_gen_hook(template: Path, output_dir: Path, context: Mapping[str, Any]) -> None:
    """The template's pre_gen_project hook on these answers, without generating anything."""
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.hooks import run_hook
    from cookiecutter.utils import work_in

    try:
        with work_in(template), _quiet():
            run_hook("pre_gen_project", str(output_dir), {"cookiecutter": dict(context)})
    except FailedHookException:
        raise HookRejected("the template's hook rejected the answers") from None


@contextmanager
def _quiet() -> Iterator[None]:
    """Cookiecutter logs a traceback when a hook fails; the hook's own message and our UserError say enough."""
    logger = logging.getLogger("cookiecutter")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
