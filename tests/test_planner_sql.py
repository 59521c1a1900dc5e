"""The planner's "who is due?" asked of SQLite (mailer/state/audience.py) gives the same mail as its rules read
over the whole state: a simulated year through the real store, and the odd rows (dropped, left, dormant)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from test_planner import (
    CONFIG,
    END,
    EVENTS,
    JOINS,
    LEAVES,
    LONG_AGO,
    OUTAGES,
    START,
    FakeStore,
    answer_of,
    config_at,
    local,
    sends,
    year,  # noqa: F401 - the fixture: the same year through the in-memory state
)

from mailer.config import Config, load_config
from mailer.meeting.planner import iter_plan, next_due, plan
from mailer.models import Action, MeetingChange, PlannerState, Send
from mailer.state.store import Store


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "network.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


def whole_state(store: Store, since: date) -> PlannerState:
    """The planner's state read the long way (every member, every invitation), its rules then answer alone."""
    meetings = store.meetings(since)
    ids = [m.id for m in meetings.values()]
    invited: dict[int, dict[int, int]] = defaultdict(dict)
    reminded: dict[int, set[int]] = defaultdict(set)
    cancelled: dict[int, set[int]] = defaultdict(set)
    answers: dict[int, dict[int, str]] = defaultdict(dict)
    keys: set[str] = set()
    for mid in ids:
        for row in store.db.query("SELECT member_id, kind, sequence, status, key FROM outbox WHERE meeting_id = ?",
                                  [mid]):
            if row["kind"] in ("agenda", "catering", "thanks"):
                keys.add(row["key"])
            if row["status"] == "dropped":
                continue
            if row["kind"] in ("invitation", "update"):
                invited[mid][row["member_id"]] = max(row["sequence"], invited[mid].get(row["member_id"], -1))
            elif row["kind"] == "reminder":
                reminded[mid].add(row["member_id"])
            elif row["kind"] == "cancellation":
                cancelled[mid].add(row["member_id"])
        for row in store.rsvps(mid):
            answers[mid][row["member_id"]] = row["answer"]
    return PlannerState(meetings=meetings, members=tuple(store.members("active")), invited=invited,
                        answers=answers, reminded={k: frozenset(v) for k, v in reminded.items()},
                        cancelled_to={k: frozenset(v) for k, v in cancelled.items()}, queued_keys=frozenset(keys),
                        absent=store.absent(ids))


def apply_to_store(store: Store, now: datetime, actions: list[Action]) -> None:
    """What the service does with a plan: store meeting changes, queue one outbox row per Send."""
    with store.write():
        for a in actions:
            if isinstance(a, MeetingChange):
                store.apply_meeting_change(a, "example.fi", now)
                continue
            mtg = store.meeting_on(a.meeting_date)
            assert mtg is not None
            store.enqueue(key=a.key, kind=a.kind, recipient=a.recipient or "", message_id=f"<{a.key}@example.fi>",
                          now=now, member_id=a.member_id or None, meeting_id=mtg.id, sequence=a.sequence)


def planned(store: Store, now: datetime, cfg: Config) -> list[Action]:
    """The store's plan, checked against the rules over the whole state at the same moment."""
    since = now.astimezone(cfg.network.tz).date() - timedelta(days=3)
    actions = plan(now, cfg, store.planner_state(since))
    assert actions == plan(now, cfg, whole_state(store, since)), f"SQL and rules disagree at {now}"
    return actions


