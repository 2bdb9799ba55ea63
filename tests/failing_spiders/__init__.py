"""A spider whose start fails after its first request, for ``scrapy crawl``'s exit code
(``tests/test_bad_input.py``); run with ``-s SPIDER_MODULES=tests.failing_spiders``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import scrapy


class FailingStartSpider(scrapy.Spider):
    name = "failing_start"
    allowed_domains: ClassVar[list[str]] = ["kcna.kp"]

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request("http://www.kcna.kp/robots.txt", callback=self.parse)
        raise RuntimeError("the spider's start failed")

    def parse(self, response: Any, **kwargs: Any) -> Any:
        return ()
