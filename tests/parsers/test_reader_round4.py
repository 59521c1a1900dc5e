"""Forms and scopes of session 14's round: Finnish "peru-" words that are not cancelling, a join word next to a
yes, and "stryk mig" with the meeting in the sentence."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    "text", ["Perustimme uuden yhdistyksen, haluamme listalle.", "Perusajatus on hyvä, tulen mielelläni.",
             "Tuon perunasalaattia, tulen!"],
)
def test_finnish_words_that_only_begin_like_perua_are_no_decline(text: str) -> None:
    assert read_intent(text).rsvp != "no"


@pytest.mark.parametrize("text", ["Joudun perumaan, sori.", "Perun osallistumiseni.", "Valitettavasti peruutan."])
def test_the_forms_of_perua_still_decline(text: str) -> None:
    assert read_intent(text).rsvp == "no"


def test_a_join_word_beside_a_yes_is_the_meeting_not_the_list() -> None:
    reading = read_intent("Tack för att ni tar hand om nätverket. Såklart vill jag vara med på årets sista träff "
                          "– jag kommer!")
    assert reading.rsvp == "yes" and reading.command is None and not reading.unsure


def test_a_request_next_to_a_list_sentence_still_joins() -> None:
    assert read_intent("Jag vill få era inbjudningar till listan. Lägg till mig!").command == "join"


def test_stryk_mig_with_the_meeting_in_the_sentence_is_a_decline_not_a_leave() -> None:
    reading = read_intent("Tyvärr måste jag stryka mig till torsdag, är sjuk.")
    assert reading.rsvp == "no" and reading.command is None


@pytest.mark.parametrize("text", ["Stryk mig från listan tack.", "Ta bort mig.", "Snälla stryk mig från utskicken."])
def test_stryk_mig_from_the_list_is_still_a_leave(text: str) -> None:
    assert read_intent(text).command == "leave"
