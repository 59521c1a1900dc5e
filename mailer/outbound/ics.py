"""iCalendar for meetings (pure): invitations (REQUEST), cancellations (CANCEL) and the public series feed."""

# VTIMEZONE blocks are written the way Outlook and Google write them (one STANDARD and one DAYLIGHT with a
# yearly RRULE), derived from the zone's POSIX rule; zones whose rule cannot be read fall back to icalendar's.

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import TZPATH, ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vRecur,
    vText,
)

from mailer import __version__
from mailer.config import Config
from mailer.models import Meeting

PRODID = f"-//traffpunkt//traffpunkt {__version__}//EN"

#: Words used in DESCRIPTION, per language.
LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "theme": "Tema",
        "speaker": "Gäst",
        "online": "Delta på distans",
        "info": "Mer information",
        "answer": "Svara JA, NEJ eller KANSKE genom att svara på e-postmeddelandet.",
        "cancelled": "INSTÄLLD",
    },
    "fi": {
        "theme": "Teema",
        "speaker": "Vieras",
        "online": "Osallistu etänä",
        "info": "Lisätietoja",
        "answer": "Vastaa KYLLÄ, EI tai EHKÄ vastaamalla sähköpostiviestiin.",
        "cancelled": "PERUTTU",
    },
    "en": {
        "theme": "Theme",
        "speaker": "Guest speaker",
        "online": "Join online",
        "info": "More information",
        "answer": "Answer YES, NO or MAYBE by replying to the e-mail.",
        "cancelled": "CANCELLED",
    },
}

