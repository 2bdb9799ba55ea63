"""Downloader middlewares that keep bad downloads out of the archive, each counted in the stats.

Scrapy hands a response to ``process_response`` from the highest number in
``DOWNLOADER_MIDDLEWARES`` down. These sit between HttpCompressionMiddleware (590), so that
they see the decompressed body, and RetryMiddleware (550), so that the Retry-After one sees
a 429 or 503 before Scrapy retries it:

``StayOnSiteMiddleware`` (60) works on requests, after Scrapy's OffsiteMiddleware (50):

- ``StayOnSiteMiddleware`` refuses any request (a redirect included) off ``allowed_domains``;
- ``HtmlOnlyMiddleware`` refuses a page served as an image or a download;
- ``CompletePageMiddleware`` fetches again a page cut before ``</html>`` (Scrapy takes a body
  without Content-Length, or a cut gzip stream, as complete);
- ``Utf8Middleware`` reads valid UTF-8 as UTF-8 whatever charset the page declares;
- ``RetryAfterMiddleware`` holds requests to a host that asked for a pause (Scrapy retries at once);
- ``DownloadFailureLogMiddleware`` says in one line why a download failed (Scrapy says it at
  DEBUG, unseen, until it gives up).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from typing import Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response, TextResponse
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectionDone, ConnectionLost
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from wirecrawl.headerlimit import HeadersTooLargeError
from wirecrawl.normalise.text import clean_text
from wirecrawl.normalise.urls import is_kcna_host

logger = logging.getLogger(__name__)

RETRY_AFTER_MAX = 120.0
"""Longest pause a Retry-After header gets, in seconds (setting ``WIRECRAWL_RETRY_AFTER_MAX``)."""

_CLOSING_HTML = re.compile(rb"</html\s*>", re.IGNORECASE)


def is_page(request: Request) -> bool:
    """True for the pages wirecrawl crawls; robots.txt is the one other thing it fetches."""
    return urlparse_cached(request).path != "/robots.txt"


def on_allowed_domain(host: str, domains: list[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one (``www.kcna.kp``)."""
    host = host.lower().rstrip(".")
    for domain in domains:
        domain = domain.lower().strip(".")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def html_is_complete(body: bytes) -> bool:
    """True when an HTML page got as far as its closing ``</html>`` tag.

    Every page of the sites crawled ends with it; a body cut in transit does not.
    """
    return _CLOSING_HTML.search(body) is not None


def is_utf8_text(body: bytes) -> bool:
    """True for valid UTF-8 with some non-ASCII bytes (pure ASCII reads the same in any charset)."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def retry_after_seconds(value: str | None, *, now: dt.datetime, cap: float) -> float | None:
    """The pause a ``Retry-After`` header asks for (seconds or an HTTP date), at most ``cap``.

    None when there is no header or it cannot be read; 0 for a date in the past.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)  # HTTP dates are GMT
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), cap)


def describe_failure(exception: BaseException) -> tuple[str, str]:
    """A stats key and a plain description of why a download failed."""
    if isinstance(exception, DownloadTimeoutError):
        return "timeout", f"no complete answer in time ({exception})"
    if isinstance(exception, ResponseDataLossError):
        return "data_loss", "the body ended before its Content-Length (data loss)"
    too_large = _headers_too_large(exception)
    if too_large is not None:
        return "headers_too_large", str(too_large)
    if isinstance(exception, DownloadFailedError | ConnectionLost | ConnectionDone):
        return "connection_lost", f"the connection broke off mid-answer ({exception})"
    if isinstance(exception, DownloadCancelledError):
        return "cancelled", clean_text(str(exception))
    if isinstance(exception, DownloadConnectionRefusedError):
        return "refused", "connection refused (is the proxy up?)"
    if isinstance(exception, CannotResolveHostError):
        return "dns", f"host name not found ({exception})"
    return "other", f"{type(exception).__name__}: {exception}"


