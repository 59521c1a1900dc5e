"""The real daemon, killed with SIGKILL while its parser hangs on a message: its worker dies with it, and
after the second interruption the message is quarantined unread and the reply behind it applied."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import poison_parsers
import pytest
from example_network import weekly_series

from mailer.cli import main
from mailer.cli.demo import ScriptedReply, build_reply
from mailer.config import load_config
from mailer.inbound.intake import INTERRUPTED_REASON
from mailer.state.store import InboundRow, Store

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow
MEMBER = "medlem@example.org"
#: The daemon as `traffpunkt run`, with the misbehaving parser in its worker.
LAUNCH = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import poison_parsers, mailer.service; "
          "mailer.service.ParseWorker = poison_parsers.worker; from mailer.cli import main; "
          "sys.exit(main(sys.argv[1:]))")


def _config(tmp_path: Path) -> Path:
    """A weekly series whose invitation is due now; Maildirs for mail both ways; a deadline never reached."""
    path = tmp_path / "network.toml"
    path.write_text(f"""{weekly_series()}
[mail]
transport = "maildir"
poll_seconds = 3600
parse_deadline_seconds = 300

[mail.maildir]
outbox = "{tmp_path / 'outbox'}"
inbox = "{tmp_path / 'inbox'}"

[storage]
database = "{tmp_path / 'tp.db'}"

[site]
output = "{tmp_path / 'site'}"
""", encoding="utf-8")
    store = Store.open(tmp_path / "tp.db")
    store.add_member(MEMBER, "Medlem Åström", "sv", datetime.now(UTC))
    store.close()
    return path


def _daemon(config: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", LAUNCH, str(TESTS), "run", "--config", str(config), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _rows(db: Path) -> list[InboundRow]:
    store = Store.open(db)
    try:
        return store.inbound_rows()
    finally:
        store.close()


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _kill_while_parsing(config: Path, env: dict[str, str], pid_file: Path, attempts: int) -> None:
    proc = _daemon(config, env)
    try:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
        rows = _rows(config.parent / "tp.db")
        assert [(r.status, r.attempts) for r in rows] == [("handling", attempts)]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    worker = int(pid_file.read_text())
    _wait_for(lambda: _gone(worker), timeout=10)  # the hanging worker died with the daemon
    pid_file.unlink()


def test_a_message_that_kills_the_daemon_twice_is_quarantined_and_the_reply_behind_it_applied(
        tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert main(["run", "--once", "--config", str(config)]) == 0  # the invitation goes out
    cfg = load_config(config)
    outbox = list(mailbox.Maildir(cfg.mail.outbox_maildir, create=False))
    invitation = message_from_bytes(outbox[0].as_bytes(), policy=policy.default)
    assert isinstance(invitation, EmailMessage) and parseaddr(str(invitation["To"]))[1] == MEMBER
    reply = build_reply(ScriptedReply(MEMBER, 1, "Ja, jag kommer!"), invitation, cfg, datetime.now(UTC))
    poison = (b"From: someone@example.net\r\nSubject: Re: Inbjudan\r\nMessage-ID: <poison@example.net>\r\n"
              + poison_parsers.HANG + b"\r\n\r\nJa.\r\n")
    box = mailbox.Maildir(cfg.mail.inbox_maildir, create=True)
    for n, raw in enumerate((poison, reply)):
        stamp = time.time() - 100 + n
        os.utime(Path(cfg.mail.inbox_maildir) / "new" / box.add(raw), (stamp, stamp))

    pid_file = tmp_path / "worker.pid"
    env = {**os.environ, poison_parsers.PID_FILE_ENV: str(pid_file)}
    _kill_while_parsing(config, env, pid_file, attempts=1)  # forgiven once: it may have been the daemon
    _kill_while_parsing(config, env, pid_file, attempts=2)

    # were the poison parsed again, this run would hang until the timeout
    once = subprocess.run([sys.executable, "-c", LAUNCH, str(TESTS), "run", "--once", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert once.returncode == 0, once.stderr
    assert not pid_file.exists()  # the worker never met the poison again
    rows = {r.message_id: r for r in _rows(tmp_path / "tp.db")}
    assert (rows["<poison@example.net>"].status, rows["<poison@example.net>"].reason) == \
        ("quarantined", INTERRUPTED_REASON)
    store = Store.open(tmp_path / "tp.db")
    try:
        meeting = next(iter(store.meetings().values()))
        assert [(r["address"], r["answer"]) for r in store.rsvps(meeting.id)] == [(MEMBER, "yes")]
    finally:
        store.close()
    assert len(list((cfg.mail.inbox_maildir / ".quarantine" / "cur").iterdir())) == 1
    assert len(list((cfg.mail.inbox_maildir / ".processed" / "cur").iterdir())) == 1
