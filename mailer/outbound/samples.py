"""Made-up meetings and a context for every kind: what `check` renders each template with and `preview` shows."""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailer.config import Config
from mailer.models import Meeting


def sample_meetings(config: Config) -> list[Meeting]:
    """Two made-up meetings on the series' settings: one with every optional detail, one with none."""
    tz = ZoneInfo(config.network.timezone)
    m = config.meetings
    day = date(2026, 12, 3)
    start = datetime.combine(day, m.start_time, tzinfo=tz)
    end = start + timedelta(minutes=m.duration_minutes)
    full = Meeting(
        id=7,
        date=day,
        uid=f"traffpunkt-sample@{config.network.domain}",
        sequence=1,
        start=start,
        end=end,
        place=m.place,
        address=m.address or "Exempelgatan 1",
        online_link=m.online_link or "https://meet.example.org/sample",
        theme="Hur går vi vidare?",
        guest_speaker="Maria Lind",
        cancelled=False,
        fingerprint="",
    )
    bare = Meeting(
        id=8,
        date=day,
        uid=f"traffpunkt-sample2@{config.network.domain}",
        sequence=0,
        start=datetime.combine(day, time(17, 0), tzinfo=tz),
        end=datetime.combine(day, time(19, 0), tzinfo=tz),
        place=m.place,
        address=None,
        online_link=None,
        theme=None,
        guest_speaker=None,
        cancelled=True,
        fingerprint="",
    )
    return [full, bare]


def sample_context(kind: str) -> dict[str, Any]:
    """A context with every key a template may use, for previews and template checks."""
    samples: dict[str, dict[str, Any]] = {
        "reminder": {
            "agenda": [
                {"time": "17.00", "title": "Presentationsrunda", "minutes": 30},
                "Aktuellt från medlemmarna",
            ],
            "answer": "yes",
            "attending": 14,
            "maybe": 3,
        },
        "cancellation": {"reason": None},
        "update": {
            "previous": {
                "start": "2026-12-03T16:00:00+02:00",
                "end": "2026-12-03T18:00:00+02:00",
                "place": "Gamla stället",
                "address": None,
            }
        },
        "confirmation": {
            "answer": "yes",
            "guests": 1,
            "dietary": "vegetarisk",
            "topics": ["Gemensam kalender"],
            "needs": ["Lokal för en workshop"],
            "offers": ["Ljusteknik"],
            "previous_answer": "maybe",
        },
        "join-confirm": {"token": "tj0-0-abcdefghjkmn", "name": "Åsa Öberg", "language": None},
        "digest": {
            "messages": [
                {
                    "from": "okand@example.org",
                    "subject": "Fråga",
                    "reason": "okand@example.org is not a member",
                    "received": "2026-11-20 10:02",
                }
            ],
            "period": "2026-11-20",
            "speakers": [{"text": "Maria Lind, Kulturkontakt Nord, Norden, vet allt om mobilitetsbidrag",
                          "name": "Åsa Öberg", "meeting": "2026-12-03"}],
            "asked": [
                {
                    "quote": "Jag försöker komma <om> jag hinner.",
                    "name": "Åsa Öberg",
                    "address": "asa@example.org",
                    "received": "2026-11-20 10:05",
                }
            ],
        },
        "auth-lost": {
            "reason": "https://login.microsoftonline.com/.../token refused refreshing the access token: "
                      "invalid_grant: AADSTS50173",
            "account": "natverk@kulturnatverket.fi",
            "config_path": "/etc/traffpunkt/network.toml",
        },
        "bounce-notice": {
            "address": "asa@example.org",
            "member_name": "Åsa Öberg",
            "bounces": 3,
            "reason": "550 5.1.1 user unknown",
            "status": "bouncing",
        },
        "agenda": {
            "agenda": _SAMPLE_AGENDA,
            "agenda_text": (
                "17.00–17.05  Välkommen\n"
                "17.05–17.50  Presentationsrunda (3 min per person)\n"
                "             - Åsa Öberg (Kulturhuset)\n"
                "             - Jari Mäkinen\n"
                "17.50–18.05  Aktuellt: Gemensam bokningskalender (Åsa Öberg)\n"
                "18.05–18.55  Diskussion\n"
                "18.55–19.00  Tack och avslutning\n"
                "\n"
                "Flyttas till nästa träff:\n"
                "  - Sommarens festivaler (Jari Mäkinen)\n"
                "\n"
                "Att notera:\n"
                "  - Diskussionen förkortas från 60 till 50 min så att träffen slutar i tid.\n"
            ),
            "notices": ["Diskussionen förkortas från 60 till 50 min så att träffen slutar i tid."],
            "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
            "attendees": 14,
        },
        "catering": {
            "head_count": 14,
            "members_yes": 12,
            "guests": 2,
            "maybe": 3,
            "dietary": [
                {"name": "Åsa Öberg", "dietary": "vegetarisk"},
                {"name": "Jari Mäkinen", "dietary": "glutenfri, <ingen> fisk"},
            ],
            "first_timers": ["Jari Mäkinen"],
            "buddies": [{"newcomer": "Jari Mäkinen", "buddy": "Åsa Öberg"}],
            "speakers": [{"text": "Maria Lind, Kulturkontakt Nord, Norden, vet allt om mobilitetsbidrag",
                          "name": "Åsa Öberg"}],
            "sheet": [
                {
                    "name": "Åsa Öberg",
                    "organisation": "Kulturhuset",
                    "need": "Lokal för en workshop i mars",
                    "offer": "Ljusteknik",
                },
                {"name": "Jari Mäkinen", "organisation": None, "need": None, "offer": None},
            ],
        },
        "memo-draft": {**_SAMPLE_MEMO, "memo_id": 3, "version": 2, "token": "tp0-7-abcdefghjkmn"},
        "memo": _SAMPLE_MEMO,
        "thanks": {"memo_follows": True},
        "ask": {
            "unsure": ["rsvp"],
            "quote": "Jag försöker komma om jag hinner <efter> repetitionen.",
            "guests": 1,
            "dietary": "vegetarisk",
            "topics": ["Gemensam kalender"],
            "needs": ["Lokal för en workshop"],
            "offers": ["Ljusteknik"],
            "question_forwarded": True,
        },
        "question": {
            "address": "asa@example.org",
            "sender_name": "Åsa Öberg",
            "subject": "Re: Inbjudan",
            "text": "Får man ta med barn <under 12>?\n\nHälsningar\nÅsa",
            "proposed": {"start": "2026-12-03T18:00:00+02:00", "end": "2026-12-03T20:00:00+02:00"},
            "comment": "Kan vi börja en timme senare?",
            "applied": [
                {"what": "answer", "value": "yes"},
                {"what": "guests", "value": "1"},
                {"what": "topic", "value": "Barn <på> träffen"},
            ],
            "reply_to": "asa@example.org",
        },
        "question-ack": {"counter": False, "subject": "Re: Inbjudan"},
        "privacy-confirm": {"action": "erase", "code": "abcdefghij0123456789"},
        "privacy-export": {"data": '{\n  "member": {"name": "Åsa Öberg", "address": "asa@example.org"}\n}'},
        "privacy-notice": {"action": "export", "member_name": "Åsa Öberg"},
        "still-interested": {"meetings": 4},
        "members-report": {
            "silent_after": 3,
            "silent": [{"name": "Åsa Öberg", "address": "asa@example.org", "last_answer": "2026-05-07"},
                       {"name": "", "address": "bo@example.org", "last_answer": None}],
            "failing": [{"name": "Eva Ek", "address": "eva@example.org", "reason": "550 no such user"}],
            "dormant": [{"name": "Bo Berg", "address": "bo@example.org"}],
            "asked": 1,
            "meeting_date": "2026-12-03",
        },
        "introduction": {"role": "need", "need": "Lokal för en workshop", "offer": "Harjoitustila tiistaisin",
                         "other_name": "Päivi Mäkelä", "other_organisation": "Galleria Valo",
                         "other_address": "paivi@example.fi"},
        "buddy": {"role": "newcomer", "other_name": "Anna Lindqvist", "other_organisation": "Teater Forum"},
        "corrections": {
            "applied": [
                {
                    "line": "Åsa Öberg: ja +1",
                    "name": "Åsa Öberg",
                    "address": "asa@example.org",
                    "answer": "yes",
                    "guests": 1,
                    "previous": "maybe",
                }
            ],
            "not_understood": [
                {"line": "Anna: kanske", "why": "ambiguous", "detail": "anna@a.example, anna@b.example"},
                {"line": "Bo: kanske inte", "why": "answer", "detail": ""},
                {"line": "Eva Ek: ja", "why": "unknown", "detail": ""},
            ],
        },
        "attendance": {
            "absent": [{"name": "Åsa Öberg", "address": "asa@example.org", "answer": "yes", "thanked": True},
                       {"name": "Bo Berg", "address": "bo@example.org", "answer": None, "thanked": False}],
            "not_recognised": [
                {"line": "Anna", "why": "ambiguous", "detail": "anna@a.example, anna@b.example"},
                {"line": "Eva Ek", "why": "unknown", "detail": ""},
                {"line": "tyvärr var vi få", "why": "not_a_name", "detail": ""},
            ],
        },
    }
    return copy.deepcopy(samples.get(kind, {}))


