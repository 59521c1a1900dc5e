"""What the coordinator, the reminder and the memo need about one meeting, gathered from the store: the agenda
built from the answers and topics, the catering list and presentation sheet, the memo's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mailer.config import DEFAULT_LOCALES, Config
from mailer.meeting.agenda import Agenda, Attendee, TopicIn, build_agenda, notice_texts, render_text, template_items
from mailer.meeting.planner import invitation_due
from mailer.meeting.schedule import next_occurrence
from mailer.models import Meeting, Send
from mailer.outbound.matches import meeting_matches
from mailer.state.buddies import pairs as buddy_pairs
from mailer.state.store import Store


@dataclass(frozen=True)
class MeetingAgenda:
    agenda: Agenda
    #: topic row id by (text, proposer), to record which topics were scheduled and which rolled over
    topic_ids: dict[tuple[str, str | None], int]


def _display(row: dict[str, Any]) -> str:
    return str(row.get("name") or "").strip() or str(row.get("address") or "?").partition("@")[0]


def meeting_agenda(config: Config, store: Store, meeting: Meeting) -> MeetingAgenda:
    """The time-boxed agenda from who said yes (with their guests), the topics, and the guest speaker."""
    rows = [r for r in store.attendance(meeting.id) if r["answer"] == "yes"]
    needs: dict[int, str] = {}
    for t in store.topics(meeting.id, kind="need"):
        if t["member_id"] is not None:
            needs.setdefault(int(t["member_id"]), str(t["text"]))
    attendees = [Attendee(name=_display(r), organisation=r["organisation"], first_time=bool(r["first_time"]),
                          need=needs.get(int(r["member_id"]))) for r in rows]
    topics: list[TopicIn] = []
    ids: dict[tuple[str, str | None], int] = {}
    for t in store.agenda_topics(meeting):
        proposer = t["name"] or None
        topics.append(TopicIn(text=t["text"], proposer=proposer, received=datetime.fromisoformat(t["created_at"]),
                              rolled_over=bool(t["rolled_over"])))
        ids[(t["text"], proposer)] = int(t["id"])
    agenda = build_agenda(meeting.start, meeting.end, attendees, topics, meeting.guest_speaker, config.agenda)
    return MeetingAgenda(agenda, ids)


def finalise_topics(store: Store, meeting: Meeting, built: MeetingAgenda, now: datetime) -> None:
    """Record the final agenda: its topics are scheduled for this meeting; the rest roll over to the next."""
    rolled = {(t.text, t.proposer) for t in built.agenda.rolled_over}
    for key, topic_id in built.topic_ids.items():
        store.set_topic_status(topic_id, "rolled" if key in rolled else "scheduled", meeting.id, now)


def _language(config: Config, language: str | None = None) -> tuple[str, str]:
    """A language and its locale: the network's own locale for its language, the default one otherwise."""
    if language is None or language == config.network.language:
        return config.network.language, config.network.locale
    return language, DEFAULT_LOCALES.get(language, "en_GB")


@dataclass(frozen=True)
class HeadCount:
    """Who is coming to a meeting, as the answers stand."""

    members_yes: int
    guests: int
    maybe: int

    @property
    def attending(self) -> int:
        return self.members_yes + self.guests


def head_count(rows: list[dict[str, Any]]) -> HeadCount:
    """Count `store.attendance` rows: members who said yes, the guests they bring, and the maybes."""
    yes = [r for r in rows if r["answer"] == "yes"]
    return HeadCount(members_yes=len(yes), guests=sum(int(r["guests"]) for r in yes),
                     maybe=sum(1 for r in rows if r["answer"] == "maybe"))


def agenda_context(config: Config, store: Store, meeting: Meeting, built: MeetingAgenda | None = None
                   ) -> dict[str, Any]:
    """Context of the coordinator's `agenda` mail (and the `agenda` key of a reminder)."""
    built = built or meeting_agenda(config, store, meeting)
    language, locale = _language(config)
    return {
        "agenda": template_items(built.agenda, language, locale),
        "agenda_text": render_text(built.agenda, language, locale, notes=True),
        "notices": notice_texts(built.agenda, language, locale),
        "rolled_over": [{"text": t.text, "proposer": t.proposer} for t in built.agenda.rolled_over],
        "attendees": head_count(store.attendance(meeting.id)).attending,
    }


