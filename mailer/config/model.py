"""The config's frozen dataclasses and the fixed vocabularies (languages, TLS modes, agenda blocks)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

from mailer.config.dkim import DkimSettings
from mailer.config.oauth import OAuthSettings

LANGUAGES = ("sv", "fi", "en")
TLS_MODES = ("starttls", "tls", "none")
TRANSPORTS = ("maildir", "smtp")
#: Default babel locale per language: the network lives in Finland unless the config says otherwise.
DEFAULT_LOCALES = {"sv": "sv_FI", "fi": "fi_FI", "en": "en_GB"}


@dataclass(frozen=True)
class Network:
    name: str
    language: str
    locale: str
    timezone: str
    list_address: str
    memo_address: str
    coordinators: tuple[str, ...]
    from_name: str
    public_url: str | None
    plus_addressing: bool
    token_secret_env: str | None
    #: After the memo, each pair of a need and another member's offer gets one introduction mail.
    introductions: bool = False
    #: The introduction gives both members each other's address (they agreed to it when they joined).
    introduction_addresses: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.list_address.rpartition("@")[2]


@dataclass(frozen=True)
class Override:
    date: date
    place: str | None = None
    start_time: time | None = None
    theme: str | None = None
    guest_speaker: str | None = None
    cancelled: bool = False
    note: str | None = None
    #: The theme per language (`theme = { sv = "...", fi = "..." }`); `theme` is the network language's.
    themes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Meetings:
    title: str
    rrule: str
    first_date: date
    start_time: time
    duration_minutes: int
    place: str
    address: str | None
    online_link: str | None
    skip_dates: tuple[date, ...]
    holiday_country: str | None
    holiday_subdivision: str | None
    invitation_lead_days: int
    reminder_lead_days: int
    overrides: tuple[Override, ...]
    #: Local time of day at which invitations and reminders go out.
    send_time: time = time(9, 0)
    #: The coordinator gets the final agenda this many days before (at send_time).
    agenda_lead_days: int = 1
    #: The coordinator gets the head count, diets and presentation sheet this many days before.
    catering_lead_days: int = 2
    #: Attendees get a short thank-you after the meeting.
    thanks: bool = True
    #: Memo drafts go to the coordinators for approval first (false: the memo goes out at once); [memo] review.
    memo_review: bool = True
    #: A member's topics per meeting beyond this many are not added (the confirmation says so).
    max_topics_per_member: int = 3
    #: The title per language (`title = { sv = "...", fi = "...", en = "..." }`); `title` is the network language's.
    titles: tuple[tuple[str, str], ...] = ()
    #: Each first-timer who said yes gets a buddy: a returning member who said yes (mailer/outbound/buddies.py).
    buddies: bool = False


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    tls: str
    username: str | None
    password_env: str | None
    timeout_seconds: float
    #: "password" (password_env) or "xoauth2" (an access token from [mail.oauth]).
    auth: str = "password"

    def password(self) -> str | None:
        """The password from the environment variable the config names (never from the TOML)."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class SmtpSettings(ServerSettings):
    max_connections: int = 2
    messages_per_minute: int = 120


@dataclass(frozen=True)
class ImapSettings(ServerSettings):
    folder: str = "INBOX"
    processed_folder: str = "traffpunkt/processed"
    quarantine_folder: str = "traffpunkt/quarantine"
    idle: bool = True
    #: While waiting for mail, ask with NOOP this often (seconds) instead of IDLE; 0: IDLE (or a poll every
    #: [mail] poll_seconds); None: 0.1 for a Dovecot on loopback, 0 for any other (mailer/inbound/imap_wait.py).
    noop_seconds: float | None = None


@dataclass(frozen=True)
class Mail:
    transport: str
    from_address: str
    outbox_maildir: Path
    inbox_maildir: Path
    smtp: SmtpSettings | None
    imap: ImapSettings | None
    poll_seconds: int
    max_attempts: int
    retry_base_seconds: int
    #: The authserv-id your receiving server writes in Authentication-Results (e.g. "mx.example.org");
    #: only its verdicts are trusted for replies without a token. None: never trust that header.
    authserv_id: str | None = None
    #: Join confirmations (the only mail to non-members) per rolling 24 hours; the rest wait in the digest.
    join_confirmations_per_day: int = 20
    #: Larger inbound mail is quarantined unread (never downloaded whole, never parsed).
    max_message_bytes: int = 10_000_000
    #: A message whose parsing takes longer is quarantined; the parser's worker process is killed.
    parse_deadline_seconds: float = 10.0
    #: A drain with at least this many due messages renders them in a worker process on another core
    #: (0: always in the daemon). Only with a database file.
    render_worker_rows: int = 200
    #: [mail.oauth]: the OAuth2 client for `auth = "xoauth2"` servers.
    oauth: OAuthSettings | None = None
    #: [mail.dkim]: sign outgoing mail in the daemon (None: leave it to the relay).
    dkim: DkimSettings | None = None


#: Blocks a meeting's programme can have, in the default order ("break" only when listed in `blocks`).
AGENDA_BLOCKS = ("welcome", "presentations", "guest", "topics", "break", "discussion", "thanks")


@dataclass(frozen=True)
class Agenda:
    """The [agenda] table: the programme's blocks in order and their time boxes, in minutes."""

    blocks: tuple[str, ...] = ("welcome", "presentations", "guest", "topics", "discussion", "thanks")
    welcome_minutes: int = 5
    guest_minutes: int = 20
    break_minutes: int = 15
    discussion_minutes: int = 15
    #: The discussion may be cut down to this to let everyone present.
    discussion_min_minutes: int = 10
    thanks_minutes: int = 5
    #: Each attendee presents for between these (whole or half minutes).
    presentation_min_minutes: float = 1
    presentation_max_minutes: float = 5
    topic_minutes: int = 10
    topic_max_count: int | None = None
    #: Minutes left free before the end time.
    buffer_minutes: int = 0


@dataclass(frozen=True)
class Site:
    """The [site] table: where `traffpunkt publish` writes the public page and feeds."""

    #: The folder the site is written to (replaced as a whole on each publish); relative to the config file.
    output: Path = Path("site")
    #: Whether members' names (who signed up) may appear on the public site.
    show_names: bool = False


@dataclass(frozen=True)
class MembersPolicy:
    """The [members] table's rules for silent members (mailer/outbound/silence.py)."""

    #: The coordinators' report before each invitation round lists members silent for this many meetings.
    silent_after: int = 3
    #: A member silent for this many meetings is asked once whether they are still interested; no answer
    #: in two weeks makes them dormant (no invitations; any reply wakes them). None: never asked.
    dormant_after: int | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    network: Network
    meetings: Meetings
    mail: Mail
    database: Path
    members_csv: Path | None
    templates_dir: Path
    agenda: Agenda = field(default_factory=Agenda)
    site: Site = field(default_factory=Site)
    members: MembersPolicy = field(default_factory=MembersPolicy)
