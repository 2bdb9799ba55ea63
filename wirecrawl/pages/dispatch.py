"""Which page class reads a kcna.kp URL: for pages given one by one (``-a urls=``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from wirecrawl.pages.base import Page
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage
from wirecrawl.pages.kcna_old import KcnaOldArticlePage, KcnaOldCategoryPage, KcnaOldHomePage

PAGE_CLASSES: dict[str, type[Page]] = {
    cls.__name__: cls
    for cls in (
        KcnaArticlePage,
        KcnaListingPage,
        KcnaOldArticlePage,
        KcnaOldCategoryPage,
        KcnaOldHomePage,
    )
}
"""The classes ``page_kind`` names, by name."""

_HEX = r"(?:[0-9a-f]{32}|[0-9a-f]{64})"
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/en/article/detail/[0-9a-f]{32}/?", re.I), "KcnaArticlePage"),
    (re.compile(r"/en/article/list/[0-9a-f]{32}/?", re.I), "KcnaListingPage"),
    (re.compile(rf"/en/article/q/{_HEX}\.kcmsf", re.I), "KcnaOldArticlePage"),
    (re.compile(rf"/en/category/articles/q/{_HEX}\.kcmsf", re.I), "KcnaOldCategoryPage"),
    # `/en` is where the old homepage was (its own "home" links say `/en`); `/en/index.kcmsf`
    # is the same page under its file name.
    (re.compile(r"/en(?:/|/index\.kcmsf)?", re.I), "KcnaOldHomePage"),
)


def page_kind(url: str) -> str | None:
    """The name of the page class that reads ``url`` (a key of ``PAGE_CLASSES``), else None.

    ``/en/article/detail/<32hex>`` KcnaArticlePage, ``/en/article/list/<32hex>`` KcnaListingPage,
    ``/en/article/q/<hex>.kcmsf`` KcnaOldArticlePage, ``/en/category/articles/q/<hex>.kcmsf``
    KcnaOldCategoryPage, ``/en``, ``/en/`` and ``/en/index.kcmsf`` KcnaOldHomePage. Any kcna.kp
    host and http or https; query and fragment ignored; other hosts, other languages, photo and
    video pages and unparseable URLs give None.

    Caution: since July 2026 the live ``/en`` prints the current layout, which KcnaOldHomePage
    does not read (it finds no entries there); a capture of ``/en`` from before is old layout.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not (
        host == "kcna.kp" or host.endswith(".kcna.kp")
    ):
        return None
    for pattern, kind in _KINDS:
        if pattern.fullmatch(parts.path):
            return kind
    return None
