"""An extension: the response headers of a download bounded, as ``DOWNLOAD_MAXSIZE`` bounds
its body (``WIRECRAWL_MAX_HEADER_BYTES``, 64 KiB; 0 turns it off).

Twisted's HTTP client, which Scrapy downloads with, caps each header line at 16 KiB but not
their number, and Scrapy counts only the body against ``DOWNLOAD_MAXSIZE``: a server (or
anything on the plain-HTTP path to kcna.kp) sending header lines without end would fill the
crawl's memory until the download's time-out, once for each retry. With this extension the
download fails as soon as its status line and headers pass the bound; it is retried like a
broken connection, and counted in ``wirecrawl/download/failed/headers_too_large``. The site's
answers carry about 1 KB of headers.

Neither Scrapy nor Twisted has a setting for it. Scrapy 2.19's HTTP/1.1 handler gives each
response the parser class ``_LenientHTTPClientParser`` of its module (a subclass of Twisted's):
the extension puts a subclass of that class, which counts the lines, in its place, for the
crawl's process: the bound is the process's (one crawl a process, as ``scrapy crawl`` runs; a
crawler started after another in one process sets it anew, or puts Scrapy's parser back).
``tests/test_faults.py`` (fault ``huge-headers``) fails if an upgrade of Scrapy moves it.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.core.downloader.handlers import http11
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class HeadersTooLargeError(Exception):
    """The status line and headers of an answer passed ``WIRECRAWL_MAX_HEADER_BYTES``."""


_Lenient = http11._LenientHTTPClientParser


class _BoundedHeadersParser(_Lenient):
    """Scrapy's parser, failing the response once its header lines pass ``max_header_bytes``.

    Scrapy switches a parser to its class after Twisted made it, so the count starts on the
    first line, not in ``connectionMade``; a parser is used for one response."""

    max_header_bytes = 64 * 1024

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 (Twisted's name)
        # Lines come only before the body, which comes raw: the status line and the headers.
        received = getattr(self, "_wirecrawl_header_bytes", 0) + len(line) + 1
        self._wirecrawl_header_bytes = received
        if received > self.max_header_bytes:
            raise HeadersTooLargeError(
                f"the answer's headers passed {self.max_header_bytes} bytes "
                "(WIRECRAWL_MAX_HEADER_BYTES)"
            )
        super().lineReceived(line)


class HeaderLimit:
    """Puts the bounded parser in place for the crawl (see the module's docstring)."""

    def __init__(self, max_header_bytes: int) -> None:
        _BoundedHeadersParser.max_header_bytes = max_header_bytes
        http11._LenientHTTPClientParser = _BoundedHeadersParser  # type: ignore[misc]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        limit = crawler.settings.getint("WIRECRAWL_MAX_HEADER_BYTES")
        if limit <= 0:
            # Off: Scrapy's own parser, even if a crawler before in this process set the bound.
            http11._LenientHTTPClientParser = _Lenient  # type: ignore[misc]
            raise NotConfigured("WIRECRAWL_MAX_HEADER_BYTES is 0")
        return cls(limit)
