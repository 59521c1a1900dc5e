"""Finnish read by its forms rather than by lists (issue 8, third round): number words in any case form,
and "onto the list" (allative) as a request to join, not a question to the coordinator nor a topic."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent
from parsers.numerals import finnish


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("Tulen viidellä harjoittelijalla vahvistettuna.", 5),
        ("Osallistun kuuden opiskelijan kanssa.", 6),
        ("Tuun kahel kollegalla.", 2),
        ("Tulen ja tuon mukanani kahdeksan opiskelijaa.", 8),
    ],
)
def test_a_number_in_any_case_form_counts_the_guests(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


def test_number_forms_that_mean_together_time_or_equally_are_not_numbers() -> None:
    forms = finnish()
    assert forms["kolmella"] == 3 and forms["kolmee"] == 3 and forms["neljää"] == 4
    assert not {"yhdessä", "yhteen", "yhtä", "kuudelta", "kahdesta"} & set(forms)


@pytest.mark.parametrize(
    "text",
    ["Pääsisinkö teidän sähköpostilistalle?", "Hei, haluaisin mielelläni jakelulistalle. T. Aino",
     "Voisitteko lisätä osoitteeni postituslistaan?"],
)
def test_asking_to_be_put_on_the_list_is_a_join_not_a_question(text: str) -> None:
    reading = read_intent(text)
    assert reading.command == "join" and not reading.question


def test_a_topic_put_on_the_agenda_list_is_not_a_join() -> None:
    reading = read_intent("Haluaisin laittaa asian listalle: yhteiset vuokratilat.")
    assert reading.command is None
