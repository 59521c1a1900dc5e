"""Attacks on a running daemon, each through the real inbox path (a Maildir and Service.tick on a SQLite file):
forged Authentication-Results, display-name addresses, forged bounces, a join flood, a forged memo approval.
Each changes nothing and mails nobody; the genuine counterparts still work."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, load_config
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.outbound.tokens import bounce_address
from mailer.outbound.tokens import make as make_token
from mailer.outbound.transport import Envelope, MemoryTransport
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
LATER = datetime(2026, 11, 20, 10, 0, tzinfo=HEL)
AFTER = datetime(2026, 12, 4, 10, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"
ANNA, BO = "anna@teater.fi", "bo@galleri.fi"
#: Our MX's own SMTP receipt: Authentication-Results above it are our server's, those below the sender's.
OUR_RECEIPT = "from {host} ({host} [192.0.2.25]) by mx.kulturnatverket.fi (Postfix) with ESMTPS id 4Fx1"
OUR_LMTP = "from mx.kulturnatverket.fi by imap.kulturnatverket.fi (Dovecot) with LMTP id Zx9; Fri, 20 Nov 2026"
OURS = "mx.kulturnatverket.fi"


class Network:
    """A daemon on a SQLite file with a Maildir inbox and a transport that keeps what it sent."""

    def __init__(self, tmp_path: Path, config: Config, *, in_memory: bool = False) -> None:
        self.store = Store.memory() if in_memory else Store.open(tmp_path / "traffpunkt.db")
        for address, name in ((ANNA, "Anna Lindqvist"), (BO, "Bo Berg")):
            self.store.add_member(address, name, "sv", INVITE - timedelta(days=30))
        self.transport = MemoryTransport()
        self.inbox_path = tmp_path / "inbox"
        mailbox.Maildir(self.inbox_path, create=True)
        self.serial = 0
        self.service = Service(config, self.store, transport=self.transport,
                               inbox=MaildirInbox(tmp_path / "inbox", self.store))

    async def deliver(self, now: datetime, *raws: bytes) -> list[Envelope]:
        """Put mails in the inbox, run one tick; the mail that tick sent."""
        before = len(self.transport.sent)
        for raw in raws:  # as a delivery agent does: write in tmp/, rename into new/ (no fsync: a test)
            self.serial += 1
            name = f"{now.timestamp():.0f}.T{self.serial}.test"
            (self.inbox_path / "tmp" / name).write_bytes(raw)
            os.rename(self.inbox_path / "tmp" / name, self.inbox_path / "new" / name)
        await self.service.tick(now)
        return self.transport.sent[before:]

    def member(self, address: str) -> tuple[str, int]:
        m = self.store.member_by_address(address)
        assert m is not None
        row = self.store._one("SELECT hard_bounces FROM members WHERE id = ?", [m.id])
        assert row is not None
        return m.status, int(row["hard_bounces"])

    def answers(self) -> dict[str, str]:
        meeting = self.store.meeting_on(date(2026, 12, 3))
        assert meeting is not None
        return {r["address"]: r["answer"] for r in self.store.rsvps(meeting.id)}

    def token(self, address: str, meeting: bool = True) -> str:
        m = self.store.member_by_address(address)
        meeting_row = self.store.meeting_on(date(2026, 12, 3))
        assert m is not None and meeting_row is not None
        return make_token(self.service.secret, m.id, meeting_row.id if meeting else 0)

    def reasons(self) -> list[str]:
        return [r.reason or "" for r in self.store.inbound_rows("quarantined")]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    example = load_config(ROOT / "config" / "network.example.toml")
    return replace(example, site=replace(example.site, output=tmp_path / "site"))


@pytest.fixture
def net(tmp_path: Path, config: Config) -> Iterator[Network]:
    network = Network(tmp_path, config)
    yield network
    network.store.close()


def _kinds(sent: list[Envelope]) -> list[tuple[str, str]]:
    out = []
    for envelope in sent:
        msg = message_from_bytes(envelope.data, policy=default)
        out.append((str(msg["X-Traffpunkt-Kind"]), envelope.recipient))
    return out


def _not_digest(sent: list[Envelope]) -> list[tuple[str, str]]:
    """What went out apart from the coordinators' digest of quarantined mail."""
    return [(kind, to) for kind, to in _kinds(sent) if kind != "digest"]


