"""What a stated diet asks for, in the member's words ("Jag är vegetarian" -> "vegetarian"), for the mails."""

from __future__ import annotations

from parsers.clauses import split as clauses_split
from parsers.lexicons import lexicon as _lexicon


def need_of(text: str, codes: tuple[str, ...]) -> str:
    """What a stated diet asks for, in the member's words: "Jag är vegetarian" -> "vegetarian", "I am allergic to
    nuts" -> "allergic to nuts". Per clause, from the first need word (or a negation before it: "ingen fisk", "don't
    eat fish") to the last need word. Read in the language of `codes` whose words cover most of it (ties: the
    first); the text itself when no language finds a need word or the text starts with the need already.
    """
    text = " ".join(str(text or "").split())[:2000]
    best: tuple[int, list[str]] = (0, [])
    for code in codes:
        lex = _lexicon(code)
        if lex is None or not text:
            continue
        found: list[str] = []
        score = 0
        for sentence in clauses_split(text, lex):
            for clause in sentence.clauses:
                if clause.has("diet_none"):
                    continue
                spans = [(s, e) for s, e, c in clause.cues if c.label in ("diet", "diet_identity")]
                if not spans:
                    continue
                start, end = min(s for s, _e in spans), max(e for _s, e in spans)
                negators = clause.at("negator") + clause.at("nobody")
                negators += [i for i, w in enumerate(clause.words) if w.endswith("n't")]
                negators = [n for n in negators if n < start]  # a negation is never cut off: "don't eat fish"
                start = min([start, *negators])
                score += len({s for s, _e in spans}) + len(negators)
                found.append(clause.text[clause.offsets[start][0] : clause.offsets[end - 1][1]])
        if score > best[0]:
            best = (score, found)
    if not best[1] or text.startswith(best[1][0]):
        return text  # no need word, or the text already starts with the need ("glutenfri, ingen fisk")
    return ", ".join(dict.fromkeys(best[1]))
