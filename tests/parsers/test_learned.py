"""The learned second opinion on a reply's RSVP: what the shipped model reads, and how it is combined."""

from __future__ import annotations

import time
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from parsers import learned
from parsers.learned import ANSWERS, combine, features, review, rsvp_probabilities

ROOT = Path(__file__).resolve().parents[2]
SURE_YES = {"yes": 0.95, "no": 0.02, "maybe": 0.02, "none": 0.01}
SURE_NO = {"yes": 0.02, "no": 0.95, "maybe": 0.02, "none": 0.01}
LEANS_NO = {"yes": 0.3, "no": 0.6, "maybe": 0.05, "none": 0.05}
SURE_NONE = {"yes": 0.01, "no": 0.02, "maybe": 0.02, "none": 0.95}


def _top(text: str) -> str:
    p = rsvp_probabilities(text)
    return max(p, key=lambda k: p[k])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Ja, jag kommer gärna!", "yes"),
        ("Tyvärr kan jag inte komma den här gången.", "no"),
        ("Kiitos kutsusta, tulen mielelläni.", "yes"),
        ("En valitettavasti pääse tällä kertaa.", "no"),
        ("Count me in!", "yes"),
        ("Sorry, I can't make it this time.", "no"),
        ("Is there parking near the Culture House?", "none"),
    ],
)
def test_the_shipped_model_reads_plain_answers_in_each_language(text: str, answer: str) -> None:
    assert _top(text) == answer


def test_probabilities_cover_every_answer_and_sum_to_one() -> None:
    p = rsvp_probabilities("Jag kommer kanske, beror på färjan.")
    assert set(p) == set(ANSWERS)
    assert sum(p.values()) == pytest.approx(1.0)


def test_an_empty_text_gives_probabilities_not_an_error() -> None:
    assert sum(rsvp_probabilities("").values()) == pytest.approx(1.0)


def test_a_huge_hostile_text_is_read_in_bounded_time() -> None:
    text = ("jag kommer " * 10 + "x" * 5000 + " ") * 200  # over 1 MB, one very long "word" per line
    start = time.perf_counter()
    rsvp_probabilities(text)
    assert time.perf_counter() - start < 0.5
    assert len(features(text)) == len(features(text[:16 * 1024]))


def test_a_typical_reply_is_read_in_well_under_a_millisecond() -> None:
    text = "Hej Anna!\n\nTack för inbjudan, jag kommer gärna och tar med en kollega. Vegansk mat, tack.\n\n/Eva"
    rsvp_probabilities(text)  # load the model
    best = 1.0
    for _ in range(50):  # the best of 50 runs: the reader's own cost, not other processes' load
        start = time.perf_counter()
        rsvp_probabilities(text)
        best = min(best, time.perf_counter() - start)
    assert best < 0.001


def test_rules_and_model_agreeing_act_on_the_answer() -> None:
    assert combine("yes", False, SURE_YES) == ("yes", False)
    assert combine(None, False, SURE_NONE) == (None, False)


def test_a_confident_disagreement_asks_the_member_and_never_swaps_the_answer() -> None:
    assert combine("yes", False, SURE_NO) == ("yes", True)
    assert combine(None, False, SURE_YES) == (None, True)


def test_a_weak_disagreement_leaves_the_rules_reading() -> None:
    assert combine("yes", False, LEANS_NO) == ("yes", False)


def test_a_reading_the_model_hardly_believes_can_be_asked_about_without_a_confident_rival() -> None:
    torn_away_from_yes = {"yes": 0.04, "no": 0.5, "maybe": 0.41, "none": 0.05}
    assert combine("yes", False, torn_away_from_yes) == ("yes", False)  # off as shipped (learned.py says why)
    assert combine("yes", False, torn_away_from_yes, confirm_below=0.1) == ("yes", True)
    assert combine("no", False, torn_away_from_yes, confirm_below=0.1) == ("no", False)


def test_a_confident_agreement_settles_a_rule_doubt_but_a_weak_one_does_not() -> None:
    assert combine("no", True, SURE_NO) == ("no", False)
    assert combine("no", True, LEANS_NO) == ("no", True)
    assert combine("no", True, SURE_YES) == ("no", True)


def test_without_a_model_reading_the_rules_stand() -> None:
    assert combine("maybe", True, {}) == ("maybe", True)
    assert combine("yes", False, {}) == ("yes", False)


