"""Turn an HTML mail body into plain text, leaving out quoted history (blockquotes, Gmail/Outlook quotes)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0  # inside <style>, <script>, ...
        self._quote_stack: list[str] = []  # tags of open quote containers
        self._depth_in_quote = 0
        self.cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if self._quote_stack:
            if tag == self._quote_stack[-1]:
                self._depth_in_quote += 1
            return
        if tag in _SKIP:
            self._skip_depth += 1
            return
        attr = {name: (value or "") for name, value in attrs}
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
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        pass
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
