"""Drops a teaser repeated on the same page (the old homepage prints every widget twice; the
aggregator prints teaser, date, teaser), counting each drop in ``wirecrawl/teasers/dropped``.

A story teased on several pages or categories is kept once per page here, so its category
memberships and sightings are recorded; the ``teasers`` table then holds it once.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from wirecrawl.items import ListingPageItem
from wirecrawl.normalise.teasers import teaser_key

logger = logging.getLogger(__name__)


class TeaserDedupePipeline:
    """One listing entry per story per page seen in a crawl: a repeat is taken out of its
    ``ListingPageItem`` (and an item left without entries is dropped)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ListingPageItem):
            return item
        kept = []
        for entry in item.entries:
            key = (teaser_key(entry.url), item.seen_on)
            if key in self.seen:
                self.stats.inc_value("wirecrawl/teasers/dropped")
                logger.debug("Teaser repeated on %s: %s", item.seen_on, entry.url)
                continue
            self.seen.add(key)
            kept.append(entry)
        self.stats.inc_value("wirecrawl/teasers/kept", len(kept))
        if not kept:
            raise DropItem(f"every teaser repeated on {item.seen_on}", log_level="DEBUG")
        item.entries = kept
        return item
