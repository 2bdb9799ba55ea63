"""The last pipeline: what the spiders found, into the SQLite archive."""

from __future__ import annotations

import time
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import (
    ArticleItem,
    ListingCoverageItem,
    ListingEntryItem,
    ListingStateItem,
    PageItem,
    StoryGoneItem,
)
from wirecrawl.storage import ArchiveWriter, article_row, iso_date, open_archive, timestamp

# Write at least this often, so a slow live crawl (one page every 2.5 s) does not hold
# many stories in memory, and a reader sees them soon.
FLUSH_SECONDS = 10.0


class SQLiteStorePipeline:
    """Stores stories by the identity rule (see ``wirecrawl.storage``), listing entries,
    fetched pages and removals, and counts outcomes in ``wirecrawl/store/*``."""

    def __init__(self, db_path: str, stats: StatsCollector, batch_size: int = 200) -> None:
        self.db_path = db_path
        self.batch_size = batch_size
        self.stats = stats
        self.writer: ArchiveWriter | None = None
        self._last_flush = time.monotonic()
        self._listed_urls: set[str] = set()
        self._coverage: list[ListingCoverageItem] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            settings.get("WIRECRAWL_DB"), crawler.stats, settings.getint("WIRECRAWL_BATCH_SIZE")
        )

    def open_spider(self) -> None:
        self.writer = ArchiveWriter(open_archive(self.db_path), batch_size=self.batch_size)

    def close_spider(self) -> None:
        if self.writer is None:
            return
        self.writer.flush()
        for coverage in self._coverage:
            self.writer.mark_vanished(
                coverage.category_id,
                iso_date(coverage.oldest),
                coverage.reached_end,
                self._listed_urls,
                timestamp(coverage.seen_at),
            )
        self._count_outcomes()
        self.writer.db.close()

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if isinstance(item, ArticleItem):
            self._store_article(item)
        elif isinstance(item, ListingEntryItem):
            self._store_listing_entry(item)
        elif isinstance(item, PageItem):
            self.writer.add_page(
                item.url, timestamp(item.fetched_at), item.status, item.body, item.encoding
            )
        elif isinstance(item, StoryGoneItem):
            self.writer.mark_gone(item.url, timestamp(item.seen_at))
        elif isinstance(item, ListingCoverageItem):
            self._coverage.append(item)
        elif isinstance(item, ListingStateItem):
            self.writer.set_listing_state(item.category_id, item.complete, timestamp(item.at))
        if time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.writer.flush()
            self._count_outcomes()
            self._last_flush = time.monotonic()
        return item

    def _count_outcomes(self) -> None:
        assert self.writer is not None
        for outcome, count in self.writer.outcomes.items():
            self.stats.set_value(f"wirecrawl/store/{outcome}", count)

    def _store_article(self, item: ArticleItem) -> None:
        assert self.writer is not None
        if not item.title or not item.body:
            self.stats.inc_value("wirecrawl/store/incomplete")
            raise DropItem(f"story without title or body not stored: {item.url}")
        row = article_row(item, seen=timestamp(item.fetched_at))
        self.writer.add_article(row)
        self._listed_urls.add(item.url)

    def _store_listing_entry(self, item: ListingEntryItem) -> None:
        assert self.writer is not None
        self._listed_urls.add(item.url)
        self.writer.add_listing_entry(
            {
                "url": item.url,
                "story_key": item.story_key,
                "text": item.text,
                "published": iso_date(item.published),
                "category_id": item.category_id,
                "category_name": item.category_name or item.category_id,
                "seen_on": item.seen_on,
                "seen": timestamp(item.seen_at),
            }
        )
