"""Meeting notes to the memo address, through the real inbox path: draft, approval, memo to everyone once."""

from __future__ import annotations

import mailbox
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, load_config
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.outbound.transport import Envelope, MemoryTransport
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
AFTER = datetime(2026, 12, 4, 10, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"
NOTES = "Maria Lind berättade om mobilitetsbidragen.\n\nAnna tar fram ett förslag om en gemensam kalender."


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Service, mailbox.Maildir, MemoryTransport]:
    example: Config = load_config(ROOT / "config" / "network.example.toml")
    config = replace(example, site=replace(example.site, output=tmp_path / "site"))  # never into the checkout
    store = Store.memory()
    for i, name in enumerate(["Anna Lindqvist", "Bo Berg", "Cilla Carlsson"]):
        store.add_member(f"m{i}@example.fi", name, "sv", INVITE - timedelta(days=30))
    transport = MemoryTransport()
    inbox_path = tmp_path / "inbox"
    service = Service(config, store, transport=transport, inbox=MaildirInbox(inbox_path, store))
    return service, mailbox.Maildir(inbox_path, create=True), transport


def _mail(frm: str, subject: str, body: str, to: str = "memo@kulturnatverket.fi", *, vouched: bool = True,
          in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)
    if vouched:  # what our receiving server writes when the sender's domain checks out
        domain = frm.rpartition("@")[2].rstrip(">")
        msg["Authentication-Results"] = f"mx.kulturnatverket.fi; dkim=pass header.d={domain}; dmarc=pass"
        msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(AFTER)
    msg["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def _forward(frm: str, **kw: bool) -> bytes:
    body = ("Här kommer anteckningarna.\n\n---------- Vidarebefordrat meddelande ---------\n"
            f"Från: Koordinatorn <{COORDINATOR}>\nDatum: tors 3 dec. 2026 kl 19:10\nÄmne: anteckningar\n\n"
            f"{NOTES}\n\n-- \nKoordinatorn\n")
    return _mail(frm, "Fwd: anteckningar", body, **kw)


def _message(envelope: Envelope) -> EmailMessage:
    msg = message_from_bytes(envelope.data, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def _kinds(transport: MemoryTransport) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for envelope in transport.sent:
        for line in envelope.data.split(b"\r\n"):
            if line.startswith(b"X-Traffpunkt-Kind: "):
                kinds[line.split(b": ", 1)[1].decode()] += 1
    return kinds


async def _meeting_held(service: Service) -> None:
    await service.tick(INVITE)  # invitations for the 3.12 meeting go out; the meeting row exists


async def test_forwarded_notes_become_a_draft_and_ok_sends_the_memo_to_every_member_once(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    inbox.add(_forward(f"Koordinatorn <{COORDINATOR}>"))
    await service.tick(AFTER)
    drafts = [e for e in transport.sent if b"X-Traffpunkt-Kind: memo-draft" in e.data]
    assert [d.recipient for d in drafts] == [COORDINATOR]
    draft_text = _message(drafts[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "mobilitetsbidragen" in draft_text and "Vidarebefordrat" not in draft_text
    assert "Från: Koordinatorn" not in draft_text and "-- \nKoordinatorn" not in draft_text
    assert _kinds(transport)["memo"] == 0

    message = _message(drafts[0])
    inbox.add(_mail(COORDINATOR, f"Re: {message['Subject']}", "OK\n", to=str(message["Reply-To"]),
                    vouched=False, in_reply_to=str(message["Message-ID"])))
    await service.tick(AFTER + timedelta(hours=1))
    memos = [e.recipient for e in transport.sent if b"X-Traffpunkt-Kind: memo\r\n" in e.data]
    assert sorted(memos) == ["m0@example.fi", "m1@example.fi", "m2@example.fi"]
    inbox.add(_mail(COORDINATOR, f"Re: {message['Subject']}", "OK\n", to=str(message["Reply-To"]),
                    vouched=False, in_reply_to=str(message["Message-ID"])))
    await service.tick(AFTER + timedelta(hours=2))
    assert _kinds(transport)["memo"] == 3
    assert service.store.approved_memos()[0]["notes"].startswith("Maria Lind")


async def test_a_reply_with_new_text_to_the_draft_replaces_the_notes_with_a_new_draft(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    inbox.add(_forward(f"Koordinatorn <{COORDINATOR}>"))
    await service.tick(AFTER)
    draft = _message(next(e for e in transport.sent if b"X-Traffpunkt-Kind: memo-draft" in e.data))
    inbox.add(_mail(COORDINATOR, f"Re: {draft['Subject']}", "Nya anteckningar: vi beslöt att träffas i mars.\n",
                    to=str(draft["Reply-To"]), vouched=False, in_reply_to=str(draft["Message-ID"])))
    await service.tick(AFTER + timedelta(hours=1))
    assert _kinds(transport)["memo-draft"] == 2 and _kinds(transport)["memo"] == 0
    current = service.store.current_draft()
    assert current is not None and current["version"] == 2 and "träffas i mars" in current["notes"]


async def test_notes_from_a_member_who_is_not_a_coordinator_change_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    inbox.add(_forward("Anna Lindqvist <m0@example.fi>"))
    await service.tick(AFTER)
    assert service.store.current_draft() is None
    assert _kinds(transport)["memo-draft"] == 0
    assert [r.reason for r in service.store.inbound_rows("quarantined")] == [
        "memo notes from m0@example.fi, who is not a coordinator"]


async def test_notes_with_a_forged_coordinator_from_change_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    inbox.add(_forward(f"Koordinatorn <{COORDINATOR}>", vouched=False))
    await service.tick(AFTER)
    assert service.store.current_draft() is None
    assert _kinds(transport)["memo-draft"] == 0 and _kinds(transport)["memo"] == 0


async def test_without_review_the_notes_go_straight_to_every_member(tmp_path: Path) -> None:
    text = (ROOT / "config" / "network.example.toml").read_text(encoding="utf-8").replace(
        "[memo]\n# Meeting", "[memo]\nreview = false\n# Meeting").replace("\nreview = true\n", "\n")
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    config = replace(config, site=replace(config.site, output=tmp_path / "site"))
    assert config.meetings.memo_review is False
    store = Store.memory()
    store.add_member("m0@example.fi", "Anna Lindqvist", "sv", INVITE - timedelta(days=30))
    transport = MemoryTransport()
    service = Service(config, store, transport=transport, inbox=MaildirInbox(tmp_path / "in", store))
    await service.tick(INVITE)
    mailbox.Maildir(tmp_path / "in", create=True).add(_forward(f"Koordinatorn <{COORDINATOR}>"))
    await service.tick(AFTER)
    assert _kinds(transport)["memo-draft"] == 0 and _kinds(transport)["memo"] == 1


async def test_quarantined_mail_reaches_the_coordinators_in_one_daily_digest(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    inbox.add(_mail("stranger@example.org", "Hej", "Ja, jag kommer!", to="natverk@kulturnatverket.fi"))
    inbox.add(_mail("other@example.org", "Fråga", "Kommer ni ihåg mig?", to="natverk@kulturnatverket.fi"))
    await service.tick(INVITE + timedelta(hours=1))
    await service.tick(INVITE + timedelta(hours=2))
    digests = [e for e in transport.sent if b"X-Traffpunkt-Kind: digest" in e.data]
    assert [d.recipient for d in digests] == [COORDINATOR]
    text = _message(digests[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "stranger@example.org" in text and "other@example.org" in text
    assert not any(e.recipient in ("stranger@example.org", "other@example.org") for e in transport.sent)


async def _draft(service: Service, inbox: mailbox.Maildir, transport: MemoryTransport) -> EmailMessage:
    await _meeting_held(service)
    inbox.add(_forward(f"Koordinatorn <{COORDINATOR}>"))
    await service.tick(AFTER)
    return _message(next(e for e in transport.sent if b"X-Traffpunkt-Kind: memo-draft" in e.data))


async def test_ok_with_a_change_request_is_not_an_approval(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    draft = await _draft(service, inbox, transport)
    inbox.add(_mail(COORDINATOR, f"Re: {draft['Subject']}", "Ok men stryk stycket om Anna.\n",
                    to=str(draft["Reply-To"]), vouched=False, in_reply_to=str(draft["Message-ID"])))
    await service.tick(AFTER + timedelta(hours=1))
    assert _kinds(transport)["memo"] == 0 and _kinds(transport)["memo-draft"] == 2


async def test_an_outlook_ok_under_a_quoted_draft_approves_it(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    draft = await _draft(service, inbox, transport)
    body = (f"OK\n\n-----Original Message-----\nFrom: Kulturnätverket <natverk@kulturnatverket.fi>\n"
            f"Sent: Friday, December 4, 2026 10:00 AM\nTo: {COORDINATOR}\nSubject: {draft['Subject']}\n\n"
            f"Hej!\n\nHär är utkastet till minnesanteckningarna ...\n")
    inbox.add(_mail(COORDINATOR, f"RE: {draft['Subject']}", body, to=str(draft["Reply-To"]), vouched=False,
                    in_reply_to=str(draft["Message-ID"])))
    await service.tick(AFTER + timedelta(hours=1))
    assert _kinds(transport)["memo"] == 3 and _kinds(transport)["memo-draft"] == 1


async def test_a_coordinators_answer_to_the_catering_list_is_not_memo_notes(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    await _meeting_held(service)
    await service.tick(datetime(2026, 12, 1, 9, 0, tzinfo=HEL))
    catering = _message(next(e for e in transport.sent if b"X-Traffpunkt-Kind: catering" in e.data))
    inbox.add(_mail(COORDINATOR, f"Re: {catering['Subject']}", "Tack, jag har beställt mat för fem.\n",
                    to=str(catering["Reply-To"] or "natverk@kulturnatverket.fi"), vouched=False,
                    in_reply_to=str(catering["Message-ID"])))
    await service.tick(AFTER)
    assert service.store.current_draft() is None and _kinds(transport)["memo-draft"] == 0


async def test_mail_held_up_past_the_meeting_start_is_dropped_not_sent(setup) -> None:  # type: ignore[no-untyped-def]
    service, inbox, transport = setup
    service.transport = MemoryTransport(handler=_refuse)  # the mail server is down from the start
    await service.tick(INVITE)
    assert _kinds(transport)["invitation"] == 0
    service.transport = transport  # back after the meeting
    await service.tick(datetime(2026, 12, 10, 9, 0, tzinfo=HEL))
    assert _kinds(transport)["invitation"] == 0 and _kinds(transport)["reminder"] == 0
    assert {r.status for r in service.store.outbox_rows() if r.kind == "invitation"} == {"dropped"}


def _refuse(envelope: Envelope) -> None:
    from mailer.errors import TemporaryFailure

    raise TemporaryFailure("451 4.3.0 try again later")
