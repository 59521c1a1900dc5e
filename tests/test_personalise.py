"""Render once, personalise cheaply: each member gets byte for byte the mail a full render gives."""

from __future__ import annotations

import base64
import random
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest

from mailer import PROJECT_ROOT
from mailer.config import Config, load_config
from mailer.models import Meeting, MeetingChange, Member, Occurrence
from mailer.outbound import ics, member_uses, tokens
from mailer.outbound.compose import Composer, make_message_id
from mailer.outbound.encoding import header_name, qp_line, qp_lines, qp_segments, quoted_printable
from mailer.outbound.kinds import KINDS, MEETING_KINDS
from mailer.outbound.samples import sample_context
from mailer.state.store import OutboxRow, Store

SECRET = b"test-secret"
HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=HELSINKI)
LANGUAGES = ("sv", "fi", "en")
#: Names that stress escaping, header encoding and folding, QP line lengths, and the sentinels themselves.
NAMES = [
    "Åsa Öberg",
    "Päivi Mäkelä-Hämäläinen",
    'Bo "B&B" <Lund> & O\'Brien',
    "Zoë " + "Grönroos-Järvinen " * 14,  # past the header's 200 characters, QP soft line breaks in the body
    "Oliver " + "x" * 90,  # an ASCII word too long to fold at spaces
    "{{ member.name }} }} {% if x %}",
    "\ue000" + "0123456789abcdef0" + "\ue001 \ue0000\ue001",  # what a sentinel looks like
    "Anna\nBcc: spy@example.org",
    "Kim",
    "=?utf-8?b?SGVq?= =3D .",
    "", "", "Ola", "",  # no name: the greeting's other branch, filled in too
]


@pytest.fixture
def config() -> Config:
    return load_config(PROJECT_ROOT / "config" / "network.example.toml")


def add_meeting(store: Store) -> Meeting:
    start = datetime(2026, 12, 3, 17, 0, tzinfo=HELSINKI)
    occ = Occurrence(date=date(2026, 12, 3), start=start, end=start + timedelta(hours=2), place="Caisa & <Co>",
                     address="Kajsaniemigatan 4, Helsingfors", theme='Hur går vi vidare "2027"?',
                     guest_speaker="Maria Lind", cancelled=False)
    with store.write():
        return store.apply_meeting_change(MeetingChange(occ, 0, "m:0"), "kulturnatverket.fi", NOW)


def queue(store: Store, kind: str, member: Member, meeting: Meeting | None, context: dict[str, object],
          tag: str = "") -> OutboxRow:
    meeting_id = meeting.id if meeting else 0
    key = f"{kind}:{meeting_id}:{member.id}{tag}"
    mid = make_message_id(tokens.make(SECRET, member.id, meeting_id), kind, key, "kulturnatverket.fi")
    with store.write():
        store.enqueue(key=key, kind=kind, recipient=member.address, message_id=mid, now=NOW, member_id=member.id,
                      meeting_id=meeting.id if meeting else None, sequence=meeting.sequence if meeting else 0,
                      context=context)
    return next(r for r in store.outbox_rows(limit=100_000) if r.key == key)


def members(store: Store, language: str) -> list[Member]:
    out = []
    for i, name in enumerate(NAMES):
        organisation = None if i % 3 else f"Teater {name[:20]}"
        member, _ = store.add_member(f"m{i}.{language}@example.org", name, language, NOW, organisation=organisation)
        out.append(member)
    return out


def renders(config: Config, store: Store, rows: list[OutboxRow]) -> tuple[list[bytes], list[bytes], int]:
    """Every row rendered in full and personalised (in drain order); and how many were personalised."""
    full = Composer(config, store, SECRET, personalise=False)
    fast = Composer(config, store, SECRET)
    reference = [full.render(row, NOW).data for row in rows]
    personalised = [fast.render(row, NOW).data for row in rows]
    return reference, personalised, fast.personalised()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_in_every_language_is_byte_for_byte_the_full_render(config: Config, kind: str) -> None:
    store = Store.memory()
    meeting = add_meeting(store) if kind in MEETING_KINDS else None
    rows = [queue(store, kind, m, meeting, sample_context(kind)) for lang in LANGUAGES for m in members(store, lang)]
    reference, personalised, filled = renders(config, store, rows)
    for row, want, got in zip(rows, reference, personalised, strict=True):
        assert got == want, f"{kind} to {row.recipient} differs from its full render"
    # the shipped templates only print and test the member's fields: all but the first two of each language
    # and each set of fields that are empty (no name, no organisation) are filled in, not rendered in full
    groups = {(lang, bool(name), i % 3 == 0) for lang in LANGUAGES for i, name in enumerate(NAMES)}
    assert filled == len(rows) - 2 * len(groups)


