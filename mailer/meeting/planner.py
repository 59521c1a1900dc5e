"""Decide what is due: ``plan(now, config, state) -> [Action]``, pure and deterministic, one key per effect."""

# Rules (each a decision a coordinator would recognise):
#
# * Window: occurrences dated from ``now``'s local date to that date + ``invitation_lead_days`` + 1, plus any
#   stored meeting further ahead. A meeting whose start is not after ``now`` is never touched or mailed about.
# * ``MeetingChange``: an occurrence not stored yet is stored with SEQUENCE 0 (cancelled ones too, so the
#   public page can say "cancelled"). A stored meeting whose time, place, link, cancelled flag, theme or guest
#   differs from the config is stored anew; its SEQUENCE goes up by one only when members have already been
#   invited and what they were told (time/place/link) or the cancelled flag changed. A stored meeting that the
#   series no longer produces (the rule was edited) is stored as cancelled.
# * ``invitation``: from ``send_time`` local on (date - invitation_lead_days) until the meeting starts, to every
#   active member not invited yet. After downtime it goes out late, but never after the start; members who
#   join later get theirs on the next tick.
# * ``reminder``: from ``send_time`` on (date - reminder_lead_days) until the start, to active members invited
#   in an earlier tick whose answer is yes, maybe or none. Not in the same tick as their invitation, and not
#   to members who joined after the reminder was due (their late invitation is itself the fresh reminder).
# * ``cancellation``: when a meeting is cancelled before its start, to every active member who was invited.
#   Members who answered "no" get it too: the event sits in their calendar either way.
# * ``update``: when time, place or link changed after invitations went out, to every active member whose
#   invitation (or last update) carried a lower SEQUENCE, regardless of their answer: someone who could not
#   come at the old time may come at the new one, and their calendar must follow.
#
# * ``agenda`` and ``catering``: to each coordinator at ``send_time`` on (date - agenda_lead_days) and
#   (date - catering_lead_days), until the start, for a meeting that is on. What they say (the agenda, the
#   head count, diets, the presentation sheet) is filled in when they are queued.
# * ``thanks``: after a meeting has ended, to each active member who said yes and was not reported absent,
#   within two days of the end (never weeks later after an outage), when ``meetings.thanks`` is on.
#
# Limitation: ``PlannerState.cancelled_to`` is a set, so a meeting cancelled, restored and cancelled again
# sends its cancellation notice once per member (the restoring update is sent normally).

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mailer.config import Config, Meetings
from mailer.meeting.schedule import at_local, occurrences
from mailer.models import Action, Audience, Meeting, MeetingChange, Member, Occurrence, PlannerState, Send

__all__ = ["plan", "iter_plan", "audience_of", "next_due", "invitation_due", "reminder_due", "window_end", "change_key"]

#: Answers that still get a reminder; a member who has not answered (None) gets one too.
_REMINDED_ANSWERS = frozenset({"yes", "maybe", None})
_EMPTY: Mapping[int, int] = {}
_NONE: frozenset[int] = frozenset()


def invitation_due(meetings: Meetings, day: date, tz: ZoneInfo) -> datetime:
    """When the invitation for the meeting on `day` is due: send_time local, invitation_lead_days before."""
    return at_local(day - timedelta(days=meetings.invitation_lead_days), meetings.send_time, tz)


def reminder_due(meetings: Meetings, day: date, tz: ZoneInfo) -> datetime:
    """When the reminder for the meeting on `day` is due: send_time local, reminder_lead_days before."""
    return at_local(day - timedelta(days=meetings.reminder_lead_days), meetings.send_time, tz)


def window_end(meetings: Meetings, today: date) -> date:
    """The last meeting date the planner looks at on local date `today`."""
    return today + timedelta(days=meetings.invitation_lead_days + 1)


def change_key(occ: Occurrence, sequence: int) -> str:
    """Idempotency key of a MeetingChange: the date, the new SEQUENCE and a hash of what is stored."""
    parts = [occ.fingerprint, "1" if occ.cancelled else "0", occ.theme or "", occ.guest_speaker or ""]
    text = "\x1f".join(parts)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return f"meeting:{occ.date.isoformat()}:{sequence}:{digest}"


@dataclass(frozen=True)
class _Effective:
    """A meeting as it will stand once this tick's MeetingChange is applied."""

    occurrence: Occurrence
    sequence: int
    stored: Meeting | None
    change: MeetingChange | None


def _from_stored(m: Meeting, cancelled: bool) -> Occurrence:
    return Occurrence(date=m.date, start=m.start, end=m.end, place=m.place, address=m.address,
                      online_link=m.online_link, theme=m.theme, guest_speaker=m.guest_speaker,
                      cancelled=cancelled)


