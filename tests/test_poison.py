"""Mail that would stall the daemon: a message the parser hangs or crashes on, one over the size limit, one
whose handling was interrupted. Each is quarantined with its reason and the mail behind it is read on;
through `traffpunkt run --once` with a Maildir and with a real Dovecot."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import example_network
import poison_parsers
import pytest
from dovecot import Account
from smtp_server import Server, SinkHandler, smtp_server

from mailer.cli import main
from mailer.cli.demo import REPLIES, build_reply
from mailer.config import ImapSettings, load_config
from mailer.errors import ConfigError
from mailer.inbound.imap_reader import ImapInbox
from mailer.inbound.inbox import InboundMessage, InboxError, InboxReport, Outcome
from mailer.inbound.intake import INTERRUPTED_REASON
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.inbound.parse_worker import ParseWorker
from mailer.outbound.reasons import translate
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE_TIME = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
READ_TIME = INVITE_TIME + timedelta(hours=3)  # 12:00 local: the daily digest goes out in the same tick
LIMIT = 50_000
FOLDER = "Svar"
GOOD = [r for r in REPLIES if r.kind == "reply"]


def _config_text(tmp_path: Path) -> str:
    text = example_network.example_text(tmp_path)
    text = text.replace("max_message_bytes = 10_000_000", f"max_message_bytes = {LIMIT}")
    return text.replace("parse_deadline_seconds = 10", "parse_deadline_seconds = 0.5")


@pytest.fixture(autouse=True)
def misbehaving_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon's worker parses with `poison_parsers.misbehave`: it hangs on HANG, crashes on CRASH."""
    monkeypatch.setattr("mailer.service.ParseWorker", poison_parsers.worker)


def _run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def _poison(kind: bytes) -> bytes:
    """A short reply carrying a marker header; its Message-ID is <poison-hang@...> for X-Poison: hang."""
    name = kind.decode().rpartition(" ")[2]
    return (f"From: Someone <someone@example.net>\r\nTo: natverk@kulturnatverket.fi\r\n"
            f"Subject: Re: Nätverksträff\r\nMessage-ID: <poison-{name}@example.net>\r\n").encode() + kind + \
        b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJa, jag kommer.\r\n"


def _oversized(invitation: EmailMessage, cfg_path: Path) -> bytes:
    """A good reply with a 60 KB attachment of text, and the crash marker: read, it would crash the parser."""
    cfg = load_config(cfg_path)
    raw = build_reply(GOOD[0], invitation, cfg, INVITE_TIME + timedelta(hours=1))
    head, _, body = raw.partition(b"\n\n")
    return head + b"\n" + poison_parsers.CRASH + b"\n\n" + body + b"x" * 60_000 + b"\n"


def _replies(invitations: dict[str, EmailMessage], cfg_path: Path) -> list[bytes]:
    cfg = load_config(cfg_path)
    return [build_reply(r, invitations[r.address], cfg, INVITE_TIME + timedelta(hours=2)) for r in GOOD]


def _answers(cfg_path: Path) -> dict[str, str]:
    store = Store.open(load_config(cfg_path).database)
    try:
        meeting = next(iter(store.meetings().values()))
        return {r["address"]: r["answer"] for r in store.rsvps(meeting.id)}
    finally:
        store.close()


def _quarantined(cfg_path: Path) -> dict[str, str]:
    """{Message-ID: reason} of the quarantined inbound rows."""
    store = Store.open(load_config(cfg_path).database)
    try:
        return {row.message_id or "?": row.reason or "" for row in store.inbound_rows("quarantined")}
    finally:
        store.close()


def _digest_texts(outbox: Path) -> list[str]:
    texts = []
    for msg in mailbox.Maildir(outbox, create=False):
        if msg["X-Traffpunkt-Kind"] == "digest":
            parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            part = parsed.get_body(("plain",))
            assert part is not None
            texts.append(part.get_content())
    return texts


