"""Build hook: ship the cookiecutter templates and the chest X-ray example inside the wheel (validator/data/),
so `medcube create` and the default benchmark work from an installed package, not only from a checkout."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
BUNDLED = {"templates": "templates", "examples/chestxray": "examples/chestxray"}
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithData(build_py):
    def run(self):
        super().run()
        for src, dest in BUNDLED.items():
            target = Path(self.build_lib) / "validator" / "data" / dest
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / src, target, ignore=SKIP, symlinks=False)


setup(cmdclass={"build_py": BuildWithData})
