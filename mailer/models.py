"""Plain data passed between the modules: members, meetings, occurrences, RSVPs, planner actions, tick reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

MemberStatus = Literal["active", "left", "bouncing", "dormant"]
Answer = Literal["yes", "no", "maybe"]
#: Kinds of mail traffpunkt sends; each rides in the X-Traffpunkt-Kind header.
MailKind = Literal[
    "invitation", "reminder", "cancellation", "update",
    "confirmation", "join-confirm", "welcome", "leave-confirm", "digest", "bounce-notice",
    "agenda", "catering", "memo-draft", "memo", "thanks",
]


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    address: str
    organisation: str | None
    language: str
    status: MemberStatus
    joined: datetime


@dataclass(frozen=True)
class Occurrence:
    """One meeting of the series as the config describes it now (schedule.py computes these)."""

    date: date
    start: datetime
    end: datetime
    place: str
    address: str | None = None
    online_link: str | None = None
    theme: str | None = None
    guest_speaker: str | None = None
    cancelled: bool = False

    @property
    def fingerprint(self) -> str:
        """What members were told: when it changes after the invitation, they get an update."""
        return "|".join([self.start.isoformat(), self.end.isoformat(), self.place, self.address or "",
                         self.online_link or ""])


@dataclass(frozen=True)
class Meeting:
    """A stored occurrence: what members have been told, with its iCalendar UID and SEQUENCE."""

    id: int
    date: date
    uid: str
    sequence: int
    start: datetime
    end: datetime
    place: str
    address: str | None
    online_link: str | None
    theme: str | None
    guest_speaker: str | None
    cancelled: bool
    fingerprint: str


@dataclass(frozen=True)
class Rsvp:
    meeting_id: int
    member_id: int
    answer: Answer
    guests: int = 0
    dietary: str | None = None


class Audience(Protocol):
    """Who of the active members is due a meeting's mail, asked of the state: the planner says what it wants
    (the rule), the store answers with SQL anti-joins over its indexes (mailer/state/audience.py), so a tick
    with nothing due reads no members. Each stream is in member id order; "invited" is an invitation or
    update queued and not dropped (as of when the state was read: mail queued in this tick does not count)."""

    def any_invited(self, meeting_id: int) -> bool:
        """Whether anyone (of any status) was queued this meeting's invitation or an update."""
        ...

    def not_invited(self, meeting_id: int | None) -> Iterable[Member]:
        """Active members without an invitation or update (everyone for a meeting not stored yet)."""
        ...

    def told_before(self, meeting_id: int, sequence: int) -> Iterable[Member]:
        """Active members invited whose invitation or last update carried a SEQUENCE below `sequence`."""
        ...

    def not_reminded(self, meeting_id: int, answers: frozenset[str | None]) -> Iterable[Member]:
        """Active members invited, not queued a reminder, whose answer is in `answers` (None: no answer)."""
        ...

    def not_cancelled(self, meeting_id: int) -> Iterable[Member]:
        """Active members invited and not queued a cancellation."""
        ...

    def not_thanked(self, meeting_id: int) -> Iterable[Member]:
        """Active members who answered yes and were never queued a thank-you (of any status)."""
        ...


@dataclass(frozen=True)
class PlannerState:
    """What the planner needs to know of the database, read in one go by the service.

    With `audience` set (the store's), the planner asks it who is due mail and the member fields below
    (`members`, `invited`, `answers`, `reminded`, `cancelled_to`) may stay empty; without it (tests, tools)
    the planner answers the same questions from those fields.
    """

    meetings: Mapping[date, Meeting]
    #: active members; any re-iterable collection (the store streams them from SQLite in batches)
    members: Iterable[Member]
    #: meeting id -> member id -> highest SEQUENCE queued to them (invitation or update)
    invited: Mapping[int, Mapping[int, int]]
    #: meeting id -> member id -> answer
    answers: Mapping[int, Mapping[int, str]]
    #: meeting id -> member ids that have been queued a reminder / a cancellation
    reminded: Mapping[int, frozenset[int]] = field(default_factory=dict)
    cancelled_to: Mapping[int, frozenset[int]] = field(default_factory=dict)
    #: Keys of coordinator and after-meeting mail already queued (agenda, catering, thanks).
    queued_keys: frozenset[str] = frozenset()
    #: meeting id -> members a coordinator said did not come (no thank-you for them)
    absent: Mapping[int, frozenset[int]] = field(default_factory=dict)
    audience: Audience | None = None


@dataclass(frozen=True)
class MeetingChange:
    """Store this occurrence as the meeting's new truth (insert, new details, or cancelled)."""

    occurrence: Occurrence
    sequence: int
    key: str


@dataclass(frozen=True, slots=True)
class Send:
    """Queue one mail of `kind` about a meeting to a member; `key` makes it happen once."""

    kind: MailKind
    meeting_date: date
    member_id: int
    sequence: int
    key: str
    #: The address it goes to: the member's, or for mail to a coordinator (agenda, catering) theirs, with
    #: member_id 0.
    recipient: str | None = None
    #: The member's language (their agenda and other context come in it); None for coordinators.
    language: str | None = None


Action = MeetingChange | Send


@dataclass
class TickReport:
    """What one tick did, for the log and for `run --once`."""

    now: datetime
    queued: dict[str, int] = field(default_factory=dict)
    meetings_changed: list[str] = field(default_factory=list)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Of the failed: mails that could not be rendered (a template bug).
    render_failed: int = 0
    inbound: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: Errors already written to the log when they happened (the daemon does not repeat them).
    logged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.now.isoformat(timespec='minutes')}"]
        if self.meetings_changed:
            parts.append("meetings: " + ", ".join(self.meetings_changed))
        if self.queued:
            parts.append("queued " + ", ".join(f"{n} {k}" for k, n in sorted(self.queued.items())))
        if self.sent or self.retried or self.failed:
            parts.append(f"sent {self.sent}, retry {self.retried}, failed {self.failed}")
        if self.inbound:
            parts.append("inbox " + ", ".join(f"{n} {k}" for k, n in sorted(self.inbound.items())))
        return "; ".join(parts)
