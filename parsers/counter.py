"""Read an iCalendar METHOD:COUNTER (RFC 5546 §3.2.7, "propose a new time"): the time the attendee proposes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from icalendar import Calendar

#: A calendar larger than this is not read (a COUNTER is a few hundred bytes).
MAX_CALENDAR_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class CounterProposal:
    """The new time one attendee proposes for an event; ISO times ("" when the COUNTER left one out)."""

    uid: str | None
    start: str
    end: str
    comment: str

    def describe(self) -> str:
        """`start/end` as an ISO 8601 interval (what ParsedReply.why["counter"] holds)."""
        return f"{self.start}/{self.end}"


def _iso(value: object) -> str:
    moment = getattr(value, "dt", value)
    if isinstance(moment, datetime | date):
        return moment.isoformat()
    return ""


def read_counter(calendar_text: str) -> CounterProposal | None:
    """The proposal in `calendar_text`, or None when it is no METHOD:COUNTER with a VEVENT."""
    if len(calendar_text) > MAX_CALENDAR_CHARS or "COUNTER" not in calendar_text.upper():
        return None
    try:
        calendar = Calendar.from_ical(calendar_text)
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if str(calendar.get("METHOD", "")).strip().upper() != "COUNTER":
        return None
    for component in calendar.walk("VEVENT"):
        uid = component.get("UID")
        return CounterProposal(
            uid=str(uid) if uid is not None else None,
            start=_iso(component.get("DTSTART")),
            end=_iso(component.get("DTEND")),
            comment=" ".join(str(component.get("COMMENT") or "").split())[:500],
        )
    return None


def parse_interval(text: str) -> tuple[datetime | None, datetime | None]:
    """`start/end` (as `describe` writes it) back to datetimes; a part that does not parse is None."""
    out: list[datetime | None] = []
    for part in (text.split("/", 1) + [""])[:2]:
        try:
            out.append(datetime.fromisoformat(part) if part else None)
        except ValueError:
            out.append(None)
    return out[0], out[1]
