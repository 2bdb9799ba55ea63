"""The crawl process's garbage collector: young objects looked at less often.

A crawl makes and drops hundreds of container objects a request (requests, responses,
headers, Deferreds, items, the rows queued for the archive), and reference counting frees
nearly all of them as soon as they are dropped. Python's collector still runs whenever 700
more have been made than freed (its default first threshold); every tenth run also goes
through the objects that survived earlier runs, and now and then one goes through every
object in the process. A 2,000-story crawl ran it about 560 times, 4 of them over the whole
process: 0.4-0.5 s of the crawl's thread. With a first threshold of 5,000 while the spider is
open it ran about 20 times, 0.14 s in all with the start-up's collections, and the crawl's
peak memory was the same (docs/benchmarks.md, ninth pass).

So while a crawl's spider is open, the first threshold is ``WIRECRAWL_GC_THRESHOLD`` (5,000;
``0`` leaves Python's); the other two stay as they were, and Python's own come back when the
spider closes (when the last one closes, for crawls run side by side). Reference cycles are
still collected, only later: at most a few thousand more objects wait for the collector. The
crawl's stats count the collections of each generation while it ran
(``wirecrawl/gc/collections/0`` to ``/2``).
"""

from __future__ import annotations

import gc
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

# Crawls open in this process (a CrawlerProcess may run several at once) and the thresholds
# Python had before the first of them opened, put back when the last closes.
_open: list[GcThreshold] = []
_python_thresholds: tuple[int, int, int] | None = None


class GcThreshold:
    """Sets the collector's first threshold for the time a crawl's spider is open."""

    def __init__(self, threshold: int, stats: StatsCollector) -> None:
        self.threshold = threshold
        self.stats = stats
        self._collections_before: list[int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getint("WIRECRAWL_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured("WIRECRAWL_GC_THRESHOLD is 0: Python's own thresholds")
        assert crawler.stats is not None
        extension = cls(threshold, crawler.stats)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        global _python_thresholds
        if not _open:
            _python_thresholds = gc.get_threshold()
        _open.append(self)
        _apply()
        self._collections_before = _collections()

    def spider_closed(self) -> None:
        if self._collections_before is None:
            return
        after = _collections()
        for number, (before, now) in enumerate(zip(self._collections_before, after, strict=True)):
            self.stats.set_value(f"wirecrawl/gc/collections/{number}", now - before)
        self._collections_before = None
        _open.remove(self)
        _apply()


def _apply() -> None:
    """The threshold of the crawl opened last, or Python's own when none is open."""
    assert _python_thresholds is not None
    if _open:
        gc.set_threshold(_open[-1].threshold, *_python_thresholds[1:])
    else:
        gc.set_threshold(*_python_thresholds)


def _collections() -> list[int]:
    """How many times each generation was collected since the process started."""
    return [generation["collections"] for generation in gc.get_stats()]
