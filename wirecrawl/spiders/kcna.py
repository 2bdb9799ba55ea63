"""The ``kcna`` spider: English stories of www.kcna.kp, current layout (since July 2026).

    scrapy crawl kcna                                  # every category
    scrapy crawl kcna -a categories="Top News,World"   # ids or names, comma separated
    scrapy crawl kcna -a urls=http://www.kcna.kp/en/article/detail/<id>
    scrapy crawl kcna -a recheck_days=7                # also re-read last week's stories

Runs are incremental: the spider reads the archive first, stops paging a category at the
first listing page whose stories are all stored, never fetches a stored story again (unless
``recheck_days`` asks for it, or the stretch of a listing the run read no longer shows it:
its page is asked for once, and only a 404 marks it gone), and fetches again the stories that
were listed but never stored (failed or blocked before). With nothing new a run costs one
request per category.

The spider only decides what to fetch; the page classes in ``wirecrawl.pages`` read the pages.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from scrapy.exceptions import CloseSpider
from scrapy.http import FormRequest, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from wirecrawl.extract import ListingReading, read_fetched_listing
from wirecrawl.items import (
    ListingEntry,
    ListingPageItem,
    ListingStateItem,
    StoryGoneItem,
)
from wirecrawl.normalise.urls import SITE, canonical_url, kcna_category_key
from wirecrawl.pages.dispatch import page_kind
from wirecrawl.pages.kcna_current import Pagination
from wirecrawl.pages.kcna_old import KcnaOldCategoryPage, KcnaOldHomePage
from wirecrawl.spiders.shared import (
    ARCHIVE_UNREADABLE,
    REASON,
    WireSpider,
    describe,
    refuse_unknown,
    utcnow,
)
from wirecrawl.storage import CrawlState, load_crawl_state, unlisted_stories

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

# Listings of the old layout (July 2026 and before), read when given with -a urls=.
OLD_LISTINGS: dict[str, type[KcnaOldCategoryPage] | type[KcnaOldHomePage]] = {
    "KcnaOldCategoryPage": KcnaOldCategoryPage,
    "KcnaOldHomePage": KcnaOldHomePage,
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


def parse_recheck_days(argument: str | None) -> int:
    """``-a recheck_days=N``: a whole number of days, 0 or more; ValueError otherwise."""
    if argument is None:
        return 0
    try:
        days = int(argument)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"-a recheck_days= needs a whole number of days, got {argument!r}")
    return days


def split_urls(argument: str) -> list[str]:
    """The pages named by ``-a urls=`` (comma separated), canonicalised; ValueError for a page
    no page class reads, or for none at all."""
    words = [word.strip() for word in argument.split(",") if word.strip()]
    unknown = [word for word in words if page_kind(word) is None]
    if unknown or not words:
        raise ValueError(
            f"-a urls= takes kcna.kp article or listing pages of either layout "
            f"(http://www.kcna.kp/en/article/detail/<id>, .../en/article/list/<id>, "
            f".../en/article/q/<id>.kcmsf, .../en/category/articles/q/<id>.kcmsf, .../en); "
            f"not {', '.join(unknown) or repr(argument)}"
        )
    return [canonical_url(word) for word in words]


@dataclass(frozen=True, kw_only=True)
class ListingForm:
    """What it takes to POST a category's next listing page: the form and its session."""

    action: str
    fields: dict[str, str]
    cookiejar: str
    page_cnt: int


