"""Time-box a meeting's programme: fit presentations, topics and discussion between start and end.

Never past the end time. Pure: attendees, topics and `[agenda]` settings in, an `Agenda` out; no SQL, no I/O.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal

from mailer import config

#: Fixed blocks take their minutes first, in this order of importance, when the meeting is too short for all.
_FIXED_PRIORITY = ("welcome", "thanks", "guest", "break")


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
            add(pres_minutes, b, _LABELS["en"][b], details=tuple(_display(a) for a in presenters))
        elif b == "topics":
            for topic in on_agenda:
                add(s.topic_minutes, "topic", topic.text, topic.proposer)
        elif b == "guest":
            add(fixed[b], b, guest_speaker or "", guest_speaker)
        elif b == "discussion":
            add(disc, b, _LABELS["en"][b])
        else:
            add(fixed[b], b, _LABELS["en"][b])

    return Agenda(
        start=start,
        end=end,
        items=tuple(items),
        minutes_per_presentation=_number(per),
        presenters=tuple(a.name for a in presenters),
        listed_only=tuple(listed),
        rolled_over=tuple(rolled),
        warnings=tuple(_notice_text(x, "en", "en_GB") for x in notices),
        notices=tuple(notices),
    )


_LABELS: dict[str, dict[str, str]] = {
    "sv": {"welcome": "Välkommen", "presentations": "Presentationsrunda", "guest": "Gästtalare",
           "topic": "Aktuellt", "topics": "Aktuellt", "break": "Paus", "discussion": "Diskussion",
           "thanks": "Tack och avslutning", "per_person": "{minutes} min per person",
           "listed": "Också med (presenteras vid namn):", "rolled_over": "Flyttas till nästa träff:",
           "notes": "Att notera:", "empty": "Ingen agenda: träffen har ingen tid för programpunkter."},
    "fi": {"welcome": "Tervetuloa", "presentations": "Esittelykierros", "guest": "Vieraileva puhuja",
           "topic": "Ajankohtaista", "topics": "Ajankohtaista", "break": "Tauko", "discussion": "Keskustelu",
           "thanks": "Kiitokset ja lopetus", "per_person": "{minutes} min / henkilö",
           "listed": "Mukana myös (mainitaan nimeltä):", "rolled_over": "Siirtyy seuraavaan tapaamiseen:",
           "notes": "Huomioitavaa:", "empty": "Ei ohjelmaa: tapaamisessa ei ole aikaa ohjelmalle."},
    "en": {"welcome": "Welcome", "presentations": "Round of introductions", "guest": "Guest speaker",
           "topic": "Current matters", "topics": "Current matters", "break": "Break",
           "discussion": "Discussion", "thanks": "Thanks and close", "per_person": "{minutes} min each",
           "listed": "Also here (named, not presenting):", "rolled_over": "Moved to the next meeting:",
           "notes": "Notes:", "empty": "No agenda: the meeting has no time for a programme."},
}

_NOTICES: dict[str, dict[str, str]] = {
    "sv": {
        "fixed_shortened": (
            "{block} förkortas från {wanted} till {got} min: träffen är för kort för de fasta "
            "punkterna."
        ),
        "discussion_shortened": (
            "Diskussionen förkortas från {wanted} till {got} min så att träffen slutar i tid."
        ),
        "first_timers_only": (
            "Alla {total} hinner inte presentera sig ens på {minutes} min: bara de {count} som är med "
            "för första gången presenterar sig, de övriga {listed} nämns vid namn."
        ),
        "presenters_cut": (
            "Alla {total} hinner inte presentera sig ens på {minutes} min: {count} presenterar sig (de "
            "nya först), de övriga {listed} nämns vid namn."
        ),
        "proposal": (
            "Förslag: för att alla {total} ska hinna presentera sig på {minutes} min med {discussion} "
            "min diskussion behövs {extra} min till – förläng träffen eller korta andra punkter i "
            "[agenda]."
        ),
        "topics_rolled_over": (
            "Ämnen som inte ryms och flyttas till nästa träff: {count}."
        ),
        "guest_added": (
            "Träffen har en gästtalare ({guest}) men blocks i [agenda] saknar \"guest\": gästens punkt "
            "lades till efter presentationsrundan."
        ),
    },
    "fi": {
        "fixed_shortened": (
            "{block}: lyhennetty {wanted} minuutista {got} minuuttiin, koska tapaaminen on liian lyhyt "
            "kiinteille osioille."
        ),
        "discussion_shortened": (
            "Keskustelua lyhennetty {wanted} minuutista {got} minuuttiin, jotta tapaaminen päättyy "
            "ajallaan."
        ),
        "first_timers_only": (
            "Kaikki {total} eivät ehdi esittäytyä edes {minutes} minuutissa: vain {count} "
            "ensikertalaista esittäytyy, muut {listed} mainitaan nimeltä."
        ),
        "presenters_cut": (
            "Kaikki {total} eivät ehdi esittäytyä edes {minutes} minuutissa: {count} esittäytyy "
            "(ensikertalaiset ensin), muut {listed} mainitaan nimeltä."
        ),
        "proposal": (
            "Ehdotus: jotta kaikki {total} ehtisivät esittäytyä {minutes} minuutissa ja keskustelulle "
            "jäisi {discussion} min, tapaamista pitää pidentää {extra} min tai muita osioita lyhentää "
            "([agenda])."
        ),
        "topics_rolled_over": (
            "Aiheita, jotka eivät mahdu ja siirtyvät seuraavaan tapaamiseen: {count}."
        ),
        "guest_added": (
            "Tapaamisessa on vieraileva puhuja ({guest}), mutta [agenda]-osion blocks-listasta puuttuu "
            "\"guest\": puheenvuoro lisättiin esittelykierroksen jälkeen."
        ),
    },
    "en": {
        "fixed_shortened": (
            "{block} shortened from {wanted} to {got} min: the meeting is too short for the fixed "
            "blocks."
        ),
        "discussion_shortened": (
            "Discussion shortened from {wanted} to {got} min so that the meeting ends on time."
        ),
        "first_timers_only": (
            "Not all {total} can present even for {minutes} min: only the {count} first-timers present;"
            " the other {listed} are listed by name."
        ),
        "presenters_cut": (
            "Not all {total} can present even for {minutes} min: {count} present (first-timers first); "
            "the other {listed} are listed by name."
        ),
        "proposal": (
            "Proposal: to let all {total} present for {minutes} min and keep {discussion} min of "
            "discussion, lengthen the meeting by {extra} min or shorten other blocks in [agenda]."
        ),
        "topics_rolled_over": (
            "Topics that do not fit and move to the next meeting: {count}."
        ),
        "guest_added": (
            "The meeting has a guest speaker ({guest}) but blocks in [agenda] has no \"guest\": the guest's "
            "slot was added after the round of introductions."
        ),
    },
}


def _lang(language: str) -> str:
    return language if language in _LABELS else "en"


def _notice_text(notice: Notice, language: str, locale: str) -> str:
    lang = _lang(language)
    values: dict[str, Any] = {}
    for key, value in notice.values:
        if key == "block":
            values[key] = _LABELS[lang].get(str(value), str(value))
        elif isinstance(value, int | float):
            values[key] = format_decimal(value, locale=locale)
        else:
            values[key] = value
    return _NOTICES[lang][notice.code].format(**values)


def _label(item: Item, lang: str, agenda: Agenda, locale: str) -> str:
    labels = _LABELS[lang]
    if item.kind == "presentations":
        minutes = format_decimal(agenda.minutes_per_presentation, locale=locale)
        per = labels["per_person"].format(minutes=minutes)
        return f"{labels['presentations']} ({per})"
    if item.kind == "guest":
        return f"{labels['guest']}: {item.title}"
    if item.kind == "topic":
        return f"{labels['topic']}: {item.title}" + (f" ({item.who})" if item.who else "")
    return labels.get(item.kind, item.title)


def notice_texts(agenda: Agenda, language: str, locale: str) -> list[str]:
    """What was shortened and what the coordinator could do about it, one sentence each, in the language."""
    return [_notice_text(n, _lang(language), locale) for n in agenda.notices]


def template_items(agenda: Agenda, language: str, locale: str) -> list[dict[str, Any]]:
    """The items as the mail templates' `agenda` context wants them: time, title, minutes, by."""
    lang = _lang(language)
    return [{"time": format_time(item.start.timetz(), "short", locale=locale),
             "title": _label(item, lang, agenda, locale), "minutes": item.minutes, "by": item.who}
            for item in agenda.items]


