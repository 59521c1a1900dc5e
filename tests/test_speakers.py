"""Guest speakers from elsewhere: a member proposes one by reply (sv/fi/en); the coordinators see it in their
digest and in the catering mail before the meeting."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from example_network import example_text
from test_matches_flow import _sent, _text
from test_members_data import _mail, _reply_to

from mailer.cli import main
from parsers import parse_reply

PROPOSAL = "Maria Lind, Kulturkontakt Nord, Norden, hon kan allt om mobilitetsbidrag"


@pytest.mark.parametrize("body", [
    f"Ja, jag kommer.\n\nGästtalare: {PROPOSAL}\n",
    f"Kyllä, tulen.\n\nPuhujaehdotus: {PROPOSAL}\n",
    f"Yes, I'll be there.\n\nGuest speaker: {PROPOSAL}\n",
])
def test_a_guest_speaker_proposal_is_read_in_each_language_besides_the_answer(body: str) -> None:
    p = parse_reply(_mail("Anna <anna@example.fi>", "natverk@kulturnatverket.fi", body))
    assert p.speakers == (PROPOSAL,) and p.rsvp == "yes" and not p.topics


def test_the_coordinators_get_the_proposal_in_the_digest_and_the_catering_mail(tmp_path: Path) -> None:
    config = tmp_path / "network.toml"
    config.write_text(example_text(tmp_path), encoding="utf-8")
    c = ["--config", str(config)]
    assert main(["members", "import", *c]) == 0
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", *c]) == 0
    anna = "anna.lindqvist@teaterforum.fi"
    mailbox.Maildir(tmp_path / "var" / "inbox", create=True).add(_mail(
        f"Anna <{anna}>", _reply_to(tmp_path / "var" / "outbox", anna), f"Ja!\n\nGästtalare: {PROPOSAL}\n"))
    assert main(["run", "--once", "--now", "2026-11-20T10:00+02:00", *c]) == 0
    [digest] = _sent(tmp_path, "digest")
    assert "Förslag på gästtalare" in _text(digest) and "Anna Lindqvist föreslår (2026-12-03)" in _text(digest)
    assert PROPOSAL in _text(digest)
    assert main(["run", "--once", "--now", "2026-12-01T09:00+02:00", *c]) == 0
    [catering] = _sent(tmp_path, "catering")
    assert f"Anna Lindqvist föreslår: {PROPOSAL}" in _text(catering)
