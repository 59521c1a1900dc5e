"""The inbox: every message handled once, moved on only after its effect committed, never deleted.

IMAP tests run against a real Dovecot on loopback (one server per session, one account per test);
Maildir tests against a temporary Maildir.
"""

from __future__ import annotations

import imaplib
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dovecot import Account, DovecotServer

from mailer.config import ImapSettings
from mailer.inbound.imap_reader import ImapInbox
from mailer.inbound.inbox import InboundMessage, InboxError, Outcome, message_id_of
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.state.store import Store

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PROCESSED = "traffpunkt/processed"
QUARANTINE = "traffpunkt/quarantine"


def reply(n: int, *, message_id: bool = True, body: str | None = None) -> bytes:
    """A member's reply as a mail client writes it (CRLF, an 8-bit body in UTF-8)."""
    mid = f"Message-ID: <reply-{n}@client.example>\r\n" if message_id else ""
    text = body if body is not None else f"Ja, jag kommer. Vi blir två. ({n})"
    return (f"From: Member {n} <member{n}@example.org>\r\nTo: natverk@example.org\r\n"
            f"Subject: Re: Träffpunkt 3.12\r\nDate: Tue, 24 Nov 2026 10:0{n % 10}:00 +0200\r\n{mid}"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            f"\r\n{text}\r\n").encode()


class Recorder:
    """A handler that remembers what it was given; outcomes and failures chosen per message."""

    def __init__(self, outcomes: dict[bytes, tuple[Outcome, str | None]] | None = None,
                 fail_on: bytes | None = None) -> None:
        self.seen: list[InboundMessage] = []
        self.outcomes = outcomes or {}
        self.fail_on = fail_on

    def __call__(self, msg: InboundMessage) -> tuple[Outcome, str | None]:
        self.seen.append(msg)
        if self.fail_on is not None and self.fail_on in msg.raw:
            raise ValueError("cannot read this reply")
        for marker, outcome in self.outcomes.items():
            if marker in msg.raw:
                return outcome
        return Outcome.PROCESSED, None

    @property
    def raws(self) -> list[bytes]:
        return [m.raw for m in self.seen]


# -- IMAP helpers ---------------------------------------------------------------------------------------


def settings(account: Account, folder: str = "INBOX", idle: bool = True, tls: str = "none",
             noop: float | None = None) -> ImapSettings:
    return ImapSettings(host=account.host, port=account.port, tls=tls, username=account.user,
                        password_env=None, timeout_seconds=10.0, folder=folder, processed_folder=PROCESSED,
                        quarantine_folder=QUARANTINE, idle=idle, noop_seconds=noop)


_OPEN: list[ImapInbox] = []


@pytest.fixture(autouse=True)
def _close_inboxes() -> Iterator[None]:
    """An inbox keeps its logged-in session between fetches: each test's are logged out after it."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def imap_inbox(account: Account, store: Store, **kw: object) -> ImapInbox:
    inbox = ImapInbox(settings(account, **kw), account.password, store, clock=lambda: NOW)  # type: ignore[arg-type]
    _OPEN.append(inbox)
    return inbox


def append(account: Account, *raws: bytes, folder: str = "INBOX", flags: str | None = None) -> None:
    client = account.imap()
    try:
        for raw in raws:
            typ, data = client.append(folder, flags, None, raw)
            assert typ == "OK", data
    finally:
        client.logout()


def contents(account: Account, folder: str) -> list[bytes]:
    """The exact bytes of every message in a folder ("/" levels as Dovecot's "." delimiter), oldest first."""
    client = account.imap()
    try:
        typ, _ = client.select(folder.replace("/", "."), readonly=True)
        if typ != "OK":
            return []
        typ, data = client.uid("SEARCH", "ALL")
        uids = data[0].split() if data and data[0] else []
        found = []
        for uid in uids:
            typ, msg = client.uid("FETCH", uid, "(BODY.PEEK[])")
            found.append(msg[0][1])
        return found
    finally:
        client.logout()


def uidvalidity(account: Account, folder: str) -> int:
    client = account.imap()
    try:
        typ, data = client.status(folder, "(UIDVALIDITY)")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))  # type: ignore[union-attr]
    finally:
        client.logout()


# -- IMAP against Dovecot ------------------------------------------------------------------------------


