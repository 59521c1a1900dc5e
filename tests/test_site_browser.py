"""The published page in a real browser (headless Chromium), served from a sub-path by a local web server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest
from test_publish import NOW, make_network

from mailer.site.publish import publish

pytestmark = pytest.mark.browser

REQUIRE_ENV = "TRAFFPUNKT_REQUIRE_SERVERS"
SUB_PATH = "/natverk/traffar/"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; skips when it is missing, unless TRAFFPUNKT_REQUIRE_SERVERS=1 (CI)."""
    found = (os.environ.get("TRAFFPUNKT_CHROMIUM") or shutil.which("chromium")
             or shutil.which("chromium-browser"))
    if not found:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"headless Chromium is required ({REQUIRE_ENV}=1) but `chromium` is not installed")
        pytest.skip("no `chromium` for the browser test (apt-get install chromium)")
    return found


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[str]:
    """The published site copied to <www>/natverk/traffar/ and served from <www>: yields the page's URL."""
    (tmp_path / "network").mkdir()
    net = make_network(tmp_path / "network")
    publish(net.config, net.store, NOW)
    www = tmp_path / "www"
    shutil.copytree(net.site, www / SUB_PATH.strip("/"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SUB_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_browser_finds_the_next_meeting_and_join_link_on_a_sub_path(chromium: str, served_site: str,
                                                                     tmp_path: Path) -> None:
    dom = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", served_site).stdout.decode("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", dom).split())
    next_section = text.split("Nästa träff", 1)[1].split("Vill du vara med?", 1)[0]
    assert "torsdag 3 december 2026" in next_section
    assert "kl. 17.00–19.00" in next_section
    parser = _Links()
    parser.feed(dom)
    assert "mailto:natverk@kulturnatverket.fi?subject=g%C3%A5%20med" in parser.links
    # Every relative link resolves under the sub-path the site is served from.
    relative = [link for link in parser.links if not re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I)]
    assert {"memo-2026-10-01.html", "meetings.ics", "feed.atom"} <= set(relative)
    for link in relative:
        url = urldefrag(urljoin(served_site, link)).url
        assert urlsplit(url).path.startswith(SUB_PATH), link
        with urlopen(url, timeout=10) as response:  # an HTTPError (404) fails the test
            assert response.status == 200, link


def test_browser_renders_the_page_for_a_screenshot_on_desktop_and_phone(chromium: str, served_site: str,
                                                                        tmp_path: Path) -> None:
    for name, size in (("site-desktop.png", (1024, 1400)), ("site-phone.png", (390, 1200))):
        shot = tmp_path / name
        _run_chromium(chromium, tmp_path / "profile", f"--screenshot={shot}",
                      f"--window-size={size[0]},{size[1]}", served_site)
        print(f"screenshot: {shot}")
        data = shot.read_bytes()
        assert _png_size(data) == size
        assert len(data) > 20_000  # a rendered page, not a blank canvas