def _mail(frm: str, body: str, *, top: tuple[tuple[str, str], ...] = (), to: str = "natverk@kulturnatverket.fi",
          subject: str = "Re: Inbjudan", when: datetime = LATER, in_reply_to: str | None = None) -> bytes:
    """A mail as it lies in our mailbox: `top` are the header fields above everything else, top first."""
    msg = EmailMessage(policy=SMTP)
    for name, value in top:
        msg[name] = value
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def _receipt(host: str = "mail.evil.example") -> tuple[str, str]:
    return ("Received", OUR_RECEIPT.format(host=host))


def _ar(value: str) -> tuple[str, str]:
    return ("Authentication-Results", value)


#: What our server writes for mail from a host that may not send for the From domain (no signature, no policy).
OUR_NONE = _ar(f"{OURS}; dkim=none; spf=softfail smtp.mailfrom=evil.example; dmarc=none header.from=teater.fi")


# -- Authentication-Results ---------------------------------------------------------------------------


async def _anna_said_yes(net: Network) -> None:
    await net.deliver(INVITE)
    sent = await net.deliver(LATER - timedelta(hours=20), _mail(ANNA, "Ja, jag kommer!",
                                                                to=f"natverk+{net.token(ANNA)}@kulturnatverket.fi"))
    assert ("confirmation", ANNA) in _kinds(sent) and net.answers() == {ANNA: "yes"}


@pytest.mark.parametrize("top", [
    pytest.param((_ar(f"{OURS}; dmarc=fail header.from=teater.fi; dkim=none"), _receipt(),
                  _ar(f"{OURS}; dkim=pass header.d=teater.fi; dmarc=pass header.from=teater.fi")),
                 id="ours-on-top-fails-forged-below-passes"),
    pytest.param((("Received", OUR_LMTP), _receipt(), OUR_NONE,
                  _ar(f"{OURS}; dkim=pass header.d=teater.fi; dmarc=pass header.from=teater.fi")),
                 id="ours-under-our-receipt-forged-below-it"),
    pytest.param((_receipt(), ("Received", "from mail.evil.example by mail.evil.example with ESMTP id 7"),
                  _ar(f"{OURS}; dkim=pass header.d=teater.fi; dmarc=pass header.from=teater.fi")),
                 id="forged-below-another-hosts-received"),
    pytest.param((_ar(f"{OURS}; dkim=pass header.d=teater.fi; dmarc=pass header.from=teater.fi"),),
                 id="no-received-at-all-never-came-through-our-server"),
    pytest.param((_ar(f"{OURS}; spf=pass smtp.mailfrom=teater.fi; dmarc=pass"), _receipt()),
                 id="dmarc-pass-without-header-from"),
    pytest.param((_ar(f"{OURS}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"),
                  _receipt()),
                 id="our-verdict-for-another-domain"),
    pytest.param((_ar("mx.kulturnatverket.fi.evil.example; dmarc=pass header.from=teater.fi"), _receipt()),
                 id="look-alike-authserv-id"),
])
async def test_a_forged_verdict_changes_no_answer_and_mails_nobody(net: Network,
                                                                   top: tuple[tuple[str, str], ...]) -> None:
    await _anna_said_yes(net)
    sent = await net.deliver(LATER, _mail(f"Anna Lindqvist <{ANNA}>", "Nej, jag kommer inte.", top=top))
    assert net.answers() == {ANNA: "yes"}
    assert _not_digest(sent) == []
    assert net.reasons() == ["no reply token and sender not authenticated"]


async def test_a_forged_verdict_cannot_make_a_member_leave(net: Network) -> None:
    await net.deliver(INVITE)
    forged = (_receipt(), OUR_NONE, _ar(f"{OURS}; dmarc=pass header.from=teater.fi"))
    sent = await net.deliver(LATER, _mail(ANNA, "avregistrera", subject="leave", top=forged))
    assert net.member(ANNA) == ("active", 0)
    assert _not_digest(sent) == []


