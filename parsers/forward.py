"""Meeting notes from a coordinator's mail: the forwarded content without its forwarding headers or signature,
and a meeting date named in the subject ("Anteckningar 3.12", "Muistio 3.12.2026", "notes 2026-12-03")."""

from __future__ import annotations

import re
from datetime import date

_MARKER = re.compile(
    r"^\s*-{2,}\s*(forwarded message|vidarebefordrat meddelande|välitetty viesti|original message|"
    r"ursprungligt meddelande|alkuperäinen viesti)\s*-{2,}\s*$"
    r"|^\s*(begin forwarded message|början på vidarebefordrat meddelande|välitetty viesti alkaa)\s*:\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^\s*\**(from|från|lähettäjä|date|datum|päivämäärä|sent|skickat|lähetetty|subject|ämne|aihe|to|till|"
    r"vastaanottaja|cc|kopia|reply-to|svara till)\**\s*:",
    re.IGNORECASE,
)
_PHONE_SIGNATURE = re.compile(
    r"^\s*(sent from my .*|skickat från min .*|lähetetty .*(iphone|android|puhelim).*|get outlook for .*|"
    r"hämta outlook för .*|skaffa outlook för .*)\s*$",
    re.IGNORECASE,
)
#: An own text shorter than this above a forward is a cover line ("Här kommer anteckningarna"), not notes.
_COVER_LINE_CHARS = 160

_ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.?(?:(20\d\d)|(\d\d)(?!\d))?(?![\d])")


def _without_signature(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.rstrip() in ("--", "-- ") or line == "-- ":
            break
        if _PHONE_SIGNATURE.match(line):
            continue
        out.append(line)
    return out


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def forwarded_notes(text: str) -> str | None:
    """The content of the first forwarded message in `text` (headers and signature removed), or None.

    A cover text of the coordinator's own above the forward is kept only when it is more than a line or
    two: then it is part of the notes.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _MARKER.match(line)), None)
    if start is None:
        return None
    own = _tidy(_without_signature(lines[:start]))
    rest = lines[start + 1 :]
    i = 0
    while i < len(rest) and (
        not rest[i].strip()
        or _HEADER.match(rest[i])
        or (i > 0 and rest[i][:1] in " \t" and _HEADER.match(rest[i - 1] or ""))
    ):
        i += 1
    body = rest[i:]
    if body and all(not line.strip() or line.startswith(">") for line in body):
        body = [line[1:].removeprefix(" ") if line.startswith(">") else line for line in body]
    notes = _tidy(_without_signature(body))
    if len(own) > _COVER_LINE_CHARS:
        return f"{own}\n\n{notes}".strip()
    return notes


def plain_notes(text: str) -> str:
    """Notes written directly in the mail: everything above the signature."""
    return _tidy(_without_signature(text.splitlines()))


def date_in_subject(subject: str, today: date) -> date | None:
    """A meeting date the subject names, if any; a day.month without a year is the latest one not after today."""
    m = _ISO.search(subject)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    for m in _DOTTED.finditer(subject):
        day, month = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else (2000 + int(m.group(4)) if m.group(4) else None)
        try:
            if year is not None:
                return date(year, month, day)
            candidate = date(today.year, month, day)
            return candidate if candidate <= today else date(today.year - 1, month, day)
        except ValueError:
            continue
    return None
