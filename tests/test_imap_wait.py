"""How the daemon waits for new mail: a quick NOOP poll on a Dovecot on loopback (whose IDLE tells of new mail
only 500 ms after it came), IDLE on any other server unless the admin sets `noop_seconds`."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from dovecot import Account

from mailer.config import ImapSettings, load_config
from mailer.errors import ConfigError
from mailer.inbound.imap_reader import ImapInbox
from mailer.inbound.imap_wait import is_loopback, noop_interval
from mailer.state.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent / "acceptance"))
from imap_proxy import imap_proxy  # noqa: E402

DOVECOT = b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+] Dovecot (Debian) ready."
GMAIL = b"* OK Gimap ready for requests from 192.0.2.1 a1mb12345678"
DAVMAIL = b"* OK [CAPABILITY IMAP4REV1 AUTH=LOGIN MOVE SPECIAL-USE] IMAP4rev1 DavMail 6.2.0 server ready"
EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "network.example.toml"


def imap(host: str, noop: float | None = None, idle: bool = True) -> ImapSettings:
    return ImapSettings(host=host, port=993, tls="tls", username="u", password_env=None, timeout_seconds=10.0,
                        idle=idle, noop_seconds=noop)


@pytest.mark.parametrize(("host", "greeting", "expected"), [
    ("127.0.0.1", DOVECOT, 0.1),
    ("localhost", DOVECOT, 0.1),
    ("::1", DOVECOT, 0.1),
    ("127.0.0.53", DOVECOT, 0.1),
    ("imap.example.org", DOVECOT, 0.0),  # a Dovecot elsewhere: each NOOP is a round trip over the net
    ("192.168.1.10", DOVECOT, 0.0),
    ("imap.gmail.com", GMAIL, 0.0),
    ("127.0.0.1", DAVMAIL, 0.0),  # a local gateway to Exchange: each NOOP would be a call to Microsoft
    ("127.0.0.1", None, 0.0),
    ("localhost.example.org", DOVECOT, 0.0),  # a name, not loopback: no DNS look-up decides
])
def test_only_a_dovecot_on_loopback_is_polled_by_default(host: str, greeting: bytes | None,
                                                         expected: float) -> None:
    assert noop_interval(imap(host), greeting) == expected


@pytest.mark.parametrize(("host", "greeting", "noop"), [
    ("imap.example.org", DOVECOT, 2.0), ("127.0.0.1", DAVMAIL, 0.5), ("127.0.0.1", DOVECOT, 0.0),
])
def test_noop_seconds_in_the_config_wins_on_any_server(host: str, greeting: bytes, noop: float) -> None:
    assert noop_interval(imap(host, noop), greeting) == noop


def test_loopback_is_read_from_the_address_text() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "[::1]", "LOCALHOST.", "10.0.0.1", "outlook.office365.com",
                                      "not an address")] == [True, True, True, False, False, False]


def _smtp_config(tmp_path: Path, imap_lines: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "network.toml"
    path.write_text(text + '\n[mail.smtp]\nhost = "smtp.example.org"\n\n[mail.imap]\nhost = "imap.example.org"\n'
                    + imap_lines, encoding="utf-8")
    return path


def test_noop_seconds_is_read_from_the_imap_table_and_a_negative_one_is_a_problem(tmp_path: Path) -> None:
    def read(lines: str) -> ImapSettings:
        text = _smtp_config(tmp_path, lines).read_text(encoding="utf-8").replace(
            'transport = "maildir"', 'transport = "smtp"')
        (tmp_path / "network.toml").write_text(text, encoding="utf-8")
        imap_settings = load_config(tmp_path / "network.toml").mail.imap
        assert imap_settings is not None
        return imap_settings

    assert read("").noop_seconds is None
    assert read("noop_seconds = 0.25\n").noop_seconds == 0.25
    assert read("noop_seconds = 0\n").noop_seconds == 0.0
    for wrong in ("-1", "0.001", "86400", "true"):
        with pytest.raises(ConfigError, match="mail.imap.noop_seconds"):
            read(f"noop_seconds = {wrong}\n")


# -- against the real Dovecot, through a proxy that counts the commands the waiting session sends -----------


def _wait_and_deliver(account: Account, tmp_path: Path, noop: float | None) -> tuple[bool, int, int, int]:
    """One wait_for_mail through the proxy while a message arrives; (woke, NOOPs, IDLEs, logins)."""
    store = Store.open(tmp_path / "t.db")
    with imap_proxy((account.host, account.port)) as proxy:
        settings = ImapSettings(host="127.0.0.1", port=proxy.port, tls="none", username=account.user,
                                password_env=None, timeout_seconds=10.0, noop_seconds=noop)
        inbox = ImapInbox(settings, account.password, store)
        try:
            assert inbox.wait_for_mail(0) is False
            result: list[bool] = []
            thread = threading.Thread(target=lambda: result.append(inbox.wait_for_mail(60)), daemon=True)
            thread.start()
            time.sleep(1.0)  # the wait has begun and found nothing
            client = account.imap()
            try:
                assert client.append("INBOX", None, None, b"From: a@example.org\r\nSubject: x\r\n\r\nJa\r\n")[0] == "OK"
            finally:
                client.logout()
            thread.join(30)
            assert result, "wait_for_mail did not return"
            return result[0], proxy.commands(b"NOOP"), proxy.commands(b"IDLE"), inbox.logins
        finally:
            inbox.close()
            store.close()


@pytest.mark.imap
def test_a_dovecot_on_loopback_is_asked_with_noop_and_never_idled_on(imap_account: Account,
                                                                      tmp_path: Path) -> None:
    woke, noops, idles, logins = _wait_and_deliver(imap_account, tmp_path, None)
    assert woke and idles == 0 and logins == 1
    assert noops >= 5  # about ten a second for the second it waited


@pytest.mark.imap
def test_with_noop_seconds_0_the_session_waits_in_idle_as_for_a_remote_server(imap_account: Account,
                                                                              tmp_path: Path) -> None:
    woke, noops, idles, logins = _wait_and_deliver(imap_account, tmp_path, 0.0)
    assert woke and idles == 1 and logins == 1
    assert noops <= 2  # the look before the wait: no polling
