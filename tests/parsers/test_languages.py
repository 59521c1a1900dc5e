"""Language rules are data: each parsers/lang/*.toml loads, and a fourth language needs only a new file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from parsers import intent, languages
from parsers.languages import load_folder

LANG_DIR = Path(languages.__file__).parent / "lang"

GERMAN = """
code = "de"
words = ["ich", "komme", "nicht", "gerne", "leider", "und", "wir", "sind", "zwei", "vielleicht"]
greetings = ["hallo"]
signoffs = ["grüße", "viele grüße"]
[quotes]
attribution_verbs = ["schrieb"]
header_from = ["Von"]
header_fields = ["Gesendet", "An", "Betreff"]
[rsvp]
answer_yes = ["ja"]
answer_no = ["nein"]
answer_maybe = ["vielleicht"]
yes = ["\\\\bich komme\\\\b(?! nicht)", "\\\\bgerne\\\\b"]
no = ["\\\\bleider\\\\b", "\\\\bkomme nicht\\\\b"]
maybe = ["\\\\bvielleicht\\\\b"]
[guests.numbers]
zwei = 2
drei = 3
[guests]
total = ["\\\\bwir sind {n}\\\\b"]
[sections]
dietary = ["ernährung"]
topics = ["thema"]
"""


def test_every_shipped_language_file_loads() -> None:
    codes = [lang.code for lang in load_folder(LANG_DIR)]
    assert codes == ["en", "fi", "sv"]
    for lang in load_folder(LANG_DIR):
        assert lang.words and lang.attribution_verbs and lang.rsvp["yes"] and lang.rsvp["no"]


def test_a_broken_language_file_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "xx.toml").write_text('code = "xx"\nwords = "not a list"\n')
    with pytest.raises(ValueError, match="xx.toml"):
        load_folder(tmp_path)


@pytest.fixture
def with_german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for path in LANG_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "de.toml").write_text(GERMAN, encoding="utf-8")
    langs = load_folder(tmp_path)
    monkeypatch.setattr(intent, "languages", lambda: langs)
    monkeypatch.setattr(intent, "by_code", lambda: {lang.code: lang for lang in langs})
    intent._word_weights.cache_clear()
    intent._markers.cache_clear()
    yield
    intent._word_weights.cache_clear()
    intent._markers.cache_clear()


@pytest.mark.usefixtures("with_german")
def test_a_fourth_language_is_only_a_data_file() -> None:
    read = intent.read_intent("Hallo! Ich komme gerne, wir sind zwei.\nThema: Gemeinsame Räume")
    assert (read.language, read.rsvp, read.guests, read.topics) == ("de", "yes", 1, ("Gemeinsame Räume",))
    assert intent.read_intent("Leider komme ich nicht.").rsvp == "no"
