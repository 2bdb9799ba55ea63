"""Scrapy's core stats, with the scraped items counted by the log formatter.

Scrapy's ``CoreStats`` counts ``item_scraped_count`` on the ``item_scraped`` signal, and Scrapy
sends that signal to its receivers as asyncio tasks, gathered and awaited: for a story an item,
that cost the crawl's thread about 25 microseconds a story, 1.5-2% of a crawl that the site
does not hold back (docs/benchmarks.md, twelfth pass). Scrapy also hands every scraped item
to the log formatter, at once and in the same place, so ``CountingLogFormatter`` counts it
there, and this extension does the rest of what Scrapy's does (start and finish times, the
finish reason, responses received, items dropped and why).

With a log formatter that does not count (``-s LOG_FORMATTER=...``), it counts on the signal
as Scrapy does. The signal is still sent; receivers of other extensions (a feed export, a
``CLOSESPIDER_ITEMCOUNT``) get it as before.
"""

from __future__ import annotations

from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.extensions.corestats import CoreStats as ScrapyCoreStats

from wirecrawl.logformatter import CountingLogFormatter


class CoreStats(ScrapyCoreStats):
    """``scrapy.extensions.corestats.CoreStats``, without its ``item_scraped`` receiver when
    the log formatter counts the items."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = super().from_crawler(crawler)
        if isinstance(crawler.logformatter, CountingLogFormatter):
            crawler.signals.disconnect(extension.item_scraped, signal=signals.item_scraped)
        return extension
