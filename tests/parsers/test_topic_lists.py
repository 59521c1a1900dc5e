"""Topic lists a member writes on one line: an inline numbered list, and a short list after a header
whose two items are joined by "och"/"ja"/"and" (one topic stays one where the words belong together)."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Förslag till agendan: 1) julfesten 2) val av ny styrelse", "sv"),
     ("Topics for the agenda: 1) the spring programme 2) a shared ticket system", "en"),
     ("Ehdotan asialistalle: 1) kevään ohjelma 2) yhteinen lipunmyynti", "fi")],
)
def test_an_inline_numbered_list_is_one_topic_per_number(text: str, lang: str) -> None:
    assert len(read_intent(text, lang).topics) == 2


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Förslag till agendan: julfesten och val av ny styrelse", "sv"),
     ("For the agenda: the fundraising plan and how we recruit volunteers", "en")],
)
def test_two_short_items_after_a_list_header_are_two_topics(text: str, lang: str) -> None:
    assert len(read_intent(text, lang).topics) == 2


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Förslag till agendan: samarbete med biblioteken och skolorna", "sv"),
     ("For the agenda: AI and copyright", "en"),
     ("Asialistalle: tekoäly ja tekijänoikeudet – miten suojaamme työmme?", "fi"),
     ("Förslag till agendan: festivalens budget och dess framtid", "sv")],
)
def test_a_topic_whose_words_belong_together_stays_one(text: str, lang: str) -> None:
    assert len(read_intent(text, lang).topics) == 1

