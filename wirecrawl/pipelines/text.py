"""The pipeline that normalises a story's text: the steps of ``wirecrawl.normalise.article``, in
the order ``normalise_article`` runs them offline (end mark, dateline, body), each counted in
the stats (``wirecrawl/<step>/<outcome>``) when the spider closes.

One pipeline rather than one per step: Scrapy passes every item through each pipeline with a
few microseconds of its own work (coroutines, names for its warnings), which for three steps
of a microsecond or two cost more than the steps (docs/benchmarks.md, eleventh pass).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Self

from scrapy.crawler import Crawler

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.article import apply_dateline, join_body, remove_end_mark

# The names of the counts, made once.
_END_MARK = {True: "wirecrawl/end_mark/removed", False: "wirecrawl/end_mark/missing"}
_DATELINE = {
    outcome: f"wirecrawl/dateline/{outcome}" for outcome in ("parsed", "year_unknown", "missing")
}


class TextPipeline:
    """Removes the ``-0-`` end mark (a mark, not text), splits off the dateline and gives it a
    year from the listing date, and joins the paragraphs into the body, dropping empty ones."""

    def __init__(self, inc_value: Callable[..., None]) -> None:
        self.inc_value = inc_value
        # Counted here and added to the stats at the end: cheaper than two calls on the stats
        # collector a story (several microseconds each on Scrapy 2.19's own, which wraps them
        # in a check for a deprecated argument; see wirecrawl/stats.py).
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats.inc_value)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            counts = self.counts
            counts[_END_MARK[remove_end_mark(item)]] += 1
            counts[_DATELINE[apply_dateline(item)]] += 1
            dropped = join_body(item)
            if dropped:
                counts["wirecrawl/body/empty_paragraphs_dropped"] += dropped
        return item

    def close_spider(self) -> None:
        """The counts into the crawl's stats, before the spider's end is signalled (when the
        run log reads them)."""
        for name, count in self.counts.items():
            self.inc_value(name, count)
        self.counts.clear()
