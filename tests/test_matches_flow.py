"""Needs meet offers through the real commands: a Swedish need and a Finnish offer paired in `matches`, in
the memo's "needs and offers" section, and introduced by one mail each, once."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from example_network import example_text
from test_members_data import _mail, _reply_to

from mailer.cli import main

ANNA, PAIVI = "anna.lindqvist@teaterforum.fi", "paivi.makela@galleriavalo.fi"


def _sent(root: Path, kind: str) -> list[EmailMessage]:
    out = []
    for path in sorted((root / "var" / "outbox" / "new").iterdir()):
        msg = message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(msg, EmailMessage)
        if msg["X-Traffpunkt-Kind"] == kind:
            out.append(msg)
    return out


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _network(tmp_path: Path, *, addresses: bool) -> Path:
    text = example_text(tmp_path).replace("review = true", "review = false").replace(
        'coordinators = ["koordinator@kulturnatverket.fi"]',
        'coordinators = ["koordinator@kulturnatverket.fi"]\nintroductions = true\n'
        f"introduction_addresses = {'true' if addresses else 'false'}")
    config = tmp_path / "network.toml"
    config.write_text(text, encoding="utf-8")
    c = ["--config", str(config)]
    assert main(["members", "import", *c]) == 0
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", *c]) == 0
    inbox = mailbox.Maildir(tmp_path / "var" / "inbox", create=True)
    outbox = tmp_path / "var" / "outbox"
    inbox.add(_mail(f"Anna <{ANNA}>", _reply_to(outbox, ANNA),
                    "Ja, jag kommer.\n\nBehöver: lokal för en workshop i mars\n"))
    inbox.add(_mail(f"Päivi <{PAIVI}>", _reply_to(outbox, PAIVI),
                    "Kyllä, tulen.\n\nTarjoan: harjoitustila vapaana tiistaisin\n"))
    assert main(["run", "--once", "--now", "2026-11-20T10:00+02:00", *c]) == 0
    return config


def _send_notes(config: Path, when: str) -> None:
    inbox = mailbox.Maildir(config.parent / "var" / "inbox", create=True)
    inbox.add(_mail("Koordinatorn <koordinator@kulturnatverket.fi>", "memo@kulturnatverket.fi",
                    "Vi pratade om våren.\n", vouched=True))
    assert main(["run", "--once", "--now", when, "--config", str(config)]) == 0


def test_matches_memo_and_introductions_pair_a_swedish_need_with_a_finnish_offer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _network(tmp_path, addresses=False)
    capsys.readouterr()
    assert main(["matches", "--meeting", "2026-12-03", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "1 need(s) met by an offer" in out
    assert "Anna Lindqvist (Teater Forum) needs: lokal för en workshop i mars" in out
    assert "Päivi Mäkelä (Galleria Valo) offers: harjoitustila vapaana tiistaisin" in out and "venue" in out

    _send_notes(config, "2026-12-04T10:00+02:00")
    memo = next(m for m in _sent(tmp_path, "memo") if m["Delivered-To"] == ANNA)
    assert "Behov och erbjudanden som möts" in _text(memo)
    assert "Päivi Mäkelä kan kanske hjälpa: harjoitustila vapaana tiistaisin" in _text(memo)
    intros = _sent(tmp_path, "introduction")
    assert sorted(m["Delivered-To"] for m in intros) == sorted([ANNA, PAIVI])
    to_anna = next(m for m in intros if m["Delivered-To"] == ANNA)
    assert "Päivi Mäkelä (Galleria Valo)" in _text(to_anna) and PAIVI not in _text(to_anna)  # not allowed

    _send_notes(config, "2026-12-04T12:00+02:00")  # a second memo version: no second introduction
    assert len(_sent(tmp_path, "introduction")) == 2


def test_introductions_give_each_others_address_when_the_config_says_they_agreed(tmp_path: Path) -> None:
    config = _network(tmp_path, addresses=True)
    _send_notes(config, "2026-12-04T10:00+02:00")
    to_paivi = next(m for m in _sent(tmp_path, "introduction") if m["Delivered-To"] == PAIVI)
    assert ANNA in _text(to_paivi) and "lokal för en workshop i mars" in _text(to_paivi)
