"""Compose outgoing mail: an outbox row (or a preview) rendered into one wire-ready message."""

# Everything members share (headers, MIME layout, the calendar without its ATTENDEE line, formatted dates) is
# built once per (meeting, sequence, kind, language) in `skeleton`; the bodies and subject are rendered once
# more per row context with sentinels for the member's fields and filled in per member (`personalise`), or
# rendered in full where a template does more with those fields than print them; then encoded (`encoding`).
# Templates: `templates`; the context each kind gets: `kinds`, `wording`; sample data: `samples`.

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2

from mailer.config import LANGUAGES, Config
from mailer.errors import TemplateError
from mailer.models import Meeting, Member
from mailer.outbound import ics, personalise, reasons, skeleton, templates, thread_headers, tokens, wording
from mailer.outbound.encoding import base64_crlf, encode_address, encode_unstructured, header_name
from mailer.outbound.kinds import (
    ANSWER_WORDS,
    CONTEXT_KEYS,
    COORDINATOR_KINDS,
    FANOUT_KINDS,
    KINDS,
    MEETING_KINDS,
    PARTS,
    normalise_context,
)
from mailer.outbound.samples import sample_context, sample_meetings
from mailer.outbound.wording import first_name, meeting_vars
from mailer.state.store import OutboxRow, Store
from parsers import needs

__all__ = ["CONTEXT_KEYS", "KINDS", "MEETING_KINDS", "PARTS", "Composer", "Rendered", "make_message_id",
           "meeting_vars", "sample_context", "sample_meetings"]

_CACHE_SECONDS = 3600  # a skeleton (and its DTSTAMP) is rebuilt after an hour
_MEETING_SECONDS = 60  # a meeting read from the store is trusted this long within a fan-out
_PLAIN_ADDRESS = re.compile(r"[^\s@<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}")


@dataclass(frozen=True)
class Rendered:
    sender: str  # envelope MAIL FROM
    recipient: str  # envelope RCPT TO
    data: bytes  # the whole RFC 5322 message, CRLF line ends
    message_id: str


