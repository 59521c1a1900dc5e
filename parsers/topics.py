"""Agenda topics: items under markers and list headers ("Suggested topics:", "Asialistalle ehdottaisin:"),
and topics raised in a sentence ("could we discuss ...", "vill lyfta frågan om ...", "vois ottaa esille ...").
"""

from __future__ import annotations

import re

from parsers.clauses import Clause, Sentence
from parsers.commands import proposes
from parsers.languages import Language, languages
from parsers.lexicons import numbers
from parsers.words import Lexicon, Span, tokens

_BULLET = re.compile(r"^\s*(?:[-*•·–—]|\d{1,2}[.)])\s+(.*)$")
_TRIM = " \t.,!?:;-–—\"'()[]*_"


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_TRIM)


def _last_sentence(text: str) -> tuple[str, str]:
    """("Kommer. Vill föreslå en punkt" ->) ("Kommer.", "Vill föreslå en punkt"), in one pass from the end."""
    for i in range(len(text) - 2, -1, -1):
        if text[i] in ".!?" and text[i + 1].isspace():
            return text[: i + 1], text[i + 1 :].strip()
    return "", text


def _count(words: list[str], lang: str) -> int:
    """How many items a header says follow ("Two things for the agenda", "kahta asiaa", "Två punkter"): 0 if
    none."""
    found = numbers(lang)
    return max((n for w in words if 2 <= (n := found.get(w, 0)) <= 9), default=0)


def _header(line: str, lex: Lexicon | None) -> tuple[str, str, int] | None:
    """For "Suggested topics:" / "Kommer. Vill föreslå en punkt: X": (text before the header, item after, how
    many items the header counts)."""
    if lex is None or ":" not in line:
        return None
    head, _colon, rest = line.partition(":")
    before, head = _last_sentence(head)
    words = [lex.normal(s.word) for s in tokens(head)]
    if len(words) > 24 or not any(c.label in ("topic_word", "discuss") for _s, _e, c in lex.find(words)):
        return None
    if len(words) > 6 and lex.find(words, frozenset({"attend", "against"})):
        before = f"{before} {head}".strip()  # "Kan inte komma, men vill föreslå en punkt": read its answer
    return before, rest.strip(), _count(words, lex.lang)


_INLINE_BULLET = re.compile(r"(?:^|\s)[-*•–—](?=\s)")


def _inline_bullets(rest: str) -> list[str]:
    """"Esityslistalle: - saavutettavuus - yhteinen lipunmyynti": the items of a list typed on one line."""
    if rest[:1] not in "-*•–—":
        return []
    items = [_clean(part) for part in _INLINE_BULLET.split(rest)]
    return [item for item in items if item]


_AND = frozenset({"and", "och", "samt", "ja", "sekä", "&", "plus"})
_ORDINAL = frozenset({"ordinal"})
_ANAPHOR = frozenset({"anaphor"})


def _opens(item: str, spans: list[Span], at: int) -> bool:
    """True when an ordinal opens an item (text start, after ",;:" or "and"), not "the first meeting"."""
    before = item[: spans[at].start].rstrip()
    return not before or before[-1] in ",;:(" or spans[at - 1].word in _AND


_COORDINATOR = frozenset({"and", "och", "samt", "ja", "sekä", "&"})


def _cut_at(item: str, cuts: list[int]) -> list[str]:
    """`item` cut at these character positions (each a coordinator's or a comma's start), the cut word dropped."""
    parts: list[str] = []
    start = 0
    for cut in [*cuts, len(item)]:
        words = item[start:cut].split()
        while words and words[-1].strip(_TRIM).casefold() in _COORDINATOR:
            words.pop()
        while words and words[0].strip(_TRIM).casefold() in _COORDINATOR:
            words.pop(0)
        parts.append(_clean(" ".join(words)))
        start = cut + 1 if cut < len(item) and item[cut] in ",;" else cut
    return parts


def _coordinated(item: str, spans: list[Span], count: int, lead: str, ordinals: set[int],
                 listed: Lexicon | None = None) -> list[str]:
    """Items joined by "and", "och", "ja" or commas, where the text says there are several: a header counting
    them ("Two things: X and Y", "kaksi asiaa: X ja Y") or the same word opening each ("the minibus and the
    membership drive", "prata om X och om Y"; `lead`: the cue's last word, which opened the first). Not "the
    first meeting of the year and the second round": ordinals after it pair the two in one item."""
    ands = [n for n in range(1, len(spans) - 1) if spans[n].word in _COORDINATOR]
    if count >= 2:
        commas = [m.start() for m in re.finditer(r"[,;](?!\d)", item)]
        joined = sorted({spans[n].start for n in ands if not any(0 <= spans[n].start - c <= 2 for c in commas)}
                        | set(commas))
        for cuts in (joined, [spans[n].start for n in ands], commas):
            parts = _cut_at(item, cuts)
            if len(parts) == count and all(parts):
                return parts
        return [item]
    first = {spans[0].word, lead} if spans else set()
    parallel = [spans[n].start for n in ands if spans[n + 1].word in first and n + 2 not in ordinals]
    if not parallel and listed is not None:
        parallel = _listed(item, spans, ands, listed)
    parts = _cut_at(item, parallel) if parallel else []
    return parts if len(parts) >= 2 and all(parts) else [item]


