"""Versioned schema migrations: plain functions, applied in order, each in its own transaction."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("traffpunkt")


def _run(db: Database, script: str) -> None:
    """Run statements one by one (executescript would commit the migration's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL UNIQUE COLLATE NOCASE,
            organisation TEXT,
            language TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left', 'bouncing')),
            joined TEXT NOT NULL,
            left_at TEXT,
            hard_bounces INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'admin'
        );
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL UNIQUE,
            uid TEXT NOT NULL UNIQUE,
            sequence INTEGER NOT NULL DEFAULT 0,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            place TEXT NOT NULL,
            address TEXT,
            online_link TEXT,
            theme TEXT,
            guest_speaker TEXT,
            cancelled INTEGER NOT NULL DEFAULT 0,
            fingerprint TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE rsvps (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
            guests INTEGER NOT NULL DEFAULT 0,
            dietary TEXT,
            source TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, member_id)
        );
        CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            member_id INTEGER REFERENCES members(id),
            text TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'topic',
            status TEXT NOT NULL DEFAULT 'proposed',
            created_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            member_id INTEGER REFERENCES members(id),
            meeting_id INTEGER REFERENCES meetings(id),
            recipient TEXT NOT NULL,
            sequence INTEGER NOT NULL DEFAULT 0,
            context TEXT NOT NULL DEFAULT '{}',
            message_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
        CREATE INDEX outbox_meeting ON outbox (meeting_id, kind);
        CREATE TABLE inbound (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            message_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('processed', 'quarantined', 'ignored')),
            category TEXT,
            reason TEXT,
            member_id INTEGER,
            summary TEXT NOT NULL DEFAULT '{}',
            received_at TEXT NOT NULL
        );
        CREATE INDEX inbound_message_id ON inbound (message_id);
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            member_id INTEGER,
            meeting_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE address_failures (
            address TEXT PRIMARY KEY COLLATE NOCASE,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_inbound_state(db: Database) -> None:
    """How far each IMAP folder was read (UIDVALIDITY, last UID); a digest dedupes mail with no Message-ID."""
    _run(
        db,
        """
        CREATE TABLE inbound_state (
            mailbox TEXT PRIMARY KEY,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        ALTER TABLE inbound ADD COLUMN digest TEXT;
        CREATE INDEX inbound_digest ON inbound (digest);
        CREATE INDEX inbound_status_received ON inbound (status, received_at)
        """
    )


@migrations()
def m003_join_requests(db: Database) -> None:
    """Double opt-in: a join request waits here until the requester confirms with its token."""
    _run(
        db,
        """
        CREATE TABLE join_requests (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL,
            created_at TEXT NOT NULL,
            confirmed_at TEXT
        )
        """
    )


@migrations()
def m004_memos(db: Database) -> None:
    """Meeting memos: drafts from the coordinator's notes, approved, then sent to the list and published."""
    _run(
        db,
        """
        CREATE TABLE memos (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            version INTEGER NOT NULL DEFAULT 1,
            notes TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'superseded')),
            author TEXT NOT NULL,
            source_message_id TEXT,
            created_at TEXT NOT NULL,
            approved_at TEXT
        );
        CREATE INDEX memos_meeting ON memos (meeting_id, status)
        """
    )


@migrations()
def m005_inbound_handling(db: Database) -> None:
    """Inbound rows may be 'handling' (recorded before parsing, so a crash or overrun ends in quarantine, not
    a loop), count their attempts and keep the message's size. SQLite cannot alter a CHECK: the table is
    rebuilt with its rows and indexes."""
    _run(
        db,
        """
        CREATE TABLE inbound_new (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            message_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('handling', 'processed', 'quarantined', 'ignored')),
            category TEXT,
            reason TEXT,
            member_id INTEGER,
            summary TEXT NOT NULL DEFAULT '{}',
            received_at TEXT NOT NULL,
            digest TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            size INTEGER
        );
        INSERT INTO inbound_new (id, source, message_id, status, category, reason, member_id, summary,
                                 received_at, digest)
            SELECT id, source, message_id, status, category, reason, member_id, summary, received_at, digest
            FROM inbound;
        DROP TABLE inbound;
        ALTER TABLE inbound_new RENAME TO inbound;
        CREATE INDEX inbound_message_id ON inbound (message_id);
        CREATE INDEX inbound_digest ON inbound (digest);
        CREATE INDEX inbound_status_received ON inbound (status, received_at)
        """
    )


@migrations()
def m006_trust(db: Database) -> None:
    """Join requests whose confirmation waits (the daily cap); counting join confirmations stays fast."""
    _run(
        db,
        """
        ALTER TABLE join_requests ADD COLUMN held_at TEXT;
        CREATE INDEX outbox_kind_created ON outbox (kind, created_at)
        """
    )


@migrations()
def m007_outbound(db: Database) -> None:
    """When a row failed (status shows the newest failures first)."""
    _run(
        db,
        """
        ALTER TABLE outbox ADD COLUMN failed_at TEXT;
        CREATE INDEX outbox_failed ON outbox (status, failed_at)
        """
    )


@migrations()
def m008_privacy_requests(db: Database) -> None:
    """A member's request by mail to erase or export their data, waiting for its one-tap confirmation."""
    _run(
        db,
        """
        CREATE TABLE privacy_requests (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            action TEXT NOT NULL CHECK (action IN ('erase', 'export')),
            code TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            confirmed_at TEXT
        )
        """
    )


@migrations()
def m009_dormant_members(db: Database) -> None:
    """A member may be 'dormant' (silent, asked, no answer: no invitations, still a member); one open
    "are you still interested?" question per member. The status CHECK is widened in place (the documented
    writable_schema edit: no row changes, and a rebuild of `members` would break the tables naming it)."""
    version = int(db.execute("PRAGMA schema_version").fetchone()[0])
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = replace(sql, \"('active', 'left', 'bouncing')\", "
               "\"('active', 'left', 'bouncing', 'dormant')\") WHERE type = 'table' AND name = 'members'")
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    _run(
        db,
        """
        CREATE TABLE member_checks (
            member_id INTEGER PRIMARY KEY REFERENCES members(id),
            asked_at TEXT NOT NULL,
            dormant_at TEXT
        )
        """
    )


@migrations()
def m010_buddies(db: Database) -> None:
    """A first-timer's buddy for one meeting: kept once chosen, so both are mailed about one pair only."""
    _run(
        db,
        """
        CREATE TABLE buddies (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            newcomer_id INTEGER NOT NULL REFERENCES members(id),
            buddy_id INTEGER NOT NULL REFERENCES members(id),
            created_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, newcomer_id)
        )
        """
    )


@migrations()
def m011_absences(db: Database) -> None:
    """Members a coordinator said did not come to a meeting, and the meetings a coordinator reported on at all
    ("alla kom" too): the memo then lists who was present."""
    _run(
        db,
        """
        CREATE TABLE absences (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            recorded_at TEXT NOT NULL,
            source_message_id TEXT,
            PRIMARY KEY (meeting_id, member_id)
        );
        CREATE TABLE attendance_reports (
            meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id),
            recorded_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m012_planner_index(db: Database) -> None:
    """The planner asks "who has not been sent this yet?" (mailer/state/audience.py): one index entry per
    member and kind answers it, without reading the outbox rows."""
    _run(db, "CREATE INDEX outbox_meeting_member ON outbox (meeting_id, member_id, kind, status, sequence)")


@migrations()
def m013_queued_index(db: Database) -> None:
    """The queued rows in id order (the drain reads them oldest first, in batches and ranges): a partial index
    of the queued rows only, so a batch is a range search, not a sort of every queued row."""
    _run(db, "CREATE INDEX outbox_queued ON outbox (id, next_attempt_at) WHERE status = 'queued'")
