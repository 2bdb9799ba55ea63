"""Items the spiders yield. Raw values (as the page printed them) sit beside normalised ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(kw_only=True)
class ArticleItem:
    """One story as read from its page, normalised by the pipelines on its way to storage."""

    url: str
    """Canonical URL of the page the story was read from (``http://www.kcna.kp/en/article/...``)."""
    story_key: str
    """The site's own id of the story: the hex id in its URL."""
    source: str = "kcna.kp"
    """The agency's site the story comes from."""
    language: str = "en"
    """ISO 639-1 code of the story's language."""
    title: str
    """Headline as plain text, whitespace collapsed, leader-name markup dissolved."""
    paragraphs: list[str]
    """Body paragraphs as plain text, in order; the pipelines split off dateline and end mark."""
    published: dt.date | None = None
    """Publication date: from the listing entry that led to the page (the page prints none)."""
    dateline: str | None = None
    """The dateline exactly as printed, e.g. ``Pyongyang, June 1 (KCNA) --``; None if none."""
    dateline_place: str | None = None
    """Place named by the dateline, e.g. ``Pyongyang``."""
    dateline_date: dt.date | None = None
    """Dateline month and day with the year resolved against ``published``; None if unknown."""
    agency: str | None = None
    """Agency tag of the dateline, e.g. ``KCNA``."""
    body: str = ""
    """Body text: paragraphs separated by one blank line, without dateline and end mark."""
    fetched_at: dt.datetime
    """When the page was fetched (UTC, timezone-aware)."""
    page: PageItem | None = None
    """The page as fetched, stored with the story (``pages``); None when read from storage."""


@dataclass(frozen=True, kw_only=True)
class ListingEntry:
    """A listing's link to a story, with the line and the date printed beside it."""

    url: str
    story_key: str
    text: str
    published: dt.date | None


@dataclass(kw_only=True)
class ListingPageItem:
    """The story entries of one listing page: links to stories, each with its line of text
    and its date (``ListingEntry``), and where and when the page was seen."""

    entries: list[ListingEntry]
    """The entries in page order (the teaser pipeline drops a repeat on the same page)."""
    category_id: str | None
    """Hex id of the category whose listing printed them, if it was a category listing."""
    category_name: str | None
    """Human name of that category."""
    seen_on: str
    """URL of the listing page they were seen on."""
    seen_at: dt.datetime
    """When the listing page was fetched (UTC, timezone-aware)."""


@dataclass(kw_only=True)
class PageItem:
    """A story page as fetched, kept so that extraction can be re-run without the network.
    A story's page travels in its ``ArticleItem.page``; a page that holds no story is an item
    of its own."""

    url: str
    """Canonical URL of the page."""
    status: int
    """HTTP status it was answered with."""
    encoding: str
    """The character encoding Scrapy read the body with."""
    fetched_at: dt.datetime
    """When it was fetched (UTC, timezone-aware)."""
    sha256: str
    """SHA-256 of the body as received (decoded from any transfer compression), hex."""
    body_zlib: bytes
    """That body, zlib-compressed as ``pages.body`` stores it."""


@dataclass(kw_only=True)
class StoryGoneItem:
    """A stored story whose page now answers 404: the agency removed it."""

    url: str
    """Canonical URL that answered 404."""
    seen_at: dt.datetime
    """When (UTC, timezone-aware)."""


@dataclass(kw_only=True)
class ListingStateItem:
    """Whether the archive holds all that a category listed: set False when a crawl starts
    reading the category, True when it ends the reading cleanly. A crawl that is killed or
    fails on the way leaves it False, and the next crawl reads the category to its end."""

    category_id: str
    """Hex id of the category."""
    complete: bool
    """True when the reading ended cleanly."""
    at: dt.datetime
    """When (UTC, timezone-aware)."""
    failed: bool = False
    """True when the reading was given up for a failure of the site's (its sessions failing
    after every renewal): not for a crawl stopped or a listing that changed on the way."""
