"""The meeting series as concrete occurrences: RRULE expansion in local time, skips, holidays and overrides."""

# Pure: no clock, no I/O. Local wall-clock times are kept across DST changes (17:00 stays 17:00 local).

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from mailer.config import Meetings, Override
from mailer.models import Occurrence

__all__ = ["at_local", "holiday_dates", "occurrences", "next_occurrence"]


def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The zone-aware moment at which local clocks in `tz` show `at` on `day`.

    A local time that does not exist (the hour skipped in spring) moves forward by the gap, as a wall clock
    would (03:30 -> 04:30); a local time that occurs twice (the hour repeated in autumn) is the first one.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a nonexistent time comes back normalised, an existing one unchanged.
    return aware.astimezone(UTC).astimezone(tz)


@lru_cache(maxsize=64)
def _rule(text: str, dtstart: datetime) -> Any:
    """Parse the series once per (rule, start); dateutil rules are immutable once built."""
    return rrulestr(text, dtstart=dtstart, ignoretz=True, cache=True)


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=years).keys())


def holiday_dates(meetings: Meetings, start: date, end: date) -> frozenset[date]:
    """Public holidays of the configured country between `start` and `end` (empty when none configured)."""
    if not meetings.holiday_country or end < start:
        return frozenset()
    years = tuple(range(start.year, end.year + 1))
    return _holidays(meetings.holiday_country, meetings.holiday_subdivision, years)


def _merged_overrides(overrides: Iterable[Override]) -> dict[date, Override]:
    """One override per date; when the config lists a date twice, later non-empty fields win."""
    out: dict[date, Override] = {}
    for o in overrides:
        prev = out.get(o.date)
        if prev is None:
            out[o.date] = o
            continue
        out[o.date] = Override(
            date=o.date,
            place=o.place if o.place is not None else prev.place,
            start_time=o.start_time if o.start_time is not None else prev.start_time,
            theme=o.theme if o.theme is not None else prev.theme,
            guest_speaker=o.guest_speaker if o.guest_speaker is not None else prev.guest_speaker,
            cancelled=o.cancelled or prev.cancelled,
            note=o.note if o.note is not None else prev.note,
        )
    return out


def _occurrence(meetings: Meetings, tz: ZoneInfo, day: date, at: time, override: Override | None,
                skipped: bool) -> Occurrence:
    place, address = meetings.place, meetings.address
    theme = guest = None
    cancelled = skipped
    if override is not None:
        at = override.start_time or at
        if override.place is not None and override.place != meetings.place:
            # The series' street address belongs to the series' place, not to the override's.
            place, address = override.place, None
        theme, guest = override.theme, override.guest_speaker
        cancelled = cancelled or override.cancelled
    start = at_local(day, at, tz)
    # Duration in real elapsed time: a meeting running through a DST change still lasts its minutes.
    end = (start.astimezone(UTC) + timedelta(minutes=meetings.duration_minutes)).astimezone(tz)
    return Occurrence(date=day, start=start, end=end, place=place, address=address,
                      online_link=meetings.online_link, theme=theme, guest_speaker=guest, cancelled=cancelled)


def occurrences(meetings: Meetings, tz: ZoneInfo, start: date, end: date,
                overrides: Mapping[date, Override] | None = None) -> list[Occurrence]:
    """Every occurrence of the series whose date lies in [start, end], in date order.

    Skip dates, public holidays and overrides with ``cancelled = true`` are returned with ``cancelled=True``
    (a meeting that was announced and is now off must be known to be off). Overrides on dates that the
    series does not produce are ignored: an override changes a meeting, it does not create one.
    """
    if end < start:
        return []
    dtstart = datetime.combine(meetings.first_date, meetings.start_time.replace(tzinfo=None))
    rule = _rule(meetings.rrule, dtstart)
    lo = datetime.combine(start, time.min)
    hi = datetime.combine(end, time.max)
    skips = frozenset(meetings.skip_dates)
    holidays = holiday_dates(meetings, start, end)
    by_date = overrides if overrides is not None else _merged_overrides(meetings.overrides)
    out: list[Occurrence] = []
    seen: set[date] = set()
    for dt in rule.between(lo, hi, inc=True):
        day = dt.date()
        if day in seen:  # a rule with BYHOUR can yield a date twice; the series has one meeting a date
            continue
        seen.add(day)
        out.append(_occurrence(meetings, tz, day, dt.time(), by_date.get(day),
                               skipped=day in skips or day in holidays))
    return out


def next_occurrence(meetings: Meetings, tz: ZoneInfo, after: datetime,
                    include_cancelled: bool = False) -> Occurrence | None:
    """The first occurrence starting after `after` (cancelled ones skipped unless asked), or None."""
    if after.tzinfo is None:
        raise ValueError("after must be zone-aware")
    overrides = _merged_overrides(meetings.overrides)
    first = max(after.astimezone(tz).date(), meetings.first_date)
    lo = first
    for span in (62, 400, 3700):
        hi = first + timedelta(days=span)
        for occ in occurrences(meetings, tz, lo, hi, overrides):
            if occ.start > after and (include_cancelled or not occ.cancelled):
                return occ
        lo = hi + timedelta(days=1)
    return None
