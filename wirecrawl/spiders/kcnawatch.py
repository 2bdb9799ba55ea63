"""The ``kcnawatch`` spider: KCNA stories as an aggregator republishes them, page by page.

    scrapy crawl kcnawatch -a url=https://kcnawatch.org/newstream/<unix time>-<id>/<slug>/[,...]

Each page gives its story (an ArticleItem; the pipelines split off dateline and end mark) and one
ListingEntryItem per teaser of its "More From <source>" box. Teasers are recorded, not followed.
The page class ``AggregatorArticlePage`` reads the pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from wirecrawl.extract import read_story, site_of, story_key
from wirecrawl.items import ListingEntryItem, PageItem
from wirecrawl.normalise.urls import canonical_url
from wirecrawl.pages.aggregator import AggregatorArticlePage
from wirecrawl.spiders.shared import describe, utcnow


def page_urls(argument: str | None) -> list[str]:
    """The pages named by ``-a url=`` (comma separated), canonicalised; ValueError if none."""
    urls = [u.strip() for u in (argument or "").split(",") if u.strip()]
    if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
        raise ValueError(f"-a url= needs absolute http(s) URLs of article pages, got {argument!r}")
    return [canonical_url(u) for u in urls]


class KcnawatchSpider(scrapy.Spider):
    """Reads the aggregator article pages given with ``-a url=``: story and teasers."""

    name = "kcnawatch"

    def __init__(self, url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = {"url": url} if url is not None else {}
        self.urls = page_urls(url)
        # Stay on the aggregator's sites (with or without www.); teasers are not followed.
        self.allowed_domains = sorted({site_of(u) for u in self.urls})

    @classmethod
    def check_arguments(cls, url: str | None = None, **kwargs: Any) -> None:
        """Raise ValueError for bad ``-a`` values, before the crawl makes any request."""
        page_urls(url)

    async def start(self) -> AsyncIterator[Any]:
        """The pages given with ``-a url=``."""
        for url in self.urls:
            self._count("article/requested/asked")
            yield Request(url, callback=self.parse_article, errback=self.article_failed)

    def parse_article(self, response: Response) -> Iterator[Any]:
        """An aggregator page: its story, then a listing entry per teaser."""
        if not isinstance(response, TextResponse):
            self._count("article/not_text")
            self.logger.error(
                "Not a text page (%s): %s", response.headers.get("Content-Type"), response.url
            )
            return
        url = canonical_url(response.url)
        fetched_at = utcnow()
        outcome, item = read_story(url, response.text, None, fetched_at)
        if outcome == "blocked":
            self._count("article/blocked")
            self.logger.error("BLOCKED: a 'Web Page Blocked' filter page answered %s", url)
            return
        # Kept as fetched: the page is read by the structure of its text, which can be re-read.
        yield PageItem(
            url=url,
            status=response.status,
            body=response.body,
            encoding=response.encoding,
            fetched_at=fetched_at,
        )
        if item is None:
            self._count("article/not_article")
            self.logger.error("Not an article page (no headline, dateline or end mark): %s", url)
            return
        self._count("article/parsed")
        yield item
        page = AggregatorArticlePage(url, response.text)
        for teaser in page.teasers():
            self._count("listing/entries")
            yield ListingEntryItem(
                url=teaser.url,
                story_key=story_key(teaser.url),
                text=teaser.text,
                published=teaser.published,
                category_id=None,
                category_name=None,
                seen_on=url,
                seen_at=fetched_at,
            )

    def article_failed(self, failure: Failure) -> None:
        """A page that failed (404, time-out ...): counted and logged."""
        self._count("article/failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("Article page failed: %s (%s)", request.url, describe(failure))

    def _count(self, name: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"wirecrawl/{name}")

    # Scrapy calls parse() for responses without a callback; this spider sets one everywhere.
    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """Not used: every request names its callback."""
        return ()
