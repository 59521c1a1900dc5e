"""Which tables and keys a config may have: an unknown one is a problem naming the nearest valid name."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from mailer.config.model import Agenda, Site
from mailer.errors import ConfigProblem

_SERVER = ("host", "port", "tls", "username", "password_env", "timeout_seconds", "auth")

#: Every table's keys; a key whose value is itself in this map is a sub-table ("mail.smtp").
KEYS: dict[str, tuple[str, ...]] = {
    "": ("network", "meetings", "memo", "mail", "storage", "members", "templates", "agenda", "site"),
    "network": ("name", "language", "locale", "timezone", "list_address", "memo_address", "coordinators",
                "from_name", "public_url", "plus_addressing", "token_secret_env", "introductions",
                "introduction_addresses"),
    "meetings": ("title", "rrule", "first_date", "start_time", "duration_minutes", "end_time", "place", "address",
                 "online_link", "skip_dates", "holiday_country", "holiday_subdivision", "invitation_lead_days",
                 "reminder_lead_days", "send_time", "agenda_lead_days", "catering_lead_days", "thanks",
                 "max_topics_per_member", "buddies", "override"),
    "meetings.override": ("date", "place", "start_time", "theme", "guest_speaker", "cancelled", "note"),
    "memo": ("review",),
    "mail": ("transport", "from_address", "max_attempts", "retry_base_seconds", "poll_seconds", "authserv_id",
             "join_confirmations_per_day", "max_message_bytes", "parse_deadline_seconds", "render_worker_rows",
             "maildir", "smtp", "imap", "oauth", "dkim"),
    "mail.maildir": ("outbox", "inbox"),
    # "password" is known so that its own message ("use password_env") is the one the admin reads.
    "mail.smtp": (*_SERVER, "password", "max_connections", "messages_per_minute"),
    "mail.imap": (*_SERVER, "password", "folder", "processed_folder", "quarantine_folder", "idle",
                  "noop_seconds"),
    "storage": ("database",),
    "members": ("import_csv", "silent_after", "dormant_after"),
    "templates": ("dir",),
    "agenda": tuple(Agenda.__dataclass_fields__),
    "site": tuple(Site.__dataclass_fields__),
}


def _nearest(word: str, choices: tuple[str, ...]) -> str | None:
    """The valid name closest to a misspelling, or None when none is close (difflib, linear in the choices)."""
    found = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_keys(file: str, data: Mapping[str, Any]) -> list[ConfigProblem]:
    """One problem per key or table the config does not know, each with the nearest valid name if any."""
    problems: list[ConfigProblem] = []
    _walk(file, "", data, problems)
    return problems


def _walk(file: str, prefix: str, table: Mapping[str, Any], problems: list[ConfigProblem]) -> None:
    known = KEYS[prefix]
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if key not in known:
            is_table = isinstance(value, dict) or (isinstance(value, list) and bool(value)
                                                   and all(isinstance(v, dict) for v in value))
            problems.append(_unknown(file, prefix, key, full, known, is_table))
            continue
        if full in KEYS and isinstance(value, dict):
            _walk(file, full, value, problems)
        elif full in KEYS and isinstance(value, list):  # an array of tables: [[meetings.override]]
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _walk_item(file, full, i, item, problems)


def _walk_item(file: str, prefix: str, index: int, item: Mapping[str, Any], problems: list[ConfigProblem]) -> None:
    known = KEYS[prefix]
    for key in item:
        if key not in known:
            problems.append(_unknown(file, prefix, key, f"{prefix}[{index}].{key}", known, False))


def _unknown(file: str, prefix: str, key: str, full: str, known: tuple[str, ...], is_table: bool) -> ConfigProblem:
    where = f"[{prefix}]" if prefix else "the top level"
    if is_table and not prefix:
        near = _nearest(key, known)
        hint = f"; did you mean [{near}]?" if near else ""
        return ConfigProblem(file, f"[{full}]", f"unknown table{hint} (expected one of "
                                                f"{', '.join(f'[{k}]' for k in known)})")
    near = _nearest(key, known)
    hint = f"; did you mean {near}?" if near else ""
    what = "table" if is_table else "key"
    return ConfigProblem(file, full, f"unknown {what} in {where}{hint} (expected one of {', '.join(known)})")
