"""The planner decides what is due: invitations, reminders, cancellations, updates; pure and idempotent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, Override, load_config
from mailer.meeting.planner import next_due, plan
from mailer.meeting.schedule import occurrences
from mailer.models import Action, Meeting, MeetingChange, Member, Occurrence, PlannerState, Send
from mailer.state.store import Store

HEL = ZoneInfo("Europe/Helsinki")

CONFIG = """
[network]
name = "Testnätverket"
language = "sv"
timezone = "Europe/Helsinki"
list_address = "natverk@example.fi"
memo_address = "memo@example.fi"
coordinators = ["koordinator@example.fi"]

[meetings]
rrule = "FREQ=MONTHLY;BYDAY=1TH"
first_date = "2026-01-01"
start_time = "17:00"
duration_minutes = 120
place = "Caisa"
address = "Kajsaniemigatan 4"
skip_dates = ["2026-07-02"]
holiday_country = "FI"
invitation_lead_days = 14
reminder_lead_days = 2
send_time = "09:00"

[[meetings.override]]
date = "2026-06-04"
place = "Stoa"
theme = "Sommarträff"
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "network.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=HEL)


LONG_AGO = local(2025, 11, 1)


def member(i: int, joined: datetime = LONG_AGO, status: str = "active") -> Member:
    return Member(id=i, name=f"Medlem {i}", address=f"m{i}@example.fi", organisation=None, language="sv",
                  status=status, joined=joined)  # type: ignore[arg-type]


def with_overrides(cfg: Config, *extra: Override) -> Config:
    return replace(cfg, meetings=replace(cfg.meetings, overrides=cfg.meetings.overrides + extra))


#: The mail about a meeting that members get before it; coordinator and after-meeting mail is tested apart.
MEMBER_KINDS = ("invitation", "reminder", "cancellation", "update")


def sends(actions: Iterable[Action], kind: str | None = None) -> list[Send]:
    return [a for a in actions if isinstance(a, Send) and (a.kind == kind if kind else a.kind in MEMBER_KINDS)]


def changes(actions: Iterable[Action]) -> list[MeetingChange]:
    return [a for a in actions if isinstance(a, MeetingChange)]


# -- a tiny in-memory store that applies actions as the real one does ----------------------------------


@dataclass
class Sent:
    at: datetime
    kind: str
    day: date
    member_id: int
    sequence: int
    meeting_start: datetime


@dataclass
class FakeStore:
    members: dict[int, Member] = field(default_factory=dict)
    meetings: dict[date, Meeting] = field(default_factory=dict)
    invited: dict[int, dict[int, int]] = field(default_factory=dict)
    answers: dict[int, dict[int, str]] = field(default_factory=dict)
    reminded: dict[int, set[int]] = field(default_factory=dict)
    cancelled_to: dict[int, set[int]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    changed: list[tuple[datetime, MeetingChange]] = field(default_factory=list)

    def state(self) -> PlannerState:
        return PlannerState(
            meetings=dict(self.meetings),
            members=tuple(m for m in self.members.values() if m.status == "active"),
            invited={k: dict(v) for k, v in self.invited.items()},
            answers={k: dict(v) for k, v in self.answers.items()},
            reminded={k: frozenset(v) for k, v in self.reminded.items()},
            cancelled_to={k: frozenset(v) for k, v in self.cancelled_to.items()},
            queued_keys=frozenset(self.keys),
        )

    def apply(self, now: datetime, actions: list[Action]) -> None:
        for a in actions:
            assert a.key not in self.keys, f"key {a.key} applied twice"
            self.keys.add(a.key)
            if isinstance(a, MeetingChange):
                self.changed.append((now, a))
                self.store(a.occurrence, a.sequence)
                continue
            mtg = self.meetings[a.meeting_date]  # a Send always refers to a stored meeting
            self.sent.append(Sent(now, a.kind, a.meeting_date, a.member_id, a.sequence, mtg.start))
            if a.kind in ("invitation", "update"):
                told = self.invited.setdefault(mtg.id, {})
                told[a.member_id] = max(a.sequence, told.get(a.member_id, -1))
            elif a.kind == "reminder":
                self.reminded.setdefault(mtg.id, set()).add(a.member_id)
            elif a.kind == "cancellation":
                self.cancelled_to.setdefault(mtg.id, set()).add(a.member_id)

    def store(self, occ: Occurrence, sequence: int) -> Meeting:
        old = self.meetings.get(occ.date)
        mid = old.id if old else len(self.meetings) + 1
        m = Meeting(id=mid, date=occ.date, uid=f"uid-{occ.date}", sequence=sequence, start=occ.start,
                    end=occ.end, place=occ.place, address=occ.address, online_link=occ.online_link,
                    theme=occ.theme, guest_speaker=occ.guest_speaker, cancelled=occ.cancelled,
                    fingerprint=occ.fingerprint)
        self.meetings[occ.date] = m
        return m

    def answer(self, day: date, member_id: int, answer: str) -> None:
        self.answers.setdefault(self.meetings[day].id, {})[member_id] = answer

    def of(self, kind: str, day: date) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind and s.day == day]


