"""Build hook: the wheel carries the top-level templates/ and config/ folders inside the package (mailer/_data/).

Everything else is declared in pyproject.toml. In a checkout (or an editable install) the code reads the
folders in place (mailer/config/resources.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("templates", "config")


class build_py_with_data(build_py):  # noqa: N801 - setuptools' command naming
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads templates/ and config/ from the checkout
            return
        for name in SHIPPED:
            target = Path(self.build_lib) / "mailer" / "_data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": build_py_with_data})
