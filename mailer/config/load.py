"""`load_config`: read the admin's TOML into frozen dataclasses; every fault names file, key and what is expected."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

from mailer.config.model import DEFAULT_LOCALES, LANGUAGES, Config, Meetings, Network, Override, Site
from mailer.config.reader import (
    Reader,
    at_least,
    resolve,
    table,
    to_address,
    to_date,
    to_rrule,
    to_time,
    to_zone,
)
from mailer.config.resources import templates_dir
from mailer.config.schema import unknown_keys
from mailer.config.sections import read_agenda, read_mail
from mailer.errors import ConfigError, ConfigProblem


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem found."""
    file = Path(path)
    problems: list[ConfigProblem] = []
    r = Reader(file, problems)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), "(file)", f"a readable TOML file ({exc.strerror})")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(file), "(syntax)", f"valid TOML: {exc}")]) from None
    base = file.resolve().parent
    problems.extend(unknown_keys(str(file), data))

    network = read_network(r, data)
    meetings = read_meetings(r, data, network.name, network.language)
    mail = read_mail(r, data, base, network)

    storage = table(r, data, "storage", required=False)
    members = table(r, data, "members", required=False)
    templates = table(r, data, "templates", required=False)
    csv_path = r.get(members, "members", "import_csv", str, "a CSV file's path", None)
    tdir = r.get(templates, "templates", "dir", str, "a folder", None)
    agenda = read_agenda(r, table(r, data, "agenda", required=False))
    site_t = table(r, data, "site", required=False)
    site = Site(output=resolve(base, r.get(site_t, "site", "output", str, "a folder", "site")),
                show_names=r.get(site_t, "site", "show_names", bool, "true or false", False))
    cfg = Config(
        path=file,
        network=network,
        meetings=meetings,
        mail=mail,
        database=resolve(base, r.get(storage, "storage", "database", str, "a file path", "var/traffpunkt.db")),
        members_csv=resolve(base, csv_path) if csv_path else None,
        templates_dir=resolve(base, tdir) if tdir else templates_dir(),
        agenda=agenda,
        site=site,
    )
    if problems:
        raise ConfigError(problems)
    return cfg


def read_network(r: Reader, data: Mapping[str, Any]) -> Network:
    """The [network] table."""
    net = table(r, data, "network")
    language = r.get(net, "network", "language", str, "one of sv, fi, en", "sv")
    if language not in LANGUAGES:
        r.problem("network.language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
        language = "sv"
    tz = r.convert("network.timezone", r.get(net, "network", "timezone", str, "an IANA zone such as "
                                              "'Europe/Helsinki'"), to_zone, "an IANA zone such as 'Europe/Helsinki'")
    list_address = r.convert("network.list_address", r.get(net, "network", "list_address", str, "an e-mail address"),
                             to_address, "an e-mail address")
    memo_address = r.convert("network.memo_address", r.get(net, "network", "memo_address", str, "an e-mail address"),
                             to_address, "an e-mail address")
    coords_raw = r.get(net, "network", "coordinators", list, "a list of e-mail addresses")
    coordinators: list[str] = []
    for i, c in enumerate(coords_raw or []):
        a = r.convert(f"network.coordinators[{i}]", c if isinstance(c, str) else repr(c), to_address,
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

    return network


def per_language(
    r: Reader, table: Mapping[str, Any], prefix: str, key: str, default: str | None, language: str
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


def read_meetings(r: Reader, data: Mapping[str, Any], name: str, language: str = "sv") -> Meetings:
    """The [meetings] table (with [[meetings.override]] and [memo] review)."""
    m = table(r, data, "meetings")
    rule = r.convert("meetings.rrule", r.get(m, "meetings", "rrule", str, "an RFC 5545 RRULE such as "
                                              "'FREQ=MONTHLY;BYDAY=1TH'"),
                     to_rrule, "an RFC 5545 RRULE such as 'FREQ=MONTHLY;BYDAY=1TH'")
    start = r.convert("meetings.start_time", r.get(m, "meetings", "start_time", (str, time), "a time 'HH:MM'"),
                      to_time, "a time 'HH:MM'")
    duration = r.get(m, "meetings", "duration_minutes", int, "minutes as an integer", None)
    end_raw = r.get(m, "meetings", "end_time", (str, time), "a time 'HH:MM'", None)
    if duration is None and end_raw is not None and start is not None:
        end = r.convert("meetings.end_time", end_raw, to_time, "a time 'HH:MM'")
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
        v = r.convert(f"meetings.skip_dates[{i}]", d, to_date, "a date YYYY-MM-DD")
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
        od = r.convert(f"{key}.date", r.get(o, key, "date", (str, date), "a date YYYY-MM-DD"), to_date,
                       "a date YYYY-MM-DD")
        ost = r.get(o, key, "start_time", (str, time), "a time 'HH:MM'", None)
        if od is None:
            continue
        theme, themes = per_language(r, o, key, "theme", None, language)
        overrides.append(Override(
            date=od,
            place=r.get(o, key, "place", str, "text", None),
            start_time=r.convert(f"{key}.start_time", ost, to_time, "a time 'HH:MM'"),
            theme=theme,
            themes=themes,
            guest_speaker=r.get(o, key, "guest_speaker", str, "text", None),
            cancelled=r.get(o, key, "cancelled", bool, "true or false", False),
            note=r.get(o, key, "note", str, "text", None),
        ))
    first_date = r.convert("meetings.first_date", r.get(m, "meetings", "first_date", (str, date),
                                                        "a date YYYY-MM-DD", "2026-01-01"),
                           to_date, "a date YYYY-MM-DD")
    inv_lead = r.get(m, "meetings", "invitation_lead_days", int, "days as an integer", 14)
    rem_lead = r.get(m, "meetings", "reminder_lead_days", int, "days as an integer", 2)
    if isinstance(inv_lead, int) and isinstance(rem_lead, int) and not 0 <= rem_lead < inv_lead:
        r.problem("meetings.reminder_lead_days", "fewer days than invitation_lead_days, and not negative")
    title, titles = per_language(r, m, "meetings", "title", "", language)
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
                                                        "09:00"), to_time, "a time 'HH:MM'") or time(9, 0),
        agenda_lead_days=r.get(m, "meetings", "agenda_lead_days", int, "days as an integer", 1),
        catering_lead_days=r.get(m, "meetings", "catering_lead_days", int, "days as an integer", 2),
        thanks=r.get(m, "meetings", "thanks", bool, "true or false", True),
        memo_review=r.get(table(r, data, "memo", required=False), "memo", "review", bool, "true or false", True),
        max_topics_per_member=at_least(r, "meetings.max_topics_per_member",
                                        r.get(m, "meetings", "max_topics_per_member", int, "a number of topics", 3),
                                        1, 3),
    )

    return meetings
