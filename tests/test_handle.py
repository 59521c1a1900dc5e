"""Applying inbound mail: RSVPs, topics, spoofing, auto-replies, bounces, join and leave."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, load_config
from mailer.inbound.inbox import InboundMessage, Outcome
from mailer.models import Member
from mailer.outbound.tokens import bounce_address
from mailer.outbound.tokens import make as make_token
from mailer.outbound.transport import MemoryTransport
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=HEL)
#: Our receiving server's own Received header: the Authentication-Results above it are its verdicts.
OUR_RECEIPT = "from mail.teater.fi (mail.teater.fi [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS id 4Fx"


@pytest.fixture
def config() -> Config:
    return load_config(ROOT / "config" / "network.example.toml")


@pytest.fixture
def service(config: Config) -> Service:
    store = Store.memory()
    svc = Service(config, store, transport=MemoryTransport())
    store.add_member("anna@teater.fi", "Anna Lindqvist", "sv", NOW - timedelta(days=30))
    store.add_member("bo@galleri.fi", "Bo Berg", "sv", NOW - timedelta(days=30))
    svc.queue(datetime(2026, 11, 19, 9, 0, tzinfo=HEL))  # the 3.12 meeting is stored and invited
    return svc


def _member(service: Service, address: str) -> Member:
    m = service.store.member_by_address(address)
    assert m is not None
    return m


def _meeting_id(service: Service) -> int:
    meeting = service.store.meeting_on(datetime(2026, 12, 3).date())
    assert meeting is not None
    return meeting.id


def _mail(frm: str, text: str, *, to: str = "natverk@kulturnatverket.fi", subject: str = "Re: Inbjudan",
          headers: dict[str, str] | None = None) -> InboundMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = make_msgid(domain="client.example")
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text)
    return InboundMessage(source=f"test:{msg['Message-ID']}", raw=msg.as_bytes(), message_id=str(msg["Message-ID"]))


def _reply_to(service: Service, address: str) -> str:
    token = make_token(service.secret, _member(service, address).id, _meeting_id(service))
    return f"natverk+{token}@kulturnatverket.fi"


def _kinds(service: Service, to: str) -> list[str]:
    return [r.kind for r in service.store.outbox_rows() if r.recipient == to and r.kind != "invitation"]


def _answer(service: Service, address: str) -> str | None:
    rows = {r["address"]: r["answer"] for r in service.store.rsvps(_meeting_id(service))}
    return rows.get(address)


def test_a_yes_with_the_members_token_is_recorded_and_confirmed_once(service: Service) -> None:
    mail = _mail("Anna Lindqvist <anna@teater.fi>", "Ja, jag kommer! Vi blir två.\nÄrende: gemensam kalender",
                 to=_reply_to(service, "anna@teater.fi"))
    assert service.handler is not None
    assert service.handler.handle(mail, NOW)[0] is Outcome.PROCESSED
    assert _answer(service, "anna@teater.fi") == "yes"
    assert [t["text"] for t in service.store.topics(_meeting_id(service))] == ["gemensam kalender"]
    assert _kinds(service, "anna@teater.fi") == ["confirmation"]
    service.handler.handle(mail, NOW + timedelta(minutes=5))  # the same mail again
    assert _kinds(service, "anna@teater.fi") == ["confirmation"]


def test_a_changed_mind_overwrites_the_answer_and_is_logged_without_a_second_confirmation_within_the_hour(
        service: Service) -> None:
    assert service.handler is not None
    to = _reply_to(service, "anna@teater.fi")
    service.handler.handle(_mail("anna@teater.fi", "Ja, jag kommer.", to=to), NOW)
    service.handler.handle(_mail("anna@teater.fi", "Tyvärr, jag kan inte komma ändå.", to=to),
                           NOW + timedelta(minutes=20))
    assert _answer(service, "anna@teater.fi") == "no"
    assert any(e["event"] == "rsvp-changed" for e in service.store.log_entries())
    assert _kinds(service, "anna@teater.fi") == ["confirmation"]


def test_a_spoofed_from_with_another_members_token_changes_nothing(service: Service) -> None:
    assert service.handler is not None
    forged = _mail("Anna Lindqvist <anna@teater.fi>", "Nej, jag kommer inte.", to=_reply_to(service, "bo@galleri.fi"))
    outcome, reason = service.handler.handle(forged, NOW)
    assert outcome is Outcome.QUARANTINED and reason and "another member" in reason
    assert _answer(service, "anna@teater.fi") is None and _answer(service, "bo@galleri.fi") is None
    assert _kinds(service, "anna@teater.fi") == [] and _kinds(service, "bo@galleri.fi") == []


def test_a_reply_without_token_counts_only_when_the_receiving_server_authenticated_the_sender(
        service: Service) -> None:
    assert service.handler is not None
    plain = _mail("anna@teater.fi", "Ja, jag kommer.")
    assert service.handler.handle(plain, NOW)[0] is Outcome.QUARANTINED
    assert _answer(service, "anna@teater.fi") is None
    vouched = _mail("anna@teater.fi", "Ja, jag kommer.", headers={
        "Authentication-Results": "mx.kulturnatverket.fi; dkim=pass header.d=teater.fi; spf=pass; dmarc=pass",
        "Received": OUR_RECEIPT})
    assert service.handler.handle(vouched, NOW)[0] is Outcome.PROCESSED
    assert _answer(service, "anna@teater.fi") == "yes"


def test_mail_from_a_stranger_changes_nothing(service: Service) -> None:
    assert service.handler is not None
    outcome, reason = service.handler.handle(_mail("eve@evil.example", "Ja, jag kommer."), NOW)
    assert outcome is Outcome.QUARANTINED and reason and "not a member" in reason
    assert [r.kind for r in service.store.outbox_rows("queued")] == ["invitation", "invitation"]


def test_an_out_of_office_gets_no_answer_and_no_rsvp(service: Service) -> None:
    assert service.handler is not None
    ooo = _mail("anna@teater.fi", "Jag är på semester och kommer tillbaka 5.12.",
                to=_reply_to(service, "anna@teater.fi"),
                subject="Automatiskt svar: Inbjudan", headers={"Auto-Submitted": "auto-replied"})
    assert service.handler.handle(ooo, NOW)[0] is Outcome.IGNORED
    assert _answer(service, "anna@teater.fi") is None and _kinds(service, "anna@teater.fi") == []


def _bounce(service: Service, address: str) -> InboundMessage:
    """A DSN sent back to our VERP envelope sender for this member (so it proves it answers our mail)."""
    verp = bounce_address("natverk@kulturnatverket.fi", make_token(service.secret, _member(service, address).id))
    raw = (f"From: MAILER-DAEMON@mx.galleri.fi (Mail Delivery System)\r\nTo: {verp}\r\n"
           f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: {make_msgid()}\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
           "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
           f"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.galleri.fi\r\n\r\n"
           f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n").encode()
    return InboundMessage(source=f"test:{make_msgid()}", raw=raw, message_id=None)


def test_repeated_hard_bounces_mark_the_member_bouncing_and_tell_the_coordinator_once(service: Service) -> None:
    assert service.handler is not None
    for i in range(4):
        service.handler.handle(_bounce(service, "bo@galleri.fi"), NOW + timedelta(days=i))
    assert _member(service, "bo@galleri.fi").status == "bouncing"
    notices = [r for r in service.store.outbox_rows() if r.kind == "bounce-notice"]
    assert [r.recipient for r in notices] == list(service.config.network.coordinators)
    assert _kinds(service, "bo@galleri.fi") == []  # a bounce is never answered


def test_join_by_mail_is_double_opt_in_then_welcomed(service: Service) -> None:
    assert service.handler is not None
    service.handler.handle(_mail("Cilla Ny <cilla@dans.fi>", "Hej! Jag vill gå med i nätverket."), NOW)
    assert service.store.member_by_address("cilla@dans.fi") is None
    confirm = [r for r in service.store.outbox_rows() if r.kind == "join-confirm"]
    assert [r.recipient for r in confirm] == ["cilla@dans.fi"]
    token = make_token(service.secret, 0, confirm[0].context["request_id"])
    assert token in confirm[0].message_id
    # someone else replying with that token does not join
    other = _mail("mallory@evil.example", "Ja", to=f"natverk+{token}@kulturnatverket.fi")
    assert service.handler.handle(other, NOW)[0] is Outcome.QUARANTINED
    assert service.store.member_by_address("mallory@evil.example") is None
    yes = _mail("Cilla Ny <cilla@dans.fi>", "Ja, jag bekräftar.", to=f"natverk+{token}@kulturnatverket.fi")
    assert service.handler.handle(yes, NOW + timedelta(hours=1))[0] is Outcome.PROCESSED
    member = service.store.member_by_address("cilla@dans.fi")
    assert member is not None and member.status == "active" and member.name == "Cilla Ny"
    assert _kinds(service, "cilla@dans.fi") == ["join-confirm", "welcome"]


def test_leave_takes_effect_at_once_and_is_confirmed(service: Service) -> None:
    assert service.handler is not None
    mail = _mail("bo@galleri.fi", "Ta bort mig från listan, tack.", to=_reply_to(service, "bo@galleri.fi"))
    assert service.handler.handle(mail, NOW)[0] is Outcome.PROCESSED
    assert _member(service, "bo@galleri.fi").status == "left"
    assert _kinds(service, "bo@galleri.fi") == ["leave-confirm"]
    assert any(e["event"] == "member-left" for e in service.store.log_entries())


def test_a_calendar_accept_records_the_answer_but_is_never_answered(service: Service) -> None:
    """Google's Accept is Auto-Submitted: the RSVP counts, no confirmation goes back (RFC 3834)."""
    assert service.handler is not None
    service.store.add_member("laura.bennett@gmail.com", "Laura Bennett", "en", NOW - timedelta(days=30))
    raw = (ROOT / "tests" / "data" / "imip_google_accept_guest.eml").read_bytes()
    vouched = (b"Authentication-Results: mx.kulturnatverket.fi; dkim=pass header.d=gmail.com; dmarc=pass\r\n"
               b"Received: " + OUR_RECEIPT.encode() + b"\r\n" + raw)
    outcome, _ = service.handler.handle(InboundMessage("test:imip", vouched, None), NOW)
    assert outcome is Outcome.PROCESSED
    assert _answer(service, "laura.bennett@gmail.com") == "yes"
    assert _kinds(service, "laura.bennett@gmail.com") == []
    unvouched = service.handler.handle(InboundMessage("test:imip2", raw.replace(b"Laura", b"Lauri"), None), NOW)
    assert unvouched[0] is Outcome.QUARANTINED


