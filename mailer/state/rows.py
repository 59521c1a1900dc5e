"""Rows as the rest of the daemon sees them: plain dataclasses made from SQLite rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mailer.models import Meeting, Member


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    member_id: int | None
    meeting_id: int | None
    recipient: str
    sequence: int
    context: dict[str, Any]
    message_id: str
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    #: Read with the due rows (`due_outbox`: one query, not one per row): the member the mail is for
    #: (None: no member, or not read with the row), and whether the recipient was known to fail then.
    member: Member | None = None
    address_failing: bool = False


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def to_member(row: Mapping[str, Any]) -> Member:
    return Member(id=row["id"], name=row["name"], address=row["address"], organisation=row["organisation"],
                  language=row["language"], status=row["status"], joined=datetime.fromisoformat(row["joined"]))


def to_meeting(row: Mapping[str, Any]) -> Meeting:
    return Meeting(id=row["id"], date=date.fromisoformat(row["date"]), uid=row["uid"], sequence=row["sequence"],
                   start=datetime.fromisoformat(row["start"]), end=datetime.fromisoformat(row["end"]),
                   place=row["place"], address=row["address"], online_link=row["online_link"], theme=row["theme"],
                   guest_speaker=row["guest_speaker"], cancelled=bool(row["cancelled"]),
                   fingerprint=row["fingerprint"])


def to_outbox(row: Mapping[str, Any]) -> OutboxRow:
    """An outbox row; with the member's columns `m_*` (and `address_failing`) of the due query, its member too."""
    member = None
    if row.get("m_id") is not None:
        member = Member(id=row["m_id"], name=row["m_name"], address=row["m_address"],
                        organisation=row["m_organisation"], language=row["m_language"], status=row["m_status"],
                        joined=datetime.fromisoformat(row["m_joined"]))
    return OutboxRow(id=row["id"], key=row["key"], kind=row["kind"], member_id=row["member_id"],
                     meeting_id=row["meeting_id"], recipient=row["recipient"], sequence=row["sequence"],
                     context=json.loads(row["context"]), message_id=row["message_id"], status=row["status"],
                     attempts=row["attempts"], next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
                     member=member, address_failing=bool(row.get("address_failing")))


@dataclass(frozen=True)
class InboundRow:
    """One inbound message as handled: where it came from and what became of it."""

    id: int
    source: str
    message_id: str | None
    digest: str | None
    status: str
    category: str | None
    reason: str | None
    member_id: int | None
    summary: dict[str, Any]
    received_at: str
    #: How many times handling it began ('handling' rows: 1 = one interrupted attempt).
    attempts: int = 0
    size: int | None = None


def to_inbound(row: Mapping[str, Any]) -> InboundRow:
    return InboundRow(id=row["id"], source=row["source"], message_id=row["message_id"], digest=row["digest"],
                      status=row["status"], category=row["category"], reason=row["reason"],
                      member_id=row["member_id"], summary=json.loads(row["summary"] or "{}"),
                      received_at=row["received_at"], attempts=row["attempts"], size=row["size"])
