"""A coordinator's correction lines: who, answer and guests, in Swedish, Finnish and English."""

from __future__ import annotations

import time

from parsers.corrections import Correction, read_corrections


def test_names_and_addresses_with_answers_and_guests_are_read_in_every_language() -> None:
    text = ("Hej!\n\nAnna Berg: ja +1\npaivi@example.fi: ei\nsam@example.org: maybe\n"
            "Jari Mäkinen: kyllä + 2\nBo <bo@galleri.fi>: nej.\n\n/Koordinatorn")
    assert read_corrections(text) == [
        Correction("Anna Berg: ja +1", "Anna Berg", "yes", 1),
        Correction("paivi@example.fi: ei", "paivi@example.fi", "no", 0),
        Correction("sam@example.org: maybe", "sam@example.org", "maybe", 0),
        Correction("Jari Mäkinen: kyllä + 2", "Jari Mäkinen", "yes", 2),
        Correction("Bo <bo@galleri.fi>: nej.", "bo@galleri.fi", "no", 0),
    ]


def test_a_line_that_only_looks_like_an_answer_comes_back_unread() -> None:
    found = read_corrections("Anna Berg: kanske inte\ncilla@example.fi: vet ej\nAnna Berg: ja +many")
    assert [(c.who, c.answer) for c in found] == [("Anna Berg", None), ("cilla@example.fi", None),
                                                  ("Anna Berg", None)]


def test_markers_header_lines_times_and_links_are_not_corrections() -> None:
    text = ("Ärende: ja\nKost: nej\nFrån: Anna Berg <anna@example.fi>\nSvar: ja\nVi ses kl 17:00\n"
            "Ja: jag kommer\nmailto:natverk+tp1-2-abc@example.org?subject=Ja\nJag och min kollega: ja")
    assert read_corrections(text) == []


def test_a_declined_member_brings_no_guests() -> None:
    assert read_corrections("Anna Berg: nej +2")[0].guests == 0


def test_a_huge_hostile_text_is_read_in_bounded_time() -> None:
    text = ("A" * 5000 + ":" + " ja" * 5000 + "\n") * 200 + ("Anna Berg: ja +1\n" * 100_000)
    started = time.perf_counter()
    found = read_corrections(text)
    assert time.perf_counter() - started < 1.0
    assert len(found) <= 300
