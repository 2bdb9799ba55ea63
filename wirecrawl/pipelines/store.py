"""The last pipeline: stories and listing entries into the SQLite archive."""

from __future__ import annotations

import time
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import ArticleItem, ListingEntryItem
from wirecrawl.storage import ArchiveWriter, iso_date, open_archive, timestamp

# Write at least this often, so a slow live crawl (one page every 2.5 s) does not hold
# many stories in memory, and a reader sees them soon.
FLUSH_SECONDS = 10.0


class SQLiteStorePipeline:
    """Stores each story as one ``articles`` row (upsert on its id) and each listing entry."""

    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.writer: ArchiveWriter | None = None
        self._last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.settings.get("WIRECRAWL_DB"), crawler.stats)

    def open_spider(self) -> None:
        self.writer = ArchiveWriter(open_archive(self.db_path))

    def close_spider(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.db.close()

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if isinstance(item, ArticleItem):
            self._store_article(item)
        elif isinstance(item, ListingEntryItem):
            self._store_listing_entry(item)
        if time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.writer.flush()
            self._last_flush = time.monotonic()
        return item

    def _store_article(self, item: ArticleItem) -> None:
        assert self.writer is not None
        if not item.title or not item.body:
            self.stats.inc_value("wirecrawl/store/incomplete")
            raise DropItem(f"story without title or body not stored: {item.url}")
        seen = timestamp(item.fetched_at)
        self.writer.add_article(
            {
                "id": item.story_key,
                "source": item.source,
                "language": item.language,
                "url": item.url,
                "title": item.title,
                "published": iso_date(item.published),
                "dateline": item.dateline,
                "dateline_place": item.dateline_place,
                "dateline_date": iso_date(item.dateline_date),
                "agency": item.agency,
                "body": item.body,
                "first_seen": seen,
                "last_seen": seen,
            }
        )
        for category_id, name in item.categories.items():
            self.writer.add_category(item.story_key, category_id, name, seen)
        self.stats.inc_value("wirecrawl/store/articles")

    def _store_listing_entry(self, item: ListingEntryItem) -> None:
        assert self.writer is not None
        seen = timestamp(item.seen_at)
        if item.category_id is not None:
            self.writer.add_category(
                item.story_key, item.category_id, item.category_name or item.category_id, seen
            )
        self.writer.add_teaser(
            {
                "url": item.url,
                "story_key": item.story_key,
                "text": item.text,
                "published": iso_date(item.published),
                "seen_on": item.seen_on,
                "seen_at": seen,
            }
        )
        self.stats.inc_value("wirecrawl/store/listing_entries")
