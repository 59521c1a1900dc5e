"""Acceptance tests: each prints its figure, and the run ends with the table of them (docs/reliability.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from harness import STARTED

_FIGURES: list[tuple[str, str]] = []


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """figure("0 missed, 3 duplicates <= 4 kills"): printed now and in the summary table at the end."""

    def record(text: str) -> None:
        print(f"FIGURE {request.node.name}: {text}")
        _FIGURES.append((request.node.name, text))

    return record


@pytest.fixture(autouse=True)
def no_daemon_outlives_its_test() -> Iterator[None]:
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("acceptance figures")
    for name, text in _FIGURES:
        terminalreporter.write_line(f"| {name} | {text} |")
