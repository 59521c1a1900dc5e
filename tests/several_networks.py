"""Three small networks (sv, fi, en) in one folder for the several-networks tests: each its own database,
site and addresses, all sending through one SMTP account on a loopback aiosmtpd sink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailer.state.store import Store

NAMES = {"sv": "Nätverket Väst", "fi": "Verkosto Itä", "en": "Network North"}
PLACES = {"sv": "Kulturhuset", "fi": "Kirjasto", "en": "Town Hall"}
MEMBERS = 3


def network_text(lang: str, folder: Path, smtp_port: int, *, per_minute: int = 0, place: str | None = None,
                 poll_seconds: int = 3600) -> str:
    """A weekly network whose next invitation is due now, sending by SMTP to the sink on loopback."""
    first = datetime.now(ZoneInfo("Europe/Helsinki")).date() + timedelta(days=3)
    return f"""
[network]
name = "{NAMES[lang]}"
language = "{lang}"
timezone = "Europe/Helsinki"
list_address = "{lang}-natverk@example.org"
memo_address = "{lang}-memo@example.org"
coordinators = ["{lang}-koordinator@example.org"]

[meetings]
rrule = "FREQ=WEEKLY"
first_date = "{first.isoformat()}"
start_time = "12:00"
duration_minutes = 120
place = "{place or PLACES[lang]}"
invitation_lead_days = 5
reminder_lead_days = 1
catering_lead_days = 1
agenda_lead_days = 1
send_time = "00:00"

[mail]
transport = "smtp"
poll_seconds = {poll_seconds}

[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_seconds = 10
max_connections = 2
messages_per_minute = {per_minute}

[mail.imap]
host = "127.0.0.1"
port = 9
tls = "none"
timeout_seconds = 2

[storage]
database = "{folder}/{lang}.db"

[site]
output = "{folder}/sites/{lang}"
"""


def member_address(lang: str, i: int) -> str:
    return f"{lang}-medlem{i}@example.org"


def write_network(folder: Path, lang: str, smtp_port: int, **kwargs: object) -> Path:
    """`<folder>/<lang>.toml` and its database with MEMBERS members."""
    path = folder / f"{lang}.toml"
    path.write_text(network_text(lang, folder, smtp_port, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    store = Store.open(folder / f"{lang}.db")
    try:
        for i in range(MEMBERS):
            store.add_member(member_address(lang, i), f"Medlem {i}", lang, datetime.now(UTC))
    finally:
        store.close()
    return path


BROKEN = """
[network]
name = "Trasigt"
language = "sv"
timezone = "Mars/Olympus"

[meetings]
rrule = "FREQ=SOMETIMES"
"""


def write_umbrella(folder: Path, language: str = "sv") -> Path:
    path = folder / "umbrella.toml"
    path.write_text(f"""
[umbrella]
name = "Kulturforum"
language = "{language}"
timezone = "Europe/Helsinki"
output = "{folder}/sites/umbrella"
""", encoding="utf-8")
    return path


def sent_kinds(db: Path) -> list[tuple[str, str]]:
    """(kind, recipient) of every sent outbox row of one network's database."""
    store = Store.open(db)
    try:
        return [(r.kind, r.recipient) for r in store.outbox_rows("sent", limit=10_000)]
    finally:
        store.close()