class KcnaSpider(WireSpider):
    """Walks the category listings of www.kcna.kp (English) and reads every story they list."""

    name = "kcna"
    # Stay on the agency's site: an off-site link or redirect is dropped by Scrapy.
    allowed_domains: ClassVar[list[str]] = ["kcna.kp"]

    def __init__(
        self,
        categories: str | None = None,
        urls: str | None = None,
        recheck_days: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.arguments = {
            key: value
            for key, value in (
                ("categories", categories),
                ("urls", urls),
                ("recheck_days", recheck_days),
            )
            if value is not None
        }
        self.categories = select_categories(categories, CATEGORIES)
        # Categories found in the menu are followed only on a crawl of all of them.
        self.crawl_all_categories = categories is None and urls is None
        self.urls = split_urls(urls) if urls is not None else []
        self.recheck_days = parse_recheck_days(recheck_days)
        self.state = CrawlState()
        self._sessions: dict[str, int] = {}
        self._requested_stories: dict[str, bool] = {}
        """Story URLs asked for in this run, each with whether the request carried a date."""
        self._oldest: dict[str, dt.date] = {}
        """Each category's end of the stretch read so far: the oldest of the dates of the last
        dated entry of each of its listing pages read (the listings are newest first; an old
        entry pinned above the newest does not stretch it)."""
        self._stretches: dict[str, dt.date] = {}
        """Each category whose listing reading ended, with the end of the stretch read."""
        self._unlisted_asked = False
        # Each category's count of entries when its page 1 was first read, and the categories
        # whose listing lost entries while it was read (see follow_changes).
        self._totals: dict[str, int] = {}
        self._shifted: set[str] = set()
        self._undated: set[str] = set()
        """Categories with a listing page of this run whose entries had no date that reads."""

    @classmethod
    def check_arguments(
        cls,
        categories: str | None = None,
        urls: str | None = None,
        recheck_days: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Raise ValueError for bad ``-a`` names or values, before the crawl makes any request."""
        refuse_unknown(kwargs, ("categories", "urls", "recheck_days"))
        select_categories(categories, CATEGORIES)
        if urls is not None:
            split_urls(urls)
        parse_recheck_days(recheck_days)

    async def start(self) -> AsyncIterator[Any]:
        """Article pages given with ``-a urls=``; else page 1 of every chosen category, the
        stories listed before but never stored, and those ``recheck_days`` asks for."""
        if self.urls:
            self.state = self.read_archive(asked=self.urls)
            for url in self.urls:
                for request in self.requests_for_url(url):
                    yield request
            return
        since = utcnow() - dt.timedelta(days=self.recheck_days) if self.recheck_days else None
        self.state = self.read_archive(since)
        self.logger.info(
            "Archive holds %d story URLs; %d listed stories were never stored; %d to recheck",
            len(self.state.stored_urls),
            len(self.state.unstored),
            len(self.state.recheck),
        )
        for category_id in list(self.categories):
            yield self.listing_request(category_id)
        again = [(*known, "unstored") for known in self.state.unstored]
        again += [(*known, "recheck") for known in self.state.recheck]
        for url, published, reason in again:
            for request in self.article_request(url, published, reason):
                yield request

    def read_archive(
        self, recheck_since: dt.datetime | None = None, asked: list[str] | None = None
    ) -> CrawlState:
        """What the archive holds (with the dates of the stored stories ``asked`` for by URL),
        or CloseSpider (finish reason ``archive_unreadable``, exit code 2) before any request
        when SQLite cannot read it: a file damaged inside a table opens and migrates, and only
        reading its rows fails."""
        path = self.settings["WIRECRAWL_DB"]
        try:
            return load_crawl_state(path, f"{SITE}/", recheck_since, asked or ())
        except sqlite3.DatabaseError as error:
            self.logger.error("Cannot read the archive %s: %s; nothing was fetched", path, error)
            raise CloseSpider(ARCHIVE_UNREADABLE) from error

    def requests_for_url(self, url: str) -> Iterator[Request]:
        """What to fetch for a page given with ``-a urls=``, by the kind of page it is. A story
        page prints no date: a stored story's page is read with the story's own date, as a
        recheck reads it (a dateline corrected since takes that date's year, not none)."""
        kind = page_kind(url)
        if kind in ("KcnaArticlePage", "KcnaOldArticlePage"):
            published = self.state.published.get(url)
            yield from self.article_request(url, published=published, reason="asked")
        elif kind == "KcnaListingPage":
            category_id = kcna_category_key(url)
            assert category_id is not None
            self.categories.setdefault(category_id, CATEGORIES.get(category_id, category_id))
            yield self.listing_request(category_id)
        elif kind in OLD_LISTINGS:
            yield Request(
                url,
                callback=self.parse_old_listing,
                errback=self.listing_failed,
                cb_kwargs={"kind": kind},
            )

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

    async def read_listing(self, response: Response, first: bool) -> ListingReading | None:
        """A category listing page read (in the page-reading worker): its entries, and for a
        ``first`` page its pagination, form and, on a crawl of every category, the site's
        menu. None, counted and logged, for an answer that is not text."""
        if not isinstance(response, TextResponse):
            self.count("listing/not_listing")
            self.logger.error("Not a text page: %s", response.url)
            return None
        return await self.reader.run(
            read_fetched_listing,
            response.url,
            response.body,
            response.encoding,
            form=first,
            menu=first and self.crawl_all_categories,
        )

    async def parse_listing(
        self, response: Response, category_id: str, resume_at: int, renewals: int
    ) -> list[Any]:
        """Page 1 of a category: its entries, then the POST for the next page.

        Pages are read one after another, each POST made when the page before it arrived: a
        session that goes bad then costs one renewal, not one per page queued in it.
        """
        page = await self.read_listing(response, first=True)
        if page is None:
            return []
        return list(self.first_page_outputs(page, response, category_id, resume_at, renewals))

    def first_page_outputs(
        self,
        page: ListingReading,
        response: Response,
        category_id: str,
        resume_at: int,
        renewals: int,
    ) -> Iterator[Any]:
        """What ``parse_listing`` gives for the page read."""
        pagination = page.pagination
        if page.blocked or pagination is None or page.form_action is None:
            self.count("listing/blocked" if page.blocked else "listing/not_listing")
            self.logger.error(
                "Not a listing page (%s) at %s: category %s skipped this run",
                "blocked" if page.blocked else "no pagination or form",
                response.url,
                category_id,
            )
            return
        if self.crawl_all_categories:
            for key, name in page.menu_categories.items():
                if key not in self.categories:
                    self.categories[key] = name
                    self.logger.info("Found category %s (%s) in the site's menu", key, name)
                    yield self.listing_request(key)
        listed = page.entries
        if not listed and pagination.total > 0:
            # Page 1 without entries although the counters say there are some: a bad answer.
            # (With a total of 0 the category is empty: its reading ends here, cleanly.)
            failed_page = 1 if resume_at == 2 else resume_at
            yield from self.renew_or_give_up(category_id, resume_at, renewals, failed_page)
            return
        self.count("listing/pages_read")
        self._totals.setdefault(category_id, pagination.total)
        self.follow_changes(category_id, pagination, 1)
        if resume_at == 2:
            # Until this reading ends cleanly, the archive may miss what the category lists.
            yield ListingStateItem(category_id=category_id, complete=False, at=utcnow())
            yield from self.entries(listed, page.url, category_id)
            if self.only_stored(listed, category_id):
                yield from self.end_of_listing(
                    category_id, 1, reached_end=pagination.page_cnt <= 1, clean=True
                )
                return
        form = ListingForm(
            action=page.form_action,
            fields=page.form_fields,
            cookiejar=response.meta["cookiejar"],
            page_cnt=pagination.page_cnt,
        )
        if resume_at <= form.page_cnt:
            yield self.page_request(form, category_id, resume_at, renewals)
        else:
            yield from self.end_of_listing(category_id, resume_at - 1, reached_end=True)

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

    async def parse_listing_page(
        self,
        response: Response,
        category_id: str,
        form: ListingForm,
        page_num: int,
        renewals: int,
    ) -> list[Any]:
        """Page 2..N of a category. No entries means the session failed: renew and retry. A
        filter page ("Web Page Blocked") is no failed session: the category is left for the
        next run, loudly, as when it answers page 1."""
        page = await self.read_listing(response, first=False)
        if page is not None and page.blocked:
            return self.left_for_next_run(
                "blocked",
                f"BLOCKED: a 'Web Page Blocked' filter page answered page {page_num} of "
                f"category {category_id} ({response.url})",
                category_id,
                page_num,
            )
        listed = page.entries if page is not None else []
        if page is None or not listed:
            return list(self.renew_or_give_up(category_id, page_num, renewals, page_num))
        if page.pagination is not None and page.pagination.cur_page != page_num:
            # Another page than the one posted for (the site no longer reads `page_num`?):
            # taken for page N, it would end the category early and mark it complete.
            return self.left_for_next_run(
                "wrong_page",
                f"Category {category_id} answered page {page.pagination.cur_page} for page "
                f"{page_num} ({response.url}): the site's paging may have changed",
                category_id,
                page_num,
            )
        self.count("listing/pages_read")
        if page.pagination is not None:
            self.follow_changes(category_id, page.pagination, page_num)
            if page.pagination.page_cnt > form.page_cnt:
                form = replace(form, page_cnt=page.pagination.page_cnt)
        outputs = list(self.entries(listed, page.url, category_id))
        if page_num >= form.page_cnt:
            outputs += self.end_of_listing(category_id, page_num, reached_end=True)
        elif self.only_stored(listed, category_id):
            outputs += self.end_of_listing(category_id, page_num, reached_end=False, clean=True)
        else:
            outputs.append(self.page_request(form, category_id, page_num + 1, renewals=0))
        return outputs

    def left_for_next_run(
        self, outcome: str, what: str, category_id: str, page_num: int
    ) -> list[Any]:
        """A later listing page that is not the page asked for: counted
        (``wirecrawl/listing/<outcome>``, which the run's alarms read), logged, and the rest
        of the category left for the next run (its pages before it read, none marked clean)."""
        self.count(f"listing/{outcome}")
        self.logger.error("%s; the rest of the category is left for the next run", what)
        return list(self.end_of_listing(category_id, page_num - 1, reached_end=False))

    def follow_changes(self, category_id: str, pagination: Pagination, page_num: int) -> None:
        """Note how the category's listing changed since its page 1, as ``pagination`` (read on
        page ``page_num``) tells; paging follows the page count each page gives.

        The agency publishes and removes stories while a listing is paged through (on the live
        site, minutes apart). New stories push the entries down: a page repeats the last ones
        of the page before (fetched once), and the oldest move past the page count read on
        page 1, so paging goes on to the count each page gives. Removed stories pull the
        entries up: an entry may move onto a page already read and be missed. Such a reading
        does not count as clean (``end_of_listing``): the next run reads the category to its
        end. A stored story it missed is asked for at the end (``requests_at_idle``), and
        marked gone only if its page answers 404."""
        first = self._totals.get(category_id, pagination.total)
        if pagination.total < first and category_id not in self._shifted:
            self._shifted.add(category_id)
            self.count("listing/shifted")
            self.logger.warning(
                "Category %s lists %d entries at page %d, %d when its page 1 was read: an entry "
                "may have been missed; the next run reads it all",
                category_id,
                pagination.total,
                page_num,
                first,
            )

    def renew_or_give_up(
        self, category_id: str, resume_at: int, renewals: int, failed_page: int
    ) -> Iterator[Any]:
        """After an empty answer: a new session for the category, or, after too many, give up."""
        self.count("listing/empty_answer")
        if renewals < MAX_SESSION_RENEWALS:
            self.logger.warning(
                "Empty answer for page %d of category %s: renewing the session (%d of %d)",
                failed_page,
                category_id,
                renewals + 1,
                MAX_SESSION_RENEWALS,
            )
            yield self.listing_request(category_id, resume_at=resume_at, renewals=renewals + 1)
        else:
            self.count("listing/pages_failed")
            self.logger.error(
                "Gave up on category %s at page %d after %d new sessions; the next run tries again",
                category_id,
                failed_page,
                MAX_SESSION_RENEWALS,
            )
            if category_id in self.state.failed_categories:
                # Given up by the run before too: no longer a passing failure of the site's
                # sessions (the site's markup or paging may have changed).
                self.count("listing/failed_again")
            # Incomplete until a run reads it cleanly (a page 1 that never gave its entries
            # wrote no mark yet), and given up: the next run reads it in full, and alarms if
            # it gives up again.
            yield ListingStateItem(
                category_id=category_id, complete=False, at=utcnow(), failed=True
            )
            yield from self.end_of_listing(category_id, failed_page - 1, reached_end=False)

    def only_stored(self, listed: list[ListingEntry], category_id: str) -> bool:
        """True when every story the page lists is stored already, in a category whose last
        reading ended cleanly: stop paging there. Otherwise the archive may miss stories on
        later pages (a crash, a failed page), and the whole listing is read."""
        if category_id not in self.state.complete_categories:
            return False
        state = self.state
        stored, gone, undated = state.stored_urls, state.gone_urls, state.undated_urls
        # A story stored undated that the listing dates is to fetch again (reason "undated").
        return bool(listed) and all(
            (e.url in stored and not (e.published and e.url in undated)) or e.url in gone
            for e in listed
        )

    def end_of_listing(
        self, category_id: str, pages_read: int, reached_end: bool, clean: bool = False
    ) -> Iterator[ListingStateItem]:
        """Note how far the category's listing was read (for telling vanished stories:
        ``requests_at_idle``), and, when the reading ended cleanly (at the end, or at a page
        of stored stories in a category known complete), say that the archive holds all it
        lists."""
        self.logger.info(
            "Category %s: read %d listing page(s)%s",
            category_id,
            pages_read,
            ", to the end"
            if reached_end
            else ("; the rest lists only stored stories" if clean else "; stopped by a failure"),
        )
        shifted = category_id in self._shifted
        oldest = self._oldest.get(category_id)
        if oldest is not None:
            self._stretches[category_id] = oldest
        # A reading that stored stories undated is no clean one: the next run reads the
        # category in full, and dates them (reason "undated").
        if (reached_end or clean) and not shifted and category_id not in self._undated:
            yield ListingStateItem(category_id=category_id, complete=True, at=utcnow())

    def entries(
        self, listed: list[ListingEntry], seen_on: str, category_id: str | None
    ) -> Iterator[Any]:
        """The entries seen on a listing page (a category's, or the old homepage's when
        ``category_id`` is None) as one item, and one article request per story."""
        name = self.categories.get(category_id, category_id) if category_id else None
        self.count("listing/entries", len(listed))
        if listed and all(entry.published is None for entry in listed):
            # Every listing prints each entry's date; none read is a date in a new form, and
            # its stories would be stored undated.
            self.count("listing/undated_pages")
            self.logger.error("No entry of the listing page %s has a date that reads", seen_on)
            if category_id is not None:
                self._undated.add(category_id)
        if category_id is not None:
            last = next((e.published for e in reversed(listed) if e.published is not None), None)
            if last is not None:
                self._oldest[category_id] = min(self._oldest.get(category_id, last), last)
        yield ListingPageItem(
            entries=list(listed),
            category_id=category_id,
            category_name=name,
            seen_on=seen_on,
            seen_at=utcnow(),
        )
        # A story listed in several categories, or twice on one page, is fetched once;
        # a stored story is not fetched again, unless it was marked gone (counted apart: its
        # page may still answer 404, which is no failure of the run's).
        listed_urls = self.listed_urls
        for entry in listed:
            listed_urls.add(entry.url)
            if entry.url in self.state.gone_urls:
                yield from self.article_request(entry.url, entry.published, reason="gone_listed")
            elif entry.url not in self.state.stored_urls:
                yield from self.article_request(entry.url, entry.published, reason="new")
            elif entry.published is not None and entry.url in self.state.undated_urls:
                # Stored without a date (fetched by URL): stored again with the listing's.
                yield from self.article_request(entry.url, entry.published, reason="undated")

    def listing_failed(self, failure: Failure) -> None:
        """A listing page that fails (404, time-out ...): log it; the other categories go on."""
        self.count("listing/failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error(
            "Listing page failed, category skipped: %s (%s)", request.url, describe(failure)
        )

    # --- articles ---------------------------------------------------------------------------

    def article_request(
        self, url: str, published: dt.date | None, reason: str
    ) -> Iterator[Request]:
        """GET a story page once per run; ``published`` is the listing's date (the page prints
        none). ``reason`` (new, unstored, recheck, asked, gone_listed, undated, unlisted) is
        counted in the stats."""
        # Once per run; twice only for a story first asked for without a date (a recheck of a
        # story stored undated) that a listing now dates: the page prints none, so the story
        # takes its date only from a request that carries it.
        dated_before = self._requested_stories.get(url)
        if dated_before is not None and (dated_before or published is None):
            return
        self._requested_stories[url] = published is not None
        self.count(f"article/requested/{reason}")
        yield Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"published": published},
            meta={REASON: reason},
            dont_filter=True,
        )

    def parse_article(self, response: Response, published: dt.date | None) -> AsyncIterator[Any]:
        """A story page: its story (carrying the page), or a counted, logged skip (the items
        of ``story_items``, an async generator)."""
        return self.story_items(response, published)

    def parse_old_listing(self, response: Response, kind: str) -> Iterator[Any]:
        """A listing of the old layout (a category page or the homepage), given with
        ``-a urls=``: its entries are teasers, and their stories are followed."""
        if not isinstance(response, TextResponse):
            self.count("listing/not_listing")
            self.logger.error("Not a text page: %s", response.url)
            return
        url = canonical_url(response.url)
        page = OLD_LISTINGS[kind](url, response.text)
        entries = page.entries()
        if page.is_blocked() or not entries:
            self.count("listing/blocked" if page.is_blocked() else "listing/not_listing")
            self.logger.error("No story entries on the old-layout listing %s", url)
            return
        self.count("listing/pages_read")
        category_id = None
        if isinstance(page, KcnaOldCategoryPage):
            # Its name as the page or its menu prints it ("Top News"), not its id, in the
            # stories' lists; a later page whose category the page does not say is a listing
            # of no category, like the homepage (its opaque URL is no category's id).
            category = page.category()
            if category is not None:
                category_id, name = category
                if name:
                    self.categories.setdefault(category_id, name)
        yield from self.entries(entries, url, category_id)

    def requests_at_idle(self) -> list[Request]:
        """Once every listing has been read and every story asked for is done: the stored
        stories that the stretches of the listings read no longer show (``unlisted_stories``),
        asked for again (reason ``unlisted``). A page answering 404 marks its story gone
        (``article_failed``); a page still answering with the story leaves it as it is (a
        listing that moved it onto a page already read while a run paged through it, or that
        no longer shows it while the site does); any other answer changes nothing."""
        if self._unlisted_asked or not self._stretches:
            return []
        self._unlisted_asked = True
        seen = self.listed_urls | self._requested_stories.keys()
        path = self.settings["WIRECRAWL_DB"]
        try:
            stories = unlisted_stories(path, self._stretches, seen, f"{SITE}/")
        except sqlite3.DatabaseError as error:
            self.count("listing/unlisted_unread")
            self.logger.error(
                "Cannot read the archive %s for the stories the listings no longer show: %s; "
                "none is marked gone",
                path,
                error,
            )
            return []
        if stories:
            self.logger.info(
                "%d stored story(ies) no longer listed where this run read the listings: asking "
                "for their pages (a 404 marks a story gone)",
                len(stories),
            )
        requests: list[Request] = []
        for url, published in stories:
            requests += self.article_request(url, published, reason="unlisted")
        return requests

    def article_failed(self, failure: Failure) -> Iterator[StoryGoneItem]:
        """A story page that failed: counted and logged; unstored, so the next run retries it.

        A 404 means the agency removed the story: a stored one is marked gone (never deleted).
        """
        request = failure.request  # type: ignore[attr-defined]
        error = failure.value
        if isinstance(error, HttpError) and error.response.status == 404:
            self.count("article/not_found")
            self.count(f"article/not_found/{request.meta.get(REASON, 'asked')}")
            self.logger.warning("Story page answers 404 (removed by the agency?): %s", request.url)
            yield StoryGoneItem(url=canonical_url(request.url), seen_at=utcnow())
            return
        self.count("article/failed")
        self.logger.error("Article page failed: %s (%s)", request.url, describe(failure))
