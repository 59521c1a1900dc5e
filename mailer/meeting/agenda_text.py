"""The agenda in words: item labels and notices per language, the text version, the items templates get."""

from __future__ import annotations

import textwrap
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal

from mailer.meeting.agenda_types import Agenda, Item, Notice

LABELS: dict[str, dict[str, str]] = {
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
    return language if language in LABELS else "en"


def notice_text(notice: Notice, language: str, locale: str) -> str:
    lang = _lang(language)
    values: dict[str, Any] = {}
    for key, value in notice.values:
        if key == "block":
            values[key] = LABELS[lang].get(str(value), str(value))
        elif isinstance(value, int | float):
            values[key] = format_decimal(value, locale=locale)
        else:
            values[key] = value
    return _NOTICES[lang][notice.code].format(**values)


def _label(item: Item, lang: str, agenda: Agenda, locale: str) -> str:
    labels = LABELS[lang]
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
    return [notice_text(n, _lang(language), locale) for n in agenda.notices]


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
    labels = LABELS[lang]
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
            lines.extend(_wrapped(notice_text(n, lang, locale), "  ", first="  - "))
    return "\n".join(lines) + "\n"


def _wrapped(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(text, width=78, initial_indent=indent if first is None else first,
                         subsequent_indent=indent if first is None else " " * len(first),
                         break_on_hyphens=False)
