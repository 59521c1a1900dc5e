"""A conclusion after doubts or reasons ("Hur som helst kommer ja!", "so I'm coming", "joten pääsenkin") is
the answer; a "so" about food or a thing the member brings concludes nothing about coming."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    ("text", "lang", "answer"),
    [("Hej, ja kommer, men ja e lite osäker på va tid ja kan lämna jobbet. Kanske blir ja sen, kanske int. "
      "Hur som helst kommer ja!", "sv", "yes"),
     ("Enda sättet jag inte kommer är om jag blir sjuk. Alltså ja!", "sv", "yes"),
     ("I wasn't sure I'd be back in time, but the trains are fine now, so I'm coming.", "en", "yes"),
     ("No reason not to come, so yes!", "en", "yes"),
     ("I've come down with covid so I'll stay home. Have a good one.", "en", "no"),
     ("Leikkausaikani siirtyi ensi kuulle, joten pääsenkin paikalle.", "fi", "yes")],
)
def test_the_members_conclusion_is_the_answer(text: str, lang: str, answer: str) -> None:
    reading = read_intent(text)
    assert (reading.language, reading.rsvp, "rsvp" in reading.unsure) == (lang, answer, False)


def test_a_so_about_food_concludes_nothing_about_coming() -> None:
    reading = read_intent("Coming, severe peanut allergy so please keep them away from me.")
    assert (reading.rsvp, "rsvp" in reading.unsure, bool(reading.dietary)) == ("yes", False, True)
