"""Render once, personalise cheaply: a mail's parts rendered with sentinels for the member's fields, then filled."""

# `build` renders subject, text and HTML once with a unique sentinel in place of each member field that has a
# true value (a false one, "" or None, is rendered as itself and is part of the cache key, so a template's
# `{% if member.first_name %}` takes the same branch as for the member), and splits the output at the
# sentinels. `Form.fill` joins in one member's values, HTML-escaped where the template autoescapes, before the
# composer encodes the headers and bodies. Templates that do more with a member field than print or test it
# (`member_uses`) get no form: the composer renders them in full.

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import escape

from mailer.outbound import member_uses
from mailer.outbound.encoding import qp_line, qp_lines, qp_segments, quoted_printable

#: Sentinel brackets: private-use characters; a part whose own text holds one gets no form.
_OPEN, _CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True)
class Part:
    """One rendered part: literal pieces with field indexes between them."""

    pieces: tuple[str, ...]  # len(fields) + 1
    fields: tuple[int, ...]
    escaped: bool
    known: dict[str, bytes]  # quoted-printable of the lines no member field touches (bodies only)
    #: The body encoded once (bodies only): runs of lines no field touches, already quoted-printable, and
    #: each line a field touches as (its pieces, its field indexes), encoded per member.
    segments: tuple[bytes | tuple[tuple[str, ...], tuple[int, ...]], ...] = ()

    def fill(self, values: Sequence[str], escaped_values: Sequence[str]) -> str:
        vals = escaped_values if self.escaped else values
        out = [self.pieces[0]]
        for index, piece in zip(self.fields, self.pieces[1:], strict=True):
            out.append(vals[index])
            out.append(piece)
        return "".join(out)

    def encoded(self, values: Sequence[str], escaped_values: Sequence[str], one_line: bool) -> bytes:
        """The quoted-printable body for these values: the lines they touch are encoded, the rest were.
        `one_line`: no value holds a CR or LF (else the body's lines are not the form's: encoded whole)."""
        if not one_line or not self.segments:
            return quoted_printable(self.fill(values, escaped_values), self.known)
        vals = escaped_values if self.escaped else values
        out: list[bytes] = []
        for seg in self.segments:
            if isinstance(seg, bytes):
                out.append(seg)
                continue
            pieces, fields = seg
            line = [pieces[0]]
            for index, piece in zip(fields, pieces[1:], strict=True):
                line.append(vals[index])
                line.append(piece)
            out.append(qp_line("".join(line)))
        return b"".join(out)


@dataclass(frozen=True)
class Form:
    """Subject, text and HTML of one mail with holes for the member's fields (in `names` order)."""

    names: tuple[str, ...]
    parts: tuple[Part, ...]
    escaped: frozenset[int]  # the fields an autoescaping part prints

    def fill(self, personal: Mapping[str, Any]) -> tuple[str, bytes, bytes]:
        """The raw subject and the quoted-printable text and HTML bodies for one member."""
        values = [str(personal[n]) for n in self.names]
        escaped = [str(escape(v)) if i in self.escaped else v for i, v in enumerate(values)]
        one_line = not any("\n" in v or "\r" in v for v in values)
        subject, text, html = self.parts
        return (subject.fill(values, escaped), text.encoded(values, escaped, one_line),
                html.encoded(values, escaped, one_line))


def full(templates: Sequence[jinja2.Template], variables: dict[str, Any]) -> tuple[str, bytes, bytes]:
    """The raw subject and the quoted-printable bodies, rendered for one member from the templates."""
    subject, text, html = (t.render(variables) for t in templates)
    return subject, quoted_printable(text), quoted_printable(html)


def key(ctx: Mapping[str, Any], personal: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What a form depends on beyond its skeleton: the row's context and which member fields are false (None:
    a context that is not plain JSON data, so no form)."""
    try:
        shape = _SHAPE.encode(ctx)
    except (TypeError, ValueError):
        return None
    return (shape, tuple((n, True if v else v) for n, v in personal.items()))


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


_SHAPE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False, default=_refuse)


def build(
    env: jinja2.Environment,
    templates: Sequence[jinja2.Template],
    personal: Mapping[str, Any],
    variables: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> Form | None:
    """The form of `templates` for members whose fields are false where `personal`'s are; None: render in full."""
    found = [member_uses.uses(env, [t.name or ""]) for t in templates]
    if any(f is None for f in found) or any(not isinstance(v, str) for v in personal.values() if v):
        return None
    names = tuple(n for n in personal if personal[n])
    nonce = secrets.token_hex(8)
    marks = {n: f"{_OPEN}{nonce}{i}{_CLOSE}" for i, n in enumerate(names)}
    try:
        rendered = [t.render(variables({n: marks.get(n, v) for n, v in personal.items()})) for t in templates]
    except jinja2.TemplateError:
        return None
    splitter = re.compile(f"{_OPEN}{nonce}([0-9]{{1,3}}){_CLOSE}")
    parts: list[Part] = []
    for uses, text in zip(found, rendered, strict=True):
        assert uses is not None
        escapes = uses.escapes
        if len(escapes) > 1:
            return None  # a field printed both escaped and not (an .html part including a .txt partial)
        chunks = splitter.split(text)
        pieces, fields = tuple(chunks[0::2]), tuple(int(i) for i in chunks[1::2])
        if any(_OPEN in p or _CLOSE in p or nonce in p for p in pieces):
            return None  # a sentinel was cut or changed (or the shared text holds the brackets itself)
        if any(names[i] not in uses.printed for i in fields):
            return None  # a sentinel printed by something the reader did not see as a plain output
        body = bool(parts)  # the subject comes first; then the text and HTML bodies
        known = qp_lines(text, lambda line: _OPEN in line) if body else {}
        segments = qp_segments(text, lambda line: _split_line(splitter, line)) if body else ()
        parts.append(Part(pieces, fields, escapes == {True}, known, segments))
    return Form(names, tuple(parts), frozenset(i for p in parts if p.escaped for i in p.fields))


def _split_line(splitter: re.Pattern[str], line: str) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """A body line's pieces and field indexes; None for a line no field touches."""
    if _OPEN not in line:
        return None
    chunks = splitter.split(line)
    return tuple(chunks[0::2]), tuple(int(i) for i in chunks[1::2])


_SEEN = object()  # a key met once: its mail was rendered in full


class Forms:
    """One skeleton's forms by key. A key's form is built the second time the key is met (a one-off mail costs
    one render), checked against that member's full render, and used from then on."""

    def __init__(self) -> None:
        self._forms: dict[tuple[Any, ...], object] = {}
        self.filled = 0  # mails personalised from a form (the rest were rendered in full)

    def render(
        self,
        env: jinja2.Environment,
        templates: Sequence[jinja2.Template],
        ctx: Mapping[str, Any],
        personal: Mapping[str, Any],
        variables: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> tuple[str, bytes, bytes]:
        """Subject, text and HTML for one member: filled in from the form, or rendered in full."""
        k = key(ctx, personal)
        hit = self._forms.get(k) if k is not None else None
        if isinstance(hit, Form):
            self.filled += 1
            return hit.fill(personal)
        whole = full(templates, variables(personal))
        if k is None or (hit is None and k in self._forms):
            return whole
        if hit is None:
            if len(self._forms) >= 256:
                self._forms.clear()
            self._forms[k] = _SEEN
            return whole
        try:
            form = build(env, templates, personal, variables)
        except Exception:  # a form is only a shortcut: whatever goes wrong building it, render in full
            form = None
        self._forms[k] = form if form is not None and form.fill(personal) == whole else None
        return whole