def scheduled(cfg: Config, day: date) -> Occurrence:
    return occurrences(cfg.meetings, cfg.network.tz, day, day)[0]


def store_with(cfg: Config, day: date, members: Iterable[Member], invited: Iterable[int] = (),
               sequence: int = 0) -> FakeStore:
    fake = FakeStore(members={m.id: m for m in members})
    mtg = fake.store(scheduled(cfg, day), sequence)
    if invited:
        fake.invited[mtg.id] = {i: sequence for i in invited}
    return fake


# -- unit behaviour ------------------------------------------------------------------------------------


def test_invitation_goes_out_at_nine_local_fourteen_days_before(config: Config) -> None:
    fake = FakeStore(members={i: member(i) for i in (1, 2, 3)})
    before = plan(local(2026, 2, 19, 8, 59), config, fake.state())
    assert [c.occurrence.date for c in changes(before)] == [date(2026, 3, 5)]
    assert sends(before) == []
    due = plan(local(2026, 2, 19, 9, 0), config, fake.state())
    assert isinstance(due[0], MeetingChange) and due[0].sequence == 0
    assert [(s.kind, s.meeting_date, s.member_id, s.sequence, s.key) for s in sends(due)] == [
        ("invitation", date(2026, 3, 5), i, 0, f"invitation:2026-03-05:{i}") for i in (1, 2, 3)]


def test_missed_invitation_is_sent_late_but_never_after_the_start(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)])
    late = plan(local(2026, 3, 5, 16, 59), config, fake.state())
    assert [(s.kind, s.member_id) for s in sends(late)] == [("invitation", 1)]
    assert plan(local(2026, 3, 5, 17, 0), config, fake.state()) == []
    assert plan(local(2026, 3, 5, 18, 0), config, fake.state()) == []


def test_reminder_skips_members_who_said_no(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(i) for i in (1, 2, 3, 4)], invited=(1, 2, 3, 4))
    for i, answer in ((1, "yes"), (2, "no"), (3, "maybe")):
        fake.answer(date(2026, 3, 5), i, answer)
    assert plan(local(2026, 3, 3, 8, 0), config, fake.state()) == []
    due = plan(local(2026, 3, 3, 9, 0), config, fake.state())
    assert [(s.kind, s.member_id, s.key) for s in sends(due)] == [
        ("reminder", i, f"reminder:2026-03-05:{i}") for i in (1, 3, 4)]


def test_member_invited_in_this_tick_gets_no_reminder_in_the_same_tick(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1), member(2)], invited=(1,))
    actions = plan(local(2026, 3, 4, 10, 0), config, fake.state())
    assert [(s.kind, s.member_id) for s in sends(actions)] == [("invitation", 2), ("reminder", 1)]
    fake.apply(local(2026, 3, 4, 10, 0), actions)
    # Member 2 joined before the reminder was due and was merely invited late: reminded on the next tick.
    assert [(s.kind, s.member_id) for s in sends(plan(local(2026, 3, 4, 10, 1), config, fake.state()))] == [
        ("reminder", 2)]


def test_member_who_joined_after_the_reminder_was_due_gets_just_the_invitation(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1, joined=local(2026, 3, 4, 12, 0))])
    now = local(2026, 3, 4, 12, 5)
    first = plan(now, config, fake.state())
    assert [s.kind for s in sends(first)] == ["invitation"]
    fake.apply(now, first)
    assert plan(now + timedelta(minutes=1), config, fake.state()) == []


