"""What every page class shares: the page's URL and a parsel selector over its HTML."""

from __future__ import annotations

from parsel import Selector

from wirecrawl.normalise.text import clean_text

BLOCKED_MARKER = "Web Page Blocked"


class Page:
    """A fetched page: its URL and HTML, with helpers for the field methods of subclasses."""

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html
        self.selector = Selector(text=html)

    def is_blocked(self) -> bool:
        """True for a network filter page ("Web Page Blocked") answered in place of the site."""
        if "Blocked" not in self.html:
            return False  # the common case, without walking the page's text
        return any(
            BLOCKED_MARKER in text for text in self.selector.xpath("//body//text()").getall()
        )


def text_of(node: Selector) -> str:
    """All the text inside ``node``, inline markup dissolved and whitespace normalised."""
    # lxml's own text walk: the same text as XPath's text() nodes, without building selectors.
    return clean_text("".join(node.root.itertext()))