@pytest.mark.imap
def test_each_message_is_handled_once_with_its_exact_bytes_and_moved_to_processed(
        imap_account: Account, fresh_store: Store) -> None:
    raws = [reply(1), reply(2), reply(3, body="Tyvärr kan jag inte — hälsningar, Åsa")]
    append(imap_account, *raws)
    handler = Recorder()

    report = imap_inbox(imap_account, fresh_store).fetch_and_handle(handler)

    assert handler.raws == raws
    assert [m.message_id for m in handler.seen] == ["<reply-1@client.example>", "<reply-2@client.example>",
                                                    "<reply-3@client.example>"]
    assert report.processed == 3 and report.counts() == {"processed": 3}
    assert contents(imap_account, "INBOX") == []
    assert contents(imap_account, PROCESSED) == raws
    assert [r.status for r in fresh_store.inbound_rows()] == ["processed"] * 3


@pytest.mark.imap
def test_reading_leaves_messages_unseen_for_the_coordinator(
        imap_account: Account, fresh_store: Store) -> None:
    append(imap_account, reply(1))
    imap_inbox(imap_account, fresh_store).fetch_and_handle(Recorder())
    client = imap_account.imap()
    try:
        client.select(PROCESSED.replace("/", "."), readonly=True)
        typ, data = client.uid("SEARCH", "UNSEEN")
        assert data[0].split(), "the processed copy should still be unread"
    finally:
        client.logout()


@pytest.mark.imap
def test_a_message_the_handler_quarantines_goes_to_quarantine_with_its_reason(
        imap_account: Account, fresh_store: Store) -> None:
    append(imap_account, reply(1), reply(2, body="asdf qwerty"))
    handler = Recorder({b"asdf": (Outcome.QUARANTINED, "no member with this address")})

    report = imap_inbox(imap_account, fresh_store).fetch_and_handle(handler)

    assert (report.processed, report.quarantined) == (1, 1)
    assert contents(imap_account, QUARANTINE) == [reply(2, body="asdf qwerty")]
    assert contents(imap_account, PROCESSED) == [reply(1)]
    [row] = fresh_store.quarantined_since(NOW - timedelta(days=1))
    assert row.reason == "no member with this address"
    assert row.message_id == "<reply-2@client.example>"


@pytest.mark.imap
def test_a_handler_that_raises_quarantines_only_that_message(
        imap_account: Account, fresh_store: Store) -> None:
    append(imap_account, reply(1), reply(2, body="boom"), reply(3))
    handler = Recorder(fail_on=b"boom")

    report = imap_inbox(imap_account, fresh_store).fetch_and_handle(handler)

    assert len(handler.seen) == 3
    assert (report.processed, report.quarantined) == (2, 1)
    assert contents(imap_account, QUARANTINE) == [reply(2, body="boom")]
    assert contents(imap_account, PROCESSED) == [reply(1), reply(3)]
    [row] = fresh_store.inbound_rows("quarantined")
    assert row.reason == "ValueError: cannot read this reply"


@pytest.mark.imap
def test_running_again_handles_nothing_twice_even_when_the_same_message_arrives_again(
        imap_account: Account, fresh_store: Store) -> None:
    append(imap_account, reply(1), reply(2))
    inbox = imap_inbox(imap_account, fresh_store)
    first = Recorder()
    inbox.fetch_and_handle(first)

    second = Recorder()
    assert inbox.fetch_and_handle(second).handled == 0
    append(imap_account, reply(1))  # delivered twice (e.g. To: the list and Cc: the coordinator)
    report = inbox.fetch_and_handle(second)

    assert second.seen == []
    assert report.already_handled == 1
    assert contents(imap_account, "INBOX") == []
    assert contents(imap_account, PROCESSED) == [reply(1), reply(2), reply(1)]


