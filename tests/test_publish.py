"""The public site: next meeting, join link, archive with memos, valid feeds, no member addresses, stable."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from icalendar import Calendar

from mailer.config import Config, load_config
from mailer.errors import ConfigError
from mailer.meeting.schedule import occurrences
from mailer.models import Meeting, MeetingChange
from mailer.site.publish import PublishError, publish, redact_addresses, site_output
from mailer.state.store import Store

HEL = ZoneInfo("Europe/Helsinki")
#: A week before the December meeting: October's is past (with a memo), November's was cancelled.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=HEL)

CONFIG = """
[network]
name = "Kulturnätverket"
language = "{language}"
timezone = "Europe/Helsinki"
list_address = "natverk@kulturnatverket.fi"
memo_address = "memo@kulturnatverket.fi"
coordinators = ["koordinator@kulturnatverket.fi"]
{public_url}

[meetings]
title = "Nätverksträff"
rrule = "FREQ=MONTHLY;BYDAY=1TH"
first_date = "2026-01-01"
start_time = "17:00"
duration_minutes = 120
place = "Kulturhuset Caisa"
address = "Kajsaniemigatan 4, Helsingfors"
online_link = "https://meet.example.org/kulturnatverket"
holiday_country = "FI"

[[meetings.override]]
date = "2026-12-03"
theme = "Årets sista träff: hur går vi vidare 2027?"
guest_speaker = "Maria Lind, Kulturkontakt Nord"

[[meetings.override]]
date = "2027-01-07"
cancelled = true
note = "Trettondagsveckan: ingen träff i januari."

{site}
"""

MEMBERS = [
    ("Astrid Lindqvist", "astrid.lindqvist@teater.example"),
    ("Bengt Öhman", "bengt.ohman@musik.example"),
    ("Kaisa Mäkinen", "kaisa@yhdistys.example"),
    ("Dragan Petrović", "dragan.petrovic@galleri.example"),
]
NOTES = (
    "Tolv deltagare, varav tre nya.\n"
    "\n"
    "Vi talade om gemensam marknadsföring inför våren och om lokalerna i Berghäll.\n"
    "Frågor om anteckningarna: memo@kulturnatverket.fi, eller skriv direkt till "
    "astrid.lindqvist@teater.example.\n"
    "Svara inte till natverk+tp1-2-abcdefghjkmn@kulturnatverket.fi.\n"
    "Rapporten finns på https://example.org/rapport-2026.\n"
)


@dataclass
class Network:
    config: Config
    store: Store
    meetings: dict[date, Meeting]

    @property
    def site(self) -> Path:
        return site_output(self.config)


def make_config(tmp_path: Path, *, language: str = "sv", public_url: str | None = None,
                site: str | None = 'output = "site"') -> Config:
    text = CONFIG.format(language=language,
                         public_url=f'public_url = "{public_url}"' if public_url else "",
                         site=f"[site]\n{site}" if site is not None else "")
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def make_network(tmp_path: Path, *, language: str = "sv", public_url: str | None = None,
                 site: str | None = 'output = "site"') -> Network:
    """Members with addresses; October held (with an approved memo and RSVPs), November cancelled after its
    invitation, December announced; later meetings only in the config."""
    config = make_config(tmp_path, language=language, public_url=public_url, site=site)
    store = Store.memory()
    joined = datetime(2026, 8, 1, 10, tzinfo=HEL)
    members = [store.add_member(address, name, "sv", joined)[0] for name, address in MEMBERS]
    tz = config.network.tz
    series = {o.date: o for o in occurrences(config.meetings, tz, date(2026, 10, 1), date(2026, 12, 31))}
    stored: dict[date, Meeting] = {}
    with store.write():
        for day, invited in ((date(2026, 10, 1), datetime(2026, 9, 17, 9, tzinfo=HEL)),
                             (date(2026, 11, 5), datetime(2026, 10, 22, 9, tzinfo=HEL)),
                             (date(2026, 12, 3), datetime(2026, 11, 19, 9, tzinfo=HEL))):
            stored[day] = store.apply_meeting_change(MeetingChange(series[day], 0, f"meeting:{day}"),
                                                     config.network.domain, invited)
        cancelled = replace(series[date(2026, 11, 5)], cancelled=True)
        stored[cancelled.date] = store.apply_meeting_change(
            MeetingChange(cancelled, 1, "cancel:2026-11-05"), config.network.domain,
            datetime(2026, 10, 30, 12, tzinfo=HEL))
    october = stored[date(2026, 10, 1)]
    for member, answer in zip(members, ("yes", "yes", "no", "maybe"), strict=True):
        store.set_rsvp(october.id, member.id, answer, datetime(2026, 9, 20, 10, tzinfo=HEL))
    with store.write():
        memo_id = store.add_memo_draft(october.id, NOTES, "koordinator@kulturnatverket.fi",
                                       datetime(2026, 10, 2, 9, tzinfo=HEL))
        store.approve_memo(memo_id, datetime(2026, 10, 2, 15, 30, tzinfo=HEL))
    return Network(config, store, stored)


@pytest.fixture
def network(tmp_path: Path) -> Network:
    net = make_network(tmp_path)
    publish(net.config, net.store, NOW)
    return net


def site_files(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(site.iterdir())}


class Links(HTMLParser):
    """Every href and src in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v is not None]


