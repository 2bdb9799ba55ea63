"""The live defaults a polite, safe crawl of kcna.kp depends on, as `scrapy` itself reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.settings import Settings

from tests.conftest import PageProxy, run_crawl


def setting(name: str) -> str:
    """A setting as `scrapy crawl` sees it: Scrapy's defaults overridden by the project's."""
    settings = Settings()
    settings.setmodule("wirecrawl.settings", priority="project")
    value = settings.get(name)
    return json.dumps(value) if isinstance(value, list) else str(value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("CONCURRENT_REQUESTS_PER_DOMAIN", "1", id="one-request-at-a-time"),
        pytest.param("CONCURRENT_REQUESTS", "1", id="one-request-in-the-downloader"),
        pytest.param("DOWNLOAD_DELAY", "2.5", id="about-2.5s-apart"),
        pytest.param("DOWNLOAD_TIMEOUT", "60", id="60s-timeout"),
        pytest.param("ROBOTSTXT_OBEY", "True", id="robots-obeyed"),
        pytest.param("TELNETCONSOLE_ENABLED", "False", id="no-telnet-console"),
        pytest.param("REMOTE_CONTROL_ENABLED", "False", id="no-remote-control"),
        pytest.param("HTTPPROXY_ENABLED", "True", id="proxy-middleware-on"),
        pytest.param("COOKIES_ENABLED", "True", id="cookie-sessions"),
    ],
)
def test_polite_and_safe_defaults(name: str, expected: str) -> None:
    assert setting(name) == expected


def test_defaults_that_are_not_single_values() -> None:
    assert "wirecrawl" in setting("USER_AGENT")
    assert int(setting("RETRY_TIMES")) >= 2
    codes = json.loads(setting("RETRY_HTTP_CODES"))
    assert {500, 502, 503, 504, 408} <= set(codes)
    assert 0 < int(setting("DOWNLOAD_MAXSIZE")) <= 64 * 1024 * 1024


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    url = "http://www.kcna.kp/en/article/detail/" + "ab" * 16
    pages = {"/robots.txt": "User-agent: *\nDisallow: /en/article/detail/\n"}
    with PageProxy("www.kcna.kp", pages) as proxy:
        result = run_crawl(proxy.proxy_url, tmp_path / "a.db", "-a", f"urls={url}")
    assert proxy.requests == ["http://www.kcna.kp/robots.txt"]
    assert result.stat("robotstxt/forbidden") == 1


def test_the_header_bound_is_set_per_crawler_and_0_puts_scrapys_parser_back() -> None:
    from scrapy.core.downloader.handlers import http11
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from wirecrawl import headerlimit

    scrapys = headerlimit._Lenient
    try:
        crawler = get_crawler(settings_dict={"WIRECRAWL_MAX_HEADER_BYTES": 1000})
        headerlimit.HeaderLimit.from_crawler(crawler)
        assert http11._LenientHTTPClientParser is headerlimit._BoundedHeadersParser
        assert headerlimit._BoundedHeadersParser.max_header_bytes == 1000
        crawler = get_crawler(settings_dict={"WIRECRAWL_MAX_HEADER_BYTES": 0})
        with pytest.raises(NotConfigured):
            headerlimit.HeaderLimit.from_crawler(crawler)
        assert http11._LenientHTTPClientParser is scrapys
    finally:
        http11._LenientHTTPClientParser = scrapys  # type: ignore[misc]
