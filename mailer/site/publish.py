"""The public static site: next meeting, how to join, archive with memos, an iCalendar and an Atom feed.

Everything is rendered in memory, written into a folder beside the target and swapped in whole, so a web
server never serves half a site. Only relative links, so the folder can be served from any path.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from babel.dates import format_date
from markupsafe import Markup, escape

from mailer import __version__
from mailer.config import Config
from mailer.config.resources import templates_dir
from mailer.errors import TraffpunktError
from mailer.meeting.schedule import holiday_dates, occurrences
from mailer.models import Meeting, Occurrence
from mailer.outbound import ics
from mailer.outbound.compose import meeting_vars
from mailer.state.store import Store

__all__ = ["WORDS", "PublishError", "PublishReport", "RenderedSite", "build_site", "publish",
           "redact_addresses", "site_output", "write_site"]

#: How far ahead the page and the calendar feed show meetings that have not been announced yet.
HORIZON_DAYS = 183
#: The Atom feed keeps this many newest entries.
FEED_ENTRIES = 50
#: A file in every published folder: publish refuses to replace a non-empty folder without it.
MARKER = ".traffpunkt-site"
MARKER_TEXT = (b"This folder is written by traffpunkt publish and replaced as a whole on every publish.\n"
               b"Keep nothing else in it.\n")

#: The site's words per language ("{...}" are filled in by publish).
WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "skip": "Hoppa till innehållet", "next": "Nästa träff",
        "no_next": "Ingen kommande träff är inplanerad.",
        "time": "Tid", "place": "Plats", "online": "På distans", "theme": "Tema", "speaker": "Gästtalare",
        "cancelled": "Inställd", "cancelled_notice": "Träffen {date} är inställd.",
        "add_calendar": "Lägg till i kalendern", "how_join": "Så här kommer du med",
        "join_heading": "Vill du vara med?",
        "join_text": "Träffarna är öppna för alla som är intresserade. Skicka ett e-postmeddelande till "
                     "{address} med ämnet ”{subject}” så får du ett meddelande att bekräfta, och sedan "
                     "inbjudningarna till träffarna.",
        "join_button": "Gå med i nätverket", "join_subject": "gå med",
        "upcoming": "Kommande träffar", "archive": "Tidigare träffar",
        "no_archive": "Inga tidigare träffar ännu.",
        "memo": "Minnesanteckningar", "memo_title": "Minnesanteckningar från träffen {date}",
        "approved": "Godkända {date}", "participants": "Anmälda till träffen", "back": "Alla träffar",
        "follow": "Följ träffarna",
        "ics_link": "Kalender (iCalendar)",
        "ics_text": "alla träffar i din kalenderapp, uppdateras automatiskt",
        "atom_link": "Nyhetsflöde (Atom)",
        "atom_text": "inbjudningar och minnesanteckningar för bloggar och flödesläsare",
        "invitation_entry": "Inbjudan: {title}, {when}", "cancelled_entry": "Inställd: {title}, {when}",
        "memo_entry": "Minnesanteckningar: {title}, {date}", "redacted": "[adress borttagen]",
        "footer": "Sidan uppdateras automatiskt av traffpunkt.",
    },
    "fi": {
        "skip": "Siirry sisältöön", "next": "Seuraava tapaaminen",
        "no_next": "Seuraavaa tapaamista ei ole vielä sovittu.",
        "time": "Aika", "place": "Paikka", "online": "Etänä", "theme": "Teema",
        "speaker": "Vieraileva puhuja",
        "cancelled": "Peruttu", "cancelled_notice": "Tapaaminen {date} on peruttu.",
        "add_calendar": "Lisää kalenteriin", "how_join": "Näin pääset mukaan",
        "join_heading": "Haluatko mukaan?",
        "join_text": "Tapaamiset ovat avoimia kaikille kiinnostuneille. Lähetä sähköpostia osoitteeseen "
                     "{address} otsikolla ”{subject}”, niin saat vahvistettavan viestin ja sen jälkeen "
                     "kutsut tapaamisiin.",
        "join_button": "Liity verkostoon", "join_subject": "liity",
        "upcoming": "Tulevat tapaamiset", "archive": "Aiemmat tapaamiset",
        "no_archive": "Ei vielä aiempia tapaamisia.",
        "memo": "Muistio", "memo_title": "Muistio tapaamisesta {date}",
        "approved": "Hyväksytty {date}", "participants": "Tapaamiseen ilmoittautuneet",
        "back": "Kaikki tapaamiset", "follow": "Seuraa tapaamisia",
        "ics_link": "Kalenteri (iCalendar)",
        "ics_text": "kaikki tapaamiset kalenterisovellukseesi, päivittyy automaattisesti",
        "atom_link": "Syöte (Atom)", "atom_text": "kutsut ja muistiot blogeille ja syötteenlukijoille",
        "invitation_entry": "Kutsu: {title}, {when}", "cancelled_entry": "Peruttu: {title}, {when}",
        "memo_entry": "Muistio: {title}, {date}", "redacted": "[osoite poistettu]",
        "footer": "Sivu päivittyy automaattisesti (traffpunkt).",
    },
    "en": {
        "skip": "Skip to content", "next": "Next meeting", "no_next": "No meeting is planned yet.",
        "time": "Time", "place": "Place", "online": "Online", "theme": "Theme", "speaker": "Guest speaker",
        "cancelled": "Cancelled", "cancelled_notice": "The meeting on {date} is cancelled.",
        "add_calendar": "Add to calendar", "how_join": "How to join",
        "join_heading": "Would you like to join?",
        "join_text": "The meetings are open to everyone interested. Send an e-mail to {address} with the "
                     "subject “{subject}”: you get a message to confirm, and then the invitations.",
        "join_button": "Join the network", "join_subject": "join",
        "upcoming": "Upcoming meetings", "archive": "Past meetings", "no_archive": "No past meetings yet.",
        "memo": "Memo", "memo_title": "Memo of the meeting on {date}",
        "approved": "Approved {date}", "participants": "Signed up for the meeting", "back": "All meetings",
        "follow": "Follow the meetings",
        "ics_link": "Calendar (iCalendar)", "ics_text": "every meeting in your calendar app, kept up to date",
        "atom_link": "News feed (Atom)", "atom_text": "invitations and memos for blogs and feed readers",
        "invitation_entry": "Invitation: {title}, {when}", "cancelled_entry": "Cancelled: {title}, {when}",
        "memo_entry": "Memo: {title}, {date}", "redacted": "[address removed]",
        "footer": "This page is updated automatically by traffpunkt.",
    },
}

_ADDRESS = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'”’]")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class PublishError(TraffpunktError):
    """The site cannot be published (the output folder is not ours, or a guard found a member's address)."""


@dataclass(frozen=True)
class PublishReport:
    """What `publish` wrote: the folder, its files, and whether anything changed since the last publish."""

    output: Path
    files: tuple[str, ...]
    changed: bool
    next_meeting: date | None
    #: VEVENTs in meetings.ics, entries in feed.atom, memo pages.
    events: int
    entries: int
    memos: int


@dataclass(frozen=True)
class RenderedSite:
    """Every file of the site, rendered in memory, with what the report tells."""

    files: dict[str, bytes]
    next_meeting: date | None
    events: int
    entries: int
    memos: int


# -- text helpers ------------------------------------------------------------------------------------


def redact_addresses(text: str, allowed: Iterable[str], replacement: str) -> str:
    """Replace every e-mail address in `text` except the `allowed` ones (the network's own addresses)."""
    keep = {a.lower() for a in allowed}
    return _ADDRESS.sub(lambda m: m[0] if m[0].lower() in keep else replacement, text)


def _linkify(text: str) -> Markup:
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(m[0]))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def notes_html(text: str) -> Markup:
    """The coordinator's plain-text notes as HTML paragraphs (line breaks kept, web addresses linked)."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip())]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linkify(line.rstrip()) for line in p.split("\n")))
        for p in paragraphs if p.strip())


def _atom_time(dt: datetime) -> str:
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def site_output(config: Config) -> Path:
    """The folder the site goes to ([site] output; a relative path is taken from the config file's folder)."""
    out = config.site.output
    return out if out.is_absolute() else config.path.resolve().parent / out


def _template_dir(config: Config) -> Path:
    own = config.templates_dir / "site"
    return own if own.is_dir() else templates_dir() / "site"


def _env(config: Config) -> jinja2.Environment:
    return _env_for(str(_template_dir(config)))


@lru_cache(maxsize=8)
def _env_for(folder: str) -> jinja2.Environment:
    """One environment per template folder: templates compile once (and recompile when a file changes)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


# -- building ----------------------------------------------------------------------------------------


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
        if config.site.show_names:
            names = sorted({r["name"].strip() for r in store.rsvps(m.id) if r["answer"] == "yes"
                            and (r["name"] or "").strip()}, key=str.casefold)
            names = [clean(n) or "" for n in names]
        files[memo["href"]] = env.get_template("memo.html").render(
            **common, meeting=item(m), memo=memo, participants=names).encode()

    # The calendar: every stored meeting, plus the series' coming meetings not announced yet.
    events = list(stored.values()) + [m for m in planned.values() if not m.cancelled and m.end > now]
    files["meetings.ics"] = ics.series_calendar(events, config, language=language)

    files["feed.atom"], entries = _feed(config, store, env, common, stored, memos, item)
    _guard(files, store)
    return RenderedSite(files=files, next_meeting=next_meeting.date if next_meeting else None,
                        events=len(events), entries=entries, memos=len(memos))


def _feed(config: Config, store: Store, env: jinja2.Environment, common: Mapping[str, Any],
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
        "updated": _atom_time(latest), "self": f"{base}feed.atom" if base else None,
        "alternate": f"{base}index.html", "version": __version__,
    }
    for e in entries:
        e["updated"] = _atom_time(e["updated"])
    text = env.get_template("feed.atom").render(**common, feed=feed, entries=entries)
    return text.encode(), len(entries)


def _aware(dt: datetime | None, fallback: datetime) -> datetime:
    if dt is None:
        return fallback
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _guard(files: Mapping[str, bytes], store: Store) -> None:
    """Refuse to publish when any file holds a member's address (a last line of defence)."""
    texts = {name: data.replace(b"\r\n ", b"").lower() for name, data in files.items()}
    for member in store.members(status=None):
        needle = member.address.lower().encode()
        for name, text in texts.items():
            if needle in text:
                raise PublishError(f"{name} would show member {member.id}'s e-mail address; "
                                   "nothing was published")


# -- writing -----------------------------------------------------------------------------------------


def publish(config: Config, store: Store, now: datetime) -> PublishReport:
    """Render the site and swap it into [site] output; an unchanged site is left untouched."""
    site = build_site(config, store, now)
    output = site_output(config)
    changed = write_site(site.files, output)
    return PublishReport(output=output, files=tuple(sorted(site.files)), changed=changed,
                         next_meeting=site.next_meeting, events=site.events, entries=site.entries,
                         memos=site.memos)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _same(files: Mapping[str, bytes], output: Path) -> bool:
    if not output.is_dir():
        return False
    present = {p.name for p in output.iterdir()}
    if present != set(files):
        return False
    return all((output / name).is_file() and (output / name).read_bytes() == data
               for name, data in files.items())


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return int(fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)) == 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_site(files: Mapping[str, bytes], output: Path) -> bool:
    """Write `files` as the folder `output`, swapped in whole; False (and nothing touched) when unchanged.

    The new site is written into a hidden folder beside `output`, then exchanged with the old one in one
    step (renameat2 on Linux; elsewhere two renames, so the folder is briefly missing but never half-new).
    A non-empty `output` that traffpunkt did not write is refused rather than replaced."""
    if output.is_symlink():
        output = output.resolve()
    if any("/" in name or name in ("", ".", "..") for name in files):
        raise ValueError("site files are plain names")
    parent = output.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent / f".{output.name}.lock"):
        if _same(files, output):
            return False
        if output.exists():
            if not output.is_dir():
                raise PublishError(f"{output} is a file, not a folder; [site] output must name a folder")
            if any(output.iterdir()) and not (output / MARKER).exists():
                raise PublishError(f"{output} holds files traffpunkt did not write; [site] output must name "
                                   "an empty or new folder (it is replaced as a whole)")
        for stale in (*parent.glob(f".{output.name}.tmp-*"), *parent.glob(f".{output.name}.old-*")):
            shutil.rmtree(stale, ignore_errors=True)  # left by a publish that was killed
        tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=parent))
        try:
            for name, data in sorted(files.items()):
                fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.fchmod(fd, 0o644)  # world-readable whatever the daemon's umask (0o077)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the web server must read it
            _fsync_dir(tmp)
            if not output.exists():
                os.rename(tmp, output)
            elif _exchange(tmp, output):
                shutil.rmtree(tmp)  # tmp now holds the old site
            else:
                old = parent / tmp.name.replace(".tmp-", ".old-", 1)
                os.rename(output, old)
                os.rename(tmp, output)
                shutil.rmtree(old, ignore_errors=True)
            _fsync_dir(parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True
