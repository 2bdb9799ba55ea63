"""The ``kcnawatch`` spider: KCNA stories as an aggregator republishes them, page by page.

    scrapy crawl kcnawatch -a url=https://kcnawatch.org/newstream/<unix time>-<id>/<slug>/[,...]

Each page gives its story (an ArticleItem; the pipelines split off dateline and end mark) and
one ListingPageItem with the teasers of its "More From <source>" box. Teasers are recorded, not
followed. The page class ``AggregatorArticlePage`` reads the pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from wirecrawl.extract import site_of
from wirecrawl.normalise.urls import canonical_url
from wirecrawl.spiders.shared import WireSpider, describe, refuse_unknown


def page_urls(argument: str | None) -> list[str]:
    """The pages named by ``-a url=`` (comma separated), canonicalised; ValueError if none."""
    urls = [u.strip() for u in (argument or "").split(",") if u.strip()]
    if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
        raise ValueError(f"-a url= needs absolute http(s) URLs of article pages, got {argument!r}")
    return [canonical_url(u) for u in urls]


class KcnawatchSpider(WireSpider):
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
        """Raise ValueError for bad ``-a`` names or values, before the crawl makes any request."""
        refuse_unknown(kwargs, ("url",))
        page_urls(url)

    async def start(self) -> AsyncIterator[Any]:
        """The pages given with ``-a url=``."""
        for url in self.urls:
            self.count("article/requested/asked")
            yield Request(url, callback=self.parse_article, errback=self.article_failed)

    def parse_article(self, response: Response) -> AsyncIterator[Any]:
        """An aggregator page: its story, then its teasers as one listing page (the items of
        ``story_items``, an async generator)."""
        return self.story_items(response, None)

    def article_failed(self, failure: Failure) -> None:
        """A page that failed (404, time-out ...): counted and logged."""
        self.count("article/failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("Article page failed: %s (%s)", request.url, describe(failure))
