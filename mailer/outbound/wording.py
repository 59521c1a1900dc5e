"""What templates are told of a meeting, and the dates in a context, written in the member's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from mailer.config import DEFAULT_LOCALES, Config
from mailer.models import Meeting
from mailer.outbound import ics
from mailer.outbound.kinds import FORMATS


def first_name(name: str) -> str:
    parts = name.replace(",", " ").split()
    if "," in name and len(parts) > 1:  # "Lindqvist, Anna"
        return parts[1]
    return parts[0] if parts else ""


def locale_for(config: Config, language: str) -> str:
    if language == config.network.language:
        return config.network.locale
    return DEFAULT_LOCALES.get(language, "en_GB")


def when_words(start: datetime, end: datetime, language: str, locale: str) -> dict[str, str]:
    fmt = FORMATS.get(language, FORMATS["en"])
    s, e = (
        format_time(start.timetz(), "short", locale=locale),
        format_time(end.timetz(), "short", locale=locale),
    )
    day = format_date(start.date(), fmt["date"], locale=locale)
    span = fmt["span"].format(start=s, end=e)
    return {
        "date": day,
        "date_long": format_date(start.date(), fmt["date_long"], locale=locale),
        "weekday": format_date(start.date(), "EEEE", locale=locale),
        "start": s,
        "end": e,
        "at": fmt["at"].format(start=s),
        "span": span,
        "when": fmt["when"].format(date=day, span=span),
        "iso_date": start.date().isoformat(),
    }


def meeting_vars(meeting: Meeting, config: Config, language: str) -> dict[str, Any]:
    """What templates know of a meeting, with dates and times written for the language."""
    tz = ZoneInfo(config.network.timezone)
    start, end = meeting.start.astimezone(tz), meeting.end.astimezone(tz)
    override = next((o for o in config.meetings.overrides if o.date == meeting.date), None)
    note = override.note if override else None
    theme = dict(override.themes).get(language) if override and meeting.theme == override.theme else None
    return {
        "id": meeting.id,
        "title": dict(config.meetings.titles).get(language) or config.meetings.title or config.network.name,
        "summary": ics.summary(meeting, config),
        "place": meeting.place,
        "address": meeting.address,
        "location": ics.location(meeting),
        "online_link": meeting.online_link,
        "theme": theme or meeting.theme,
        "guest_speaker": meeting.guest_speaker,
        "cancelled": meeting.cancelled,
        "note": note,
        "sequence": meeting.sequence,
        "uid": meeting.uid,
        **when_words(start, end, language, locale_for(config, language)),
    }


def changes(
    previous: Mapping[str, Any] | None, meeting: Meeting, config: Config, language: str
) -> list[dict[str, str]]:
    """What an update changed, from the context's `previous` (ISO start/end, place, address, online_link)."""
    if not previous:
        return []
    tz = ZoneInfo(config.network.timezone)
    now = when_words(meeting.start.astimezone(tz), meeting.end.astimezone(tz), language, locale_for(config, language))
    out: list[dict[str, str]] = []
    try:
        p_start = datetime.fromisoformat(str(previous.get("start") or meeting.start.isoformat())).astimezone(
            tz
        )
        p_end = datetime.fromisoformat(str(previous.get("end") or meeting.end.isoformat())).astimezone(tz)
    except ValueError:
        p_start, p_end = meeting.start, meeting.end
    if (p_start, p_end) != (meeting.start, meeting.end):
        before = when_words(p_start, p_end, language, locale_for(config, language))
        out.append({"what": "time", "before": before["when"], "after": now["when"]})
    place_before = ", ".join(str(p) for p in (previous.get("place"), previous.get("address")) if p)
    if ("place" in previous or "address" in previous) and place_before != ics.location(meeting):
        out.append({"what": "place", "before": place_before, "after": ics.location(meeting)})
    if "online_link" in previous and (previous.get("online_link") or None) != meeting.online_link:
        out.append(
            {
                "what": "online",
                "before": str(previous.get("online_link") or ""),
                "after": meeting.online_link or "",
            }
        )
    return out


@lru_cache(maxsize=64)
def _when_iso(start: str, end: str | None, language: str, locale: str, timezone: str) -> dict[str, str] | None:
    """Date and time words for ISO start/end times (as `meeting` has them); none when they do not parse."""
    tz = ZoneInfo(timezone)
    try:
        s = datetime.fromisoformat(start)
        e = datetime.fromisoformat(end) if end else s
    except ValueError:
        return None
    s = (s if s.tzinfo else s.replace(tzinfo=tz)).astimezone(tz)
    e = (e if e.tzinfo else e.replace(tzinfo=tz)).astimezone(tz)
    return when_words(s, e, language, locale)


@lru_cache(maxsize=64)
def _day_words(day: str, language: str, locale: str) -> str | None:
    """An ISO date (or datetime) written as `meeting.date` writes dates; none when it does not parse."""
    try:
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return format_date(parsed, FORMATS.get(language, FORMATS["en"])["date"], locale=locale)


def next_meeting_words(ctx: dict[str, Any], config: Config, language: str) -> None:
    """`next_meeting` {start, end, place} (ISO times) and `next_invitation` (ISO date) in words, in place."""
    locale = locale_for(config, language)
    nxt = ctx.get("next_meeting")
    if isinstance(nxt, Mapping) and nxt.get("start"):
        words = _when_iso(
            str(nxt["start"]), str(nxt.get("end") or "") or None, language, locale, config.network.timezone
        )
        if words is not None:
            ctx["next_meeting"] = {
                **words,
                "place": nxt.get("place"),
                "address": nxt.get("address"),
                "iso_start": str(nxt["start"]),
            }
        else:
            ctx["next_meeting"] = None
    else:
        ctx["next_meeting"] = None
    invitation = ctx.get("next_invitation")
    ctx["next_invitation"] = _day_words(str(invitation), language, locale) if invitation else None


def proposed_words(ctx: dict[str, Any], config: Config, language: str) -> None:
    """A COUNTER's `proposed` {start, end} (ISO times) in words like `meeting`, in place; none when unreadable."""
    proposed = ctx.get("proposed")
    words = None
    if isinstance(proposed, Mapping) and proposed.get("start"):
        words = _when_iso(
            str(proposed["start"]),
            str(proposed.get("end") or "") or None,
            language,
            locale_for(config, language),
            config.network.timezone,
        )
    ctx["proposed"] = words
