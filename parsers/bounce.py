"""Recognise delivery failures: RFC 3464 DSNs read here, other MTA formats through flufl.bounce."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flufl.bounce import all_failures

from parsers.message import Normalised

_DAEMONS = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|maildelivery|mail-delivery-subsystem|double-bounce|bounce|bounces"
    r"|nobody|mdaemon|mailerdaemon|mail\.?delivery)(?:[+\-.].*)?@",
    re.IGNORECASE,
)
_DAEMON_NAMES = re.compile(
    r"mail delivery (?:subsystem|system|service)|mailer-daemon|postmaster", re.IGNORECASE
)
_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|delivery status notification|delivery (?:has )?fail|mail delivery failed"
    r"|returned mail|failure notice|delivery failure|non[- ]?delivery|could not be delivered|rejected:"
    r"|olevererbar|kunde inte levereras|ej levererat|toimitus epäonnistui|ei voitu toimittaa|unzustellbar"
    r"|non recapitabile|non remis|no se puede entregar|warning: could not send|delayed mail|delivery delayed"
    r"|mail system error|message not delivered|returned to sender|unable to deliver|delivery notification",
    re.IGNORECASE,
)
_BODY = re.compile(
    r"could not be delivered|undeliverable|delivery (?:has )?failed|user unknown|unknown user|no such user"
    r"|mailbox (?:is )?(?:full|unavailable)|recipient address rejected|permanent(?:ly)? (?:fatal )?error"
    r"|message was not delivered|delivery to the following recipients? failed|returned to sender",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_LOCAL = r"A-Za-z0-9._%+=/'!#$&*?^`{|}~-"
# Starts only where a run of address characters starts, and no quantifier gives back: linear on any text.
_ADDR = re.compile(rf"<?(?<![{_LOCAL}])([{_LOCAL}]++@(?:[A-Za-z0-9-]++\.)+[A-Za-z]{{2,}}+)>?")
#: flufl.bounce runs many patterns over every line of every part, once per detector (quadratic in the parts
#: and in a line's length: seconds on one long line; 50 pattern sets a line: 0.5 s on 7,000 short lines): a
#: bounce larger than this, with more parts, lines or a longer line is read without it. The sisimai bounces
#: it reads have at most 74 lines and are all within these bounds; RFC 3464 reports are read by read_dsn first.
MAX_FLUFL_CHARS = 32 * 1024
MAX_FLUFL_PARTS = 20
MAX_FLUFL_LINE = 1000
MAX_FLUFL_LINES = 400
_FLUFL_ADDRESS_FIELDS = frozenset({"from", "to", "cc", "sender", "x-failed-recipients"})
_FLUFL_PART_FIELDS = frozenset({"content-type", "original-recipient", "final-recipient", "x-actual-recipient"})
# flufl.bounce logs every detector it runs at INFO and tracebacks at ERROR; we report through our own fields.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class Bounce:
    """A delivery failure: who failed and whether the DSN calls it permanent (5.x.x) or temporary (4.x.x)."""

    failed_recipients: tuple[str, ...]
    permanent: bool | None
    reason: str


def _dsn_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        name = ""
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and name:
                fields[name] += " " + line.strip()
            elif ":" in line:
                name, _, value = line.partition(":")
                name = name.strip().casefold()
                fields[name] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def _recipient(value: str) -> str | None:
    # "rfc822; anna@example.org" -> anna@example.org
    value = value.split(";", 1)[1] if ";" in value else value
    match = _ADDR.search(value)
    return match.group(1).casefold() if match else None


def read_dsn(texts: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """(permanent, temporary, delivered) recipients of message/delivery-status texts."""
    permanent: list[str] = []
    temporary: list[str] = []
    delivered: list[str] = []
    for text in texts:
        for block in _dsn_blocks(text):
            rcpt_field = block.get("final-recipient") or block.get("original-recipient")
            if not rcpt_field:
                continue
            rcpt = _recipient(block.get("original-recipient", "")) or _recipient(rcpt_field)
            if rcpt is None:
                continue
            action = block.get("action", "").casefold()
            status = _STATUS.search(block.get("status", "") + " " + block.get("diagnostic-code", ""))
            klass = status.group(1) if status else ""
            if action.startswith(("delivered", "relayed", "expanded")) or (klass == "2" and not action):
                delivered.append(rcpt)
            elif action.startswith("delayed") or klass == "4":
                temporary.append(rcpt)
            elif action.startswith(("fail", "error")) or klass == "5":
                permanent.append(rcpt)
    return permanent, temporary, delivered


def _looks_like_bounce(message: Normalised) -> str | None:
    ctype = message.header("content-type").casefold()
    if message.content_type == "multipart/report":
        if "feedback-report" in ctype:
            return "feedback report (ARF)"
        return "multipart/report"
    if message.delivery_status:
        return "delivery-status part"
    if message.header("x-failed-recipients"):
        return "X-Failed-Recipients header"
    if message.header("x-ms-exchange-message-is-ndr"):
        return "Exchange NDR header"
    name, sender = message.from_name, message.from_address or ""
    subject = message.header("subject")
    return_path = message.header("return-path").strip()
    if _DAEMONS.match(sender) or _DAEMON_NAMES.search(name):
        return f"sender {sender or name}"
    null_sender = return_path in ("<>", "") or message.has_rfc822_part
    if _SUBJECTS.search(subject) and null_sender:
        return f"subject {subject[:60]!r}"
    if return_path == "<>" and _BODY.search(message.text[:4000]):
        return "null sender and failure text"
    return None


def _small_enough_for_flufl(message: Normalised) -> bool:
    # Its detectors also parse From, To and X-Failed-Recipients with the stdlib, microseconds an address.
    for name, value in message.msg.raw_items():
        if name.casefold() in _FLUFL_ADDRESS_FIELDS and len(value) > MAX_FLUFL_LINE:
            return False
    total = lines = 0
    for count, part in enumerate(message.msg.walk()):
        # Its detectors parse a part's fields (every parameter on each payload read; each recipient of a
        # delivery-status block as an address list): every field of every part within one line's bound.
        for name, value in part.raw_items():
            if name.casefold() not in _FLUFL_PART_FIELDS:
                continue
            if not isinstance(value, str) or len(value) > MAX_FLUFL_LINE:  # a Header: 8-bit bytes in it
                return False
        try:
            payload = part.get_payload()
        except (ValueError, LookupError):  # 8-bit text with a hostile charset name
            return False
        if isinstance(payload, str):
            total += len(payload)
            lines += payload.count("\n")
            if lines > MAX_FLUFL_LINES:
                return False
            if total <= MAX_FLUFL_CHARS and max(map(len, payload.split("\n"))) > MAX_FLUFL_LINE:
                return False
        if count >= MAX_FLUFL_PARTS or total > MAX_FLUFL_CHARS:
            return False
    return True


def _flufl(message: Normalised) -> tuple[list[str], list[str]]:
    if not _small_enough_for_flufl(message):
        return [], []
    try:
        temporary, permanent = all_failures(message.msg)
    except Exception:  # noqa: BLE001 - a detector crashing on odd input must not stop parsing
        return [], []

    def text(items: frozenset[bytes]) -> list[str]:
        return sorted(
            {item.decode("ascii", "replace").strip("<>").casefold() for item in items if b"@" in item}
        )

    return text(permanent), text(temporary)


def detect(message: Normalised) -> Bounce | None:
    """The delivery failure `message` reports, or None when it is no bounce."""
    why = _looks_like_bounce(message)
    if why is None:
        return None
    permanent, temporary, delivered = read_dsn(message.delivery_status)
    if not (permanent or temporary):
        permanent, temporary = _flufl(message)
    if not (permanent or temporary):
        failed = [a.casefold() for a in _ADDR.findall(message.header("x-failed-recipients"))]
        if failed:
            permanent = failed
    if delivered and not (permanent or temporary) and why in ("multipart/report", "delivery-status part"):
        return None  # a success DSN ("Action: delivered") is no failure
    # With permanent failures, the delayed addresses of the same report may still arrive: report the failed.
    recipients = tuple(dict.fromkeys(permanent or temporary))
    state = True if permanent else (False if temporary else None)
    return Bounce(failed_recipients=recipients, permanent=state, reason=f"bounce: {why}")