def test_left_and_bouncing_members_get_nothing(config: Config) -> None:
    fake = FakeStore(members={1: member(1), 2: member(2, status="left"), 3: member(3, status="bouncing")})
    actions = plan(local(2026, 2, 19, 9, 0), config, fake.state())
    assert [s.member_id for s in sends(actions)] == [1]


def test_change_before_anyone_was_invited_keeps_sequence_zero(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)])
    moved = with_overrides(config, Override(date=date(2026, 3, 5), place="Stoa"))
    actions = plan(local(2026, 2, 18, 12, 0), moved, fake.state())
    assert [(c.occurrence.place, c.sequence) for c in changes(actions)] == [("Stoa", 0)]
    assert sends(actions) == []


def test_place_change_after_invitation_sends_update_with_higher_sequence_to_everyone_invited(
        config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1), member(2), member(3)], invited=(1, 2))
    fake.answer(date(2026, 3, 5), 2, "no")
    moved = with_overrides(config, Override(date=date(2026, 3, 5), place="Stoa", start_time=time(18, 0)))
    now = local(2026, 2, 25, 12, 0)
    actions = plan(now, moved, fake.state())
    change = actions[0]
    assert isinstance(change, MeetingChange) and change.sequence == 1
    assert change.occurrence.start.isoformat() == "2026-03-05T18:00:00+02:00"
    assert change.key.startswith("meeting:2026-03-05:1:")
    # Member 2 said no but still gets the update (they may come at the new time); member 3 was never invited.
    assert [(s.kind, s.member_id, s.sequence, s.key) for s in sends(actions)] == [
        ("update", 1, 1, "update:2026-03-05:1:1"), ("update", 2, 1, "update:2026-03-05:1:2"),
        ("invitation", 3, 1, "invitation:2026-03-05:3")]
    fake.apply(now, actions)
    assert plan(now, moved, fake.state()) == []


def test_theme_change_after_invitation_is_stored_without_new_sequence_or_mail(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)], invited=(1,))
    themed = with_overrides(config, Override(date=date(2026, 3, 5), theme="Budget", guest_speaker="Maria"))
    actions = plan(local(2026, 2, 25, 12, 0), themed, fake.state())
    assert [(c.occurrence.theme, c.sequence) for c in changes(actions)] == [("Budget", 0)]
    assert sends(actions) == []


def test_cancellation_notice_goes_to_invited_members_only_and_nobody_is_invited_any_more(
        config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1), member(2), member(3)], invited=(1, 2))
    fake.answer(date(2026, 3, 5), 2, "no")
    off = with_overrides(config, Override(date=date(2026, 3, 5), cancelled=True))
    now = local(2026, 3, 3, 12, 0)  # reminder time too
    actions = plan(now, off, fake.state())
    assert [(c.occurrence.cancelled, c.sequence) for c in changes(actions)] == [(True, 1)]
    assert [(s.kind, s.member_id, s.sequence, s.key) for s in sends(actions)] == [
        ("cancellation", 1, 1, "cancellation:2026-03-05:1"),
        ("cancellation", 2, 1, "cancellation:2026-03-05:2")]
    fake.apply(now, actions)
    assert plan(now + timedelta(hours=1), off, fake.state()) == []


def test_cancelling_a_meeting_nobody_was_invited_to_sends_nothing(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)])
    off = with_overrides(config, Override(date=date(2026, 3, 5), cancelled=True))
    actions = plan(local(2026, 2, 18, 12, 0), off, fake.state())
    assert [(c.occurrence.cancelled, c.sequence) for c in changes(actions)] == [(True, 0)]
    assert sends(actions) == []


def test_restoring_a_cancelled_meeting_updates_those_who_got_the_cancellation(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1), member(2)], invited=(1,))
    off = with_overrides(config, Override(date=date(2026, 3, 5), cancelled=True))
    fake.apply(local(2026, 2, 25, 12, 0), plan(local(2026, 2, 25, 12, 0), off, fake.state()))
    back = plan(local(2026, 2, 26, 12, 0), config, fake.state())
    assert [(c.occurrence.cancelled, c.sequence) for c in changes(back)] == [(False, 2)]
    assert [(s.kind, s.member_id, s.sequence) for s in sends(back)] == [
        ("update", 1, 2), ("invitation", 2, 2)]


