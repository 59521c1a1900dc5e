"""The MIME skeleton of one mail: the headers, part heads and calendar every member's copy shares."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jinja2

from mailer.config import Config
from mailer.models import Meeting
from mailer.outbound import ics, personalise
from mailer.outbound.encoding import BASE64_LINE, base64_crlf
from mailer.outbound.kinds import CALENDAR_METHODS
from mailer.outbound.wording import meeting_vars


@dataclass
class Skeleton:
    """What every member's copy of one mail shares."""

    subject: jinja2.Template
    text: jinja2.Template
    html: jinja2.Template
    shared: dict[str, Any]
    top: bytes  # shared headers from MIME-Version on, ending with the blank line and the first boundary
    text_head: bytes
    html_head: bytes
    tail_after_html: bytes  # after the HTML part: calendar part head, or the closing boundary
    cal_before: bytes = b""
    cal_after: bytes = b""
    #: The calendar's base64 up to the last whole 57-byte line of `cal_before` (encoded once; base64 lines
    #: are encoded on their own), and what of `cal_before` is left to encode with the member's line.
    cal_encoded: bytes = b""
    cal_rest: bytes = b""
    attachment_head: bytes = b""
    closing: bytes = b""
    built: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    subjects: dict[str, bytes] = field(default_factory=dict)
    forms: personalise.Forms = field(default_factory=personalise.Forms)  # the parts rendered once, per context


def network_vars(config: Config) -> dict[str, Any]:
    """What templates know as `network` (with the lead days the welcome and help mails name)."""
    net = config.network
    return {
        "name": net.name,
        "from_name": net.from_name,
        "list_address": net.list_address,
        "memo_address": net.memo_address,
        "public_url": net.public_url,
        "coordinator": net.coordinators[0] if net.coordinators else net.list_address,
        "invitation_days": config.meetings.invitation_lead_days,
        "reminder_days": config.meetings.reminder_lead_days,
    }


def build(
    config: Config, kind: str, language: str, meeting: Meeting | None, sequence: int, now: datetime,
    templates: list[jinja2.Template],
) -> Skeleton:
    """The shared parts of `kind` in `language` for `meeting` at `sequence`, with its calendar if it has one."""
    shared: dict[str, Any] = {
        "kind": kind,
        "language": language,
        "network": network_vars(config),
        "meeting": meeting_vars(meeting, config, language) if meeting else None,
    }
    tag = hashlib.sha256(
        repr((kind, language, meeting.uid if meeting else "", sequence)).encode()
    ).hexdigest()
    alt, mix = f"=_tp_alt_{tag[:16]}", f"=_tp_mix_{tag[:16]}"
    method = CALENDAR_METHODS.get(kind) if meeting else None
    common = (
        b"Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: OOF, AutoReply\r\n"
        + f"X-Traffpunkt-Kind: {kind}\r\nMIME-Version: 1.0\r\n".encode()
    )
    text_head = (
        b'Content-Type: text/plain; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    html_head = (
        f"\r\n--{alt}\r\n".encode() + b'Content-Type: text/html; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    if method is None or meeting is None:
        return Skeleton(
            subject=templates[0],
            text=templates[1],
            html=templates[2],
            shared=shared,
            top=common
            + f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n--{alt}\r\n'.encode(),
            text_head=text_head,
            html_head=html_head,
            tail_after_html=f"\r\n--{alt}--\r\n".encode(),
            built=now,
        )
    make_calendar = ics.request if method == "REQUEST" else ics.cancel
    cal = make_calendar(meeting, config, stamp=now, language=language, sequence=sequence)
    cal_before, cal_after = ics.split_for_attendee(cal)
    whole = len(cal_before) // BASE64_LINE * BASE64_LINE
    filename = "invite.ics" if method == "REQUEST" else "cancel.ics"
    return Skeleton(
        subject=templates[0],
        text=templates[1],
        html=templates[2],
        shared=shared,
        top=common
        + (
            f'Content-Type: multipart/mixed; boundary="{mix}"\r\n\r\n--{mix}\r\n'
            f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n--{alt}\r\n'
        ).encode(),
        text_head=text_head,
        html_head=html_head,
        tail_after_html=(
            f'\r\n--{alt}\r\nContent-Type: text/calendar; charset="UTF-8"; method={method}\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode(),
        cal_before=cal_before,
        cal_after=cal_after,
        cal_encoded=base64_crlf(cal_before[:whole]),
        cal_rest=cal_before[whole:],
        attachment_head=(
            f'\r\n--{alt}--\r\n\r\n--{mix}\r\nContent-Type: application/ics; name="{filename}"\r\n'
            f'Content-Disposition: attachment; filename="{filename}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode(),
        closing=f"\r\n--{mix}--\r\n".encode(),
        built=now,
    )
