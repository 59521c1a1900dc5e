"""Auto-replies, list mail, bounces and calendar answers are told apart from a member's written reply."""

from __future__ import annotations

import pytest
from _mails import calendar_reply, multipart, plain

from parsers import parse_reply

OOO_SV = "Hej!\n\nJag är på semester och kommer tillbaka 5.12. Vid brådskande ärenden ring växeln.\n\nAnna"


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "X-MS-Exchange-Inbox-Rules-Loop: anna@example.com",
        "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",
    ],
)
def test_machine_headers_make_an_auto_reply(extra: str) -> None:
    reply = parse_reply(plain("Ja, jag kommer!", extra=extra))
    assert reply.category == "auto_reply"
    assert reply.rsvp is None
    assert reply.reason


def test_auto_submitted_no_is_a_person() -> None:
    assert parse_reply(plain("Ja, jag kommer!", extra="Auto-Submitted: no")).category == "reply"


def test_x_auto_response_suppress_is_ours_and_no_marker() -> None:
    reply = parse_reply(plain("Ja, jag kommer!", extra="X-Auto-Response-Suppress: All"))
    assert (reply.category, reply.rsvp) == ("reply", "yes")


@pytest.mark.parametrize(
    "subject",
    [
        "Automatiskt svar: Inbjudan till träffen",
        "Frånvaromeddelande",
        "Poissaolo: Kutsu",
        "Automaattinen vastaus: Kutsu",
        "Out of Office: Invitation",
        "Automatic reply: Invitation",
        "Autosvar: Inbjudan",
        "Abwesenheitsnotiz: Einladung",
    ],
)
def test_exchange_out_of_office_without_auto_submitted_is_an_auto_reply(subject: str) -> None:
    reply = parse_reply(plain(OOO_SV, subject=subject))
    assert reply.category == "auto_reply"
    assert reply.rsvp is None


def test_out_of_office_coming_back_is_not_a_yes() -> None:
    reply = parse_reply(
        plain(OOO_SV, subject="Automatiskt svar: Inbjudan", extra="Auto-Submitted: auto-replied")
    )
    assert (reply.category, reply.rsvp, reply.language) == ("auto_reply", None, "sv")


def test_list_mail_is_flagged_and_not_an_rsvp() -> None:
    reply = parse_reply(plain("Yes! Great news everyone.", extra="List-Id: <kultur.lists.example.org>"))
    assert reply.is_list_mail
    assert reply.category == "auto_reply"
    assert reply.rsvp is None


def test_google_calendar_accept_with_auto_submitted_is_a_real_rsvp() -> None:
    raw = multipart(
        [
            (
                "text/plain; charset=UTF-8",
                "Anna Andersson has accepted this invitation.\n\nInvitation from Google Calendar",
            ),
            (
                "text/calendar; charset=UTF-8; method=REPLY",
                calendar_reply("ACCEPTED", extra_param="X-NUM-GUESTS=1"),
            ),
        ],
        subtype="mixed",
        subject="Accepted: Träffpunkt december @ Thu 3 Dec 2026",
        extra="Auto-Submitted: auto-generated",
    )
    reply = parse_reply(raw)
    assert (reply.category, reply.rsvp, reply.guests, reply.body) == ("reply", "yes", 1, "")
    assert reply.imip is not None
    assert (reply.imip.partstat, reply.imip.uid, reply.imip.sequence) == (
        "ACCEPTED",
        "meeting-7@example.org",
        2,
    )
    assert reply.imip.attendee == "anna.andersson@example.com"
    assert reply.to_json_dict()["imip_partstat"] == "ACCEPTED"


@pytest.mark.parametrize(
    ("partstat", "rsvp"), [("DECLINED", "no"), ("TENTATIVE", "maybe"), ("NEEDS-ACTION", None)]
)
def test_calendar_partstat_gives_the_rsvp(partstat: str, rsvp: str | None) -> None:
    raw = multipart(
        [("text/calendar; method=REPLY; charset=UTF-8", calendar_reply(partstat))], subtype="mixed"
    )
    reply = parse_reply(raw)
    assert (reply.category, reply.rsvp) == ("reply", rsvp)


def test_ics_attachment_reply_from_outlook_is_read() -> None:
    raw = multipart(
        [
            ("text/plain; charset=utf-8", "Jag kommer gärna!"),
            ('application/ics; name="invite.ics"', calendar_reply("ACCEPTED")),
        ],
        subtype="mixed",
    )
    reply = parse_reply(raw)
    assert (reply.rsvp, reply.body, reply.language) == ("yes", "Jag kommer gärna!", "sv")


def test_calendar_reply_without_attendee_is_not_an_imip_answer() -> None:
    ics = calendar_reply("ACCEPTED").replace("ATTENDEE;", "X-NOT-ATTENDEE;")
    reply = parse_reply(multipart([("text/calendar; method=REPLY", ics)], subtype="mixed"))
    assert reply.imip is None
    assert reply.rsvp is None


DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: natverk@example.org
Subject: Undelivered Mail Returned to Sender
Date: Tue, 24 Nov 2026 10:15:00 +0100
Message-ID: <dsn-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org. I'm sorry to have to inform you that your message could
not be delivered. Yes, it failed.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone.Member@Example.com
Original-Recipient: rfc822;Gone.Member@Example.com
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status} mailbox problem

--B
Content-Type: message/rfc822

From: Traffpunkt <natverk+tp42-7-abcdefghjkmn@example.org>
Subject: Inbjudan
Message-ID: <tp42-7-abcdefghjkmn.invitation.1.x@example.org>

Svara JA, NEJ eller KANSKE.
--B--
"""


def test_hard_dsn_bounce_names_the_failed_recipient_and_is_permanent() -> None:
    reply = parse_reply(DSN.format(action="failed", status="5.1.1").encode())
    assert reply.category == "bounce"
    assert reply.failed_recipients == ("gone.member@example.com",)
    assert reply.bounce_permanent is True
    assert (reply.rsvp, reply.language) == (None, None)


def test_delayed_dsn_is_a_temporary_bounce() -> None:
    reply = parse_reply(DSN.format(action="delayed", status="4.2.2").encode())
    assert (reply.category, reply.bounce_permanent) == ("bounce", False)


def test_success_dsn_is_no_bounce() -> None:
    reply = parse_reply(DSN.format(action="delivered", status="2.0.0").encode())
    assert reply.category != "bounce"
    assert reply.rsvp is None


QMAIL = """From: MAILER-DAEMON@mail.example.net
To: natverk@example.org
Subject: failure notice
Date: Tue, 24 Nov 2026 10:15:00 +0100

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody.here@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Subject: Inbjudan
Svara JA, NEJ eller KANSKE.
"""


def test_qmail_bounce_is_read_through_flufl_bounce() -> None:
    reply = parse_reply(QMAIL.encode())
    assert reply.category == "bounce"
    assert reply.failed_recipients == ("nobody.here@example.net",)
    assert reply.rsvp is None


def test_exim_x_failed_recipients_header_is_a_bounce() -> None:
    raw = plain(
        "This message was created automatically by mail delivery software.\n\n"
        "A message could not be delivered.",
        sender="Mail Delivery System <Mailer-Daemon@exim.example.net>",
        subject="Mail delivery failed: returning message to sender",
        extra="X-Failed-Recipients: lost@example.net",
    )
    reply = parse_reply(raw)
    assert (reply.category, reply.failed_recipients) == ("bounce", ("lost@example.net",))
