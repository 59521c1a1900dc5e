"""`members import`: a CSV of members (comma, semicolon or tab), each row added as written or skipped with why."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mailer.addresses import InvalidAddress, check
from mailer.config import LANGUAGES
from mailer.errors import TraffpunktError
from mailer.state.store import Store

DELIMITERS = (",", ";", "\t")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class UnreadableCsv(TraffpunktError):
    """The file cannot be read as a members CSV at all (not UTF-8, no header with 'address')."""


@dataclass
class ImportReport:
    """What an import did: rows read, members added, and one line (`file:line: why`) per skipped row."""

    rows: int = 0
    added: int = 0
    delimiter: str = ","
    problems: list[str] = field(default_factory=list)
    #: Why rows were skipped, counted: "bad address", "duplicate in the file", ...
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        return sum(self.reasons.values())

    @property
    def already(self) -> int:
        return self.rows - self.added - self.skipped

    def skip(self, reason: str, text: str) -> None:
        self.reasons[reason] += 1
        self.problems.append(text)

    def summary(self) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in self.reasons.most_common())
        skipped = f"{self.skipped} rows skipped ({why})" if self.skipped else "0 rows skipped"
        return f"{self.added} added, {self.already} already members, {skipped}"


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV from its header line: the most frequent of , ; TAB outside quotes (linear)."""
    counts: Counter[str] = Counter()
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in DELIMITERS:
            counts[ch] += 1
    return counts.most_common(1)[0][0] if counts else ","


def import_members(store: Store, path: Path, default_language: str, now: datetime) -> ImportReport:
    """Add members from a CSV (name,address[,organisation][,language]), delimiter sniffed from the header.

    A row is added exactly as written or skipped with `file:line` and the reason: an address that is
    not exactly one plain address (mailer/addresses.py), the same address as an earlier row of the file,
    control characters in a name, more fields than the header names, an unknown language. A CR or LF
    inside a quoted cell stays in that cell (and so rejects the row); it never splits or joins rows.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UnreadableCsv(f"{path}: cannot read as UTF-8 CSV ({exc})") from None
    except UnicodeDecodeError as exc:  # Excel's plain "CSV" is the Windows code page: names would be guessed at
        raise UnreadableCsv(f"{path}: cannot read as UTF-8 CSV ({exc}); in Excel, save it as "
                            "\"CSV UTF-8\"") from None
    delimiter = sniff_delimiter(text[:4096].partition("\n")[0])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)  # CR/LF in a quoted cell stays
    if not reader.fieldnames or "address" not in [f.strip().lower() for f in reader.fieldnames]:
        raise UnreadableCsv(f"{path}: expected a header row with at least 'address' (and name, organisation, "
                            "language), separated by commas, semicolons or tabs")
    report = ImportReport(delimiter=delimiter)
    first_line: dict[str, int] = {}
    end = reader.line_num
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell over the csv module's size limit: the rest cannot be read
            report.skip("unreadable", f"{path}:{end + 1}: rejected, and the rows after it not read: {exc}")
            break
        lineno, end = end + 1, reader.line_num  # the line the record starts on
        report.rows += 1
        if None in raw:
            report.skip("with too many fields", f"{path}:{lineno}: rejected: more fields than the header names "
                                                f"(an unquoted {_NAMES[delimiter]}?)")
            continue
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            address = check(row.get("address", ""))
        except InvalidAddress as exc:
            report.skip("with a bad address", f"{path}:{lineno}: address {row.get('address')!r} rejected: {exc}")
            continue
        if address in first_line:
            report.skip("duplicate in the file", f"{path}:{lineno}: address {address} skipped: a duplicate of "
                                                 f"line {first_line[address]}")
            continue
        first_line[address] = lineno
        bad = [k for k in ("name", "organisation") if any(not ch.isprintable() for ch in row.get(k, ""))]
        if bad:
            report.skip("with control characters", f"{path}:{lineno}: {bad[0]} {row.get(bad[0])!r} rejected: "
                                                   "it contains control characters")
            continue
        language = row.get("language") or default_language
        if language not in LANGUAGES:
            report.skip("with an unknown language", f"{path}:{lineno}: language: expected sv, fi or en, "
                                                    f"got {language!r}")
            continue
        _, created = store.add_member(address, row.get("name", ""), language, now, row.get("organisation") or None,
                                      source="import")
        report.added += int(created)
    return report
