"""Small builders of raw mails (bytes) for the parsers tests, written the way clients write them."""

from __future__ import annotations

import base64
import quopri

TOKEN = "tp42-7-abcdefghjkmn"

INVITATION_SV = """Hej Anna!

Välkommen till nätverkets träff torsdag 3 december kl. 17.30.
Svara JA, NEJ eller KANSKE på det här mejlet.
Skriv gärna Kost: om du har specialkost och Ärende: om du vill ta upp något.
Vi blir fler om du tar med en kollega!

Hälsningar
Träffpunkt"""


def quoted(text: str) -> str:
    """`text` as "> " quoted lines."""
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def headers(
    *,
    subject: str = f"Re: Inbjudan till träffen [{TOKEN}]",
    sender: str = "Anna Andersson <Anna.Andersson@Example.com>",
    to: str = f"Träffpunkt <natverk+{TOKEN}@example.org>",
    extra: str = "",
) -> str:
    """A reply's header block (no trailing blank line)."""
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Tue, 24 Nov 2026 10:15:00 +0100",
        "Message-ID: <reply-1@example.com>",
        f"In-Reply-To: <{TOKEN}.invitation.1.x@example.org>",
        f"References: <{TOKEN}.invitation.1.x@example.org>",
        "MIME-Version: 1.0",
    ]
    if extra:
        lines.append(extra.strip("\n"))
    return "\n".join(lines)


def plain(
    body: str,
    *,
    charset: str = "utf-8",
    cte: str = "8bit",
    crlf: bool = False,
    flowed: bool = False,
    **kwargs: str,
) -> bytes:
    """A single-part text/plain reply."""
    data = (
        body.encode(charset, errors="replace")
        if charset.isascii() and charset != "x-unknown"
        else body.encode()
    )
    if cte == "quoted-printable":
        payload = quopri.encodestring(data).decode("ascii")
    elif cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    else:
        payload = data.decode(charset if charset != "x-unknown" else "utf-8", errors="replace")
    ctype = f"text/plain; charset={charset}" + ("; format=flowed" if flowed else "")
    text = f"{headers(**kwargs)}\nContent-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n\n{payload}\n"
    raw = text.encode(charset if cte == "8bit" and charset != "x-unknown" else "utf-8", errors="replace")
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def html_only(html: str, **kwargs: str) -> bytes:
    """An HTML-only reply (Outlook), base64 UTF-8."""
    payload = base64.encodebytes(html.encode()).decode("ascii")
    head = headers(**kwargs)
    mime = "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64"
    return f"{head}\n{mime}\n\n{payload}".encode()


def multipart(parts: list[tuple[str, str]], *, subtype: str = "alternative", **kwargs: str) -> bytes:
    """A multipart reply; each part is (content-type line value, decoded UTF-8 text)."""
    boundary = "==b0undary=="
    chunks = [f'{headers(**kwargs)}\nContent-Type: multipart/{subtype}; boundary="{boundary}"\n']
    for ctype, text in parts:
        payload = quopri.encodestring(text.encode()).decode("ascii")
        chunks.append(
            f"--{boundary}\nContent-Type: {ctype}\nContent-Transfer-Encoding: quoted-printable\n\n{payload}"
        )
    chunks.append(f"--{boundary}--\n")
    return "\n".join(chunks).encode()


def calendar_reply(
    partstat: str, *, attendee: str = "anna.andersson@example.com", extra_param: str = ""
) -> str:
    """A METHOD:REPLY iCalendar text for one attendee."""
    param = f";{extra_param}" if extra_param else ""
    return (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:20261203T153000Z\r\n"
        "DTEND:20261203T173000Z\r\nDTSTAMP:20261124T091500Z\r\n"
        "ORGANIZER;CN=Träffpunkt:mailto:natverk@example.org\r\nUID:meeting-7@example.org\r\n"
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat}{param};CN=Anna\r\n"
        f" Andersson:mailto:{attendee}\r\nSEQUENCE:2\r\nSTATUS:CONFIRMED\r\n"
        "SUMMARY:Träffpunkt december\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
