"""The crawl's stats collector: Scrapy's ``MemoryStatsCollector``, looked up as a plain object.

Scrapy 2.19's ``StatsCollector`` routes every attribute lookup on it through a
``__getattribute__`` of its own, which wraps its methods to warn about their deprecated
``spider`` argument: one ``inc_value`` then runs two wrappers and a lookup that raises and
catches an ``AttributeError``, about 1.3 microseconds where the counting itself takes under a
tenth. Scrapy's downloader, scheduler and core stats count several times a request, the
spiders and pipelines a few times a story: without the wrapper, the thread of a 2,000-story
crawl that the site does not hold back spent about 0.1 s less (docs/benchmarks.md,
thirteenth pass).

This collector keeps Scrapy's methods, their signatures and its dump at the end, and looks
them up as any object does. The one thing lost is the warning for a caller that still passes
``spider=`` (accepted and ignored, as by Scrapy's own). ``-s
STATS_CLASS=scrapy.statscollectors.MemoryStatsCollector`` brings Scrapy's back.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class StatsCollector(MemoryStatsCollector):
    """``MemoryStatsCollector`` without Scrapy 2.19's per-lookup deprecation wrapper."""

    # Python's own lookup, in place of the wrapper's (a slot of C, not a method of Python).
    __getattribute__ = object.__getattribute__
