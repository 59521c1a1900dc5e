"""`traffpunkt preview` shows the mail as the member reads it, with the member's real answer; --html, --raw."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from example_network import example_text

from mailer.cli import main
from mailer.state.store import Store

PAIVI = "paivi.makela@galleriavalo.fi"


@pytest.fixture
def network(tmp_path: Path) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(example_text(tmp_path), encoding="utf-8")
    assert main(["members", "import", "--config", str(path)]) == 0
    return path


def test_preview_prints_decoded_headers_and_the_text_as_the_member_reads_it(
    network: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["preview", "invitation", "--member", PAIVI, "--meeting", "2026-12-03", "--config", str(network)]) == 0
    out = capsys.readouterr().out
    assert "Subject: Kutsu: Nätverksträff torstaina 3.12. klo 17.00" in out
    assert "=?utf-8?" not in out.lower() and "=C3=A4" not in out and "Content-Transfer-Encoding" not in out
    assert "Hei Päivi!" in out and "Vastaa KYLLÄ, EI tai EHKÄ" in out
    assert "[also: a calendar entry (METHOD:REQUEST): Accept / Decline]" in out


def test_preview_of_a_reminder_follows_the_members_recorded_answer(
    network: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", "--config", str(network)]) == 0
    store = Store.open(tmp_path / "var" / "traffpunkt.db")
    meeting = store.meeting_on(date(2026, 12, 3))
    member = store.member_by_address(PAIVI)
    assert meeting is not None and member is not None
    store.set_rsvp(meeting.id, member.id, "maybe", datetime(2026, 11, 20, 10, 0).astimezone())
    store.close()
    capsys.readouterr()
    assert main(["preview", "reminder", "--member", PAIVI, "--meeting", "2026-12-03", "--config", str(network)]) == 0
    out = capsys.readouterr().out
    assert "Vastasit ehkä" in out and "mukavaa, että tulet" not in out
    assert "Tähän mennessä" not in out  # nobody has said yes: no head count is made up


def test_preview_html_writes_the_html_part_and_raw_prints_the_wire_bytes(
    network: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "invitation.html"
    assert main(["preview", "invitation", "--meeting", "2026-12-03", "--html", str(html),
                 "--config", str(network)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Nätverksträff" in page
    capsys.readouterr()
    assert main(["preview", "invitation", "--meeting", "2026-12-03", "--raw", "--config", str(network)]) == 0
    raw = capsys.readouterr().out
    assert "Content-Transfer-Encoding: quoted-printable" in raw and "MIME-Version: 1.0" in raw