# -- Maildir --------------------------------------------------------------------------------------------


@pytest.fixture
def maildir_network(tmp_path: Path) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(_config_text(tmp_path), encoding="utf-8")
    assert main(["members", "import", "--config", str(path)]) == 0
    return path


def _maildir_invitations(cfg_path: Path) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for msg in mailbox.Maildir(load_config(cfg_path).mail.outbox_maildir, create=False):
        parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if parsed["X-Traffpunkt-Kind"] == "invitation":
            found[parseaddr(str(parsed["To"]))[1]] = parsed
    return found


def _deliver(inbox: Path, raws: list[bytes]) -> None:
    """Into the inbox Maildir in this order (the reader takes the oldest first)."""
    box = mailbox.Maildir(inbox, create=True)
    start = datetime.now().timestamp() - 1000
    for n, raw in enumerate(raws):
        key = box.add(raw)
        path = Path(inbox) / "new" / key
        os.utime(path, (start + n, start + n))


@pytest.mark.slow
def test_a_message_that_hangs_the_parser_is_quarantined_and_the_replies_behind_it_are_applied(
        maildir_network: Path) -> None:
    _run(maildir_network, INVITE_TIME)
    cfg = load_config(maildir_network)
    replies = _replies(_maildir_invitations(maildir_network), maildir_network)
    _deliver(cfg.mail.inbox_maildir, [_poison(poison_parsers.HANG), *replies, _poison(poison_parsers.CRASH)])

    _run(maildir_network, READ_TIME)

    assert set(_answers(maildir_network)) == {r.address for r in GOOD}
    assert _quarantined(maildir_network) == {
        "<poison-hang@example.net>": "parsing took longer than 0.5 s",
        "<poison-crash@example.net>": "the parser crashed: the worker exited with status 70"}
    inbox = cfg.mail.inbox_maildir
    assert not list((inbox / "new").iterdir()) and not list((inbox / "cur").iterdir())
    assert len(list((inbox / ".quarantine" / "cur").iterdir())) == 2
    assert len(list((inbox / ".processed" / "cur").iterdir())) == len(GOOD)
    digests = _digest_texts(cfg.mail.outbox_maildir)
    assert digests and all("parsing took longer than 0.5 s" in text for text in digests)
    assert all("someone@example.net" in text for text in digests)

    # the next run reads new mail as usual; an exact copy of the poison is quarantined without parsing
    _deliver(inbox, [_poison(poison_parsers.HANG), build_reply(
        REPLIES[0], _maildir_invitations(maildir_network)[REPLIES[0].address], cfg, READ_TIME)])
    _run(maildir_network, READ_TIME + timedelta(hours=1))
    assert len(list((inbox / ".processed" / "cur").iterdir())) == len(GOOD) + 1
    store = Store.open(cfg.database)
    try:
        copies = [r.reason or "" for r in store.inbound_rows("quarantined")
                  if r.message_id == "<poison-hang@example.net>"]
    finally:
        store.close()
    assert len(copies) == 2 and copies[1].startswith("parsing took longer than 0.5 s (the same message as maildir:")


@pytest.mark.slow
def test_a_message_over_the_size_limit_is_quarantined_unread_and_listed_in_the_digest(
        maildir_network: Path) -> None:
    _run(maildir_network, INVITE_TIME)
    cfg = load_config(maildir_network)
    invitations = _maildir_invitations(maildir_network)
    big = _oversized(invitations[GOOD[0].address], maildir_network)
    assert len(big) > LIMIT
    _deliver(cfg.mail.inbox_maildir, [big, *_replies(invitations, maildir_network)[1:]])

    _run(maildir_network, READ_TIME)

    reasons = list(_quarantined(maildir_network).values())
    # read, it would have crashed the parser: the reason shows it was never parsed
    assert reasons == [f"message is {len(big) / 1e6:.3g} MB, over mail.max_message_bytes (0.05 MB)"]
    assert set(_answers(maildir_network)) == {r.address for r in GOOD[1:]}
    digest = _digest_texts(cfg.mail.outbox_maildir)[0]
    assert translate(reasons[0], "sv") in digest and GOOD[0].address in digest  # in the coordinator's language


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def __call__(self, msg: InboundMessage) -> tuple[Outcome, str | None]:
        self.seen.append(msg.raw)
        return Outcome.PROCESSED, None


