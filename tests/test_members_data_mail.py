"""Members ask by mail for their data or its erasure; nothing happens before their one-tap confirmation."""

from __future__ import annotations

import json
import mailbox
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from example_network import example_text
from test_members_data import ADDRESS, NAME, _files, _mail, _reply_to

from mailer.cli import main
from mailer.inbound.forget import mentions

ANNA = "anna.lindqvist@teaterforum.fi"
CODE = re.compile(r"gdpr-(erase|export)-([a-z0-9]{20})")


def _sent(root: Path, kind: str, to: str | None = None) -> list[EmailMessage]:
    found = []
    for path in (root / "var" / "outbox" / "new").iterdir():
        msg = message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(msg, EmailMessage)
        if msg["X-Traffpunkt-Kind"] == kind and (to is None or msg["Delivered-To"] == to):
            found.append(msg)
    return found


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture
def network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    config = tmp_path / "etc" / "network.toml"
    config.parent.mkdir()
    config.write_text(example_text(tmp_path), encoding="utf-8")
    assert main(["members", "import", "--config", str(config)]) == 0
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", "--config", str(config)]) == 0
    capsys.readouterr()
    return config


def _deliver(config: Path, now: str, *mails: bytes) -> None:
    inbox = mailbox.Maildir(config.parent.parent / "var" / "inbox", create=True)
    for raw in mails:
        inbox.add(raw)
    assert main(["run", "--once", "--now", now, "--config", str(config)]) == 0


def test_erase_by_mail_waits_for_the_members_own_confirmation_then_leaves_no_trace(network: Path) -> None:
    root = network.parent.parent
    paivi, anna = _reply_to(root / "var" / "outbox", ADDRESS), _reply_to(root / "var" / "outbox", ANNA)
    _deliver(network, "2026-11-20T10:00+02:00",
             _mail(f"{NAME} <{ADDRESS}>", paivi, f"Kyllä, tulen.\n\n{NAME}\n"),
             _mail(f"{NAME} <{ADDRESS}>", paivi, f"Hei, poistakaa tietoni, kiitos.\n\n{NAME}\n"))
    [confirm] = _sent(root, "privacy-confirm", ADDRESS)
    action, code = CODE.findall(_text(confirm))[0]
    assert action == "erase"
    assert main(["members", "list", "--config", str(network)]) == 0  # nothing erased on the request alone
    assert any(ADDRESS.encode() in p.read_bytes() for p in _files(root / "var") if p.name == "traffpunkt.db")

    # Another member cannot confirm it, not even with the code.
    _deliver(network, "2026-11-20T11:00+02:00",
             _mail(f"Anna <{ANNA}>", anna, f"gdpr-erase-{code}\n"))
    assert not _sent(root, "privacy-erased")
    assert any(ADDRESS.encode() in p.read_bytes() for p in _files(root / "var") if p.name == "traffpunkt.db")

    # Her one-tap answer: the goodbye and the coordinators' notice go out, then every trace goes.
    raw = _mail(f"{NAME} <{ADDRESS}>", paivi, f"gdpr-erase-{code}\n")
    raw = raw.replace(b"Subject: Re: Kutsu", f"Subject: gdpr-erase-{code}".encode())
    _deliver(network, "2026-11-20T12:00+02:00", raw)
    [notice] = _sent(root, "privacy-notice")
    assert "Mäkelä" not in _text(notice) and ADDRESS not in _text(notice)
    for path in _files(root):
        data = path.read_bytes().lower()
        assert ADDRESS.encode() not in data and NAME.lower().encode() not in data, path
        if "outbox" in path.parts or "inbox" in path.parts:
            assert not mentions(path.read_bytes(), [ADDRESS, NAME]), path
    # the goodbye itself went out before its copy was removed: the Maildir transport shows no copy now
    assert not _sent(root, "privacy-erased")


def test_export_by_mail_sends_the_member_their_data_after_the_confirmation(network: Path) -> None:
    root = network.parent.parent
    anna = _reply_to(root / "var" / "outbox", ANNA)
    _deliver(network, "2026-11-20T10:00+02:00",
             _mail(f"Anna Lindqvist <{ANNA}>", anna, "Ja, jag kommer. Ärende: gemensam kalender\n"),
             _mail(f"Anna Lindqvist <{ANNA}>", anna, "Hej! Skicka mina uppgifter, tack.\n"))
    assert not _sent(root, "privacy-export")
    [confirm] = _sent(root, "privacy-confirm", ANNA)
    action, code = CODE.findall(_text(confirm))[0]
    assert action == "export"
    _deliver(network, "2026-11-20T11:00+02:00", _mail(f"Anna Lindqvist <{ANNA}>", anna, f"gdpr-export-{code}\n"))
    [export] = _sent(root, "privacy-export", ANNA)
    body = _text(export)
    data = json.loads(body[body.index("{"):body.rindex("}") + 1])
    assert data["member"]["address"] == ANNA and data["answers"][0]["answer"] == "yes"
    assert any("kalender" in t["text"] for t in data["topics"])
    [notice] = _sent(root, "privacy-notice")
    assert "Anna Lindqvist" in _text(notice)
    # the code is spent: the same answer again sends nothing more
    _deliver(network, "2026-11-20T12:00+02:00", _mail(f"Anna Lindqvist <{ANNA}>", anna, f"gdpr-export-{code}\n"))
    assert len(_sent(root, "privacy-export", ANNA)) == 1
