"""A Google-Calendar-like "propose a new time" mail (METHOD:COUNTER) for the tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

COUNTER = """BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
METHOD:COUNTER\r
BEGIN:VEVENT\r
DTSTART:20261203T160000Z\r
DTEND:20261203T180000Z\r
UID:traffpunkt-2026-12-03@kulturnatverket.fi\r
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Anna:mailto:anna@teater.fi\r
COMMENT:Kan vi börja en timme senare?\r
SEQUENCE:0\r
END:VEVENT\r
END:VCALENDAR\r
"""


def counter_mail(sender: str = "anna@teater.fi", to: str = "natverk@kulturnatverket.fi") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"Anna <{sender}>"
    msg["To"] = to
    msg["Subject"] = "Ny tid föreslagen: Nätverksträff"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Message-ID"] = "<counter-1@google.example>"
    msg.set_content("Anna har föreslagit en ny tid. Ja, det passar bättre för mig.")
    msg.add_alternative(COUNTER, subtype="calendar", params={"method": "COUNTER"})
    return msg.as_bytes()