_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX weekday numbers: 0 = Sunday
_POSIX = re.compile(
    r"(?P<std><[^>]+>|[A-Za-z]{3,})(?P<stdoff>[+-]?\d{1,2}(?::\d{2}){0,2})"
    r"(?:(?P<dst><[^>]+>|[A-Za-z]{3,})(?P<dstoff>[+-]?\d{1,2}(?::\d{2}){0,2})?"
    r",M(?P<m1>\d{1,2})\.(?P<w1>[1-5])\.(?P<d1>[0-6])(?:/(?P<t1>\d{1,2}(?::\d{2}){0,2}))?"
    r",M(?P<m2>\d{1,2})\.(?P<w2>[1-5])\.(?P<d2>[0-6])(?:/(?P<t2>\d{1,2}(?::\d{2}){0,2}))?)?$"
)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _posix_rule(tzid: str) -> str | None:
    """The POSIX TZ string at the end of the zone's TZif file, found where zoneinfo finds it."""
    data: bytes | None = None
    for base in TZPATH:  # the system zoneinfo first, as ZoneInfo does, then the tzdata package
        try:
            with open(f"{base}/{tzid}", "rb") as f:
                data = f.read()
            break
        except OSError:
            continue
    if data is None:
        try:
            data = resources.files("tzdata.zoneinfo").joinpath(*tzid.split("/")).read_bytes()
        except (ModuleNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    footer = data[:-1].rpartition(b"\n")[2]
    return footer.decode("ascii", "replace") or None


def _nth_weekday(year: int, month: int, week: int, weekday: int) -> date:
    """The `week`-th (5 = last) POSIX weekday (0 = Sunday) of the month."""
    first = date(year, month, 1)
    offset = (weekday - (first.isoweekday() % 7)) % 7
    day = first + timedelta(days=offset + 7 * (week - 1))
    while day.month != month:
        day -= timedelta(days=7)
    return day


def _offset(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _rule_part(
    kind: type[TimezoneStandard] | type[TimezoneDaylight],
    name: str,
    off_from: int,
    off_to: int,
    month: int,
    week: int,
    weekday: int,
    at: int,
) -> TimezoneStandard | TimezoneDaylight:
    part = kind()
    day = _nth_weekday(1970, month, week, weekday)
    part.add("dtstart", datetime(1970, month, day.day) + timedelta(seconds=at))
    part.add("tzoffsetfrom", _offset(off_from))
    part.add("tzoffsetto", _offset(off_to))
    part.add("tzname", name)
    part.add(
        "rrule",
        vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{-1 if week == 5 else week}{_DAYS[weekday]}"}),
    )
    return part


@lru_cache(maxsize=64)
def vtimezone(tzid: str) -> Timezone:
    """A VTIMEZONE for an IANA zone, in the RRULE form every calendar client understands.
    Cached: treat the result as read-only (Calendar.add_component does not change it)."""
    rule = _posix_rule(tzid)
    m = _POSIX.match(rule) if rule else None
    if m is None:  # an unusual rule: let icalendar spell out the transitions of a fixed span
        return Timezone.from_tzinfo(
            ZoneInfo(tzid), tzid, first_date=date(2020, 1, 1), last_date=date(2040, 1, 1)
        )
    tz = Timezone()
    tz.add("tzid", tzid)
    std_name = m["std"].strip("<>")
    std = -_seconds(m["stdoff"])  # POSIX offsets count west of Greenwich
    if not m["dst"]:
        part = TimezoneStandard()
        part.add("dtstart", datetime(1970, 1, 1))
        part.add("tzoffsetfrom", _offset(std))
        part.add("tzoffsetto", _offset(std))
        part.add("tzname", std_name)
        tz.add_component(part)
        return tz
    dst = -_seconds(m["dstoff"]) if m["dstoff"] else std + 3600
    dst_name = m["dst"].strip("<>")
    tz.add_component(
        _rule_part(
            TimezoneDaylight,
            dst_name,
            std,
            dst,
            int(m["m1"]),
            int(m["w1"]),
            int(m["d1"]),
            _seconds(m["t1"] or "2"),
        )
    )
    tz.add_component(
        _rule_part(
            TimezoneStandard,
            std_name,
            dst,
            std,
            int(m["m2"]),
            int(m["w2"]),
            int(m["d2"]),
            _seconds(m["t2"] or "2"),
        )
    )
    return tz


def _labels(language: str | None, config: Config) -> dict[str, str]:
    return LABELS.get(language or config.network.language, LABELS["en"])


def organizer(config: Config) -> vCalAddress:
    """The list address (a mailbox the daemon reads), named after the network."""
    org = vCalAddress(f"mailto:{config.network.list_address}")
    org.params["CN"] = vText(config.network.from_name or config.network.name)
    return org


def location(meeting: Meeting) -> str:
    return ", ".join(p for p in (meeting.place, meeting.address) if p)


def description(
    meeting: Meeting, config: Config, language: str | None = None, answer_hint: bool = True
) -> str:
    """A short plain-text description of the meeting for the calendar entry."""
    words = _labels(language, config)
    lines = []
    if meeting.theme:
        lines.append(f"{words['theme']}: {meeting.theme}")
    if meeting.guest_speaker:
        lines.append(f"{words['speaker']}: {meeting.guest_speaker}")
    if meeting.online_link:
        lines.append(f"{words['online']}: {meeting.online_link}")
    if config.network.public_url:
        lines.append(f"{words['info']}: {config.network.public_url}")
    if answer_hint:
        lines.append(words["answer"])
    return "\n".join(lines)


def summary(meeting: Meeting, config: Config) -> str:
    title = config.meetings.title or config.network.name
    return f"{title}: {meeting.theme}" if meeting.theme else title


def meeting_event(
    meeting: Meeting,
    config: Config,
    *,
    stamp: datetime | None = None,
    language: str | None = None,
    sequence: int | None = None,
    answer_hint: bool = True,
) -> Event:
    """The VEVENT of one meeting (no attendees). `stamp` (DTSTAMP) defaults to the meeting's start, so a
    feed built twice from the same data is byte-identical."""
    tz = ZoneInfo(config.network.timezone)
    ev = Event()
    ev.add("uid", meeting.uid)
    ev.add("dtstamp", (stamp or meeting.start).astimezone(UTC))
    ev.add("dtstart", meeting.start.astimezone(tz))
    ev.add("dtend", meeting.end.astimezone(tz))
    ev.add("sequence", meeting.sequence if sequence is None else sequence)
    ev.add("summary", summary(meeting, config))
    ev.add("location", location(meeting))
    desc = description(meeting, config, language, answer_hint)
    if desc:
        ev.add("description", desc)
    if config.network.public_url:
        ev.add("url", config.network.public_url)
    ev.add("organizer", organizer(config))
    ev.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    return ev


def attendee(name: str, address: str) -> vCalAddress:
    a = vCalAddress(f"mailto:{address}")
    a.params["CUTYPE"] = "INDIVIDUAL"
    a.params["ROLE"] = "REQ-PARTICIPANT"
    a.params["PARTSTAT"] = "NEEDS-ACTION"
    a.params["RSVP"] = "TRUE"
    if name:
        a.params["CN"] = vText(_param_text(name))
    return a


def _calendar(method: str, meeting: Meeting, config: Config, event: Event) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(vtimezone(config.network.timezone))
    cal.add_component(event)
    return cal


def request(
    meeting: Meeting,
    config: Config,
    *,
    attendees: Sequence[tuple[str, str]] = (),
    stamp: datetime | None = None,
    language: str | None = None,
    sequence: int | None = None,
) -> Calendar:
    """A METHOD:REQUEST calendar (invitation or update) for the given (name, address) attendees."""
    ev = meeting_event(meeting, config, stamp=stamp, language=language, sequence=sequence)
    for name, address in attendees:
        ev.add("attendee", attendee(name, address))
    # The series is the whole network's: one member's "Propose new time" (iMIP COUNTER) cannot move it,
    # so Outlook is told not to offer it; a member who cannot come at that time answers no or asks.
    ev.add("x-microsoft-disallow-counter", "TRUE")
    return _calendar("REQUEST", meeting, config, ev)


def cancel(
    meeting: Meeting,
    config: Config,
    *,
    attendees: Sequence[tuple[str, str]] = (),
    stamp: datetime | None = None,
    language: str | None = None,
    sequence: int | None = None,
) -> Calendar:
    """A METHOD:CANCEL calendar: STATUS:CANCELLED; the SEQUENCE must be higher than the last REQUEST's
    (the planner bumps it when it stores the cancellation)."""
    ev = meeting_event(meeting, config, stamp=stamp, language=language, sequence=sequence, answer_hint=False)
    ev["status"] = vText("CANCELLED")
    for name, address in attendees:
        ev.add("attendee", attendee(name, address))
    return _calendar("CANCEL", meeting, config, ev)


def series_calendar(
    meetings: Iterable[Meeting], config: Config, *, language: str | None = None, stamp: datetime | None = None
) -> bytes:
    """The public feed (METHOD:PUBLISH): one VEVENT per meeting, cancelled ones marked CANCELLED."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", config.meetings.title or config.network.name)
    cal.add("x-wr-timezone", config.network.timezone)
    cal.add_component(vtimezone(config.network.timezone))
    for meeting in sorted(meetings, key=lambda m: m.start):
        cal.add_component(meeting_event(meeting, config, stamp=stamp, language=language, answer_hint=False))
    return bytes(cal.to_ical())


# -- fast per-member pieces ---------------------------------------------------------------------------


_PARAM_SAFE = {**{c: " " for c in range(32)}, 0x7F: " ", ord('"'): "'"}


def _param_text(value: str) -> str:
    """A parameter value may not hold DQUOTE or control characters (RFC 5545 3.2)."""
    return value.translate(_PARAM_SAFE).strip()


def fold(line: bytes) -> bytes:
    """Fold one content line at 75 octets without splitting a UTF-8 character; CRLF at the end."""
    if len(line) <= 75:
        return line + b"\r\n"
    out = []
    limit = 75
    while len(line) > limit:
        cut = limit
        while cut > 0 and (line[cut] & 0xC0) == 0x80:  # never inside a multi-byte character
            cut -= 1
        out.append(line[:cut])
        line = line[cut:]
        limit = 74  # continuation lines start with a space
    out.append(line)
    return b"\r\n ".join(out) + b"\r\n"


def attendee_line(name: str, address: str) -> bytes:
    """The folded ATTENDEE content line for one member (what differs between members' invitations)."""
    cn = _param_text(name)
    params = "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"
    if cn:
        params += f';CN="{cn}"' if any(c in cn for c in ";:,") else f";CN={cn}"
    return fold(f"{params}:mailto:{address}".encode())


def split_for_attendee(cal: Calendar) -> tuple[bytes, bytes]:
    """Serialise a one-event calendar without attendees into (before, after) so that
    before + attendee_line(...) + after is the member's calendar."""
    data = bytes(cal.to_ical())
    marker = b"END:VEVENT\r\n"
    at = data.rindex(marker)
    return data[:at], data[at:]
