"""Property: any mutation of a real mail is read without an exception and within the time bound."""

from __future__ import annotations

import random
import time
from pathlib import Path

from _hostile import mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import ParsedReply, parse_reply

DATA = Path(__file__).resolve().parents[1] / "data"
MAILS = tuple(path.read_bytes() for path in sorted(DATA.glob("*.eml")))
BOUND_SECONDS = 2.0


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAILS), st.sampled_from(MAILS), st.integers(min_value=0, max_value=2**32))
def test_a_mutated_corpus_mail_is_read_without_error_within_the_bound(
    mail: bytes, other: bytes, seed: int
) -> None:
    raw = mutate(mail, other, random.Random(seed), limit=30_000)
    start = time.process_time()
    reply = parse_reply(raw)
    seconds = time.process_time() - start
    assert isinstance(reply, ParsedReply)
    assert not (reply.reason or "").startswith("parser error"), reply.reason
    assert seconds < BOUND_SECONDS, f"{seconds:.2f}s for {len(raw)} bytes"
