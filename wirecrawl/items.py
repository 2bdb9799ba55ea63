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


@dataclass(kw_only=True)
class ListingEntryItem:
    """One entry of a listing page: a link to a story with its line of text and its date."""

    url: str
    """Canonical URL of the story the entry links to."""
    story_key: str
    """The site's hex id of the story."""
    text: str
    """The entry's line as printed (markup dissolved, whitespace collapsed)."""
    published: dt.date | None
    """The date printed beside the entry (``[2026.7.19.]``); None if it printed none."""
    category_id: str | None
    """Hex id of the category whose listing printed the entry, if it was a category listing."""
    category_name: str | None
    """Human name of that category."""
    seen_on: str
    """URL of the listing page the entry was seen on."""
    seen_at: dt.datetime
    """When the listing page was fetched (UTC, timezone-aware)."""


@dataclass(kw_only=True)
class PageItem:
    """A story page as fetched, kept so that extraction can be re-run without the network."""

    url: str
    """Canonical URL of the page."""
    status: int
    """HTTP status it was answered with."""
    body: bytes
    """The body as received (decoded from any transfer compression)."""
    encoding: str
    """The character encoding Scrapy read the body with."""
    fetched_at: dt.datetime
    """When it was fetched (UTC, timezone-aware)."""


@dataclass(kw_only=True)
class StoryGoneItem:
    """A stored story whose page now answers 404: the agency removed it."""

    url: str
    """Canonical URL that answered 404."""
    seen_at: dt.datetime
    """When (UTC, timezone-aware)."""


@dataclass(kw_only=True)
class ListingCoverageItem:
    """How far a crawl read one category's listing, so that vanished stories can be told."""

    category_id: str
    """Hex id of the category."""
    oldest: dt.date | None
    """Date of the last entry read; stories after it were all on the pages read."""
    reached_end: bool
    """True when the listing was read to its last page."""
    seen_at: dt.datetime
    """When the reading ended (UTC, timezone-aware)."""


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
