"""Reading imaplib's raw answers: a command's status checked, UID FETCH results taken apart (pure)."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterable
from typing import Any

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def parse_fetch(data: Iterable[Any]) -> dict[int, bytes]:
    """{uid: raw bytes} from a `UID FETCH ... (UID BODY.PEEK[])` answer, whichever order the items come in."""
    found: dict[int, bytes] = {}
    orphan: bytes | None = None
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            head, body = item[0], item[1]
            match = _UID.search(head)
            if match:
                found[int(match.group(1))] = body
                orphan = None
            else:
                orphan = body
        elif isinstance(item, bytes) and orphan is not None:
            match = _UID.search(item)
            if match:
                found[int(match.group(1))] = orphan
            orphan = None
    return found


def parse_sizes(data: Iterable[Any]) -> dict[int, int]:
    """{uid: RFC822.SIZE} from a `UID FETCH ... (UID RFC822.SIZE)` answer."""
    sizes: dict[int, int] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes):
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def check(result: tuple[str, Any], what: str) -> Any:
    """The data of an OK answer; anything else raised as imaplib's error, with the server's words."""
    typ, data = result
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace") if data else ""
        raise imaplib.IMAP4.error(f"{what}: {typ} {detail}".strip())
    return data
