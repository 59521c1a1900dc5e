"""Time-box a meeting's programme: fit presentations, topics and discussion between start and end."""

# Never past the end time. Pure: attendees, topics and `[agenda]` settings in, an `Agenda` out; no SQL, no I/O.

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from mailer import config
from mailer.meeting.agenda_text import LABELS, notice_text, notice_texts, render_text, template_items
from mailer.meeting.agenda_types import Agenda, Attendee, Item, Notice, TopicIn

__all__ = ["Agenda", "Attendee", "Item", "Notice", "TopicIn", "build_agenda", "notice_texts", "render_text",
           "template_items"]

#: Fixed blocks take their minutes first, in this order of importance, when the meeting is too short for all.
_FIXED_PRIORITY = ("welcome", "thanks", "guest", "break")


def _topic_order(topics: Sequence[TopicIn]) -> list[TopicIn]:
    """Rolled-over topics first, then in the order received; undated ones after dated, as given."""
    keyed = sorted(enumerate(topics), key=lambda it: (not it[1].rolled_over, it[1].received is None,
                                                      it[1].received, it[0]))
    return [t for _, t in keyed]


def _display(a: Attendee) -> str:
    return f"{a.name} ({a.organisation})" if a.organisation else a.name


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def build_agenda(start: datetime, end: datetime, attendees: Sequence[Attendee], topics: Sequence[TopicIn],
                 guest_speaker: str | None, settings: config.Agenda) -> Agenda:
    """Fit the programme into start..end (less the buffer).

    Fixed blocks (welcome, thanks, guest, break) take their minutes first. Everyone presents for at least
    the minimum; when that does not fit with the full discussion, the discussion shrinks to its minimum,
    then only first-timers present (the others are listed), then as many as fit (first-timers first).
    The slack goes to topics rolled over from the last meeting, then to presentations up to the maximum,
    then to the other topics in the order received, then to the discussion.
    Topics that do not fit are rolled over; nothing is dropped.
    """
    s = settings
    total = max(0, int((end - start).total_seconds() // 60))
    avail = max(0, total - s.buffer_minutes)
    blocks = [b for b in s.blocks
              if not (b == "guest" and not guest_speaker) and not (b == "break" and s.break_minutes == 0)]
    notices: list[Notice] = []
    if guest_speaker and "guest" not in blocks:  # the meeting has a guest the recipe has no block for
        at = blocks.index("presentations") + 1 if "presentations" in blocks else min(1, len(blocks))
        blocks.insert(at, "guest")
        notices.append(Notice("guest_added", (("guest", guest_speaker),)))

    wanted = {"welcome": s.welcome_minutes, "guest": s.guest_minutes, "break": s.break_minutes,
              "thanks": s.thanks_minutes}
    fixed: dict[str, int] = {}
    left = avail
    for b in _FIXED_PRIORITY:
        if b in blocks:
            fixed[b] = min(wanted[b], left)
            left -= fixed[b]
            if fixed[b] < wanted[b]:
                notices.append(Notice("fixed_shortened", (("block", b), ("wanted", wanted[b]),
                                                          ("got", fixed[b]))))
    room = left  # for presentations, topics and discussion

    pmin, pmax = s.presentation_min_minutes, s.presentation_max_minutes
    full_disc = s.discussion_minutes if "discussion" in blocks else 0
    least_disc = min(s.discussion_min_minutes, full_disc)

    def need(count: int) -> int:
        return math.ceil(count * pmin)

    def fitting(count: int) -> bool:
        return need(count) + least_disc <= room

    presenting: list[int] = []  # indices into attendees
    n = len(attendees)
    if "presentations" in blocks and n:
        everyone = list(range(n))
        first = [i for i in everyone if attendees[i].first_time]
        if fitting(n):
            presenting = everyone
        elif first and fitting(len(first)):
            presenting = first
            notices.append(Notice("first_timers_only", (("total", n), ("minutes", _number(pmin)),
                                                        ("count", len(first)), ("listed", n - len(first)))))
        else:
            order = first + [i for i in everyone if not attendees[i].first_time]
            k = min(n, max(0, math.floor((room - least_disc) / pmin))) if room >= least_disc else 0
            presenting = order[:k]
            notices.append(Notice("presenters_cut", (("total", n), ("minutes", _number(pmin)), ("count", k),
                                                     ("listed", n - k))))
        if need(n) + full_disc > room:
            extra = need(n) + full_disc - room
            notices.append(Notice("proposal", (("total", n), ("minutes", _number(pmin)),
                                               ("discussion", full_disc), ("extra", extra))))
    chosen = set(presenting)
    presenters = [attendees[i] for i in presenting]
    listed = [attendees[i].name for i in range(n) if i not in chosen] if "presentations" in blocks else []

    np_ = len(presenters)
    disc = max(0, min(full_disc, room - need(np_)))
    if disc < full_disc:
        notices.append(Notice("discussion_shortened", (("wanted", full_disc), ("got", disc))))
    slack = room - need(np_) - disc

    ordered = _topic_order(topics)
    cap = 0
    if "topics" in blocks:
        cap = len(ordered) if s.topic_max_count is None else min(len(ordered), s.topic_max_count)
    # Topics already postponed once go before longer presentations, so that none is postponed for ever.
    fit = min(sum(1 for x in ordered[:cap] if x.rolled_over), slack // s.topic_minutes)
    slack -= fit * s.topic_minutes

    per: float = 0
    if np_:
        per = pmin
        steps = int(round((pmax - pmin) * 2))
        for i in range(steps, -1, -1):
            candidate = pmin + i / 2
            if math.ceil(np_ * candidate) - need(np_) <= slack:
                per = candidate
                break
        slack -= math.ceil(np_ * per) - need(np_)
    pres_minutes = math.ceil(np_ * per)

    more = min(cap - fit, slack // s.topic_minutes)
    fit += more
    slack -= more * s.topic_minutes
    on_agenda, rolled = ordered[:fit], ordered[fit:]
    if rolled:
        notices.append(Notice("topics_rolled_over", (("count", len(rolled)),)))
    if "discussion" in blocks:
        disc += slack

    items: list[Item] = []
    t = start

    def add(minutes: int, kind: str, title: str, who: str | None = None,
            details: tuple[str, ...] = ()) -> None:
        nonlocal t
        if minutes > 0:
            items.append(Item(t, t + timedelta(minutes=minutes), kind, title, who, details))
            t += timedelta(minutes=minutes)

    for b in blocks:
        if b == "presentations":
            add(pres_minutes, b, LABELS["en"][b], details=tuple(_display(a) for a in presenters))
        elif b == "topics":
            for topic in on_agenda:
                add(s.topic_minutes, "topic", topic.text, topic.proposer)
        elif b == "guest":
            add(fixed[b], b, guest_speaker or "", guest_speaker)
        elif b == "discussion":
            add(disc, b, LABELS["en"][b])
        else:
            add(fixed[b], b, LABELS["en"][b])

    return Agenda(
        start=start,
        end=end,
        items=tuple(items),
        minutes_per_presentation=_number(per),
        presenters=tuple(a.name for a in presenters),
        listed_only=tuple(listed),
        rolled_over=tuple(rolled),
        warnings=tuple(notice_text(x, "en", "en_GB") for x in notices),
        notices=tuple(notices),
    )
