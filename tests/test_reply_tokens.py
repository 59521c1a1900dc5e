"""Reply tokens stay what earlier versions made: a member answering an invitation sent before an upgrade is
still recognised, and a token made for one member and meeting verifies as that one only."""

from __future__ import annotations

import base64
import hmac
import random

import pytest

from mailer.outbound import tokens


@pytest.mark.parametrize(("secret", "member", "meeting", "made_before"), [
    (b"traffpunkt-secret", 42, 7, "tp42-7-efcgr6zq7i4r"),
    (b"x" * 64, 1, 0, "tp1-0-mabgax2rxiks"),
    (b"\x00\xff", 9_999_999_999, 123_456, "tp9999999999-123456-7665tybukbkx"),
])
def test_a_token_from_an_earlier_version_is_made_and_verified_the_same(
        secret: bytes, member: int, meeting: int, made_before: str) -> None:
    assert tokens.make(secret, member, meeting) == made_before
    assert tokens.verify(secret, made_before) == tokens.Token(member, meeting)


def test_tokens_are_base32_of_the_hmac_for_any_secret_member_and_meeting() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        secret = rng.randbytes(rng.randint(1, 100))
        member, meeting = rng.randint(0, 10**10 - 1), rng.randint(0, 10**6)
        mac = hmac.digest(secret, f"{member}-{meeting}".encode(), "sha256")
        expected = f"tp{member}-{meeting}-{base64.b32encode(mac[:10]).decode().lower()[:12]}"
        assert tokens.make(secret, member, meeting) == expected
        assert tokens.verify(secret + b"!", expected) is None, "another secret's token proves nothing"
