"""Forms and scopes of session 11's third round: concessions, "om" as "about", ..."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    "text",
    ["I'll come, even if I'm a little late.", "I'm coming, even though I haven't read the minutes.",
     "Jag kommer, även om jag inte har hunnit läsa handlingarna.", "Jag är med, trots att jag inte gillar förslaget.",
     "Tulen, vaikka en ole ehtinyt lukea pöytäkirjaa."],
)
def test_a_concession_after_a_yes_is_what_the_member_comes_despite(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    "text", ["Even if it clears up I might not come.", "Jag kanske kommer, även om det är osäkert."]
)
def test_a_concession_does_not_turn_a_doubt_into_a_yes(text: str) -> None:
    assert read_intent(text).rsvp != "yes"


@pytest.mark.parametrize(
    "text",
    ["Jag kommer fast jag vet inte riktigt vad mötet handlar om.", "Kommer, men jag är inte övertygad om planen.",
     "Jag kommer och vill gärna höra mer om budgeten.", "Jag kommer, vi kan prata om det sen."],
)
def test_om_completing_a_word_or_ending_a_sentence_is_about_not_a_condition(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize("text", ["Jag kommer om jag hinner.", "Om bussen går kommer jag."])
def test_om_opening_a_clause_is_still_a_condition(text: str) -> None:
    assert read_intent(text).rsvp == "maybe"


@pytest.mark.parametrize(
    "text",
    ["I'm coming, but I can't bake anything this time.", "Jag kommer, men jag kan inte ta hand om kaffet i år.",
     "Jag är med, så jag kan inte vara ordförande för kvällen."],
)
def test_a_task_the_member_cannot_do_after_a_yes_leaves_the_yes(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize("text", ["Jag kommer, men kan tyvärr inte.", "Yes, but I can't."])
def test_a_bare_cannot_after_a_yes_still_says_no(text: str) -> None:
    assert read_intent(text).rsvp != "yes"


@pytest.mark.parametrize(
    ("text", "guests"),
    [("I'm coming with my grandson.", 1), ("Coming, and bringing my stepdaughter.", 1),
     ("Jag kommer med min svärdotter.", 1), ("Jag tar med storebror.", 1),
     ("Tulen naapurini kanssa.", 1), ("Tulen veljenpoikani kanssa.", 1)],
)
def test_more_kin_and_household_nouns_name_a_companion(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(
    "text",
    ["Please sign me up for your emails.", "I'd like to subscribe to the invites.",
     "Jag vill anmäla mig till kallelserna."],
)
def test_emails_invites_and_newsletters_are_the_list_to_join(text: str) -> None:
    assert read_intent(text).command == "join"