def test_meeting_dropped_from_the_series_is_cancelled_for_those_invited(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)], invited=(1,))
    weekly_on_fridays = replace(config, meetings=replace(config.meetings, rrule="FREQ=WEEKLY;BYDAY=FR"))
    actions = plan(local(2026, 2, 25, 12, 0), weekly_on_fridays, fake.state())
    dropped = [c for c in changes(actions) if c.occurrence.date == date(2026, 3, 5)]
    assert [(c.occurrence.cancelled, c.occurrence.place, c.sequence) for c in dropped] == [(True, "Caisa", 1)]
    assert [(s.kind, s.member_id) for s in sends(actions) if s.meeting_date == date(2026, 3, 5)] == [
        ("cancellation", 1)]
    # The Fridays the edited rule now produces are new meetings, stored and invited to as usual.
    assert {c.occurrence.date for c in changes(actions)} >= {date(2026, 2, 27), date(2026, 3, 6)}


def test_past_meetings_are_never_touched(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)], invited=(1,))
    off = with_overrides(config, Override(date=date(2026, 3, 5), place="Stoa", cancelled=True))
    assert plan(local(2026, 3, 5, 17, 0), off, fake.state()) == []


def test_plan_needs_a_zone_aware_now(config: Config) -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        plan(datetime(2026, 3, 1, 12, 0), config, FakeStore().state())
    with pytest.raises(ValueError, match="zone-aware"):
        next_due(datetime(2026, 3, 1, 12, 0), config, FakeStore().state())