def test_reminders_with_each_members_own_answer_never_get_another_members_text(config: Config) -> None:
    store = Store.memory()
    meeting = add_meeting(store)
    answers = ["yes", None, "maybe", "no", "yes", None, "maybe", "yes", "no", None]
    rows = []
    for m in members(store, "sv"):
        rows.append(queue(store, "reminder", m, meeting, {**sample_context("reminder"), "answer": answers[m.id % 10]}))
    reference, personalised, filled = renders(config, store, rows)
    assert personalised == reference
    assert filled > 0


def test_an_admin_template_that_branches_on_the_member_is_rendered_in_full(config: Config, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(config.templates_dir, folder)
    (folder / "sv" / "invitation.txt").write_text(
        "{% if member.name|length > 10 %}Hej {{ member.name|upper }}!{% else %}Hej du!{% endif %}\n"
        "{{ mailto.yes }}\n", encoding="utf-8")
    config = replace(config, templates_dir=folder)
    store = Store.memory()
    meeting = add_meeting(store)
    rows = [queue(store, "invitation", m, meeting, {}) for m in members(store, "sv")]
    reference, personalised, filled = renders(config, store, rows)
    assert personalised == reference
    assert b"Hej KIM!" not in personalised[NAMES.index("Kim")] and b"Hej du!" in personalised[NAMES.index("Kim")]
    assert filled == 0


def uses(source: str, **partials: str) -> member_uses.Uses | None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.txt": source, **partials}),
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html",)))
    return member_uses.uses(env, ["t.txt"])


@pytest.mark.parametrize("source", [
    "{{ member.name }} {{ mailto.yes }} {{ token }}",
    "{% if member.first_name %} {{ member.first_name }}{% endif %}!",
    "{% if not token and meeting %}x{% elif member.organisation or ctx.a %}{{ reply_address }}{% endif %}",
    "{% for m in ctx.members %}{{ m.name }}{% endfor %}{{ member.address }}",
    '{% include "p.txt" %}',
])
def test_plain_prints_and_truth_tests_of_member_fields_can_be_filled_in(source: str) -> None:
    assert uses(source, **{"p.txt": "{{ unsubscribe }}"}) is not None


@pytest.mark.parametrize("source", [
    "{{ member.name|upper }}",
    "{% if member.name == 'Kim' %}x{% endif %}",
    "{% if member.name|length > 3 %}x{% endif %}",
    "{{ member.name[:3] }}",
    "{{ member.name ~ '!' }}",
    "{{ member }}",
    "{{ mailto }}",
    "{{ member['name'] }}",
    "{% set n = member.name %}{{ n }}",
    "{% set n %}{{ member.name }}{% endset %}{{ n|upper }}",
    "{% macro m() %}{{ member.name }}{% endmacro %}{{ m()|upper }}",
    "{% filter upper %}{{ member.name }}{% endfilter %}",
    "{% for c in member.name %}{{ c }}{% endfor %}",
    "{% for member in ctx.people %}{{ member.name }}{% endfor %}",
    "{{ 'x' if member.name else 'y' }}{{ member.name if ctx.a else '' }}",
    "{{ member.name.startswith('A') }}",
    "{% block b %}{{ member.name }}{% endblock %}{{ self.b()|upper }}",
    "{% include ctx.which %}",
    '{% include "p.txt" %}',
])
def test_any_other_use_of_a_member_field_means_a_full_render(source: str) -> None:
    assert uses(source, **{"p.txt": "{{ token|e }}"}) is None


def test_a_member_field_printed_escaped_and_unescaped_in_one_part_means_a_full_render(config: Config) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": '{{ member.name }}{% include "p.txt" %}',
                                                       "p.txt": "{{ member.name }}"}),
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html",)))
    found = member_uses.uses(env, ["t.html"])
    assert found is not None and found.escapes == {True, False}


