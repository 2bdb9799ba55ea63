"""A spider that makes exactly the requests the ``kcna`` spider makes, and nothing else.

The benchmark's baseline for crawl overhead (``python -m bench``): the same listing GETs and
POSTs, each category in a cookie session of its own, and the same story GETs, once each. It
finds the next requests with regular expressions and keeps nothing, so the difference from
``scrapy crawl kcna`` is what parsing, normalising and storing cost. Run it from the project's
root so that it gets the project's settings:

    scrapy runspider bench/fetch_only.py -s DOWNLOAD_DELAY=0

It lives outside ``wirecrawl/spiders/`` on purpose: ``scrapy list`` must not offer it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import FormRequest, Request, Response
from scrapy.settings import BaseSettings

from wirecrawl.normalise.urls import SITE
from wirecrawl.spiders.kcna import CATEGORIES

_STORY_LINK = re.compile(r'<h5 class="block"><a href="(/en/article/detail/[0-9a-f]{32})">')
_PAGE_COUNT = re.compile(r"var\s+page_cnt\s*=\s*(\d+)\s*;")
_FORM = re.compile(r'<form id="article_form"[^>]*action="([^"]+)"(.*?)</form>', re.DOTALL)
_FIELD = re.compile(r'<input type="hidden" name="([^"]+)"[^>]*value="([^"]*)"')


class FetchOnlySpider(scrapy.Spider):
    """Walks the listings like ``kcna`` and fetches every story once; parses and stores nothing."""

    name = "fetch_only"
    allowed_domains: ClassVar[list[str]] = ["kcna.kp"]
    # Nothing to store and no run to log: the project's pipelines and run log stay out. Its
    # other extensions stay in (the garbage collector's threshold, which Scrapy's own work
    # gains from as much as ours). RUF012: typed as on scrapy.Spider.
    custom_settings: dict[Any, Any] | None = {"ITEM_PIPELINES": {}}  # noqa: RUF012

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        extensions = settings.getdict("EXTENSIONS")
        extensions["wirecrawl.runlog.RunLog"] = None
        settings.set("EXTENSIONS", extensions, priority="spider")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._requested: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        """Page 1 of every category, each in a new cookie session (as ``kcna`` does)."""
        for category_id in CATEGORIES:
            yield Request(
                f"{SITE}/en/article/list/{category_id}",
                callback=self.parse_listing,
                meta={"cookiejar": f"{category_id}/1"},
                cb_kwargs={"page_num": 1, "page_cnt": 0},
                dont_filter=True,
            )

    def parse_listing(self, response: Response, page_num: int, page_cnt: int) -> list[Any]:
        """The stories a listing page links to, then the POST for its next page.

        A list, not a generator: for a generator callback Scrapy 2.19 reads and parses the
        callback's source at every call, to warn about a ``return`` with a value (its cache of
        that check is keyed weakly on the bound method, which dies with each request): about
        0.6 ms a listing page, 0.1 s of a 2,000-story crawl, that the ``kcna`` spider, whose
        callbacks are coroutines, does not pay (docs/benchmarks.md, fifteenth pass)."""
        text = response.text
        outputs: list[Any] = []
        for path in _STORY_LINK.findall(text):
            url = SITE + path
            if url not in self._requested:
                self._requested.add(url)
                outputs.append(Request(url, callback=self.parse_story, dont_filter=True))
        if page_num == 1:
            count = _PAGE_COUNT.search(text)
            page_cnt = int(count.group(1)) if count else 1
        form = _FORM.search(text)
        if form is None or page_num >= page_cnt:
            return outputs
        fields = dict(_FIELD.findall(form.group(2)))
        fields["page_num"] = str(page_num + 1)
        outputs.append(
            FormRequest(
                response.urljoin(form.group(1)),
                formdata=fields,
                callback=self.parse_listing,
                meta={"cookiejar": response.meta["cookiejar"]},
                cb_kwargs={"page_num": page_num + 1, "page_cnt": page_cnt},
                dont_filter=True,
            )
        )
        return outputs

    def parse_story(self, response: Response) -> Iterator[Any]:
        """A story page: fetched, and that is all."""
        return iter(())