async def test_our_servers_aligned_dkim_verdict_above_its_receipt_proves_a_tokenless_reply(net: Network) -> None:
    await net.deliver(INVITE)
    genuine = (("Received", OUR_LMTP),
               _ar(f"{OURS} 1; dkim=pass (2048-bit key; unprotected) header.d=teater.fi header.s=s1; "
                   'spf=pass smtp.mailfrom="anna@teater.fi"'),
               _receipt("mail.teater.fi"),
               _ar(f"{OURS}; dmarc=fail header.from=teater.fi"))  # the sender's own text below: not ours
    sent = await net.deliver(LATER, _mail(f"Anna Lindqvist <{ANNA}>", "Ja, jag kommer.", top=genuine))
    assert net.answers() == {ANNA: "yes"}
    assert ("confirmation", ANNA) in _kinds(sent)


async def test_our_servers_verdict_right_under_its_receipt_proves_a_tokenless_reply(net: Network) -> None:
    """Milters, Gmail and most MTAs insert their verdict right under their own Received header."""
    await net.deliver(INVITE)
    genuine = (("Received", "by 2002:a05:7300:8f0b with SMTP id x1; Fri, 20 Nov 2026"),
               _receipt("mail.teater.fi"), ("Received-SPF", "pass (mx: domain of anna@teater.fi)"),
               _ar(f"{OURS}; dkim=pass header.i=@teater.fi; dmarc=pass (p=NONE) header.from=teater.fi"),
               ("Received", "from [10.0.0.5] by mail.teater.fi with ESMTPSA id 9"))
    sent = await net.deliver(LATER, _mail(f"Anna Lindqvist <{ANNA}>", "Ja, jag kommer.", top=genuine))
    assert net.answers() == {ANNA: "yes"}
    assert ("confirmation", ANNA) in _kinds(sent)


# -- addresses in display names ---------------------------------------------------------------------------


@pytest.mark.parametrize("frm", [
    "=?utf-8?q?Bcc:_victim=40x.fi?= <eve@evil.example>",
    '"victim@x.fi" <eve@evil.example>',
    "=?utf-8?q?victim=40x.fi_=3Ceve=40evil.example=3E?=",
])
async def test_an_address_in_a_display_name_never_gets_mail_or_a_join_request(net: Network, frm: str) -> None:
    await net.deliver(INVITE)
    vouched = (_ar(f"{OURS}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"), _receipt())
    sent = await net.deliver(LATER, _mail(frm, "Jag vill gå med i nätverket.", subject="join", top=vouched))
    assert all(to != "victim@x.fi" for _kind, to in _kinds(sent))
    assert net.store._one("SELECT * FROM join_requests WHERE address = 'victim@x.fi'") is None


async def test_a_members_address_as_an_encoded_display_name_changes_nothing(net: Network) -> None:
    await _anna_said_yes(net)
    vouched = (_ar(f"{OURS}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"), _receipt())
    sent = await net.deliver(LATER, _mail("=?utf-8?q?anna=40teater.fi?= <eve@evil.example>", "Nej, jag kommer inte.",
                                          top=vouched))
    assert net.answers() == {ANNA: "yes"}
    assert _not_digest(sent) == []


# -- bounces ---------------------------------------------------------------------------------------------


def _dsn(failed: str, *, to: str = "natverk@kulturnatverket.fi", original: str = "", when: datetime = LATER,
         headers_part: bool = False) -> bytes:
    """A Postfix-style RFC 3464 report; `original` is the returned message (or its headers)."""
    quoted = ""
    if original:
        ctype = "text/rfc822-headers" if headers_part else "message/rfc822"
        quoted = f"--b\r\nContent-Type: {ctype}\r\n\r\n{original}\r\n"
    return (f"From: MAILER-DAEMON@mx.teater.fi (Mail Delivery System)\r\nTo: {to}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(when)}\r\n"
            f"Message-ID: {make_msgid(domain='mx.teater.fi')}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain\r\n\r\n<{failed}>: host mx.teater.fi said: 550 5.1.1 User unknown\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.teater.fi\r\n\r\n"
            f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            f"{quoted}--b--\r\n").encode()


