"""The member's own words in a calendar answer: the client's generated sentence and what follows are cut."""

from __future__ import annotations

import re
from functools import cache

from parsers.languages import languages


@cache
def _calendar_generated() -> re.Pattern[str]:
    sentences = [p for lang in languages() for p in lang.calendar_generated]
    return re.compile("|".join(sentences) or r"(?!x)x", re.IGNORECASE)


def strip_calendar_text(text: str) -> str:
    """The member's words in a calendar answer: the client's sentence ("Anna has accepted ...") and on go."""
    pattern = _calendar_generated()
    kept: list[str] = []
    for line in text.split("\n"):
        if pattern.fullmatch(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()
