"""Pipelines that normalise a story's text. Each wraps one step of ``wirecrawl.normalise.article``
and counts its work in the stats (``wirecrawl/<step>/<outcome>``).

Order (settings.ITEM_PIPELINES): end mark, dateline, body, then storage.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.article import apply_dateline, join_body, remove_end_mark


class _CountingPipeline:
    """A pipeline with the crawl's stats collector at hand."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)


class EndMarkPipeline(_CountingPipeline):
    """Removes the ``-0-`` end mark (a mark, not text)."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            removed = remove_end_mark(item)
            self.stats.inc_value(f"wirecrawl/end_mark/{'removed' if removed else 'missing'}")
        return item


class DatelinePipeline(_CountingPipeline):
    """Splits off the dateline and gives it a year from the listing date."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.stats.inc_value(f"wirecrawl/dateline/{apply_dateline(item)}")
        return item


class BodyPipeline(_CountingPipeline):
    """Joins the paragraphs into the body, dropping empty ones."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            dropped = join_body(item)
            if dropped:
                self.stats.inc_value("wirecrawl/body/empty_paragraphs_dropped", dropped)
        return item