#: The longest item after a list header read as a list of phrases joined by "and" (longer: one matter told).
_LISTED_WORDS = 8
#: Marks of an item that goes on to say something of its matter ("AI and copyright – how should we ...?").
_TOLD = (",", "?", " – ", " — ", " - ", ":")


def _listed(item: str, spans: list[Span], ands: list[int], lex: Lexicon) -> list[int]:
    """After a list header ("Till dagordningen: julfesten och val av ny styrelse"), where "and" joins phrases
    that each name a matter: the right one of two words or more, not opening with a pronoun ("tanssit ja niiden
    järjestelyt"), and in English the left one too ("concert and theatre schedules", "AI and copyright")."""
    if len(spans) > _LISTED_WORDS or len(ands) != 1 or any(mark in item for mark in _TOLD):
        return []
    n = ands[0]
    left, right = spans[:n], spans[n + 1 :]
    if len(right) < 2 or (lex.lang == "en" and len(left) < 2):
        return []
    if lex.find([lex.normal(right[0].word)], _ANAPHOR):
        return []
    return [spans[n].start]


_NUMBER = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)](?=\s)")


def _numbered(item: str) -> list[str]:
    """"1) artist residencies 2) joint ticketing": the items of a numbered list typed on one line (1, 2, ...)."""
    marks = list(_NUMBER.finditer(item))
    if len(marks) < 2 or [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return []
    if item[: marks[0].start()].strip(_TRIM):
        return []
    ends = [m.start() for m in marks[1:]] + [len(item)]
    items = [_clean(item[m.end() : end]) for m, end in zip(marks, ends, strict=True)]
    return items if all(items) else []


def split_items(item: str, lex: Lexicon | None, count: int = 0, lead: str = "", listed: bool = False) -> list[str]:
    """One item naming several ("first, X, and second, Y", "dels X, dels Y", "1) X 2) Y", "Two things: X and
    Y", "the X and the Y"): each one. `count`: how many items a header before it said it holds; `listed`: it
    follows a list header's colon."""
    if lex is None:
        return [item]
    if numbered := _numbered(item):
        return numbered
    spans = tokens(item)
    found = lex.find([lex.normal(s.word) for s in spans], _ORDINAL)
    marks = [m for m in found if _opens(item, spans, m[0])]
    if len(marks) < 2:
        return _coordinated(item, spans, count, lead, {m[0] for m in found}, lex if listed else None)
    items: list[str] = []
    cuts = [(spans[a].start, spans[e - 1].end) for a, e, _c in marks]
    for n, (_start, end) in enumerate(cuts):
        stop = cuts[n + 1][0] if n + 1 < len(cuts) else len(item)
        words = item[end:stop].split()
        while words and words[-1].strip(_TRIM).casefold() in _AND:
            words.pop()
        if _clean(" ".join(words)):
            items.append(_clean(" ".join(words)))
    return items if len(items) >= 2 else [item]


def read_sections(
    lines: list[str], markers: tuple[re.Pattern[str], dict[str, str]], lex: Lexicon | None = None
) -> tuple[dict[str, list[str]], dict[int, str]]:
    """Items under markers ("Ärende: X", "Topic:" with a list below) and topic headers, by kind; and per
    line used, the text left on it for the reader ("Attending. Topic: X" leaves "Attending.")."""
    pattern, kinds = markers
    found: dict[str, list[str]] = {"dietary": [], "topics": [], "needs": [], "offers": [], "speakers": []}
    used: dict[int, str] = {}
    i = 0
    while i < len(lines):
        header: tuple[str, str, int] | None = None
        count = 0
        match = pattern.search(lines[i])
        if match:
            kind = next(kinds[name] for name, value in match.groupdict().items() if value and name != "rest")
            rest, _end, after = match.group("rest").partition(". ")  # "Aihe: X. Kommer själv." reads on
            rest = _clean(rest)
            used[i] = f"{lines[i][: match.start()].strip()} {after}".strip()
            if lex is not None:  # "Two things for the agenda: X and Y"
                count = _count([s.word for s in tokens(_last_sentence(lines[i][: match.end()])[1])], lex.lang)
        else:
            header = _header(lines[i], lex)
            if header is None:
                i += 1
                continue
            kind, rest, count = "topics", _clean(header[1]), header[2]
            used[i] = header[0]
        i += 1
        bullets = _inline_bullets(header[1]) if not match and header is not None else []
        if rest:
            found[kind] += bullets or (split_items(rest, lex, count, listed=True) if kind == "topics" else [rest])
        plain = False
        before = len(found[kind])
        while i < len(lines) and not pattern.search(lines[i]):
            bullet = _BULLET.match(lines[i])
            if bullet:
                item = _clean(bullet.group(1))
            elif not rest and not plain and (not found[kind] if match else len(found[kind]) == before):
                item = _clean(lines[i])
                plain = True
            else:
                break
            if item:
                found[kind].append(item)
            used[i] = ""
            i += 1
    return found, used


def read_topic_phrases(sentences: list[str], lang: Language | None) -> list[str]:
    """Topics raised in fixed words ("jag skulle vilja ta upp frågan om X" -> X)."""
    phrases = sorted(
        {p for candidate in ((lang,) if lang else languages()) for p in candidate.topic_phrases},
        key=len,
        reverse=True,
    )
    topics: list[str] = []
    for sentence in sentences:
        folded = sentence.casefold()
        for phrase in phrases:
            at = folded.find(phrase)
            if at >= 0 and (at == 0 or not folded[at - 1].isalnum()):
                topic = _clean(sentence[at + len(phrase) :])
                if topic:
                    topics.append(topic)
                break
    return topics


_TO_SOMEONE = frozenset({"to", "with", "med"})
# Finnish speaking verbs name their matter in the elative ("puhua vuokrista"); without one it is speaking.
_SPEAK_FI = frozenset({"puhua", "puhuu", "puhumaan"})
_ELATIVE = ("sta", "stä", "siitä")


def lex_words_generic(clause: Clause, end: int) -> bool:
    """True when all that follows a discuss cue is a placeholder ("en punkt", "a topic", "kaksi asiaa")."""
    after = clause.words[end:]
    labels = {c.label for s, _e, c in clause.cues if s >= end}
    return 0 < len(after) <= 3 and "topic_word" in labels


def read_topic_sentences(
    sentences: list[Sentence], lang: Language | None, headers: tuple[str, ...] = (), lex: Lexicon | None = None
) -> tuple[list[str], list[str]]:
    """Topics from sentences: fixed phrases first, else the words after a "discuss" cue. (topics, why).
    `headers`: what stood before a list header's colon, whose items were read already."""
    topics: list[str] = []
    why: list[str] = []
    raised: set[int] = set()  # the sentences a topic was read from
    for sentence in sentences:
        if any(sentence.text in header for header in headers):
            continue
        fixed = read_topic_phrases([sentence.text], lang)
        lone = fixed[0].casefold().split() if len(fixed) == 1 else []
        if lex is not None and len(lone) == 1 and lex.find([lex.normal(lone[0])], _ANAPHOR):
            fixed = []  # "X, kan vi ta upp det?": what "det" stands for, read below
        if fixed:
            topics += [one for topic in fixed for one in split_items(topic, lex)]
            why.append(sentence.text)
            raised.add(sentence.index)
            continue
        proposal = proposes(sentence)
        for n, clause in enumerate(sentence.clauses):
            hits = [(s, e) for s, e, c in clause.cues if c.label == "discuss"]
            if not hits and n == proposal:  # "Could we look at copyright?": what follows the proposal
                hits = [(s, e) for s, e, c in clause.cues if c.label == "propose"][:1]
            if not hits or (clause.has("negator") and not sentence.question):
                continue
            end = hits[-1][1]
            if end < len(clause.words) and clause.words[end] in _TO_SOMEONE:
                continue  # "I'd love to talk to you at the meeting", "vill prata med dig": whom, not what
            if (clause.words[end - 1] in _SPEAK_FI and end < len(clause.words)
                    and not any(w.endswith(_ELATIVE) for w in clause.words)):
                continue  # "puhuu vaan englantia", "puhumaan isossa porukassa": speaking, not of a matter
            rest = clause.text[clause.offsets[end - 1][1] :] if end <= len(clause.offsets) else ""
            rest = " ".join([rest, *(c.text for c in sentence.clauses[n + 1 :])])
            topic = _clean(rest)
            # "ta upp det", "sen ottaa asialistalle"; not "it would be good to ..."
            refers = any(-3 <= a - h <= 3 for a in clause.at("anaphor") for h, _e in hits)
            if refers and len(topic.split()) <= 1 and n > 0 and sentence.question:
                # "Hundrastgården behöver ett nytt staket, kan vi ta upp det?": what the question refers back to
                topic = _clean(" ".join(c.text for c in sentence.clauses[:n]))
            elif refers and len(topic.split()) <= 1 and sentence.index > 0:
                earlier = next((s for s in sentences if s.index == sentence.index - 1), None)
                if earlier is not None and (any(earlier.text in header for header in headers)
                                            or earlier.index in raised):
                    break  # "Har ett ärende: <item>. Det vore bra om någon tog upp det": the item was read
                    # ("Could we look at X? There's been a lot of talk about it.": so was X)
                topic = _clean(f"{earlier.text} {sentence.text}") if earlier else topic  # "Voisiko sen ottaa ..."
            generic = lex_words_generic(clause, hits[-1][1])
            if generic:
                break  # "vill föreslå en punkt": the item follows under a header
            if not topic:  # "could we put X on the agenda?": the topic stands before the cue
                topic = _clean(sentence.text)
            if len(topic) >= 3:  # "prata om X och om Y": the cue's last word opens each
                topics += split_items(topic, lex, lead=clause.words[end - 1] if end > 0 else "")
                why.append(sentence.text)
                raised.add(sentence.index)
            break
    return topics, why
