"""The umbrella's page: one index.html, .ics and Atom feed with every network's coming meetings, linking to
each network's own page (checked as files, and in headless Chromium served from a web server)."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest
from icalendar import Calendar
from several_networks import NAMES, write_network, write_umbrella
from smtp_server import Server, SinkHandler, smtp_server
from test_site_browser import _Links, _QuietHandler, _run_chromium, chromium  # noqa: F401 - the fixture

from mailer.cli import main


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """sv and fi networks with their invitations sent (so their next meeting is announced), and umbrella.toml."""
    with smtp_server(SinkHandler()) as sink:
        _networks(tmp_path, sink)
        assert main(["run", "--once", "--config", str(tmp_path)]) == 0
    yield tmp_path


def _networks(tmp_path: Path, sink: Server) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, sink.port)
    fi = tmp_path / "fi.toml"  # a title without the network's name: the umbrella's calendar adds it
    fi.write_text(fi.read_text(encoding="utf-8").replace('[meetings]', '[meetings]\ntitle = "Kuukausitapaaminen"'),
                  encoding="utf-8")
    write_umbrella(tmp_path)


def test_publish_writes_each_site_and_the_umbrellas_page_calendar_and_feed(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["publish", "--config", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "umbrella Kulturforum: " in out and f"{folder / 'sites' / 'sv'}: " in out
    umbrella = folder / "sites" / "umbrella"
    page = (umbrella / "index.html").read_text(encoding="utf-8")
    items = re.findall(r'<li id="(sv|fi)-(\d{4}-\d\d-\d\d)"', page)
    assert {lang for lang, _ in items} == {"sv", "fi"}
    assert [day for _, day in items] == sorted(day for _, day in items)  # one list, in time order
    assert page.index(NAMES["sv"]) > 0 and page.index(NAMES["fi"]) > 0

    cal = Calendar.from_ical((umbrella / "meetings.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))  # both networks meet on the same days: each event its own UID
    assert {u.split(".", 1)[0] for u in uids} == {"sv", "fi"}
    summaries = {str(e["SUMMARY"]) for e in events}
    assert {NAMES["sv"], f"{NAMES['fi']}: Kuukausitapaaminen"} <= summaries

    feed = (umbrella / "feed.atom").read_text(encoding="utf-8")
    hrefs = re.findall(r'<link rel="alternate" type="text/html" href="([^"]+)"/>', feed)
    assert {h.split("/")[1] for h in hrefs[1:]} == {"sv", "fi"}  # the announced meetings, on their own pages
    for href in hrefs[1:]:
        target, _, anchor = href.partition("#")
        assert f'id="{anchor}"' in (umbrella / target).resolve().read_text(encoding="utf-8")

    assert main(["publish", "--config", str(folder)]) == 0
    assert "umbrella Kulturforum: " + str(umbrella) + ": unchanged" in capsys.readouterr().out


def test_the_umbrella_links_a_network_with_a_public_url_there(folder: Path) -> None:
    sv = folder / "sv.toml"
    sv.write_text(sv.read_text(encoding="utf-8").replace(
        'coordinators = ["sv-koordinator@example.org"]',
        'coordinators = ["sv-koordinator@example.org"]\npublic_url = "https://vast.example.org/traffar"'),
        encoding="utf-8")
    assert main(["publish", "--config", str(folder)]) == 0
    page = (folder / "sites" / "umbrella" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://vast.example.org/traffar/index.html#m-' in page
    assert 'href="../fi/index.html#m-' in page


def test_an_invalid_umbrella_file_is_reported_by_check_and_publish(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "umbrella.toml").write_text('[umbrella]\nname = "X"\nlanguag = "sv"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--config", str(folder)]) == 2
    assert f"{folder / 'umbrella.toml'}: umbrella.languag: unknown key" in capsys.readouterr().err
    assert main(["publish", "--config", str(folder)]) == 2
    assert (folder / "sites" / "sv" / "index.html").exists()  # the networks' own sites still published


@pytest.fixture
def served(folder: Path) -> Iterator[str]:
    """The sites folder (umbrella beside the networks) served from <www>/kultur/: yields the umbrella's URL."""
    assert main(["publish", "--config", str(folder)]) == 0
    www = folder / "www"
    shutil.copytree(folder / "sites", www / "kultur")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/kultur/umbrella/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.browser
def test_browser_shows_every_networks_meetings_and_each_link_reaches_that_networks_page(
        chromium: str, served: str, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    dom = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", served).stdout.decode("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", dom).split())
    coming = text.split("Kommande träffar i alla nätverk", 1)[1].split("Nätverken", 1)[0]
    assert NAMES["sv"] in coming and NAMES["fi"] in coming
    parser = _Links()
    parser.feed(dom)
    relative = [link for link in parser.links if not re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I)]
    assert {"meetings.ics", "feed.atom"} <= set(relative)
    network_pages = {urlsplit(urljoin(served, link)).path for link in relative if link.startswith("../")}
    assert network_pages == {"/kultur/sv/index.html", "/kultur/fi/index.html"}
    for link in relative:
        url = urldefrag(urljoin(served, link)).url
        with urlopen(url, timeout=10) as response:  # an HTTPError (404) fails the test
            assert response.status == 200, link
            body = response.read().decode("utf-8")
        if link.startswith("../sv/"):
            assert NAMES["sv"] in body and "Nästa träff" in body
        if link.startswith("../fi/"):
            assert NAMES["fi"] in body and "Seuraava tapaaminen" in body


def test_the_example_umbrella_file_is_valid() -> None:
    from mailer.config.umbrella import load_umbrella

    umbrella = load_umbrella(Path(__file__).resolve().parent.parent / "config" / "umbrella.example.toml")
    assert (umbrella.name, umbrella.language, umbrella.output) == ("Kulturforum", "sv",
                                                                   Path("/var/www/traffpunkt/umbrella"))
