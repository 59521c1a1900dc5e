"""Who did not come: a coordinator's answer to the catering or agenda mail after the meeting started marks
members absent, the memo lists who was present, no thank-you goes to the absent, and the coordinator gets a
confirmation; through a real Maildir inbox, a real SQLite file and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import mailbox
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from smtp_server import Server, smtp_server

from mailer.config import load_config
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.outbound.smtp import SmtpTransport
from mailer.outbound.tokens import make as make_token
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
BEFORE = datetime(2026, 12, 2, 10, 0, tzinfo=HEL)  # catering and agenda have gone to the coordinator
DURING = datetime(2026, 12, 3, 18, 0, tzinfo=HEL)  # the meeting is 17-19
AFTER = datetime(2026, 12, 3, 20, 0, tzinfo=HEL)
NEXT_DAY = datetime(2026, 12, 4, 10, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"
MEMBERS = [("anna@teater.fi", "Anna Lindqvist", "sv"), ("paivi@galleria.fi", "Päivi Mäkelä", "fi"),
           ("sam@festival.org", "Sam Smith", "en"), ("anna.berg@dans.se", "Anna Berg", "sv"),
           ("bo@musik.fi", "Bo Ek", "sv")]
SIGNED_UP = ["anna@teater.fi", "paivi@galleria.fi", "sam@festival.org", "anna.berg@dans.se"]


@dataclass
class Network:
    service: Service
    store: Store
    inbox: mailbox.Maildir
    sink: Server

    def sent(self, kind: str, to: str | None = None) -> list[EmailMessage]:
        return [d.message() for d in self.sink.handler.delivered
                if to in (None, d.recipient) and f"X-Traffpunkt-Kind: {kind}\r\n".encode() in d.data]

    def meeting_id(self) -> int:
        meeting = self.store.meeting_on(DURING.date())
        assert meeting is not None
        return meeting.id


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    example = load_config(ROOT / "config" / "network.example.toml")
    config = replace(example, site=replace(example.site, output=tmp_path / "site", show_names=True))
    store = Store.open(tmp_path / "traffpunkt.db")
    for address, name, language in MEMBERS:
        store.add_member(address, name, language, INVITE - timedelta(days=30))
    with smtp_server() as sink:
        service = Service(config, store, transport=SmtpTransport(sink.settings(), None),
                          inbox=MaildirInbox(tmp_path / "inbox", store))
        net = Network(service, store, mailbox.Maildir(tmp_path / "inbox", create=True), sink)
        await service.tick(INVITE)
        for address in SIGNED_UP:  # their answers came in the ordinary way (tested elsewhere)
            member = store.member_by_address(address)
            assert member is not None
            store.set_rsvp(net.meeting_id(), member.id, "yes", INVITE + timedelta(hours=1))
        await service.tick(BEFORE)
        yield net
        await service.aclose()
        store.close()


def _mail(frm: str, body: str, *, answering: EmailMessage | None = None, to: str = "natverk@kulturnatverket.fi",
          vouched: bool = True, date: datetime = DURING) -> tuple[bytes, str]:
    msg = EmailMessage(policy=SMTP)
    if vouched:  # what our receiving server writes when the sender's domain checks out
        domain = frm.rpartition("@")[2].rstrip(">")
        msg["Authentication-Results"] = f"mx.kulturnatverket.fi; dkim=pass header.d={domain}; dmarc=pass"
        msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = f"SV: {answering['Subject']}" if answering is not None else "Närvaro"
    msg["Date"] = format_datetime(date)
    mid = make_msgid(domain="client.example")
    msg["Message-ID"] = mid
    if answering is not None:
        msg["In-Reply-To"] = str(answering["Message-ID"])
        msg["References"] = str(answering["Message-ID"])
    msg.set_content(body)
    return msg.as_bytes(), mid


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def _memo_drafts(net: Network) -> list[str]:
    raw, _ = _mail(f"Koordinatorn <{COORDINATOR}>", "Vi pratade om hösten.", to="memo@kulturnatverket.fi",
                   date=NEXT_DAY)
    net.inbox.add(raw)
    await net.service.tick(NEXT_DAY)
    return [_text(m) for m in net.sent("memo-draft", COORDINATOR)]


async def test_the_coordinators_answer_to_the_catering_list_marks_who_did_not_come(network: Network) -> None:
    net = network
    [catering] = net.sent("catering", COORDINATOR)
    body = "Hej!\n\nKom inte: Anna Berg, Sam Smith\nEva Ek\ntyvärr var vi få\n\nMvh\nBo Ek\n"
    raw, mid = _mail(f"Koordinatorn <{COORDINATOR}>", body, answering=catering)
    net.inbox.add(raw)
    await net.service.tick(DURING + timedelta(minutes=5))

    [confirmation] = net.sent("attendance", COORDINATOR)
    text = _text(confirmation)
    assert "Anna Berg <anna.berg@dans.se>" in text and "Sam Smith <sam@festival.org>" in text
    assert '"Eva Ek": ingen medlem heter så' in text
    assert '"tyvärr var vi få": inte ett namn eller en adress' in text
    assert "Bo Ek <bo@musik.fi>" not in text  # the signature after "Mvh" names no absentee
    assert str(confirmation["In-Reply-To"]) == mid and str(confirmation["Subject"]).startswith("Re: ")

    await net.service.tick(AFTER)  # the meeting has ended: thank-yous to those who came only
    assert sorted(m["To"].addresses[0].addr_spec for m in net.sent("thanks")) == ["anna@teater.fi",
                                                                                  "paivi@galleria.fi"]
    [draft] = await _memo_drafts(net)
    assert "Närvarande (2)" in draft and "Anmälda" not in draft
    assert "Anna Lindqvist" in draft and "Päivi Mäkelä" in draft
    assert "Anna Berg" not in draft and "Sam Smith" not in draft


async def test_the_memo_says_signed_up_until_the_coordinator_says_who_did_not_come(network: Network) -> None:
    net = network
    await net.service.tick(AFTER)
    assert len(net.sent("thanks")) == 4
    [draft] = await _memo_drafts(net)
    assert "Anmälda (4)" in draft and "Närvarande" not in draft


async def test_each_language_says_present_in_its_memo(network: Network) -> None:
    net = network
    [agenda] = net.sent("agenda", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Anna Berg\n", answering=agenda)  # one name a line, to the agenda mail
    net.inbox.add(raw)
    await net.service.tick(AFTER)
    [draft] = await _memo_drafts(net)
    raw, _ = _mail(COORDINATOR, "OK", answering=net.sent("memo-draft", COORDINATOR)[0], date=NEXT_DAY)
    net.inbox.add(raw)
    await net.service.tick(NEXT_DAY + timedelta(minutes=5))
    memos = {m["To"].addresses[0].addr_spec: _text(m) for m in net.sent("memo")}
    assert "Närvarande (3)" in memos["anna@teater.fi"]
    assert "Paikalla (3)" in memos["paivi@galleria.fi"]
    assert "Present (3)" in memos["sam@festival.org"]
    assert all("Anna Berg" not in text for text in memos.values())
    site = net.service.config.site.output
    [page] = [p.read_text() for p in site.rglob("*.html") if "names-heading" in p.read_text()]
    assert ">Närvarande</h2>" in page and "Anna Lindqvist" in page and "Anna Berg" not in page


async def test_the_coordinators_token_with_a_marked_line_counts_for_the_meeting_that_started(
        network: Network) -> None:
    net = network
    to = f"natverk+{make_token(net.service.secret, 0, 0)}@kulturnatverket.fi"
    raw, _ = _mail(COORDINATOR, "Ei tullut: Päivi Mäkelä\n", to=to, vouched=False)
    net.inbox.add(raw)
    await net.service.tick(DURING + timedelta(minutes=5))
    assert len(net.sent("attendance", COORDINATOR)) == 1
    await net.service.tick(AFTER)
    assert "paivi@galleria.fi" not in [m["To"].addresses[0].addr_spec for m in net.sent("thanks")]


async def test_such_mail_from_a_member_is_quarantined_and_changes_nothing(network: Network) -> None:
    net = network
    [catering] = net.sent("catering", COORDINATOR)
    raw, _ = _mail("Anna Lindqvist <anna@teater.fi>", "Kom inte: Anna Berg\n", answering=catering)
    net.inbox.add(raw)
    await net.service.tick(AFTER)
    [row] = net.store.inbound_rows("quarantined")
    assert row.reason == "who did not come, from anna@teater.fi, who is not a coordinator"
    assert net.sent("attendance") == [] and len(net.sent("thanks")) == 4


async def test_an_unproven_coordinator_address_is_quarantined(network: Network) -> None:
    net = network
    [catering] = net.sent("catering", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Kom inte: Anna Berg\n", answering=catering, vouched=False)  # anyone can write this
    net.inbox.add(raw)
    await net.service.tick(AFTER)
    [row] = net.store.inbound_rows("quarantined")
    assert "unverified sender" in (row.reason or "")
    assert net.sent("attendance") == [] and len(net.sent("thanks")) == 4


async def test_an_answer_to_the_catering_list_before_the_meeting_is_a_correction_not_absence(
        network: Network) -> None:
    net = network
    [catering] = net.sent("catering", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Anna Berg: nej\n", answering=catering, date=BEFORE)
    net.inbox.add(raw)
    await net.service.tick(BEFORE + timedelta(hours=1))
    assert net.sent("attendance") == [] and len(net.sent("corrections", COORDINATOR)) == 1
    await net.service.tick(AFTER)
    assert len(net.sent("thanks")) == 3


async def test_a_thank_you_still_waiting_to_go_is_not_sent_to_someone_who_did_not_come(network: Network) -> None:
    net = network
    net.sink.handler.on_rcpt = lambda a: "451 4.3.0 try again later" if a == "anna.berg@dans.se" else None
    await net.service.tick(AFTER)  # her thank-you is queued, and waits for a retry
    assert len(net.sent("thanks")) == 3
    [catering] = net.sent("catering", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Did not come: anna.berg@dans.se\n", answering=catering, date=AFTER)
    net.inbox.add(raw)
    await net.service.tick(AFTER + timedelta(seconds=1))
    assert len(net.sent("attendance", COORDINATOR)) == 1
    net.sink.handler.on_rcpt = None
    await net.service.tick(NEXT_DAY)
    assert "anna.berg@dans.se" not in [m["To"].addresses[0].addr_spec for m in net.sent("thanks")]


async def test_notes_to_the_memo_address_in_answer_to_the_agenda_stay_memo_notes(network: Network) -> None:
    net = network
    [agenda] = net.sent("agenda", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Kaffe\nVi pratade om hösten.\n", answering=agenda, to="memo@kulturnatverket.fi",
                   date=AFTER)
    net.inbox.add(raw)
    await net.service.tick(AFTER)
    assert net.sent("attendance") == [] and len(net.sent("memo-draft", COORDINATOR)) == 1


async def test_a_late_report_says_the_thank_you_had_already_gone(network: Network) -> None:
    net = network
    await net.service.tick(AFTER)
    [catering] = net.sent("catering", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Kom inte: Anna Berg\n", answering=catering, date=AFTER)
    net.inbox.add(raw)
    await net.service.tick(AFTER + timedelta(hours=1))
    [confirmation] = net.sent("attendance", COORDINATOR)
    lines = _text(confirmation).splitlines()
    assert "- Anna Berg <anna.berg@dans.se> (tack-mejlet hade redan gått)" in lines
    at = lines.index("Minnesanteckningarna listar nu de närvarande, och de som inte kom får inget tack-mejl.")
    assert lines[at - 1] == "" and lines[at + 1] == ""  # a paragraph of its own


async def test_everyone_came_makes_the_memo_say_present_for_all_who_signed_up(network: Network) -> None:
    net = network
    [agenda] = net.sent("agenda", COORDINATOR)
    raw, _ = _mail(COORDINATOR, "Alla kom!\n\nMvh\nKoordinatorn\n", answering=agenda)
    net.inbox.add(raw)
    await net.service.tick(DURING + timedelta(minutes=5))
    [confirmation] = net.sent("attendance", COORDINATOR)
    assert "Jag har fört in att alla anmälda kom" in _text(confirmation)
    await net.service.tick(AFTER)
    assert len(net.sent("thanks")) == 4
    [draft] = await _memo_drafts(net)
    assert "Närvarande (4)" in draft