_SAMPLE_AGENDA: list[dict[str, Any]] = [
    {"time": "17.00", "title": "Välkommen", "minutes": 5, "by": None},
    {"time": "17.05", "title": "Presentationsrunda (3 min per person)", "minutes": 45, "by": None},
    {
        "time": "17.50",
        "title": "Aktuellt: Gemensam bokningskalender (Åsa Öberg)",
        "minutes": 15,
        "by": "Åsa Öberg",
    },
    {"time": "18.05", "title": "Diskussion", "minutes": 50, "by": None},
    {"time": "18.55", "title": "Tack och avslutning", "minutes": 5, "by": None},
]
_SAMPLE_MEMO: dict[str, Any] = {
    "version": 2,
    "notes": (
        "Vi var 14 på plats och två på distans.\n"
        "\n"
        "Bokningskalendern: Åsa visar ett förslag i januari.\n"
        "Beslut: vi prövar en gemensam kalender <under våren> & utvärderar i juni."
    ),
    "attendees": [
        {"name": "Åsa Öberg", "organisation": "Kulturhuset"},
        {"name": "Jari Mäkinen", "organisation": None},
    ],
    "agenda": _SAMPLE_AGENDA,
    "needs": [{"name": "Åsa Öberg", "text": "Lokal för en workshop i mars"}],
    "offers": [{"name": "Jari Mäkinen", "text": "Ljusteknik och en projektor"}],
    "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
    "next_meeting": {
        "start": "2027-01-07T17:00:00+02:00",
        "end": "2027-01-07T19:00:00+02:00",
        "place": "Kulturhuset Caisa",
    },
    "next_invitation": "2026-12-24",
}

