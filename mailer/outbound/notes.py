"""The coordinator's notes as paragraphs: hard-wrapped lines joined, list items and headings kept apart."""

from __future__ import annotations

_MARKERS = ("-", "*", "•", "–", "—", ">")


def _starts_item(line: str) -> bool:
    """A line that begins a list item: "- x", "* x", "• x", "1. x", "2) x"."""
    if line.startswith(_MARKERS):
        return True
    digits = len(line) - len(line.lstrip("0123456789"))
    return 0 < digits <= 3 and line[digits : digits + 1] in (".", ")") and line[digits + 1 : digits + 2] == " "


def blocks(text: str) -> list[list[str]]:
    """Paragraphs (split at blank lines), each a list of the lines to show on their own.

    Lines a mail client wrapped are joined with a space; a line stays on its own when it starts a list
    item, when the line before ends with ":" (a heading), or when the line before was a list item and
    this one is indented less than its text (a new item needs its own marker, an indented line continues).
    """
    out: list[list[str]] = []
    current: list[str] = []
    previous_item = False
    for raw in str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if current:
                out.append(current)
            current, previous_item = [], False
            continue
        item = _starts_item(line)
        heading_before = bool(current) and current[-1].endswith(":")
        continues = previous_item and raw[:1] in (" ", "\t")
        if current and not item and not heading_before and (not previous_item or continues):
            current[-1] = f"{current[-1]} {line}"
        else:
            current.append(line)
            previous_item = item
    if current:
        out.append(current)
    return out
