"""The one check every e-mail address passes where it enters (CSV import, `members add`, join by mail, config):
an address is accepted exactly as written (only lower-cased) or rejected with the reason, never altered."""

from __future__ import annotations

import unicodedata
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address

#: RFC 5321: a path is at most 256 octets with its brackets, a local part at most 64.
MAX_ADDRESS = 254
MAX_LOCAL = 64
_LABEL_EXTRA = frozenset("-")


class InvalidAddress(ValueError):
    """The text is not exactly one plain e-mail address; str() says why, in words for the admin."""


def _control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or (ch.isspace() and ch != " ")


def _check_domain(domain: str) -> None:
    if len(domain) > 253 or "." not in domain:
        raise InvalidAddress(f"the domain {domain!r} has no dot (like example.org)")
    for label in domain.split("."):
        if not label or len(label) > 63:
            raise InvalidAddress(f"the domain {domain!r} has an empty or over-long part")
        if label[0] == "-" or label[-1] == "-":
            raise InvalidAddress(f"the domain {domain!r} has a part that starts or ends with '-'")
        if not all(ch.isalnum() or ch in _LABEL_EXTRA for ch in label):
            raise InvalidAddress(f"the domain {domain!r} may hold only letters, digits, '-' and dots")


def check(value: str) -> str:
    """The address, lower-cased, when `value` is exactly one plain address; else InvalidAddress(reason).

    Rejected: control characters (NUL, CR, LF, tabs...), spaces, a display name or angle brackets, commas
    or several addresses, comments, quoted local parts, anything email.headerregistry does not read back
    as the very same address, and domains without a dot.
    """
    if not isinstance(value, str) or not value:
        raise InvalidAddress("it is empty")
    if len(value) > MAX_ADDRESS:
        raise InvalidAddress(f"it is longer than {MAX_ADDRESS} characters")
    for ch in value:
        if _control(ch):
            raise InvalidAddress(f"it contains the control character U+{ord(ch):04X}")
        if ch == " ":
            raise InvalidAddress("it contains a space")
        if ch in ',;<>()[]"\\':
            raise InvalidAddress(f"it contains {ch!r}: give one plain address, without a name")
    if value.count("@") != 1:
        raise InvalidAddress("it must contain exactly one '@'")
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError, MessageError) as exc:
        raise InvalidAddress(f"not an e-mail address ({exc})") from None
    if parsed.addr_spec != value:
        raise InvalidAddress(f"it would be read as {parsed.addr_spec!r}")
    local, _, domain = value.rpartition("@")
    if not local or len(local) > MAX_LOCAL:
        raise InvalidAddress(f"the part before '@' must be 1 to {MAX_LOCAL} characters")
    _check_domain(domain)
    return value.lower()


_PLAIN_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
_PLAIN_LABEL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _plainly_valid(value: str) -> bool:
    """A cheap sufficient test: ASCII letters, digits and `._+-` before the '@' (no dot at either end, no two
    in a row), a dotted domain of letters, digits and inner '-'. check() accepts all of these (it costs
    ~100 us: email.headerregistry); False means "ask check()", not "invalid"."""
    if not 0 < len(value) <= MAX_ADDRESS:
        return False
    local, at, domain = value.partition("@")
    if (not at or not 0 < len(local) <= MAX_LOCAL or not _PLAIN_LOCAL.issuperset(local) or local[0] == "."
            or local[-1] == "." or ".." in local or len(domain) > 253):
        return False
    labels = domain.split(".")
    return len(labels) > 1 and all(
        0 < len(label) <= 63 and _PLAIN_LABEL.issuperset(label) and label[0] != "-" and label[-1] != "-"
        for label in labels)


def is_valid(value: str) -> bool:
    """Whether check(value) would accept it (for data already stored, e.g. before sending: the common plain
    address is recognised without parsing it again)."""
    if isinstance(value, str) and _plainly_valid(value):
        return True
    try:
        check(value)
    except InvalidAddress:
        return False
    return True
