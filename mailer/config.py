"""Load the admin's TOML config into frozen dataclasses; every fault names file, key and what is expected."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from mailer import PROJECT_ROOT
from mailer.addresses import check as check_address
from mailer.errors import ConfigError, ConfigProblem

LANGUAGES = ("sv", "fi", "en")
TLS_MODES = ("starttls", "tls", "none")
TRANSPORTS = ("maildir", "smtp")
#: Default babel locale per language: the network lives in Finland unless the config says otherwise.
DEFAULT_LOCALES = {"sv": "sv_FI", "fi": "fi_FI", "en": "en_GB"}


@dataclass(frozen=True)
class Network:
    name: str
    language: str
    locale: str
    timezone: str
    list_address: str
    memo_address: str
    coordinators: tuple[str, ...]
    from_name: str
    public_url: str | None
    plus_addressing: bool
    token_secret_env: str | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.list_address.rpartition("@")[2]


@dataclass(frozen=True)
class Override:
    date: date
    place: str | None = None
    start_time: time | None = None
    theme: str | None = None
    guest_speaker: str | None = None
    cancelled: bool = False
    note: str | None = None
    #: The theme per language (`theme = { sv = "...", fi = "..." }`); `theme` is the network language's.
    themes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Meetings:
    title: str
    rrule: str
    first_date: date
    start_time: time
    duration_minutes: int
    place: str
    address: str | None
    online_link: str | None
    skip_dates: tuple[date, ...]
    holiday_country: str | None
    holiday_subdivision: str | None
    invitation_lead_days: int
    reminder_lead_days: int
    overrides: tuple[Override, ...]
    #: Local time of day at which invitations and reminders go out.
    send_time: time = time(9, 0)
    #: The coordinator gets the final agenda this many days before (at send_time).
    agenda_lead_days: int = 1
    #: The coordinator gets the head count, diets and presentation sheet this many days before.
    catering_lead_days: int = 2
    #: Attendees get a short thank-you after the meeting.
    thanks: bool = True
    #: Memo drafts go to the coordinators for approval first (false: the memo goes out at once); [memo] review.
    memo_review: bool = True
    #: A member's topics per meeting beyond this many are not added (the confirmation says so).
    max_topics_per_member: int = 3
    #: The title per language (`title = { sv = "...", fi = "...", en = "..." }`); `title` is the network language's.
    titles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    tls: str
    username: str | None
    password_env: str | None
    timeout_seconds: float

    def password(self) -> str | None:
        """The password from the environment variable the config names (never from the TOML)."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class SmtpSettings(ServerSettings):
    max_connections: int = 2
    messages_per_minute: int = 120


@dataclass(frozen=True)
class ImapSettings(ServerSettings):
    folder: str = "INBOX"
    processed_folder: str = "traffpunkt/processed"
    quarantine_folder: str = "traffpunkt/quarantine"
    idle: bool = True


@dataclass(frozen=True)
class Mail:
    transport: str
    from_address: str
    outbox_maildir: Path
    inbox_maildir: Path
    smtp: SmtpSettings | None
    imap: ImapSettings | None
    poll_seconds: int
    max_attempts: int
    retry_base_seconds: int
    #: The authserv-id your receiving server writes in Authentication-Results (e.g. "mx.example.org");
    #: only its verdicts are trusted for replies without a token. None: never trust that header.
    authserv_id: str | None = None
    #: Join confirmations (the only mail to non-members) per rolling 24 hours; the rest wait in the digest.
    join_confirmations_per_day: int = 20
    #: Larger inbound mail is quarantined unread (never downloaded whole, never parsed).
    max_message_bytes: int = 10_000_000
    #: A message whose parsing takes longer is quarantined; the parser's worker process is killed.
    parse_deadline_seconds: float = 10.0


#: Blocks a meeting's programme can have, in the default order ("break" only when listed in `blocks`).
AGENDA_BLOCKS = ("welcome", "presentations", "guest", "topics", "break", "discussion", "thanks")