def _effective(occ: Occurrence, stored: Meeting | None, audience: Audience) -> _Effective:
    if stored is None:
        return _Effective(occ, 0, None, MeetingChange(occ, 0, change_key(occ, 0)))
    told_changed = occ.fingerprint != stored.fingerprint or occ.cancelled != stored.cancelled
    changed = told_changed or occ.theme != stored.theme or occ.guest_speaker != stored.guest_speaker
    if not changed:
        return _Effective(occ, stored.sequence, stored, None)
    bump = told_changed and audience.any_invited(stored.id)
    seq = stored.sequence + 1 if bump else stored.sequence
    return _Effective(occ, seq, stored, MeetingChange(occ, seq, change_key(occ, seq)))


def _meetings_in_view(now: datetime, config: Config, state: PlannerState, audience: Audience) -> list[_Effective]:
    """The window's meetings, each with the change (if any) that makes the store match the config."""
    tz = config.network.tz
    today = now.astimezone(tz).date()
    end = window_end(config.meetings, today)
    later = [d for d in state.meetings if d > end]
    if later:
        end = max(later)
    scheduled = {o.date: o for o in occurrences(config.meetings, tz, today, end)}
    out: list[_Effective] = []
    for day in sorted(scheduled.keys() | {d for d in state.meetings if today <= d <= end}):
        stored = state.meetings.get(day)
        occ = scheduled.get(day)
        if occ is None:
            assert stored is not None
            if stored.cancelled:
                continue
            occ = _from_stored(stored, cancelled=True)  # dropped from the series: off for everyone
        if occ.start <= now or (stored is not None and stored.start <= now):
            continue  # started, as announced or as now configured: never touched or mailed about again
        out.append(_effective(occ, stored, audience))
    return out


def _joined_before(member: Member, moment: datetime) -> bool:
    joined = member.joined if member.joined.tzinfo is not None else member.joined.replace(tzinfo=UTC)
    return joined < moment


def _sends(now: datetime, config: Config, eff: _Effective, state: PlannerState,
           audience: Audience) -> Iterator[Send]:
    """A meeting's mail: updates, then invitations, then reminders (each a question to the audience, which
    streams only the members still due it), then the coordinators' mail."""
    occ, seq = eff.occurrence, eff.sequence
    day = occ.date.isoformat()
    meeting_id = eff.stored.id if eff.stored is not None else None
    if occ.cancelled:
        if meeting_id is not None:
            for m in audience.not_cancelled(meeting_id):
                yield Send("cancellation", occ.date, m.id, seq, f"cancellation:{day}:{m.id}", m.address, m.language)
        return
    tz = config.network.tz
    invitations_due = now >= invitation_due(config.meetings, occ.date, tz)
    rem_due = reminder_due(config.meetings, occ.date, tz)
    if meeting_id is not None and seq > 0:  # nobody can have been told a SEQUENCE below 0
        for m in audience.told_before(meeting_id, seq):
            yield Send("update", occ.date, m.id, seq, f"update:{day}:{seq}:{m.id}", m.address, m.language)
    if invitations_due:
        for m in audience.not_invited(meeting_id):
            yield Send("invitation", occ.date, m.id, seq, f"invitation:{day}:{m.id}", m.address, m.language)
    if now >= rem_due and meeting_id is not None:
        for m in audience.not_reminded(meeting_id, _REMINDED_ANSWERS):
            if _joined_before(m, rem_due):
                yield Send("reminder", occ.date, m.id, seq, f"reminder:{day}:{m.id}", m.address, m.language)
    yield from _coordinator_mail(now, config, occ, state)


def _coordinator_mail(now: datetime, config: Config, occ: Occurrence, state: PlannerState) -> list[Send]:
    """The final agenda and the catering list for the coordinators, once each, before the start."""
    tz = config.network.tz
    out: list[Send] = []
    day = occ.date.isoformat()
    for kind, lead in (("catering", config.meetings.catering_lead_days), ("agenda", config.meetings.agenda_lead_days)):
        if now < at_local(occ.date - timedelta(days=lead), config.meetings.send_time, tz):
            continue
        for address in config.network.coordinators:
            key = f"{kind}:{day}:{address}"
            if key not in state.queued_keys:
                out.append(Send(kind, occ.date, 0, 0, key, recipient=address))  # type: ignore[arg-type]
    return out


#: Thank-yous go out after the end, but not more than this long after it.
THANKS_WINDOW = timedelta(days=2)


def _thanks(now: datetime, config: Config, state: PlannerState, audience: Audience) -> Iterator[Send]:
    if not config.meetings.thanks:
        return
    for meeting in state.meetings.values():
        if meeting.cancelled or not meeting.end <= now < meeting.end + THANKS_WINDOW:
            continue
        day = meeting.date.isoformat()
        absent = state.absent.get(meeting.id, frozenset())
        for m in audience.not_thanked(meeting.id):
            if m.id not in absent:
                yield Send("thanks", meeting.date, m.id, meeting.sequence, f"thanks:{day}:{m.id}", m.address,
                           m.language)


