"""The whole reply path against a real Dovecot and a real SMTP server: `traffpunkt run --once` twice,
a UIDVALIDITY reset, a malformed message and a spoofed reply."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import example_network
import pytest
from dovecot import Account
from example_network import example_text, imap_network
from smtp_server import Server, SinkHandler, smtp_server

from mailer.cli import main
from mailer.cli.demo import REPLIES, ScriptedReply, build_reply
from mailer.config import load_config
from mailer.state.store import Store

pytestmark = [pytest.mark.imap, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE_TIME = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
FOLDER = "Svar"


@pytest.fixture
def sink() -> Iterator[Server]:
    with smtp_server(SinkHandler()) as server:
        yield server


@pytest.fixture
def network(tmp_path: Path, sink: Server, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imap_network(tmp_path, example_text(tmp_path), sink, imap_account, FOLDER, monkeypatch)


def _append(account: Account, raws: list[bytes]) -> None:
    example_network.append(account, FOLDER, raws)


def _count(account: Account, folder: str) -> int:
    client = account.imap()
    try:
        typ, data = client.select(folder, readonly=True)
        return int(data[0]) if typ == "OK" and data[0] else 0
    finally:
        client.logout()


def _run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def _state(config: Path) -> tuple[dict[str, str], int, int]:
    cfg = load_config(config)
    store = Store.open(cfg.database)
    try:
        meeting = next(iter(store.meetings().values()))
        answers = {r["address"]: r["answer"] for r in store.rsvps(meeting.id)}
        confirmations = sum(1 for r in store.outbox_rows() if r.kind == "confirmation")
        changes = sum(1 for e in store.log_entries(10_000) if e["event"].startswith("rsvp"))
        return answers, confirmations, changes
    finally:
        store.close()


def test_replies_in_imap_are_applied_once_even_after_a_uidvalidity_reset(
        network: Path, sink: Server, imap_account: Account) -> None:
    cfg = load_config(network)
    _run(network, INVITE_TIME)
    invitations = {parseaddr(d.message()["To"])[1]: d.message() for d in sink.handler.delivered}
    assert len(invitations) == 8

    replies = [r for r in REPLIES if r.kind == "reply"]
    raws = [build_reply(r, invitations[r.address], cfg, INVITE_TIME + timedelta(hours=2)) for r in replies]
    # a spoofed reply: Bo's... rather Anna's address as From, but Päivi's invitation (and token) replied to
    spoof = ScriptedReply("paivi.makela@galleriavalo.fi", 1, "Ja, jag kommer!")
    forged = build_reply(spoof, invitations["paivi.makela@galleriavalo.fi"], cfg, INVITE_TIME)
    forged = forged.replace(b"paivi.makela@galleriavalo.fi>", b"jorn@akerblom.se>", 1)
    malformed = (b"From: =?utf-8?q?broken <anna.lindqvist@teaterforum.fi>\r\nSubject: \xff\xfe\r\n"
                 b"Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n--never-closed\r\n"
                 b"Content-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                 b"!!!!not base64!!!!\r\n")
    _append(imap_account, [*raws, forged, malformed])

    _run(network, INVITE_TIME + timedelta(hours=3))
    answers, confirmations, changes = _state(network)
    expected = {"anna.lindqvist@teaterforum.fi": "yes", "paivi.makela@galleriavalo.fi": "no",
                "jorn@akerblom.se": "maybe", "sanna@tanssifestivaali.fi": "yes", "asa.oberg@kulturhuset.se": "yes"}
    assert answers == expected  # the forged "yes" changed neither Päivi's "no" nor Jörn's "maybe"
    assert confirmations == len(replies)
    assert _count(imap_account, FOLDER) == 0
    assert _count(imap_account, "traffpunkt.processed") == len(replies)
    assert _count(imap_account, "traffpunkt.quarantine") == 2

    _run(network, INVITE_TIME + timedelta(hours=4))
    assert _state(network) == (answers, confirmations, changes)

    # UIDVALIDITY reset: the folder is recreated and the same replies appear again with new UIDs
    client: imaplib.IMAP4 = imap_account.imap()
    assert client.delete(FOLDER)[0] == "OK" and client.create(FOLDER)[0] == "OK"
    client.logout()
    _append(imap_account, raws)
    _run(network, INVITE_TIME + timedelta(hours=5))
    assert _state(network) == (answers, confirmations, changes)
    assert _count(imap_account, FOLDER) == 0
