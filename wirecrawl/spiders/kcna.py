"""The ``kcna`` spider: English stories of www.kcna.kp, current layout (since July 2026).

    scrapy crawl kcna                                  # every category
    scrapy crawl kcna -a categories="Top News,World"   # ids or names, comma separated
    scrapy crawl kcna -a urls=http://www.kcna.kp/en/article/detail/<id>

The spider only decides what to fetch; the page classes in ``wirecrawl.pages`` read the pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import scrapy
from scrapy.http import FormRequest, Request, Response
from twisted.python.failure import Failure

from wirecrawl.items import ArticleItem, ListingEntryItem
from wirecrawl.normalise.urls import canonical_url, kcna_story_key
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage

SITE = "http://www.kcna.kp"

# Category ids of the current layout. The spider also follows categories it finds in the
# site's menu when it crawls all of them, so a category added later is not missed.
CATEGORIES: dict[str, str] = {
    "b0721b9f23054ddc7fe56c2811a12715": "Kim Jong Un's Revolutionary Activities",
    "503e9b606704f9b1c625fa5755928cd3": "Revolutionary Anecdote",
    "7bc083f00425be6aadfb828fba1cb5a7": "Always in Memory of People",
    "a666dda1282180e0ee1b4427b0574ae7": "Latest News",
    "6a47505ba5268fd7749c0fe11e4b24b4": "Top News",
    "2f7d854121ccbbfbe6feae9fdcc3556e": "Home News",
    "1afa96195f9b303902490a126ab7285f": "Documents",
    "ecc14533d88be93068af4178946b1b05": "World",
    "680e40b40899891bbe75a7072e3285e7": "Social Life",
    "e2f336db98b5e69c75e0da264e037e8d": "External",
}

# An empty 200 answer to a listing POST means the session or its token went bad, not that
# the list ended: start a new session this many times before giving the page up.
MAX_SESSION_RENEWALS = 3


def select_categories(argument: str | None, known: dict[str, str]) -> dict[str, str]:
    """The categories named by ``-a categories=`` (ids or names, comma separated); all if None.

    Raises ValueError naming the unknown ones, so a typo stops the crawl before any request.
    """
    if argument is None or not argument.strip():
        return dict(known)
    by_name = {name.casefold(): key for key, name in known.items()}
    chosen: dict[str, str] = {}
    unknown = []
    for word in (w.strip() for w in argument.split(",")):
        if not word:
            continue
        key = word.lower() if word.lower() in known else by_name.get(word.casefold())
        if key is None:
            unknown.append(word)
        else:
            chosen[key] = known[key]
    if unknown or not chosen:
        names = "; ".join(f"{key} ({name})" for key, name in known.items())
        raise ValueError(f"unknown categories {unknown!r}; known categories: {names}")
    return chosen


def split_urls(argument: str) -> list[str]:
    """The pages named by ``-a urls=`` (comma separated), canonicalised; ValueError if none."""
    urls = [canonical_url(u.strip()) for u in argument.split(",") if u.strip()]
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad or not urls:
        raise ValueError(f"-a urls= needs absolute http URLs, got {argument!r}")
    return urls


@dataclass(frozen=True, kw_only=True)
class ListingForm:
    """What it takes to POST a category's next listing page: the form and its session."""

    action: str
    fields: dict[str, str]
    cookiejar: str
    page_cnt: int


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class KcnaSpider(scrapy.Spider):
    """Walks the category listings of www.kcna.kp (English) and reads every story they list."""

    name = "kcna"
    # Stay on the agency's site: an off-site link or redirect is dropped by Scrapy.
    allowed_domains: ClassVar[list[str]] = ["kcna.kp"]

    def __init__(
        self, categories: str | None = None, urls: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.categories = select_categories(categories, CATEGORIES)
        self.crawl_all_categories = categories is None
        self.urls = split_urls(urls) if urls is not None else []
        self._sessions: dict[str, int] = {}
        self._requested_stories: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        """Article pages given with ``-a urls=``, else page 1 of every chosen category."""
        for url in self.urls:
            yield self.article_request(url, published=None)
        if not self.urls:
            for category_id in self.categories:
                yield self.listing_request(category_id)

    # --- listings -------------------------------------------------------------------------

    def listing_request(self, category_id: str, resume_at: int = 2, renewals: int = 0) -> Request:
        """GET page 1 of a category in a new cookie session of its own.

        Pages 2..N must be POSTed with the session and token of the page 1 that opened them,
        and categories crawled at once must not overwrite each other's session: each category
        (and each renewal) gets a cookie jar of its own. ``resume_at`` is the page to POST next.
        """
        session = self._sessions.get(category_id, 0) + 1
        self._sessions[category_id] = session
        return Request(
            f"{SITE}/en/article/list/{category_id}",
            callback=self.parse_listing,
            errback=self.listing_failed,
            meta={"cookiejar": f"{category_id}/{session}"},
            cb_kwargs={"category_id": category_id, "resume_at": resume_at, "renewals": renewals},
            dont_filter=True,
        )

    def parse_listing(
        self, response: Response, category_id: str, resume_at: int, renewals: int
    ) -> Iterator[Any]:
        """Page 1 of a category: its entries, then the POST for the next page.

        Pages are read one after another, each POST made when the page before it arrived: a
        session that goes bad then costs one renewal, not one per page queued in it.
        """
        page = KcnaListingPage(response.url, response.text)
        pagination = page.pagination()
        action = page.form_action()
        if page.is_blocked() or pagination is None or action is None:
            self._count("listing/not_listing")
            self.logger.error(
                "Not a listing page (%s) at %s: category %s skipped this run",
                "blocked" if page.is_blocked() else "no pagination or form",
                response.url,
                category_id,
            )
            return
        if self.crawl_all_categories:
            for key, name in page.menu_categories().items():
                if key not in self.categories:
                    self.categories[key] = name
                    self.logger.info("Found category %s (%s) in the site's menu", key, name)
                    yield self.listing_request(key)
        if resume_at == 2:
            yield from self.entries(page, category_id)
        form = ListingForm(
            action=action,
            fields=page.form_fields(),
            cookiejar=response.meta["cookiejar"],
            page_cnt=pagination.page_cnt,
        )
        if resume_at <= form.page_cnt:
            yield self.page_request(form, category_id, resume_at, renewals)

    def page_request(
        self, form: ListingForm, category_id: str, page_num: int, renewals: int
    ) -> FormRequest:
        """POST of the listing form for ``page_num``, in the session the form came from."""
        return FormRequest(
            form.action,
            formdata={**form.fields, "page_num": str(page_num)},
            callback=self.parse_listing_page,
            errback=self.listing_failed,
            meta={"cookiejar": form.cookiejar},
            cb_kwargs={
                "category_id": category_id,
                "form": form,
                "page_num": page_num,
                "renewals": renewals,
            },
            dont_filter=True,
        )

    def parse_listing_page(
        self,
        response: Response,
        category_id: str,
        form: ListingForm,
        page_num: int,
        renewals: int,
    ) -> Iterator[Any]:
        """Page 2..N of a category. No entries means the session failed: renew and retry."""
        page = KcnaListingPage(response.url, response.text)
        if page.entries():
            yield from self.entries(page, category_id)
            if page_num < form.page_cnt:
                yield self.page_request(form, category_id, page_num + 1, renewals=0)
            return
        self._count("listing/empty_answer")
        if renewals < MAX_SESSION_RENEWALS:
            self.logger.warning(
                "Empty answer for page %d of category %s: renewing the session (%d of %d)",
                page_num,
                category_id,
                renewals + 1,
                MAX_SESSION_RENEWALS,
            )
            yield self.listing_request(category_id, resume_at=page_num, renewals=renewals + 1)
        else:
            self._count("listing/pages_failed")
            self.logger.error(
                "Gave up on category %s at page %d of %d after %d new sessions; "
                "the next run tries again",
                category_id,
                page_num,
                form.page_cnt,
                MAX_SESSION_RENEWALS,
            )

    def entries(self, page: KcnaListingPage, category_id: str) -> Iterator[Any]:
        """A listing entry item for every entry, and one article request per story."""
        seen_at = utcnow()
        for entry in page.entries():
            self._count("listing/entries")
            yield ListingEntryItem(
                url=entry.url,
                story_key=entry.story_key,
                text=entry.text,
                published=entry.published,
                category_id=category_id,
                category_name=self.categories.get(category_id),
                seen_on=page.url,
                seen_at=seen_at,
            )
            # A story listed in several categories, or twice on one page, is fetched once.
            if entry.story_key not in self._requested_stories:
                yield self.article_request(entry.url, published=entry.published)

    def listing_failed(self, failure: Failure) -> None:
        """A listing page that fails (404, time-out ...): log it; the other categories go on."""
        self._count("listing/failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error(
            "Listing page failed, category skipped: %s (%s)", request.url, failure.value
        )

    # --- articles ---------------------------------------------------------------------------

    def article_request(self, url: str, published: dt.date | None) -> Request:
        """GET a story page; ``published`` is the listing's date (the page prints none)."""
        key = kcna_story_key(url)
        if key is not None:
            self._requested_stories.add(key)
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"published": published},
        )

    def parse_article(self, response: Response, published: dt.date | None) -> Iterator[Any]:
        """A story page: an ArticleItem, or a counted, logged skip when it is not an article."""
        url = canonical_url(response.url)
        page = KcnaArticlePage(url, response.text)
        key = kcna_story_key(url)
        if page.is_blocked():
            self._count("article/blocked")
            self.logger.error("BLOCKED: a 'Web Page Blocked' filter page answered %s", url)
            return
        if key is None or not page.is_article():
            self._count("article/not_article")
            self.logger.error("Not an article page (no headline or body): %s", url)
            return
        self._count("article/parsed")
        yield ArticleItem(
            url=url,
            story_key=key,
            title=page.title(),
            paragraphs=page.paragraphs(),
            published=published,
            fetched_at=utcnow(),
        )

    def article_failed(self, failure: Failure) -> None:
        """A story page that failed: counted and logged; unstored, so the next run retries it."""
        self._count("article/failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("Article page failed: %s (%s)", request.url, failure.value)

    def _count(self, name: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"wirecrawl/{name}")

    # Scrapy calls parse() for responses without a callback; this spider sets one everywhere.
    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """Not used: every request names its callback."""
        return ()
