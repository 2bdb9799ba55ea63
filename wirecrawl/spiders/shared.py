"""What the spiders share: a base class that reads story pages, and small helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from wirecrawl.extract import read_story
from wirecrawl.items import ArticleItem, PageItem
from wirecrawl.normalise.urls import canonical_url


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def describe(failure: Failure) -> str:
    """What went wrong, in words, even for an exception that carries no message."""
    return str(failure.value) or type(failure.value).__name__


class WireSpider(scrapy.Spider):
    """A spider of the archive: counts its work under ``wirecrawl/`` in the stats, and reads
    story pages the same way whatever led to them."""

    def story_items(
        self, response: Response, published: dt.date | None
    ) -> Iterator[PageItem | ArticleItem]:
        """The page as fetched (kept for reparse, a story or not) and the story it carries;
        a filter page ("Web Page Blocked") gives nothing and is counted and logged loudly."""
        if not isinstance(response, TextResponse):
            self.count("article/not_text")
            self.logger.error(
                "Not a text page (%s): %s", response.headers.get("Content-Type"), response.url
            )
            return
        url = canonical_url(response.url)
        fetched_at = utcnow()
        outcome, item = read_story(url, response.text, published, fetched_at)
        if outcome == "blocked":
            self.count("article/blocked")
            self.logger.error("BLOCKED: a 'Web Page Blocked' filter page answered %s", url)
            return
        yield PageItem(
            url=url,
            status=response.status,
            body=response.body,
            encoding=response.encoding,
            fetched_at=fetched_at,
        )
        if item is None:
            self.count("article/not_article")
            self.logger.error("Not an article page (no headline or body): %s", url)
            return
        self.count("article/parsed")
        yield item

    def count(self, name: str) -> None:
        """Add one to the stat ``wirecrawl/<name>``."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"wirecrawl/{name}")

    # Scrapy calls parse() for responses without a callback; these spiders set one everywhere.
    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """Not used: every request names its callback."""
        return ()