def render_text(agenda: Agenda, language: str, locale: str, *, notes: bool = False) -> str:
    """The agenda as plain text in sv, fi or en, times as the locale writes them ("17.00–17.05" in sv_FI).

    With `notes`, what was shortened and the proposals follow (for the coordinator).
    """
    lang = _lang(language)
    labels = _LABELS[lang]
    spans = [f"{format_time(i.start.timetz(), 'short', locale=locale)}–"
             f"{format_time(i.end.timetz(), 'short', locale=locale)}" for i in agenda.items]
    width = max((len(s) for s in spans), default=0)
    indent = " " * (width + 2)
    lines: list[str] = []
    listed_shown = False
    for item, span in zip(agenda.items, spans, strict=True):
        lines.append(f"{span.ljust(width)}  {_label(item, lang, agenda, locale)}")
        if item.kind == "presentations":
            lines.extend(f"{indent}- {d}" for d in item.details)
            if agenda.listed_only:
                lines.extend(_wrapped(f"{labels['listed']} {', '.join(agenda.listed_only)}", indent))
                listed_shown = True
    if not agenda.items:
        lines.append(labels["empty"])
    if agenda.listed_only and not listed_shown:
        lines.extend(_wrapped(f"{labels['listed']} {', '.join(agenda.listed_only)}", ""))
    if agenda.rolled_over:
        lines += ["", labels["rolled_over"]]
        lines.extend(f"  - {t.text}" + (f" ({t.proposer})" if t.proposer else "") for t in agenda.rolled_over)
    if notes and agenda.notices:
        lines += ["", labels["notes"]]
        for n in agenda.notices:
            lines.extend(_wrapped(_notice_text(n, lang, locale), "  ", first="  - "))
    return "\n".join(lines) + "\n"


def _wrapped(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(text, width=78, initial_indent=indent if first is None else first,
                         subsequent_indent=indent if first is None else " " * len(first),
                         break_on_hyphens=False)
