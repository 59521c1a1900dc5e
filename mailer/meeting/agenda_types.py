"""What an agenda is made of: the topics and attendees that go in, the items and notices that come out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TopicIn:
    """A topic a member proposed; `rolled_over` when it did not fit on the previous meeting's agenda."""

    text: str
    proposer: str | None
    received: datetime | None
    rolled_over: bool = False


@dataclass(frozen=True)
class Attendee:
    """Someone expected at the meeting; `need` is what they said they need (for the presentation sheet)."""

    name: str
    organisation: str | None
    first_time: bool = False
    need: str | None = None


@dataclass(frozen=True)
class Item:
    """One time box. `kind` is a block name, or "topic" for each topic of the topics block."""

    start: datetime
    end: datetime
    kind: str
    title: str
    who: str | None = None
    details: tuple[str, ...] = ()

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Notice:
    """Something the coordinator should know about the agenda, kept as data so each language can phrase it."""

    code: str
    values: tuple[tuple[str, int | float | str], ...] = ()


@dataclass(frozen=True)
class Agenda:
    """A meeting's programme: contiguous items from `start`, the last ending at or before `end`."""

    start: datetime
    end: datetime
    items: tuple[Item, ...]
    #: Minutes each presenter gets (whole or half); 0 when nobody presents.
    minutes_per_presentation: int | float
    presenters: tuple[str, ...]
    #: Attendees who do not present because the round had to be shortened; named in the agenda instead.
    listed_only: tuple[str, ...]
    #: Topics that did not fit: they go first on the next meeting's agenda.
    rolled_over: tuple[TopicIn, ...]
    #: What was shortened and what to change, in English (for logs and the CLI); see `notices`.
    warnings: tuple[str, ...]
    notices: tuple[Notice, ...] = ()
