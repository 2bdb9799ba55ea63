"""The garbage collector's first threshold while a crawl runs (wirecrawl/gcthreshold.py): set
when the spider opens, Python's own back when the last crawl closes, the collections counted;
and in a real crawl, far fewer collections than at Python's default."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from tests.conftest import run_crawl
from wirecrawl.gcthreshold import GcThreshold
from wirecrawl.testsite.server import SiteServer


@pytest.fixture
def python_thresholds() -> Iterator[tuple[int, int, int]]:
    """Python's thresholds as the test found them, put back whatever the test does."""
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_the_threshold_holds_while_the_spider_is_open(
    python_thresholds: tuple[int, int, int],
) -> None:
    crawler = get_crawler(Spider, {"WIRECRAWL_GC_THRESHOLD": 4321})
    assert crawler.stats is not None
    extension = GcThreshold.from_crawler(crawler)
    assert gc.get_threshold() == python_thresholds  # nothing changes before the spider opens

    # What Scrapy's spider_opened and spider_closed signals call (the crawl below shows it).
    extension.spider_opened()
    assert gc.get_threshold() == (4321, *python_thresholds[1:])
    # Collections still come, only less often: three thresholds' worth of new containers.
    cycles = []
    for _ in range(3 * 4321):
        cycle: list[object] = []
        cycle.append(cycle)
        cycles.append(cycle)
    del cycles, cycle
    extension.spider_closed()

    assert gc.get_threshold() == python_thresholds
    # Each is counted under its generation: every tenth young one is a middle one instead,
    # whichever that falls on after what the tests before this one left behind.
    counts = [extension.stats.get_value(f"wirecrawl/gc/collections/{g}") for g in range(3)]
    assert None not in counts
    assert sum(counts) >= 2


def test_crawls_open_side_by_side_give_pythons_thresholds_back_when_the_last_closes(
    python_thresholds: tuple[int, int, int],
) -> None:
    first, second = (
        GcThreshold.from_crawler(get_crawler(Spider, {"WIRECRAWL_GC_THRESHOLD": threshold}))
        for threshold in (3000, 6000)
    )

    first.spider_opened()
    second.spider_opened()
    assert gc.get_threshold()[0] == 6000
    first.spider_closed()
    assert gc.get_threshold()[0] == 6000
    second.spider_closed()
    assert gc.get_threshold() == python_thresholds
    assert all(e.stats.get_value("wirecrawl/gc/collections/0") is not None for e in (first, second))


def test_zero_leaves_pythons_thresholds(python_thresholds: tuple[int, int, int]) -> None:
    crawler = get_crawler(Spider, {"WIRECRAWL_GC_THRESHOLD": 0})
    with pytest.raises(NotConfigured):
        GcThreshold.from_crawler(crawler)
    assert gc.get_threshold() == python_thresholds


def test_a_crawl_collects_far_less_often_than_at_pythons_default(
    site_server: SiteServer, tmp_path: Path
) -> None:
    tuned = run_crawl(site_server.proxy_url, tmp_path / "tuned.db")
    default = run_crawl(
        site_server.proxy_url, tmp_path / "default.db", "-s", "WIRECRAWL_GC_THRESHOLD=700"
    )
    for result in (tuned, default):
        assert result.returncode == 0, result.log
        assert result.stat("wirecrawl/store/new") == 40
    young_tuned = tuned.stat("wirecrawl/gc/collections/0")
    young_default = default.stat("wirecrawl/gc/collections/0")
    assert young_tuned * 4 < young_default, (young_tuned, young_default)
