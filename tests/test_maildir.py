"""The Maildir transport: each sent message is one parseable file in new/, through the same outbox drain."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from test_outbox import Clock, mail_settings, queue, render

from mailer import PROJECT_ROOT
from mailer.config import SmtpSettings, load_config
from mailer.outbound.factory import make_transport
from mailer.outbound.maildir_transport import MaildirTransport, file_name_for, message_id_of
from mailer.outbound.outbox import drain
from mailer.outbound.smtp import SmtpTransport
from mailer.state.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.memory()
    yield s
    s.close()


async def test_each_sent_message_is_one_parseable_file_in_new(store: Store, tmp_path: Path) -> None:
    box = tmp_path / "outbox"
    queue(store, "anna@example.org", "bertil@example.org", "cecilia@example.org")
    transport = MaildirTransport(box)
    report = await drain(store, render, transport, Clock(), config=mail_settings())
    await transport.aclose()

    assert report.sent == 3
    files = sorted((box / "new").iterdir())
    assert len(files) == 3
    assert list((box / "tmp").iterdir()) == [] and list((box / "cur").iterdir()) == []
    parsed = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert sorted(str(m["Delivered-To"]) for m in parsed) == ["anna@example.org", "bertil@example.org",
                                                              "cecilia@example.org"]
    assert all(str(m["Return-Path"]) == "<natverk@example.org>" for m in parsed)
    assert {f.name for f in files} == {f"invitation.{n}.test@example.org" for n in range(3)}
    assert len(mailbox.Maildir(box, create=False)) == 3


async def test_a_message_sent_again_replaces_its_earlier_copy(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "outbox")
    data = b"From: a@example.org\r\nMessage-ID: <same@example.org>\r\nSubject: once\r\n\r\nbody\r\n"
    await transport.send("a@example.org", "anna@example.org", data)
    await transport.send("a@example.org", "anna@example.org", data)  # a retry after a crash
    assert [f.name for f in (tmp_path / "outbox" / "new").iterdir()] == ["same@example.org"]


def test_file_names_come_from_the_message_id_and_are_safe() -> None:
    data = b"Subject: x\r\nMessage-Id:\r\n <tp42-7-abc/def:ghi@example.org>\r\n\r\nMessage-ID: <body@x>\r\n"
    assert message_id_of(data) == "tp42-7-abc/def:ghi@example.org"
    assert file_name_for(data) == "tp42-7-abc_def_ghi@example.org"
    assert "/" not in file_name_for(b"Subject: no id\r\n\r\nbody\r\n")


def test_make_transport_is_maildir_by_default_and_smtp_when_configured() -> None:
    config = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    assert isinstance(make_transport(config), MaildirTransport)
    smtp = SmtpSettings(host="smtp.example.org", port=587, tls="starttls", username=None, password_env=None,
                        timeout_seconds=30)
    config = replace(config, mail=replace(config.mail, transport="smtp", smtp=smtp))
    assert isinstance(make_transport(config), SmtpTransport)
