"""The reply reader's work is bounded by the member's own text and done once, without changing a reading."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reply_corpus import load

from parsers import clauses, commands, decode, rsvp
from parsers.intent import ANSWER_LABELS, COMMAND_LABELS, _lexicon, read_intent
from parsers.languages import languages
from parsers.reply import MODEL_MAX_CHARS, _model_text


@pytest.fixture(scope="module")
def dev_texts() -> list[str]:
    return [case.text for case in load("dev")]


def test_skipping_another_languages_pass_never_loses_an_answer_or_command(dev_texts: list[str]) -> None:
    # The reader skips a language's pass when no word can start one of these cues; the pass would find nothing.
    skipped = 0
    for text in dev_texts:
        shared = clauses.Text(text)
        for lang in languages():
            lex = _lexicon(lang.code)
            assert lex is not None
            sentences = shared.sentences(lex)
            if not shared.mentions(lex, ANSWER_LABELS):
                skipped += 1
                answer = rsvp.read_answer(sentences, lang.negation_after, False)
                assert (answer.value, answer.unsure) == (None, False), (lang.code, text)
            if not shared.mentions(lex, COMMAND_LABELS):
                assert commands.read_command_sentences(sentences) == (None, False, ""), (lang.code, text)
    assert skipped > len(dev_texts)  # the shortcut is taken, often


def test_a_text_is_read_the_same_whether_shared_or_cut_afresh(dev_texts: list[str]) -> None:
    lex = _lexicon("sv")
    assert lex is not None
    for text in dev_texts[:300]:
        shared = clauses.Text(text)
        shared.sentences(_lexicon("en"))  # another language read first changes nothing
        assert [(s.text, [(c.text, c.words, c.cues, c.opener) for c in s.clauses]) for s in shared.sentences(lex)] == [
            (s.text, [(c.text, c.words, c.cues, c.opener) for c in s.clauses]) for s in clauses.split(text, lex)
        ]


@pytest.mark.parametrize(
    "text",
    [
        "a," * 20_000,  # one "word" of 20,000 tokens
        "Received: by 2002:ac9:644e:0:0:0:0:0 with SMTP id a14-v6csp1356121ocl;\n" * 200,
        "+1 " * 5000,
    ],
)
def test_the_reader_reads_at_most_its_token_budget_of_any_text(text: str) -> None:
    shared = clauses.Text(text)
    assert len(shared.words()) <= clauses.MAX_TOKENS
    lex = _lexicon("en")
    assert lex is not None
    assert sum(len(c.words) for s in shared.sentences(lex) for c in s.clauses) <= clauses.MAX_TOKENS


def test_an_answer_within_the_budget_is_read_after_a_long_header_dump() -> None:
    dump = "".join(f"X-Header-{i}: value {i}\n" for i in range(20))
    assert read_intent(f"Ja, jag kommer!\n{dump}").rsvp == "yes"


def test_the_learned_model_reads_a_bounded_head_of_the_text() -> None:
    assert _model_text("Ja,  jag\n kommer!") == "Ja,  jag\n kommer!"  # a reply as written
    long = "ordet " * 2000
    head = _model_text(long)
    assert len(head) <= MODEL_MAX_CHARS and head.endswith("ordet") and long.startswith(head)
    assert len(_model_text("x" * 10_000)) == MODEL_MAX_CHARS
    assert _model_text("a " * 1000) == "a " * (clauses.MAX_WORDS - 1) + "a"  # the words the rules read


_GENERAL = re.compile(r"(?!x)x")


def _general(value: str) -> list[tuple[str, str]]:
    saved = decode._SIMPLE
    decode._SIMPLE = _GENERAL  # never matches: every value takes the general path
    try:
        return decode._pairs(value)
    finally:
        decode._SIMPLE = saved


_ATOM = st.text(alphabet="aZ09._+-", min_size=1, max_size=8)
_NAME = st.lists(st.text(alphabet="aZ9", min_size=1, max_size=6), max_size=3).map(" ".join)
_SPACE = st.sampled_from(["", " ", "\t", "  "])


@settings(max_examples=400, deadline=None)
@given(local=_ATOM, domain=st.text(alphabet="ab.-9", min_size=1, max_size=8), name=_NAME, pad=_SPACE,
       form=st.sampled_from(["bare", "angle", "named"]))  # fmt: skip
def test_a_plain_address_read_fast_is_read_as_the_general_parser_reads_it(
    local: str, domain: str, name: str, pad: str, form: str
) -> None:
    addr = f"{local}@{domain}"
    value = {"bare": f"{pad}{addr}{pad}", "angle": f"{pad}<{addr}>", "named": f"{name}{pad} <{addr}>{pad}"}[form]
    assert decode._pairs(value) == _general(value)


@pytest.mark.parametrize(
    "value",
    [
        '"Bcc: victim@x.fi" <eve@evil.example>',
        "=?utf-8?q?Bcc:_victim=40x.fi?= <eve@evil.example>",
        "Anna (victim@x.fi) <eve@evil.example>",
        "Anna <eve@evil.example>, Bob <bob@x.fi>",
    ],
)
def test_a_display_name_never_supplies_the_address_on_either_path(value: str) -> None:
    assert decode._SIMPLE.fullmatch(value) is None  # not plain: the general parser reads it
    assert "victim@x.fi" not in [addr for _name, addr in decode._pairs(value)]
