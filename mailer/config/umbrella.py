"""The `[umbrella]` settings (umbrella.toml beside the networks' files): the umbrella's own page and feeds."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from mailer.config.model import LANGUAGES
from mailer.config.reader import Reader, resolve, table, to_zone
from mailer.errors import ConfigError, ConfigProblem

_KEYS = ("name", "language", "timezone", "output", "public_url", "title")


@dataclass(frozen=True)
class Umbrella:
    """One page, one .ics and one Atom feed with every network's coming meetings."""

    path: Path
    name: str
    language: str
    timezone: str
    #: The folder the umbrella's page goes to (replaced as a whole); relative to umbrella.toml's folder.
    output: Path
    public_url: str | None
    title: str | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str | None:
        """The host of public_url (for the feed's ids), if it is set."""
        return urlsplit(self.public_url).hostname if self.public_url else None


def load_umbrella(path: Path) -> Umbrella:
    """Read umbrella.toml; ConfigError lists every problem (an unknown key names the known ones)."""
    problems: list[ConfigProblem] = []
    r = Reader(path, problems)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "(file)", f"a readable TOML file ({exc.strerror})")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), "(syntax)", f"valid TOML: {exc}")]) from None
    for key in data:
        if key != "umbrella":
            r.problem(f"[{key}]" if isinstance(data[key], dict) else key,
                      "unknown here: umbrella.toml holds only the [umbrella] table (it is not a network)")
    u = table(r, data, "umbrella")
    for key in u:
        if key not in _KEYS:
            r.problem(f"umbrella.{key}", f"unknown key in [umbrella] (expected one of {', '.join(_KEYS)})")
    name = r.get(u, "umbrella", "name", str, "the umbrella's name")
    language = r.get(u, "umbrella", "language", str, "one of sv, fi, en", "sv")
    if language not in LANGUAGES:
        r.problem("umbrella.language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
        language = "sv"
    zone = r.get(u, "umbrella", "timezone", str, "an IANA zone such as Europe/Helsinki", "Europe/Helsinki")
    zone = r.convert("umbrella.timezone", zone, to_zone, "an IANA zone such as Europe/Helsinki") or "UTC"
    output = r.get(u, "umbrella", "output", str, "a folder", "umbrella-site")
    public_url = r.get(u, "umbrella", "public_url", str, "an https:// address", None)
    if public_url is not None and not public_url.startswith(("https://", "http://")):
        r.problem("umbrella.public_url", f"expected an https:// address, got {public_url!r}")
        public_url = None
    title = r.get(u, "umbrella", "title", str, "a title", None)
    if problems:
        raise ConfigError(problems)
    return Umbrella(path=path, name=name, language=language, timezone=zone,
                    output=resolve(path.resolve().parent, output),
                    public_url=public_url.rstrip("/") if public_url else None, title=title)