def links_of(html: bytes) -> list[str]:
    parser = Links()
    parser.feed(html.decode("utf-8"))
    return parser.links


def text_of(html: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode("utf-8")).split())


# -- the page ----------------------------------------------------------------------------------------


def test_index_shows_the_next_meeting_with_place_theme_guest_and_online_link(network: Network) -> None:
    page = (network.site / "index.html").read_bytes()
    text = text_of(page)
    next_section = text.split("Nästa träff", 1)[1].split("Vill du vara med?", 1)[0]
    assert "torsdag 3 december 2026" in next_section
    assert "kl. 17.00–19.00" in next_section
    assert "Kulturhuset Caisa" in next_section and "Kajsaniemigatan 4, Helsingfors" in next_section
    assert "Årets sista träff: hur går vi vidare 2027?" in next_section
    assert "Maria Lind, Kulturkontakt Nord" in next_section
    assert "https://meet.example.org/kulturnatverket" in next_section
    assert b'<html lang="sv">' in page


def test_index_has_a_join_link_to_the_list_with_the_join_word_of_the_language(network: Network) -> None:
    page = (network.site / "index.html").read_bytes()
    assert "mailto:natverk@kulturnatverket.fi?subject=g%C3%A5%20med" in links_of(page)
    assert "med ämnet ”gå med”" in text_of(page)


def test_finnish_network_gets_a_finnish_page_and_join_word(tmp_path: Path) -> None:
    net = make_network(tmp_path, language="fi")
    publish(net.config, net.store, NOW)
    page = (net.site / "index.html").read_bytes()
    assert b'<html lang="fi">' in page
    assert "mailto:natverk@kulturnatverket.fi?subject=liity" in links_of(page)
    assert "Seuraava tapaaminen" in text_of(page)
    assert "torstaina 3. joulukuuta 2026" in text_of(page)


def test_cancelled_meetings_are_marked_cancelled_with_their_reason(network: Network) -> None:
    text = text_of((network.site / "index.html").read_bytes())
    upcoming = text.split("Kommande träffar", 1)[1].split("Tidigare träffar", 1)[0]
    assert re.search(r"torsdag 7\.1 kl\. 17\.00 Inställd .*Trettondagsveckan: ingen träff i januari\.",
                     upcoming)
    # Ascension Day 2027 falls on the first Thursday of May: the series skips it and says why.
    assert re.search(r"torsdag 6\.5 kl\. 17\.00 Inställd .*Kristi himmelsfärdsdag", upcoming)
    archive = text.split("Tidigare träffar", 1)[1]
    assert re.search(r"torsdag 5 november 2026 Inställd", archive)