@pytest.mark.parametrize("results", [
    "evil.example; dkim=pass header.d=teater.fi; dmarc=pass",  # written by someone else's server (or the sender)
    "mx.kulturnatverket.fi; dkim=pass header.d=teater.fi.evil.example; dmarc=fail",  # a look-alike signer
    "mx.kulturnatverket.fi; dkim=fail header.d=teater.fi; dmarc=fail",
])
def test_a_tokenless_reply_is_not_trusted_on_anyone_elses_word(service: Service, results: str) -> None:
    assert service.handler is not None
    mail = _mail("anna@teater.fi", "Nej, jag kommer inte.",
                 headers={"Authentication-Results": results, "Received": OUR_RECEIPT})
    assert service.handler.handle(mail, NOW)[0] is Outcome.QUARANTINED
    assert _answer(service, "anna@teater.fi") is None


def test_a_topic_sent_in_answer_to_a_past_meeting_goes_to_the_next_one(service: Service) -> None:
    assert service.handler is not None
    after = datetime(2026, 12, 4, 10, 0, tzinfo=HEL)
    service.queue(datetime(2027, 1, 21, 9, 0, tzinfo=HEL))  # the February meeting exists (January is cancelled)
    mail = _mail("anna@teater.fi", "Tack för i går!\nÄrende: gemensam marknadsföring",
                 to=_reply_to(service, "anna@teater.fi"))
    assert service.handler.handle(mail, after)[0] is Outcome.PROCESSED
    february = service.store.meeting_on(datetime(2027, 2, 4).date())
    assert february is not None
    assert [t["text"] for t in service.store.topics(february.id)] == ["gemensam marknadsföring"]
    assert service.store.topics(_meeting_id(service)) == []


def test_a_burst_of_bounces_on_one_day_counts_once(service: Service) -> None:
    """Three reports in an hour (one outage, or a forger) do not silence a member; three days running do."""
    assert service.handler is not None
    for minutes in (0, 20, 40):
        service.handler.handle(_bounce(service, "bo@galleri.fi"), NOW + timedelta(minutes=minutes))
    assert _member(service, "bo@galleri.fi").status == "active"
