"""Hostile bytes and header values to text: charsets, RFC 2047 encoded-words word by word, and addresses
read from the raw header value (an encoded-word is only ever a display name). Never raises; linear time."""

from __future__ import annotations

import binascii
import codecs
import re
from email.header import Header, decode_header
from email.quoprimime import header_decode
from email.utils import getaddresses

#: A header value is read on this prefix (a real one is far shorter; References of a long thread ~10 KB).
MAX_HEADER_CHARS = 32 * 1024
#: An address header is read on this prefix (cut at a comma; ~300 recipients), and at most so many of them
#: per name: the stdlib address parser costs some microseconds an address.
MAX_ADDRESS_CHARS = 12 * 1024
MAX_ADDRESS_HEADERS = 20

_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ks_c_5601-1987": "cp949",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "x-user-defined": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}
_CHARSET_NAME = re.compile(r"[a-z0-9][a-z0-9._:+()-]{0,39}+")
# Codecs that exist but turn mail bytes into something that is not their text.
_REFUSED = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"})
_DECODE_ERRORS = (UnicodeError, LookupError, TypeError, ValueError)
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64}+)\?([BbQq])\?([^?]*+)\?=")
_BASE64 = re.compile(r"[A-Za-z0-9+/]++=*+")
_PLACEHOLDER = "tpEncodedWord{}x"  # an atom that stands for an encoded-word while addresses are parsed
_PLACEHOLDER_SEEN = re.compile(r"tpEncodedWord(\d{1,6})x", re.IGNORECASE)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# A control character other than tab, line feed and carriage return, or U+FFFD: the marks of binary junk.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")  # an 8-bit byte the stdlib kept as a surrogate escape
# The common case read without the general parser: `Plain Name <local@domain>` or `local@domain`, nothing else
# (no quotes, comments, groups, encoded-words, escapes or 8-bit).
_SIMPLE = re.compile(
    r"[ \t]*+(?:(?P<name>[A-Za-z0-9]++(?:[ \t]++[A-Za-z0-9]++)*+)?[ \t]*+<(?P<angle>[A-Za-z0-9._+-]++@[A-Za-z0-9.-]++)>"
    r"|(?P<bare>[A-Za-z0-9._+-]++@[A-Za-z0-9.-]++))[ \t]*+"
)


def codec(charset: str | None) -> str | None:
    """The Python codec name for a MIME charset name, or None when it is unknown, hostile or not text."""
    name = (charset or "").strip().strip("\"'").casefold()
    name = _CHARSET_ALIASES.get(name, name)
    if not _CHARSET_NAME.fullmatch(name):
        return None  # NUL, spaces, huge or empty names
    try:
        info = codecs.lookup(name)
    except _DECODE_ERRORS:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _REFUSED:
        return None
    return info.name


def decode_bytes(payload: bytes, charset: str | None) -> str:
    """Decode `payload` with `charset`, else as UTF-8 (a few broken bytes become U+FFFD), else cp1252."""
    if payload[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return payload.decode("utf-16")
        except _DECODE_ERRORS:
            pass
    name = codec(charset)
    if name and name != "cp1252":
        try:
            return payload.decode(name)
        except _DECODE_ERRORS:
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = payload.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if non_ascii - broken > broken:
        return text  # UTF-8 with a few broken bytes: keep the rest readable
    return payload.decode("cp1252", errors="replace")


def garbled(text: str) -> bool:
    """True when over 5% of the text's first 2,000 characters are control or replacement characters."""
    sample = text[:2000]
    return len(_JUNK.findall(sample)) > len(sample) / 20


def _word(charset: str, encoding: str, encoded: str) -> str | None:
    """One encoded-word's text, or None when it cannot be decoded (the raw word is kept then)."""
    try:
        if encoding in "Bb":
            if not _BASE64.fullmatch(encoded):
                return None
            data = binascii.a2b_base64(encoded.encode("ascii") + b"==")
        else:
            data = header_decode(encoded).encode("latin-1")
    except _DECODE_ERRORS:
        return None
    name = codec(charset.split("*", 1)[0])  # "utf-8*sv": RFC 2231 language suffix
    if name is None:
        return decode_bytes(data, None)
    try:
        return data.decode(name, errors="replace")
    except _DECODE_ERRORS:
        return decode_bytes(data, None)


def _raw_text(value: object) -> str:
    """The value as text: compat32's Header objects and surrogate-escaped 8-bit bytes read as UTF-8."""
    if isinstance(value, Header):
        chunks = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                chunks.append(decode_bytes(chunk, None if charset in (None, "unknown-8bit") else charset))
            else:
                chunks.append(chunk)
        return "".join(chunks)
    text = str(value)[:MAX_HEADER_CHARS]
    if _ESCAPED_BYTE.search(text):
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), "utf-8")
    return text


