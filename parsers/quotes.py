"""Cut quoted history, attribution lines, header blocks and signatures from a reply's text.

Each line is classified (empty, delimiter, signature, embedded-mail marker, header field, quote, text) with
rules taken from `parsers/lang/*.toml` and the client languages of `parsers/lang/quotes/*.toml`, then the
sequence of kinds decides what is the member's new text (the idea of Discourse's email_reply_trimmer,
written afresh). Every step is linear in the bounded text it reads.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from parsers.languages import languages

EMPTY, DELIMITER, SIGNATURE, EMBEDDED, HEADER, QUOTE, TEXT, SEPARATOR = "edsbhqtx"
_MAX_ATTRIBUTION_LINES = 5
_MAX_ATTRIBUTION_CHARS = 320
_MAX_WRAPPED_STARTS = 100
#: A phone or app signature is one short line; a longer "Sent from my office, ..." is the member's text.
_MAX_SIGNATURE_CHARS = 80
#: Quote stripping reads at most this much of a text (cut at a line end): a member's new text is at the top.
MAX_INPUT_CHARS = 256 * 1024
#: A line is classified on this prefix of it; the rest of a longer line cannot change what kind it is.
MAX_LINE_CHARS = 2000
#: Only the first lines are classified (a member's new text and the start of the history are at the top).
MAX_INPUT_LINES = 1000


@dataclass(frozen=True, slots=True)
class _Rules:
    delimiter: re.Pattern[str]
    signature: re.Pattern[str]
    disclaimer: re.Pattern[str]
    quote: re.Pattern[str]
    verb: re.Pattern[str]
    verbs: dict[str, tuple[str, ...]]  # by first letter, longest first
    date_start: re.Pattern[str]
    clue: re.Pattern[str]
    header: re.Pattern[str]
    header_from: re.Pattern[str]
    separator: re.Pattern[str]
    fence: re.Pattern[str]


def _alt(items: list[str]) -> str:
    return "|".join(items) if items else r"(?!x)x"


_CASEFOLDED = ("attribution_verbs", "header_from", "header_fields", "separators")


@cache
def _client_quotes() -> dict[str, tuple[str, ...]]:
    """The [quotes] lists of parsers/lang/*.toml and of the client-language files in parsers/lang/quotes/."""
    found: dict[str, list[str]] = {key: [] for key in (*_CASEFOLDED, "signatures", "disclaimers")}
    for lang in languages():
        for key in found:
            found[key] += getattr(lang, key)
    folder = resources.files("parsers").joinpath("lang", "quotes")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            table = tomllib.loads(entry.read_text(encoding="utf-8")).get("quotes", {})
            for key in found:
                values = table.get(key, [])
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f"{key}: expected a list of strings")
                found[key] += [v.casefold() for v in values] if key in _CASEFOLDED else values
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"quotes/{entry.name}: {exc}") from exc
    return {key: tuple(dict.fromkeys(values)) for key, values in found.items()}


def _is_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


@cache
def _rules() -> _Rules:
    lists = _client_quotes()
    by_length = sorted(lists["attribution_verbs"], key=len, reverse=True)
    fields = set(lists["header_fields"]) | {"date", "reply-to", "cc", "bcc"}
    froms = set(lists["header_from"])
    field_alt = _alt(sorted((re.escape(f) for f in fields | froms), key=len, reverse=True))
    # A verb in a script without spaces ("...10:02写道：") needs no word boundary before it.
    words = _alt([re.escape(v) for v in by_length if not _is_cjk(v)])
    cjk = _alt([re.escape(v) for v in by_length if _is_cjk(v)])
    separators = _alt([re.escape(s.rstrip(":.：")) for s in lists["separators"]])
    return _Rules(
        # Every pattern here is run per line on a bounded prefix, and none has overlapping quantifiers.
        delimiter=re.compile(r"\s*+(?:\u1427|[-_=*~#+\u2014\u2013]{2,}+)\s*+"),
        signature=re.compile(_alt(list(lists["signatures"])), re.IGNORECASE),
        disclaimer=re.compile(_alt(list(lists["disclaimers"])), re.IGNORECASE),
        quote=re.compile(r"\s*+(?:>|[A-Za-z]{1,10}+>(?=\s|>|$))"),
        verb=re.compile(rf"\b(?:{words})|(?:{cjk})", re.IGNORECASE),
        verbs={c: tuple(v for v in by_length if v[:1] == c) for c in {v[:1] for v in by_length}},
        date_start=re.compile(
            r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b(?:.{0,80}\d{1,2}[:.]\d{2}|.{0,120}(?:<[^>@]*+@|:\s*+$))"
        ),
        clue=re.compile(r"@|\d{1,2}[:.]\d{2}|\b(?:19|20)\d{2}\b"),
        header=re.compile(rf"\s*+\*{{0,2}}+(?:{field_alt})\*{{0,2}}+\s*+[:：]", re.IGNORECASE),
        header_from=re.compile(
            rf"\s*+\*{{0,2}}+(?:{_alt([re.escape(f) for f in froms])})\*{{0,2}}+\s*+[:：]", re.IGNORECASE
        ),
        separator=re.compile(rf"[\s\-_*=<>]*+(?:{separators})\s*+[:.：]?[\s\-_*=<>]*+", re.IGNORECASE),
        fence=re.compile(r"\s*+(?:```|~~~)"),
    )


_VERB_TAIL = re.compile(r"\s*+[:：\-]*+\s*+-*+")
_COLONS = (":", "：")


def _verb_ends(text: str, rules: _Rules) -> bool:
    """True when an attribution verb closes `text`: "... wrote:", "... skrev Anna <a@b>:", "On ... wrote ---".

    A verb, then only colons, dashes and spaces; or a verb, then at most 160 characters without "!" or "?"
    up to a final colon (a linear scan instead of the backtracking `.*\bverb...` pattern).
    """
    for match in rules.verb.finditer(text):
        if _VERB_TAIL.fullmatch(text, match.end()):
            return True
        # A shorter verb may end where a longer one ("skrev följande") did not.
        for verb in rules.verbs.get(text[match.start() : match.start() + 1].casefold(), ()):
            end = match.start() + len(verb)
            if text[match.start() : end].casefold() != verb or text[end : end + 1].isalnum():
                continue
            if text[end : end + 1] == "_":
                continue  # no word boundary after the verb
            body = text[end:].rstrip("-").rstrip()
            if body.endswith(_COLONS) and len(body) <= 161 and "!" not in body and "?" not in body:
                return True
    return False


def _is_attribution(text: str, rules: _Rules, *, verb_possible: bool = True) -> bool:
    text = text.strip(" \t>-*_")
    if len(text) > _MAX_ATTRIBUTION_CHARS or not rules.clue.search(text):
        return False
    return (verb_possible and _verb_ends(text, rules)) or bool(rules.date_start.match(text))


def _classify(lines: list[str]) -> list[str]:
    """One kind per line; `lines` are the bounded prefixes of the text's lines."""
    rules = _rules()
    kinds: list[str] = []
    in_fence = False
    for line in lines:
        stripped = line.strip()
        if rules.fence.match(line):
            in_fence = not in_fence
            kinds.append(TEXT)
        elif in_fence:
            kinds.append(TEXT)
        elif not stripped.strip(">"):
            kinds.append(EMPTY)
        elif rules.delimiter.fullmatch(line) or rules.disclaimer.match(stripped):
            kinds.append(DELIMITER)
        elif len(stripped) <= _MAX_SIGNATURE_CHARS and rules.signature.fullmatch(stripped.strip("()*_")):
            kinds.append(SIGNATURE)
        elif rules.separator.fullmatch(stripped):
            kinds.append(SEPARATOR)
        elif _is_attribution(stripped, rules):
            kinds.append(EMBEDDED)
        elif rules.quote.match(line):
            kinds.append(QUOTE)
        elif rules.header.match(line):
            kinds.append(HEADER)
        else:
            kinds.append(TEXT)
    _mark_wrapped_attributions(lines, kinds, rules)
    _mark_shaped_attributions(lines, kinds)
    _mark_header_blocks(lines, kinds, rules)
    return kinds


_TIME_OR_YEAR = re.compile(r"\d{1,2}[:.]\d{2}|(?:19|20)\d{2}")


def _mark_shaped_attributions(lines: list[str], kinds: list[str]) -> None:
    """A line with an address and a time or year that ends with a colon, right above quoted lines, is an
    attribution in any language, with or without a verb ("вт, 24 нояб. 2026 г. в 10:02, Anna <a@b>:")."""
    for i, kind in enumerate(kinds):
        if kind != TEXT:
            continue
        text = lines[i].strip(" \t>-*_")
        if len(text) > _MAX_ATTRIBUTION_CHARS or not text.endswith(_COLONS) or "@" not in text:
            continue
        if not _TIME_OR_YEAR.search(text):
            continue
        j = i + 1
        while j < len(kinds) and kinds[j] == EMPTY:
            j += 1
        if j < len(kinds) and kinds[j] == QUOTE:
            kinds[i] = EMBEDDED


def _ends_sentence(line: str) -> bool:
    """True when `line` ends a sentence; a day number ("... schrieb am Fr., 28.") does not."""
    line = line.rstrip()
    if line.endswith(("!", "?")):
        return True
    return line.endswith(".") and not line[-2:-1].isdigit()


def _mark_wrapped_attributions(lines: list[str], kinds: list[str], rules: _Rules) -> None:
    """Mark attribution lines that a client wrapped over several lines ("... <\na@b> wrote:")."""
    verb_in: dict[int, bool] = {}  # whether a line holds a verb: looked up once per line, not per window

    def has_verb(k: int) -> bool:
        if k not in verb_in:
            verb_in[k] = len(lines[k]) <= _MAX_ATTRIBUTION_CHARS and rules.verb.search(lines[k]) is not None
        return verb_in[k]

    starts = 0  # a real mail has a few candidate starts; hostile text thousands, each costing a window
    for i, kind in enumerate(kinds):
        if kind not in (TEXT, EMBEDDED) or not rules.clue.search(lines[i]):
            continue
        if kind == EMBEDDED and lines[i].rstrip(" -*_").endswith(_COLONS):
            continue
        if _ends_sentence(lines[i]):
            continue
        starts += 1
        if starts > _MAX_WRAPPED_STARTS:
            return
        window = lines[i].strip()
        verb_seen = has_verb(i)
        for j in range(i + 1, min(i + _MAX_ATTRIBUTION_LINES, len(lines))):
            if kinds[j] == EMPTY:
                continue
            if kinds[j] == EMBEDDED and (lines[j].lstrip()[:1].isupper() or lines[j].lstrip()[:1].isdigit()):
                break  # a complete attribution of its own starts here
            window = f"{window} {lines[j].strip()}"
            if len(window) > _MAX_ATTRIBUTION_CHARS:
                break
            # A verb in a line, or one a wrap split between two lines ("a\nécrit"): else only a date can make it.
            verb_seen = verb_seen or has_verb(j) or bool(rules.verb.search(f"{lines[j - 1][-40:]} {lines[j][:40]}"))
            ends = window.rstrip(" -*_").endswith(_COLONS) or (verb_seen and _verb_ends(window.strip(" >-*_"), rules))
            if ends and _is_attribution(window, rules, verb_possible=verb_seen):
                for k in range(i, j + 1):
                    kinds[k] = EMBEDDED
                break
            if kinds[j] not in (TEXT, HEADER) or _ends_sentence(lines[j]):
                break


def _mark_header_blocks(lines: list[str], kinds: list[str], rules: _Rules) -> None:
    """A "From:" line followed by two more header fields opens a quoted header block; mark it all."""
    for i, kind in enumerate(kinds):
        if kind != HEADER or not rules.header_from.match(lines[i]):
            continue
        following = [k for k in kinds[i + 1 : i + 8] if k != EMPTY]
        if following[:2].count(HEADER) == 2 or following[:4].count(HEADER) >= 3:
            kinds[i] = EMBEDDED
            j = i + 1
            # The block runs to its first empty line (a folded Subject continues on a text line).
            while j < len(kinds) and kinds[j] in (HEADER, TEXT):
                kinds[j] = EMBEDDED
                j += 1


def _drop(kinds: list[str], lines: list[str], kind: str) -> tuple[list[str], list[str]]:
    keep = [i for i, k in enumerate(kinds) if k != kind]
    return [kinds[i] for i in keep], [lines[i] for i in keep]


def _only(pattern: str, start: int, end: int, allowed: str) -> bool:
    """True when every kind in pattern[start:end] is one of `allowed`."""
    return not pattern[start:end].strip(allowed)


def _bottom_posted_start(pattern: str) -> int | None:
    """Where the new text starts in a bottom-posted reply: markers, then quotes, then text to the end.

    The linear form of `e*(?:[bh]+[eh]*)+q[eq]*(t[te]*)` (which backtracks exponentially on a run of h).
    """
    first_t = pattern.find(TEXT)
    first_q = pattern.find(QUOTE, 0, first_t) if first_t >= 0 else -1
    if first_q < 0:
        return None
    head = pattern[:first_q]
    if not _only(pattern, 0, first_q, "ebh") or not head.strip(EMPTY)[:1]:
        return None
    if not _only(pattern, first_q, first_t, "eq") or not _only(pattern, first_t, len(pattern), "te"):
        return None
    return first_t


def _marker_after_text(pattern: str) -> int | None:
    """A marker after text with no quote below it, or with only history then text below it.

    The linear form of `te*b[^q]*$` or else `te*b[eqbh]*[te]*$`: the index of that text line.
    """
    candidates: list[tuple[int, int]] = []  # (index of the t, index of its b), left to right
    i = pattern.find(TEXT)
    while i >= 0:
        j = i + 1
        while j < len(pattern) and pattern[j] == EMPTY:
            j += 1
        if j < len(pattern) and pattern[j] == EMBEDDED:
            candidates.append((i, j))
        i = pattern.find(TEXT, j)
    last_q = pattern.rfind(QUOTE)
    for t_index, b_index in candidates:
        if b_index > last_q:
            return t_index
    last_marker = max(pattern.rfind(QUOTE), pattern.rfind(EMBEDDED), pattern.rfind(HEADER))
    last_t_before = pattern.rfind(TEXT, 0, max(last_marker, 0))
    for t_index, b_index in candidates:
        if last_t_before < b_index:
            return t_index
    return None


def _text_before_headers(pattern: str) -> int | None:
    """The text line above three header fields in a row (quotes and empty lines between): `t[eq]*h{3,}`."""
    i = pattern.find(TEXT)
    while i >= 0:
        j = i + 1
        while j < len(pattern) and pattern[j] in "eq":
            j += 1
        if pattern.startswith(HEADER * 3, j):
            return i
        i = pattern.find(TEXT, j)
    return None


def _trim(text: str) -> tuple[list[str], list[str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n", MAX_INPUT_LINES)[:MAX_INPUT_LINES]
    kinds = _classify([line[:MAX_LINE_CHARS] for line in lines])
    pattern = "".join(kinds)
    if DELIMITER in pattern:
        cut = pattern.index(DELIMITER)
        kinds, lines = kinds[:cut], lines[:cut]
    kinds, lines = _drop(kinds, lines, SIGNATURE)
    pattern = "".join(kinds)
    # "-----Original Message-----" after new text: everything below it is history.
    first_t = pattern.find(TEXT)
    cut = pattern.find(SEPARATOR, first_t + 1) if first_t >= 0 else -1
    if cut >= 0:
        kinds, lines = kinds[:cut], lines[:cut]
    kinds = [EMBEDDED if kind == SEPARATOR else kind for kind in kinds]
    pattern = "".join(kinds)
    # Bottom-posted reply: quoted history first, the new text at the end.
    start = _bottom_posted_start(pattern)
    if start is not None:
        kinds, lines = kinds[start:], lines[start:]
        pattern = pattern[start:]
    # A marker after text, followed by no quote or by quoted history to the end: keep the text above it.
    found = _marker_after_text(pattern)
    if found is not None:
        kinds, lines = kinds[: found + 1], lines[: found + 1]
    kinds, lines = _drop(kinds, lines, EMBEDDED)
    pattern = "".join(kinds)
    # Three header fields in a row (a header block without its "From:"): keep the text above.
    found = _text_before_headers(pattern)
    if found is not None:
        kinds, lines = kinds[: found + 1], lines[: found + 1]
    pattern = "".join(kinds)
    # Quoted history at the end, after some text.
    tail = len(pattern.rstrip("eq"))
    if tail < len(pattern) and TEXT in pattern:
        kinds, lines = kinds[:tail], lines[:tail]
    return kinds, lines


def strip_quotes(text: str, *, keep_inline_quotes: bool = False) -> str:
    """The new text of a reply: quoted history, attribution lines and signatures removed.

    With `keep_inline_quotes`, "> " lines that sit between pieces of new text (an interleaved answer) stay,
    as Discourse's trimmer keeps them; by default every quoted line goes, which is what a member's body is.
    """
    if len(text) > MAX_INPUT_CHARS:
        cut = text.rfind("\n", 0, MAX_INPUT_CHARS)
        text = text[: cut if cut > 0 else MAX_INPUT_CHARS]
    if not text.strip():
        return ""
    kinds, lines = _trim(text)
    if not keep_inline_quotes:
        kinds, lines = _drop(kinds, lines, QUOTE)
        lines = ["" if kind == EMPTY else line for kind, line in zip(kinds, lines, strict=True)]
    if not any(kind in (TEXT, QUOTE, HEADER) for kind in kinds):
        return ""
    return "\n".join(line.rstrip() for line in lines).strip("\n")
