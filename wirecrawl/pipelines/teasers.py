"""Drops a teaser repeated on the same page (the old homepage prints every widget twice; the
aggregator prints teaser, date, teaser), counting each drop in ``wirecrawl/teasers/dropped``.

A story teased on several pages or categories is kept once per page here, so its category
memberships and sightings are recorded; the ``teasers`` table then holds it once.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import ListingEntryItem
from wirecrawl.normalise.teasers import teaser_key


class TeaserDedupePipeline:
    """One listing entry per story per page seen in a crawl."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ListingEntryItem):
            return item
        key = (teaser_key(item.url), item.seen_on)
        if key in self.seen:
            self.stats.inc_value("wirecrawl/teasers/dropped")
            raise DropItem(f"teaser repeated on {item.seen_on}: {item.url}", log_level="DEBUG")
        self.seen.add(key)
        self.stats.inc_value("wirecrawl/teasers/kept")
        return item
