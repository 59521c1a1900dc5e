"""The parse worker: the parsed reply comes back from the child process; a parser that hangs, raises, runs
out of memory or dies gives a reason to quarantine, and the next message is parsed as usual."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import poison_parsers
import pytest

from mailer.inbound.parse_worker import ParserCrashed, ParseTimeout, ParseWorker
from parsers import parse_reply

REPLY = (Path(__file__).resolve().parent / "data" / "android_fi_joo.eml").read_bytes()


@pytest.fixture
def worker() -> Iterator[ParseWorker]:
    w = ParseWorker(1.0, parse=poison_parsers.misbehave, memory_limit=1_000_000_000)
    yield w
    w.close()


def test_the_worker_returns_what_the_parser_reads_in_process(worker: ParseWorker) -> None:
    assert worker.parse(REPLY) == parse_reply(REPLY)
    assert worker.parse(REPLY).rsvp == "yes" and worker.starts == 1


def test_a_hanging_parse_is_killed_at_the_deadline_and_the_next_message_gets_a_new_worker(
        worker: ParseWorker) -> None:
    worker.parse(REPLY)
    first = worker.pid
    with pytest.raises(ParseTimeout, match=r"^parsing took longer than 1 s$"):
        worker.parse(poison_parsers.HANG + b"\r\n" + REPLY)
    assert worker.parse(REPLY).rsvp == "yes"
    assert worker.starts == 2 and worker.pid != first


def test_a_parser_exception_is_the_reason_and_the_worker_lives_on(worker: ParseWorker) -> None:
    with pytest.raises(ParserCrashed, match=r"^the parser crashed: ValueError: no such charset x-klingon$"):
        worker.parse(poison_parsers.RAISE + b"\r\n" + REPLY)
    assert worker.parse(REPLY).rsvp == "yes" and worker.starts == 1


def test_a_parse_over_the_memory_limit_is_stopped_and_the_next_message_gets_a_new_worker(
        worker: ParseWorker) -> None:
    with pytest.raises(ParserCrashed, match="ran out of memory"):
        worker.parse(poison_parsers.HOG + b"\r\n" + REPLY)
    assert worker.parse(REPLY).rsvp == "yes" and worker.starts == 2


def test_a_worker_that_dies_is_reported_with_its_exit_status(worker: ParseWorker) -> None:
    with pytest.raises(ParserCrashed, match=r"^the parser crashed: the worker exited with status 70$"):
        worker.parse(poison_parsers.CRASH + b"\r\n" + REPLY)
    assert worker.parse(REPLY).rsvp == "yes"


def test_a_parse_function_defined_inside_a_function_is_refused() -> None:
    def local(raw: bytes) -> object:
        return raw

    with pytest.raises(ValueError, match="module level"):
        ParseWorker(1.0, parse=local)  # type: ignore[arg-type]


def test_a_worker_killed_while_idle_is_replaced_without_blaming_the_next_message(worker: ParseWorker) -> None:
    worker.parse(REPLY)
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the OOM killer, between two messages
    time.sleep(0.2)
    assert worker.parse(REPLY).rsvp == "yes" and worker.starts == 2


def test_an_answer_that_is_not_a_parsed_reply_is_refused_unread(tmp_path: Path) -> None:
    w = ParseWorker(5.0, parse=poison_parsers.smuggle)
    try:
        with pytest.raises(ParserCrashed, match="its answer was refused"):
            w.parse(REPLY)
    finally:
        w.close()
    assert not Path("/tmp/tp-pwned").exists()


def test_a_warmed_worker_reads_the_first_message_without_a_start_of_its_own(worker: ParseWorker) -> None:
    worker.warm()
    started = worker.pid
    assert started is not None and worker.starts == 1
    assert worker.parse(REPLY).rsvp == "yes"
    assert worker.starts == 1 and worker.pid == started


def test_close_stops_a_worker_still_starting_at_once_and_nothing_starts_after_it() -> None:
    w = ParseWorker(1.0, parse=poison_parsers.slow_to_start)
    warming = threading.Thread(target=w.warm, daemon=True)
    warming.start()
    deadline = time.monotonic() + 30
    while w.starts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert w.starts == 1
    asked = time.monotonic()
    w.close()
    warming.join(10)
    assert not warming.is_alive() and time.monotonic() - asked < 10  # not the 60 s of its warm-up
    w.warm()
    assert w.pid is None and w.starts == 1


class _QuietInbox:
    """An inbox with no mail: the daemon's first tick reads it, then it waits."""

    def fetch_and_handle(self, handler: object, now: object) -> object:
        return type("Report", (), {"counts": lambda self: {}})()

    def wait_for_mail(self, seconds: float) -> bool:
        time.sleep(min(seconds, 0.05))
        return False


async def test_the_daemon_starts_its_parse_worker_before_any_mail_arrives() -> None:
    import asyncio

    from mailer import PROJECT_ROOT
    from mailer.config import load_config
    from mailer.outbound.transport import MemoryTransport
    from mailer.service import Service
    from mailer.state.store import Store

    service = Service(load_config(PROJECT_ROOT / "config" / "network.example.toml"), Store.memory(),
                      transport=MemoryTransport(), inbox=_QuietInbox())
    stop = asyncio.Event()
    running = asyncio.create_task(service.run_forever(stop, signals=False))

    def first_pid() -> int | None:
        deadline = time.monotonic() + 60
        while service.parse_worker.pid is None and time.monotonic() < deadline and not running.done():
            time.sleep(0.05)
        return service.parse_worker.pid

    pid = await asyncio.to_thread(first_pid)
    stop.set()
    await running
    assert pid is not None, "no parse worker was running while the daemon waited for its first mail"
    assert service.parse_worker.starts == 1
