"""Calendar data that Outlook, Google and Apple read the same way: zones, folding, REQUEST, CANCEL, feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from mailer import PROJECT_ROOT
from mailer.config import Config, load_config
from mailer.models import Meeting
from mailer.outbound import ics

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def config() -> Config:
    return load_config(PROJECT_ROOT / "config" / "network.example.toml")


def meeting(day: date, hour: int = 17, sequence: int = 0, cancelled: bool = False) -> Meeting:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=HELSINKI)
    return Meeting(
        id=1,
        date=day,
        uid=f"traffpunkt-{day}@kulturnatverket.fi",
        sequence=sequence,
        start=start,
        end=start + timedelta(hours=2),
        place="Kulturhuset Caisa",
        address="Kajsaniemigatan 4",
        online_link=None,
        theme=None,
        guest_speaker=None,
        cancelled=cancelled,
        fingerprint="",
    )


def test_vtimezone_uses_yearly_rules_like_outlook_writes_them() -> None:
    tz = ics.vtimezone("Europe/Helsinki")
    daylight, standard = tz.walk("DAYLIGHT")[0], tz.walk("STANDARD")[0]
    assert daylight["RRULE"].to_ical() in (
        b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        b"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    )
    assert daylight.decoded("DTSTART") == datetime(1970, 3, 29, 3, 0)
    assert standard.decoded("DTSTART") == datetime(1970, 10, 25, 4, 0)
    assert "RDATE" not in daylight and "RDATE" not in standard


@pytest.mark.parametrize("day", [date(2026, 3, 5), date(2026, 4, 2), date(2026, 10, 1), date(2026, 11, 5)])
def test_a_17_oclock_meeting_is_17_local_on_both_sides_of_dst(config: Config, day: date) -> None:
    cal = icalendar.Calendar.from_ical(
        ics.request(meeting(day), config, stamp=datetime(2026, 1, 1, tzinfo=UTC)).to_ical()
    )
    start = cal.walk("VEVENT")[0].decoded("DTSTART")
    assert (start.hour, start.minute) == (17, 0)
    assert start.astimezone(HELSINKI).hour == 17


def test_a_zone_without_dst_gets_one_standard_block() -> None:
    tz = ics.vtimezone("Asia/Kolkata")
    assert len(tz.walk("STANDARD")) == 1 and not tz.walk("DAYLIGHT")
    assert tz.walk("STANDARD")[0].decoded("TZOFFSETTO") == timedelta(hours=5, minutes=30)


def test_an_unusual_zone_rule_still_gets_a_vtimezone() -> None:
    tz = ics.vtimezone("America/Nuuk")  # its POSIX rule has a negative transition time
    assert tz["TZID"] == "America/Nuuk"
    assert tz.walk("STANDARD") or tz.walk("DAYLIGHT")


def test_fold_never_splits_a_utf8_character_and_keeps_lines_within_75_octets() -> None:
    line = ("DESCRIPTION:" + "åäö€" * 40).encode()
    folded = ics.fold(line)
    assert folded.endswith(b"\r\n")
    for piece in folded.split(b"\r\n")[:-1]:
        assert len(piece) <= 75
        piece.decode("utf-8")  # raises if a character was cut
    assert folded.replace(b"\r\n ", b"") == line + b"\r\n"


def test_attendee_line_reads_back_as_icalendar_writes_it() -> None:
    raw = ics.attendee_line('Åsa "Ö" Öberg, Kulturhuset: scen', "asa@example.org")
    prop = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + raw + b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).walk("VEVENT")[0]["ATTENDEE"]
    assert str(prop) == "mailto:asa@example.org"
    assert prop.params["CN"] == "Åsa 'Ö' Öberg, Kulturhuset: scen"
    assert prop.params["RSVP"] == "TRUE"


def test_cancel_marks_the_event_cancelled(config: Config) -> None:
    cal = ics.cancel(meeting(date(2026, 12, 3), sequence=2, cancelled=True), config)
    assert cal["METHOD"] == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2


def test_series_calendar_is_a_stable_publish_feed(config: Config) -> None:
    meetings = [
        meeting(date(2026, 12, 3)),
        meeting(date(2026, 11, 5)),
        meeting(date(2027, 1, 7), cancelled=True),
    ]
    data = ics.series_calendar(meetings, config)
    assert data == ics.series_calendar(list(reversed(meetings)), config)
    cal = icalendar.Calendar.from_ical(data)
    assert cal["METHOD"] == "PUBLISH"
    events = cal.walk("VEVENT")
    assert [e.decoded("DTSTART").date() for e in events] == [
        date(2026, 11, 5),
        date(2026, 12, 3),
        date(2027, 1, 7),
    ]
    assert events[-1]["STATUS"] == "CANCELLED"
    assert len(cal.walk("VTIMEZONE")) == 1
    assert data.count(b"\n") == data.count(b"\r\n")
    assert str(events[0]["URL"]) == "https://kulturnatverket.fi/traffar"


def test_invitation_tells_outlook_not_to_offer_propose_new_time(config: Config) -> None:
    raw = ics.request(meeting(date(2026, 12, 3)), config, attendees=[("Anna", "anna@example.fi")]).to_ical()
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["X-MICROSOFT-DISALLOW-COUNTER"]) == "TRUE"
    cancel = ics.cancel(meeting(date(2026, 12, 3), sequence=1, cancelled=True), config).to_ical()
    assert b"DISALLOW-COUNTER" not in cancel
