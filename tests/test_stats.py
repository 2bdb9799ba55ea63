"""The crawl's stats collector: Scrapy's in-memory one, without its per-lookup wrapper."""

from __future__ import annotations

import warnings

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from tests.test_settings import setting
from wirecrawl.stats import StatsCollector


def test_scrapy_crawl_uses_it() -> None:
    assert setting("STATS_CLASS") == "wirecrawl.stats.StatsCollector"


def test_it_counts_as_scrapys_collector_does() -> None:
    ours = StatsCollector(get_crawler())
    scrapys = MemoryStatsCollector(get_crawler())
    for collector in (ours, scrapys):
        collector.open_spider()
        collector.inc_value("pages")
        collector.inc_value("pages", 2)
        collector.inc_value("started", start=10)
        collector.max_value("biggest", 5)
        collector.max_value("biggest", 3)
        collector.min_value("smallest", 5)
        collector.min_value("smallest", 3)
        collector.set_value("reason", "finished")
    assert ours.get_stats() == scrapys.get_stats()
    assert ours.get_stats() == {
        "pages": 3,
        "started": 11,
        "biggest": 5,
        "smallest": 3,
        "reason": "finished",
    }
    assert ours.get_value("missing", 0) == 0
    ours.clear_stats()
    assert ours.get_stats() == {}


def test_the_deprecated_spider_argument_is_accepted_without_a_warning() -> None:
    crawler = get_crawler()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        collector = StatsCollector(crawler)
        collector.inc_value("pages", spider=object())
    assert collector.get_value("pages") == 1
    # Scrapy's own warns (the cost this collector saves is that wrapper's).
    scrapys = MemoryStatsCollector(crawler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scrapys.inc_value("pages", spider=object())
    assert caught
