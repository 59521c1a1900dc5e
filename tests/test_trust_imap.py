"""Forged Authentication-Results and forged bounces through a real Dovecot and a real SMTP server
(`traffpunkt run --once`): they change nothing and mail nobody; a bounce to our VERP address counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import example_network
import pytest
from dovecot import Account
from example_network import example_text, imap_network
from smtp_server import Server, SinkHandler, smtp_server

from mailer.cli import main
from mailer.config import load_config
from mailer.state.store import Store

pytestmark = [pytest.mark.imap, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE_TIME = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
FOLDER = "INBOX"
ANNA, PAIVI = "anna.lindqvist@teaterforum.fi", "paivi.makela@galleriavalo.fi"
OURS = "mx.kulturnatverket.fi"


@pytest.fixture
def sink() -> Iterator[Server]:
    with smtp_server(SinkHandler()) as server:
        yield server


@pytest.fixture
def network(tmp_path: Path, sink: Server, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imap_network(tmp_path, example_text(tmp_path), sink, imap_account, FOLDER, monkeypatch)


def _append(account: Account, *raws: bytes) -> None:
    example_network.append(account, FOLDER, list(raws))


def _run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def _state(config: Path) -> tuple[dict[str, str], dict[str, tuple[str, int]], list[str]]:
    """Answers, each member's (status, hard bounces), and the quarantine reasons."""
    store = Store.open(load_config(config).database)
    try:
        meeting = next(iter(store.meetings().values()))
        answers = {r["address"]: r["answer"] for r in store.rsvps(meeting.id)}
        members = {str(r["address"]): (str(r["status"]), int(r["hard_bounces"]))
                   for r in store.db.query("SELECT address, status, hard_bounces FROM members")}
        reasons = [r.reason or "" for r in store.inbound_rows("quarantined")]
        return answers, members, reasons
    finally:
        store.close()


def _forged_reply(when: datetime) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["Authentication-Results"] = f"{OURS}; dmarc=fail header.from=teaterforum.fi"  # our server's verdict
    msg["Received"] = f"from mail.evil.example (mail.evil.example [203.0.113.9]) by {OURS} with ESMTPS id 1"
    msg["Authentication-Results"] = f"{OURS}; dkim=pass header.d=teaterforum.fi; dmarc=pass header.from=teaterforum.fi"
    msg["From"] = f"Anna Lindqvist <{ANNA}>"
    msg["To"] = "natverk@kulturnatverket.fi"
    msg["Subject"] = "Re: Inbjudan"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="evil.example")
    msg.set_content("Nej, jag kommer inte.")
    return msg.as_bytes()


def _dsn(failed: str, to: str, when: datetime) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: {to}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(when)}\r\n"
            f"Message-ID: {make_msgid(domain='mx.example')}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
            f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n").encode()


def test_forged_verdicts_and_bounces_by_imap_change_nothing_and_a_verp_bounce_counts(
        network: Path, sink: Server, imap_account: Account) -> None:
    _run(network, INVITE_TIME)
    verp = {d.recipient: d.sender for d in sink.handler.delivered}
    assert verp[PAIVI].startswith("natverk+bounce-tp") and verp[PAIVI].endswith("@kulturnatverket.fi")
    delivered = len(sink.handler.delivered)

    for day in range(3):
        when = INVITE_TIME + timedelta(days=day, hours=2)
        _append(imap_account, _forged_reply(when), _dsn(ANNA, "natverk@kulturnatverket.fi", when),
                _dsn(PAIVI, verp[PAIVI], when))
        _run(network, when + timedelta(minutes=5))

    answers, members, reasons = _state(network)
    assert ANNA not in answers
    assert members[ANNA] == ("active", 0)
    assert members[PAIVI] == ("bouncing", 3)  # the genuine one, to our VERP address, counts
    assert reasons.count("a bounce that does not prove it answers our mail") == 3
    assert reasons.count("no reply token and sender not authenticated") == 3
    new = [d for d in sink.handler.delivered[delivered:]]
    assert {d.recipient for d in new} <= {"koordinator@kulturnatverket.fi"}  # digest and bounce notice only
