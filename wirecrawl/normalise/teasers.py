"""Teasers: the lines that link to other stories (listings, "More From ..." boxes, homepages).

A page often prints the same teaser more than once: kcna.kp's old homepage prints every widget
twice (desktop and mobile), the aggregator prints each teaser as teaser / date / teaser. A story is
kept once, at its first sighting, by ``teaser_key`` of the URL it links to; its teaser's URL is
``teaser_url``, one for the story however the page wrote the link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

from wirecrawl.normalise.text import clean_text
from wirecrawl.normalise.urls import canonical_url, is_site_story_url, kcna_story_key

# An aggregator story path: `/newstream/<10-digit unix time>-<id>/<slug>/`; the slug is decoration.
_NEWSTREAM_PATH = re.compile(
    r"(?P<story>/newstream/(?P<seconds>[0-9]{10})-(?P<id>[0-9A-Za-z]+))(?:/.*)?", re.DOTALL
)


@dataclass(frozen=True, kw_only=True)
class Teaser:
    """A line that links to a story, as a page printed it."""

    url: str
    """Absolute canonical URL of the story the teaser links to (``teaser_url``)."""
    text: str
    """The teaser line as printed: markup dissolved, whitespace collapsed."""
    published: dt.date | None
    """The date printed with the teaser (``December 01, 2025``); None if it printed none."""

    @classmethod
    def from_link(
        cls, base_url: str, href: str, text: str, published: dt.date | None = None
    ) -> Teaser:
        """A teaser from a link as found on the page at ``base_url`` (``href`` may be relative)."""
        return cls(
            url=teaser_url(urljoin(base_url, href)), text=clean_text(text), published=published
        )


class _LinksToAStory(Protocol):
    @property
    def url(self) -> str: ...


TeaserLike = TypeVar("TeaserLike", bound=_LinksToAStory)


def teaser_key(url: str) -> str:
    """The story an absolute URL points at, as a key: equal keys are one story.

    ``host/path`` without scheme, fragment and trailing slash (http and https are one story), and
    with the hex id of kcna.kp story URLs lower-cased and their query dropped. An aggregator's
    ``/newstream/<unix time>-<id>/<slug>/`` keeps only ``/newstream/<unix time>-<id>``, on its
    host without ``www.``: the slug is decoration, and ``www.kcnawatch.org`` and
    ``kcnawatch.org`` are one site (``aggregator_story_key`` gives both one key). Raises
    ValueError for a URL without scheme and host (resolve links first).
    """
    if is_site_story_url(url):
        # The site's own link, as its listings print it: host and path as they stand.
        return url.removeprefix("http://")
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    path = parts.path.rstrip("/")
    query = parts.query
    if kcna_story_key(canonical) is not None:
        query = ""
    host = parts.netloc
    newstream = _NEWSTREAM_PATH.fullmatch(parts.path)
    if newstream is not None:
        host, path, query = host.removeprefix("www."), newstream["story"], ""
    return f"{host}{path}" + (f"?{query}" if query else "")


def teaser_url(url: str) -> str:
    """The URL a teaser of a story is kept under, the same however a page links the story.

    ``canonical_url``; and for an aggregator's story (``/newstream/<unix time>-<id>/<slug>/``)
    its shortest address, ``<scheme>://<host without www.>/newstream/<unix time>-<id>/``: the
    slug, the query and the fragment are decoration, and ``www.kcnawatch.org`` and
    ``kcnawatch.org`` are one site (as for ``teaser_key``). The scheme is kept, as the page
    wrote it: which one an aggregator serves is not known. Raises ValueError for a URL without
    scheme and host (resolve links first).
    """
    canonical = canonical_url(url)
    if is_site_story_url(canonical):
        return canonical  # the site's own link, as its listings print it
    parts = urlsplit(canonical)
    newstream = _NEWSTREAM_PATH.fullmatch(parts.path)
    if newstream is None:
        return canonical
    host = parts.netloc.removeprefix("www.")
    return parts._replace(netloc=host, path=newstream["story"] + "/", query="").geturl()


def aggregator_story_key(url: str) -> str:
    """A stable key for a story on an aggregator: ``<site>-<id>`` (``kcnawatch-567937233``).

    ``<site>`` is the first label of the host without ``www.``; ``<id>`` is the aggregator's id in
    a ``/newstream/<unix time>-<id>/`` URL, else the first 16 hex digits of the SHA-1 of the URL's
    ``teaser_key``. The same URL always gives the same key. Raises ValueError for a relative URL.
    """
    parts = urlsplit(canonical_url(url))
    site = (parts.hostname or "").removeprefix("www.").split(".")[0]
    newstream = _NEWSTREAM_PATH.fullmatch(parts.path)
    if newstream is not None:
        return f"{site}-{newstream['id']}"
    digest = hashlib.sha1(teaser_key(url).encode()).hexdigest()[:16]
    return f"{site}-{digest}"


def dedupe_teasers(teasers: Iterable[TeaserLike]) -> list[TeaserLike]:
    """One teaser per story (``teaser_key`` of its URL): the first sighting, in page order.

    A line printed as teaser / date / teaser, or a widget printed twice, counts once. Works for
    anything with an absolute ``url`` (``Teaser``, ``ListingEntry``). Idempotent; the result is a
    subsequence of the input and holds every story of it.
    """
    seen: set[str] = set()
    kept: list[TeaserLike] = []
    for teaser in teasers:
        key = teaser_key(teaser.url)
        if key not in seen:
            seen.add(key)
            kept.append(teaser)
    return kept
