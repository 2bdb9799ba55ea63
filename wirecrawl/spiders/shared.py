"""What the spiders share: a base class that reads story pages, and small helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from wirecrawl.extract import StoryReading, read_fetched_story
from wirecrawl.items import ArticleItem, ListingPageItem, PageItem
from wirecrawl.normalise.urls import canonical_url
from wirecrawl.worker import Worker, idle_reader, record_usage, use_workers
from wirecrawl.worker_loop import peak_rss_mib

RELEASE_DELAY = 0.0002
"""How long after a request reaches Scrapy's downloader a held story reading is handed on: the
request is written to the site four turns of the event loop later, and the timer runs 35-45 µs
after the write (measured: docs/benchmarks.md, sixteenth pass)."""


REASON = "wirecrawl_reason"
"""The key in a story request's ``meta`` of why it was asked for (``new``, ``unstored``,
``recheck``, ``asked``, ``gone_listed``, ``undated``, ``unlisted``): the stats count its
outcomes by it, which the run's alarms read (``wirecrawl.runlog``)."""


ARCHIVE_UNREADABLE = "archive_unreadable"
"""The finish reason of a crawl that could not read its archive before its first request
(``scrapy crawl`` then exits 2, as for any unusable database)."""


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def refuse_unknown(arguments: dict[str, Any], known: Iterable[str]) -> None:
    """Raise ValueError naming the ``-a`` arguments a spider does not take: a misspelt name
    (``-a category=World``) would otherwise be ignored, and the crawl read every category.
    Names starting with ``_`` pass: schedulers add their own (scrapyd's ``_job``)."""
    unknown = sorted(name for name in arguments if not name.startswith("_"))
    if unknown:
        raise ValueError(
            f"unknown -a argument(s) {', '.join(unknown)}; this spider takes "
            f"{', '.join(sorted(known))}"
        )


def describe(failure: Failure) -> str:
    """What went wrong, in words, even for an exception that carries no message."""
    return str(failure.value) or type(failure.value).__name__


