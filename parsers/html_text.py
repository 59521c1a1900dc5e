"""Turn an HTML mail body into plain text, leaving out quoted history (blockquotes, Gmail/Outlook quotes).

A small tokenizer of our own reads the markup in one pass (html.parser rescans an unclosed tag to the end
of the text for every "<", which is quadratic on hostile mail).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

_BLOCK = frozenset(
    "address article aside dd div dl dt footer form h1 h2 h3 h4 h5 h6 header li ol p pre section".split()
    + "table tr ul".split()
)
_SKIP = frozenset({"style", "script", "head", "title", "template", "xml"})
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Quote containers by class or id: Gmail, Yahoo, Thunderbird, Apple Mail, Zimbra, AOL.
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "zmail_extra", "aolreplyheader"}
)
# Containers after which everything is history (Outlook web/desktop, Apple's forwarded block).
_CUT_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
#: HTML is read on this prefix; a member's new text is at the top of it.
MAX_HTML_CHARS = 512 * 1024
#: A tag's attributes are read on this prefix; only class and id matter.
_MAX_TAG_CHARS = 2048
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9:_-]{0,40}+)")
# A tag's rest up to its ">", quoted values may hold ">"; run on a bounded window only.
_TAG_REST = re.compile(r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_ATTRIBUTE = re.compile(r"""([^\s=/>"']++)(?:\s*+=\s*+(?:"([^"]*+)"|'([^']*+)'|([^\s>"']++)))?""")
_RAW_TEXT_END = {tag: re.compile(rf"</{tag}\b", re.IGNORECASE) for tag in ("script", "style")}

Token = tuple[str, str, dict[str, str]]  # (kind, tag or text, attributes); kind: start, end, startend, data


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text[:_MAX_TAG_CHARS]):
        name = match.group(1).casefold()
        if name not in found:
            found[name] = unescape(next((g for g in match.groups()[1:] if g is not None), ""))
    return found


def tokens(html: str) -> Iterator[Token]:
    """Start tags, end tags and text of `html` in one linear pass; broken markup becomes text."""
    i, n = 0, len(html)
    next_gt = -1  # position of the next ">" at or after i, found once and reused
    while i < n:
        lt = html.find("<", i)
        if lt < 0:
            yield ("data", unescape(html[i:]), {})
            return
        if lt > i:
            yield ("data", unescape(html[i:lt]), {})
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            i = n if end < 0 else end + 3
            continue
        if next_gt < lt + 1:
            next_gt = html.find(">", lt + 1)
            if next_gt < 0:
                next_gt = n + 1  # no ">" anywhere after: every "<" from here on is text
        if html.startswith(("<!", "<?"), lt):
            i = min(next_gt + 1, n)
            continue
        name = _TAG_NAME.match(html, lt)
        if name is None or next_gt > n:
            yield ("data", "<", {})
            i = lt + 1
            continue
        rest = _TAG_REST.match(html, name.end(), min(n, name.end() + _MAX_TAG_CHARS))
        close = rest.end() - 1 if rest else next_gt
        tag = name.group(1).casefold()
        inner = html[name.end() : close]
        i = close + 1
        if html.startswith("</", lt):
            yield ("end", tag, {})
            continue
        yield ("startend" if inner.rstrip().endswith("/") else "start", tag, _attributes(inner))
        if tag in _RAW_TEXT_END:  # script and style: raw text up to their end tag
            end_tag = _RAW_TEXT_END[tag].search(html, i)
            if end_tag is None:
                return
            i = end_tag.start()


class _TextExtractor:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self._skip_depth = 0  # inside <style>, <script>, ...
        self._quote_stack: list[str] = []  # tags of open quote containers
        self._depth_in_quote = 0
        self.cut = False

    def feed(self, html: str) -> None:
        for kind, value, attr in tokens(html):
            if self.cut:
                return
            if kind == "data":
                self.handle_data(value)
            elif kind == "end":
                self.handle_endtag(value)
            else:
                self.handle_starttag(value, attr)
                if kind == "startend":
                    self.handle_endtag(value)

    def handle_starttag(self, tag: str, attr: dict[str, str]) -> None:
        if self.cut:
            return
        if self._quote_stack:
            if tag == self._quote_stack[-1]:
                self._depth_in_quote += 1
            return
        if tag in _SKIP:
            self._skip_depth += 1
            return
        classes = set(attr.get("class", "").casefold().split())
        ident = attr.get("id", "").casefold()
        if ident in _CUT_IDS:
            self.cut = True
            return
        if tag == "blockquote" or classes & _QUOTE_CLASSES:
            if tag in _VOID:
                return
            self._quote_stack.append(tag)
            self._depth_in_quote = 0
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("\n________________________________\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self._quote_stack:
            if tag == self._quote_stack[-1]:
                if self._depth_in_quote:
                    self._depth_in_quote -= 1
                else:
                    self._quote_stack.pop()
                    self.parts.append("\n")
            return
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.cut or self._quote_stack or self._skip_depth:
            return
        self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """The visible text of `html` without quoted history; never raises on broken markup."""
    parser = _TextExtractor()
    parser.feed(html[:MAX_HTML_CHARS])
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
