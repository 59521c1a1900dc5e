"""Needs meet offers across sv, fi and en: concepts, stems and compound heads; never a member with themself."""

from __future__ import annotations

from parsers.matching import Item, match


def _pairs(needs: list[Item], offers: list[Item]) -> list[tuple[str, str]]:
    return [(p.need.text, p.offer.text) for p in match(needs, offers)]


def test_a_swedish_need_meets_a_finnish_offer() -> None:
    needs = [Item(1, 1, "Lokal för en workshop i mars")]
    offers = [Item(2, 2, "Meillä on harjoitustila vapaana tiistaisin"), Item(3, 3, "Kirjanpitoapua")]
    assert _pairs(needs, offers) == [("Lokal för en workshop i mars", "Meillä on harjoitustila vapaana tiistaisin")]


def test_english_swedish_and_finnish_words_of_one_concept_meet_in_inflected_and_compound_forms() -> None:
    needs = [Item(1, 1, "Someone to help with funding applications"),
             Item(2, 2, "Ljusdesign till en dansföreställning")]
    offers = [Item(3, 3, "Apua apurahahakemuksiin"), Item(4, 4, "Valosuunnittelua ja valotekniikkaa")]
    assert set(_pairs(needs, offers)) == {("Someone to help with funding applications", "Apua apurahahakemuksiin"),
                                          ("Ljusdesign till en dansföreställning",
                                           "Valosuunnittelua ja valotekniikkaa")}


def test_the_same_word_outside_the_table_meets_by_its_stem() -> None:
    pairs = _pairs([Item(1, 1, "En keramikugn")], [Item(2, 2, "Keramikugnen i källaren kan lånas")])
    assert pairs == [("En keramikugn", "Keramikugnen i källaren kan lånas")]


def test_a_members_own_offer_and_unrelated_offers_are_never_paired() -> None:
    needs = [Item(1, 1, "Lokal för en workshop")]
    offers = [Item(2, 1, "Lokal på fredagar"), Item(3, 3, "Tilaus on valmis"), Item(4, 4, "Översättning till finska")]
    assert _pairs(needs, offers) == []


def test_long_hostile_text_is_read_in_bounded_time() -> None:
    text = "lokal " * 200_000
    assert len(match([Item(1, 1, text)], [Item(2, 2, text)])) == 1
