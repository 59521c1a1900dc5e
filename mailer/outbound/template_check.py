"""`traffpunkt check` for templates: undeclared names read statically, then every kind rendered in every branch."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from mailer.config import LANGUAGES
from mailer.errors import TemplateError
from mailer.models import Meeting, Member
from mailer.outbound.compose import (
    CONTEXT_KEYS,
    KINDS,
    MEETING_KINDS,
    PARTS,
    Composer,
    meeting_vars,
    sample_context,
    sample_meetings,
)

#: The names every template is given (mailer.compose.Composer._build), and Jinja's own globals.
TOP_LEVEL = frozenset(
    {"kind", "language", "network", "meeting", "ctx", "token", "reply_address", "mailto", "answer_words",
     "unsubscribe", "member"}
) | frozenset(jinja2.Environment().globals)
#: The fields of the dictionaries templates read with a dot (`member.first_name`); `ctx` is per kind.
FIELDS: dict[str, frozenset[str]] = {
    "member": frozenset({"name", "first_name", "address", "organisation"}),
    "mailto": frozenset({"yes", "no", "maybe", "leave", "help", "stay", "approve"}),
    "answer_words": frozenset({"yes", "no", "maybe", "leave", "help", "stay"}),
}
#: Context keys the composer adds itself (update: `changes`), and keys only some senders give (the drain's
#: bounce notice lists several `members` refused at once; templates read them with `ctx.get`).
COMPUTED = {"update": {"changes"}, "cancellation": {"reason"}, "bounce-notice": {"members", "refused"}}
#: Methods of a dictionary a template may call on ctx (`ctx.get('members')`).
DICT_METHODS = frozenset({"get", "items", "keys", "values"})
#: At most this many contexts per kind and language (the matrix is a product of a few branch keys).
MAX_CONTEXTS = 400


def problems(composer: Composer) -> list[str]:
    """Each problem once, as "file: line N: what" (missing files, undeclared names, render errors)."""
    base = composer.config.templates_dir
    if not base.is_dir():
        return [f"{base}: templates folder missing"]
    found: list[str] = []
    for lang in LANGUAGES:
        for kind in KINDS:
            for part in PARTS:
                if not (base / lang / f"{kind}.{part}").is_file():
                    found.append(f"{base / lang / f'{kind}.{part}'}: missing")
    found += static_problems(composer)
    incomplete = {Path(p.split(":")[0]).parent.name for p in found if p.endswith(": missing")}
    found += render_problems(composer, [lang for lang in LANGUAGES if lang not in incomplete])
    return list(dict.fromkeys(found))


# -- static: names and fields that no render would have ---------------------------------------------------


def _ctx_keys(kind: str | None) -> set[str]:
    kinds = [kind] if kind else list(KINDS)
    keys: set[str] = set()
    for k in kinds:
        required, defaults = CONTEXT_KEYS.get(k, ((), {}))
        keys |= set(required) | set(defaults) | set(sample_context(k)) | COMPUTED.get(k, set())
    return keys


def _template_files(base: Path) -> Iterator[tuple[Path, str | None]]:
    """Every template file with its kind (None for a shared piece, which any kind may include)."""
    for folder in [*(base / lang for lang in LANGUAGES), base / "_shared"]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".txt", ".html") or not path.is_file():
                continue
            kind = path.name.split(".")[0]
            yield path, (kind if kind in KINDS else None)


def _set_names(ast: nodes.Template) -> set[str]:
    """Names a template assigns at any depth ({% set %}, loops, macros): a piece it includes may read them."""
    out: set[str] = set()
    for node in ast.find_all((nodes.Assign, nodes.For, nodes.Macro, nodes.FromImport, nodes.Import)):
        target = node.target if isinstance(node, (nodes.Assign, nodes.For)) else None
        if isinstance(node, nodes.Macro):
            out.add(node.name)
        elif isinstance(node, nodes.Import):
            out.add(node.target)
        elif isinstance(node, nodes.FromImport):
            out |= {n if isinstance(n, str) else n[1] for n in node.names}
        elif target is not None:
            out |= {n.name for n in target.find_all(nodes.Name)} | (
                {target.name} if isinstance(target, nodes.Name) else set())
    return out


def static_problems(composer: Composer) -> list[str]:
    """Names no template is given, and fields of member, network, meeting, mailto and ctx that do not exist."""
    config = composer.config
    env = composer._env(config.network.language, True)  # the composer's filters, so the AST compiles
    sample = sample_meetings(config)[0]
    fields = {**FIELDS, "meeting": frozenset(meeting_vars(sample, config, "sv")),
              "network": frozenset(composer.network_vars())}
    parsed: list[tuple[Path, str | None, nodes.Template]] = []
    out: list[str] = []
    for path, kind in _template_files(config.templates_dir):
        try:
            parsed.append((path, kind, env.parse(path.read_text(encoding="utf-8"), path.name, str(path))))
        except jinja2.TemplateSyntaxError as exc:
            out.append(f"{path}: line {exc.lineno}: {exc.message}")
        except (OSError, UnicodeDecodeError) as exc:
            out.append(f"{path}: unreadable: {exc}")
    shared_names: set[str] = set()
    for _path, kind, ast in parsed:
        if kind is not None:
            shared_names |= _set_names(ast)
    for path, kind, ast in parsed:
        locals_ = _set_names(ast)
        allowed = TOP_LEVEL | locals_ | (shared_names if kind is None else set())
        for name in sorted(meta.find_undeclared_variables(ast) - allowed):
            line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"), 0)
            out.append(f"{path}: line {line}: '{name}' is undefined (templates are given: "
                       f"{', '.join(sorted(TOP_LEVEL - set(jinja2.Environment().globals)))})")
        ctx_keys = _ctx_keys(kind) | DICT_METHODS
        for node in ast.find_all(nodes.Getattr):
            if not isinstance(node.node, nodes.Name) or node.node.name in locals_:
                continue
            owner = node.node.name
            known = ctx_keys if owner == "ctx" else fields.get(owner)
            if known is not None and node.attr not in known:
                out.append(f"{path}: line {node.lineno}: '{owner}' has no field '{node.attr}'")
    return out


# -- dynamic: every branch rendered -------------------------------------------------------------------------

#: Values that take each branch of the templates: per kind, the keys whose values the templates compare.
_BRANCHES: dict[str, dict[str, list[Any]]] = {
    "reminder": {"answer": ["yes", "maybe", "no", None], "attending": [0, 1, 14], "maybe": [0, 1, 3],
                 "agenda": [[], None]},
    "confirmation": {"answer": ["yes", "no", "maybe", None], "guests": [0, 1, 3],
                     "standing_answer": [None, "yes", "maybe"], "previous_answer": [None, "maybe", "yes"],
                     "topics": [[], ["Gemensam kalender"], ["Gemensam kalender", "Festivaler"]],
                     "needs": [[], None], "offers": [[], None], "dietary": [None, "vegetarisk"],
                     "topics_capped": [False, True], "max_topics": [1, 3], "question_forwarded": [False, True]},
    "ask": {"unsure": [["rsvp"], ["guests"], ["dietary"], ["command"], ["rsvp", "guests", "dietary"]],
            "guests": [0, 1], "dietary": [None, "vegetarisk"], "topics": [[], None], "needs": [[], None],
            "offers": [[], None], "question_forwarded": [False, True]},
    "catering": {"head_count": [0, 1, 14], "members_yes": [0, 1, 12], "guests": [0, 1, 2], "maybe": [0, 1, 3],
                 "dietary": [[], None], "first_timers": [[], None], "sheet": [[], None]},
    "agenda": {"attendees": [0, 1, 14], "agenda_text": ["", None], "notices": [[], None],
               "rolled_over": [[], None], "agenda": [[], None]},
    "memo": {"attendees": [[], None], "agenda": [[], None], "needs": [[], None], "offers": [[], None],
             "rolled_over": [[], None], "next_meeting": [None, "sample"], "next_invitation": [None, "sample"],
             "version": [1, 2], "notes": ["Kort.", "sample"], "present": [False, True]},
    "digest": {"messages": [[], None], "asked": [[], None], "period": [None, "2026-11-20"]},
    "bounce-notice": {"status": ["bouncing", "active"], "reason": [None, "550 user unknown"],
                      "member_name": [None, "Åsa Öberg"], "members": [None, "several"], "refused": [False, True],
                      "bounces": [1, 3]},
    "question": {"proposed": [None, "sample"], "comment": [None, "Senare?"], "applied": [[], None],
                 "sender_name": [None, "Åsa Öberg"], "subject": ["", "Re: Inbjudan"]},
    "question-ack": {"counter": [False, True], "subject": ["", "Re: Inbjudan"]},
    "corrections": {"applied": [[], None], "not_understood": [[], None]},
    "attendance": {"absent": [[], None], "not_recognised": [[], None], "memo_sent": [False, True],
                   "all_came": [False, True]},
    "thanks": {"memo_follows": [False, True]},
    "cancellation": {"reason": [None, "Lokalen är inte ledig."]},
    "update": {"previous": [None, "sample", {"online_link": "https://meet.example.org/old"}]},
    "join-confirm": {"name": [None, "Åsa Öberg"]},
    "leave-confirm": {"name": [None, "Åsa Öberg"]},
}
_BRANCHES["memo-draft"] = _BRANCHES["memo"]
#: The keys whose every value is combined with every other key's values (the branches they nest in).
_OUTER = {"reminder": "answer", "confirmation": "answer", "ask": "unsure", "bounce-notice": "members",
          "question": "proposed", "update": "previous"}


def _value(kind: str, key: str, value: Any) -> Any:
    """None and "sample" stand for the sample context's own value ("several" for a list of two)."""
    sample = sample_context(kind)
    if key == "members" and value == "several":
        return [{"name": "Åsa Öberg", "address": "asa@example.org", "reason": "550 user unknown"},
                {"name": "Jari Mäkinen", "address": "jari@example.org", "reason": "550 no such user"}]
    if value is None and key in sample and isinstance(sample[key], list):
        return sample[key]
    if value == "sample":
        return sample.get(key)
    return value


