"""Asking about unsure replies, passing questions and proposed times on, coordinators' corrections, and
confirmations that restate the whole reading: real Maildir inbox, real Service ticks, real SQLite.

The reply reader that sets `unsure`, `why` and `question` is rewritten elsewhere; until it is merged, the
`readings` fixture overlays those three fields on the real parser's reading of chosen messages (by
Message-ID). Everything else (the parse, the handler, the outbox, the composer) is the real code.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from counter_mail import counter_mail

from mailer.config import load_config
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.outbound.tokens import make as make_token
from mailer.outbound.transport import Envelope, MemoryTransport
from mailer.service import Service
from mailer.state.store import Store
from parsers import ParsedReply, parse_reply

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
LATER = datetime(2026, 11, 20, 10, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"
MEMBERS = [("anna@teater.fi", "Anna Lindqvist", "sv"), ("paivi@galleria.fi", "Päivi Mäkelä", "fi"),
           ("sam@festival.org", "Sam Smith", "en"), ("anna.berg@dans.se", "Anna Berg", "sv")]


class Setup:
    """The service, its Maildir inbox, what it sent, and the readings to overlay."""

    def __init__(self, tmp_path: Path) -> None:
        example = load_config(ROOT / "config" / "network.example.toml")
        self.config = replace(example, site=replace(example.site, output=tmp_path / "site"))
        self.store = Store.memory()
        for address, name, language in MEMBERS:
            self.store.add_member(address, name, language, INVITE - timedelta(days=30))
        self.transport = MemoryTransport()
        self.service = Service(self.config, self.store, transport=self.transport,
                               inbox=MaildirInbox(tmp_path / "inbox", self.store))
        self.inbox = mailbox.Maildir(tmp_path / "inbox", create=True)
        self.readings: dict[str, dict[str, Any]] = {}

    def member_id(self, address: str) -> int:
        member = self.store.member_by_address(address)
        assert member is not None
        return member.id

    def meeting_id(self) -> int:
        meeting = self.store.meeting_on(datetime(2026, 12, 3).date())
        assert meeting is not None
        return meeting.id

    def reply_address(self, address: str) -> str:
        token = make_token(self.service.secret, self.member_id(address), self.meeting_id())
        return f"natverk+{token}@kulturnatverket.fi"

    def answer(self, address: str) -> tuple[str, int] | None:
        row = self.store.rsvp_of(self.meeting_id(), self.member_id(address))
        return (row["answer"], row["guests"]) if row else None

    def sent(self, kind: str, to: str | None = None) -> list[EmailMessage]:
        out = []
        for envelope in self.transport.sent:
            if f"X-Traffpunkt-Kind: {kind}\r\n".encode() in envelope.data and to in (None, envelope.recipient):
                out.append(_message(envelope))
        return out

    def deliver(self, raw: bytes, reading: dict[str, Any] | None = None) -> None:
        if reading is not None:
            message_id = str(message_from_bytes(raw)["Message-ID"]).strip("<>")
            self.readings[message_id] = reading
        self.inbox.add(raw)


def _message(envelope: Envelope) -> EmailMessage:
    msg = message_from_bytes(envelope.data, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _html(msg: EmailMessage) -> str:
    part = msg.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _mail(frm: str, body: str, *, to: str = "natverk@kulturnatverket.fi", subject: str = "Re: Inbjudan",
          vouched: bool = False, in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)
    if vouched:  # what our receiving server writes when the sender's domain checks out
        domain = frm.rpartition("@")[2].rstrip(">")
        msg["Authentication-Results"] = f"mx.kulturnatverket.fi; dkim=pass header.d={domain}; dmarc=pass"
        msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(LATER)
    msg["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    s = Setup(tmp_path)

    def reading(raw: bytes) -> ParsedReply:
        parsed = parse_reply(raw)
        overlay = s.readings.get((parsed.message_id or "").strip("<>"))
        return replace(parsed, **overlay) if overlay else parsed

    assert s.service.handler is not None
    monkeypatch.setattr(s.service.handler, "parse", reading)  # in-process: the overlay is the reader's part
    yield s
    s.store.close()


async def _invited(s: Setup) -> None:
    await s.service.tick(INVITE)  # the 3.12 meeting is stored and its invitations go out


# -- item 3: never act on an unsure reading ------------------------------------------------------------


async def test_an_unsure_answer_is_asked_about_once_and_not_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    words = "Jag försöker komma om repetitionen slutar i tid"
    unsure = {"unsure": ("rsvp",), "why": {"rsvp": words}}
    s.deliver(_mail("Anna Lindqvist <anna@teater.fi>", f"{words}.\nÄrende: gemensam kalender",
                    to=s.reply_address("anna@teater.fi")), unsure)
    await s.service.tick(LATER)
    assert s.answer("anna@teater.fi") is None
    assert [t["text"] for t in s.store.topics(s.meeting_id())] == ["gemensam kalender"]  # sure: applied
    assert s.sent("confirmation", "anna@teater.fi") == []
    [asked] = s.sent("ask", "anna@teater.fi")
    text = _text(asked)
    assert "Jag är inte säker på att jag förstod ditt svar" in text and f'"{words}"' in text
    assert "Ärende: gemensam kalender" in text  # the one mail also restates what was noted anyway
    token = make_token(s.service.secret, s.member_id("anna@teater.fi"), s.meeting_id())
    assert f"?subject=Ja%20%5B{token}%5D" in text and f"?subject=Kanske%20%5B{token}%5D" in text
    assert str(asked["Subject"]) == "Re: Inbjudan" and "Kommer du till träffen" in text  # in the member's thread

    s.deliver(_mail("Anna Lindqvist <anna@teater.fi>", "Kanske, jag vet inte riktigt.",
                    to=s.reply_address("anna@teater.fi")), unsure)
    await s.service.tick(LATER + timedelta(hours=2))
    assert len(s.sent("ask", "anna@teater.fi")) == 1  # once per member, meeting and day
    assert s.answer("anna@teater.fi") is None

    digest = s.sent("digest", COORDINATOR)[0]  # the day's digest, queued in the same tick
    assert words in _text(digest) and "anna@teater.fi" in _text(digest)
    assert "frågade medlemmen om" in _text(digest) and words in _html(digest)


async def test_the_members_one_tap_answer_to_the_question_is_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Päivi Mäkelä <paivi@galleria.fi>", "Yritän ehtiä, jos juna on ajassa.",
                    to=s.reply_address("paivi@galleria.fi")),
              {"unsure": ("rsvp",), "why": {"rsvp": "Yritän ehtiä, jos juna on ajassa"}})
    await s.service.tick(LATER)
    [asked] = s.sent("ask", "paivi@galleria.fi")
    assert "En ole varma, ymmärsinkö vastauksesi oikein" in _text(asked)
    link = next(line.split(": ", 1)[1].strip() for line in _text(asked).splitlines()
                if line.strip().startswith("KYLLÄ:"))
    target = urlsplit(link)
    subject = unquote(target.query.removeprefix("subject="))
    s.deliver(_mail("paivi@galleria.fi", "", to=target.path, subject=subject))  # what the mail program sends
    await s.service.tick(LATER + timedelta(minutes=10))
    assert s.answer("paivi@galleria.fi") == ("yes", 0)
    [confirmation] = s.sent("confirmation", "paivi@galleria.fi")
    assert "Olet ilmoittautunut" in _text(confirmation)


async def test_a_sure_answer_with_unsure_guests_is_applied_and_only_the_guests_asked_about(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("anna@teater.fi", "Ja, jag kommer!", to=s.reply_address("anna@teater.fi")))
    await s.service.tick(LATER)
    s.deliver(_mail("anna@teater.fi", "Ja. Kanske tar jag med några från ensemblen.",
                    to=s.reply_address("anna@teater.fi")),
              {"guests": 3, "unsure": ("guests",), "why": {"guests": "Kanske tar jag med några från ensemblen"}})
    await s.service.tick(LATER + timedelta(hours=2))
    assert s.answer("anna@teater.fi") == ("yes", 0)  # the answer stands; no guests were guessed
    [asked] = s.sent("ask", "anna@teater.fi")
    assert "Hur många tar du med dig?" in _text(asked) and "Kommer du" not in _text(asked)
    assert len(s.sent("confirmation", "anna@teater.fi")) == 1  # only the first reply's


async def test_an_unsure_leave_asks_instead_of_removing_the_member(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Sam Smith <sam@festival.org>", "Maybe I should leave this list one day.",
                    to=s.reply_address("sam@festival.org")),
              {"command": "leave", "unsure": ("command",), "why": {"command": "Maybe I should leave this list"}})
    await s.service.tick(LATER)
    member = s.store.member_by_address("sam@festival.org")
    assert member is not None and member.status == "active"
    [asked] = s.sent("ask", "sam@festival.org")
    assert str(asked["Subject"]).startswith("Re: ") and "Do you want to leave" in _text(asked)
    assert "Maybe I should leave this list" in _text(asked)


# -- item 4: questions reach a person -----------------------------------------------------------------


async def test_a_question_is_forwarded_with_reply_to_the_member_and_the_member_told(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Anna Lindqvist <anna@teater.fi>", "Får man ta med barn till träffen?",
                    to=s.reply_address("anna@teater.fi")), {"question": True})
    await s.service.tick(LATER)
    [forward] = s.sent("question", COORDINATOR)
    assert parseaddr(str(forward["Reply-To"])) == ("Anna Lindqvist", "anna@teater.fi")
    assert "Får man ta med barn till träffen?" in _text(forward) and "Anna Lindqvist" in _text(forward)
    assert "List-Unsubscribe" not in forward
    [told] = s.sent("question-ack", "anna@teater.fi")
    assert "skickat vidare till koordinatorn" in _text(told)
    assert s.answer("anna@teater.fi") is None and s.sent("confirmation") == []


async def test_a_question_with_an_answer_applies_the_answer_and_forwards_the_question(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Sam Smith <sam@festival.org>", "Yes, I'll come. Is there parking nearby?",
                    to=s.reply_address("sam@festival.org")), {"question": True})
    await s.service.tick(LATER)
    assert s.answer("sam@festival.org") == ("yes", 0)
    [forward] = s.sent("question", COORDINATOR)
    assert "Is there parking nearby?" in _text(forward) and "svar: ja" in _text(forward)
    assert _text(forward).startswith("Hej!") and parseaddr(str(forward["To"])) == ("", COORDINATOR)
    [confirmation] = s.sent("confirmation", "sam@festival.org")
    assert "passed your question on to the coordinator" in _text(confirmation)
    assert s.sent("question-ack") == []  # the confirmation says it: one mail


async def test_a_counter_proposal_is_forwarded_with_the_proposed_time_and_not_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    raw = counter_mail(sender="anna@teater.fi", to="natverk@kulturnatverket.fi")
    vouched = (b"Authentication-Results: mx.kulturnatverket.fi; dkim=pass header.d=teater.fi; dmarc=pass\r\n"
               b"Received: from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS\r\n")
    s.deliver(vouched + raw)
    await s.service.tick(LATER)
    assert s.answer("anna@teater.fi") is None and s.sent("confirmation") == []
    [forward] = s.sent("question", COORDINATOR)
    text = _text(forward)
    assert "föreslår en ny tid" in text and "torsdag 3.12 kl. 18.00–20.00" in text  # 16 UTC is 18 in Helsinki
    assert "Kan vi börja en timme senare?" in text
    assert parseaddr(str(forward["Reply-To"]))[1] == "anna@teater.fi"
    [told] = s.sent("question-ack", "anna@teater.fi")
    assert "förslag om en ny tid" in _text(told) and "anmäld" not in _text(told)


# -- item 5: coordinators correct by mail --------------------------------------------------------------


CORRECTIONS = ("Hej!\n\nAnna Lindqvist: ja +1\npaivi@galleria.fi: ei\nSam Smith: maybe\nAnna: kanske\n"
               "Eva Ek: ja\nBo Berg: kommer kanske\n\n/K")


async def test_a_coordinators_answer_to_the_digest_is_applied_and_confirmed(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("stranger@example.org", "Ja, jag kommer!"))  # quarantined: the digest will list it
    await s.service.tick(datetime(2026, 11, 19, 10, 0, tzinfo=HEL))
    [digest] = s.sent("digest", COORDINATOR)
    s.deliver(_mail(f"Koordinatorn <{COORDINATOR}>", CORRECTIONS, subject=f"Re: {digest['Subject']}",
                    in_reply_to=str(digest["Message-ID"])))  # no A-R: the digest's token proves it
    await s.service.tick(LATER)
    assert s.answer("anna@teater.fi") == ("yes", 1)
    assert s.answer("paivi@galleria.fi") == ("no", 0)
    assert s.answer("sam@festival.org") == ("maybe", 0)
    assert s.answer("anna.berg@dans.se") is None  # "Anna" is two members: nothing applied for either
    [confirmed] = s.sent("corrections", COORDINATOR)
    text = _text(confirmed)
    assert "Anna Lindqvist <anna@teater.fi>: ja + 1 gäst" in text
    assert "Päivi Mäkelä <paivi@galleria.fi>: nej" in text and "Sam Smith <sam@festival.org>: kanske" in text
    assert '"Anna: kanske": flera medlemmar heter så (anna@teater.fi, anna.berg@dans.se)' in text
    assert '"Eva Ek: ja": ingen aktiv medlem heter så' in text
    assert '"Bo Berg: kommer kanske": svaret efter kolonet gick inte att läsa' in text
    assert s.sent("confirmation") == []


async def test_a_vouched_coordinators_lines_to_the_list_are_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail(COORDINATOR, "Anna Berg: nej\n", vouched=True, subject="Rättelse"))
    await s.service.tick(LATER)
    assert s.answer("anna.berg@dans.se") == ("no", 0)
    assert len(s.sent("corrections", COORDINATOR)) == 1


async def test_a_members_lines_for_other_members_are_quarantined_not_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Anna Lindqvist <anna@teater.fi>", "Sam Smith: nej\nAnna Berg: nej",
                    to=s.reply_address("anna@teater.fi")))
    s.deliver(_mail(f"Koordinatorn <{COORDINATOR}>", "Sam Smith: nej"))  # a forged From: no token, no A-R
    await s.service.tick(LATER)
    assert s.answer("sam@festival.org") is None and s.answer("anna.berg@dans.se") is None
    assert s.answer("anna@teater.fi") is None
    reasons = sorted(r.reason or "" for r in s.store.inbound_rows("quarantined"))
    assert reasons == [
        "answers for other members from anna@teater.fi, who is not a coordinator",
        "answers for other members without the coordinators' token from an unverified sender"]
    assert s.sent("corrections") == []


async def test_a_member_who_writes_her_own_name_before_the_answer_answers_for_herself(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Anna Berg <anna.berg@dans.se>", "Anna Berg: ja", to=s.reply_address("anna.berg@dans.se")))
    await s.service.tick(LATER)
    assert s.store.inbound_rows("quarantined") == [] and s.sent("corrections") == []
    assert len(s.sent("confirmation", "anna.berg@dans.se")) == 1 and s.answer("anna.berg@dans.se") == ("yes", 0)


async def test_a_coordinator_who_is_a_member_still_answers_for_themselves(setup: Setup) -> None:
    s = setup
    s.store.add_member(COORDINATOR, "Kim Koordinator", "sv", INVITE - timedelta(days=30))
    await _invited(s)
    s.deliver(_mail(COORDINATOR, "Ja, jag kommer!", to=s.reply_address(COORDINATOR)))
    await s.service.tick(LATER)
    assert s.answer(COORDINATOR) == ("yes", 0)
    assert len(s.sent("confirmation", COORDINATOR)) == 1 and s.sent("corrections") == []


# -- item 6: every confirmation restates the whole reading ---------------------------------------------


@pytest.mark.parametrize(("address", "body", "said", "not_said"), [
    ("anna@teater.fi", "Ärende: gemensam kalender", "Du skrev inget om du kommer", "kanske"),
    ("paivi@galleria.fi", "Aihe: yhteinen kalenteri", "Et kertonut, tuletko", "ehkä"),
    ("sam@festival.org", "Topic: a shared calendar", "You did not say whether you are coming", "maybe"),
])
async def test_a_topic_only_reply_is_not_confirmed_as_a_maybe(setup: Setup, address: str, body: str, said: str,
                                                              not_said: str) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail(address, body, to=s.reply_address(address)))
    await s.service.tick(LATER)
    assert s.answer(address) is None
    [confirmation] = s.sent("confirmation", address)
    text, html = _text(confirmation), _html(confirmation)
    assert said in text and said in html
    assert f"noted a {not_said}" not in text.lower() and "noterat ett kanske" not in text
    assert "merkinneet vastaukseksi ehkä" not in text
    assert body.split(": ", 1)[1] in text  # the topic itself is restated
    token = make_token(s.service.secret, s.member_id(address), s.meeting_id())
    assert token in text  # one-tap answers to give the missing answer


async def test_a_topic_only_reply_after_an_answer_says_the_answer_stands(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("anna@teater.fi", "Ja, vi blir två.", to=s.reply_address("anna@teater.fi")))
    await s.service.tick(LATER)
    s.deliver(_mail("anna@teater.fi", "Ärende: gemensam kalender", to=s.reply_address("anna@teater.fi")))
    await s.service.tick(LATER + timedelta(hours=2))
    first, second = s.sent("confirmation", "anna@teater.fi")
    assert "en gäst" in _text(first)
    assert 'Ditt svar sedan tidigare står kvar: "ja"' in _text(second)
    assert s.answer("anna@teater.fi") == ("yes", 1)


async def test_a_coordinators_forward_of_a_members_mail_with_a_line_on_top_is_applied(setup: Setup) -> None:
    s = setup
    await _invited(s)
    body = ("Sam Smith: no\n\n---------- Forwarded message ---------\nFrom: Sam Smith <sam@festival.org>\n"
            "Date: Fri, 20 Nov 2026 at 09:12\nSubject: meeting\nTo: <koordinator@kulturnatverket.fi>\n\n"
            "Yes, I'll be there, Sam Smith: yes\n")
    s.deliver(_mail(COORDINATOR, body, vouched=True, subject="Fwd: meeting"))
    await s.service.tick(LATER)
    assert s.answer("sam@festival.org") == ("no", 0)  # the coordinator's line, not the forwarded text
    [confirmed] = s.sent("corrections", COORDINATOR)
    assert "Sam Smith <sam@festival.org>: nej" in _text(confirmed) and "förstod jag inte" not in _text(confirmed)


async def test_a_forwarded_question_carries_no_coordinator_token_that_a_member_could_reuse(setup: Setup) -> None:
    s = setup
    await _invited(s)
    s.deliver(_mail("Sam Smith <sam@festival.org>", "Is there parking nearby?",
                    to=s.reply_address("sam@festival.org")), {"question": True})
    await s.service.tick(LATER)
    [forward] = s.sent("question", COORDINATOR)
    assert "tp0-0" not in str(forward["Message-ID"]) and "tp0-0" not in str(forward["Reply-To"])
    # The coordinator answers Sam (Reply-To); Sam forges the coordinator's From on that thread: no proof.
    s.deliver(_mail(f"Koordinatorn <{COORDINATOR}>", "Anna Lindqvist: nej\n",
                    in_reply_to=str(forward["Message-ID"]), subject=f"Re: {forward['Subject']}"))
    await s.service.tick(LATER + timedelta(minutes=5))
    assert s.answer("anna@teater.fi") is None and s.sent("corrections") == []
