"""The daemon keeps its files to its owner (the database holds the token secret; kept mail is members' mail),
while the published site stays readable by the web server."""

from __future__ import annotations

import logging
import mailbox
import os
import sqlite3
import stat
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.cli import main
from mailer.cli.demo import REPLIES, build_reply
from mailer.config import load_config

ROOT = Path(__file__).resolve().parent.parent
INVITE_TIME = datetime(2026, 11, 19, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def network(tmp_path: Path) -> Path:
    text = (ROOT / "config" / "network.example.toml").read_text(encoding="utf-8")
    text = text.replace('"../site"', f'"{tmp_path}/site"')  # the site sits beside var/
    text = text.replace('"../var/', f'"{tmp_path}/var/').replace(
        '"members.example.csv"', f'"{ROOT}/config/members.example.csv"')
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(config: Path, now: datetime) -> None:
    assert main(["run", "--once", "--config", str(config), "--now", now.isoformat()]) == 0


def test_the_database_its_wal_shm_and_lock_are_owner_only_and_a_readable_one_is_tightened(
        network: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = load_config(network)
    cfg.database.parent.mkdir(parents=True)
    # an old install: the database and its -wal/-shm readable by everyone, held open by another reader
    other = sqlite3.connect(cfg.database)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    wal, shm = (cfg.database.with_name(cfg.database.name + s) for s in ("-wal", "-shm"))
    for path in (cfg.database, wal, shm):
        os.chmod(path, 0o644)
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        with caplog.at_level(logging.WARNING, logger="traffpunkt.store"):
            assert main(["members", "import", "--config", str(network)]) == 0
            _run(network, INVITE_TIME)
        assert {_mode(p) for p in (cfg.database, wal, shm)} == {0o600}
        assert _mode(cfg.database.with_name(cfg.database.name + ".lock")) == 0o600
        assert "was readable by others (mode 644); now 600" in caplog.text
        assert os.umask(umask) == umask  # the command gave the caller's umask back
    finally:
        other.close()


def test_a_wal_created_later_takes_the_private_mode_of_the_database(network: Path) -> None:
    cfg = load_config(network)
    _run(network, INVITE_TIME)
    assert _mode(cfg.database) == 0o600
    assert not cfg.database.with_name(cfg.database.name + "-wal").exists()  # removed when the daemon closed
    old = os.umask(0o022)
    try:
        conn = sqlite3.connect(cfg.database)  # anyone opening it later, with a loose umask
        conn.execute("INSERT INTO log (at, event) VALUES ('now', 'x')")
        conn.commit()
        assert _mode(cfg.database.with_name(cfg.database.name + "-wal")) == 0o600
        assert _mode(cfg.database.with_name(cfg.database.name + "-shm")) == 0o600
        conn.close()
    finally:
        os.umask(old)


def test_maildirs_and_kept_mail_are_owner_only_and_the_site_is_world_readable(network: Path) -> None:
    cfg = load_config(network)
    assert main(["members", "import", "--config", str(network)]) == 0
    _run(network, INVITE_TIME)
    outbox = cfg.mail.outbox_maildir
    script = REPLIES[0]
    invitation = next(m for m in (message_from_bytes(msg.as_bytes(), policy=policy.default)
                                  for msg in mailbox.Maildir(outbox, create=False))
                      if parseaddr(str(m["To"]))[1] == script.address)
    assert isinstance(invitation, EmailMessage)
    old = os.umask(0o022)  # the mail server delivers readable files
    try:
        key = mailbox.Maildir(cfg.mail.inbox_maildir, create=True).add(build_reply(script, invitation, cfg,
                                                                                   INVITE_TIME))
    finally:
        os.umask(old)
    assert _mode(cfg.mail.inbox_maildir / "new" / key) == 0o644
    _run(network, INVITE_TIME.replace(hour=10))

    for folder in (outbox, *(cfg.mail.inbox_maildir / f for f in (".processed", ".quarantine"))):
        for sub in ("", "cur", "new", "tmp"):
            assert _mode(folder / sub) == 0o700, folder / sub
    sent = [p for p in (outbox / "new").iterdir()]
    assert sent and {_mode(p) for p in sent} == {0o600}
    processed = list((cfg.mail.inbox_maildir / ".processed" / "cur").iterdir())
    assert len(processed) == 1 and _mode(processed[0]) == 0o600

    site = cfg.site.output
    assert _mode(site) == 0o755
    files = list(site.iterdir())
    assert files and {_mode(p) for p in files} == {0o644}


def test_mail_kept_readable_by_an_older_version_is_made_owner_only(network: Path) -> None:
    cfg = load_config(network)
    kept = cfg.mail.inbox_maildir / ".processed" / "cur"
    kept.mkdir(parents=True)
    os.chmod(kept, 0o755)
    old_mail = kept / "1700000000.old.host:2,S"
    old_mail.write_bytes(b"From: anna@example.fi\r\nReferences: <tp1-1-abcdefghjkmn.invitation.1.x@x>\r\n\r\nJa\r\n")
    os.chmod(old_mail, 0o644)
    _run(network, INVITE_TIME)
    assert _mode(kept) == 0o700 and _mode(old_mail) == 0o600
