"""The parse worker: the parsed reply comes back from the child process; a parser that hangs, raises, runs
out of memory or dies gives a reason to quarantine, and the next message is parsed as usual."""

from __future__ import annotations

import os
import signal
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
