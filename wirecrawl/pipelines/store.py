"""The last pipeline: what the spiders found, into the SQLite archive."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import (
    ArticleItem,
    ListingCoverageItem,
    ListingPageItem,
    ListingStateItem,
    PageItem,
    StoryGoneItem,
)
from wirecrawl.storage import (
    ArchiveWriter,
    Batch,
    article_row,
    iso_date,
    open_archive,
    timestamp,
)

logger = logging.getLogger(__name__)

# Write at least this often, so a slow live crawl (one page every 2.5 s) does not hold
# many stories in memory, and a reader sees them soon.
FLUSH_SECONDS = 10.0


class SQLiteStorePipeline:
    """Stores stories by the identity rule (see ``wirecrawl.storage``), listing entries,
    fetched pages and removals, and counts outcomes in ``wirecrawl/store/*``.

    Rows are queued as items arrive and written in batches of ``WIRECRAWL_BATCH_SIZE`` rows
    (or every ``FLUSH_SECONDS``) by a thread of its own, the only one that touches the
    database: the crawl's thread goes on while SQLite writes (which it does without Python's
    lock). Batches are written one at a time, in order; the item that hands over a batch waits
    until the batch before it is written, so at most two are ever held. A batch that fails is
    logged and written again, first, with the next one.
    """

    def __init__(self, db_path: str, stats: StatsCollector, batch_size: int) -> None:
        self.db_path = db_path
        self.batch_size = batch_size
        self.stats = stats
        self.writer: ArchiveWriter | None = None
        self._last_flush = time.monotonic()
        self._listed_urls: set[str] = set()
        self._coverage: list[ListingCoverageItem] = []
        self._thread: ThreadPoolExecutor | None = None
        self._previous: Future[None] | None = None
        # Owned by the writing thread: rows of a failed batch, and the outcomes so far.
        self._failed: Batch = []
        self._outcomes: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            settings.get("WIRECRAWL_DB"), crawler.stats, settings.getint("WIRECRAWL_BATCH_SIZE")
        )

    def open_spider(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirecrawl-store")
        self.writer = self._thread.submit(self._open).result()

    def _open(self) -> ArchiveWriter:
        return ArchiveWriter(open_archive(self.db_path), batch_size=None)

    def close_spider(self) -> None:
        if self.writer is None or self._thread is None:
            return
        try:
            previous, self._previous = self._previous, None
            if previous is not None:
                self._report(previous)
            self._thread.submit(self._close, self.writer.take()).result()
        finally:
            self._thread.shutdown()
            self._count_outcomes()

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if isinstance(item, ArticleItem):
            if item.page is not None:
                self._store_page(item.page)
            self._store_article(item)
        elif isinstance(item, ListingPageItem):
            self._store_listing_page(item)
        elif isinstance(item, PageItem):
            self._store_page(item)
        elif isinstance(item, StoryGoneItem):
            self.writer.mark_gone(item.url, timestamp(item.seen_at))
        elif isinstance(item, ListingCoverageItem):
            self._coverage.append(item)
        elif isinstance(item, ListingStateItem):
            self.writer.set_listing_state(item.category_id, item.complete, timestamp(item.at))
        if (
            self.writer.pending() >= self.batch_size
            or time.monotonic() - self._last_flush > FLUSH_SECONDS
        ):
            return self._hand_over(item)
        return item

    async def _hand_over(self, item: Any) -> Any:
        """Give the queued rows to the writing thread; return when the batch before is written."""
        assert self.writer is not None
        assert self._thread is not None
        self._last_flush = time.monotonic()
        previous = self._previous
        self._previous = self._thread.submit(self._write, self.writer.take())
        if previous is not None:
            await asyncio.wait([asyncio.wrap_future(previous)])
            self._report(previous)
        return item

    async def written(self) -> None:
        """Until the batches handed over so far are written (or have failed, logged)."""
        previous, self._previous = self._previous, None
        if previous is not None:
            await asyncio.wait([asyncio.wrap_future(previous)])
            self._report(previous)

    def _report(self, write: Future[None]) -> None:
        """Count and log a batch that failed (it goes again with the next); update the stats.
        Each batch is reported once: by whoever took it from ``_previous``."""
        error = write.exception()
        if error is not None:
            self.stats.inc_value("wirecrawl/store/batch_failed")
            logger.error(
                "Writing a batch to %s failed (it is written again with the next): %s",
                self.db_path,
                error,
            )
        self._count_outcomes()

    def _count_outcomes(self) -> None:
        for outcome, count in self._outcomes.items():
            self.stats.set_value(f"wirecrawl/store/{outcome}", count)

    # --- on the writing thread ------------------------------------------------------------

    def _write(self, batch: Batch) -> None:
        assert self.writer is not None
        batch, self._failed = self._failed + batch, []
        try:
            self.writer.write(batch)
        except BaseException:
            self._failed = batch
            raise
        finally:
            self._outcomes = dict(self.writer.outcomes)

    def _close(self, batch: Batch) -> None:
        assert self.writer is not None
        try:
            self._write(batch)
            for coverage in self._coverage:
                self.writer.mark_vanished(
                    coverage.category_id,
                    iso_date(coverage.oldest),
                    coverage.reached_end,
                    self._listed_urls,
                    timestamp(coverage.seen_at),
                )
            self._outcomes = dict(self.writer.outcomes)
        finally:
            self.writer.db.close()

    # --- queueing, on the crawl's thread ---------------------------------------------------

    def _store_article(self, item: ArticleItem) -> None:
        assert self.writer is not None
        if not item.title or not item.body:
            self.stats.inc_value("wirecrawl/store/incomplete")
            raise DropItem(f"story without title or body not stored: {item.url}")
        row = article_row(item, seen=timestamp(item.fetched_at))
        self.writer.add_article(row)
        self._listed_urls.add(item.url)

    def _store_page(self, page: PageItem) -> None:
        assert self.writer is not None
        self.writer.add_compressed_page(
            page.url,
            timestamp(page.fetched_at),
            page.status,
            page.encoding,
            page.sha256,
            page.body_zlib,
        )

    def _store_listing_page(self, item: ListingPageItem) -> None:
        assert self.writer is not None
        seen = timestamp(item.seen_at)
        for entry in item.entries:
            self._listed_urls.add(entry.url)
            self.writer.add_listing_entry(
                {
                    "url": entry.url,
                    "story_key": entry.story_key,
                    "text": entry.text,
                    "published": iso_date(entry.published),
                    "category_id": item.category_id,
                    "category_name": item.category_name or item.category_id,
                    "seen_on": item.seen_on,
                    "seen": seen,
                }
            )
