"""One check for every address that enters (CSV, `members add`, join by mail, config): exact or rejected."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mailer import PROJECT_ROOT
from mailer.addresses import InvalidAddress, check, is_valid
from mailer.config import load_config
from mailer.errors import ConfigError


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


@pytest.mark.parametrize("bad", ["koordinator@kulturnatverket.fi\\r\\nBcc: x@y.fi", "a@x.fi, b@y.fi",
                                 "Koordinator <koordinator@kulturnatverket.fi>"])
def test_a_config_address_that_is_not_one_plain_address_is_a_config_problem(tmp_path: Path, bad: str) -> None:
    text = (PROJECT_ROOT / "config" / "network.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "network.toml"
    path.write_text(text.replace('coordinators = ["koordinator@kulturnatverket.fi"]', f'coordinators = ["{bad}"]'),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(p.key == "network.coordinators[0]" for p in caught.value.problems)


@pytest.mark.parametrize("sender", [b'"a b"@dans.fi', b"cilla@dans", b"a\\,b@dans.fi"])
def test_a_join_request_from_something_that_is_not_one_plain_address_queues_nothing(sender: bytes) -> None:
    from datetime import UTC, datetime

    from mailer.inbound.inbox import InboundMessage, Outcome
    from mailer.outbound.transport import MemoryTransport
    from mailer.service import Service
    from mailer.state.store import Store

    service = Service(load_config(PROJECT_ROOT / "config" / "network.example.toml"), Store.memory(),
                      transport=MemoryTransport())
    assert service.handler is not None
    raw = (b"From: " + sender + b"\r\nTo: natverk@kulturnatverket.fi\r\nSubject: Med\r\nMessage-ID: <j1@x.example>"
           b"\r\n\r\nHej! Jag vill g\xc3\xa5 med i n\xc3\xa4tverket.\r\n")
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    outcome = service.handler.handle(InboundMessage(source="test:j1", raw=raw, message_id="<j1@x.example>"), now)
    assert outcome[0] is Outcome.QUARANTINED
    assert not [r for r in service.store.outbox_rows() if r.kind == "join-confirm"]


def test_is_valid_agrees_with_check_on_plain_looking_addresses_it_does_not_parse_again() -> None:
    rnd = random.Random(14)
    cases = ["a.b+c-d_e@x-y.example.org", "A@B.CO", "-a@x.org", "a@-x.org", "a@x-.org", "a@x..org", ".a@x.org",
             "a.@x.org", "a..b@x.org", "a@x", "a@x.", "a@.x.org", "@x.org", "a@", "a@b@x.org", "a" * 64 + "@x.org",
             "a" * 65 + "@x.org", "a@" + "b" * 63 + ".org", "a@" + "b" * 64 + ".org", "a@" + "b." * 126 + "org"]
    for _ in range(20_000):
        local = "".join(rnd.choice("aZ9._+-") for _ in range(rnd.randint(0, 6)))
        domain = "".join(rnd.choice("bY8-.") for _ in range(rnd.randint(0, 8)))
        cases.append(f"{local}@{domain}" if rnd.random() < 0.9 else local + domain)
    for value in cases:
        try:
            check(value)
            accepted = True
        except InvalidAddress:
            accepted = False
        assert is_valid(value) == accepted, value
