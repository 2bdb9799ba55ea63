"""A page's text as a reader sees it: one line per block of text, in document order.

Pages whose markup is not known (an aggregator's) are read by the structure of their text, not by
class names: every block-level element (``p``, ``div``, ``li``, ``h1``, ``td`` ...) and every
``<br>`` ends a line (so does a newline inside ``<pre>``); inline markup (``a``, ``span``,
``nobr``, ``time`` ...) is dissolved into the line; scripts, styles and hidden elements give
nothing. Each line keeps the links in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsel import Selector

from wirecrawl.normalise.text import clean_text

# fmt: off
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main",
    "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
})
"""Elements that start and end a line of their own."""

SKIPPED_TAGS = frozenset({
    "head", "script", "style", "noscript", "template", "title", "svg", "iframe", "object",
    "select", "textarea",
})
"""Elements whose text a reader never sees as page text."""
# fmt: on

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True, kw_only=True)
class Link:
    """A link inside a line: its ``href`` as written and the part of the line it covers."""

    href: str
    text: str


@dataclass(frozen=True, kw_only=True)
class TextLine:
    """One line of a page's text."""

    text: str
    """The line, markup dissolved and whitespace collapsed (never empty)."""
    links: tuple[Link, ...]
    """The links whose text is in this line, in order (a link around a block counts too)."""
    heading: str | None
    """``h1``..``h6`` when the line is (inside) a heading, else None."""
    times: tuple[str, ...]
    """``datetime`` attributes of ``<time>`` elements in the line."""

    def main_link(self) -> str | None:
        """The ``href`` of the link that carries the line: its text is most of the line."""
        for link in self.links:
            if len(link.text) * 2 >= len(self.text):
                return link.href
        return None


@dataclass
class _Piece:
    text: str
    href: str | None


class _LineBuilder:
    def __init__(self) -> None:
        self.lines: list[TextLine] = []
        self._pieces: list[_Piece] = []
        self._heading: str | None = None
        self._times: list[str] = []

    def add(
        self, text: str | None, href: str | None, heading: str | None, preformatted: bool
    ) -> None:
        if not text:
            return
        if preformatted and "\n" in text:
            first, *rest = text.split("\n")
            self.add(first, href, heading, preformatted=False)
            for part in rest:
                self.end_line()
                self.add(part, href, heading, preformatted=False)
            return
        self._pieces.append(_Piece(text, href))
        if heading is not None and text.strip():
            self._heading = heading

    def end_line(self) -> None:
        text = clean_text("".join(piece.text for piece in self._pieces))
        if text:
            self.lines.append(
                TextLine(
                    text=text,
                    links=self._links(),
                    heading=self._heading,
                    times=tuple(self._times),
                )
            )
        self._pieces, self._heading, self._times = [], None, []

    def _links(self) -> tuple[Link, ...]:
        # Consecutive pieces under the same href are one link.
        links: list[Link] = []
        run: list[_Piece] = []
        for piece in [*self._pieces, _Piece("", None)]:
            if run and piece.href != run[0].href:
                href = run[0].href
                text = clean_text("".join(p.text for p in run))
                if href is not None and text:
                    links.append(Link(href=href, text=text))
                run = []
            run.append(piece)
        return tuple(links)

    # lxml ships no type information: elements are Any here.
    def visit(
        self, element: Any, href: str | None, heading: str | None, preformatted: bool
    ) -> None:
        """Walk the element's tree in document order, adding its text line by line.

        A stack, not recursion: a page nested thousands of levels deep must not raise.
        """
        stack: list[tuple[str, Any, str | None, str | None, bool]] = [
            ("enter", element, href, heading, preformatted)
        ]
        while stack:
            action, node, href, heading, preformatted = stack.pop()
            if action == "text":
                self.add(node, href, heading, preformatted)
            elif action == "end":
                self.end_line()
            else:
                stack.extend(reversed(self._enter(node, href, heading, preformatted)))

    def _enter(
        self, element: Any, href: str | None, heading: str | None, preformatted: bool
    ) -> list[tuple[str, Any, str | None, str | None, bool]]:
        """Open one element; returns what is left to do for it, in order."""
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        if not tag or tag in SKIPPED_TAGS or _hidden(element):
            return []  # comments and processing instructions carry no text (their tail is added)
        if tag == "br":
            self.end_line()
            return []
        block = tag in BLOCK_TAGS
        if block:
            self.end_line()
        if tag == "a" and element.get("href"):
            href = element.get("href").strip()
        if tag in HEADINGS:
            heading = tag
        if tag == "time" and element.get("datetime"):
            self._times.append(element.get("datetime").strip())
        preformatted = preformatted or tag == "pre" or "white-space:pre" in _style(element)
        self.add(element.text, href, heading, preformatted)
        todo: list[tuple[str, Any, str | None, str | None, bool]] = []
        for child in element:
            todo.append(("enter", child, href, heading, preformatted))
            todo.append(("text", child.tail, href, heading, preformatted))
        if block:
            todo.append(("end", None, href, heading, preformatted))
        return todo


def _style(element: Any) -> str:
    return "".join((element.get("style") or "").split()).lower()


def _hidden(element: Any) -> bool:
    return element.get("hidden") is not None or "display:none" in _style(element)


def text_lines(selector: Selector, *, newlines: bool = False) -> list[TextLine]:
    """The lines of text of the page's ``<body>`` (of the whole document if it has none).

    With ``newlines``, every newline in the text ends a line too, as if the whole page were
    ``<pre>``: for pages that print plain text lines without markup between them.
    """
    bodies = selector.xpath("//body")
    root = bodies[0].root if bodies else selector.root
    builder = _LineBuilder()
    if isinstance(getattr(root, "tag", None), str):
        builder.visit(root, None, None, preformatted=newlines)
    builder.end_line()
    return builder.lines
