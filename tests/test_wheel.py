"""The built wheel works on its own: installed in a fresh venv outside the clone, run from another folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: What a build needs from the clone; copied so that a stale build/ folder in the clone cannot leak in.
SOURCES = ("mailer", "parsers", "templates", "config", "pyproject.toml", "setup.py", "MANIFEST.in", "LICENSE",
           "README.md")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel (its dependencies are borrowed from the test environment: no network)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    # Offline with the test environment's setuptools and wheel; else pip fetches the build backend (PyPI).
    offline = ["--no-build-isolation"] if importlib.util.find_spec("wheel") else []
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *offline, str(src),
                            "-w", str(base / "dist")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("traffpunkt-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TRAFFPUNKT_CONFIG")}
    return subprocess.run([str(venv / "bin" / "traffpunkt"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_carries_templates_example_config_and_licence(installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for language in ("sv", "fi", "en"):
        assert f"mailer/_data/templates/{language}/invitation.txt" in names
    assert "mailer/_data/templates/site/index.html" in names
    assert {"mailer/_data/config/network.example.toml", "mailer/_data/config/members.example.csv"} <= names
    assert any(n.endswith("dist-info/licenses/LICENSE") or n.endswith("dist-info/LICENSE") for n in names)


def test_the_installed_command_runs_the_demo_and_checks_its_config_from_another_folder(
        installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import mailer; print(mailer.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where  # the wheel's copy, not the clone's
    demo = _run(installed, tmp_path, "demo", "--workdir", "d")
    assert demo.returncode == 0, demo.stderr
    assert "Sent in all:" in demo.stdout and list((tmp_path / "d" / "outbox" / "new").iterdir())
    assert (tmp_path / "d" / "site" / "index.html").is_file()
    check = _run(installed, tmp_path, "check", "--config", "d/network.toml")
    assert check.returncode == 0, check.stderr


def test_init_writes_a_network_that_checks_previews_publishes_and_runs_from_the_wheel(
        installed: Path, tmp_path: Path) -> None:
    init = _run(installed, tmp_path, "init", "net")
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "net" / "members.csv").is_file()
    config = "net/network.toml"
    assert _run(installed, tmp_path, "check", "--config", config).returncode == 0
    assert _run(installed, tmp_path, "members", "import", "--config", config).returncode == 0
    preview = _run(installed, tmp_path, "preview", "invitation", "--config", config)
    assert preview.returncode == 0, preview.stderr
    assert "Subject:" in preview.stdout
    published = _run(installed, tmp_path, "publish", "--config", config)
    assert published.returncode == 0, published.stderr
    assert (tmp_path / "net" / "site" / "index.html").is_file()
    run = _run(installed, tmp_path, "run", "--once", "--now", "2026-11-19T09:00", "--config", config)
    assert run.returncode == 0, run.stderr
    assert "queued" in run.stdout and list((tmp_path / "net" / "var" / "outbox" / "new").iterdir())


def test_init_with_templates_gives_an_editable_copy_that_check_reads(installed: Path, tmp_path: Path) -> None:
    assert _run(installed, tmp_path, "init", "--templates", "net").returncode == 0
    own = tmp_path / "net" / "templates" / "sv" / "invitation.txt"
    assert own.is_file()
    assert _run(installed, tmp_path, "check", "--config", "net/network.toml").returncode == 0
    own.write_text(own.read_text(encoding="utf-8") + "{{ no_such_name }}\n", encoding="utf-8")
    broken = _run(installed, tmp_path, "check", "--config", "net/network.toml")
    assert broken.returncode == 2 and "invitation" in broken.stderr