class _InMemory:
    """The audience answered from the state's own fields (members, invited, answers, ...), for a state
    built by hand; the store gives its SQL one instead."""

    def __init__(self, state: PlannerState) -> None:
        self.state = state
        self.days = {m.id: m.date.isoformat() for m in state.meetings.values()}

    def _active(self) -> Iterator[Member]:
        return (m for m in self.state.members if m.status == "active")

    def any_invited(self, meeting_id: int) -> bool:
        return bool(self.state.invited.get(meeting_id))

    def not_invited(self, meeting_id: int | None) -> Iterator[Member]:
        invited = self.state.invited.get(meeting_id, _EMPTY) if meeting_id is not None else _EMPTY
        return (m for m in self._active() if m.id not in invited)

    def told_before(self, meeting_id: int, sequence: int) -> Iterator[Member]:
        invited = self.state.invited.get(meeting_id, _EMPTY)
        if not any(told < sequence for told in invited.values()):
            return iter(())
        return (m for m in self._active() if (told := invited.get(m.id)) is not None and told < sequence)

    def not_reminded(self, meeting_id: int, answers: frozenset[str | None]) -> Iterator[Member]:
        invited = self.state.invited.get(meeting_id, _EMPTY)
        reminded = self.state.reminded.get(meeting_id, _NONE)
        given = self.state.answers.get(meeting_id, {})
        if not invited:
            return iter(())
        return (m for m in self._active()
                if m.id in invited and m.id not in reminded and given.get(m.id) in answers)

    def not_cancelled(self, meeting_id: int) -> Iterator[Member]:
        invited = self.state.invited.get(meeting_id, _EMPTY)
        cancelled_to = self.state.cancelled_to.get(meeting_id, _NONE)
        return (m for m in self._active() if m.id in invited and m.id not in cancelled_to)

    def not_thanked(self, meeting_id: int) -> Iterator[Member]:
        given = self.state.answers.get(meeting_id, {})
        if "yes" not in given.values():
            return iter(())
        day, keys = self.days.get(meeting_id, ""), self.state.queued_keys
        return (m for m in self._active() if given.get(m.id) == "yes" and f"thanks:{day}:{m.id}" not in keys)


def audience_of(state: PlannerState) -> Audience:
    """Whom the planner asks who is due mail: the store's SQL audience, else one over the state's fields."""
    return state.audience if state.audience is not None else _InMemory(state)


def iter_plan(now: datetime, config: Config, state: PlannerState) -> Iterator[Action]:
    """Everything due at `now`, streamed: thank-yous for ended meetings, then meeting by meeting in date
    order, its MeetingChange first, then its mail. Who is due each kind is asked of `audience_of(state)`."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    audience = audience_of(state)
    yield from _thanks(now, config, state, audience)
    for eff in _meetings_in_view(now, config, state, audience):
        if eff.change is not None:
            yield eff.change
        yield from _sends(now, config, eff, state, audience)


def plan(now: datetime, config: Config, state: PlannerState) -> list[Action]:
    """Everything due at `now` as a list (see `iter_plan`).

    Same inputs, same list. Each action's key names the effect, so applying a plan twice changes nothing.
    """
    return list(iter_plan(now, config, state))


def next_due(now: datetime, config: Config, state: PlannerState) -> datetime | None:
    """The first moment after `now` at which ``plan`` has something new by the clock alone, or None.

    That is the next invitation or reminder due time of a meeting still ahead, or the local midnight at
    which a not yet stored meeting enters the planner's window. Replies, new members and config edits are
    not clock-driven; the daemon's regular poll picks those up.
    """
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    tz = config.network.tz
    meetings = config.meetings
    today = now.astimezone(tz).date()
    ends = [m.end for m in state.meetings.values() if config.meetings.thanks and not m.cancelled and m.end > now]
    lo = today
    for span in (62, 400, 3700):
        hi = today + timedelta(days=meetings.invitation_lead_days + 1 + span)
        best: datetime | None = None
        for occ in occurrences(meetings, tz, lo, hi):
            if occ.cancelled or occ.start <= now:
                continue
            candidates = [invitation_due(meetings, occ.date, tz), reminder_due(meetings, occ.date, tz),
                          at_local(occ.date - timedelta(days=meetings.agenda_lead_days), meetings.send_time, tz),
                          at_local(occ.date - timedelta(days=meetings.catering_lead_days), meetings.send_time, tz)]
            if occ.date not in state.meetings:
                enters = occ.date - timedelta(days=meetings.invitation_lead_days + 1)
                candidates.append(at_local(enters, time(0, 0), tz))
            for c in candidates:
                if now < c < occ.start and (best is None or c < best):
                    best = c
        for end in ends:
            if best is None or end < best:
                best = end
        if best is not None:
            return best
        lo = hi + timedelta(days=1)
    return min(ends) if ends else None