def test_review_adds_rsvp_to_unsure_when_the_model_confidently_reads_another_answer() -> None:
    assert review("yes", ("guests",), "Tyvärr kan jag inte komma den här gången.") == ("guests", "rsvp")


def test_review_keeps_a_reading_the_model_confirms() -> None:
    assert review("yes", (), "Ja, jag kommer gärna!") == ()
    assert review("yes", ("rsvp",), "Ja, jag kommer gärna!") == ()


def test_without_its_model_file_the_reader_keeps_the_rules_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learned, "MODEL_FILE", "missing.json.gz")
    assert review("yes", (), "Tyvärr kan jag inte komma den här gången.") == ()
    assert review("no", ("rsvp",), "Tyvärr kan jag inte komma.") == ("rsvp",)


def test_the_model_file_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["parsers"]
    shipped = [p for p in (ROOT / "parsers").rglob("*.json.gz")]
    assert shipped and all(
        any(fnmatch(str(p.relative_to(ROOT / "parsers")), pat) for pat in patterns) for p in shipped
    )


def test_companions_the_rules_missed_are_asked_about_quoting_the_sentence_they_are_in() -> None:
    text = "Hej Anna! Jag kommer, och min kollega Eva följer med. Vi ses!"
    unsure, why = learned.review_reading("yes", 0, None, None, (), {"rsvp": "Jag kommer"}, text)
    assert unsure == ("guests",)
    assert why["guests"] == "Jag kommer, och min kollega Eva följer med."


def test_guests_the_model_also_reads_are_not_asked_about() -> None:
    text = "Jag kommer och tar med min sambo."
    assert learned.review_reading("yes", 1, None, None, (), {}, text) == ((), {})


def test_no_guests_are_asked_about_when_the_member_is_not_coming() -> None:
    text = "Tyvärr kan jag inte komma, och inte min sambo heller."
    assert "guests" not in learned.review_reading("no", 0, None, None, (), {}, text)[0]


def test_a_leave_the_model_does_not_see_in_the_text_is_asked_about_before_anyone_is_removed() -> None:
    unsure, _why = learned.review_reading("yes", 0, None, "leave", (), {"command": "x"}, "Jag kommer gärna!")
    assert unsure == ("command",)


def test_the_model_never_makes_a_command_the_rules_did_not_read() -> None:
    assert learned.review_reading(None, 0, None, None, (), {}, "Ta bort mig från listan tack") == ((), {})


def test_a_leave_both_read_is_acted_on() -> None:
    assert learned.review_reading(None, 0, None, "leave", (), {}, "Please remove me from the list.") == ((), {})


def test_an_answer_the_rules_could_not_read_can_be_taken_from_a_model_very_sure_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "Tyvärr kan jag inte komma den här gången."
    monkeypatch.setattr(learned, "probabilities", lambda field, text: {"yes": 0.02, "no": 0.95, "maybe": 0.02,
                                                                       "none": 0.01})
    rsvp, guests, unsure, why = learned.resolve(None, 1, ("rsvp", "guests"), {"guests": "x"}, text)
    assert (rsvp, guests, unsure) == ("no", 0, ())  # a "no" brings nobody
    assert why == {"rsvp": text}


def test_a_model_sure_of_a_maybe_or_not_sure_enough_settles_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Vet inte riktigt."
    for p in ({"yes": 0.01, "no": 0.01, "maybe": 0.97, "none": 0.01}, {"yes": 0.05, "no": 0.85, "maybe": 0.05,
                                                                        "none": 0.05}):
        monkeypatch.setattr(learned, "probabilities", lambda field, text, p=p: p)
        assert learned.resolve(None, 0, ("rsvp",), {}, text) == (None, 0, ("rsvp",), {})


def test_a_reading_the_rules_made_or_an_unsure_model_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Tyvärr kan jag inte komma den här gången."
    monkeypatch.setattr(learned, "RESOLVE_ABOVE", 0.7)
    assert learned.resolve("yes", 0, (), {}, text) == ("yes", 0, (), {})  # the rules were sure: review() asks
    assert learned.resolve("yes", 0, ("rsvp",), {}, text) == ("yes", 0, ("rsvp",), {})  # a contradiction: ask
    monkeypatch.setattr(learned, "probabilities", lambda field, text: LEANS_NO)
    assert learned.resolve(None, 0, ("rsvp",), {}, text) == (None, 0, ("rsvp",), {})
