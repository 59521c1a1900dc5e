"""CLI habits: options before or after the command, a closed pipe, CSV dialects, member status, run's exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "network.example.toml"


def _network(tmp_path: Path, templates: Path | None = None) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('"../site"', f'"{tmp_path}/site"').replace('"../var/', f'"{tmp_path}/var/')
    text = text.replace('"members.example.csv"', f'"{ROOT}/config/members.example.csv"')
    if templates is not None:
        text += f'\n[templates]\ndir = "{templates}"\n'
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [
    ["--config", "{cfg}", "members", "list"],
    ["members", "--config", "{cfg}", "list"],
    ["members", "list", "--config", "{cfg}"],
    ["--debug", "members", "list", "--config", "{cfg}"],
    ["members", "--debug", "list", "--config", "{cfg}"],
    ["members", "list", "--config", "{cfg}", "--debug"],
], ids=lambda a: " ".join(a))
def test_config_and_debug_are_accepted_before_or_after_the_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    cfg = _network(tmp_path)
    assert main(["members", "import", "--config", str(cfg)]) == 0
    capsys.readouterr()
    assert main([a.replace("{cfg}", str(cfg)) for a in argv]) == 0
    assert "8 member(s)" in capsys.readouterr().out


def test_a_config_given_before_the_command_is_not_lost_by_the_command(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _network(tmp_path)
    assert main(["--config", str(cfg), "check"]) == 0
    assert f"{cfg}: OK" in capsys.readouterr().out


def test_debug_after_the_command_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _network(tmp_path)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("mailer.cli.status.render_status", broken)
    assert main(["status", "--config", str(cfg)]) == 1  # without --debug: one line, exit 1
    with pytest.raises(RuntimeError, match="boom"):
        main(["status", "--config", str(cfg), "--debug"])


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    cfg = _network(tmp_path)
    many = tmp_path / "many.csv"
    many.write_text("name,address\n" + "".join(f"Member {i},m{i}@example.org\n" for i in range(3000)),
                    encoding="utf-8")
    assert main(["members", "import", str(many), "--config", str(cfg)]) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "mailer.cli", "members", "list", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # what `| head -1` does: read a line, then go away
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert b"Member 0" in first and err == b""


def test_members_import_reads_a_semicolon_csv_as_excel_writes_it_in_finland(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _network(tmp_path)
    csv_file = tmp_path / "excel.csv"
    csv_file.write_bytes("\ufeffname;address;organisation;language\r\nÅsa Öberg;asa@example.fi;"
                         "\"Kulturhuset; Väst\";sv\r\nPäivi;paivi@example.fi;;fi\r\n".encode())
    assert main(["members", "import", str(csv_file), "--config", str(cfg)]) == 0
    assert "2 added, 0 already members, 0 rows skipped" in capsys.readouterr().out
    assert main(["members", "list", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "Åsa Öberg <asa@example.fi>, Kulturhuset; Väst" in out and "fi  Päivi <paivi@example.fi>" in out


def test_an_excel_csv_in_the_windows_code_page_is_refused_with_the_way_to_save_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _network(tmp_path)
    csv_file = tmp_path / "ansi.csv"
    csv_file.write_bytes("name;address\r\nJörn Åkerblom;jorn@akerblom.se\r\n".encode("cp1252"))
    assert main(["members", "import", str(csv_file), "--config", str(cfg)]) == 2
    assert 'save it as "CSV UTF-8"' in capsys.readouterr().err
    main(["members", "list", "--config", str(cfg)])
    assert "jorn@akerblom.se" not in capsys.readouterr().out  # no name guessed at


def test_members_import_reads_a_tab_separated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _network(tmp_path)
    csv_file = tmp_path / "sheet.tsv"
    csv_file.write_text("address\tname\nx@example.org\tX Person, Esq.\n", encoding="utf-8")
    assert main(["members", "import", str(csv_file), "--config", str(cfg)]) == 0
    capsys.readouterr()
    main(["members", "list", "--config", str(cfg)])
    assert "X Person, Esq. <x@example.org>" in capsys.readouterr().out


def test_members_import_reports_duplicates_within_the_file_and_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _network(tmp_path)
    csv_file = tmp_path / "dup.csv"
    csv_file.write_text("name,address\nAnna,anna@example.org\nBeda,beda@example.org\nAnna B,ANNA@example.org\n",
                        encoding="utf-8")
    assert main(["members", "import", str(csv_file), "--config", str(cfg)]) == 1
    captured = capsys.readouterr()
    assert "2 added, 0 already members, 1 rows skipped (1 duplicate in the file)" in captured.out
    assert f"{csv_file}:4: address anna@example.org skipped: a duplicate of line 2" in captured.err
    main(["members", "list", "--config", str(cfg)])
    assert "Anna <anna@example.org>" in capsys.readouterr().out  # the first row wins, as written


def test_members_list_shows_active_bouncing_and_with_all_those_who_left(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mailer.state.store import Store

    cfg = _network(tmp_path)
    assert main(["members", "import", "--config", str(cfg)]) == 0
    assert main(["members", "remove", "jorn@akerblom.se", "--config", str(cfg)]) == 0
    store = Store.open(tmp_path / "var" / "traffpunkt.db")
    member = store.member_by_address("mikko.heinonen@sirkus.fi")
    assert member is not None
    from datetime import UTC, datetime

    store.set_member_status(member.id, "bouncing", datetime.now(UTC), "550 user unknown")
    store.close()
    capsys.readouterr()
    assert main(["members", "list", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert any("bouncing" in line and "mikko.heinonen@sirkus.fi" in line for line in out.splitlines())
    assert "jorn@akerblom.se" not in out and "7 member(s): 6 active, 1 bouncing" in out
    assert main(["members", "list", "--all", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert any(" left " in line and "jorn@akerblom.se" in line for line in out.splitlines())
    assert "8 member(s): 6 active, 1 bouncing, 1 left" in out


def test_run_once_exits_1_when_mail_it_queued_could_not_be_rendered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    invitation = templates / "sv" / "invitation.txt"
    invitation.write_text(invitation.read_text(encoding="utf-8") + "{{ no_such_name }}\n", encoding="utf-8")
    cfg = _network(tmp_path, templates)
    assert main(["members", "import", "--config", str(cfg)]) == 0
    capsys.readouterr()
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "could not be rendered" in err and "render failed" in err
