"""Read Authentication-Results (RFC 8601) and decide whether OUR receiving server vouched for the From domain.

Only our server's own verdicts count: those above its SMTP receipt (the topmost `Received: ... by
<authserv-id> with (E)SMTP...`), else the first one right below it; further down is the sender's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.decode import sender

#: Header fields and values are cut here: a verdict is short, a forger's header need not be.
MAX_HEADER_BLOCK = 256 * 1024
MAX_VALUE = 8 * 1024
#: Header fields read: our server's verdict and receipt stand at the top (a real mail has a few dozen).
MAX_HEADER_FIELDS = 1000
#: Characters that end a word in a header value (RFC 8601's value/pvalue tokens are runs of the rest).
_STOP = frozenset(' \t\r\n;=()"')
_BLANK_LINE = re.compile(rb"(?:\A|\n)\r?\n")


@dataclass(frozen=True, slots=True)
class Result:
    """One resinfo: `dkim=pass header.d=example.org` -> method "dkim", result "pass", props {"header.d": ...}."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthResults:
    """One Authentication-Results field: who wrote it (authserv-id) and its results."""

    authserv_id: str
    results: tuple[Result, ...]


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    """The header fields of a raw mail in their order (top = newest), names lower-cased, values unfolded."""
    block = raw[:MAX_HEADER_BLOCK]
    blank = _BLANK_LINE.search(block)
    text = block[: blank.start() if blank else len(block)].decode("utf-8", "replace")
    fields: list[tuple[str, list[str]]] = []
    size = 0  # of the field being read, so a field of many short continuation lines stays linear
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t"):
            if fields and size < MAX_VALUE:
                fields[-1][1].append(line)
                size += len(line)
            continue
        name, colon, value = line.partition(":")
        if colon and name and " " not in name.strip():
            if len(fields) == MAX_HEADER_FIELDS:
                break
            fields.append((name.strip().lower(), [value]))
            size = len(value)
    return [(name, " ".join(" ".join(parts).split())[:MAX_VALUE]) for name, parts in fields]


def _tokens(value: str) -> list[str]:
    """Words, quoted strings (unquoted) and the specials ';' and '='; comments are dropped. One pass."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == "(":  # a comment, possibly nested, with quoted-pairs
            depth = 0
            while i < n:
                c = value[i]
                if c == "\\":
                    i += 1
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
        elif ch == '"':
            i += 1
            chars: list[str] = []
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            i += 1
            out.append("".join(chars))
        elif ch in ";=":
            out.append(ch)
            i += 1
        elif ch == ")":
            i += 1
        else:
            start = i
            while i < n and value[i] not in _STOP:
                i += 1
            out.append(value[start:i])
    return out


def parse(value: str) -> AuthResults | None:
    """One Authentication-Results value, or None when it names no authserv-id (e.g. Microsoft's 'spf=...')."""
    segments: list[list[str]] = [[]]
    for token in _tokens(value[:MAX_VALUE]):
        if token == ";":
            segments.append([])
        else:
            segments[-1].append(token)
    head = segments[0]
    if not head or "=" in head or not head[0]:
        return None
    results: list[Result] = []
    for words in segments[1:]:
        pairs: list[tuple[str, str]] = []
        i = 0
        while i + 2 < len(words):
            if words[i + 1] == "=" and "=" not in (words[i], words[i + 2]):
                pairs.append((words[i].lower(), words[i + 2]))
                i += 3
            else:
                i += 1
        if not pairs:
            continue
        method = pairs[0][0].partition("/")[0]
        props: dict[str, str] = {}
        for name, val in pairs[1:]:
            props.setdefault(name, val)
        results.append(Result(method=method, result=pairs[0][1].lower(), props=props))
    return AuthResults(authserv_id=head[0].lower().rstrip("."), results=tuple(results))


def _received(value: str) -> tuple[str | None, bool]:
    """(the `by` host, whether it records an SMTP receipt: 'with SMTP/ESMTP/ESMTPS...') of a Received value."""
    tokens = _tokens(value)
    words = [w.lower() for w in tokens[: tokens.index(";") if ";" in tokens else len(tokens)]]
    by = with_ = None
    for i, word in enumerate(words[:-1]):
        if word == "by" and by is None:
            by = words[i + 1].rstrip(".")
        elif word == "with" and with_ is None:
            with_ = " ".join(words[i + 1:i + 3])  # "ESMTPS", "Microsoft SMTP Server"
    return by, with_ is not None and "smtp" in with_


def trusted(fields: list[tuple[str, str]], authserv_id: str | None) -> list[AuthResults]:
    """The A-R fields our server wrote, found from our server's receipt: the topmost Received header
    `by <authserv_id>` `with` an SMTP protocol (above it only our own hops write).

    - Fields naming `authserv_id` above that receipt are ours (Yahoo, Microsoft and some MTAs write there);
      then nothing below it counts.
    - Else only the first field naming `authserv_id` below the receipt, before any Received header by
      another host (milters, Gmail and most MTAs insert their verdict right under their own Received;
      anything after it came with the message).
    - No such receipt (the mail did not come in through our server): nothing counts.
    """
    if not authserv_id:
        return []
    ours = authserv_id.strip().lower().rstrip(".")
    above: list[AuthResults] = []
    received = False
    for name, value in fields:
        if name == "received":
            by, smtp = _received(value)
            if not received:
                received = by == ours and smtp
                if received and above:
                    return above
            elif by != ours:
                return []  # a hop by another host: what follows is the message as it came
        elif name == "authentication-results":
            parsed = parse(value)
            if parsed is None or parsed.authserv_id != ours:
                continue
            if not received:
                above.append(parsed)
            else:
                return [parsed]
    return []


def aligned(from_domain: str, signer: str) -> bool:
    """Relaxed alignment without a public-suffix list: equal, or one is under the other (and the shorter
    has two labels or more, so a bare TLD never aligns)."""
    a = from_domain.strip().lower().rstrip(".")
    b = signer.strip().lower().lstrip("@").rstrip(".")
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter.count(".") >= 1 and longer.endswith("." + shorter)


def _domain(pvalue: str) -> str:
    return pvalue.rpartition("@")[2].strip().lower().rstrip(".")


def vouches(fields: list[tuple[str, str]], authserv_id: str | None, from_address: str) -> bool:
    """Whether our server's own verdict proves `from_address`'s domain: dmarc=pass with header.from equal
    to it, or dkim=pass with header.d (or header.i's domain) aligned; any dmarc failure for it vetoes."""
    domain = from_address.rpartition("@")[2].strip().lower().rstrip(".")
    if "@" not in from_address or not domain:
        return False
    passed = False
    for ar in trusted(fields, authserv_id):
        for r in ar.results:
            if r.method == "dmarc" and _domain(r.props.get("header.from", "")) == domain:
                if r.result != "pass":
                    return False
                passed = True
            elif r.method == "dkim" and r.result == "pass":
                signer = r.props.get("header.d") or _domain(r.props.get("header.i", ""))
                passed = passed or aligned(domain, signer)
    return passed


def from_address(fields: list[tuple[str, str]]) -> str | None:
    """The one address of the one From field, read from the raw (undecoded) text; None if not exactly one.

    The same reading `parse_reply` makes (`parsers.decode.sender`): a display name never becomes an address.
    """
    return sender([value for name, value in fields if name == "from"])[1]