@dataclass(frozen=True)
class Agenda:
    """The [agenda] table: the programme's blocks in order and their time boxes, in minutes."""

    blocks: tuple[str, ...] = ("welcome", "presentations", "guest", "topics", "discussion", "thanks")
    welcome_minutes: int = 5
    guest_minutes: int = 20
    break_minutes: int = 15
    discussion_minutes: int = 15
    #: The discussion may be cut down to this to let everyone present.
    discussion_min_minutes: int = 10
    thanks_minutes: int = 5
    #: Each attendee presents for between these (whole or half minutes).
    presentation_min_minutes: float = 1
    presentation_max_minutes: float = 5
    topic_minutes: int = 10
    topic_max_count: int | None = None
    #: Minutes left free before the end time.
    buffer_minutes: int = 0


@dataclass(frozen=True)
class Site:
    """The [site] table: where `traffpunkt publish` writes the public page and feeds."""

    #: The folder the site is written to (replaced as a whole on each publish); relative to the config file.
    output: Path = Path("site")
    #: Whether members' names (who signed up) may appear on the public site.
    show_names: bool = False


@dataclass(frozen=True)
class Config:
    path: Path
    network: Network
    meetings: Meetings
    mail: Mail
    database: Path
    members_csv: Path | None
    templates_dir: Path
    extra: Mapping[str, Any] = field(default_factory=dict)
    agenda: Agenda = field(default_factory=Agenda)
    site: Site = field(default_factory=Site)


T = TypeVar("T")


class _Reader:
    """Reads typed values from a TOML table and records a problem for each bad one."""

    def __init__(self, file: Path, problems: list[ConfigProblem]) -> None:
        self.file = str(file)
        self.problems = problems

    def problem(self, key: str, expected: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, expected))

    def get(
        self,
        table: Mapping[str, Any],
        prefix: str,
        key: str,
        kind: type[T] | tuple[type, ...],
        expected: str,
        default: Any = ...,
    ) -> Any:
        full = f"{prefix}.{key}" if prefix else key
        if key not in table:
            if default is ...:
                self.problem(full, f"missing; expected {expected}")
            return None if default is ... else default
        value = table[key]
        if isinstance(value, bool) and kind is not bool and kind != (bool,):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None if default is ... else default
        if not isinstance(value, kind):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None if default is ... else default
        return value

    def convert(self, full: str, value: Any, fn: Callable[[Any], T], expected: str) -> T | None:
        if value is None:
            return None
        try:
            return fn(value)
        except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None


def _positive(r: _Reader, full: str, value: Any, default: Any, expected: str) -> Any:
    """`value` when it is above 0, else a problem and the default."""
    if value is not None and value <= 0:
        r.problem(full, f"expected {expected}, got {value!r}")
        return default
    return value


def _address(value: str) -> str:
    """One plain address (mailer/addresses.py); InvalidAddress (a ValueError) says why not."""
    return check_address(value.strip())


def _at_least(r: _Reader, key: str, value: Any, low: int, default: int) -> int:
    """An integer setting that must be `low` or more; a smaller one is a problem (and reads as the default)."""
    if not isinstance(value, int):
        return default
    if value < low:
        r.problem(key, f"expected {low} or more, got {value}")
        return default
    return value


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    hh, _, mm = str(value).replace(".", ":").partition(":")
    return time(int(hh), int(mm or 0))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _zone(value: str) -> str:
    if not value or "/" not in value and value != "UTC":
        raise ValueError(value)
    ZoneInfo(value)
    return value


def _rrule(value: str) -> str:
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    rrulestr(text, dtstart=None, ignoretz=True)  # raises ValueError on a bad rule
    if "FREQ=" not in text.upper():
        raise ValueError(value)
    return text


