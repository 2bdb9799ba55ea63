"""What every page class shares: the page's URL and a parsel selector over its HTML."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # parsel's tree; lxml has no stubs
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from wirecrawl.normalise.text import clean_text

BLOCKED_MARKER = "Web Page Blocked"


class Page:
    """A fetched page: its URL and HTML, with helpers for the field methods of subclasses."""

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html

    @cached_property
    def selector(self) -> Selector:
        """The whole page, parsed when first asked for (a page class that reads only a part of
        the page may never need it)."""
        return parse_html(self.html)

    def is_blocked(self) -> bool:
        """True for a network filter page ("Web Page Blocked") answered in place of the site:
        the words in its title or its text, however the markup, line breaks or no-break
        spaces split them."""
        if "Blocked" not in self.html:
            return False  # the common case, without walking the page's text
        texts = self.selector.xpath("//title//text() | //body//text()").getall()
        return BLOCKED_MARKER in clean_text("".join(texts))


class StoryPage(Page):
    """A page that may carry a story: a headline and body paragraphs."""

    def title(self) -> str:
        """The headline, or ""."""
        raise NotImplementedError

    def paragraphs(self) -> list[str]:
        """The body paragraphs in order, empty ones dropped."""
        raise NotImplementedError

    def story(self) -> tuple[str, list[str]] | None:
        """The headline and the paragraphs, each read once; None without a headline and body
        paragraphs (a page class may ask for more of the article's structure)."""
        title = self.title()
        paragraphs = self.paragraphs() if title else []
        return (title, paragraphs) if paragraphs else None

    def is_article(self) -> bool:
        """True when the page has the article structure (``story`` finds one)."""
        return self.story() is not None


def parse_html(html: str) -> Selector:
    """A selector over ``html``, always read as HTML: without a type, parsel reads a page that
    starts with an XML declaration as XML (whose XHTML namespace none of our queries match)
    and first tries every page as JSON."""
    return Selector(text=html, type="html")


def from_element_on(html: str, tag: str) -> str | None:
    """The page without what stands between its ``<head>`` and its one ``<tag>`` element (a
    page's menus and header, say): its head, then everything from ``<tag`` to its end. None
    unless the page has exactly one ``<tag`` (lower case), after its one ``</head>`` (not inside
    a title, script or style left open) and outside a comment.

    A string test, not a parse: a ``<tag`` written inside a script or an attribute counts
    too, and then the page has two and None is the answer. Whoever uses the part must check
    that it holds what they read, and read the whole page otherwise."""
    opening = f"<{tag}"
    if html.count(opening) != 1 or html.count("</head>") != 1:
        return None
    head_end = html.find("</head>")
    for raw in ("title", "script", "style"):
        # A "</head>" inside an unclosed title (or script) is no end of the head: cut there,
        # the part would swallow what follows into that element.
        if html.count(f"<{raw}", 0, head_end) != html.count(f"</{raw}>", 0, head_end):
            return None
    start = html.find(opening)
    if not 0 <= head_end < start or html[start + len(opening) : start + len(opening) + 1] not in (
        " ", "\t", "\n", "\r", "\f", ">"
    ):  # fmt: skip
        return None
    if html.rfind("<!--", 0, start) > html.rfind("-->", 0, start):
        return None  # inside a comment
    return f"{html[: head_end + len('</head>')]}<body>{html[start:]}"


def text_of(node: Selector) -> str:
    """All the text inside ``node``, inline markup dissolved and whitespace normalised."""
    return element_text(node.root)


def element_text(element: Any) -> str:
    """``text_of`` for an lxml element of the page's tree. A ``<br>`` is a space between the
    words on either side of it; what a ``<script>`` or ``<style>`` holds is no text."""
    if next(element.iter(*_NOT_PLAIN_TEXT), None) is None:
        # lxml's own text walk, the common case: the same text as XPath's text() nodes,
        # without building selectors.
        return clean_text("".join(element.itertext()))
    return clean_text(_text_with_breaks(element))


_NOT_PLAIN_TEXT = ("br", "script", "style")
_NO_TEXT = frozenset({"script", "style"})


def _text_with_breaks(element: Any) -> str:
    """The text inside ``element`` in document order, a space for each ``<br>``, without what
    scripts and styles hold or comments say. A loop, not a recursion: markup may nest deep."""
    parts = [element.text or ""]
    stack = [(iter(element), None)]
    while stack:
        children, owner = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            if owner is not None and owner.tail:
                parts.append(owner.tail)
            continue
        tag = node.tag
        if isinstance(tag, str) and tag not in _NO_TEXT:
            parts.append(" " if tag == "br" else node.text or "")
            stack.append((iter(node), node))
        elif node.tail:  # a comment, a script or a style: only the text after it
            parts.append(node.tail)
    return "".join(parts)


_TRANSLATOR = HTMLTranslator()


def compiled_css(query: str) -> Any:
    """A CSS query compiled once to an lxml XPath, the one ``Selector.css(query)`` runs; called
    with a page's ``root`` it gives the matching elements, without a selector for each. For the
    queries a crawl runs on every story page."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(query))
