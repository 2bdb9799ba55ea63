"""From a fetched story page to an ArticleItem: which page class reads it, and what it gives.

Shared by the spiders and by ``wirecrawl reparse``, so that a page stored in ``pages`` is read
offline exactly as it was read online.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from urllib.parse import urlsplit

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.teasers import aggregator_story_key
from wirecrawl.normalise.urls import kcna_story_key
from wirecrawl.pages.aggregator import AggregatorArticlePage
from wirecrawl.pages.dispatch import page_kind
from wirecrawl.pages.kcna_current import KcnaArticlePage
from wirecrawl.pages.kcna_old import KcnaOldArticlePage


class StoryPage(Protocol):
    """What every story page class offers."""

    def title(self) -> str: ...
    def paragraphs(self) -> list[str]: ...
    def is_article(self) -> bool: ...
    def is_blocked(self) -> bool: ...


def site_of(url: str) -> str:
    """The host of a URL without ``www.``: the ``source`` of stories read from it."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def is_kcna(url: str) -> bool:
    """True for a URL on kcna.kp."""
    host = urlsplit(url).hostname or ""
    return host == "kcna.kp" or host.endswith(".kcna.kp")


def story_key(url: str) -> str:
    """The key of a story URL: kcna.kp's hex id, else the aggregator's (``kcnawatch-<id>``)."""
    return kcna_story_key(url) or aggregator_story_key(url)


def read_story(
    url: str, html: str, published: dt.date | None, fetched_at: dt.datetime
) -> tuple[str, ArticleItem | None]:
    """Read a story page. Returns ``("parsed", item)``, or ``("blocked", None)`` for a filter
    page, or ``("not_article", None)`` for a page without the story structure.

    ``published`` is the listing's date of the story, when a listing led to it: the current
    kcna.kp article page prints none. Old-layout and aggregator pages carry their own date,
    used when no listing date is known (never a teaser's date, never the crawl's).
    """
    kind = page_kind(url)
    page: StoryPage
    if kind == "KcnaArticlePage":
        page = KcnaArticlePage(url, html)
    elif kind == "KcnaOldArticlePage":
        old = KcnaOldArticlePage(url, html)
        published = published or old.published()
        page = old
    elif kind is None and not is_kcna(url):
        aggregator = AggregatorArticlePage(url, html)
        published = published or aggregator.published()
        page = aggregator
    else:
        return "not_article", None
    if page.is_blocked():
        return "blocked", None
    if not page.is_article():
        return "not_article", None
    item = ArticleItem(
        url=url,
        story_key=story_key(url),
        source="kcna.kp" if is_kcna(url) else site_of(url),
        title=page.title(),
        paragraphs=page.paragraphs(),
        published=published,
        fetched_at=fetched_at,
    )
    return "parsed", item
