"""The example network's config rewritten for a test: its files in the test's folder, and optionally sending
to an SMTP sink and reading replies from a Dovecot account (both on loopback)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dovecot import Account
from smtp_server import Server

from mailer.cli import main

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "TP_TEST_IMAP_PASSWORD"


def example_text(tmp_path: Path) -> str:
    """config/network.example.toml with the site, var/ and the members CSV where the test keeps them."""
    text = (ROOT / "config" / "network.example.toml").read_text(encoding="utf-8")
    text = text.replace('"../site"', f'"{tmp_path}/site"')  # the site sits beside var/
    return text.replace('"../var/', f'"{tmp_path}/var/').replace(
        '"members.example.csv"', f'"{ROOT}/config/members.example.csv"')


def over_smtp_and_imap(text: str, sink: Server, account: Account, folder: str) -> str:
    """`text` sending to `sink` and reading `folder` of the Dovecot `account` (no TLS, no IDLE)."""
    return text.replace('transport = "maildir"', 'transport = "smtp"') + f"""
[mail.smtp]
host = "{sink.host}"
port = {sink.port}
tls = "none"
messages_per_minute = 0

[mail.imap]
host = "{account.host}"
port = {account.port}
tls = "none"
username = "{account.user}"
password_env = "{PASSWORD_ENV}"
folder = "{folder}"
idle = false
"""


def imap_network(tmp_path: Path, text: str, sink: Server, account: Account, folder: str,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write the network's config over SMTP and IMAP, create the IMAP folder, import the example members."""
    monkeypatch.setenv(PASSWORD_ENV, account.password)
    path = tmp_path / "network.toml"
    path.write_text(over_smtp_and_imap(text, sink, account, folder), encoding="utf-8")
    if folder.upper() != "INBOX":
        client = account.imap()
        assert client.create(folder)[0] == "OK"
        client.logout()
    assert main(["members", "import", "--config", str(path)]) == 0
    return path


def append(account: Account, folder: str, raws: list[bytes]) -> None:
    """Deliver raw mails into `folder` of the account, as the mail server would."""
    client = account.imap()
    try:
        for raw in raws:
            assert client.append(folder, None, None, raw)[0] == "OK"
    finally:
        client.logout()


def weekly_series(coordinator: str = "koordinator@example.org") -> str:
    """The [network] and [meetings] tables of a small weekly network whose next invitation is already due."""
    # Three days ahead in the network's own zone, with catering and agenda mail one day ahead: whatever
    # the hour, only the invitation is due (and the coordinators get nothing a test would have to count).
    first = datetime.now(ZoneInfo("Europe/Helsinki")).date() + timedelta(days=3)
    return f"""
[network]
name = "Testnätverket"
language = "sv"
timezone = "Europe/Helsinki"
list_address = "natverk@example.org"
memo_address = "memo@example.org"
coordinators = ["{coordinator}"]

[meetings]
rrule = "FREQ=WEEKLY"
first_date = "{first.isoformat()}"
start_time = "12:00"
duration_minutes = 120
place = "Kulturhuset"
invitation_lead_days = 5
reminder_lead_days = 1
catering_lead_days = 1
agenda_lead_days = 1
send_time = "00:00"
"""
