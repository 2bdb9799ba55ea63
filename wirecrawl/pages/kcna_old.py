"""Page classes for www.kcna.kp in the layout it had until July 2026 (``.kcmsf`` URLs).

Article: ``/en/article/q/<32 or 64 hex>.kcmsf``; it prints its own date (``www.kcna.kp
(Juche108.12.10.)``). Category page: ``/en/category/articles/q/<id>.kcmsf``. Homepage: ``/en``
(``/en/index.kcmsf``), whose widgets are printed twice (desktop and mobile).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

from parsel import Selector

from wirecrawl.items import ListingEntry
from wirecrawl.normalise.dates import parse_kcna_date
from wirecrawl.normalise.teasers import dedupe_teasers
from wirecrawl.normalise.text import clean_text
from wirecrawl.normalise.urls import canonical_url, kcna_category_key, kcna_story_key
from wirecrawl.pages.base import Page, StoryPage, text_of

# The date inside a category page's link: `<span class="publish-time">[2024.06.15]</span>`.
_OUTSIDE_PUBLISH_TIME = (
    ".//text()[not(ancestor::span[contains(concat(' ', normalize-space(@class), ' '),"
    " ' publish-time ')])]"
)
# The homepage's date right after the link: `<span class='datemark'><nobr>[Juche113.8.4.]`.
_NEXT_DATEMARK = (
    "following-sibling::*[1][self::span and contains(concat(' ', normalize-space(@class), ' '),"
    " ' datemark ')]//text()"
)


def _entry(page: Page, link: Selector, text: str, published: dt.date | None) -> ListingEntry | None:
    # A link to a story (photo and video pages are linked the same way: not stories).
    try:
        url = canonical_url(urljoin(page.url, link.attrib.get("href", "")))
    except ValueError:
        return None  # a javascript: or malformed link is no story
    key = kcna_story_key(url)
    if key is None or not text:
        return None
    return ListingEntry(url=url, story_key=key, text=text, published=published)


class KcnaOldArticlePage(StoryPage):
    """A story page: title ``div.article-main-title``, paragraphs in ``div.content-wrapper``."""

    def title(self) -> str:
        """The headline (often inside ``strong``; leader-name markup dissolved)."""
        for node in self.selector.css("div.article-main-title"):
            text = text_of(node)
            if text:
                return text
        return ""

    def paragraphs(self) -> list[str]:
        """Body paragraphs in order, empty ones dropped."""
        query = "div.article-content-body div.content-wrapper p"
        texts = (text_of(p) for p in self.selector.css(query))
        return [text for text in texts if text]

    def published(self) -> dt.date | None:
        """The page's own date, ``www.kcna.kp (2025.12.14.)`` or ``(Juche108.12.10.)``.

        A ``span.publish-time`` inside a link belongs to a related story's entry, not this one.
        """
        for span in self.selector.css("span.publish-time"):
            if span.xpath("ancestor::a"):
                continue
            day = parse_kcna_date(text_of(span))
            if day is not None:
                return day
        return None


def _menu(page: Page) -> dict[str, str]:
    """The category pages a page links to (its menu): ``.kcmsf`` URL -> name, in page order."""
    categories: dict[str, str] = {}
    for link in page.selector.css("a[href*='/en/category/articles/q/']"):
        try:
            url = canonical_url(urljoin(page.url, link.attrib["href"]))
        except ValueError:
            continue
        name = text_of(link)
        if name and url not in categories:
            categories[url] = name
    return categories


class KcnaOldCategoryPage(Page):
    """A category page: ``ul.article-link li a``, the date printed inside the link.

    Page 1 of a category is ``/en/category/articles/q/<32 hex>.kcmsf``, the URL the site's menu
    links to. Its later pages have opaque 64-hex URLs (reached by a form POST): such a URL names
    a page, not a category, so ``category`` does not take it for one."""

    def _printed_name(self) -> str:
        titles = self.selector.css("div.category-title")
        return text_of(titles[0]) if titles else ""

    def name(self) -> str | None:
        """The category's name: as the page prints it (``div.category-title``), else as its
        menu names the page's own URL; None when neither says."""
        return self._printed_name() or _menu(self).get(self.url)

    def category(self) -> tuple[str, str | None] | None:
        """The category this page lists, as (id, name), or None when the page does not say.

        Page 1: the id in its URL, with ``name()``. A later page: the id of the menu's link
        with the name the page prints, if there is one."""
        own = kcna_category_key(self.url)
        if own is not None and len(own) == 32:
            return own, self.name()
        printed = self._printed_name()
        for url, name in _menu(self).items():
            key = kcna_category_key(url)
            if printed and name == printed and key is not None and len(key) == 32:
                return key, name
        return None

    def entries(self) -> list[ListingEntry]:
        """Every story entry in page order, repeats included; texts without their dates."""
        found = []
        for link in self.selector.css("ul.article-link li a[href]"):
            text = clean_text("".join(link.xpath(_OUTSIDE_PUBLISH_TIME).getall()))
            dates = link.css("span.publish-time *::text, span.publish-time::text").getall()
            entry = _entry(self, link, text, parse_kcna_date(" ".join(dates)))
            if entry is not None:
                found.append(entry)
        return found


class KcnaOldHomePage(Page):
    """The homepage: widgets of ``p.pointer1``/``p.pointer2`` lines and ``div.img-title`` photos.

    Each widget is printed twice (desktop and mobile): ``entries`` gives every story once.
    """

    def entries(self) -> list[ListingEntry]:
        """Each story once, at its first sighting in page order, with the date after its link."""
        found = []
        query = "p.pointer1 > a[href], p.pointer2 > a[href], div.img-title > a[href]"
        for link in self.selector.css(query):
            published = parse_kcna_date(" ".join(link.xpath(_NEXT_DATEMARK).getall()))
            entry = _entry(self, link, text_of(link), published)
            if entry is not None:
                found.append(entry)
        return dedupe_teasers(found)

    def categories(self) -> dict[str, str]:
        """Category pages linked from the homepage: ``.kcmsf`` URL -> name, in page order."""
        return _menu(self)
