"""Newcomers made welcome (`[meetings] buddies = true`): each first-timer who said yes gets a returning member
who said yes, volunteers first and spread; both are mailed; the coordinator's catering sheet shows the pairs."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from example_network import example_text
from test_members_data import _mail

from mailer.cli import main
from mailer.meeting.buddies import assign

ANNA, JORN = "anna.lindqvist@teaterforum.fi", "jorn@akerblom.se"
NEW = ["paivi.makela@galleriavalo.fi", "sanna@tanssifestivaali.fi", "oliver.grant@northernarts.org"]


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


def _answer(root: Path, address: str, body: str) -> None:
    """Answer the member's latest invitation (its reply address carries the meeting)."""
    invitations = [m for m in _sent(root, "invitation") if m["Delivered-To"] == address]
    latest = max(invitations, key=lambda m: int(str(m["Reply-To"]).split("-")[1]))
    mailbox.Maildir(root / "var" / "inbox", create=True).add(_mail(f"<{address}>", str(latest["Reply-To"]), body))


def test_first_timers_get_spread_buddies_volunteers_first_and_the_sheet_shows_them(tmp_path: Path) -> None:
    config = tmp_path / "network.toml"
    config.write_text(example_text(tmp_path).replace("buddies = false", "buddies = true"), encoding="utf-8")
    c = ["--config", str(config)]
    assert main(["members", "import", *c]) == 0
    assert main(["run", "--once", "--now", "2026-10-22T09:00+03:00", *c]) == 0  # invitations for 5.11
    for address in (ANNA, JORN):
        _answer(tmp_path, address, "Ja, jag kommer.\n")
    assert main(["run", "--once", "--now", "2026-10-22T10:00+03:00", *c]) == 0
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", *c]) == 0  # invitations for 3.12
    _answer(tmp_path, ANNA, "Ja, jag kommer.\n")
    _answer(tmp_path, JORN, "Ja, jag kommer.\n\nErbjuder: jag tar gärna emot nya medlemmar\n")
    for address in NEW:
        _answer(tmp_path, address, "Yes, I will come.\n")
    assert main(["run", "--once", "--now", "2026-11-20T10:00+02:00", *c]) == 0
    assert not _sent(tmp_path, "buddy")  # only when the catering list is due

    assert main(["run", "--once", "--now", "2026-12-01T09:00+02:00", *c]) == 0
    buddy_mail = _sent(tmp_path, "buddy")
    to = sorted(str(m["Delivered-To"]) for m in buddy_mail)
    assert to == sorted([*NEW, JORN, JORN, ANNA])  # Jörn volunteered: two newcomers; Anna one
    first = next(m for m in buddy_mail if m["Delivered-To"] == NEW[0])
    assert "Jörn Åkerblom" in _text(first)
    [catering] = _sent(tmp_path, "catering")
    assert "Faddrar för dem som är nya" in _text(catering) and "Anna Lindqvist tar emot" in _text(catering)

    assert main(["run", "--once", "--now", "2026-12-02T09:00+02:00", *c]) == 0
    assert len(_sent(tmp_path, "buddy")) == 6  # never twice


def test_assignment_spreads_newcomers_and_prefers_volunteers() -> None:
    pairs = assign([10, 11, 12, 13], [(1, False), (2, True), (3, False)], {})
    assert pairs[10] == 2 and len(set(pairs.values())) == 3
    assert assign([10], [(10, False)], {}) == {}  # nobody is their own buddy
    assert assign([10, 11], [(1, True), (2, False)], {10: 1}) == {11: 2}
