"""The pipeline that normalises a story's text: the steps of ``wirecrawl.normalise.article``, in
the order ``normalise_article`` runs them offline (end mark, dateline, body), each counted in
the stats (``wirecrawl/<step>/<outcome>``).

One pipeline rather than one per step: Scrapy passes every item through each pipeline with a
few microseconds of its own work (coroutines, names for its warnings), which for three steps
of a microsecond or two cost more than the steps (docs/benchmarks.md, eleventh pass).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from scrapy.crawler import Crawler

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.article import apply_dateline, join_body, remove_end_mark


class TextPipeline:
    """Removes the ``-0-`` end mark (a mark, not text), splits off the dateline and gives it a
    year from the listing date, and joins the paragraphs into the body, dropping empty ones."""

    def __init__(self, inc_value: Callable[..., None]) -> None:
        # The stats collector's method, looked up once: Scrapy 2.19 wraps every attribute
        # lookup on the collector in Python code of its own.
        self.inc_value = inc_value

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats.inc_value)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            removed = remove_end_mark(item)
            self.inc_value(f"wirecrawl/end_mark/{'removed' if removed else 'missing'}")
            self.inc_value(f"wirecrawl/dateline/{apply_dateline(item)}")
            dropped = join_body(item)
            if dropped:
                self.inc_value("wirecrawl/body/empty_paragraphs_dropped", dropped)
        return item
