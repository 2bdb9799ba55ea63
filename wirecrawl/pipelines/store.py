"""The last pipeline: what the spiders found, into the SQLite archive."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl import writing
from wirecrawl.items import (
    ArticleItem,
    ListingPageItem,
    ListingStateItem,
    PageItem,
    StoryGoneItem,
)
from wirecrawl.storage import (
    ArchiveRows,
    Batch,
    article_row,
    iso_date,
    open_archive,
    timestamp,
)
from wirecrawl.worker import Worker, record_usage, use_workers

logger = logging.getLogger(__name__)


class SQLiteStorePipeline:
    """Stores stories by the identity rule (see ``wirecrawl.storage``), listing entries,
    fetched pages and removals, and counts outcomes in ``wirecrawl/store/*``.

    Rows are queued as items arrive and written by the crawl's writing worker, a process of
    its own (``wirecrawl.writing``; on the crawl's thread when there are no workers), in
    batches of ``WIRECRAWL_BATCH_SIZE`` rows, and once they have waited
    ``WIRECRAWL_FLUSH_SECONDS`` (10), items coming or not: a site that stalls must not hold
    the stories read before it in memory. Batches are written one at a time, in order; the
    item that hands over a batch waits until the batch before it is written, so at most two
    are ever held. A batch that fails is logged and written again, first, with the next one.
    """

    def __init__(
        self,
        db_path: str,
        stats: StatsCollector,
        batch_size: int,
        use_worker: bool = False,
        flush_seconds: float = 10.0,
    ) -> None:
        self.db_path = db_path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self._flusher: asyncio.Task[None] | None = None
        self.stats = stats
        self.rows = ArchiveRows()
        self.worker = Worker(use_worker, "writing", "wirecrawl.writing")
        self._queued_since: float | None = None
        """When the oldest row not yet handed over was queued (None: none is)."""
        self._started: str | None = None
        """When the crawl started (see ``ArchiveRows.mark_gone``)."""
        self._previous: asyncio.Future[None] | None = None
        self._failed: Batch = []
        self._outcomes: Counter[str] = Counter()
        self._opened = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            settings.get("WIRECRAWL_DB"),
            crawler.stats,
            settings.getint("WIRECRAWL_BATCH_SIZE"),
            use_workers(settings),
            settings.getfloat("WIRECRAWL_FLUSH_SECONDS"),
        )

    def open_spider(self) -> None:
        # The archive made or brought up to date here, before the first request: a database
        # of a newer schema stops the crawl with its error.
        open_archive(self.db_path).close()
        self._started = timestamp(dt.datetime.now(dt.UTC))
        self._opened = True
        self.worker.start()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_regularly())

    async def _flush_regularly(self) -> None:
        """Hand over what is queued once its oldest row has waited ``flush_seconds``, whether
        items come or not; after the batch being written, if one is."""
        while True:
            since = self._queued_since
            if since is None:
                await asyncio.sleep(self.flush_seconds)
                continue
            wait = since + self.flush_seconds - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif self._previous is not None and not self._previous.done():
                await asyncio.sleep(min(0.1, self.flush_seconds))
            else:
                self._start_write()

    async def close_spider(self) -> None:
        """Write the last batch, close the archive and stop the writing worker."""
        if not self._opened:
            return
        if self._flusher is not None:
            self._flusher.cancel()
        try:
            await self.written()
            batch, self._failed = self._failed + self.rows.take(), []
            try:
                # The run's doubt of its story pages, whichever writer met it (a writing
                # worker that died since took its own with it).
                doubted = self._outcomes["dateline_lost_kept"] > 0
                outcomes = await self.worker.run(
                    writing.finish, self.db_path, batch, doubted, self.worker.use_worker
                )
            except Exception:
                # Counted like a batch that failed during the crawl, for the run's alarm.
                self.stats.inc_value("wirecrawl/store/batch_failed")
                raise
            self._outcomes.update(outcomes)
        finally:
            record_usage(self.stats, "wirecrawl/writer", await self.worker.close())
            self._count_outcomes()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            seen = timestamp(item.fetched_at)
            page = item.page
            if page is not None:
                # Fetched when the story was: the same time, formatted once.
                fetched = seen if page.fetched_at == item.fetched_at else timestamp(page.fetched_at)
                self._store_page(page, fetched)
            self._store_article(item, seen)
        elif isinstance(item, ListingPageItem):
            self._store_listing_page(item)
        elif isinstance(item, PageItem):
            self._store_page(item, timestamp(item.fetched_at))
        elif isinstance(item, StoryGoneItem):
            # A story stored in this run under another URL (a new address) is not gone.
            self.rows.mark_gone(item.url, timestamp(item.seen_at), self._started)
        elif isinstance(item, ListingStateItem):
            self.rows.set_listing_state(
                item.category_id, item.complete, timestamp(item.at), item.failed
            )
        pending = self.rows.pending()
        if pending:
            now = time.monotonic()
            if self._queued_since is None:
                self._queued_since = now
            if pending >= self.batch_size or now - self._queued_since >= self.flush_seconds:
                return self._hand_over(item)
        return item

    async def _hand_over(self, item: Any) -> Any:
        """Give the queued rows to the writing worker; return when the batch before is written."""
        previous = self._start_write()
        if previous is not None:
            await previous
        return item

    def _start_write(self) -> asyncio.Future[None] | None:
        """Start writing the queued rows, after the batch before; returns that batch's write."""
        self._queued_since = None
        previous = self._previous
        self._previous = asyncio.ensure_future(self._write(self.rows.take(), previous))
        return previous

    async def written(self) -> None:
        """Until the batches handed over so far are written (or have failed, logged)."""
        previous, self._previous = self._previous, None
        if previous is not None:
            await previous

    async def _write(self, batch: Batch, previous: asyncio.Future[None] | None) -> None:
        """Write ``batch`` after ``previous``, with the rows of any batch that failed before
        it; a failure is logged and counted, and its rows kept for the next."""
        if previous is not None:
            await previous
        batch, self._failed = self._failed + batch, []
        try:
            outcomes = await self.worker.run(
                writing.write_batch, self.db_path, batch, self.worker.use_worker
            )
        except Exception as error:
            self._failed = batch
            self.stats.inc_value("wirecrawl/store/batch_failed")
            logger.error(
                "Writing a batch to %s failed (it is written again with the next): %s",
                self.db_path,
                error,
            )
            return
        self._outcomes.update(outcomes)
        self._count_outcomes()

    def _count_outcomes(self) -> None:
        for outcome, count in self._outcomes.items():
            self.stats.set_value(f"wirecrawl/store/{outcome}", count)

    # --- queueing, on the crawl's thread ---------------------------------------------------

    def _store_article(self, item: ArticleItem, seen: str) -> None:
        if not item.title or not item.body:
            self.stats.inc_value("wirecrawl/store/incomplete")
            raise DropItem(f"story without title or body not stored: {item.url}")
        row = article_row(item, seen=seen)
        self.rows.add_article(row)

    def _store_page(self, page: PageItem, fetched_at: str) -> None:
        self.rows.add_compressed_page(
            page.url,
            fetched_at,
            page.status,
            page.encoding,
            page.sha256,
            page.body_zlib,
        )

    def _store_listing_page(self, item: ListingPageItem) -> None:
        seen = timestamp(item.seen_at)
        for entry in item.entries:
            self.rows.add_listing_entry(
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