def _interrupted_inbox(tmp_path: Path, attempts: int) -> tuple[MaildirInbox, Store, Path]:
    """A Maildir holding one message whose handling began `attempts` times and never ended."""
    store = Store.open(tmp_path / "tp.db")
    inbox = MaildirInbox(tmp_path / "in", store)
    _deliver(tmp_path / "in", [_poison(b"X-Poison: none")])
    name = next((tmp_path / "in" / "new").iterdir()).name
    for _ in range(attempts):
        store.begin_inbound(f"maildir:{name}", now=READ_TIME, message_id="<poison-none@example.net>", digest="d")
    return inbox, store, tmp_path / "in"


def test_a_message_whose_handling_was_interrupted_once_is_handled_once_more(tmp_path: Path) -> None:
    inbox, store, path = _interrupted_inbox(tmp_path, attempts=1)
    handler = _Recorder()
    report = inbox.fetch_and_handle(handler, now=READ_TIME)
    assert len(handler.seen) == 1 and report.processed == 1
    assert [r.status for r in store.inbound_rows()] == ["processed"]
    assert len(list((path / ".processed" / "cur").iterdir())) == 1
    store.close()


def test_a_message_whose_handling_was_interrupted_twice_is_quarantined_without_being_read(tmp_path: Path) -> None:
    inbox, store, path = _interrupted_inbox(tmp_path, attempts=2)
    handler = _Recorder()
    report = inbox.fetch_and_handle(handler, now=READ_TIME)
    assert handler.seen == [] and report == InboxReport(quarantined=1)
    row = store.inbound_rows()[0]
    assert (row.status, row.reason) == ("quarantined", INTERRUPTED_REASON)
    assert row.summary["from_address"] == "someone@example.net"
    assert len(list((path / ".quarantine" / "cur").iterdir())) == 1
    store.close()


# -- IMAP (Dovecot) -------------------------------------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[Server]:
    with smtp_server(SinkHandler()) as server:
        yield server