def decode_words(text: str) -> str:
    """Decode every RFC 2047 encoded-word of `text` on its own; a broken one stays as written."""
    if "=?" not in text:
        return text
    out: list[str] = []
    last = 0
    previous_was_word = False
    for match in _ENCODED_WORD.finditer(text):
        between = text[last : match.start()]
        decoded = _word(match.group(1), match.group(2), match.group(3))
        if not (previous_was_word and decoded is not None and not between.strip()):
            out.append(between)  # whitespace between two encoded-words is not text (RFC 2047 6.2)
        out.append(match.group(0) if decoded is None else decoded)
        previous_was_word = decoded is not None
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def decode_header_value(value: object) -> str:
    """An RFC 2047 header value as text on one line; raw 8-bit is read as UTF-8; never raises."""
    return " ".join(decode_words(_raw_text(value)).split())


def _without_comments_and_groups(value: str) -> str:
    """`value` with (comments) removed and group names ("team: a@b, c@d;") flattened, in one pass.

    The stdlib address parser recurses on nested comments and groups; this leaves it neither.
    """
    out: list[str] = []
    depth = 0
    quoted = angle = escaped = False
    phrase_start = 0
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if depth:
            depth += ch == "("
            depth -= ch == ")"
            continue
        if quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth = 1
            out.append(" ")
            continue
        elif ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif not angle and ch == ":":
            del out[phrase_start:]  # a group's display name is no address
            continue
        elif not angle and ch in ",;":
            out.append(",")
            phrase_start = len(out)
            continue
        out.append(ch)
    return "".join(out)


def _masked(value: str) -> tuple[str, list[str]]:
    """`value` with each run of encoded-words replaced by a placeholder atom, and the decoded runs."""
    runs: list[str] = []
    out: list[str] = []
    last = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[last : match.start()]
        if runs and out and out[-1] == _PLACEHOLDER.format(len(runs) - 1) and not between.strip():
            runs[-1] += match.group(0)
        else:
            out.append(between)
            out.append(_PLACEHOLDER.format(len(runs)))
            runs.append(match.group(0))
        last = match.end()
    out.append(value[last:])
    return "".join(out), [decode_words(run) for run in runs]


def _unmask(text: str, runs: list[str]) -> str:
    return _PLACEHOLDER_SEEN.sub(lambda m: runs[int(m.group(1))] if int(m.group(1)) < len(runs) else "", text)


def _valid(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    return bool(
        at and local and domain and "@" not in local.strip('"') and addr.isprintable() and " " not in addr
        and _PLACEHOLDER_SEEN.search(addr) is None
    )  # fmt: skip


def _pairs(value: object) -> list[tuple[str, str]]:
    raw = _raw_text(value).replace("\r", "").replace("\n", "")
    simple = _SIMPLE.fullmatch(raw) if len(raw) <= MAX_ADDRESS_CHARS else None
    if simple is not None:  # what the general path below gives for it, read in one match
        name = simple.group("name")
        return [(" ".join(name.split()) if name else "", (simple.group("angle") or simple.group("bare")).casefold())]
    if len(raw) > MAX_ADDRESS_CHARS:
        raw = raw[: max(raw.rfind(",", 0, MAX_ADDRESS_CHARS), 0)]
    masked, runs = _masked(raw)  # before anything else reads the value: an encoded-word may hold ":" or "("
    masked = _without_comments_and_groups(masked)
    try:
        pairs = getaddresses([masked])
    except (RecursionError, ValueError, IndexError, TypeError):
        return [("", "?")]  # unparseable: an entry that is no address
    return [(" ".join(_unmask(name, runs).split()), addr.strip().casefold()) for name, addr in pairs]


def sender(values: list[str]) -> tuple[str, str | None]:
    """(display name, addr-spec) of the raw From values; no addr-spec unless exactly one From with one address.

    Several From headers or several addresses in one are a hostile mail: it gets no sender.
    """
    if len(values) != 1:
        return "", None
    pairs = [(name, addr) for name, addr in _pairs(values[0]) if name or addr]
    if len(pairs) != 1:
        return (pairs[0][0] if pairs else ""), None
    name, addr = pairs[0]
    return name, addr if _valid(addr) else None


def parse_addresses(values: list[str]) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased addr-spec) of raw address header values, in order.

    The addr-spec is read from the raw value before any encoded-word is decoded, so an encoded-word can
    only ever be a display name; pairs without a plausible addr-spec are left out.
    """
    return [(n, a) for value in values[:MAX_ADDRESS_HEADERS] for n, a in _pairs(value) if _valid(a)]
