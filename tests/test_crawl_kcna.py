"""Real crawls of a local imitation of www.kcna.kp with `scrapy crawl kcna`, through http_proxy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CrawlResult, run_crawl
from wirecrawl.testsite import build_site, write_snapshot
from wirecrawl.testsite.model import Site, Story
from wirecrawl.testsite.server import SiteServer

DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w .]*?),\s*(?P<month>[A-Z][a-z]+) (?P<day>\d+) \(KCNA\)\s*--\s*"
)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


def expected_body(story: Story) -> str:
    """The story's text as the generator wrote it, without dateline and end mark."""
    paragraphs = list(story.paragraphs)
    paragraphs[0] = DATELINE.sub("", paragraphs[0])
    paragraphs[-1] = paragraphs[-1].removesuffix("-0-").rstrip()
    return "\n\n".join(p for p in paragraphs if p)


def expected_dateline(story: Story) -> tuple[str | None, str | None]:
    """(place, ISO date) of the story's dateline, from the generator's own text.

    The generator dates a dateline on its listing date or a few days before it, so the year
    is the listing's, or the one before when that would put the dateline after the listing.
    """
    match = DATELINE.match(story.paragraphs[0])
    if match is None:
        return None, None
    month, day = MONTHS.index(match["month"]) + 1, int(match["day"])
    year = story.published.year
    if (month, day) > (story.published.month, story.published.day):
        year -= 1
    return match["place"], dt.date(year, month, day).isoformat()


def articles(result: CrawlResult) -> dict[str, dict[str, object]]:
    return {row["id"]: row for row in result.rows("SELECT * FROM articles")}