def test_a_year_through_sqlite_sends_what_the_rules_send_once_each(
        config: Config, year: tuple[Config, FakeStore, int]) -> None:  # noqa: F811
    store = Store.memory()
    for i in range(1, 13):
        store.add_member(f"m{i}@example.fi", f"Medlem {i}", "sv", LONG_AGO)
    sent: Counter[tuple[str, date, int, int]] = Counter()
    now = START
    while now < END:
        down = [end for begin, end in OUTAGES if begin <= now < end]
        if down:
            now = down[0]
            continue
        if now >= JOINS and store.member(13) is None:
            store.add_member("m13@example.fi", "Medlem 13", "sv", JOINS)
        if now >= LEAVES and (six := store.member(6)) is not None and six.status == "active":
            store.remove_member(six.address, now)
        cfg = config_at(config, now)
        actions = planned(store, now, cfg)
        apply_to_store(store, now, actions)
        assert planned(store, now, cfg) == [], f"applying the plan left work undone at {now}"
        for s in (a for a in actions if isinstance(a, Send)):
            sent[(s.kind, s.meeting_date, s.member_id, s.sequence)] += 1
            meeting = store.meeting_on(s.meeting_date)
            if s.kind == "invitation" and (answer := answer_of(s.member_id)) is not None and meeting is not None:
                store.set_rsvp(meeting.id, s.member_id, answer, now)
        nxt = next_due(now, cfg, store.planner_state(now.date() - timedelta(days=1)))
        now = min([t for t in (*EVENTS, *(end for _, end in OUTAGES), END) if t > now] + ([nxt] if nxt else []))
    _, fake, _ = year
    assert sent == Counter((s.kind, s.day, s.member_id, s.sequence) for s in fake.sent)
    assert set(sent.values()) == {1}


def test_dropped_left_and_dormant_rows_count_as_the_rules_say(config: Config) -> None:
    store = Store.memory()
    for i in range(1, 9):
        store.add_member(f"m{i}@example.fi", f"Medlem {i}", "sv", LONG_AGO)
    invite_at = local(2026, 2, 19, 9, 0)
    apply_to_store(store, invite_at, planned(store, invite_at, config))
    meeting = store.meeting_on(date(2026, 3, 5))
    assert meeting is not None
    with store.write():  # 2's invitation was dropped; 3 left, 4 is dormant, 5 bounces; 6 says no, 7 maybe
        store.db.execute("UPDATE outbox SET status = 'dropped' WHERE member_id = 2")
        store.db.execute("UPDATE members SET status = 'dormant' WHERE id = 4")
        store.db.execute("UPDATE members SET status = 'bouncing' WHERE id = 5")
    store.remove_member("m3@example.fi", invite_at)
    store.set_rsvp(meeting.id, 6, "no", invite_at)
    store.set_rsvp(meeting.id, 7, "maybe", invite_at)
    reminders = sends(planned(store, local(2026, 3, 3, 9, 0), config), "reminder")
    assert [s.member_id for s in reminders] == [1, 7, 8]
    invitations = sends(planned(store, local(2026, 3, 3, 9, 0), config), "invitation")
    assert [s.member_id for s in invitations] == [2]  # its key is taken: the outbox queues nothing twice


def test_a_member_invited_in_this_tick_is_reminded_only_in_the_next(config: Config) -> None:
    """The store's answers are those of the moment its state was read, even while the tick queues."""
    store = Store.memory()
    for i in range(1, 4):
        store.add_member(f"m{i}@example.fi", f"Medlem {i}", "sv", LONG_AGO)
    opened = local(2026, 2, 18, 12, 0)  # the meeting is stored when it enters the window, before invitations
    apply_to_store(store, opened, planned(store, opened, config))
    assert store.meeting_on(date(2026, 3, 5)) is not None
    late = local(2026, 3, 3, 10, 0)  # down since before the invitation was due; the reminder is due too
    state = store.planner_state(late.date() - timedelta(days=3))
    first: list[Action] = []
    for action in iter_plan(late, config, state):  # queued as the planner streams, as the service does
        apply_to_store(store, late, [action])
        first.append(action)
    assert [s.kind for s in sends(first)] == ["invitation"] * 3
    again = sends(planned(store, late + timedelta(hours=1), config))
    assert [(s.kind, s.member_id) for s in again] == [("reminder", 1), ("reminder", 2), ("reminder", 3)]
