"""`members import`: a CSV of members, each row added exactly as written or rejected with line and reason."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from mailer.addresses import InvalidAddress, check
from mailer.config import LANGUAGES
from mailer.errors import TraffpunktError
from mailer.state.store import Store


class UnreadableCsv(TraffpunktError):
    """The file cannot be read as a members CSV at all (not UTF-8, no header with 'address')."""


def import_members(store: Store, path: Path, default_language: str, now: datetime) -> tuple[int, int, list[str]]:
    """Add members from a CSV (name,address[,organisation][,language]); returns (added, rows, problems).

    A row is added exactly as written or rejected with `file:line` and the reason: an address that is
    not exactly one plain address (mailer/addresses.py), control characters in a name, more fields than
    the header names, an unknown language. A CR or LF inside a quoted cell stays in that cell (and so
    rejects the row); it never splits or joins rows.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableCsv(f"{path}: cannot read as UTF-8 CSV ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # a CR or LF inside a quoted cell stays in it
    if not reader.fieldnames or "address" not in [f.strip().lower() for f in reader.fieldnames]:
        raise UnreadableCsv(f"{path}: expected a header row with at least 'address' (and name, organisation, language)")
    added, rows, errors = 0, 0, []
    end = reader.line_num
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell over the csv module's size limit: the rest cannot be read
            errors.append(f"{path}:{end + 1}: rejected, and the rows after it not read: {exc}")
            break
        lineno, end = end + 1, reader.line_num  # the line the record starts on
        rows += 1
        if None in raw:
            errors.append(f"{path}:{lineno}: rejected: more fields than the header names (an unquoted comma?)")
            continue
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            address = check(row.get("address", ""))
        except InvalidAddress as exc:
            errors.append(f"{path}:{lineno}: address {row.get('address')!r} rejected: {exc}")
            continue
        bad = [k for k in ("name", "organisation") if any(not ch.isprintable() for ch in row.get(k, ""))]
        if bad:
            errors.append(f"{path}:{lineno}: {bad[0]} {row.get(bad[0])!r} rejected: it contains control "
                          "characters")
            continue
        language = row.get("language") or default_language
        if language not in LANGUAGES:
            errors.append(f"{path}:{lineno}: language: expected sv, fi or en, got {language!r}")
            continue
        _, created = store.add_member(address, row.get("name", ""), language, now, row.get("organisation") or None,
                                      source="import")
        added += int(created)
    return added, rows, errors