def test_quoted_printable_from_known_lines_is_the_same_as_encoding_the_whole_body() -> None:
    rng = random.Random(14)
    alphabet = ["a", "ö", " ", "\t", "=", ".", "\r", "\n", "\n", "€", "x" * 40, "From ", "\u2028"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        known = qp_lines(text, lambda line: rng.random() < 0.3)  # some lines left to encode per member
        assert quoted_printable(text, known) == quoted_printable(text), repr(text)


def test_a_body_encoded_once_with_some_lines_encoded_per_member_is_the_same_as_encoding_it_whole() -> None:
    rng = random.Random(1414)
    alphabet = ["a", "ö", " ", "\t", "=", ".", "\r", "\n", "\n", "€", "x" * 40, "From ", "\u2028"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        segments = qp_segments(text, lambda line: (line,) if rng.random() < 0.3 else None)
        joined = b"".join(s if isinstance(s, bytes) else qp_line(s[0]) for s in segments)
        assert joined == quoted_printable(text), repr(text)


def test_each_invitations_calendar_is_the_base64_of_its_own_calendar_with_the_members_attendee_line(
        config: Config) -> None:
    store = Store.memory()
    meeting = add_meeting(store)
    rows = [queue(store, "invitation", m, meeting, {}) for m in members(store, "fi")]
    composer = Composer(config, store, SECRET)
    for row in rows:
        data = composer.render(row, NOW).data
        _, _, rest = data.partition(b"Content-Type: text/calendar")
        encoded = rest.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]  # (its CRLF, then a blank line)
        calendar = base64.b64decode(encoded)
        assert encoded == base64.encodebytes(calendar).replace(b"\n", b"\r\n")
        name = next(m.name for m in store.members(None) if m.address == row.recipient)
        assert calendar.count(b"ATTENDEE") == 1 and ics.attendee_line(header_name(name), row.recipient) in calendar
    assert composer.personalised() > 0


def test_random_hostile_names_get_the_same_invitation_as_a_full_render(config: Config) -> None:
    rng = random.Random(2026)
    alphabet = ["a", "Ö", "ä", " ", "  ", "<", ">", "&", '"', "'", "=", "?", "{{", "}}", "{%", "\ue000", "\ue001",
                "\t", "\r", "\n", ".", "\u2028", "€", "=?utf-8?q?", "x" * 30, "0123456789abcdef", "\x01", "=01",
                "y" * 90]
    store = Store.memory()
    meeting = add_meeting(store)
    rows = []
    for i in range(60):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) or "x"
        member, _ = store.add_member(f"r{i}@example.org", name, LANGUAGES[i % 3], NOW)
        rows.append(queue(store, "invitation", member, meeting, {}))
    reference, personalised, filled = renders(config, store, rows)
    assert personalised == reference
    assert filled > 0


def test_a_moved_meeting_is_filled_into_the_new_place_not_the_old_one(config: Config) -> None:
    store = Store.memory()
    meeting = add_meeting(store)
    people = members(store, "sv")
    fast = Composer(config, store, SECRET)
    before = [fast.render(queue(store, "invitation", m, meeting, {}), NOW).data for m in people]
    occ = Occurrence(date=meeting.date, start=meeting.start, end=meeting.end, place="Annegatan 22",
                     address="Annegatan 22, Helsingfors", theme=meeting.theme, guest_speaker=None, cancelled=False)
    with store.write():
        moved = store.apply_meeting_change(MeetingChange(occ, 1, "m:1"), "kulturnatverket.fi", NOW)
    rows = [queue(store, "invitation", m, moved, {}, tag=":moved") for m in people]
    after = [fast.render(row, NOW).data for row in rows]
    full = Composer(config, store, SECRET, personalise=False)
    assert after == [full.render(row, NOW).data for row in rows]
    assert all(b"Annegatan 22" in mail and b"Annegatan 22" not in old for mail, old in zip(after, before, strict=True))
    assert fast.personalised() > 0
