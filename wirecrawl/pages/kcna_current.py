"""Page classes for www.kcna.kp in the layout it has had since July 2026.

Listing: ``GET /en/article/list/<category>`` (page 1) and ``POST`` of ``#article_form`` for
pages 2..N. Article: ``GET /en/article/detail/<id>``; it prints no date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from lxml import etree  # type: ignore[import-untyped]  # parsel's tree; lxml has no stubs

from wirecrawl.items import ListingEntry
from wirecrawl.normalise.dates import parse_kcna_date
from wirecrawl.normalise.text import clean_text
from wirecrawl.normalise.urls import (
    SITE,
    SITE_PATH,
    canonical_url,
    kcna_category_key,
    kcna_story_key,
)
from wirecrawl.pages.base import (
    Page,
    StoryPage,
    compiled_css,
    element_text,
    from_element_on,
    parse_html,
    text_of,
)

_SCRIPT_VAR = r"var\s+{name}\s*=\s*(\d+)\s*;"


@dataclass(frozen=True, kw_only=True)
class Pagination:
    """The counters the listing page carries in a script (``var page_cnt = 36;`` ...)."""

    total: int
    cur_page: int
    per_page: int
    page_cnt: int


def absolute_url(base: str, href: str) -> str | None:
    """The canonical absolute URL of a link, or None for one that is no web address
    (``javascript:``, malformed)."""
    if base.startswith(SITE + "/") and SITE_PATH.fullmatch(href):
        # A root-relative link of the site's own, on the site: the commonest link of a
        # listing, canonical with the site's address in front (the tests check both ways).
        return SITE + href
    try:
        return canonical_url(urljoin(base, href))
    except ValueError:
        return None


# The site's own name, which a page's <title> may give in place of a headline.
_SITE_NAME = re.compile(
    r"\W*(?:KCNA|Korean Central News Agency(?: of DPR Korea)?|KCNA\.kp(?: \(En\))?)\W*",
    re.IGNORECASE,
)


class KcnaListingPage(Page):
    """A category listing page (page 1 from GET, later pages from the form POST)."""

    # Run on every listing page a crawl reads: compiled once (``compiled_css``).
    _BLOCKS = compiled_css("main div.article")
    _LOOSE_BLOCKS = compiled_css("div.article")
    _LINKS = compiled_css("h5 a[href]")
    _TEXT_OUTSIDE_LINKS = etree.XPath(".//text()[not(ancestor::a)]", smart_strings=False)
    # The same text and the entries' links, in page order: for a block of several entries.
    _TEXT_AND_LINKS = etree.XPath(
        ".//text()[not(ancestor::a)] | .//h5//a[@href]", smart_strings=False
    )

    def entries(self) -> list[ListingEntry]:
        """Every story entry in page order, repeats included (the spider dedupes)."""
        found = []
        root = self.selector.root
        for block in self._BLOCKS(root) or self._LOOSE_BLOCKS(root):
            links = self._LINKS(block)
            dates = self._dates(block, links)
            for link in links:
                url = absolute_url(self.url, link.get("href"))
                key = kcna_story_key(url) if url else None
                if url is None or key is None or "/article/detail/" not in url:
                    continue
                published = dates.get(link)
                found.append(
                    ListingEntry(
                        url=url, story_key=key, text=element_text(link), published=published
                    )
                )
        return found

    def _dates(self, block: Any, links: list[Any]) -> dict[Any, dt.date]:
        """The listing date of each entry link of ``block``. An entry can hold several
        ``<nobr>`` (a leader's name and the date): the date is matched by its pattern, among
        the text outside links. A block of one entry (the site's markup) takes the first date
        in it; a block of several, each link the first date after it, before the next link."""
        if len(links) == 1:
            dates = (parse_kcna_date(text) for text in self._TEXT_OUTSIDE_LINKS(block))
            first = next((day for day in dates if day is not None), None)
            return {} if first is None else {links[0]: first}
        found: dict[Any, dt.date] = {}
        current = None
        for node in self._TEXT_AND_LINKS(block):
            if not isinstance(node, str):
                current = node
            elif current is not None and current not in found:
                day = parse_kcna_date(node)
                if day is not None:
                    found[current] = day
        return found

    def pagination(self) -> Pagination | None:
        """The page counters, or None when the page carries none (not a listing)."""
        script = "\n".join(self.selector.xpath("//script/text()").getall())
        values = {}
        for name in ("total", "cur_page", "per_page", "page_cnt"):
            match = re.search(_SCRIPT_VAR.format(name=name), script)
            if match is None:
                return None
            values[name] = int(match.group(1))
        return Pagination(**values)

    def form_action(self) -> str | None:
        """Absolute URL that pages 2..N are POSTed to, canonical (plain HTTP, as the site is
        served: an https action would not go through ``http_proxy``); None without one."""
        action = self.selector.css("form#article_form::attr(action)").get()
        if not action:
            return None
        try:
            return canonical_url(urljoin(self.url, action))
        except ValueError:
            return None

    def form_fields(self) -> dict[str, str]:
        """The hidden fields of ``#article_form`` (``page_num``, ``cnt_per_page``, ``_csrf``...)."""
        fields = {}
        for field in self.selector.css("form#article_form input[name]"):
            fields[field.attrib["name"]] = field.attrib.get("value", "")
        return fields

    def menu_categories(self) -> dict[str, str]:
        """Category listings linked from the page (the site's menu): id -> name."""
        categories: dict[str, str] = {}
        for link in self.selector.css("a[href*='/article/list/']"):
            url = absolute_url(self.url, link.attrib["href"])
            key = kcna_category_key(url) if url else None
            name = text_of(link)
            if key and name and key not in categories:
                categories[key] = name
        return categories


class KcnaArticlePage(StoryPage):
    """A story page: headline in ``h1.text-danger``, body in the container's own ``<p>``.

    Everything it reads is in the page's head (``<title>``) and its ``<main>`` element: the
    menus and header between them are not parsed (on the imitation site, 45% of the parse
    saved) when the rest holds the documented article (``main > article > div.container``
    with a heading and direct ``<p>``); otherwise, for a page that has no single ``<main>`` or
    that keeps its article elsewhere, the whole page is. The two give the same story
    (tests/test_pages_part.py; tests/test_fuzz.py on broken pages)."""

    _CONTAINER = "main > article > div.container"
    # Run on every story page a crawl fetches: compiled once (``compiled_css``).
    _ANY_CONTAINER = compiled_css("article div.container")
    _HEADINGS = compiled_css(f"{_CONTAINER} > h1")
    _LOOSE_HEADINGS = compiled_css("article div.container h1")
    _PARAGRAPHS = compiled_css(f"{_CONTAINER} > p")
    _LOOSE_PARAGRAPHS = compiled_css("article div.container > p")
    _TITLE_TEXT = etree.XPath("descendant-or-self::title/text()", smart_strings=False)

    @cached_property
    def article_root(self) -> Any:
        """The tree the story is read from: the page from its ``<main>`` on, or all of it."""
        part = from_element_on(self.html, "main")
        if part is not None:
            root = parse_html(part).root
            # With the strict queries' elements there, every query below finds in the part
            # what it finds in the whole page (which has this one <main>); else read it all.
            if self._HEADINGS(root) and self._PARAGRAPHS(root):
                return root
        return self.selector.root

    def title(self) -> str:
        """The headline; a second, empty ``h1`` may follow it, and ``<title>`` is the fallback."""
        root = self.article_root
        for heading in self._HEADINGS(root) or self._LOOSE_HEADINGS(root):
            text = element_text(heading)
            if text:
                return text
        # The <title> is "KCNA | headline"; a bare "KCNA", or the agency's name after the bar
        # (a title the same on every page), is the site's name, not a headline.
        texts = self._TITLE_TEXT(root)
        title = clean_text(texts[0]) if texts else ""
        match = re.match(r"KCNA\s*\|\s*(.+)", title)
        if match is None or _SITE_NAME.fullmatch(match.group(1)):
            return ""
        return match.group(1)

    def paragraphs(self) -> list[str]:
        """Body paragraphs: the container's direct ``<p>`` children, empty ones dropped.

        A ``<p>`` nested in a ``<div>`` is a photo caption, not body.
        """
        root = self.article_root
        nodes = self._PARAGRAPHS(root) or self._LOOSE_PARAGRAPHS(root)
        texts = (element_text(p) for p in nodes)
        return [text for text in texts if text]

    def gallery_url(self) -> str | None:
        """Link to the story's photo gallery, if it has one."""
        href = self.selector.css("a.gallery_button::attr(href)").get()
        return urljoin(self.url, href) if href else None

    def story(self) -> tuple[str, list[str]] | None:
        """The headline and the paragraphs; None without the article's container too."""
        if not self._ANY_CONTAINER(self.article_root):
            return None
        return super().story()
