"""One check for every address that enters (CSV, `members add`, join by mail, config): exact or rejected."""

from __future__ import annotations

import pytest

from mailer.addresses import InvalidAddress, check, is_valid


@pytest.mark.parametrize("value", ["anna@example.org", "Anna.Lind+kultur@Example.ORG", "o'brien@x.fi",
                                   "a@sub.domain.fi", "x@xn--kulturntverket-5kb.fi", "a@kulturnätverket.fi"])
def test_a_plain_address_is_accepted_and_only_lower_cased(value: str) -> None:
    assert check(value) == value.lower()


@pytest.mark.parametrize(("value", "why"), [
    ("nul\x00@example.org", "U+0000"),
    ("victim@x.fi\r\nBcc: everyone@example.org", "U+000D"),
    ("tab\t@example.org", "U+0009"),
    ("a@x.fi,b@y.fi", "','"),
    ("a@x.fi;b@y.fi", "';'"),
    ("Anna <anna@x.fi>", "space"),
    ("<anna@x.fi>", "'<'"),
    ("anna(comment)@x.fi", "'('"),
    ('"a b"@x.fi', "'\"'"),
    ('"ab"@x.fi', "'\"'"),
    ("anna@localhost", "no dot"),
    ("anna@@x.fi", "exactly one"),
    ("anna", "exactly one"),
    ("", "empty"),
    (".anna@x.fi", "not an e-mail address"),
    ("anna@-x.fi", "'-'"),
    ("anna@x..fi", "not an e-mail address"),
    ("åsa@x.fi", "not an e-mail address"),
    ("a" * 65 + "@x.fi", "64"),
    ("a@" + "b" * 250 + ".fi", "254"),
    ("anna@x.fi\u2028", "U+2028"),
])
def test_anything_but_exactly_one_plain_address_is_rejected_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(InvalidAddress, match=None) as caught:
        check(value)
    assert why in str(caught.value)
    assert not is_valid(value)


def test_the_check_is_linear_on_a_huge_hostile_value() -> None:
    import time

    started = time.perf_counter()
    for value in ("a" * 1_000_000, "a@" * 500_000, "a." * 500_000 + "@x.fi"):
        assert not is_valid(value)
    assert time.perf_counter() - started < 1.0