def contexts(kind: str, nested: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, context) pairs that between them take every branch of `kind`: each key's values one at a time,
    each also under every value of the kind's outer key (with `nested`; else under its first value only)."""
    branches = _BRANCHES.get(kind, {})
    base = sample_context(kind)
    yield "sample", base
    outer = _OUTER.get(kind)
    outer_values = [_value(kind, outer, v) for v in branches[outer]] if outer else [None]
    seen: set[str] = {repr(base)}
    for outer_value, (key, values) in itertools.product(outer_values if nested else outer_values[:1],
                                                         branches.items()):
        for raw in values:
            ctx = dict(base)
            if outer is not None:
                ctx[outer] = outer_value
            ctx[key] = _value(kind, key, raw)
            if repr(ctx) in seen:
                continue  # the same context by another way
            seen.add(repr(ctx))
            if len(seen) > MAX_CONTEXTS:
                return
            yield ", ".join(f"{k}={_short(ctx[k])}" for k in dict.fromkeys([outer, key]) if k is not None), ctx


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, dict):
        return "{...}"
    return repr(value)


def _where(exc: BaseException, base: Path) -> str | None:
    """The template file and line a render error was raised at (Jinja keeps them in the traceback)."""
    cause: BaseException | None = exc
    while cause is not None:
        frames = [f for f in traceback.extract_tb(cause.__traceback__) if f.filename.startswith(str(base))]
        if frames:
            return f"{frames[-1].filename}: line {frames[-1].lineno}"
        cause = cause.__context__
    return None


