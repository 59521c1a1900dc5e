"""The umbrella's page: one index.html, meetings.ics and feed.atom with every network's coming meetings."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar

from mailer import __version__
from mailer.config import Config
from mailer.config.resources import templates_dir
from mailer.config.umbrella import Umbrella
from mailer.meeting.schedule import occurrences
from mailer.models import Meeting
from mailer.outbound import ics
from mailer.outbound.wording import meeting_vars
from mailer.site.pages import HORIZON_DAYS, MARKER, MARKER_TEXT, _env_for, _guard, _unstored
from mailer.site.publish import PublishReport, site_output, write_site
from mailer.site.words import WORDS, redact_addresses
from mailer.state.store import Store

#: The umbrella page's own words (the rest are the network page's, mailer/site/publish.py WORDS).
UMBRELLA_WORDS: dict[str, dict[str, str]] = {
    "sv": {"coming": "Kommande träffar i alla nätverk", "no_coming": "Inga kommande träffar är inplanerade.",
           "networks": "Nätverken", "network_page": "nätverkets sida", "next_short": "nästa träff",
           "none_planned": "ingen träff inplanerad",
           "umbrella_ics": "alla nätverks träffar i din kalenderapp, uppdateras automatiskt",
           "umbrella_atom": "alla nätverks inbjudningar för bloggar och flödesläsare"},
    "fi": {"coming": "Kaikkien verkostojen tulevat tapaamiset",
           "no_coming": "Tulevia tapaamisia ei ole vielä sovittu.", "networks": "Verkostot",
           "network_page": "verkoston sivu", "next_short": "seuraava tapaaminen",
           "none_planned": "ei sovittua tapaamista",
           "umbrella_ics": "kaikkien verkostojen tapaamiset kalenterisovellukseesi, päivittyy automaattisesti",
           "umbrella_atom": "kaikkien verkostojen kutsut blogeille ja syötteenlukijoille"},
    "en": {"coming": "Coming meetings of every network", "no_coming": "No meeting is planned yet.",
           "networks": "The networks", "network_page": "the network's page", "next_short": "next meeting",
           "none_planned": "no meeting planned",
           "umbrella_ics": "every network's meetings in your calendar app, kept up to date",
           "umbrella_atom": "every network's invitations for blogs and feed readers"},
}


@dataclass(frozen=True)
class Member:
    """One network as the umbrella sees it: its config, a reader of its database, and its slug."""

    config: Config
    store: Store
    slug: str


def slugs(configs: Sequence[Config]) -> list[str]:
    """A short stable name per network (its file's stem), made unique by a number where two collide."""
    out: list[str] = []
    for cfg in configs:
        base = cfg.path.stem or "network"
        name, n = base, 2
        while name in out:
            name, n = f"{base}-{n}", n + 1
        out.append(name)
    return out


def coming_meetings(config: Config, store: Store, now: datetime) -> list[Meeting]:
    """A network's meetings that have not ended: announced ones from its database, the rest of the series
    from its config (as on its own page), with every address but the network's own removed."""
    net = config.network
    language = net.language if net.language in WORDS else "en"
    own = (net.list_address, net.memo_address)

    def clean(text: str | None) -> str | None:
        return redact_addresses(text, own, WORDS[language]["redacted"]) if text else text

    today = now.astimezone(net.tz).date()
    stored = store.meetings(today - timedelta(days=1))
    planned = [_unstored(o, config) for o in occurrences(config.meetings, net.tz, today,
                                                         today + timedelta(days=HORIZON_DAYS))
               if o.date not in stored]
    return sorted((replace(m, place=clean(m.place) or "", address=clean(m.address), theme=clean(m.theme),
                           guest_speaker=clean(m.guest_speaker))
                   for m in (*stored.values(), *planned) if m.end > now), key=lambda m: m.start)


def network_href(umbrella: Umbrella, config: Config) -> str:
    """Where the umbrella links a network's page: its public_url, else its site folder relative to ours."""
    if config.network.public_url:
        return f"{config.network.public_url.rstrip('/')}/index.html"
    rel = os.path.relpath(site_output(config), umbrella.output)
    return f"{Path(rel).as_posix()}/index.html"


def build_umbrella(umbrella: Umbrella, members: Sequence[Member], now: datetime) -> dict[str, bytes]:
    """Every file of the umbrella's site, rendered in memory. Reads the networks' stores; writes nothing."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    language = umbrella.language
    words = {**WORDS[language], **UMBRELLA_WORDS[language]}
    items: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    cal = Calendar()
    for key, value in (("prodid", ics.PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"),
                       ("method", "PUBLISH"), ("x-wr-calname", umbrella.title or umbrella.name),
                       ("x-wr-timezone", umbrella.timezone)):
        cal.add(key, value)
    zones: set[str] = set()
    events: list[tuple[datetime, Any]] = []
    for member in members:
        cfg = member.config
        href = network_href(umbrella, cfg)
        coming = coming_meetings(cfg, member.store, now)
        updated = member.store.meeting_update_times()
        shown: list[dict[str, Any]] = []
        for m in coming:
            v = meeting_vars(m, cfg, language)
            tz = umbrella.tz
            v.update(network=cfg.network.name, network_href=href, anchor=f"{member.slug}-{m.date.isoformat()}",
                     href=f"{href}#m-{m.date.isoformat()}", start=m.start,
                     datetime=m.start.astimezone(tz).isoformat(timespec="minutes"),
                     stored=m.id != 0, domain=cfg.network.domain, updated=_aware(updated.get(m.id), m.start))
            shown.append(v)
            if not (m.cancelled and m.id == 0):
                # A UID of its own per network: branches that share a list domain must not share events.
                zones.add(cfg.network.timezone)
                event = ics.meeting_event(replace(m, uid=f"{member.slug}.{m.uid}"), cfg, language=language,
                                          answer_hint=False)
                if cfg.network.name not in str(event["summary"]):  # say whose meeting it is
                    summary = f"{cfg.network.name}: {event.pop('summary')}"
                    event.add("summary", summary)
                events.append((m.start, event))
        items.extend(shown)
        nxt = next((v for v in shown if not v["cancelled"]), None)
        networks.append({"name": cfg.network.name, "title": cfg.meetings.title or cfg.network.name,
                         "href": href, "next": nxt})
    for zone in sorted(zones):
        cal.add_component(ics.vtimezone(zone))
    for _, event in sorted(events, key=lambda e: (e[0], str(e[1].get("uid")))):
        cal.add_component(event)
    items.sort(key=lambda v: (v["start"], v["network"]))

    env = _env_for(str(templates_dir() / "site"))
    common: dict[str, Any] = {"language": language, "w": words, "network": {"name": umbrella.name},
                              "title": umbrella.title or words["coming"]}
    files: dict[str, bytes] = {MARKER: MARKER_TEXT}
    files["index.html"] = env.get_template("umbrella.html").render(
        **common, items=items, networks=networks).encode()
    files["meetings.ics"] = bytes(cal.to_ical())
    files["feed.atom"] = _feed(umbrella, env, common, items, members)
    for member in members:
        _guard(files, member.store)
    return files


def _aware(dt: datetime | None, fallback: datetime) -> datetime:
    if dt is None:
        return fallback
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _atom(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed(umbrella: Umbrella, env: Any, common: dict[str, Any], items: Sequence[dict[str, Any]],
          members: Sequence[Member]) -> bytes:
    """One entry per announced coming meeting, linking to it on its network's page."""
    domain = umbrella.domain or (members[0].config.network.domain if members else "localhost")
    base = f"{umbrella.public_url}/" if umbrella.public_url else ""
    macros = env.get_template("_macros.html").module
    w = common["w"]
    entries = [{
        "id": f"tag:{v['domain']},{v['start'].date().isoformat()}:traffpunkt/umbrella/{v['anchor']}",
        "title": w["cancelled_entry" if v["cancelled"] else "invitation_entry"].format(
            title=v["title"], when=v["when"]),
        "updated": _atom(v["updated"]), "href": v["href"], "term": "invitation", "html": macros.entry(v, w),
    } for v in items if v["stored"]]
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    feed = {"id": f"tag:{domain},2020-01-01:traffpunkt/umbrella", "version": __version__,
            "updated": max((e["updated"] for e in entries), default=_atom(datetime(2020, 1, 1, tzinfo=UTC))),
            "self": f"{base}feed.atom" if base else None, "alternate": f"{base}index.html"}
    text: str = env.get_template("feed.atom").render(**common, feed=feed, entries=entries)
    return text.encode()


def publish_umbrella(umbrella: Umbrella, members: Sequence[Member], now: datetime) -> PublishReport:
    """Render the umbrella's site and swap it into its output folder; an unchanged site is left untouched."""
    files = build_umbrella(umbrella, members, now)
    changed = write_site(files, umbrella.output)
    return PublishReport(output=umbrella.output, files=tuple(sorted(files)), changed=changed, next_meeting=None,
                         events=files["meetings.ics"].count(b"BEGIN:VEVENT"), entries=files["feed.atom"].count(
                             b"<entry>"), memos=0)