def test_crawl_stores_every_story_once_with_its_fields(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    stories = sorted(small_site.stories, key=lambda s: s.id)
    blocked, flaky = stories[0], stories[1]
    site_server.add_fault(f"/en/article/detail/{blocked.id}", "blocked")
    site_server.add_fault(f"/en/article/detail/{flaky.id}", "500")
    first = small_site.categories[0].id
    site_server.add_fault(f"/en/article/list/{first}", "drop-session", page_num=2)

    result = run_crawl(site_server.proxy_url, tmp_path / "archive.db")

    # The blocked page raises an alarm: the run exits non-zero so that cron tells a person.
    assert result.returncode == 3, result.log
    assert "ALARM: 1 page(s) were 'Web Page Blocked' filter pages" in result.log
    stored = articles(result)
    assert set(stored) == {s.id for s in small_site.stories} - {blocked.id}
    names = {c.id: c.name for c in small_site.categories}
    for story in small_site.stories:
        if story.id == blocked.id:
            continue
        row = stored[story.id]
        place, dateline_date = expected_dateline(story)
        assert row["title"] == story.title, story.id
        assert row["published"] == story.published.isoformat(), story.id
        assert row["dateline_place"] == place, story.id
        assert row["dateline_date"] == dateline_date, story.id
        assert row["body"] == expected_body(story), story.id
        assert row["url"] == f"http://www.kcna.kp/en/article/detail/{story.id}"
        assert (row["source"], row["language"]) == ("kcna.kp", "en")
        assert json.loads(str(row["categories"])) == sorted(names[c] for c in story.categories)
        assert row["first_seen"] == row["last_seen"]
    # The text pipeline counts what it did to each story read.
    read = [story for story in small_site.stories if story.id != blocked.id]
    dated = [story for story in read if expected_dateline(story)[0] is not None]
    marked = [story for story in read if story.paragraphs[-1].rstrip().endswith("-0-")]
    assert dated
    assert marked
    assert result.stat("wirecrawl/dateline/parsed") == len(dated)
    assert result.stat("wirecrawl/dateline/missing") == len(read) - len(dated)
    assert result.stat("wirecrawl/end_mark/removed") == len(marked)
    assert result.stat("wirecrawl/end_mark/missing") == len(read) - len(marked)
    # The blocked page is counted, logged with its URL, and not stored.
    assert result.stat("wirecrawl/article/blocked") == 1
    assert (
        f"BLOCKED: a 'Web Page Blocked' filter page answered http://www.kcna.kp/en/article/detail/{blocked.id}"
        in result.log
    )
    # Every story page was fetched once, however many categories list it (the 500 retried once).
    detail = [r for r in site_server.requests if r.path.startswith("/en/article/detail/")]
    assert len(detail) == len(small_site.stories) + 1
    # The failed session was renewed and its page fetched in the new session.
    assert result.stat("wirecrawl/listing/empty_answer") == 1
    assert "renewing the session" in result.log
    # Everything went to the imitation through the proxy, robots.txt first.
    assert {r.host for r in site_server.requests} == {"www.kcna.kp"}
    assert site_server.requests[0].path == "/robots.txt"


def test_pages_are_posted_in_the_session_of_their_own_category(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    result = run_crawl(site_server.proxy_url, tmp_path / "archive.db")
    assert result.returncode == 0, result.log
    posts = [r for r in site_server.requests if r.method == "POST"]
    assert posts, "the site has more than one listing page per category"
    sessions_by_category: dict[str, set[str | None]] = {}
    for post in posts:
        sessions_by_category.setdefault(post.path, set()).add(post.session)
        assert post.session is not None
        assert post.form["_csrf"]
    seen: set[str | None] = set()
    for sessions in sessions_by_category.values():
        assert not sessions & seen, "two categories shared one cookie session"
        seen |= sessions
    # Every page of every category was read: each category's stories all arrived.
    listed = {row["url"] for row in result.rows("SELECT url FROM teasers")}
    assert len(listed) == len(small_site.stories)


def test_unknown_categories_404_are_skipped_and_the_rest_go_on(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # By default the spider crawls all ten categories; this site has three: seven answer 404.
    result = run_crawl(site_server.proxy_url, tmp_path / "archive.db")
    assert result.returncode == 0
    assert result.stat("wirecrawl/listing/failed") == 7
    assert len(articles(result)) == len(small_site.stories)


def test_rerun_keeps_rows_and_first_seen(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    first = articles(run_crawl(site_server.proxy_url, db))
    second_result = run_crawl(site_server.proxy_url, db)
    second = articles(second_result)
    assert set(second) == set(first)
    for key, row in second.items():
        assert row["first_seen"] == first[key]["first_seen"]
        assert row["body"] == first[key]["body"]
        assert str(row["last_seen"]) >= str(first[key]["last_seen"])
    assert second_result.rows("SELECT count(*) AS n FROM articles")[0]["n"] == len(first)
    # Full-text search is kept in step: one hit per story for its own title's first word.
    story = small_site.stories[-1]
    hits = second_result.rows(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (json.dumps(story.title),)
    )
    assert len(hits) >= 1


def test_a_failed_session_is_retried_a_bounded_number_of_times(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    category = small_site.categories[0].id
    site_server.add_fault(f"/en/article/list/{category}", *["drop-session"] * 10, page_num=2)
    result = run_crawl(
        site_server.proxy_url, tmp_path / "archive.db", "-a", f"categories={category}"
    )
    assert result.returncode == 0
    page2 = [r for r in site_server.requests if r.method == "POST" and r.page_num == 2]
    assert len(page2) == 4  # the first try and three new sessions
    assert f"Gave up on category {category} at page 2" in result.log
    assert result.stat("wirecrawl/listing/pages_failed") == 1


def test_categories_argument_takes_names_and_ids(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    chosen = small_site.categories[1]
    result = run_crawl(
        site_server.proxy_url, tmp_path / "a.db", "-a", f"categories={chosen.name.upper()}"
    )
    assert result.returncode == 0, result.log
    listing_paths = {r.path for r in site_server.requests if r.path.startswith("/en/article/list/")}
    assert listing_paths == {f"/en/article/list/{chosen.id}"}
    assert set(articles(result)) == {s.id for s in small_site.stories_in(chosen.id)}


def test_urls_argument_crawls_given_pages_without_a_date(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    story = next(s for s in small_site.stories if DATELINE.match(s.paragraphs[0]))
    url = f"http://www.kcna.kp/en/article/detail/{story.id}"
    result = run_crawl(site_server.proxy_url, tmp_path / "a.db", "-a", f"urls={url}")
    assert result.returncode == 0, result.log
    row = articles(result)[story.id]
    assert row["title"] == story.title
    assert row["body"] == expected_body(story)
    # The article page prints no date: without a listing, neither date is known.
    assert row["published"] is None
    assert row["dateline_date"] is None
    assert row["dateline_place"] == expected_dateline(story)[0]
    assert [r.path for r in site_server.requests if r.path.startswith("/en/")] == [
        f"/en/article/detail/{story.id}"
    ]


def test_an_empty_first_listing_page_is_a_failed_session_too(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    category = small_site.categories[0]
    site_server.add_fault(f"/en/article/list/{category.id}", "empty", page_num=1)
    result = run_crawl(
        site_server.proxy_url, tmp_path / "archive.db", "-a", f"categories={category.id}"
    )
    assert result.returncode == 0, result.log
    assert "Empty answer for page 1 of category" in result.log
    stored = {row["id"] for row in result.rows("SELECT id FROM articles")}
    assert stored == {story.id for story in small_site.stories_in(category.id)}


def test_items_are_logged_one_by_one_only_at_debug_and_always_counted(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    one = f"categories={small_site.categories[0].id}"
    quiet = run_crawl(site_server.proxy_url, tmp_path / "info.db", "-a", one)
    chatty = run_crawl(
        site_server.proxy_url, tmp_path / "debug.db", "-a", one, "-s", "LOG_LEVEL=DEBUG"
    )
    # With Scrapy's own formatter, our core stats count the items on Scrapy's signal.
    scrapys = run_crawl(
        site_server.proxy_url,
        tmp_path / "scrapy.db",
        "-a",
        one,
        "-s",
        "LOG_FORMATTER=scrapy.logformatter.LogFormatter",
    )
    assert quiet.returncode == chatty.returncode == scrapys.returncode == 0, quiet.log
    stored = quiet.stat("wirecrawl/store/new")
    assert stored > 0
    assert stored == chatty.stat("wirecrawl/store/new") == scrapys.stat("wirecrawl/store/new")
    assert "Scraped from <200 http://www.kcna.kp/en/article/detail/" in chatty.log
    assert "Scraped from" not in quiet.log
    # Every item that passed the pipelines is counted once, whichever way it is counted: the
    # stories and the listings' items, as many as the DEBUG log shows lines.
    scraped = chatty.stat("item_scraped_count")
    assert scraped == chatty.log.count("Scraped from <")
    assert scraped > stored
    assert quiet.stat("item_scraped_count") == scrapys.stat("item_scraped_count") == scraped
    # The rest of Scrapy's core stats are still there.
    assert quiet.stat("response_received_count") > stored
    assert "'finish_reason': 'finished'" in quiet.log
    assert "'elapsed_time_seconds':" in quiet.log


def test_a_crawl_without_the_delay_still_sends_one_request_at_a_time(tmp_path: Path) -> None:
    # A backfill or a replay runs with DOWNLOAD_DELAY=0; the site must still see one request
    # at a time. (Scrapy 2.19 started every request queued for the site at once when an answer
    # came in; see CONCURRENT_REQUESTS in wirecrawl/settings.py.) Enough stories that the
    # crawl's answers from its page-reading worker come in bunches, as they did when it broke.
    site = build_site(stories=300, categories=10, seed=5)
    write_snapshot(site, tmp_path / "site", per_page=15)
    with SiteServer(tmp_path / "site") as server:
        result = run_crawl(server.proxy_url, tmp_path / "archive.db")
        requests = len(server.requests)
        peak = server.peak_in_flight

    assert result.returncode == 0, result.log
    assert result.stat("wirecrawl/store/new") == len(site.stories)
    assert requests > len(site.stories)
    assert peak == 1


def test_stories_read_before_a_crawls_last_page_fails_are_all_stored(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The last page of this crawl fails (500, retried after the others, then 404): the
    # stories read before it are stored all the same.
    stories = small_site.stories[:4]
    failing = stories[-1]
    site_server.add_fault(f"/en/article/detail/{failing.id}", "500", "404")
    urls = ",".join(f"http://www.kcna.kp/en/article/detail/{s.id}" for s in stories)
    result = run_crawl(site_server.proxy_url, tmp_path / "a.db", "-a", f"urls={urls}")
    assert result.returncode == 0, result.log
    requested = [r.path for r in site_server.requests if r.path.startswith("/en/")]
    assert requested[-1] == f"/en/article/detail/{failing.id}"
    assert set(articles(result)) == {s.id for s in stories[:-1]}
    assert result.stat("wirecrawl/article/parsed") == 3
    assert result.stat("wirecrawl/article/not_found") == 1


# --- listings that change while they are paged through ------------------------------------


def change_while_waiting(server: SiteServer, category_id: str, page_num: int, change: Any) -> Any:
    """Answer page ``page_num`` of the category 429 once (the crawl then waits 2 s for it) and
    call ``change`` as soon as that answer went out: the agency at work between two pages."""
    server.add_fault(f"/en/article/list/{category_id}", "429", page_num=page_num)

    def agency() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(r.page_num == page_num and r.status == 429 for r in server.requests):
                change()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=agency)
    thread.start()
    return thread


def test_a_story_published_while_a_listing_is_paged_leaves_none_unread(tmp_path: Path) -> None:
    # 12 stories, 6 a page: 2 pages when page 1 is read. One story published before page 2
    # pushes every entry down: the oldest is then on a page 3, which the crawl reads too.
    site = build_site(stories=12, categories=1, seed=11)
    root = tmp_path / "site"
    write_snapshot(site, root, per_page=6)
    category = site.categories[0].id
    oldest = site.stories_in(category)[-1]
    newest = max(story.published for story in site.stories)
    published = dataclasses.replace(
        site.stories_in(category)[0], id="f" * 32, published=newest + dt.timedelta(days=1)
    )
    grown = Site(categories=site.categories, stories=[*site.stories, published])
    db = tmp_path / "archive.db"
    with SiteServer(root) as server:
        agency = change_while_waiting(
            server, category, 2, lambda: write_snapshot(grown, root, per_page=6)
        )
        result = run_crawl(server.proxy_url, db)
        agency.join()
        pages = [r.page_num or 1 for r in server.requests_for(f"/en/article/list/{category}")]

    assert result.returncode == 0, result.log
    assert pages == [1, 2, 2, 3]
    stored = {row["id"] for row in result.rows("SELECT id FROM articles")}
    assert oldest.id in stored
    assert len(stored) == len(site.stories)  # the new one came after page 1: the next run's


@pytest.mark.parametrize("filed_below", [False, True], ids=["count-down", "count-same"])
def test_a_story_removed_while_a_listing_is_paged_makes_no_other_story_gone(
    tmp_path: Path, filed_below: bool
) -> None:
    # Between pages 3 and 4 the agency removes a story of page 1: every later entry moves up
    # one place, and the first of page 4 moves onto page 3, already read. Alone, the removal
    # makes the count go down: the crawl sees it, and leaves the category to be read in full
    # next run. With a story filed below meanwhile (dated before every other), the count stays
    # the same and the crawl cannot see it. Either way the story it missed, stored and not
    # listed where the run read, is asked for at the end: its page still answers with it, and
    # it is not marked gone (it was, with the count the same: docs/reliability.md, gap 50).
    site = build_site(stories=40, categories=3, seed=11)
    root = tmp_path / "site"
    write_snapshot(site, root, per_page=6)
    category = site.categories[0]
    listed = site.stories_in(category.id)
    removed, shifted = listed[0], listed[18]
    assert removed.categories == shifted.categories == [category.id]
    filed = dataclasses.replace(
        listed[-1], id="f" * 32, published=listed[-1].published - dt.timedelta(days=1)
    )
    db = tmp_path / "archive.db"
    with SiteServer(root) as server:
        assert run_crawl(server.proxy_url, db).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE listing_state SET complete = 0")  # read it all again

    def change() -> None:
        site.stories.remove(removed)
        if filed_below:
            site.stories.append(filed)
        write_snapshot(site, root, per_page=6)

    with SiteServer(root) as server:
        agency = change_while_waiting(server, category.id, 4, change)
        second = run_crawl(server.proxy_url, db)
        agency.join()
        asked = sorted(record.path for record in server.requests_for("/en/article/detail/"))

    assert second.returncode == 0, second.log
    new = [filed] if filed_below else []
    assert asked == sorted(f"/en/article/detail/{story.id}" for story in [shifted, *new])
    assert second.stat("wirecrawl/article/requested/unlisted") == 1
    assert second.stat("wirecrawl/article/parsed/unlisted") == 1
    # The removed story was on page 1 when this run read it.
    assert second.rows("SELECT id FROM articles WHERE gone_at IS NOT NULL") == []
    assert {row["id"] for row in second.rows("SELECT id FROM articles")} == {
        story.id for story in [*site.stories, removed]
    }
    if filed_below:
        assert second.stat("wirecrawl/listing/shifted") == 0
    else:
        assert second.stat("wirecrawl/listing/shifted") == 1
        assert "an entry may have been missed; the next run reads it all" in second.log
        assert second.rows(
            "SELECT complete FROM listing_state WHERE category_id = ?", (category.id,)
        ) == [{"complete": 0}]

    with SiteServer(root) as server:
        third = run_crawl(server.proxy_url, db)
    assert third.returncode == 0, third.log
    gone = [row["id"] for row in third.rows("SELECT id FROM articles WHERE gone_at IS NOT NULL")]
    assert gone == [removed.id]
    assert third.stat("wirecrawl/article/not_found/unlisted") == 1


def test_an_empty_category_is_read_once_and_is_complete(tmp_path: Path) -> None:
    # Page 1 of a category with no story says so (total 0): no session renewals, no error.
    site = build_site(stories=12, categories=2, seed=11)
    empty = site.categories[1].id
    for story in site.stories:
        story.categories = [c for c in story.categories if c != empty] or [site.categories[0].id]
    write_snapshot(site, tmp_path / "site", per_page=6)
    db = tmp_path / "archive.db"
    with SiteServer(tmp_path / "site") as server:
        result = run_crawl(server.proxy_url, db)
        asked = [r.method for r in server.requests_for(f"/en/article/list/{empty}")]

    assert result.returncode == 0, result.log
    assert asked == ["GET"]
    assert not [line for line in result.log.splitlines() if "ERROR" in line and empty in line]
    assert result.rows("SELECT complete FROM listing_state WHERE category_id = ?", (empty,)) == [
        {"complete": 1}
    ]


def test_a_filter_page_in_place_of_a_later_listing_page_is_said_loudly(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # A "Web Page Blocked" page answering the POST for page 2 is no failed session: it is
    # counted and logged as blocked, the run raises the alarm, and the category is read
    # again next run; what page 1 listed is stored.
    category = small_site.categories[0]
    site_server.add_fault(f"/en/article/list/{category.id}", "blocked", page_num=2)
    db = tmp_path / "archive.db"
    result = run_crawl(site_server.proxy_url, db)

    assert result.returncode == 3, result.log[-3000:]
    assert result.stat("wirecrawl/listing/blocked") == 1
    assert result.stat("wirecrawl/listing/empty_answer") == 0
    assert "BLOCKED: a 'Web Page Blocked' filter page answered page 2 of category" in result.log
    assert "ALARM: 1 page(s) were 'Web Page Blocked' filter pages" in result.log
    assert result.rows("SELECT blocked FROM runs") == [{"blocked": 1}]
    assert result.rows(
        "SELECT complete FROM listing_state WHERE category_id = ?", (category.id,)
    ) == [{"complete": 0}]

    again = run_crawl(site_server.proxy_url, db)
    assert again.returncode == 0, again.log[-3000:]
    stored = {row["id"] for row in again.rows("SELECT id FROM articles")}
    assert stored == {story.id for story in small_site.stories}
