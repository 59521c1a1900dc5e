"""Reading a coordinator's list of who did not come: markers in three languages, one name a line, sign-offs,
and lines that are not names reported, never guessed; bounded for any input."""

from __future__ import annotations

import time

from parsers.attendance import MAX_NAMES, read_absences


def test_marked_lines_in_each_language_list_names_and_addresses() -> None:
    read = read_absences("Ei tullut: Anna Berg, Pekka Virtanen\nKom inte: Bo Ek och sam@Festival.org\n"
                         "Did not come: Sam Smith; Carl von Linné\n")
    assert read.who == ["Anna Berg", "Pekka Virtanen", "Bo Ek", "sam@festival.org", "Sam Smith", "Carl von Linné"]
    assert read.unrecognised == [] and read.marked


def test_one_name_a_line_after_a_greeting_and_up_to_the_sign_off() -> None:
    read = read_absences("Hej!\n\nAnna Berg\n- Päivi Mäkelä\n\nMvh\nMaria Lind\n")
    assert read.who == ["Anna Berg", "Päivi Mäkelä"] and not read.marked


def test_the_signature_and_quoted_catering_list_are_not_read() -> None:
    read = read_absences("Anna Berg\n> Bo Ek\n-- \nMaria Lind\n")
    assert read.who == ["Anna Berg"]


def test_prose_is_reported_not_guessed_at() -> None:
    read = read_absences("tyvärr kom bara fem\nKom inte: Anna Berg, några andra\n")
    assert read.who == ["Anna Berg"]
    assert read.unrecognised == ["tyvärr kom bara fem", "några andra"]


def test_a_line_that_is_an_answer_for_the_corrections_is_not_a_name() -> None:
    assert read_absences("Anna Berg: nej\n").who == []


def test_huge_input_is_read_quickly_and_capped() -> None:
    text = "Kom inte: " + ", ".join(f"Anna Berg{chr(65 + i % 26)}" for i in range(100_000))
    names = "\n".join(f"Namn {chr(65 + i % 26)}{chr(65 + i // 26 % 26)}" for i in range(2_000))
    started = time.perf_counter()
    read_absences(text)
    read = read_absences(names)
    read_absences("a" * 5_000_000 + ":" + ",," * 1_000_000)
    assert time.perf_counter() - started < 2.0
    assert len(read.who) <= MAX_NAMES


def test_everyone_came_in_each_language() -> None:
    for line in ("Alla kom!", "Kaikki tulivat.", "Everyone came"):
        read = read_absences(f"Hej,\n\n{line}\n")
        assert read.all_came and read.who == [] and read.unrecognised == []
    assert not read_absences("Alla kom inte i tid\n").all_came