def catering_context(store: Store, meeting: Meeting) -> dict[str, Any]:
    """Head count, diets, first-timers and the presentation-round sheet, for the coordinator."""
    rows = store.attendance(meeting.id)
    yes = [r for r in rows if r["answer"] == "yes"]
    count = head_count(rows)
    needs: dict[int, str] = {}
    offers: dict[int, str] = {}
    for kind, target in (("need", needs), ("offer", offers)):
        for t in store.topics(meeting.id, kind=kind):
            if t["member_id"] is not None:
                target[int(t["member_id"])] = "; ".join(filter(None, [target.get(int(t["member_id"])), t["text"]]))
    return {
        "head_count": count.attending,
        "members_yes": count.members_yes,
        "guests": count.guests,
        "maybe": count.maybe,
        "dietary": [{"name": _display(r), "dietary": r["dietary"]} for r in yes if r["dietary"]],
        "first_timers": [_display(r) for r in yes if r["first_time"]],
        "sheet": [{"name": _display(r), "organisation": r["organisation"], "need": needs.get(int(r["member_id"])),
                   "offer": offers.get(int(r["member_id"]))} for r in yes],
        "speakers": [{"text": t["text"], "name": t["name"] or ""} for t in store.topics(meeting.id, kind="speaker")],
        "buddies": [{"newcomer": p["newcomer_name"] or p["newcomer_address"], "buddy": p["buddy_name"] or
                     p["buddy_address"]} for p in buddy_pairs(store, meeting.id)],
    }


def memo_context(config: Config, store: Store, meeting: Meeting, notes: str, now: datetime,
                 language: str | None = None) -> dict[str, Any]:
    """Context of the memo (and its draft): who signed up (who came, once a coordinator said who did not), the
    agenda as held, notes, needs, offers, next meeting; the agenda's headings in `language` (default: the network's)."""
    built = meeting_agenda(config, store, meeting)
    language, locale = _language(config, language)
    absent = store.absent([meeting.id]).get(meeting.id)  # None until a coordinator has said who did not come
    yes = [r for r in store.attendance(meeting.id)
           if r["answer"] == "yes" and int(r["member_id"]) not in (absent or ())]
    nxt = next_occurrence(config.meetings, config.network.tz, meeting.end)
    next_invitation: date | None = None
    if nxt is not None:
        next_invitation = invitation_due(config.meetings, nxt.date, config.network.tz).date()
    return {
        "notes": notes,
        "attendees": [{"name": _display(r), "organisation": r["organisation"]} for r in yes],
        "present": absent is not None,  # the attendees are who came, not who signed up
        "agenda": template_items(built.agenda, language, locale),
        "needs": [{"name": t["name"] or "", "text": t["text"]} for t in store.topics(meeting.id, kind="need")],
        "offers": [{"name": t["name"] or "", "text": t["text"]} for t in store.topics(meeting.id, kind="offer")],
        "matches": [{k: m[k] for k in ("need", "need_name", "offer", "offer_name")}
                    for m in meeting_matches(store, meeting)],
        "rolled_over": [{"text": t.text, "proposer": t.proposer} for t in built.agenda.rolled_over],
        "next_meeting": None if nxt is None else {"start": nxt.start.isoformat(), "end": nxt.end.isoformat(),
                                                  "place": nxt.place},
        "next_invitation": next_invitation.isoformat() if next_invitation else None,
    }


class QueueContexts:
    """The context of each mail queued for one meeting in one tick, computed once and shared."""

    def __init__(self, config: Config, store: Store, meeting: Meeting, before: Meeting | None,
                 now: datetime) -> None:
        self.config = config
        self.store = store
        self.meeting = meeting
        self.now = now
        self._answers: dict[int, str] | None = None  # read with the first reminder
        self.previous = None if before is None or before.fingerprint == meeting.fingerprint else {
            "start": before.start.isoformat(), "end": before.end.isoformat(), "place": before.place,
            "address": before.address, "online_link": before.online_link}
        self._agenda: Any = None
        self._items: dict[str, list[dict[str, Any]]] = {}
        self._head: dict[str, int] | None = None
        self._finalised = False

    def agenda(self) -> Any:
        if self._agenda is None:
            self._agenda = meeting_agenda(self.config, self.store, self.meeting)
        return self._agenda

    def for_member(self, send: Send) -> dict[str, Any] | None:
        if send.kind == "update":
            return {"previous": self.previous} if self.previous else None
        if send.kind == "reminder":
            cfg = self.config
            language = send.language or cfg.network.language
            if language not in self._items:
                locale = cfg.network.locale if language == cfg.network.language else DEFAULT_LOCALES[language]
                self._items[language] = template_items(self.agenda().agenda, language, locale)
            items = self._items[language]
            if self._answers is None:
                self._answers = {int(r["member_id"]): r["answer"] for r in self.store.rsvps(self.meeting.id)}
            return {"agenda": items, "answer": self._answers.get(send.member_id), **self._counts()}
        if send.kind == "thanks":
            return {"memo_follows": True}
        return None

    def _counts(self) -> dict[str, int]:
        """How many have signed up (with their guests) and said maybe, for the reminder."""
        if self._head is None:
            count = head_count(self.store.attendance(self.meeting.id))
            self._head = {"attending": count.attending, "maybe": count.maybe}
        return self._head

    def for_coordinator(self, kind: str) -> dict[str, Any]:
        store, cfg = self.store, self.config
        if kind == "catering":
            return catering_context(store, self.meeting)
        built = self.agenda()
        if kind == "agenda" and not self._finalised:  # the final agenda: its topics are now fixed
            finalise_topics(store, self.meeting, built, self.now)
            self._finalised = True
        return agenda_context(cfg, store, self.meeting, built)