def render_problems(composer: Composer, languages: list[str]) -> list[str]:
    """Render each kind in each language over `contexts(kind)`, every meeting shape, plus addressing on and off."""
    config = composer.config
    base = config.templates_dir.resolve()
    member = Member(id=1, name="Åsa <Öberg> & Co", address="asa@example.org", organisation="Kulturhuset",
                    language="sv", status="active", joined=datetime(2026, 1, 1, tzinfo=UTC))
    bare = replace(config, network=replace(config.network, plus_addressing=not config.network.plus_addressing))
    composers = [composer, Composer(bare, composer.store, composer.secret)]
    meetings: list[Meeting | None] = list(sample_meetings(config))
    out: list[str] = []
    for lang, kind in itertools.product(languages, KINDS):
        failed: set[str] = set()
        shapes = meetings if kind in MEETING_KINDS else [*meetings, None]
        runs = [(label, ctx, shapes[0], composer) for label, ctx in contexts(kind)]
        # the other meeting shapes (no theme, no link, cancelled; none) under each key's values, and plus
        # addressing switched (it changes only the addresses: the sample context shows them all)
        runs += [(label, ctx, shape, composer) for label, ctx in contexts(kind, nested=False) for shape in shapes[1:]]
        runs += [(label, ctx, shape, other) for label, ctx in contexts(kind) if label == "sample"
                 for shape in shapes for other in composers[1:]]
        for label, ctx, meeting, which in runs:
            now = (meeting.start if meeting else datetime(2026, 12, 3, tzinfo=UTC)) - timedelta(14)
            try:
                which.check_render(kind, replace(member, language=lang), meeting, ctx, now)
            except TemplateError as exc:
                where = _where(exc, base) or f"{base / lang}/{kind}"
                if where in failed:
                    continue
                failed.add(where)
                shape = "no meeting" if meeting is None else ("bare meeting" if meeting.theme is None else "meeting")
                out.append(f"{where}: {str(exc).split(': ', 1)[-1]} (when {label}; {shape})")
    return out
