"""The site's Atom feed: one entry per announced meeting and one per approved memo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import jinja2

from mailer import __version__
from mailer.config import Config
from mailer.models import Meeting
from mailer.state.store import Store

#: The Atom feed keeps this many newest entries.
FEED_ENTRIES = 50


def atom_feed(config: Config, store: Store, env: jinja2.Environment, common: Mapping[str, Any],
          stored: Mapping[date, Meeting], memos: Mapping[date, Mapping[str, Any]],
          item: Callable[[Meeting], dict[str, Any]]) -> tuple[bytes, int]:
    """feed.atom: one entry per announced meeting (its invitation) and one per approved memo.

    Links are absolute under [network] public_url when it is set; otherwise they are relative references,
    which Atom resolves against the feed's own address (the feed sits beside index.html)."""
    net = config.network
    words = common["w"]
    base = f"{net.public_url}/" if net.public_url else ""
    domain = net.domain.lower()
    updated_at = store.meeting_update_times()
    macros = env.get_template("_macros.html").module
    entries: list[dict[str, Any]] = []
    for day, m in stored.items():
        v = item(m)
        when = _aware(updated_at.get(m.id), m.start)
        entries.append({
            "id": f"tag:{domain},{day.isoformat()}:traffpunkt/invitation",
            "title": words["cancelled_entry" if m.cancelled else "invitation_entry"].format(
                title=common["title"], when=v["when"]),
            "updated": when, "href": f"{base}index.html#{v['anchor']}", "term": "invitation",
            "html": macros.entry(v, common["w"]),  # type: ignore[attr-defined]
        })
    for day, memo in memos.items():
        v = item(stored[day])
        entries.append({
            "id": f"tag:{domain},{day.isoformat()}:traffpunkt/memo",
            "title": words["memo_entry"].format(title=common["title"], date=v["date_long"]),
            "updated": memo["approved_at"], "href": f"{base}{memo['href']}", "term": "memo",
            "html": memo["notes"],
        })
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    entries = entries[:FEED_ENTRIES]
    first = datetime.combine(config.meetings.first_date, time(0), tzinfo=net.tz)
    latest = max((e["updated"] for e in entries), default=first)
    feed = {
        "id": f"tag:{domain},{config.meetings.first_date.isoformat()}:traffpunkt/feed",
        "updated": atom_time(latest), "self": f"{base}feed.atom" if base else None,
        "alternate": f"{base}index.html", "version": __version__,
    }
    for e in entries:
        e["updated"] = atom_time(e["updated"])
    text = env.get_template("feed.atom").render(**common, feed=feed, entries=entries)
    return text.encode(), len(entries)


def _aware(dt: datetime | None, fallback: datetime) -> datetime:
    if dt is None:
        return fallback
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def atom_time(dt: datetime) -> str:
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