class WireSpider(scrapy.Spider):
    """A spider of the archive: counts its work under ``wirecrawl/`` in the stats, and reads
    story pages the same way whatever led to them (in a worker process: ``wirecrawl.worker``)."""

    reader: Worker
    listed_urls: set[str]
    """The story URLs the listings and teasers of this crawl showed."""
    _inc_value: Callable[..., None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.reader = Worker(
            use_workers(settings),
            "page-reading",
            "wirecrawl.extract",
            idle=idle_reader(settings),
        )
        # Started now, the worker imports the page classes while the crawl starts up.
        spider.reader.start()
        spider.listed_urls = set()
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.close_reader, signal=signals.spider_closed)
        crawler.signals.connect(spider.request_going_out, signal=signals.request_reached_downloader)
        return spider

    def idle(self) -> None:
        """Scrapy's ``spider_idle``: the requests of ``requests_at_idle``, if any, are made and
        the crawl goes on (DontCloseSpider). Else the crawl closes, and the page-reading worker
        can stop then, while the archive is being finished, instead of after it (a page read
        after all is read in this thread)."""
        requests = self.requests_at_idle()
        if requests:
            engine = self.crawler.engine
            assert engine is not None
            for request in requests:
                engine.crawl(request)
            raise DontCloseSpider
        self.reader.stop()

    def requests_at_idle(self) -> list[scrapy.Request]:
        """What to fetch once everything asked for so far is done; none here."""
        return []

    def request_going_out(self) -> None:
        """A request is about to go out: shortly after (``RELEASE_DELAY``), when it is on its
        way, the oldest story page read and held by the page reader is handed on, and its
        items go through the pipelines while the site answers (``Worker.release_answer``)."""
        if self.reader.held_answers:
            asyncio.get_running_loop().call_later(RELEASE_DELAY, self.reader.release_answer)

    async def close_reader(self) -> None:
        """Stop the page-reading worker. The stats get its CPU time and peak memory, and the
        crawl process's own peak memory (``wirecrawl/peak_rss_mib``, without its workers)."""
        usage = await self.reader.close()
        stats = self.crawler.stats
        assert stats is not None
        own = peak_rss_mib()
        if own is not None:
            stats.set_value("wirecrawl/peak_rss_mib", round(own))
        record_usage(stats, "wirecrawl/reader", usage)
        if self.reader.read_in_crawl:
            stats.set_value("wirecrawl/reader/read_in_crawl", self.reader.read_in_crawl)

    async def story_items(
        self, response: Response, published: dt.date | None
    ) -> AsyncIterator[PageItem | ArticleItem | ListingPageItem]:
        """The story a page carries, with the page as fetched in its ``page`` (kept for
        reparse), then an aggregator's teasers as one listing page (recorded, not followed);
        a page without a story gives the page alone. A filter page ("Web Page Blocked") gives
        nothing and is counted and logged loudly.

        An async generator, which the story callbacks return as it is: Scrapy takes its items
        in the task that handles the callback's output. A coroutine callback cost a task of its
        own and two adapters between asyncio and Twisted for every story page: from a reading
        handed on to its item's first pipeline took 88 µs of the crawl's thread, now 42 µs
        (medians; docs/benchmarks.md, sixteenth pass)."""
        reading = await self.read_story_page(response, published)
        if reading is None or reading.outcome == "blocked":
            return
        story = reading.story
        if story is None:
            if reading.page is not None:
                yield reading.page
            return
        yield story
        if reading.teasers:
            self.listed_urls.update(entry.url for entry in reading.teasers)
            self.count("listing/entries", len(reading.teasers))
            yield ListingPageItem(
                entries=reading.teasers,
                category_id=None,
                category_name=None,
                seen_on=story.url,
                seen_at=story.fetched_at,
            )

    async def read_story_page(
        self, response: Response, published: dt.date | None
    ) -> StoryReading | None:
        """A story page read (in the page-reading worker), its outcome counted and logged;
        None for an answer that is not text."""
        if not isinstance(response, TextResponse):
            self.count("article/not_text")
            self.logger.error(
                "Not a text page (%s): %s", response.headers.get("Content-Type"), response.url
            )
            return None
        url = canonical_url(response.url)
        # Gathered with the next story pages, unless no other request is queued or under way:
        # the last pages of a crawl are read at once, not after the gathering's wait, and the
        # readings held for the requests to come are handed on with them (none will come).
        last = not self.more_to_fetch()
        run = self.reader.run if last else self.reader.run_gathered
        reading = await run(
            read_fetched_story,
            url,
            response.status,
            response.body,
            response.encoding,
            published,
            utcnow(),
        )
        if last:
            self.reader.release_answers()
        if reading.outcome == "blocked":
            self.count("article/blocked")
            self.logger.error("BLOCKED: a 'Web Page Blocked' filter page answered %s", url)
        elif reading.story is None:
            self.count("article/not_article")
            self.logger.error("Not an article page (no headline or body): %s", url)
        else:
            self.count("article/parsed")
            reason = response.meta.get(REASON)
            if reason is not None:
                self.count(f"article/parsed/{reason}")
            if reading.undecodable:
                self.count("article/undecodable")
                self.logger.warning(
                    "Bytes that %s cannot read (shown as U+FFFD) in %s: stored only if the "
                    "archive has no better text of the story",
                    response.encoding,
                    url,
                )
        return reading

    def more_to_fetch(self) -> bool:
        """Whether the crawl has a request under way or queued, other than the one whose answer
        is being handled."""
        engine = self.crawler.engine
        if engine is None or engine.scheduler is None:
            return False
        return bool(engine.downloader.active) or engine.scheduler.has_pending_requests()

    def count(self, name: str, count: int = 1) -> None:
        """Add ``count`` (one) to the stat ``wirecrawl/<name>``."""
        inc_value = self._inc_value
        if inc_value is None:
            # Looked up once (the collector is set when the crawl starts): Scrapy 2.19's own
            # collector wraps every lookup on it in Python code (wirecrawl/stats.py).
            stats = self.crawler.stats
            assert stats is not None
            inc_value = self._inc_value = stats.inc_value
        inc_value(f"wirecrawl/{name}", count)

    # Scrapy calls parse() for responses without a callback; these spiders set one everywhere.
    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """Not used: every request names its callback."""
        return ()
