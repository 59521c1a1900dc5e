"""A misspelled key or table in the config is an error (exit 2) naming file, key and the nearest valid name."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.cli import main
from mailer.config import load_config
from mailer.config.schema import KEYS
from mailer.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "network.example.toml"


def _config(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "network.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "key", "suggestion"), [
    ("invitation_lead_days = 14", "invitaton_lead_days = 14", "meetings.invitaton_lead_days",
     "did you mean invitation_lead_days?"),
    ("plus_addressing = true", "plus_adressing = false", "network.plus_adressing", "did you mean plus_addressing?"),
    ("[site]", "[sitee]", "[sitee]", "did you mean [site]?"),
    ("poll_seconds = 60", "pol_seconds = 60", "mail.pol_seconds", "did you mean poll_seconds?"),
    ('outbox = "../var/outbox"', 'outbx = "../var/outbox"', "mail.maildir.outbx", "did you mean outbox?"),
    ('theme = "Årets', 'tema = "Årets', "meetings.override[0].tema", "did you mean theme?"),
    ("review = true", "reveiw = true", "memo.reveiw", "did you mean review?"),
])
def test_a_misspelled_key_or_table_fails_check_with_the_nearest_valid_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str, suggestion: str) -> None:
    path = _config(tmp_path, old, new)
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if f": {key}: " in line)
    assert line.startswith(f"{path}: {key}: unknown") and suggestion in line


def test_an_unknown_key_without_a_near_name_lists_what_the_table_accepts(tmp_path: Path) -> None:
    path = _config(tmp_path, "[storage]\n", "[storage]\ncolour = \"blue\"\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.key == "storage.colour"
    assert "did you mean" not in problem.expected and "expected one of database" in problem.expected


def test_an_unknown_sub_table_of_mail_is_named_as_a_table(tmp_path: Path) -> None:
    path = _config(tmp_path, "[mail.maildir]", "[mail.smpt]\nhost = \"x\"\n\n[mail.maildir]")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [(p.key, "unknown table" in p.expected, "did you mean smtp?" in p.expected)
            for p in info.value.problems] == [("mail.smpt", True, True)]


def test_every_key_of_the_example_config_is_known() -> None:
    cfg = load_config(EXAMPLE)  # no ConfigError: the example and the schema agree
    assert cfg.site.show_names is False
    assert set(KEYS[""]) >= {"network", "meetings", "mail", "site", "agenda"}


def test_every_key_the_example_shows_commented_out_is_known_too(tmp_path: Path) -> None:
    import re

    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^# (\[[\w.]+\]|\w+ = .*)$", r"\1", text)  # uncomment "# key = value" and "# [table]"
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)  # [mail.smtp], [mail.imap], token_secret_env, break_minutes ... all known
    assert cfg.agenda.topic_max_count == 4 and cfg.network.token_secret_env == "TRAFFPUNKT_SECRET"
