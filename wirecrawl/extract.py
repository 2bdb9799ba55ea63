"""From a fetched page to what the crawl needs of it: which page class reads it, and what it
gives.

``read_story`` is shared by the spiders and by ``wirecrawl reparse``, so that a page stored in
``pages`` is read offline exactly as it was read online. ``read_fetched_story`` and
``read_fetched_listing`` take a page as downloaded (bytes and the encoding Scrapy read them
with) and do all the work a crawl does on it; the crawl runs them in its page-reading worker
(``wirecrawl.worker``), so what they take and give is plain, picklable data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from w3lib.encoding import html_to_unicode

from wirecrawl.items import ArticleItem, ListingEntry, PageItem
from wirecrawl.normalise.teasers import aggregator_story_key
from wirecrawl.normalise.urls import kcna_story_key
from wirecrawl.pagebody import compress_page
from wirecrawl.pages.aggregator import AggregatorArticlePage
from wirecrawl.pages.base import StoryPage
from wirecrawl.pages.dispatch import page_kind
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage, Pagination
from wirecrawl.pages.kcna_old import KcnaOldArticlePage


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


def _read_story(
    url: str, html: str, published: dt.date | None, fetched_at: dt.datetime
) -> tuple[str, ArticleItem | None, StoryPage | None]:
    """``read_story``, and the page class that read the page (None when none could)."""
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
        return "not_article", None, None
    if page.is_blocked():
        return "blocked", None, page
    story = page.story()
    if story is None:
        return "not_article", None, page
    title, paragraphs = story
    item = ArticleItem(
        url=url,
        story_key=story_key(url),
        source="kcna.kp" if is_kcna(url) else site_of(url),
        title=title,
        paragraphs=paragraphs,
        published=published,
        fetched_at=fetched_at,
    )
    return "parsed", item, page


def read_story(
    url: str, html: str, published: dt.date | None, fetched_at: dt.datetime
) -> tuple[str, ArticleItem | None]:
    """Read a story page. Returns ``("parsed", item)``, or ``("blocked", None)`` for a filter
    page, or ``("not_article", None)`` for a page without the story structure.

    ``published`` is the listing's date of the story, when a listing led to it: the current
    kcna.kp article page prints none. Old-layout and aggregator pages carry their own date,
    used when no listing date is known (never a teaser's date, never the crawl's).
    """
    outcome, item, _page = _read_story(url, html, published, fetched_at)
    return outcome, item


def decode_body(body: bytes, encoding: str) -> str:
    """The text of a body read with ``encoding``, exactly as Scrapy's ``response.text`` gives
    it for a response of that encoding (a byte-order mark wins; bad bytes become U+FFFD)."""
    return html_to_unicode(f"charset={encoding}", body)[1]


def fetched_page(
    url: str, status: int, body: bytes, encoding: str, fetched_at: dt.datetime
) -> PageItem:
    """The page as the archive keeps it: its hash and its zlib-compressed body."""
    return PageItem(
        url=url,
        status=status,
        encoding=encoding,
        fetched_at=fetched_at,
        sha256=hashlib.sha256(body).hexdigest(),
        body_zlib=compress_page(body),
    )


@dataclass(frozen=True, kw_only=True)
class StoryReading:
    """What a fetched story page gave."""

    outcome: str
    """``parsed``, ``blocked`` (a filter page) or ``not_article``."""
    story: ArticleItem | None
    """The story, when ``parsed``; it carries its page in ``page``."""
    page: PageItem | None
    """The page to keep, when not ``blocked`` (a filter page is never stored)."""
    teasers: list[ListingEntry] = field(default_factory=list)
    """An aggregator's story page: the teasers of its "More From" box, in page order."""
    undecodable: bool = False
    """The story's headline or text holds bytes the page's charset could not read (U+FFFD)."""


def read_fetched_story(
    url: str,
    status: int,
    body: bytes,
    encoding: str,
    published: dt.date | None,
    fetched_at: dt.datetime,
) -> StoryReading:
    """A downloaded story page read: ``read_story`` on its text, the page to keep and, for an
    aggregator's story, its teasers."""
    outcome, story, reader = _read_story(url, decode_body(body, encoding), published, fetched_at)
    if outcome == "blocked":
        return StoryReading(outcome=outcome, story=None, page=None)
    page = fetched_page(url, status, body, encoding, fetched_at)
    teasers = []
    undecodable = False
    if story is not None:
        story.page = page
        if isinstance(reader, AggregatorArticlePage):
            teasers = teaser_entries(reader)
        undecodable = "\ufffd" in story.title or any("\ufffd" in p for p in story.paragraphs)
    return StoryReading(
        outcome=outcome, story=story, page=page, teasers=teasers, undecodable=undecodable
    )


def teaser_entries(page: AggregatorArticlePage) -> list[ListingEntry]:
    """An aggregator page's teasers as listing entries (each keyed like a story URL)."""
    return [
        ListingEntry(
            url=teaser.url,
            story_key=story_key(teaser.url),
            text=teaser.text,
            published=teaser.published,
        )
        for teaser in page.teasers()
    ]


@dataclass(frozen=True, kw_only=True)
class ListingReading:
    """What the spider uses of a category listing page of the current layout."""

    url: str
    blocked: bool
    """A filter page ("Web Page Blocked") in place of the listing."""
    entries: list[ListingEntry]
    """The story entries in page order, repeats included."""
    pagination: Pagination | None = None
    """The page counters; None when the page carries none (not a listing)."""
    form_action: str | None = None
    """Where later pages are POSTed; None without the form, or not asked for."""
    form_fields: dict[str, str] = field(default_factory=dict)
    """The form's hidden fields."""
    menu_categories: dict[str, str] = field(default_factory=dict)
    """Category listings linked from the page (id -> name), when asked for."""


def read_fetched_listing(
    url: str, body: bytes, encoding: str, *, form: bool = True, menu: bool = True
) -> ListingReading:
    """A downloaded category listing page (``KcnaListingPage``) read: its entries and its
    counters, and when asked its form (``form``, for page 1) and the site's menu (``menu``,
    for a crawl of every category). The menu holds the most links of the page, so a page read
    for its entries alone costs a third as much."""
    page = KcnaListingPage(url, decode_body(body, encoding))
    return ListingReading(
        url=url,
        blocked=page.is_blocked(),
        entries=page.entries(),
        pagination=page.pagination(),
        form_action=page.form_action() if form else None,
        form_fields=page.form_fields() if form else {},
        menu_categories=page.menu_categories() if menu else {},
    )