@pytest.mark.imap
def test_after_a_uidvalidity_reset_nothing_is_applied_twice(
        imap_account: Account, fresh_store: Store) -> None:
    folder = "Replies"
    client = imap_account.imap()
    client.create(folder)
    client.logout()
    append(imap_account, reply(1), reply(2, message_id=False), folder=folder)
    inbox = imap_inbox(imap_account, fresh_store, folder=folder)
    inbox.fetch_and_handle(Recorder())
    before = uidvalidity(imap_account, folder)

    # The server's index is rebuilt: the folder comes back with a new UIDVALIDITY, the old mail renumbered.
    client = imap_account.imap()
    assert client.delete(folder)[0] == "OK"
    assert client.create(folder)[0] == "OK"
    client.logout()
    append(imap_account, reply(1), reply(2, message_id=False), reply(3), folder=folder)
    assert uidvalidity(imap_account, folder) != before
    handler = Recorder()
    report = inbox.fetch_and_handle(handler)

    assert handler.raws == [reply(3)]
    assert (report.processed, report.already_handled) == (1, 2)
    assert contents(imap_account, folder) == []
    assert any(e["event"] == "inbox-uidvalidity-changed" for e in fresh_store.log_entries())


@pytest.mark.imap
def test_a_crash_between_commit_and_move_moves_it_next_run_without_handling_again(
        imap_account: Account, fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    append(imap_account, reply(1), reply(2))
    inbox = imap_inbox(imap_account, fresh_store)
    real_move = ImapInbox._move_uid

    def connection_lost(self: ImapInbox, *args: object) -> None:
        monkeypatch.setattr(ImapInbox, "_move_uid", real_move)
        raise imaplib.IMAP4.abort("socket error: EOF")

    monkeypatch.setattr(ImapInbox, "_move_uid", connection_lost)
    first = Recorder()
    with pytest.raises(InboxError):
        inbox.fetch_and_handle(first)
    assert first.raws == [reply(1)]
    assert len(contents(imap_account, "INBOX")) == 2

    second = Recorder()
    report = inbox.fetch_and_handle(second)

    assert second.raws == [reply(2)]
    assert (report.already_handled, report.processed) == (1, 1)
    assert contents(imap_account, PROCESSED) == [reply(1), reply(2)]


@pytest.mark.imap
def test_a_refused_move_is_retried_next_run_without_handling_again(
        imap_account: Account, fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    append(imap_account, reply(1))
    inbox = imap_inbox(imap_account, fresh_store)
    real_move = ImapInbox._move_uid

    def refused(self: ImapInbox, *args: object) -> None:
        monkeypatch.setattr(ImapInbox, "_move_uid", real_move)
        raise imaplib.IMAP4.error("UID MOVE 1: NO [OVERQUOTA] Quota exceeded")

    monkeypatch.setattr(ImapInbox, "_move_uid", refused)
    report = inbox.fetch_and_handle(Recorder())
    assert (report.processed, report.move_failed) == (1, 1)
    assert "Quota exceeded" in report.errors[0]

    again = Recorder()
    assert inbox.fetch_and_handle(again).already_handled == 1
    assert again.seen == []
    assert contents(imap_account, PROCESSED) == [reply(1)]


@pytest.mark.imap
def test_without_move_only_the_handled_message_is_expunged(
        imap_account: Account, fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server without MOVE: COPY + UID EXPUNGE of that UID; mail someone flagged \\Deleted stays."""
    flagged = reply(9, body="the coordinator flagged this one")
    append(imap_account, flagged, flags=r"(\Deleted)")
    append(imap_account, reply(1))
    inbox = imap_inbox(imap_account, fresh_store)
    real_connect = ImapInbox._connect

    def connect_without_move(self: ImapInbox) -> object:
        box = real_connect(self)
        assert "MOVE" in self._caps and "UIDPLUS" in self._caps  # Dovecot offers both after login
        self._caps = self._caps - {"MOVE"}
        return box

    monkeypatch.setattr(ImapInbox, "_connect", connect_without_move)
    handler = Recorder()
    inbox.fetch_and_handle(handler)

    assert handler.raws == [reply(1)]
    assert contents(imap_account, PROCESSED) == [reply(1)]
    assert contents(imap_account, "INBOX") == [flagged]


@pytest.mark.imap
def test_limit_leaves_the_rest_for_the_next_run(imap_account: Account, fresh_store: Store) -> None:
    append(imap_account, reply(1), reply(2), reply(3))
    inbox = imap_inbox(imap_account, fresh_store)
    handler = Recorder()
    report = inbox.fetch_and_handle(handler, limit=2)
    assert (report.processed, report.left) == (2, 1)
    inbox.fetch_and_handle(handler)
    assert handler.raws == [reply(1), reply(2), reply(3)]


@pytest.mark.imap
def test_a_wrong_password_is_an_inbox_error(dovecot: DovecotServer, fresh_store: Store) -> None:
    # A server of its own: Dovecot's per-IP auth penalty would slow every later login on the shared one.
    server = DovecotServer()
    server.start()
    try:
        inbox = ImapInbox(settings(server.account()), "wrong", fresh_store)
        with pytest.raises(InboxError, match="AUTHENTICATIONFAILED"):
            inbox.fetch_and_handle(Recorder())
    finally:
        server.stop()


@pytest.mark.imap
def test_starttls_not_offered_is_refused_not_downgraded(imap_account: Account, fresh_store: Store) -> None:
    inbox = ImapInbox(settings(imap_account, tls="starttls"), imap_account.password, fresh_store)
    with pytest.raises(InboxError, match="STARTTLS|starttls"):
        inbox.fetch_and_handle(Recorder())
    assert contents(imap_account, PROCESSED) == []


def run_in_thread(fn: Callable[[], bool]) -> tuple[threading.Thread, list[bool]]:
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    return thread, result


@pytest.mark.imap
@pytest.mark.parametrize("noop", [None, 0.0], ids=["noop-poll-on-loopback", "idle"])
def test_wait_for_mail_wakes_when_a_message_arrives(
        imap_account: Account, fresh_store: Store, noop: float | None) -> None:
    inbox = imap_inbox(imap_account, fresh_store, noop=noop)
    inbox.fetch_and_handle(Recorder())
    try:
        assert inbox.wait_for_mail(0) is False
        assert "IDLE" in inbox.capabilities
        started = time.monotonic()
        thread, result = run_in_thread(lambda: inbox.wait_for_mail(30))
        append(imap_account, reply(1))
        thread.join(30)
        assert result == [True]
        assert time.monotonic() - started < 20
    finally:
        inbox.close()


@pytest.mark.imap
@pytest.mark.parametrize("noop", [None, 0.0], ids=["noop-poll-on-loopback", "idle"])
def test_wait_for_mail_ignores_mail_already_handled_and_can_be_interrupted(
        imap_account: Account, fresh_store: Store, monkeypatch: pytest.MonkeyPatch, noop: float | None) -> None:
    append(imap_account, reply(1))
    inbox = imap_inbox(imap_account, fresh_store, noop=noop)
    try:
        assert inbox.wait_for_mail(0) is True  # unread mail is waiting before the first fetch
        inbox.fetch_and_handle(Recorder())
        thread, result = run_in_thread(lambda: inbox.wait_for_mail(60))
        deadline = time.monotonic() + 10
        while not (inbox._idle_lock.locked() and inbox._idle_box is not None) and time.monotonic() < deadline:
            time.sleep(0.01)
        inbox.interrupt()
        thread.join(10)
        assert result == [False]
    finally:
        inbox.close()


# -- Maildir ------------------------------------------------------------------------------------------


def deliver(maildir: Path, raw: bytes, name: str) -> Path:
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    path = maildir / "new" / name
    path.write_bytes(raw)
    return path


def files(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((folder / "cur").iterdir(), key=lambda p: p.name)] \
        if (folder / "cur").exists() else []


def test_maildir_messages_are_handled_once_and_moved_into_maildir_folders(tmp_path: Path,
                                                                          fresh_store: Store) -> None:
    deliver(tmp_path, reply(1), "1700000001.a.host")
    deliver(tmp_path, reply(2, body="asdf"), "1700000002.b.host")
    deliver(tmp_path, reply(3, body="boom"), "1700000003.c.host")
    inbox = MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW)
    handler = Recorder({b"asdf": (Outcome.QUARANTINED, "unknown sender")}, fail_on=b"boom")

    report = inbox.fetch_and_handle(handler)

    assert handler.raws == [reply(1), reply(2, body="asdf"), reply(3, body="boom")]
    assert handler.seen[0].source == "maildir:1700000001.a.host"
    assert (report.processed, report.quarantined) == (1, 2)
    assert files(tmp_path / ".processed") == [reply(1)]
    assert files(tmp_path / ".quarantine") == [reply(2, body="asdf"), reply(3, body="boom")]
    assert list((tmp_path / "new").iterdir()) == [] and list((tmp_path / "cur").iterdir()) == []
    assert (tmp_path / ".processed" / "maildirfolder").exists()
    reasons = sorted(r.reason or "" for r in fresh_store.quarantined_since(NOW))
    assert reasons == ["ValueError: cannot read this reply", "unknown sender"]
    assert inbox.fetch_and_handle(handler).handled == 0


def test_maildir_dedupes_by_message_id_and_without_one_by_bytes(tmp_path: Path, fresh_store: Store) -> None:
    inbox = MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW)
    deliver(tmp_path, reply(1), "1.a.host")
    deliver(tmp_path, reply(2, message_id=False), "2.b.host")
    handler = Recorder()
    inbox.fetch_and_handle(handler)

    deliver(tmp_path, reply(1), "3.c.host")
    deliver(tmp_path, reply(2, message_id=False), "4.d.host")
    deliver(tmp_path, reply(5, message_id=False), "5.e.host")
    report = inbox.fetch_and_handle(handler)

    assert handler.raws == [reply(1), reply(2, message_id=False), reply(5, message_id=False)]
    assert (report.already_handled, report.processed) == (2, 1)
    assert len(files(tmp_path / ".processed")) == 5


def test_maildir_crash_between_commit_and_move_moves_it_without_handling_again(
        tmp_path: Path, fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(tmp_path, reply(1), "1.a.host")
    inbox = MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW)

    class Killed(BaseException):
        pass

    def die(*args: object) -> None:
        raise Killed

    monkeypatch.setattr(MaildirInbox, "_move_file", die)
    handler = Recorder()
    with pytest.raises(Killed):
        inbox.fetch_and_handle(handler)
    monkeypatch.undo()

    report = inbox.fetch_and_handle(handler)
    assert handler.raws == [reply(1)]
    assert report.already_handled == 1
    assert files(tmp_path / ".processed") == [reply(1)]


def test_a_quarantined_message_put_back_in_the_inbox_is_handled_again(tmp_path: Path,
                                                                     fresh_store: Store) -> None:
    deliver(tmp_path, reply(1), "1.a.host")
    inbox = MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW)
    inbox.fetch_and_handle(Recorder(fail_on=b"Ja"))
    [quarantined] = list((tmp_path / ".quarantine" / "cur").iterdir())
    quarantined.rename(tmp_path / "new" / "6.f.host")  # the coordinator retries it after a fix

    handler = Recorder()
    inbox.fetch_and_handle(handler)
    assert handler.raws == [reply(1)]
    assert files(tmp_path / ".processed") == [reply(1)]


def test_maildir_wait_for_mail_sees_only_mail_the_last_fetch_did_not(
        tmp_path: Path, fresh_store: Store) -> None:
    inbox = MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW)
    inbox.fetch_and_handle(Recorder())
    assert inbox.wait_for_mail(0) is False
    deliver(tmp_path, reply(1), "1.a.host")
    assert inbox.wait_for_mail(30) is True


def test_a_handler_may_record_details_in_its_own_transaction(tmp_path: Path, fresh_store: Store) -> None:
    deliver(tmp_path, reply(1), "1.a.host")

    def handler(msg: InboundMessage) -> tuple[Outcome, str | None]:
        with fresh_store.write():
            fresh_store.record_inbound(msg.source, status="processed", now=NOW, message_id=msg.message_id,
                                       category="reply", summary={"rsvp": "yes"})
        return Outcome.PROCESSED, None

    MaildirInbox(tmp_path, fresh_store, clock=lambda: NOW).fetch_and_handle(handler)
    [row] = fresh_store.inbound_rows()
    assert (row.status, row.category, row.summary) == ("processed", "reply", {"rsvp": "yes"})
    assert row.digest is not None


@pytest.mark.parametrize(("raw", "expected"), [
    (b"Message-ID: <a@b>\r\n\r\nx", "<a@b>"),
    (b"Message-Id:\r\n  <folded@b>\r\n\r\nx", "<folded@b>"),
    (b"Message-ID: no-brackets@b\r\n\r\nx", "no-brackets@b"),
    (b"Subject: none\r\n\r\nx", None),
    (b"\xff\xfe garbage", None),
])
def test_message_id_is_read_from_the_header(raw: bytes, expected: str | None) -> None:
    assert message_id_of(raw) == expected
