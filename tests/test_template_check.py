"""`traffpunkt check` finds a template mistake in any branch and names its file and line (exit 2)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from mailer import PROJECT_ROOT
from mailer.cli import main
from mailer.config import Config, load_config
from mailer.outbound import template_check
from mailer.outbound.compose import KINDS, Composer
from mailer.outbound.template_check import contexts
from mailer.state.store import Store

EXAMPLE = PROJECT_ROOT / "config" / "network.example.toml"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE)


def templates_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def problems(config: Config, folder: Path) -> list[str]:
    return template_check.problems(Composer(replace(config, templates_dir=folder), Store.memory(), b"check"))


def test_the_shipped_templates_have_no_problem(config: Config) -> None:
    assert template_check.problems(Composer(config, Store.memory(), b"check")) == []


def test_a_misspelt_field_in_the_reminders_maybe_branch_is_named_with_file_and_line(
    config: Config, tmp_path: Path
) -> None:
    folder = templates_with(tmp_path, "sv/reminder.txt", "Du svarade kanske", "Du svarade {{ ctx.ansewr }}")
    found = problems(config, folder)
    line = next(i for i, text in enumerate((folder / "sv/reminder.txt").read_text().split("\n"), 1)
                if "ansewr" in text)
    assert f"{folder}/sv/reminder.txt: line {line}: 'ctx' has no field 'ansewr'" in found
    rendered = [p for p in found if "UndefinedError" in p]
    assert rendered and rendered[0].startswith(f"{folder}/sv/reminder.txt: line {line}:")
    assert "answer='maybe'" in rendered[0]  # the branch it took to get there


def test_an_undefined_name_in_a_nested_branch_is_found_by_rendering_and_by_reading(
    config: Config, tmp_path: Path
) -> None:
    folder = templates_with(tmp_path, "fi/confirmation.txt", "Jos tulet, varaudumme {{ ctx.guests }} vieraaseen.",
                            "Jos tulet, varaudumme {{ gusts }} vieraaseen.")
    found = problems(config, folder)
    assert any(p.startswith(f"{folder}/fi/confirmation.txt: line ") and "'gusts' is undefined" in p
               and "UndefinedError" not in p for p in found)
    assert any(p.startswith(f"{folder}/fi/confirmation.txt: line ") and "UndefinedError" in p
               and "answer='maybe'" in p and "guests=3" in p for p in found)


def test_a_misspelt_meeting_field_in_a_shared_piece_is_named(config: Config, tmp_path: Path) -> None:
    folder = templates_with(tmp_path, "en/_meeting.txt", "{{ meeting.theme }}", "{{ meeting.tehme }}")
    assert any(p.startswith(f"{folder}/en/_meeting.txt: line ") and "'meeting' has no field 'tehme'" in p
               for p in problems(config, folder))


def test_an_error_only_without_an_online_link_is_found(config: Config, tmp_path: Path) -> None:
    folder = templates_with(tmp_path, "sv/update.txt", "Träffen har inte längre någon distanslänk",
                            "Träffen har inte längre någon distanslänk {{ c.aftr }}")
    found = problems(config, folder)
    assert any(p.startswith(f"{folder}/sv/update.txt: line ") and "UndefinedError" in p for p in found), found


def test_check_exits_2_and_names_the_file_of_a_broken_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = templates_with(tmp_path, "sv/reminder.txt", "Du svarade kanske", "Du svarade {{ ctx.ansewr }}")
    text = EXAMPLE.read_text(encoding="utf-8").replace('"../var/', f'"{tmp_path}/var/')
    text = text.replace('"members.example.csv"', f'"{PROJECT_ROOT}/config/members.example.csv"')
    text = text.replace('"../site"', f'"{tmp_path}/site"') + f'\n[templates]\ndir = "{folder}"\n'
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 2
    assert f"{folder}/sv/reminder.txt: line" in capsys.readouterr().err


@pytest.mark.parametrize("kind", KINDS)
def test_the_contexts_give_each_answer_and_none(kind: str) -> None:
    made = [ctx for _label, ctx in contexts(kind)]
    assert made
    if kind in ("reminder", "confirmation"):
        assert {ctx.get("answer") for ctx in made} >= {"yes", "no", "maybe", None}
    if kind in ("confirmation", "catering"):
        assert {ctx.get("guests") for ctx in made} >= {0, 1, 2 if kind == "catering" else 3}
