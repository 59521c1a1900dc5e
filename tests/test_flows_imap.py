"""Through a real Dovecot and a real SMTP server (`traffpunkt run --once`): a proposed new time is passed on
to the coordinator and not applied; a coordinator's correction line is applied and confirmed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from counter_mail import counter_mail
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
FOLDER = "Svar"
COORDINATOR = "koordinator@kulturnatverket.fi"
VOUCHED = "mx.kulturnatverket.fi; dkim=pass header.d={domain}; dmarc=pass"
#: Our receiving server's Received header: the verdict above it is its own.
OUR_RECEIPT = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"


@pytest.fixture
def sink() -> Iterator[Server]:
    with smtp_server(SinkHandler()) as server:
        yield server


@pytest.fixture
def network(tmp_path: Path, sink: Server, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imap_network(tmp_path, example_text(tmp_path), sink, imap_account, FOLDER, monkeypatch)


def _run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def _correction() -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["Authentication-Results"] = VOUCHED.format(domain="kulturnatverket.fi")
    msg["Received"] = OUR_RECEIPT
    msg["From"] = f"Koordinatorn <{COORDINATOR}>"
    msg["To"] = "natverk@kulturnatverket.fi"
    msg["Subject"] = "Svar per telefon"
    msg["Date"] = format_datetime(INVITE_TIME + timedelta(hours=1))
    msg["Message-ID"] = make_msgid(domain="kulturnatverket.fi")
    msg.set_content("Päivi Mäkelä: kyllä +1\n")
    return msg.as_bytes()


def test_a_counter_is_passed_on_and_a_correction_applied_through_imap(
        network: Path, sink: Server, imap_account: Account) -> None:
    _run(network, INVITE_TIME)
    counter = counter_mail(sender="anna.lindqvist@teaterforum.fi")
    counter = (f"Authentication-Results: {VOUCHED.format(domain='teaterforum.fi')}\r\n"
               f"Received: {OUR_RECEIPT}\r\n").encode() + counter
    client = imap_account.imap()
    try:
        for raw in (counter, _correction()):
            assert client.append(FOLDER, None, None, raw)[0] == "OK"
    finally:
        client.logout()
    _run(network, INVITE_TIME + timedelta(hours=2))

    by_kind: dict[str, list[EmailMessage]] = {}
    for delivery in sink.handler.delivered:
        msg = delivery.message()
        by_kind.setdefault(str(msg["X-Traffpunkt-Kind"]), []).append(msg)
    [question] = by_kind["question"]
    assert parseaddr(str(question["To"]))[1] == COORDINATOR
    assert parseaddr(str(question["Reply-To"]))[1] == "anna.lindqvist@teaterforum.fi"
    body = question.get_body(("plain",))
    assert body is not None and "torsdag 3.12 kl. 18.00–20.00" in str(body.get_content())  # type: ignore[attr-defined]
    [told] = by_kind["question-ack"]
    assert parseaddr(str(told["To"]))[1] == "anna.lindqvist@teaterforum.fi"
    [confirmed] = by_kind["corrections"]
    assert parseaddr(str(confirmed["To"]))[1] == COORDINATOR
    assert "confirmation" not in by_kind

    store = Store.open(load_config(network).database)
    try:
        meeting = next(iter(store.meetings().values()))
        answers = {r["address"]: (r["answer"], r["guests"]) for r in store.rsvps(meeting.id)}
    finally:
        store.close()
    assert answers == {"paivi.makela@galleriavalo.fi": ("yes", 1)}  # the COUNTER recorded nothing
