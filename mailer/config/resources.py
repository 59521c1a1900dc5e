"""Where the shipped templates and example config are: inside the installed package, or in the checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from mailer import PROJECT_ROOT

#: The build copies the top-level templates/ and config/ folders here (setup.py); a checkout has neither.
PACKAGED = "_data"


def shipped(name: str) -> Path:
    """The shipped folder `name` ("templates" or "config"): the wheel's copy, else the checkout's own folder.

    The package is installed as files (wheels are unpacked), so the resource is a real folder that Jinja's
    FileSystemLoader and shutil can read.
    """
    packaged = files("mailer").joinpath(PACKAGED, name)
    if packaged.is_dir():
        return Path(str(packaged))
    return PROJECT_ROOT / name


def templates_dir() -> Path:
    """The shipped mail and site templates (a network's own `[templates] dir` is used instead when set)."""
    return shipped("templates")


def example_config() -> Path:
    """The commented example network.toml."""
    return shipped("config") / "network.example.toml"


def example_members() -> Path:
    """The example members.csv the demo imports."""
    return shipped("config") / "members.example.csv"
