"""`traffpunkt init DIR`: what a new admin starts from checks OK as written, and nothing is overwritten."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mailer.cli import main
from mailer.config import load_config


def test_init_writes_a_commented_config_and_members_that_check_ok(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "natverk"
    assert main(["init", str(folder)]) == 0
    text = (folder / "network.toml").read_text(encoding="utf-8")
    assert text.count("\n# ") > 40  # every key keeps its comment
    assert "# [templates]" in text
    cfg = load_config(folder / "network.toml")
    assert cfg.database == folder / "var" / "traffpunkt.db"  # everything stays inside the new folder
    assert cfg.members_csv == folder / "members.csv" and cfg.members_csv.is_file()
    assert cfg.site.output == folder / "site"
    capsys.readouterr()
    assert main(["check", "--config", str(folder / "network.toml")]) == 0
    assert main(["members", "import", "--config", str(folder / "network.toml")]) == 0
    assert "8 added" in capsys.readouterr().out


def test_init_with_templates_copies_them_and_points_the_config_at_the_copy(tmp_path: Path) -> None:
    folder = tmp_path / "natverk"
    assert main(["init", "--templates", str(folder)]) == 0
    assert tomllib.loads((folder / "network.toml").read_text(encoding="utf-8"))["templates"]["dir"] == "templates"
    assert load_config(folder / "network.toml").templates_dir == folder / "templates"
    for language in ("sv", "fi", "en"):
        assert (folder / "templates" / language / "invitation.txt").is_file()
    assert (folder / "templates" / "site" / "index.html").is_file()


def test_init_never_overwrites_an_existing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "network.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (tmp_path / "network.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "members.csv").exists()
