"""Read an iCalendar METHOD:REPLY (iMIP, RFC 6047) answer: the attendee's PARTSTAT, UID, SEQUENCE, guests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from icalendar import Calendar

PARTSTAT_RSVP = {"ACCEPTED": "yes", "DECLINED": "no", "TENTATIVE": "maybe"}
# icalendar costs ~30 us a line: only the lines a REPLY is read from are handed to it, and at most so many.
_KEPT = frozenset({"BEGIN", "END", "METHOD", "ATTENDEE", "UID", "SEQUENCE", "VERSION"})
MAX_CALENDAR_LINES = 300
MAX_ATTENDEES = 100
_FOLD = re.compile(r"\r?\n[ \t]")


def _essential(calendar_text: str) -> str:
    """The unfolded lines of `calendar_text` that name a component or a property read here (bounded), with
    the components a truncated calendar left open closed."""
    kept: list[str] = []
    open_components: list[str] = []
    attendees = 0
    for line in _FOLD.sub("", calendar_text).splitlines():
        name = line[:64].split(":", 1)[0].split(";", 1)[0].strip().upper()
        if name == "ATTENDEE":
            attendees += 1
            if attendees > MAX_ATTENDEES:
                continue
        if name in _KEPT:
            kept.append(line)
            value = line.partition(":")[2].strip().upper()
            if name == "BEGIN":
                open_components.append(value)
            elif name == "END" and value in open_components:
                del open_components[len(open_components) - 1 - open_components[::-1].index(value) :]
            if len(kept) >= MAX_CALENDAR_LINES:
                break
    kept += [f"END:{component}" for component in reversed(open_components[:MAX_CALENDAR_LINES])]
    return "\r\n".join(kept) + "\r\n"


@dataclass(frozen=True, slots=True)
class ImipReply:
    """One attendee's answer from a METHOD:REPLY calendar."""

    partstat: str
    uid: str | None
    sequence: int | None
    attendee: str | None
    guests: int

    @property
    def rsvp(self) -> str | None:
        """The RSVP ("yes", "no", "maybe") of ACCEPTED, DECLINED, TENTATIVE; None otherwise."""
        return PARTSTAT_RSVP.get(self.partstat)


def _mailto(value: object) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    return re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).strip().casefold() or None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def read_reply(calendar_text: str, sender: str | None = None) -> ImipReply | None:
    """The REPLY in `calendar_text`, or None when it is no METHOD:REPLY or has no ATTENDEE with PARTSTAT.

    With several attendees, the one matching `sender` (lower-cased address) wins.
    """
    if "VCALENDAR" not in calendar_text.upper():
        return None
    try:
        calendar = Calendar.from_ical(_essential(calendar_text))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if str(calendar.get("METHOD", "")).strip().upper() != "REPLY":
        return None
    for component in calendar.walk():
        if component.name not in ("VEVENT", "VTODO"):
            continue
        attendees = component.get("ATTENDEE")
        if attendees is None:
            continue
        candidates = attendees if isinstance(attendees, list) else [attendees]
        chosen = None
        for attendee in candidates:
            if sender and _mailto(attendee) == sender:
                chosen = attendee
                break
        if chosen is None:
            chosen = candidates[0]
        params = getattr(chosen, "params", {})
        partstat = str(params.get("PARTSTAT", "")).strip().upper()
        if not partstat:
            continue
        guests = _int(params.get("X-NUM-GUESTS", "0")) or 0
        return ImipReply(
            partstat=partstat,
            uid=str(component.get("UID")) if component.get("UID") is not None else None,
            sequence=_int(component.get("SEQUENCE", "")),
            attendee=_mailto(chosen),
            guests=max(guests, 0),
        )
    return None
