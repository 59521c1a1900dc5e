"""The house keeps its shape: no module in mailer/ or parsers/ over 400 lines, and the import layers hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailer import PROJECT_ROOT

MAX_LINES = 400
MODULES = sorted(p.relative_to(PROJECT_ROOT).as_posix()
                 for room in ("mailer", "parsers") for p in (PROJECT_ROOT / room).rglob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_no_module_is_longer_than_400_lines(module: str) -> None:
    lines = len((PROJECT_ROOT / module).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job (docs/architecture.md)"


def test_the_import_contracts_in_pyproject_hold() -> None:
    """parsers pure, the meeting core pure, SQL only in mailer.state, flows parse nothing again, the CLI on top,
    rooms in layers, no cycles."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert ", 0 broken" in proc.stdout