def _invitation(net: Network, address: str) -> EmailMessage:
    row = next(r for r in net.store.outbox_rows("sent") if r.kind == "invitation" and r.recipient == address)
    envelope = next(e for e in net.transport.sent if e.recipient == address and row.message_id.encode() in e.data)
    msg = message_from_bytes(envelope.data, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


async def test_three_forged_bounces_leave_the_member_active_and_invited(net: Network) -> None:
    await net.deliver(INVITE)
    bo_invitation = _invitation(net, BO)
    forged = [
        _dsn(ANNA),  # no proof at all
        _dsn(ANNA, to=bounce_address("natverk@kulturnatverket.fi", "tp1-0-aaaaaaaaaaaa")),  # a guessed token
        _dsn(ANNA, to=f"natverk+bounce-{net.token(BO, meeting=False)}@kulturnatverket.fi"),  # Bo's token
        _dsn(ANNA, original=f"Message-ID: <tp1-1-abcdefghijkm.invitation.0000@kulturnatverket.fi>\r\nTo: {ANNA}\r\n"
                            "\r\nhello", ),  # an id we never sent
        _dsn(ANNA, original=f"Message-ID: {bo_invitation['Message-ID']}\r\nTo: {ANNA}\r\n", headers_part=True),
    ]
    for day, raw in enumerate(forged):
        sent = await net.deliver(LATER + timedelta(days=day), raw)
        assert _not_digest(sent) == []
    assert net.member(ANNA) == ("active", 0) and net.member(BO) == ("active", 0)
    assert net.reasons().count("a bounce that does not prove it answers our mail") == len(forged)
    assert not [r for r in net.store.outbox_rows() if r.kind == "bounce-notice"]


async def test_a_bounce_to_our_verp_address_counts_and_three_make_the_member_bouncing(net: Network) -> None:
    await net.deliver(INVITE)
    envelope = next(e for e in net.transport.sent if e.recipient == ANNA)
    assert envelope.sender == f"natverk+bounce-{net.token(ANNA, meeting=False)}@kulturnatverket.fi"
    for day in range(3):
        sent = await net.deliver(LATER + timedelta(days=day), _dsn(ANNA, to=envelope.sender))
    assert net.member(ANNA) == ("bouncing", 3)
    assert ("bounce-notice", COORDINATOR) in _kinds(sent)


@pytest.mark.parametrize("headers_part", [False, True], ids=["message-rfc822", "text-rfc822-headers"])
async def test_a_bounce_quoting_our_message_id_to_that_address_counts(net: Network, headers_part: bool) -> None:
    await net.deliver(INVITE)
    invitation = _invitation(net, ANNA)
    original = f"Message-ID: {invitation['Message-ID']}\r\nTo: {ANNA}\r\nSubject: Inbjudan\r\n\r\nHej"
    await net.deliver(LATER, _dsn(ANNA, original=original, headers_part=headers_part))
    assert net.member(ANNA) == ("active", 1)


async def test_a_plain_text_bounce_quoting_our_message_id_counts(net: Network) -> None:
    await net.deliver(INVITE)
    invitation = _invitation(net, ANNA)
    raw = (f"From: MAILER-DAEMON@mx.teater.fi\r\nTo: natverk@kulturnatverket.fi\r\nSubject: failure notice\r\n"
           f"Return-Path: <>\r\nMessage-ID: {make_msgid(domain='mx.teater.fi')}\r\n\r\n"
           "Hi. This is the qmail-send program at mx.teater.fi.\r\nI'm afraid I wasn't able to deliver your "
           f"message to the following addresses.\r\nThis is a permanent error; I've given up. Sorry it didn't "
           f"work out.\r\n\r\n<{ANNA}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
           f"--- Below this line is a copy of the message.\r\n\r\nMessage-ID: {invitation['Message-ID']}\r\n"
           f"To: {ANNA}\r\n\r\nHej\r\n").encode()
    await net.deliver(LATER, raw)
    assert net.member(ANNA) == ("active", 1)


# -- join requests ---------------------------------------------------------------------------------------


async def test_a_join_flood_mails_at_most_the_daily_cap_and_the_rest_wait_in_the_digest(
        tmp_path: Path, config: Config) -> None:
    # the same SQLite in memory: 1,000 mails are 2,000 commits, and this test counts, it does not crash
    net = Network(tmp_path, config, in_memory=True)
    await net.deliver(INVITE)
    flood = [_mail(f"person{i}@victims.example", "Jag vill gå med.", subject="join") for i in range(1000)]
    sent = await net.deliver(LATER, *flood)
    confirmations = [to for kind, to in _kinds(sent) if kind == "join-confirm"]
    assert len(confirmations) == 20 and len(set(confirmations)) == 20
    assert len(net.store.held_join_requests()) == 980
    digest = next(r for r in net.store.outbox_rows() if r.kind == "digest")
    waiting = [m for m in digest.context["messages"] if m["reason"].startswith("join request waits")]
    assert len(waiting) == 980
    # the next day brings no new confirmations for the held ones by itself, and the cap is rolling
    sent = await net.deliver(LATER + timedelta(hours=12), _mail("late@victims.example", "join", subject="join"))
    assert [k for k, _ in _kinds(sent) if k == "join-confirm"] == []
    sent = await net.deliver(LATER + timedelta(hours=25), _mail("next@victims.example", "join", subject="join"))
    assert [to for k, to in _kinds(sent) if k == "join-confirm"] == ["next@victims.example"]
    net.store.close()


# -- topics ----------------------------------------------------------------------------------------------


async def test_a_member_gets_at_most_three_topics_and_the_confirmation_says_so(net: Network) -> None:
    await net.deliver(INVITE)
    body = "Ja, jag kommer.\n" + "\n".join(f"Ärende: förslag nummer {n}" for n in range(1, 6))
    sent = await net.deliver(LATER, _mail(ANNA, body, to=f"natverk+{net.token(ANNA)}@kulturnatverket.fi"))
    meeting = net.store.meeting_on(date(2026, 12, 3))
    assert meeting is not None
    assert [t["text"] for t in net.store.topics(meeting.id)] == [f"förslag nummer {n}" for n in (1, 2, 3)]
    confirmation = next(e for e in sent if e.recipient == ANNA)
    text = message_from_bytes(confirmation.data, policy=default).get_body(("plain",))
    assert text is not None
    assert "högst 3 ärenden per träff" in " ".join(text.get_content().split())  # type: ignore[attr-defined]
    # a later mail adds no fourth one
    await net.deliver(LATER + timedelta(hours=2), _mail(ANNA, "Ärende: ett till",
                                                        to=f"natverk+{net.token(ANNA)}@kulturnatverket.fi"))
    assert len(net.store.topics(meeting.id)) == 3


@pytest.mark.parametrize("language, body, sentence", [
    ("fi", "Kyllä, tulen.\n\nAihe: yhteinen kalenteri\n\nAihe: kesän festivaalit\n\nAihe: markkinointi\n\n"
           "Aihe: rahoitus", "voi ehdottaa tapaamiseen enintään 3 aihetta"),
    ("en", "Yes, I'll be there.\nTopic: shared calendar\nTopic: summer festivals\nTopic: marketing\n"
           "Topic: funding", "can put at most 3 topics on the list for a meeting"),
])
async def test_the_topic_cap_is_explained_in_the_members_language(net: Network, language: str, body: str,
                                                                  sentence: str) -> None:
    net.store.add_member("kim@example.fi", "Kim", language, INVITE - timedelta(days=30))
    await net.deliver(INVITE)
    sent = await net.deliver(LATER, _mail("kim@example.fi", body,
                                          to=f"natverk+{net.token('kim@example.fi')}@kulturnatverket.fi"))
    confirmation = next(e for e in sent if e.recipient == "kim@example.fi")
    msg = message_from_bytes(confirmation.data, policy=default)
    for kind in ("plain", "html"):
        part = msg.get_body((kind,))
        assert part is not None
        assert sentence in " ".join(part.get_content().split())  # type: ignore[attr-defined]


# -- memos -----------------------------------------------------------------------------------------------

NOTES = "Maria Lind berättade om mobilitetsbidragen.\n\nAnna tar fram ett förslag om en gemensam kalender."


def _notes(frm: str, top: tuple[tuple[str, str], ...]) -> bytes:
    body = ("Här kommer anteckningarna.\n\n---------- Vidarebefordrat meddelande ---------\n"
            f"Från: Koordinatorn <{COORDINATOR}>\nDatum: tors 3 dec. 2026 kl 19:10\nÄmne: anteckningar\n\n"
            f"{NOTES}\n")
    return _mail(frm, body, top=top, to="memo@kulturnatverket.fi", subject="Fwd: anteckningar", when=AFTER)


FORGED_FOR_US = (_receipt(), _ar(f"{OURS}; dkim=none; dmarc=fail header.from=kulturnatverket.fi"),
                 _ar(f"{OURS}; dkim=pass header.d=kulturnatverket.fi; dmarc=pass header.from=kulturnatverket.fi"))
GENUINE_FOR_US = (_ar(f"{OURS}; dkim=pass header.d=kulturnatverket.fi; dmarc=pass header.from=kulturnatverket.fi"),
                  _receipt("mail.kulturnatverket.fi"))


async def test_a_forged_approval_sends_no_memo_and_publishes_nothing(net: Network, tmp_path: Path) -> None:
    await net.deliver(INVITE)
    sent = await net.deliver(AFTER, _notes(f"Koordinatorn <{COORDINATOR}>", GENUINE_FOR_US))
    draft = next(e for e in sent if b"X-Traffpunkt-Kind: memo-draft" in e.data)
    subject = str(message_from_bytes(draft.data, policy=default)["Subject"])
    subject_without_token = subject.rpartition(" [")[0]
    attacks = [
        _mail(f"Koordinatorn <{COORDINATOR}>", "OK", top=FORGED_FOR_US, to="memo@kulturnatverket.fi",
              subject=f"Re: {subject_without_token}", when=AFTER),
        _mail(f'"{COORDINATOR}" <eve@evil.example>', "OK", to="memo@kulturnatverket.fi",
              subject=f"Re: {subject_without_token}", when=AFTER,
              top=(_ar(f"{OURS}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"), _receipt())),
        _mail(f"=?utf-8?q?{COORDINATOR.replace('@', '=40')}?= <eve@evil.example>", "godkänn",
              to="memo@kulturnatverket.fi", subject=f"Re: {subject_without_token}", when=AFTER,
              top=(_ar(f"{OURS}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"), _receipt())),
    ]
    sent = await net.deliver(AFTER + timedelta(hours=1), *attacks)
    assert _not_digest(sent) == []
    assert net.store.approved_memos() == []
    assert not [p for p in (tmp_path / "site").rglob("*") if "memo" in p.name]


async def test_without_review_forged_notes_send_no_memo(tmp_path: Path, config: Config) -> None:
    no_review = replace(config, meetings=replace(config.meetings, memo_review=False))
    net = Network(tmp_path, no_review)
    try:
        await net.deliver(INVITE)
        sent = await net.deliver(AFTER, _notes(f"Koordinatorn <{COORDINATOR}>", FORGED_FOR_US))
        assert _not_digest(sent) == [] and net.store.approved_memos() == []
        sent = await net.deliver(AFTER + timedelta(hours=1), _notes(f"Koordinatorn <{COORDINATOR}>", GENUINE_FOR_US))
        assert sorted(to for kind, to in _kinds(sent) if kind == "memo") == [ANNA, BO]
    finally:
        net.store.close()


# -- tokens ----------------------------------------------------------------------------------------------


async def test_a_token_in_the_subject_in_upper_case_still_proves_the_member(net: Network) -> None:
    """Clients may upper-case a subject; the parser reads tokens in lower case, their one canonical spelling."""
    await net.deliver(INVITE)
    await net.deliver(LATER, _mail(ANNA, "Ja", subject=f"Re: Inbjudan [{net.token(ANNA).upper()}]"))
    assert net.answers() == {ANNA: "yes"}


def test_a_token_verifies_only_in_the_spelling_make_writes() -> None:
    from mailer.outbound.tokens import verify

    secret = b"s" * 32
    token = make_token(secret, 42, 7)
    assert verify(secret, token) is not None
    member, rest = token[2:].split("-", 1)
    for variant in (token.upper(), f"tp0{member}-{rest}", f" {token}", f"{token}\n", token.replace("-7-", "-07-")):
        assert verify(secret, variant) is None, variant
