"""The daemon on OAuth2 end to end (`traffpunkt run --once`): SMTP through aiosmtpd and IMAP through a real
Dovecot whose oauth2 passdb asks the loopback provider about each token. Expired tokens are refreshed; a
revoked grant loses nothing, `status` says what to do, and the coordinators are told once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dovecot import REQUIRE_ENV, Account, DovecotUnavailable
from example_network import append, example_text
from oauth_server import OAuthDovecot, Provider, XOAuth2Sink, oauth_provider, xoauth2_smtp
from smtp_server import Server

from mailer.cli import main
from mailer.config import load_config
from mailer.state.store import Store

pytestmark = [pytest.mark.imap, pytest.mark.slow]
HEL = ZoneInfo("Europe/Helsinki")
INVITE_TIME = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)
COORDINATOR = "koordinator@kulturnatverket.fi"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oauth_provider() as p:
        yield p


@pytest.fixture(scope="module")
def oauth_dovecot(provider: Provider) -> Iterator[OAuthDovecot]:
    try:
        server = OAuthDovecot(provider)
        server.start()
    except DovecotUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"Dovecot is required ({REQUIRE_ENV}=1) but unavailable: {exc}")
        pytest.skip(f"no Dovecot for IMAP tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink(provider: Provider) -> Iterator[Server]:
    with xoauth2_smtp(provider) as server:
        yield server


def network(tmp_path: Path, provider: Provider, sink: Server, account: Account) -> Path:
    """The example network sending and reading mail as `account`, with XOAUTH2 on both sides."""
    text = example_text(tmp_path).replace('transport = "maildir"', 'transport = "smtp"') + f"""
[mail.smtp]
host = "{sink.host}"
port = {sink.port}
tls = "none"
auth = "xoauth2"
username = "{account.user}"
messages_per_minute = 0

[mail.imap]
host = "{account.host}"
port = {account.port}
tls = "none"
auth = "xoauth2"
username = "{account.user}"
idle = false

[mail.oauth]
provider = "generic"
client_id = "traffpunkt-test"
token_url = "http://127.0.0.1:{provider.port}/token"
device_url = "http://127.0.0.1:{provider.port}/devicecode"
scopes = ["mail"]
token_file = "{tmp_path}/var/oauth-token.json"
"""
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["members", "import", "--config", str(path)]) == 0
    return path


def correction() -> bytes:
    """A coordinator's correction line, vouched for by our receiving server: the daemon answers it."""
    msg = EmailMessage(policy=SMTP)
    msg["Authentication-Results"] = "mx.kulturnatverket.fi; dkim=pass header.d=kulturnatverket.fi; dmarc=pass"
    msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = f"Koordinatorn <{COORDINATOR}>"
    msg["To"] = "natverk@kulturnatverket.fi"
    msg["Subject"] = "Svar per telefon"
    msg["Date"] = format_datetime(INVITE_TIME + timedelta(hours=1))
    msg["Message-ID"] = make_msgid(domain="kulturnatverket.fi")
    msg.set_content("Päivi Mäkelä: kyllä +1\n")
    return msg.as_bytes()


def run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def kinds(sink: Server) -> list[str]:
    return [str(d.message()["X-Traffpunkt-Kind"]) for d in sink.handler.delivered]


def inbox_uids(account: Account) -> int:
    client = account.imap()
    try:
        client.select("INBOX")
        typ, data = client.uid("SEARCH", "UNDELETED")
        return len(data[0].split()) if typ == "OK" and data and data[0] else 0
    finally:
        client.logout()


def test_the_daemon_sends_and_reads_with_xoauth2_and_refreshes_expired_tokens(
        tmp_path: Path, provider: Provider, oauth_dovecot: OAuthDovecot, sink: Server) -> None:
    account = oauth_dovecot.account()
    config = network(tmp_path, provider, sink, account)
    oauth = load_config(config).mail.oauth
    assert oauth is not None
    provider.login(oauth, account.user)
    run(config, INVITE_TIME)
    invitations = kinds(sink).count("invitation")
    assert invitations >= 3 and set(kinds(sink)) == {"invitation"}
    handler = sink.handler
    assert isinstance(handler, XOAuth2Sink) and set(handler.logins) == {account.user}

    append(account, "INBOX", [correction()])
    before = len(provider.requests)
    provider.expire_access_tokens()  # the servers refuse what the token file still calls valid
    run(config, INVITE_TIME + timedelta(hours=2))
    assert "corrections" in kinds(sink) and inbox_uids(account) == 0  # read, answered and moved on
    assert len(provider.requests) == before + 1  # IMAP refused, refreshed once; SMTP used the new token
    assert "method=XOAUTH2" in oauth_dovecot.log.read_text()
    store = Store.open(load_config(config).database)
    try:
        meeting = next(iter(store.meetings().values()))
        assert {r["address"]: r["answer"] for r in store.rsvps(meeting.id)} == {"paivi.makela@galleriavalo.fi": "yes"}
    finally:
        store.close()


def test_a_revoked_grant_loses_nothing_status_says_what_to_do_and_coordinators_are_told_once(
        tmp_path: Path, provider: Provider, oauth_dovecot: OAuthDovecot, sink: Server,
        capsys: pytest.CaptureFixture[str]) -> None:
    account = oauth_dovecot.account()
    config = network(tmp_path, provider, sink, account)
    oauth = load_config(config).mail.oauth
    assert oauth is not None
    provider.login(oauth, account.user, ttl=0)
    provider.revoke(account.user)
    before = len(provider.requests)
    append(account, "INBOX", [correction()])
    run(config, INVITE_TIME)
    run(config, INVITE_TIME + timedelta(minutes=10))
    assert sink.handler.delivered == [] and inbox_uids(account) == 1  # nothing sent, nothing read
    assert [g for g, _ in provider.requests[before:]] == ["refresh_token"]  # refused once, not hammered
    capsys.readouterr()
    assert main(["status", "--config", str(config), "--now", INVITE_TIME.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "OAuth2 login REFUSED" in out and "invalid_grant" in out
    assert f"traffpunkt auth login --config {config}" in out
    assert "queued invitation" in out and "queued auth-lost to koordinator@kulturnatverket.fi" in out

    provider.login(oauth, account.user)  # the admin ran `traffpunkt auth login` again
    run(config, INVITE_TIME + timedelta(hours=1))
    sent = kinds(sink)
    assert sent.count("auth-lost") == 1 and sent.count("invitation") >= 3 and "corrections" in sent
    lost = next(d.message() for d in sink.handler.delivered if d.message()["X-Traffpunkt-Kind"] == "auth-lost")
    assert parseaddr(str(lost["To"]))[1] == COORDINATOR
    assert "traffpunkt auth login" in str(lost.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert inbox_uids(account) == 0
    capsys.readouterr()
    assert main(["status", "--config", str(config), "--now", INVITE_TIME.isoformat()]) == 0
    assert "OAuth2" not in capsys.readouterr().out