@pytest.fixture
def imap_network(tmp_path: Path, sink: Server, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example_network.imap_network(tmp_path, _config_text(tmp_path), sink, imap_account, FOLDER, monkeypatch)


def _append(account: Account, raws: list[bytes]) -> None:
    example_network.append(account, FOLDER, raws)


def _count(account: Account, folder: str) -> int:
    client = account.imap()
    try:
        typ, data = client.select(folder, readonly=True)
        return int(data[0]) if typ == "OK" and data[0] else 0
    finally:
        client.logout()


@pytest.mark.imap
@pytest.mark.slow
def test_over_imap_poison_and_oversized_mail_is_quarantined_and_the_replies_behind_it_are_applied(
        imap_network: Path, sink: Server, imap_account: Account) -> None:
    _run(imap_network, INVITE_TIME)
    invitations: dict[str, EmailMessage] = {}
    for d in sink.handler.delivered:
        msg = d.message()
        if msg["X-Traffpunkt-Kind"] == "invitation":
            invitations[parseaddr(str(msg["To"]))[1]] = msg
    big = _oversized(invitations[GOOD[0].address], imap_network)
    _append(imap_account, [_poison(poison_parsers.HANG), big, *_replies(invitations, imap_network)[1:]])

    _run(imap_network, READ_TIME)

    assert set(_answers(imap_network)) == {r.address for r in GOOD[1:]}
    reasons = _quarantined(imap_network)
    assert reasons.pop("<poison-hang@example.net>") == "parsing took longer than 0.5 s"
    assert list(reasons.values()) == [f"message is {len(big) / 1e6:.3g} MB, over mail.max_message_bytes (0.05 MB)"]
    assert _count(imap_account, FOLDER) == 0
    assert _count(imap_account, "traffpunkt.quarantine") == 2
    assert _count(imap_account, "traffpunkt.processed") == len(GOOD) - 1
    digests = [d.message() for d in sink.handler.delivered if d.message()["X-Traffpunkt-Kind"] == "digest"]
    assert digests
    text = digests[0].get_body(("plain",))
    assert text is not None and "över gränsen mail.max_message_bytes" in text.get_content()


@pytest.mark.imap
def test_over_imap_a_message_interrupted_twice_is_quarantined_unread_and_the_next_one_handled(
        imap_account: Account, tmp_path: Path) -> None:
    client = imap_account.imap()
    for raw in (_poison(b"X-Poison: none"), _poison(b"X-Poison: next")):
        assert client.append("INBOX", None, None, raw)[0] == "OK"
    client.select("INBOX", readonly=True)
    uidvalidity = int(client.response("UIDVALIDITY")[1][0])
    first = int(client.uid("SEARCH", "ALL")[1][0].split()[0])
    client.logout()
    store = Store.open(tmp_path / "tp.db")
    for _ in range(2):
        store.begin_inbound(f"imap:INBOX:{uidvalidity}:{first}", now=READ_TIME,
                            message_id="<poison-none@example.net>", digest="d")
    settings = ImapSettings(host=imap_account.host, port=imap_account.port, tls="none",
                            username=imap_account.user, password_env=None, timeout_seconds=10.0)
    handler = _Recorder()
    inbox = ImapInbox(settings, imap_account.password, store, max_bytes=LIMIT)
    report = inbox.fetch_and_handle(handler, now=READ_TIME)
    inbox.close()
    assert (report.quarantined, report.processed) == (1, 1)
    assert [b"X-Poison: next" in raw for raw in handler.seen] == [True]
    rows = {r.message_id: (r.status, r.reason) for r in store.inbound_rows()}
    assert rows["<poison-none@example.net>"] == ("quarantined", INTERRUPTED_REASON)
    assert _count(imap_account, "INBOX") == 0 and _count(imap_account, "traffpunkt.quarantine") == 1
    store.close()


def test_a_parser_that_cannot_start_leaves_the_mail_unread_for_the_next_run(tmp_path: Path) -> None:
    worker = ParseWorker(5.0, parse=poison_parsers.unimportable)
    store = Store.open(tmp_path / "tp.db")
    _deliver(tmp_path / "in", [_poison(b"X-Poison: none")])

    def handler(msg: InboundMessage) -> tuple[Outcome, str | None]:
        worker.parse(msg.raw)
        return Outcome.PROCESSED, None

    with pytest.raises(InboxError, match="the parser worker did not start"):
        MaildirInbox(tmp_path / "in", store).fetch_and_handle(handler, now=READ_TIME)
    assert store.inbound_rows() == []  # not quarantined, and the attempt does not count
    assert len(list((tmp_path / "in" / "new").iterdir())) == 1
    worker.close()
    store.close()


def test_a_size_limit_or_deadline_that_is_not_above_zero_is_a_config_problem(tmp_path: Path) -> None:
    text = _config_text(tmp_path).replace(f"max_message_bytes = {LIMIT}", "max_message_bytes = 0")
    path = tmp_path / "network.toml"
    path.write_text(text.replace("parse_deadline_seconds = 0.5", "parse_deadline_seconds = -1"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    keys = {p.key for p in caught.value.problems}
    assert {"mail.max_message_bytes", "mail.parse_deadline_seconds"} <= keys
    defaults = load_config(ROOT / "config" / "network.example.toml").mail
    assert (defaults.max_message_bytes, defaults.parse_deadline_seconds) == (10_000_000, 10.0)
