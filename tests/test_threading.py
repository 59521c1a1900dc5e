"""Answers land in the member's conversation: In-Reply-To, References and "Re:" of the member's own mail, sent
through a real SMTP server (aiosmtpd) from a real Maildir inbox and SQLite store."""

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
from mailer.outbound.thread_headers import apply, reply_subject, thread_of
from mailer.service import Service
from mailer.state.store import Store
from parsers import ParsedReply

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
LATER = datetime(2026, 11, 20, 10, 0, tzinfo=HEL)
AFTER = datetime(2026, 12, 4, 10, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"
ANNA = "anna@teater.fi"


@dataclass
class Network:
    service: Service
    inbox: mailbox.Maildir
    sink: Server

    def sent(self, kind: str, to: str) -> list[EmailMessage]:
        return [d.message() for d in self.sink.handler.delivered
                if d.recipient == to and f"X-Traffpunkt-Kind: {kind}\r\n".encode() in d.data]


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    example = load_config(ROOT / "config" / "network.example.toml")
    config = replace(example, site=replace(example.site, output=tmp_path / "site"))
    store = Store.open(tmp_path / "traffpunkt.db")
    store.add_member(ANNA, "Anna Lindqvist", "sv", INVITE - timedelta(days=30))
    with smtp_server() as sink:
        service = Service(config, store, transport=SmtpTransport(sink.settings(), None),
                          inbox=MaildirInbox(tmp_path / "inbox", store))
        yield Network(service, mailbox.Maildir(tmp_path / "inbox", create=True), sink)
        await service.aclose()


def reply(to: EmailMessage, frm: str, subject: str, body: str, *, vouched: bool = False) -> tuple[bytes, str]:
    msg = EmailMessage(policy=SMTP)
    if vouched:
        msg["Authentication-Results"] = "mx.kulturnatverket.fi; dkim=pass header.d=kulturnatverket.fi; dmarc=pass"
        msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = frm
    msg["To"] = str(to["Reply-To"])
    msg["Subject"] = subject
    msg["Date"] = format_datetime(LATER)
    mid = make_msgid(domain="client.example")
    msg["Message-ID"] = mid
    msg["In-Reply-To"] = str(to["Message-ID"])
    msg["References"] = f"<older@client.example> {to['Message-ID']}"
    msg.set_content(body)
    return msg.as_bytes(), mid


async def test_a_confirmation_answers_in_the_members_conversation(network: Network) -> None:
    await network.service.tick(INVITE)
    [invitation] = network.sent("invitation", ANNA)
    raw, mid = reply(invitation, f"Anna Lindqvist <{ANNA}>", f"SV: {invitation['Subject']}", "Ja, jag kommer!\n")
    network.inbox.add(raw)
    await network.service.tick(LATER)
    [confirmation] = network.sent("confirmation", ANNA)
    assert confirmation["In-Reply-To"] == mid
    assert str(confirmation["References"]).split() == ["<older@client.example>", str(invitation["Message-ID"]), mid]
    assert confirmation["Subject"] == f"Re: {invitation['Subject']}"
    assert confirmation["Message-ID"] != mid


async def test_the_coordinators_memo_draft_threads_with_the_notes(network: Network) -> None:
    await network.service.tick(INVITE)
    [invitation] = network.sent("invitation", ANNA)
    notes, mid = reply(invitation, COORDINATOR, "anteckningar från träffen",
                       "Vi pratade om den gemensamma kalendern.\n", vouched=True)
    network.inbox.add(notes.replace(str(invitation["Reply-To"]).encode(), b"memo@kulturnatverket.fi"))
    await network.service.tick(AFTER)
    [draft] = network.sent("memo-draft", COORDINATOR)
    assert draft["In-Reply-To"] == mid
    assert str(draft["References"]).split()[-1] == mid
    assert str(draft["Subject"]).startswith("Utkast: minnesanteckningar")  # its own subject carries the token


@dataclass(frozen=True)
class Inbound:
    message_id: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str | None


def test_hostile_thread_headers_never_break_the_answers_headers() -> None:
    hostile = Inbound("evil@x\r\nBcc: all@example.org", ("a@b", "c d@e", "<f@g>"), "Hi\r\nBcc: x", ANNA)
    assert thread_of(hostile) is None  # no usable Message-ID: the answer is not threaded
    many = Inbound("<m@client.example>", tuple(f"r{i}@x" for i in range(500)) + ("bad id@x",),
                   "Re: SV: VS: Inbjudan\x00", ANNA)
    thread = thread_of(many)
    assert thread is not None and len(thread["references"]) == 10 and thread["references"][-1] == "m@client.example"
    subject, headers = apply("confirmation", "Du är anmäld", thread)
    assert subject == "Re: Inbjudan"
    lines = headers.decode("ascii").split("\r\n")
    assert lines[0] == "In-Reply-To: <m@client.example>" and all(len(line) < 100 for line in lines)
    assert all(line.startswith((" <", "In-Reply-To: <", "References: <")) for line in lines if line)


def test_a_reply_subject_drops_the_prefixes_mail_programs_add() -> None:
    assert reply_subject("SV: VS: Re[2]: AW: Inbjudan") == "Re: Inbjudan"
    assert reply_subject("") == "Re:"
    assert reply_subject("Reunion") == "Re: Reunion"


def test_the_parsed_reply_gives_what_threading_needs() -> None:
    parsed = ParsedReply(category="reply", message_id="a@b", references=("c@d",), subject="x", from_address=ANNA)
    assert thread_of(parsed) == {"message_id": "a@b", "references": ["c@d", "a@b"], "subject": "x", "from": ANNA}