def _headers_too_large(exception: BaseException) -> HeadersTooLargeError | None:
    """The HeadersTooLargeError behind a failed download: Scrapy raises DownloadFailedError
    from Twisted's ResponseFailed, whose ``reasons`` are Failures."""
    chain: list[BaseException | None] = [exception, exception.__cause__]
    for error in chain:
        if isinstance(error, HeadersTooLargeError):
            return error
        for reason in getattr(error, "reasons", None) or []:
            if isinstance(getattr(reason, "value", None), HeadersTooLargeError):
                return reason.value  # type: ignore[no-any-return]
    return None


class _StatsMiddleware:
    """A middleware with the crawler and its stats at hand."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class StayOnSiteMiddleware(_StatsMiddleware):
    """Refuses every request to a host outside the spider's ``allowed_domains``, and every
    request to kcna.kp that is not plain HTTP.

    Scrapy's OffsiteMiddleware lets a ``dont_filter`` request through, and a redirect keeps
    the ``dont_filter`` of the request it answers. The kcna spider sets it on every request
    (it reads listing pages again on purpose), so without this a redirect to another host
    would be followed. A spider without ``allowed_domains`` is not limited.

    kcna.kp is served over plain HTTP only, and people crawl it through ``http_proxy`` (it bans
    addresses, and networks block it). Scrapy sends an https request through ``https_proxy``
    alone, or straight to the site: a redirect to https (a captive portal, anything on the
    plain-HTTP path) or an https link would reach the site from the user's own address.
    """

    def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        host = parts.hostname or ""
        if parts.scheme != "http" and is_kcna_host(host):
            self.stats.inc_value("wirecrawl/download/not_plain_http_refused")
            raise IgnoreRequest(
                f"refused: {request.url}: kcna.kp is served over plain HTTP only, and an "
                f"{parts.scheme} request would not go through http_proxy"
                + _redirected_from(request)
            )
        domains = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        if not domains or on_allowed_domain(host, domains):
            return
        self.stats.inc_value("wirecrawl/download/offsite_refused")
        raise IgnoreRequest(
            f"refused: {host} is off the allowed domains {domains}" + _redirected_from(request)
        )


def _redirected_from(request: Request) -> str:
    redirected_from = request.meta.get("redirect_urls") or []
    return f", redirected from {redirected_from[0]}" if redirected_from else ""


class HtmlOnlyMiddleware(_StatsMiddleware):
    """Refuses a page whose Content-Type is not text (``image/png``, ``application/octet-stream``).

    Scrapy would sniff the body and parse it all the same; a page served as something else is
    a misconfigured server or a proxy's substitute, not the page asked for. It is not retried:
    the story stays unstored and the next run fetches it again.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not is_page(request) or not 200 <= response.status < 300:
            return response
        declared = response.headers.get("Content-Type")
        if declared is None:
            return response  # no label: Scrapy's sniffing decides
        media_type = declared.decode("latin-1").split(";")[0].strip().lower()
        if media_type.startswith("text/") or media_type == "application/xhtml+xml":
            return response
        self.stats.inc_value("wirecrawl/download/wrong_type")
        raise IgnoreRequest(f"refused: served as {media_type!r}, not as an HTML page")