def test_a_cancelled_next_meeting_is_announced_before_the_one_after(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    after_december = datetime(2026, 12, 20, 12, tzinfo=HEL)
    publish(net.config, net.store, after_december)
    text = text_of((net.site / "index.html").read_bytes())
    next_section = text.split("Nästa träff", 1)[1].split("Vill du vara med?", 1)[0]
    assert "Träffen torsdag 7 januari 2027 är inställd." in next_section
    assert "torsdag 4 februari 2027" in next_section
    assert next_section.index("7 januari") < next_section.index("4 februari")


def test_archive_links_each_memo_to_its_own_page_with_the_notes(network: Network) -> None:
    index = (network.site / "index.html").read_bytes()
    assert "memo-2026-10-01.html" in links_of(index)
    memo = (network.site / "memo-2026-10-01.html").read_bytes()
    text = text_of(memo)
    assert "Minnesanteckningar från träffen torsdag 1 oktober 2026" in text
    assert "Vi talade om gemensam marknadsföring inför våren" in text
    assert "Godkända 2 oktober 2026" in text
    assert "https://example.org/rapport-2026" in links_of(memo)
    assert "index.html" in links_of(memo)


def test_a_past_meeting_leaves_next_and_joins_the_archive(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    publish(net.config, net.store, datetime(2026, 12, 3, 19, 30, tzinfo=HEL))
    text = text_of((net.site / "index.html").read_bytes())
    next_section = text.split("Nästa träff", 1)[1].split("Vill du vara med?", 1)[0]
    assert "3 december" not in next_section
    assert "torsdag 3 december 2026" in text.split("Tidigare träffar", 1)[1]


def test_pages_have_landmarks_and_headings_in_order(network: Network) -> None:
    for name in ("index.html", "memo-2026-10-01.html"):
        page = (network.site / name).read_text(encoding="utf-8")
        assert "<header" in page and '<main id="main"' in page and "<footer" in page
        assert '<meta name="viewport"' in page
        levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
        assert levels[0] == 1 and levels.count(1) == 1, name
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (name, levels)
        assert "<script" not in page


# -- privacy -----------------------------------------------------------------------------------------


def test_no_member_address_appears_in_any_file_of_the_site(network: Network) -> None:
    files = site_files(network.site)
    assert {"index.html", "meetings.ics", "feed.atom", "memo-2026-10-01.html"} <= set(files)
    for name, data in files.items():
        flat = data.replace(b"\r\n ", b"").lower()  # iCalendar folds long lines
        for _, address in MEMBERS:
            assert address.encode() not in flat, (name, address)
        assert b"natverk+tp" not in flat, name  # a member's reply token
        assert b"koordinator@" not in flat, name


def test_memo_notes_keep_the_networks_own_address_and_redact_the_others(network: Network) -> None:
    text = text_of((network.site / "memo-2026-10-01.html").read_bytes())
    assert ("Frågor om anteckningarna: memo@kulturnatverket.fi, eller skriv direkt till [adress borttagen]."
            in text)
    assert "Svara inte till [adress borttagen]." in text


def test_an_address_typed_into_a_theme_is_redacted_too(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    december = net.meetings[date(2026, 12, 3)]
    occ = next(o for o in occurrences(net.config.meetings, HEL, december.date, december.date))
    with net.store.write():
        net.store.apply_meeting_change(
            MeetingChange(replace(occ, theme="Frågor till kaisa@yhdistys.example"), 1, "update"),
            net.config.network.domain, NOW)
    publish(net.config, net.store, NOW)
    for name, data in site_files(net.site).items():
        assert b"kaisa@yhdistys.example" not in data.replace(b"\r\n ", b""), name
    assert "Frågor till [adress borttagen]" in text_of((net.site / "index.html").read_bytes())


def test_redaction_spares_only_the_allowed_addresses() -> None:
    text = "Skriv till Memo@Kultur.fi, a.b+c@x.example eller <d_e@sub.domain.example>."
    assert redact_addresses(text, ["memo@kultur.fi"], "[x]") == "Skriv till Memo@Kultur.fi, [x] eller <[x]>."


def test_no_member_names_appear_unless_the_config_allows_them(network: Network) -> None:
    for name, data in site_files(network.site).items():
        text = data.decode("utf-8")
        for member_name, _ in MEMBERS:
            assert member_name not in text, (name, member_name)


def test_show_names_lists_who_signed_up_on_the_memo_page(tmp_path: Path) -> None:
    net = make_network(tmp_path, site='output = "site"\nshow_names = true')
    publish(net.config, net.store, NOW)
    text = text_of((net.site / "memo-2026-10-01.html").read_bytes())
    said_yes = text.split("Anmälda till träffen", 1)[1]
    assert "Astrid Lindqvist" in said_yes and "Bengt Öhman" in said_yes
    assert "Kaisa Mäkinen" not in text and "Dragan Petrović" not in text  # said no / maybe
    for name, data in site_files(net.site).items():
        for _, address in MEMBERS:
            assert address.encode() not in data, (name, address)


def test_publish_refuses_a_site_that_would_show_a_member_address(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    # An online link is a URL, not text, so it is not redacted; the last guard must still catch it.
    leaky = replace(net.config, meetings=replace(net.config.meetings,
                                                 online_link="https://meet.example/?host=kaisa@yhdistys.example"))
    with pytest.raises(PublishError, match="member"):
        publish(leaky, net.store, NOW)
    assert not net.site.exists()


# -- links -------------------------------------------------------------------------------------------


def test_every_link_is_relative_and_internal_links_point_at_files_of_the_site(network: Network) -> None:
    files = site_files(network.site)
    for name in (n for n in files if n.endswith(".html")):
        for link in links_of(files[name]):
            assert not link.startswith("/"), (name, link)
            if re.match(r"^(https?|mailto):", link) or link.startswith("#"):
                continue
            target = link.split("#", 1)[0]
            assert target in files, (name, link)


# -- feeds -------------------------------------------------------------------------------------------


def test_calendar_feed_has_the_series_with_stored_uids_and_a_timezone(network: Network) -> None:
    cal = Calendar.from_ical((network.site / "meetings.ics").read_bytes())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    events = {ev.decoded("DTSTART").date(): ev for ev in cal.walk("VEVENT")}
    for day, meeting in network.meetings.items():
        assert str(events[day]["UID"]) == meeting.uid
    # The series goes on: the config's coming meetings are there too, not yet announced.
    assert date(2027, 2, 4) in events and date(2027, 4, 1) in events
    assert len(events) >= 6
    uids = [str(ev["UID"]) for ev in events.values()]
    assert len(set(uids)) == len(uids)
    start = events[date(2026, 12, 3)].decoded("DTSTART")
    assert start.hour == 17 and str(start.tzinfo) == "Europe/Helsinki"


def test_calendar_marks_the_cancelled_meeting_cancelled(network: Network) -> None:
    cal = Calendar.from_ical((network.site / "meetings.ics").read_bytes())
    status = {ev.decoded("DTSTART").date(): str(ev["STATUS"]) for ev in cal.walk("VEVENT")}
    assert status[date(2026, 11, 5)] == "CANCELLED"
    assert status[date(2026, 12, 3)] == "CONFIRMED"
    # Dates the series skips and that were never announced are simply absent.
    assert date(2027, 1, 7) not in status and date(2027, 5, 6) not in status


def test_atom_feed_parses_cleanly_with_invitations_and_the_memo(network: Network) -> None:
    feed = feedparser.parse((network.site / "feed.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    ids = {e.id: e for e in feed.entries}
    assert "tag:kulturnatverket.fi,2026-12-03:traffpunkt/invitation" in ids
    assert "tag:kulturnatverket.fi,2026-11-05:traffpunkt/invitation" in ids
    memo = ids["tag:kulturnatverket.fi,2026-10-01:traffpunkt/memo"]
    assert "gemensam marknadsföring" in memo.content[0].value
    assert memo.link == "memo-2026-10-01.html"
    assert memo.updated == "2026-10-02T12:30:00Z"
    assert ids["tag:kulturnatverket.fi,2026-11-05:traffpunkt/invitation"].title.startswith("Inställd:")
    assert ids["tag:kulturnatverket.fi,2026-12-03:traffpunkt/invitation"].title == (
        "Inbjudan: Nätverksträff, torsdag 3.12 kl. 17.00–19.00")
    # The feed is as new as its newest entry (December's invitation), not as the moment of publishing.
    assert feed.feed.updated == "2026-11-19T07:00:00Z"


def test_atom_links_are_absolute_under_the_public_url(tmp_path: Path) -> None:
    net = make_network(tmp_path, public_url="https://kulturnatverket.fi/traffar/")
    publish(net.config, net.store, NOW)
    feed = feedparser.parse((net.site / "feed.atom").read_bytes())
    assert not feed.bozo
    assert {link.href for e in feed.entries for link in e.links} <= {
        "https://kulturnatverket.fi/traffar/index.html#m-2026-12-03",
        "https://kulturnatverket.fi/traffar/index.html#m-2026-11-05",
        "https://kulturnatverket.fi/traffar/index.html#m-2026-10-01",
        "https://kulturnatverket.fi/traffar/memo-2026-10-01.html",
    }
    assert any(link.rel == "self" and link.href == "https://kulturnatverket.fi/traffar/feed.atom"
               for link in feed.feed.links)


# -- writing -----------------------------------------------------------------------------------------


def test_publishing_again_without_changes_gives_the_same_bytes_and_touches_nothing(network: Network) -> None:
    before = site_files(network.site)
    inode = network.site.stat().st_ino
    report = publish(network.config, network.store, NOW + timedelta(hours=3))
    assert not report.changed
    assert site_files(network.site) == before
    assert network.site.stat().st_ino == inode


def test_a_change_swaps_in_a_whole_new_folder(network: Network) -> None:
    with network.store.write():
        memo_id = network.store.add_memo_draft(network.meetings[date(2026, 10, 1)].id, "Andra versionen.",
                                               "koordinator@kulturnatverket.fi", NOW)
        network.store.approve_memo(memo_id, NOW)
    report = publish(network.config, network.store, NOW)
    assert report.changed and report.memos == 1 and report.next_meeting == date(2026, 12, 3)
    assert "Andra versionen." in text_of((network.site / "memo-2026-10-01.html").read_bytes())
    leftovers = [p.name for p in network.site.parent.iterdir() if p.name.startswith(".site.")]
    assert leftovers == [".site.lock"]


def test_without_an_atomic_exchange_the_folder_is_still_replaced_whole(network: Network,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mailer.site.publish._exchange", lambda a, b: False)  # as on a system without renameat2
    stale = network.site.parent / ".site.tmp-killed"  # left by a publish that was killed midway
    stale.mkdir()
    (network.site / "memo-2026-10-01.html").unlink()
    report = publish(network.config, network.store, NOW)
    assert report.changed and (network.site / "memo-2026-10-01.html").is_file()
    assert sorted(p.name for p in network.site.parent.iterdir()) == [".site.lock", "network.toml", "site"]


def test_publish_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    net.site.mkdir()
    (net.site / "blog.html").write_text("someone's own page")
    with pytest.raises(PublishError, match="did not write"):
        publish(net.config, net.store, NOW)
    assert (net.site / "blog.html").read_text() == "someone's own page"


def test_without_a_site_table_the_site_sits_beside_the_config_outside_owner_only_var(tmp_path: Path) -> None:
    net = make_network(tmp_path, site=None)
    report = publish(net.config, net.store, NOW)
    assert report.output == tmp_path / "site"
    assert (tmp_path / "site" / "index.html").is_file()
    assert not net.config.site.show_names


def test_a_bad_site_setting_names_the_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, site='output = 5\nshow_names = "yes"\nshow_name = true')
    text = str(err.value)
    path = tmp_path / "network.toml"
    assert f"{path}: site.output: expected a folder" in text
    assert f"{path}: site.show_names: expected true or false" in text
    assert f"{path}: site.show_name:" in text