def _table(reader: _Reader, data: Mapping[str, Any], key: str, required: bool = True) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            reader.problem(f"[{key}]", "missing table")
        return {}
    if not isinstance(value, dict):
        reader.problem(key, "expected a table")
        return {}
    return value


def _per_language(
    r: _Reader, table: Mapping[str, Any], prefix: str, key: str, default: str | None, language: str
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """A text given plainly or per language (`{ sv = "...", fi = "..." }`): the network language's text (else the
    first given) and the texts per language."""
    value = table.get(key)
    if not isinstance(value, dict):
        return r.get(table, prefix, key, str, 'text, or text per language { sv = "...", fi = "..." }', default), ()
    texts: list[tuple[str, str]] = []
    for lang, text in value.items():
        if lang not in LANGUAGES or not isinstance(text, str):
            r.problem(f"{prefix}.{key}.{lang}", f"text, under one of {', '.join(LANGUAGES)}")
        else:
            texts.append((lang, text))
    return dict(texts).get(language) or (texts[0][1] if texts else default), tuple(texts)


def _resolve(base: Path, value: str) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else (base / p)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem found."""
    file = Path(path)
    problems: list[ConfigProblem] = []
    r = _Reader(file, problems)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), "(file)", f"a readable TOML file ({exc.strerror})")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(file), "(syntax)", f"valid TOML: {exc}")]) from None
    base = file.resolve().parent

    net = _table(r, data, "network")
    language = r.get(net, "network", "language", str, "one of sv, fi, en", "sv")
    if language not in LANGUAGES:
        r.problem("network.language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
        language = "sv"
    tz = r.convert("network.timezone", r.get(net, "network", "timezone", str, "an IANA zone such as "
                                              "'Europe/Helsinki'"), _zone, "an IANA zone such as 'Europe/Helsinki'")
    list_address = r.convert("network.list_address", r.get(net, "network", "list_address", str, "an e-mail address"),
                             _address, "an e-mail address")
    memo_address = r.convert("network.memo_address", r.get(net, "network", "memo_address", str, "an e-mail address"),
                             _address, "an e-mail address")
    coords_raw = r.get(net, "network", "coordinators", list, "a list of e-mail addresses")
    coordinators: list[str] = []
    for i, c in enumerate(coords_raw or []):
        a = r.convert(f"network.coordinators[{i}]", c if isinstance(c, str) else repr(c), _address,
                      "an e-mail address")
        if a:
            coordinators.append(a)
    if coords_raw is not None and not coords_raw:
        r.problem("network.coordinators", "at least one coordinator address")
    name = r.get(net, "network", "name", str, "the network's name")
    locale = r.get(net, "network", "locale", str, "a babel locale such as 'sv_FI'", DEFAULT_LOCALES[language])
    try:
        from babel import Locale

        Locale.parse(locale)
    except (ValueError, TypeError):
        r.problem("network.locale", f"expected a babel locale such as 'sv_FI', got {locale!r}")
        locale = DEFAULT_LOCALES[language]
    public_url = r.get(net, "network", "public_url", str, "a URL", None)
    network = Network(
        name=name or "",
        language=language,
        locale=locale,
        timezone=tz or "UTC",
        list_address=list_address or "list@invalid.example",
        memo_address=memo_address or "memo@invalid.example",
        coordinators=tuple(coordinators),
        from_name=r.get(net, "network", "from_name", str, "a display name", None) or (name or "traffpunkt"),
        public_url=public_url.rstrip("/") if public_url else None,
        plus_addressing=r.get(net, "network", "plus_addressing", bool, "true or false", True),
        token_secret_env=r.get(net, "network", "token_secret_env", str, "an environment variable's name", None),
    )

    m = _table(r, data, "meetings")
    rule = r.convert("meetings.rrule", r.get(m, "meetings", "rrule", str, "an RFC 5545 RRULE such as "
                                              "'FREQ=MONTHLY;BYDAY=1TH'"),
                     _rrule, "an RFC 5545 RRULE such as 'FREQ=MONTHLY;BYDAY=1TH'")
    start = r.convert("meetings.start_time", r.get(m, "meetings", "start_time", (str, time), "a time 'HH:MM'"),
                      _time, "a time 'HH:MM'")
    duration = r.get(m, "meetings", "duration_minutes", int, "minutes as an integer", None)
    end_raw = r.get(m, "meetings", "end_time", (str, time), "a time 'HH:MM'", None)
    if duration is None and end_raw is not None and start is not None:
        end = r.convert("meetings.end_time", end_raw, _time, "a time 'HH:MM'")
        if end is not None:
            duration = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if duration <= 0:
                r.problem("meetings.end_time", "a time after start_time")
    if duration is None and end_raw is None:
        r.problem("meetings.duration_minutes", "missing; expected duration_minutes or end_time")
    elif duration is not None and not 0 < duration <= 24 * 60:
        r.problem("meetings.duration_minutes", f"between 1 and 1440, got {duration}")
    skip_dates: list[date] = []
    for i, d in enumerate(r.get(m, "meetings", "skip_dates", list, "a list of dates", []) or []):
        v = r.convert(f"meetings.skip_dates[{i}]", d, _date, "a date YYYY-MM-DD")
        if v:
            skip_dates.append(v)
    holiday_country = r.get(m, "meetings", "holiday_country", str, "a country code such as 'FI'", None)
    if holiday_country:
        import holidays

        if holiday_country.upper() not in holidays.list_supported_countries():
            r.problem("meetings.holiday_country", f"a country code the holidays package knows, got "
                                                  f"{holiday_country!r}")
            holiday_country = None
    subdivision = r.get(m, "meetings", "holiday_subdivision", str, "a subdivision code", None)
    if holiday_country and subdivision:
        import holidays

        known_subdivisions = holidays.country_holidays(holiday_country.upper()).subdivisions
        if subdivision not in known_subdivisions:
            r.problem("meetings.holiday_subdivision", f"one of {', '.join(known_subdivisions) or 'none'} for "
                                                      f"{holiday_country.upper()}, got {subdivision!r}")
            subdivision = None
    overrides: list[Override] = []
    for i, o in enumerate(r.get(m, "meetings", "override", list, "[[meetings.override]] tables", []) or []):
        key = f"meetings.override[{i}]"
        if not isinstance(o, dict):
            r.problem(key, "a table")
            continue
        od = r.convert(f"{key}.date", r.get(o, key, "date", (str, date), "a date YYYY-MM-DD"), _date,
                       "a date YYYY-MM-DD")
        ost = r.get(o, key, "start_time", (str, time), "a time 'HH:MM'", None)
        if od is None:
            continue
        theme, themes = _per_language(r, o, key, "theme", None, language)
        overrides.append(Override(
            date=od,
            place=r.get(o, key, "place", str, "text", None),
            start_time=r.convert(f"{key}.start_time", ost, _time, "a time 'HH:MM'"),
            theme=theme,
            themes=themes,
            guest_speaker=r.get(o, key, "guest_speaker", str, "text", None),
            cancelled=r.get(o, key, "cancelled", bool, "true or false", False),
            note=r.get(o, key, "note", str, "text", None),
        ))
    first_date = r.convert("meetings.first_date", r.get(m, "meetings", "first_date", (str, date),
                                                        "a date YYYY-MM-DD", "2026-01-01"),
                           _date, "a date YYYY-MM-DD")
    inv_lead = r.get(m, "meetings", "invitation_lead_days", int, "days as an integer", 14)
    rem_lead = r.get(m, "meetings", "reminder_lead_days", int, "days as an integer", 2)
    if isinstance(inv_lead, int) and isinstance(rem_lead, int) and not 0 <= rem_lead < inv_lead:
        r.problem("meetings.reminder_lead_days", "fewer days than invitation_lead_days, and not negative")
    title, titles = _per_language(r, m, "meetings", "title", "", language)
    meetings = Meetings(
        title=title or name or "",
        titles=titles,
        rrule=rule or "FREQ=MONTHLY",
        first_date=first_date or date(2026, 1, 1),
        start_time=start or time(17, 0),
        duration_minutes=duration or 120,
        place=r.get(m, "meetings", "place", str, "the meeting place"),
        address=r.get(m, "meetings", "address", str, "a street address", None),
        online_link=r.get(m, "meetings", "online_link", str, "a URL", None) or None,
        skip_dates=tuple(skip_dates),
        holiday_country=holiday_country.upper() if holiday_country else None,
        holiday_subdivision=subdivision,
        invitation_lead_days=inv_lead or 14,
        reminder_lead_days=rem_lead if isinstance(rem_lead, int) else 2,
        overrides=tuple(overrides),
        send_time=r.convert("meetings.send_time", r.get(m, "meetings", "send_time", (str, time), "a time 'HH:MM'",
                                                        "09:00"), _time, "a time 'HH:MM'") or time(9, 0),
        agenda_lead_days=r.get(m, "meetings", "agenda_lead_days", int, "days as an integer", 1),
        catering_lead_days=r.get(m, "meetings", "catering_lead_days", int, "days as an integer", 2),
        thanks=r.get(m, "meetings", "thanks", bool, "true or false", True),
        memo_review=r.get(_table(r, data, "memo", required=False), "memo", "review", bool, "true or false", True),
        max_topics_per_member=_at_least(r, "meetings.max_topics_per_member",
                                        r.get(m, "meetings", "max_topics_per_member", int, "a number of topics", 3),
                                        1, 3),
    )

    mail_t = _table(r, data, "mail", required=False)
    transport = r.get(mail_t, "mail", "transport", str, "'maildir' or 'smtp'", "maildir")
    if transport not in TRANSPORTS:
        r.problem("mail.transport", f"expected 'maildir' or 'smtp', got {transport!r}")
        transport = "maildir"
    maildir_t = _table(r, mail_t, "maildir", required=False)
    smtp = imap = None
    if transport == "smtp":
        smtp_t = mail_t.get("smtp")
        imap_t = mail_t.get("imap")
        if not isinstance(smtp_t, dict):
            r.problem("[mail.smtp]", "a table (transport is 'smtp')")
        else:
            smtp = SmtpSettings(**_server(r, "mail.smtp", smtp_t, 587),
                                max_connections=r.get(smtp_t, "mail.smtp", "max_connections", int, "an integer", 2),
                                messages_per_minute=r.get(smtp_t, "mail.smtp", "messages_per_minute", int,
                                                          "an integer", 120))
        if not isinstance(imap_t, dict):
            r.problem("[mail.imap]", "a table (transport is 'smtp'; replies are read by IMAP)")
        else:
            imap = ImapSettings(**_server(r, "mail.imap", imap_t, 993),
                                folder=r.get(imap_t, "mail.imap", "folder", str, "a folder name", "INBOX"),
                                processed_folder=r.get(imap_t, "mail.imap", "processed_folder", str, "a folder name",
                                                       "traffpunkt/processed"),
                                quarantine_folder=r.get(imap_t, "mail.imap", "quarantine_folder", str,
                                                        "a folder name", "traffpunkt/quarantine"),
                                idle=r.get(imap_t, "mail.imap", "idle", bool, "true or false", True))
    mail = Mail(
        transport=transport,
        from_address=r.convert("mail.from_address", r.get(mail_t, "mail", "from_address", str, "an e-mail address",
                                                          network.list_address), _address, "an e-mail address")
        or network.list_address,
        outbox_maildir=_resolve(base, r.get(maildir_t, "mail.maildir", "outbox", str, "a folder", "var/outbox")),
        inbox_maildir=_resolve(base, r.get(maildir_t, "mail.maildir", "inbox", str, "a folder", "var/inbox")),
        smtp=smtp,
        imap=imap,
        poll_seconds=r.get(mail_t, "mail", "poll_seconds", int, "seconds as an integer", 60),
        max_attempts=r.get(mail_t, "mail", "max_attempts", int, "an integer", 8),
        retry_base_seconds=r.get(mail_t, "mail", "retry_base_seconds", int, "seconds as an integer", 60),
        authserv_id=(r.get(mail_t, "mail", "authserv_id", str, "your receiving server's authserv-id", None)
                     or None),
        join_confirmations_per_day=_at_least(r, "mail.join_confirmations_per_day",
                                             r.get(mail_t, "mail", "join_confirmations_per_day", int,
                                                   "a number of mails", 20), 0, 20),
        max_message_bytes=_positive(r, "mail.max_message_bytes", r.get(
            mail_t, "mail", "max_message_bytes", int, "a size in bytes (an integer above 0)", 10_000_000),
            10_000_000, "a size in bytes (an integer above 0)"),
        parse_deadline_seconds=float(_positive(r, "mail.parse_deadline_seconds", r.get(
            mail_t, "mail", "parse_deadline_seconds", (int, float), "seconds above 0", 10.0), 10.0, "seconds above 0")),
    )

    storage = _table(r, data, "storage", required=False)
    members = _table(r, data, "members", required=False)
    templates = _table(r, data, "templates", required=False)
    csv_path = r.get(members, "members", "import_csv", str, "a CSV file's path", None)
    tdir = r.get(templates, "templates", "dir", str, "a folder", None)
    agenda = _agenda(r, _table(r, data, "agenda", required=False))
    site_t = _table(r, data, "site", required=False)
    for key in site_t:
        if key not in Site.__dataclass_fields__:
            r.problem(f"site.{key}", "a [site] setting: output or show_names (unknown key)")
    site = Site(output=_resolve(base, r.get(site_t, "site", "output", str, "a folder", "site")),
                show_names=r.get(site_t, "site", "show_names", bool, "true or false", False))
    known = {"network", "meetings", "mail", "storage", "members", "templates", "agenda", "site", "memo"}
    extra = {k: v for k, v in data.items() if k not in known}
    cfg = Config(
        path=file,
        network=network,
        meetings=meetings,
        mail=mail,
        database=_resolve(base, r.get(storage, "storage", "database", str, "a file path", "var/traffpunkt.db")),
        members_csv=_resolve(base, csv_path) if csv_path else None,
        templates_dir=_resolve(base, tdir) if tdir else PROJECT_ROOT / "templates",
        extra=extra,
        agenda=agenda,
        site=site,
    )
    if problems:
        raise ConfigError(problems)
    return cfg


def _server(r: _Reader, prefix: str, t: Mapping[str, Any], default_port: int) -> dict[str, Any]:
    tls = r.get(t, prefix, "tls", str, "'starttls', 'tls' or 'none'", "starttls" if default_port == 587 else "tls")
    if tls not in TLS_MODES:
        r.problem(f"{prefix}.tls", f"expected 'starttls', 'tls' or 'none', got {tls!r}")
    if "password" in t:
        r.problem(f"{prefix}.password", "no password in the TOML; name an environment variable in password_env")
    port = r.get(t, prefix, "port", int, "a port number", default_port)
    if isinstance(port, int) and not 0 < port < 65536:
        r.problem(f"{prefix}.port", f"a port number 1-65535, got {port}")
    return {
        "host": r.get(t, prefix, "host", str, "a host name"),
        "port": port,
        "tls": tls,
        "username": r.get(t, prefix, "username", str, "a user name", None),
        "password_env": r.get(t, prefix, "password_env", str, "an environment variable's name", None),
        "timeout_seconds": float(r.get(t, prefix, "timeout_seconds", (int, float), "seconds", 30)),
    }


def _agenda(r: _Reader, t: Mapping[str, Any]) -> Agenda:
    """The [agenda] table with defaults for what it leaves out; a bad value is a problem naming its key."""
    d = Agenda()
    for key in t:
        if key not in Agenda.__dataclass_fields__:
            r.problem(f"agenda.{key}", "an [agenda] setting such as presentation_max_minutes (unknown key)")
    blocks_raw = r.get(t, "agenda", "blocks", list, "a list of block names", list(d.blocks))
    blocks: list[str] = []
    for i, b in enumerate(blocks_raw):
        if b not in AGENDA_BLOCKS:
            r.problem(f"agenda.blocks[{i}]", f"expected one of {', '.join(AGENDA_BLOCKS)}, got {b!r}")
        elif b in blocks:
            r.problem(f"agenda.blocks[{i}]", f"each block once; {b!r} is listed twice")
        else:
            blocks.append(b)

    def minutes(key: str, least: int = 0) -> int:
        value: int = r.get(t, "agenda", key, int, "minutes as an integer", getattr(d, key))
        if value < least:
            r.problem(f"agenda.{key}", f"expected at least {least} minutes, got {value}")
            return int(getattr(d, key))
        return value

    def half(key: str) -> float:
        value = r.get(t, "agenda", key, (int, float), "minutes in whole or half minutes", getattr(d, key))
        if not 0 < value <= 24 * 60 or value * 2 != int(value * 2):  # also refuses nan and inf
            r.problem(f"agenda.{key}", f"expected minutes in whole or half minutes above 0, got {value!r}")
            return float(getattr(d, key))
        return float(value)

    pmin, pmax = half("presentation_min_minutes"), half("presentation_max_minutes")
    if pmin > pmax:
        r.problem("agenda.presentation_min_minutes",
                  f"expected at most presentation_max_minutes ({pmax:g}), got {pmin:g}")
    disc, disc_min = minutes("discussion_minutes"), minutes("discussion_min_minutes")
    if disc_min > disc:
        r.problem("agenda.discussion_min_minutes",
                  f"expected at most discussion_minutes ({disc}), got {disc_min}")
    max_count = r.get(t, "agenda", "topic_max_count", int, "a number of topics", None)
    if max_count is not None and max_count < 0:
        r.problem("agenda.topic_max_count", f"expected 0 or more topics, got {max_count}")
        max_count = None
    return Agenda(
        blocks=tuple(blocks),
        welcome_minutes=minutes("welcome_minutes"),
        guest_minutes=minutes("guest_minutes"),
        break_minutes=minutes("break_minutes"),
        discussion_minutes=disc,
        discussion_min_minutes=min(disc_min, disc),
        thanks_minutes=minutes("thanks_minutes"),
        presentation_min_minutes=min(pmin, pmax),
        presentation_max_minutes=pmax,
        topic_minutes=minutes("topic_minutes", least=1),
        topic_max_count=max_count,
        buffer_minutes=minutes("buffer_minutes"),
    )


def environment_problems(cfg: Config) -> list[ConfigProblem]:
    """Problems that depend on the environment: password variables named but not set."""
    out: list[ConfigProblem] = []
    for key, server in (("mail.smtp", cfg.mail.smtp), ("mail.imap", cfg.mail.imap)):
        if server and server.username and not server.password_env:
            out.append(ConfigProblem(str(cfg.path), f"{key}.password_env",
                                     "the name of an environment variable holding the password"))
        if server and server.password_env and not os.environ.get(server.password_env):
            out.append(ConfigProblem(str(cfg.path), f"{key}.password_env",
                                     f"environment variable {server.password_env} to be set"))
    env = cfg.network.token_secret_env
    if env and not os.environ.get(env):
        out.append(ConfigProblem(str(cfg.path), "network.token_secret_env", f"environment variable {env} to be set"))
    return out