def test_next_due_is_the_next_invitation_reminder_or_window_entry(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)])
    assert next_due(local(2026, 2, 18, 12, 0), config, fake.state()) == local(2026, 2, 19, 9, 0)
    assert next_due(local(2026, 2, 19, 9, 0), config, fake.state()) == local(2026, 3, 3, 9, 0)
    # The coordinators' final agenda the day before, then the meeting's end (thank-yous).
    assert next_due(local(2026, 3, 3, 9, 0), config, fake.state()) == local(2026, 3, 4, 9, 0)
    assert next_due(local(2026, 3, 4, 9, 0), config, fake.state()) == local(2026, 3, 5, 19, 0)
    # Then April's meeting enters the window at local midnight 15 days before it.
    assert next_due(local(2026, 3, 5, 19, 0), config, fake.state()) == local(2026, 3, 18, 0, 0)
    ended = replace(config, meetings=replace(config.meetings, rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=3"))
    assert next_due(local(2026, 3, 5, 19, 0), ended, fake.state()) is None


def test_fan_out_to_a_hundred_thousand_members_is_one_invitation_each(config: Config) -> None:
    fake = FakeStore(members={i: member(i) for i in range(1, 100_001)})
    actions = plan(local(2026, 2, 19, 9, 0), config, fake.state())
    invitations = sends(actions, "invitation")
    assert len(invitations) == 100_000
    assert len({s.key for s in invitations}) == 100_000


# -- a simulated year --------------------------------------------------------------------------------------

START, END = local(2025, 12, 1), local(2027, 1, 1)
#: Two 3-day outages. The first swallows February's reminder and the meeting's start and ends that evening:
#: nothing about February may be sent on recovery. The second covers March's invitation time: it is sent on
#: recovery, late, as the meeting is still ahead.
OUTAGES = ((local(2026, 2, 2, 20, 0), local(2026, 2, 5, 20, 0)),
           (local(2026, 2, 17, 12, 0), local(2026, 2, 20, 12, 0)))
OUTAGE = OUTAGES[1]
JOINS = local(2026, 5, 1, 12, 30)  # member 13: after May's invitation went out, before its reminder
LEAVES = local(2026, 8, 1, 12, 30)  # member 6: after August's invitation
MOVE_SEP = local(2026, 8, 25, 10, 0)  # September's meeting moves to Annantalo after its invitation
CANCEL_OCT = local(2026, 9, 22, 10, 0)  # October's meeting is called off after its invitation
RETIME_NOV = local(2026, 10, 21, 12, 0)  # November's moves to 18:00 before anyone was invited
EVENTS = (JOINS, LEAVES, MOVE_SEP, CANCEL_OCT, RETIME_NOV)


def answer_of(member_id: int) -> str | None:
    return {0: "no", 1: "yes", 2: "maybe", 3: None}[member_id % 4]


def config_at(base: Config, now: datetime) -> Config:
    extra: list[Override] = []
    if now >= MOVE_SEP:
        extra.append(Override(date=date(2026, 9, 3), place="Annantalo"))
    if now >= CANCEL_OCT:
        extra.append(Override(date=date(2026, 10, 1), cancelled=True))
    if now >= RETIME_NOV:
        extra.append(Override(date=date(2026, 11, 5), start_time=time(18, 0)))
    return with_overrides(base, *extra)


def simulate(base: Config, clock: Callable[[datetime, FakeStore, Config], datetime]) -> tuple[FakeStore, int]:
    """Run the daemon's tick (plan, apply) at each time `clock` yields; members and config change on cue."""
    fake = FakeStore(members={i: member(i) for i in range(1, 13)})
    now, ticks = START, 0
    while now < END:
        down = [end for begin, end in OUTAGES if begin <= now < end]
        if down:
            now = down[0]
            continue
        if now >= JOINS and 13 not in fake.members:
            fake.members[13] = member(13, joined=JOINS)
        if now >= LEAVES and fake.members[6].status == "active":
            fake.members[6] = member(6, status="left")
        cfg = config_at(base, now)
        state = fake.state()
        actions = plan(now, cfg, state)
        assert plan(now, cfg, state) == actions, f"plan is not deterministic at {now}"
        fake.apply(now, actions)
        assert plan(now, cfg, fake.state()) == [], f"applying the plan left work undone at {now}"
        for s in sends(actions, "invitation"):
            if (a := answer_of(s.member_id)) is not None:
                fake.answer(s.meeting_date, s.member_id, a)
        ticks += 1
        now = clock(now, fake, cfg)
    return fake, ticks


def hourly(now: datetime, fake: FakeStore, cfg: Config) -> datetime:
    return (now.astimezone(UTC) + timedelta(hours=1)).astimezone(HEL)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, FakeStore, int]:
    path = tmp_path_factory.mktemp("year") / "network.toml"
    path.write_text(CONFIG, encoding="utf-8")
    base = load_config(path)
    fake, ticks = simulate(base, hourly)
    return base, fake, ticks


BASE = set(range(1, 13))
MEETINGS = {  # date -> who is invited (the planner's window reaches 2027-01-07 before the year ends)
    date(2026, 2, 5): BASE, date(2026, 3, 5): BASE, date(2026, 4, 2): BASE, date(2026, 5, 7): BASE | {13},
    date(2026, 6, 4): BASE | {13}, date(2026, 8, 6): BASE | {13}, date(2026, 9, 3): BASE - {6} | {13},
    date(2026, 10, 1): BASE - {6} | {13}, date(2026, 11, 5): BASE - {6} | {13},
    date(2026, 12, 3): BASE - {6} | {13}, date(2027, 1, 7): BASE - {6} | {13},
}


def test_year_each_active_member_gets_exactly_one_invitation_per_meeting(
        year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    per = Counter((s.day, s.member_id) for s in fake.sent if s.kind == "invitation")
    assert set(per.values()) == {1}
    got: dict[date, set[int]] = {}
    for day, mid in per:
        got.setdefault(day, set()).add(mid)
    assert got == MEETINGS
    # New Year's Day (holiday) and the skipped July meeting: stored as cancelled, nobody mailed.
    assert fake.meetings[date(2026, 1, 1)].cancelled and fake.meetings[date(2026, 7, 2)].cancelled
    assert not [s for s in fake.sent if s.day in (date(2026, 1, 1), date(2026, 7, 2))]


def test_year_invitations_go_out_at_nine_local_fourteen_days_before_except_after_outage_and_joining(
        year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    for s in fake.sent:
        if s.kind != "invitation":
            continue
        if s.day == date(2026, 3, 5):
            assert s.at == OUTAGE[1], "March's invitation is sent on recovery, late"
        elif s.member_id == 13 and s.day == date(2026, 5, 7):
            assert s.at == local(2026, 5, 1, 13, 0), "the new member is invited on the next tick"
        else:
            assert s.at == local(s.day.year, s.day.month, s.day.day, 9) - timedelta(days=14), s
            assert s.at.astimezone(HEL).hour == 9
    # The April invitation goes out in winter time, the meeting is in summer time; November the other way.
    april = fake.of("invitation", date(2026, 4, 2))[0]
    assert april.at.astimezone(HEL).isoformat() == "2026-03-19T09:00:00+02:00"
    assert april.meeting_start.astimezone(HEL).isoformat() == "2026-04-02T17:00:00+03:00"
    november = fake.of("invitation", date(2026, 11, 5))[0]
    assert november.at.astimezone(HEL).isoformat() == "2026-10-22T09:00:00+03:00"
    assert november.meeting_start.astimezone(HEL).isoformat() == "2026-11-05T18:00:00+02:00"


def test_year_meetings_stay_at_17_local_through_both_dst_changes(year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    for day, m in fake.meetings.items():
        local_start = m.start.astimezone(HEL)
        assert (local_start.hour, local_start.minute) == ((18, 0) if day == date(2026, 11, 5) else (17, 0))
    offsets = {d: m.start.utcoffset() for d, m in fake.meetings.items()}
    assert offsets[date(2026, 3, 5)] == offsets[date(2026, 11, 5)] == timedelta(hours=2)
    assert offsets[date(2026, 4, 2)] == offsets[date(2026, 10, 1)] == timedelta(hours=3)


def test_year_reminders_only_to_yes_maybe_and_unanswered_members(year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    per = Counter((s.day, s.member_id) for s in fake.sent if s.kind == "reminder")
    assert set(per.values()) == {1}
    for day, invited in MEETINGS.items():
        if day in (date(2026, 2, 5), date(2026, 10, 1), date(2027, 1, 7)):  # outage; called off; next year
            assert not fake.of("reminder", day)
            continue
        still_active = invited - ({6} if day > LEAVES.date() else set())
        expected = {i for i in still_active if answer_of(i) != "no"}
        reminders = fake.of("reminder", day)
        assert {s.member_id for s in reminders} == expected, day
        assert all(s.at == local(day.year, day.month, day.day, 9) - timedelta(days=2) for s in reminders)


def test_year_cancelled_meeting_sends_cancellation_notices_to_everyone_invited(
        year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    notices = fake.of("cancellation", date(2026, 10, 1))
    assert {s.member_id for s in notices} == MEETINGS[date(2026, 10, 1)]
    assert {(s.at, s.sequence) for s in notices} == {(CANCEL_OCT, 1)}
    assert fake.meetings[date(2026, 10, 1)].cancelled and fake.meetings[date(2026, 10, 1)].sequence == 1
    assert [s for s in fake.sent if s.kind == "cancellation" and s.day != date(2026, 10, 1)] == []


def test_year_place_change_after_invitation_sends_update_with_higher_sequence(
        year: tuple[Config, FakeStore, int]) -> None:
    _, fake, _ = year
    updates = [s for s in fake.sent if s.kind == "update"]
    assert {s.day for s in updates} == {date(2026, 9, 3)}
    assert {s.member_id for s in updates} == MEETINGS[date(2026, 9, 3)]  # "no" answers included
    assert {(s.at, s.sequence) for s in updates} == {(MOVE_SEP, 1)}
    sep = fake.meetings[date(2026, 9, 3)]
    assert (sep.place, sep.sequence) == ("Annantalo", 1)
    assert {s.sequence for s in fake.of("reminder", date(2026, 9, 3))} == {1}
    # Changed before anyone was invited: November keeps SEQUENCE 0; June's override was there all along.
    assert fake.meetings[date(2026, 11, 5)].sequence == 0
    assert (fake.meetings[date(2026, 6, 4)].place, fake.meetings[date(2026, 6, 4)].sequence) == ("Stoa", 0)


def test_year_nothing_is_ever_sent_at_or_after_a_meeting_start(year: tuple[Config, FakeStore, int]) -> None:
    _, fake, ticks = year
    assert ticks > 9000
    assert fake.sent
    assert all(s.at < s.meeting_start for s in fake.sent if s.kind != "thanks")
    assert all(s.at >= s.meeting_start for s in fake.sent if s.kind == "thanks")
    assert all(s.at >= START for s in fake.sent)


def test_year_waking_only_at_next_due_sends_the_same_mail(year: tuple[Config, FakeStore, int]) -> None:
    """A scheduler sleeping until next_due (or the next outside event) misses nothing the hourly one sent."""
    base, hourly_run, hourly_ticks = year

    def wake(now: datetime, fake: FakeStore, cfg: Config) -> datetime:
        nxt = next_due(now, cfg, fake.state())
        candidates = [t for t in (*EVENTS, *(end for _, end in OUTAGES), END) if t > now]
        if nxt is not None:
            assert nxt > now
            candidates.append(nxt)
        return min(candidates)

    woken, ticks = simulate(base, wake)
    assert ticks < hourly_ticks / 20

    def what(store: FakeStore) -> Counter[tuple[str, date, int, int]]:
        return Counter((s.kind, s.day, s.member_id, s.sequence) for s in store.sent)

    assert what(woken) == what(hourly_run)
    # Member 13 is invited on the tick their joining causes, here the moment they join.
    assert [s.at for s in woken.of("invitation", date(2026, 5, 7)) if s.member_id == 13] == [JOINS]


# -- through the real store ------------------------------------------------------------------------------


def apply_to_store(store: Store, now: datetime, actions: list[Action]) -> None:
    """What the service does with a plan: store meeting changes, queue one outbox row per Send."""
    with store.write():
        for a in actions:
            if isinstance(a, MeetingChange):
                store.apply_meeting_change(a, "example.fi", now)
                continue
            mtg = store.meeting_on(a.meeting_date)
            mem = store.member(a.member_id)
            assert mtg is not None and mem is not None
            store.enqueue(key=a.key, kind=a.kind, recipient=mem.address, message_id=f"<{a.key}@example.fi>",
                          now=now, member_id=mem.id, meeting_id=mtg.id, sequence=a.sequence)


def test_plans_applied_through_the_real_store_are_not_repeated(config: Config) -> None:
    store = Store.memory()
    for i in range(1, 4):
        store.add_member(f"m{i}@example.fi", f"Medlem {i}", "sv", LONG_AGO)
    since = date(2026, 2, 19)
    now = local(2026, 2, 19, 9, 0)
    first = plan(now, config, store.planner_state(since))
    assert [s.kind for s in sends(first)] == ["invitation"] * 3
    apply_to_store(store, now, first)
    # Stored start times come back with a fixed UTC offset; the fingerprint still matches the config's.
    assert plan(now, config, store.planner_state(since)) == []
    moved = with_overrides(config, Override(date=date(2026, 3, 5), place="Stoa"))
    later = local(2026, 2, 25, 12, 0)
    update = plan(later, moved, store.planner_state(since))
    assert [(s.kind, s.sequence) for s in sends(update)] == [("update", 1)] * 3
    apply_to_store(store, later, update)
    assert plan(later, moved, store.planner_state(since)) == []
    meeting = store.meeting_on(date(2026, 3, 5))
    assert meeting is not None and (meeting.place, meeting.sequence) == ("Stoa", 1)


# -- coordinator mail and thank-yous -----------------------------------------------------------------------


def test_coordinators_get_the_catering_list_and_the_final_agenda_once_each_before_the_start(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1)], invited=[1])
    assert sends(plan(local(2026, 3, 3, 8, 59), config, fake.state()), "catering") == []
    catering = sends(plan(local(2026, 3, 3, 9, 0), config, fake.state()), "catering")
    assert [(s.recipient, s.key) for s in catering] == [
        (c, f"catering:2026-03-05:{c}") for c in config.network.coordinators]
    fake.apply(local(2026, 3, 3, 9, 0), [a for a in plan(local(2026, 3, 3, 9, 0), config, fake.state())])
    assert sends(plan(local(2026, 3, 3, 10, 0), config, fake.state()), "catering") == []
    agenda = sends(plan(local(2026, 3, 4, 9, 0), config, fake.state()), "agenda")
    assert [s.recipient for s in agenda] == list(config.network.coordinators)
    assert sends(plan(local(2026, 3, 5, 17, 0), config, fake.state()), "agenda") == []  # never after the start


def test_thanks_go_to_those_who_said_yes_after_the_end_and_not_days_later(config: Config) -> None:
    fake = store_with(config, date(2026, 3, 5), [member(1), member(2), member(3)], invited=[1, 2, 3])
    fake.answer(date(2026, 3, 5), 1, "yes")
    fake.answer(date(2026, 3, 5), 2, "no")
    assert sends(plan(local(2026, 3, 5, 18, 59), config, fake.state()), "thanks") == []
    thanks = sends(plan(local(2026, 3, 5, 19, 0), config, fake.state()), "thanks")
    assert [s.member_id for s in thanks] == [1]
    assert sends(plan(local(2026, 3, 8, 12, 0), config, fake.state()), "thanks") == []
    off = replace(config, meetings=replace(config.meetings, thanks=False))
    assert sends(plan(local(2026, 3, 5, 19, 0), off, fake.state()), "thanks") == []
