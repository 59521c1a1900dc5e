"""The meeting series as dates and local times: DST, skips, holidays, overrides."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailer import PROJECT_ROOT
from mailer.config import Meetings, Override, load_config
from mailer.meeting.schedule import at_local, next_occurrence, occurrences

HELSINKI = ZoneInfo("Europe/Helsinki")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
EXAMPLE = PROJECT_ROOT / "config" / "network.example.toml"


def series(**changes: Any) -> Meetings:
    base = Meetings(
        title="Träff", rrule="FREQ=MONTHLY;BYDAY=1TH", first_date=date(2026, 1, 1), start_time=time(17, 0),
        duration_minutes=120, place="Caisa", address="Kajsaniemigatan 4", online_link=None, skip_dates=(),
        holiday_country=None, holiday_subdivision=None, invitation_lead_days=14, reminder_lead_days=2,
        overrides=(),
    )
    return replace(base, **changes)


def by_date(meetings: Meetings, tz: ZoneInfo, start: date, end: date) -> dict[date, Any]:
    return {o.date: o for o in occurrences(meetings, tz, start, end)}


@pytest.mark.parametrize(("tz", "winter", "summer"), [(HELSINKI, 2, 3), (STOCKHOLM, 1, 2)])
def test_monthly_meeting_stays_at_17_local_across_both_dst_changes(tz: ZoneInfo, winter: int,
                                                                   summer: int) -> None:
    occ = by_date(series(), tz, date(2026, 1, 1), date(2026, 12, 31))
    assert sorted(occ) == [date(2026, m, d) for m, d in
                           [(1, 1), (2, 5), (3, 5), (4, 2), (5, 7), (6, 4), (7, 2), (8, 6), (9, 3), (10, 1),
                            (11, 5), (12, 3)]]
    for o in occ.values():
        local = o.start.astimezone(tz)
        assert (local.hour, local.minute) == (17, 0)
        assert o.end - o.start == timedelta(hours=2)
    offsets = {d: occ[d].start.utcoffset() for d in occ}
    # March 5 is before the spring change (Mar 29), April 2 after; Oct 1 before the autumn change (Oct 25).
    assert offsets[date(2026, 3, 5)] == timedelta(hours=winter)
    assert offsets[date(2026, 4, 2)] == timedelta(hours=summer)
    assert offsets[date(2026, 10, 1)] == timedelta(hours=summer)
    assert offsets[date(2026, 11, 5)] == timedelta(hours=winter)
    assert occ[date(2026, 3, 5)].start.isoformat() == f"2026-03-05T17:00:00+0{winter}:00"
    assert occ[date(2026, 4, 2)].start.isoformat() == f"2026-04-02T17:00:00+0{summer}:00"


def test_range_is_inclusive_and_series_starts_at_first_date() -> None:
    m = series(first_date=date(2026, 3, 1))
    assert [o.date for o in occurrences(m, HELSINKI, date(2026, 1, 1), date(2026, 4, 2))] == \
        [date(2026, 3, 5), date(2026, 4, 2)]
    assert [o.date for o in occurrences(m, HELSINKI, date(2026, 3, 5), date(2026, 3, 5))] == \
        [date(2026, 3, 5)]
    assert occurrences(m, HELSINKI, date(2026, 3, 6), date(2026, 4, 1)) == []
    assert occurrences(m, HELSINKI, date(2026, 5, 1), date(2026, 4, 1)) == []


def test_skip_dates_are_returned_as_cancelled_not_dropped() -> None:
    occ = by_date(series(skip_dates=(date(2026, 7, 2),)), HELSINKI, date(2026, 6, 1), date(2026, 8, 31))
    assert occ[date(2026, 7, 2)].cancelled
    assert not occ[date(2026, 6, 4)].cancelled and not occ[date(2026, 8, 6)].cancelled


def test_finnish_public_holidays_cancel_the_meetings_that_fall_on_them() -> None:
    weekly = series(rrule="FREQ=WEEKLY;BYDAY=TH", holiday_country="FI")
    occ = by_date(weekly, HELSINKI, date(2026, 12, 1), date(2026, 12, 31))
    assert [d for d, o in occ.items() if o.cancelled] == [date(2026, 12, 24)]  # Christmas Eve
    sixth = series(rrule="FREQ=MONTHLY;BYMONTHDAY=6", holiday_country="FI")
    occ = by_date(sixth, HELSINKI, date(2026, 11, 1), date(2027, 1, 31))
    # Independence Day and Epiphany are off; November 6 is an ordinary day.
    assert {d: o.cancelled for d, o in occ.items()} == {
        date(2026, 11, 6): False, date(2026, 12, 6): True, date(2027, 1, 6): True}
    # New Year's Day 2026 is the first Thursday of January.
    assert by_date(series(holiday_country="FI"), HELSINKI, date(2026, 1, 1), date(2026, 1, 1))[
        date(2026, 1, 1)].cancelled


def test_holidays_are_ignored_without_a_holiday_country() -> None:
    occ = by_date(series(rrule="FREQ=WEEKLY;BYDAY=TH"), HELSINKI, date(2026, 12, 24), date(2026, 12, 24))
    assert not occ[date(2026, 12, 24)].cancelled


def test_swedish_national_day_cancels_a_stockholm_meeting() -> None:
    m = series(rrule="FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=5,6", holiday_country="SE")
    occ = by_date(m, STOCKHOLM, date(2026, 1, 1), date(2026, 12, 31))
    assert {d: o.cancelled for d, o in occ.items()} == {date(2026, 6, 5): False, date(2026, 6, 6): True}
    assert occ[date(2026, 6, 5)].start.isoformat() == "2026-06-05T17:00:00+02:00"


def test_overrides_change_place_time_theme_and_guest_of_their_date_only() -> None:
    m = series(overrides=(
        Override(date=date(2026, 3, 5), place="Stoa", start_time=time(18, 30), theme="Budget",
                 guest_speaker="Maria Lind"),
        Override(date=date(2026, 4, 2), cancelled=True, note="Easter week"),
    ))
    occ = by_date(m, HELSINKI, date(2026, 2, 1), date(2026, 5, 31))
    moved = occ[date(2026, 3, 5)]
    assert moved.date == date(2026, 3, 5)
    assert moved.start.isoformat() == "2026-03-05T18:30:00+02:00"
    assert moved.end.isoformat() == "2026-03-05T20:30:00+02:00"
    assert (moved.place, moved.address) == ("Stoa", None)
    assert (moved.theme, moved.guest_speaker) == ("Budget", "Maria Lind")
    assert not moved.cancelled
    assert occ[date(2026, 4, 2)].cancelled
    plain = occ[date(2026, 2, 5)]
    assert (plain.place, plain.address, plain.theme) == ("Caisa", "Kajsaniemigatan 4", None)
    assert not occ[date(2026, 5, 7)].cancelled


def test_override_changes_fingerprint_only_when_members_would_notice() -> None:
    theme_only = series(overrides=(Override(date=date(2026, 3, 5), theme="Budget"),))
    base = by_date(series(), HELSINKI, date(2026, 3, 5), date(2026, 3, 5))[date(2026, 3, 5)]
    themed = by_date(theme_only, HELSINKI, date(2026, 3, 5), date(2026, 3, 5))[date(2026, 3, 5)]
    assert themed.fingerprint == base.fingerprint
    moved = series(overrides=(Override(date=date(2026, 3, 5), place="Stoa"),))
    assert by_date(moved, HELSINKI, date(2026, 3, 5), date(2026, 3, 5))[date(2026, 3, 5)].fingerprint \
        != base.fingerprint


def test_override_on_a_date_outside_the_series_creates_no_meeting() -> None:
    m = series(overrides=(Override(date=date(2026, 3, 12), place="Stoa"),))
    assert [o.date for o in occurrences(m, HELSINKI, date(2026, 3, 1), date(2026, 3, 31))] == \
        [date(2026, 3, 5)]


def test_the_same_date_overridden_twice_merges_the_fields() -> None:
    m = series(overrides=(Override(date=date(2026, 3, 5), place="Stoa"),
                          Override(date=date(2026, 3, 5), theme="Budget")))
    o = occurrences(m, HELSINKI, date(2026, 3, 5), date(2026, 3, 5))[0]
    assert (o.place, o.theme) == ("Stoa", "Budget")


def test_nonexistent_local_time_moves_forward_and_ambiguous_takes_the_first() -> None:
    # Helsinki skips 03:00-04:00 on 2026-03-29 and repeats 03:00-04:00 on 2026-10-25.
    assert at_local(date(2026, 3, 29), time(3, 30), HELSINKI).isoformat() == "2026-03-29T04:30:00+03:00"
    assert at_local(date(2026, 10, 25), time(3, 30), HELSINKI).isoformat() == "2026-10-25T03:30:00+03:00"
    assert at_local(date(2026, 10, 25), time(4, 30), HELSINKI).isoformat() == "2026-10-25T04:30:00+02:00"
    m = series(rrule="FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU", start_time=time(3, 30), duration_minutes=60)
    occ = by_date(m, HELSINKI, date(2026, 1, 1), date(2026, 12, 31))
    assert occ[date(2026, 3, 29)].start.isoformat() == "2026-03-29T04:30:00+03:00"
    assert occ[date(2026, 10, 25)].start.isoformat() == "2026-10-25T03:30:00+03:00"


def test_meeting_through_a_dst_change_lasts_its_real_duration() -> None:
    m = series(rrule="FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", start_time=time(2, 30), duration_minutes=60)
    o = occurrences(m, HELSINKI, date(2026, 3, 29), date(2026, 3, 29))[0]
    assert o.start.isoformat() == "2026-03-29T02:30:00+02:00"
    assert o.end.isoformat() == "2026-03-29T04:30:00+03:00"
    assert o.end.astimezone(ZoneInfo("UTC")) - o.start.astimezone(ZoneInfo("UTC")) == timedelta(hours=1)


def test_next_occurrence_skips_cancelled_meetings_and_started_ones() -> None:
    m = series(holiday_country="FI", skip_dates=(date(2026, 2, 5),))
    # 2026-01-01 is New Year's Day and 2026-02-05 is skipped: the next meeting is in March.
    nxt = next_occurrence(m, HELSINKI, datetime(2025, 12, 20, 12, 0, tzinfo=HELSINKI))
    assert nxt is not None and nxt.date == date(2026, 3, 5)
    cancelled = next_occurrence(m, HELSINKI, datetime(2025, 12, 20, 12, 0, tzinfo=HELSINKI),
                                include_cancelled=True)
    assert cancelled is not None and cancelled.date == date(2026, 1, 1)
    during = next_occurrence(m, HELSINKI, datetime(2026, 3, 5, 17, 0, tzinfo=HELSINKI))
    assert during is not None and during.date == date(2026, 4, 2)


def test_next_occurrence_is_none_after_the_series_ends() -> None:
    m = series(rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=2")
    assert next_occurrence(m, HELSINKI, datetime(2026, 2, 5, 18, 0, tzinfo=HELSINKI)) is None
    with pytest.raises(ValueError, match="zone-aware"):
        next_occurrence(m, HELSINKI, datetime(2026, 2, 5, 18, 0))


def test_example_config_skips_new_year_epiphany_week_and_summer() -> None:
    cfg = load_config(EXAMPLE)
    occ = by_date(cfg.meetings, cfg.network.tz, date(2026, 1, 1), date(2027, 8, 31))
    off = sorted(d for d, o in occ.items() if o.cancelled)
    assert off == [date(2026, 1, 1), date(2027, 1, 7), date(2027, 5, 6), date(2027, 7, 1), date(2027, 8, 5)]
    assert occ[date(2026, 12, 3)].guest_speaker == "Maria Lind, Kulturkontakt Nord"
