"""The site's pages rendered in memory: next meeting, how to join, the archive with memos, the calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from babel.dates import format_date

from mailer.config import Config
from mailer.config.resources import templates_dir
from mailer.errors import TraffpunktError
from mailer.meeting.schedule import holiday_dates, occurrences
from mailer.models import Meeting, Occurrence
from mailer.outbound import ics
from mailer.outbound.wording import meeting_vars
from mailer.site.feeds import atom_feed
from mailer.site.words import WORDS, notes_html, redact_addresses
from mailer.state.store import Store

#: How far ahead the page and the calendar feed show meetings that have not been announced yet.
HORIZON_DAYS = 183
#: A file in every published folder: publish refuses to replace a non-empty folder without it.
MARKER = ".traffpunkt-site"
MARKER_TEXT = (b"This folder is written by traffpunkt publish and replaced as a whole on every publish.\n"
               b"Keep nothing else in it.\n")


class PublishError(TraffpunktError):
    """The site cannot be published (the output folder is not ours, or a guard found a member's address)."""


@dataclass(frozen=True)
class RenderedSite:
    """Every file of the site, rendered in memory, with what the report tells."""

    files: dict[str, bytes]
    next_meeting: date | None
    events: int
    entries: int
    memos: int


def template_folder(config: Config) -> Path:
    """The site's templates: the config's own `site/` folder, else the shipped ones."""
    own = config.templates_dir / "site"
    return own if own.is_dir() else templates_dir() / "site"


def _env(config: Config) -> jinja2.Environment:
    return _env_for(str(template_folder(config)))


@lru_cache(maxsize=8)
def _env_for(folder: str) -> jinja2.Environment:
    """One environment per template folder: templates compile once (and recompile when a file changes)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def _unstored(occ: Occurrence, config: Config) -> Meeting:
    """A meeting of the series not announced yet, with a UID derived from its date (stable between runs)."""
    uid = f"traffpunkt-{occ.date.isoformat()}-series@{config.network.domain}"
    return Meeting(id=0, date=occ.date, uid=uid,
                   sequence=0, start=occ.start, end=occ.end, place=occ.place, address=occ.address,
                   online_link=occ.online_link, theme=occ.theme, guest_speaker=occ.guest_speaker,
                   cancelled=occ.cancelled, fingerprint=occ.fingerprint)


def _holiday_name(config: Config, day: date) -> str | None:
    """The public holiday's name on `day` in the network's language (why the series skips it), if any."""
    country = config.meetings.holiday_country
    if not country or day in config.meetings.skip_dates:
        return None
    if day not in holiday_dates(config.meetings, day, day):
        return None
    import holidays

    net = config.network
    known = holidays.country_holidays(country, subdiv=config.meetings.holiday_subdivision).supported_languages
    wanted = (net.locale, net.language, f"{net.language}_{country}", "en_US")
    language = next((lang for lang in wanted if lang in known), None)
    found = holidays.country_holidays(country, subdiv=config.meetings.holiday_subdivision, years=day.year,
                                      language=language).get(day)
    return str(found) if found else None


def build_site(config: Config, store: Store, now: datetime) -> RenderedSite:
    """Render every file of the site in memory: {file name: bytes}. Reads the store; writes nothing."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    net = config.network
    language = net.language if net.language in WORDS else "en"
    words = WORDS[language]
    tz = net.tz
    own = (net.list_address, net.memo_address)

    def clean(text: str | None) -> str | None:
        return redact_addresses(text, own, words["redacted"]) if text else text

    def public(m: Meeting) -> Meeting:
        return replace(m, place=clean(m.place) or "", address=clean(m.address), theme=clean(m.theme),
                       guest_speaker=clean(m.guest_speaker))

    stored = {d: public(m) for d, m in store.meetings().items()}
    today = now.astimezone(tz).date()
    planned = {occ.date: public(_unstored(occ, config))
               for occ in occurrences(config.meetings, tz, today, today + timedelta(days=HORIZON_DAYS))
               if occ.date not in stored}
    upcoming = sorted([m for m in (*stored.values(), *planned.values()) if m.end > now],
                      key=lambda m: m.start)
    past = sorted([m for m in stored.values() if m.end <= now], key=lambda m: m.start, reverse=True)
    next_meeting = next((m for m in upcoming if not m.cancelled), None)

    memos: dict[date, dict[str, Any]] = {}
    for row in store.approved_memos():  # newest version first within a meeting
        day = date.fromisoformat(row["meeting_date"])
        if day in memos or day not in stored:
            continue
        approved = datetime.fromisoformat(row["approved_at"] or row["created_at"])
        approved = approved if approved.tzinfo else approved.replace(tzinfo=UTC)
        approved_day = format_date(approved.astimezone(tz).date(), "long", locale=net.locale)
        memos[day] = {"notes": notes_html(clean(row["notes"]) or ""), "approved_at": approved,
                      "approved": words["approved"].format(date=approved_day),
                      "version": row["version"], "href": f"memo-{day.isoformat()}.html"}

    def item(m: Meeting) -> dict[str, Any]:
        v = meeting_vars(m, config, language)
        v["note"] = clean(v.get("note")) or (_holiday_name(config, m.date) if m.cancelled else None)
        v["anchor"] = f"m-{m.date.isoformat()}"
        v["datetime"] = m.start.astimezone(tz).isoformat(timespec="minutes")
        v["memo"] = memos.get(m.date)
        return v

    join_href = f"mailto:{net.list_address}?subject={quote(words['join_subject'])}"
    common: dict[str, Any] = {
        "language": language, "w": words, "network": net, "title": config.meetings.title or net.name,
        "join_href": join_href, "list_address": net.list_address,
        "join_text": words["join_text"].format(address=net.list_address, subject=words["join_subject"]),
    }
    env = _env(config)
    files: dict[str, bytes] = {MARKER: MARKER_TEXT}

    nxt = item(next_meeting) if next_meeting else None
    before_next = [item(m) for m in upcoming
                   if m.cancelled and (next_meeting is None or m.start < next_meeting.start)]
    later = [item(m) for m in upcoming if m is not next_meeting]
    files["index.html"] = env.get_template("index.html").render(
        **common, next=nxt, cancelled_soon=before_next, later=later, past=[item(m) for m in past]).encode()

    for day, memo in memos.items():
        m = stored[day]
        names: list[str] = []
        absent = store.absent([m.id]).get(m.id)  # once a coordinator said who did not come: who was present
        if config.site.show_names:
            names = sorted({r["name"].strip() for r in store.rsvps(m.id) if r["answer"] == "yes"
                            and int(r["member_id"]) not in (absent or ()) and (r["name"] or "").strip()},
                           key=str.casefold)
            names = [clean(n) or "" for n in names]
        files[memo["href"]] = env.get_template("memo.html").render(
            **common, meeting=item(m), memo=memo, participants=names, present=absent is not None).encode()

    # The calendar: every stored meeting, plus the series' coming meetings not announced yet.
    events = list(stored.values()) + [m for m in planned.values() if not m.cancelled and m.end > now]
    files["meetings.ics"] = ics.series_calendar(events, config, language=language)

    files["feed.atom"], entries = atom_feed(config, store, env, common, stored, memos, item)
    _guard(files, store)
    return RenderedSite(files=files, next_meeting=next_meeting.date if next_meeting else None,
                        events=len(events), entries=entries, memos=len(memos))


def _guard(files: Mapping[str, bytes], store: Store) -> None:
    """Refuse to publish when any file holds a member's address (a last line of defence)."""
    texts = {name: data.replace(b"\r\n ", b"").lower() for name, data in files.items()}
    for member in store.members(status=None):
        needle = member.address.lower().encode()
        for name, text in texts.items():
            if needle in text:
                raise PublishError(f"{name} would show member {member.id}'s e-mail address; "
                                   "nothing was published")