def make_message_id(token: str, kind: str, key: str, domain: str) -> str:
    """A Message-ID that is the same on every retry and carries the reply token (for References)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"<{token or 'traffpunkt'}.{kind}.{digest}@{domain}>"


@lru_cache(maxsize=16)
def _quoted_words(language: str) -> dict[str, str]:
    return {k: quote(w, safe="") for k, w in ANSWER_WORDS.get(language, ANSWER_WORDS["en"]).items()}


def _diet_needs(ctx: dict[str, Any], language: str) -> None:
    """The need a member stated ("vegetarian"), not the sentence it was read from ("Jag är vegetarian")."""
    codes = (language, *(c for c in LANGUAGES if c != language))
    if isinstance(ctx.get("dietary"), str) and ctx["dietary"]:
        ctx["dietary"] = needs.need_of(ctx["dietary"], codes)
    elif isinstance(ctx.get("dietary"), list):
        ctx["dietary"] = [
            {**d, "dietary": needs.need_of(str(d.get("dietary") or ""), codes)} if isinstance(d, Mapping) else d
            for d in ctx["dietary"]
        ]


def _reply_to(kind: str, ctx: Mapping[str, Any], reply_address: str) -> bytes:
    """Reply-To: the list (or memo) address; a forwarded question is answered to the member who asked."""
    member = str(ctx.get("reply_to") or "") if kind == "question" else ""
    if member and _PLAIN_ADDRESS.fullmatch(member):
        return encode_address("Reply-To", str(ctx.get("sender_name") or ""), member)
    return f"Reply-To: {reply_address}\r\n".encode()


class Composer:
    """Renders outbox rows (and previews) into wire-ready messages."""

    def __init__(
        self, config: Config, store: Store, secret: bytes, clock: Callable[[], datetime] | None = None,
        personalise: bool = True,
    ) -> None:
        self.config = config
        self._personalise = personalise  # False: every mail rendered in full (the reference the tests compare)
        self.store = store
        self.secret = secret
        self._clock = clock or (lambda: datetime.now(UTC))
        self._envs: dict[str, jinja2.Environment] = {}
        self._folders: dict[str, bool] = {}
        self._skeletons: dict[tuple[Any, ...], skeleton.Skeleton] = {}
        self._meetings: dict[tuple[int, int], tuple[Meeting | None, datetime]] = {}
        self._dates: dict[datetime, str] = {}
        net = config.network
        self._from = encode_address("From", net.from_name or net.name, config.mail.from_address)
        slug = re.sub(r"[^a-z0-9]+", "-", net.list_address.partition("@")[0].lower()).strip("-") or "list"
        self._list_id = encode_address("List-Id", net.name, f"{slug}.{net.domain}")

    # -- public ----------------------------------------------------------------------------------------

    def render(self, row: OutboxRow, now: datetime | None = None) -> Rendered:
        """The message for one outbox row (the Message-ID is the row's, so a retry sends the same one)."""
        now = now or self._clock()
        meeting = self._meeting(row.meeting_id, row.sequence, now) if row.meeting_id else None
        member = row.member  # read with the due rows; asked for only when the row came without it
        if member is None and row.member_id:
            member = self.store.member(row.member_id)
        return self._build(
            row.kind,
            member,
            meeting,
            row.context,
            row.recipient,
            row.message_id,
            max(row.sequence, meeting.sequence) if meeting else row.sequence,
            now,
        )

    def preview(
        self,
        kind: str,
        member: Member,
        meeting: Meeting | None,
        context: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Rendered:
        """The mail `kind` as `member` would get it now (for `traffpunkt preview`)."""
        now = now or self._clock()
        token = tokens.make(self.secret, member.id, meeting.id if meeting else 0)
        mid = make_message_id(
            token,
            kind,
            f"preview:{kind}:{member.id}:{meeting.id if meeting else 0}",
            self.config.network.domain,
        )
        return self._build(
            kind,
            member,
            meeting,
            sample_context(kind) if context is None else context,
            member.address,
            mid,
            meeting.sequence if meeting else 0,
            now,
        )

    def check_render(
        self, kind: str, member: Member, meeting: Meeting | None, context: Mapping[str, Any], now: datetime
    ) -> None:
        """Render `kind` in the member's own language folder only; a TemplateError keeps Jinja's error as context."""
        self._build(kind, member, meeting, context, member.address, "<check@example.org>",
                    meeting.sequence if meeting else 0, now, strict_language=True)

    def warm(self, kinds: Sequence[str] = FANOUT_KINDS) -> int:
        """Compile the templates of `kinds` in every language folder ahead of use (a spare drain worker does it
        while it waits); a template missing or broken is left for its render to report. How many compiled."""
        compiled = 0
        for folder in sorted(p for p in self.config.templates_dir.iterdir() if p.is_dir()):
            if folder.name.startswith(("_", ".")):
                continue
            env = self._env(self._language(folder.name), False)
            for kind in kinds:
                for part in PARTS:
                    try:
                        templates.template(env, f"{kind}.{part}", folder)
                    except TemplateError:
                        continue
                    compiled += 1
        return compiled

    def personalised(self) -> int:
        """How many mails of the skeletons in use were filled in from parts rendered once (not in full)."""
        return sum(sk.forms.filled for sk in self._skeletons.values())

    def network_vars(self) -> dict[str, Any]:
        """What templates know as `network`."""
        return skeleton.network_vars(self.config)

    # -- internals -------------------------------------------------------------------------------------

    def _meeting(self, meeting_id: int, sequence: int, now: datetime) -> Meeting | None:
        key = (meeting_id, sequence)
        hit = self._meetings.get(key)
        if hit is None or abs((now - hit[1]).total_seconds()) > _MEETING_SECONDS:
            if len(self._meetings) > 256:
                self._meetings.clear()
            hit = (self.store.meeting(meeting_id), now)
            self._meetings[key] = hit
        return hit[0]

    def _language(self, wanted: str | None, strict: bool = False) -> str:
        if strict and wanted:
            return wanted
        if not wanted:
            return self.config.network.language
        found = self._folders.get(wanted)
        if found is None:  # asked of the file system once per language and composer
            found = self._folders[wanted] = (self.config.templates_dir / wanted).is_dir()
        return wanted if found else self.config.network.language

    def _env(self, language: str, strict: bool) -> jinja2.Environment:
        key = f"{language}:{strict}"
        env = self._envs.get(key)
        if env is None:
            env = self._envs[key] = templates.environment(
                self.config.templates_dir, language, self.config.network.language, strict)
        return env

    def _skeleton(
        self, kind: str, language: str, meeting: Meeting | None, sequence: int, now: datetime, strict: bool
    ) -> skeleton.Skeleton:
        key = (kind, language, meeting, sequence, strict)
        sk = self._skeletons.get(key)
        if sk is not None and abs((now - sk.built).total_seconds()) < _CACHE_SECONDS:
            return sk
        if len(self._skeletons) > 64:
            self._skeletons.clear()
        env = self._env(language, strict)
        folder = self.config.templates_dir / language
        parts = [templates.template(env, f"{kind}.{part}", folder) for part in PARTS]
        sk = self._skeletons[key] = skeleton.build(self.config, kind, language, meeting, sequence, now, parts)
        return sk

    def _build(
        self,
        kind: str,
        member: Member | None,
        meeting: Meeting | None,
        context: Mapping[str, Any] | None,
        recipient: str,
        message_id: str,
        sequence: int,
        now: datetime,
        strict_language: bool = False,
    ) -> Rendered:
        if kind in MEETING_KINDS and meeting is None:
            raise TemplateError(f"{kind}: needs a meeting")
        ctx = normalise_context(kind, context)
        net = self.config.network
        name = member.name if member else str(ctx.get("name") or "")
        language = self._language(member.language if member else ctx.get("language"), strict_language)
        sk = self._skeleton(kind, language, meeting, sequence, now, strict_language)
        if member is not None and kind != "memo-draft":
            token = tokens.make(self.secret, member.id, meeting.id if meeting else 0)
        else:
            token = str(ctx.get("token") or "")
        # A memo draft is answered to the memo address: the approval (or new notes) goes where notes go.
        base = net.memo_address if kind == "memo-draft" else net.list_address
        local, _, domain = base.partition("@")
        reply_address = f"{local}+{token}@{domain}" if token and net.plus_addressing else base
        words = ANSWER_WORDS.get(language, ANSWER_WORDS["en"])
        tag = quote(f" [{token}]", safe="") if token else ""
        mailto = {k: f"mailto:{reply_address}?subject={w}{tag}" for k, w in _quoted_words(language).items()}
        mailto["approve"] = f"mailto:{reply_address}?subject=OK{tag}&body=OK"
        unsubscribe = f"mailto:{net.list_address}?subject=leave{tag}"
        if kind == "update" and meeting is not None:
            ctx["changes"] = wording.changes(ctx.get("previous"), meeting, self.config, language)
        if kind == "cancellation" and not ctx.get("reason") and meeting is not None:
            ctx["reason"] = sk.shared["meeting"]["note"]
        if kind in ("memo", "memo-draft"):
            wording.next_meeting_words(ctx, self.config, language)
        if kind == "question":
            wording.proposed_words(ctx, self.config, language)
        if kind in ("confirmation", "catering"):
            _diet_needs(ctx, language)
        if kind == "digest":
            ctx["messages"] = [
                {**m, "reason": reasons.translate(str(m.get("reason") or ""), language)}
                if isinstance(m, Mapping)
                else m
                for m in ctx["messages"]
            ]
        personal: dict[str, Any] = {
            "member.name": name,
            "member.first_name": first_name(name),
            "member.address": recipient,
            "member.organisation": member.organisation if member else None,
            "token": token,
            "reply_address": reply_address,
            "unsubscribe": unsubscribe,
            **{f"mailto.{k}": v for k, v in mailto.items()},
        }

        def variables(p: Mapping[str, Any]) -> dict[str, Any]:
            return {
                **sk.shared,
                "ctx": ctx,
                "token": p["token"],
                "reply_address": p["reply_address"],
                "mailto": {k: p[f"mailto.{k}"] for k in mailto},
                "answer_words": words,
                "unsubscribe": p["unsubscribe"],
                "member": {
                    "name": p["member.name"],
                    "first_name": p["member.first_name"],
                    "address": p["member.address"],
                    "organisation": p["member.organisation"],
                },
            }

        try:
            three = (sk.subject, sk.text, sk.html)
            if self._personalise:  # the member's fields joined into parts rendered once (personalise.py)
                raw_subject, text, html = sk.forms.render(
                    self._env(language, strict_language), three, ctx, personal, variables)
            else:
                raw_subject, text, html = personalise.full(three, variables(personal))
            subject = " ".join(raw_subject.split())
            if kind == "memo-draft" and token and f"[{token}]" not in subject:
                subject = f"{subject} [{token}]"  # the reply proves itself even when the plus part is lost
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"{self.config.templates_dir / language}/{kind}: {type(exc).__name__}: {exc}"
            ) from None
        threading = b""
        if isinstance(ctx.get("thread"), Mapping):  # an answer to the member's mail: in its conversation
            subject, threading = thread_headers.apply(kind, subject, ctx["thread"])
        encoded_subject = sk.subjects.get(subject)
        if encoded_subject is None:
            encoded_subject = sk.subjects[subject] = encode_unstructured("Subject", subject)
        mid = message_id if message_id.startswith("<") else f"<{message_id}>"
        date_header = self._dates.get(now)  # one clock value for a whole batch of a drain
        if date_header is None:
            if len(self._dates) > 64:
                self._dates.clear()
            date_header = self._dates[now] = (
                format_datetime(now.astimezone(ZoneInfo(net.timezone))) if now.tzinfo else format_datetime(now))
        parts = [
            f"Date: {date_header}\r\n".encode(),
            self._from,
            encode_address("To", name, recipient),
            encoded_subject,
            f"Message-ID: {mid}\r\n".encode(),
            threading,
            _reply_to(kind, ctx, reply_address),
            self._list_id,
        ]
        if token and kind not in COORDINATOR_KINDS:
            parts.append(f"List-Unsubscribe: <{unsubscribe}>\r\n".encode())
        parts += [sk.top, sk.text_head, text, sk.html_head, html, sk.tail_after_html]
        if sk.cal_before:
            calendar = sk.cal_encoded + base64_crlf(
                sk.cal_rest + ics.attendee_line(header_name(name), recipient) + sk.cal_after)
            parts += [calendar, sk.attachment_head, calendar, sk.closing]
        sender = self.config.mail.from_address
        if member is not None and net.plus_addressing:  # VERP: a bounce names the member it answers
            sender = tokens.bounce_address(sender, tokens.make(self.secret, member.id, 0))
        return Rendered(sender=sender, recipient=recipient, data=b"".join(parts), message_id=mid)
