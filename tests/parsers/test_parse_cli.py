"""`parse [--json] FILE...` prints what was read from each mail, and names unreadable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _mails import plain

from parsers.cli import main


def test_json_output_has_one_object_per_file_with_the_contract_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(plain("Ja, vi blir två.\nKost: vegetarisk"))
    second.write_bytes(plain("Nej tyvärr."))
    assert main(["parse", "--json", str(first), str(second)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    objects = [json.loads(line) for line in lines]
    assert [o["file"] for o in objects] == [str(first), str(second)]
    assert objects[0]["rsvp"] == "yes" and objects[0]["guests"] == 1 and objects[0]["dietary"] == "vegetarisk"
    assert objects[1]["rsvp"] == "no"
    for key in ("category", "topics", "command", "needs", "offers", "body", "failed_recipients", "language"):
        assert key in objects[0]


def test_readable_summary_says_what_was_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.eml"
    path.write_bytes(plain("Ja!\nÄrende: Gemensam lokal"))
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "category:  reply" in out and "rsvp:      yes" in out and "Gemensam lokal" in out


def test_unreadable_file_is_named_on_stderr_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(plain("Ja"))
    missing = tmp_path / "missing.eml"
    assert main(["parse", str(missing), str(good)]) == 2
    captured = capsys.readouterr()
    assert str(missing) in captured.err
    assert "Traceback" not in captured.err
    assert "good.eml" in captured.out


def test_parse_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["parse", "--help"])
    assert exit_info.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_summary_and_json_say_what_the_reader_is_unsure_of_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.eml"
    path.write_bytes(plain("Ja! Jag kan inte komma. Finns det parkering?"))
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "unsure:    rsvp" in out
    assert 'why rsvp:' in out and "Jag kan inte komma" in out
    assert "question:  yes" in out
    assert main(["parse", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unsure"] == ["rsvp"] and data["question"] is True
    assert data["why"]["question"] == "Finns det parkering?"