class CompletePageMiddleware(_StatsMiddleware):
    """Fetches again a page that ends before ``</html>``: it was cut in transit.

    Scrapy takes a body without Content-Length that ends when the connection closes, or a
    gzip stream cut short, as complete. Every text answer to a page request is checked, not
    only one labelled HTML: a page served as ``text/plain`` is still read as a page. After
    ``RETRY_TIMES`` tries the request fails.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            not isinstance(response, TextResponse)
            or not 200 <= response.status < 300
            or not is_page(request)
            or html_is_complete(response.body)
        ):
            return response
        self.stats.inc_value("wirecrawl/download/truncated")
        spider = self.crawler.spider
        assert spider is not None
        again = get_retry_request(request, spider=spider, reason="truncated HTML")
        if again is not None:
            logger.warning(
                "Truncated page (%d bytes, no </html>): %s; fetching it again",
                len(response.body),
                request.url,
            )
            return again
        raise IgnoreRequest(f"page still truncated (no </html>) after {tries(request)} tries")


class Utf8Middleware(_StatsMiddleware):
    """Reads a page as UTF-8 when its bytes are valid UTF-8, whatever charset it declares.

    The sites crawled serve UTF-8; a header saying ``charset=iso-8859-1`` would turn every
    right quote (U+2019) into three Latin-1 characters. Valid UTF-8 with non-ASCII bytes is,
    in practice, never Latin-1 text. Counted: ``charset_fixed`` (read otherwise before) and
    ``charset_missing`` (no charset declared anywhere; Scrapy's guess is not relied on).
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not is_utf8_text(response.body):
            return response
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        declared = http_content_type_encoding(content_type) or html_body_declared_encoding(
            response.body
        )
        if response.encoding != "utf-8":
            self.stats.inc_value("wirecrawl/download/charset_fixed")
            logger.warning(
                "Page is UTF-8 but declares %s (Content-Type: %s); read as UTF-8: %s",
                declared,
                content_type,
                request.url,
            )
            return response.replace(encoding="utf-8")
        if declared is None:
            self.stats.inc_value("wirecrawl/download/charset_missing")
            logger.warning("Page declares no charset; read as UTF-8: %s", request.url)
            return response.replace(encoding="utf-8")
        return response


class RetryAfterMiddleware(_StatsMiddleware):
    """Honours ``Retry-After`` on 429 and 503: no request goes to that host until then.

    The pause is at most ``WIRECRAWL_RETRY_AFTER_MAX`` seconds (120). RetryMiddleware still
    makes the retry; this holds it, and every other request to the host, in
    ``process_request``. Requests already past this point when the answer arrives (a few, in
    the first instants) still go out.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.cap = crawler.settings.getfloat("WIRECRAWL_RETRY_AFTER_MAX", RETRY_AFTER_MAX)
        self._not_before: dict[str, float] = {}

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        wait = self._not_before.get(host, 0.0) - time.monotonic()
        if wait > 0:
            await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503):
            return response
        header = response.headers.get("Retry-After")
        value = header.decode("latin-1") if header is not None else None
        seconds = retry_after_seconds(value, now=dt.datetime.now(dt.UTC), cap=self.cap)
        if seconds is None:
            return response
        host = urlparse_cached(request).hostname or ""
        until = time.monotonic() + seconds
        self._not_before[host] = max(self._not_before.get(host, 0.0), until)
        self.stats.inc_value("wirecrawl/download/retry_after")
        logger.warning(
            "%s answered %d with Retry-After: %s; no request to %s for %.0f s",
            request.url,
            response.status,
            value,
            host,
            seconds,
        )
        return response


class DownloadFailureLogMiddleware(_StatsMiddleware):
    """Logs every failed download in one plain line and counts it by kind.

    Scrapy logs the retries of a failed download at DEBUG only, so a run that recovered from
    time-outs and broken connections would otherwise say nothing about them. Counted as
    ``wirecrawl/download/failed/<kind>`` (timeout, data_loss, connection_lost, ...).
    """

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return  # a decision (off-site, robots.txt), not a failure: logged where it is made
        kind, description = describe_failure(exception)
        self.stats.inc_value(f"wirecrawl/download/failed/{kind}")
        if kind != "cancelled":  # Scrapy logs why it cancels a download (DOWNLOAD_MAXSIZE)
            logger.warning("Download failed: %s: %s", request.url, description)


def tries(request: Request) -> int:
    """How many times a request has been tried so far (the first try included)."""
    return int(request.meta.get("retry_times", 0)) + 1
