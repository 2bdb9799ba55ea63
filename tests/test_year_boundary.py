"""Dates at the turn of the year: a dateline prints no year, and takes the one of the story's own
date (its listing's, its page's), whichever run reads it and whenever.

Real crawls through http_proxy of pages served on 127.0.0.1, real `wirecrawl reparse`, real
SQLite files. The crawl's clock cannot be fixed (the spiders run in a process of their own):
nothing here depends on it, and the story read on New Year's morning is read with a clock given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import ROOT, CrawlResult, PageProxy, run_crawl
from tests.test_aggregator_and_old_urls import aggregator_page
from wirecrawl.extract import read_fetched_story
from wirecrawl.normalise.article import normalise_article
from wirecrawl.storage import connect_read_only
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site, Story
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import write_snapshot

D = dt.date
DETAIL = "http://www.kcna.kp/en/article/detail/"
EVE, NEW_YEAR = D(2026, 12, 31), D(2027, 1, 1)
# The New Year address, as a page prints it: its dateline, no year.
ADDRESS_STORY = [
    "Pyongyang, January 1 (KCNA) -- The New Year address was made in the capital at midnight.",
    "It was broadcast across the country and listened to by working people everywhere. -0-",
]
DATES = "SELECT id, published, dateline, dateline_date, published_month FROM articles"


def story(key: str, title: str, listed: dt.date, dateline: str, site: Site) -> Story:
    """A story of the site's first category, listed on ``listed`` under ``dateline``."""
    return Story(
        id=key * 16,
        title_html=title,
        published=listed,
        paragraphs_html=[
            f"Pyongyang, {dateline} (KCNA) -- {title} was reported in the capital.",
            "Working people across the country took part in it. -0-",
        ],
        categories=[site.categories[0].id],
    )


def across_the_new_year() -> tuple[Site, dict[str, Story]]:
    """The small site and four stories around 1 January 2027, by what their datelines say:
    filed the evening before its listing (``late``), filed ahead of it (``ahead``), and one on
    its listing's day either side of midnight."""
    site = build_site(stories=40, categories=3, seed=11)
    stories = {
        "eve": story("e1", "Year-End Meeting Held", EVE, "December 31", site),
        "ahead": story("a2", "New Year Greetings Sent to Foreign Leaders", EVE, "January 1", site),
        "late": story("b3", "Concert Given on New Year's Eve", NEW_YEAR, "December 31", site),
        "new_year": story("c4", "New Year Address Made", NEW_YEAR, "January 1", site),
    }
    site.stories.extend(stories.values())
    return site, stories


def crawl(site: Site, root: Path, db: Path, *args: str) -> CrawlResult:
    """``site`` as the agency serves it today, crawled into ``db``."""
    write_snapshot(site, root, per_page=6)
    with SiteServer(root) as server:
        result = run_crawl(server.proxy_url, db, *args)
    assert result.returncode == 0, result.log[-3000:]
    return result


def dates(db: Path, ids: list[str]) -> dict[str, tuple[object, ...]]:
    """(published, dateline, dateline_date, published_month) of the stories ``ids`` in ``db``."""
    with connect_read_only(db) as conn:
        rows = conn.execute(DATES).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows if row[0] in ids}


def reparse(db: Path) -> subprocess.CompletedProcess[str]:
    """`wirecrawl reparse` on the archive, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_datelines_across_the_new_year_take_the_year_of_their_listing_date(tmp_path: Path) -> None:
    # A dateline after its listing's day is no dateline of the year before: a story filed ahead
    # (listed [2026.12.31.] under "January 1") is of 2027. A recheck run (the cron line's) and
    # a reparse, done in January or years later, date each by its own listing date again.
    site, stories = across_the_new_year()
    root, db = tmp_path / "site", tmp_path / "archive.db"
    ids = [s.id for s in stories.values()]
    want = {
        stories["eve"].id: ("2026-12-31", "Pyongyang, December 31 (KCNA) --", "2026-12-31"),
        stories["ahead"].id: ("2026-12-31", "Pyongyang, January 1 (KCNA) --", "2027-01-01"),
        stories["late"].id: ("2027-01-01", "Pyongyang, December 31 (KCNA) --", "2026-12-31"),
        stories["new_year"].id: ("2027-01-01", "Pyongyang, January 1 (KCNA) --", "2027-01-01"),
    }
    want = {key: (*row, row[0][:7]) for key, row in want.items()}

    first = crawl(site, root, db)
    assert dates(db, ids) == want
    # Newest first across the years, as datasette's stories page sorts them.
    newest = first.rows("SELECT id FROM articles ORDER BY published DESC, id LIMIT 4")
    assert [row["id"] for row in newest] == sorted(ids[2:]) + sorted(ids[:2])

    recheck = crawl(site, root, db, "-a", "recheck_days=1")
    assert recheck.stat("wirecrawl/article/requested/recheck") == len(site.stories)
    assert recheck.stat("wirecrawl/store/changed") == 0
    assert dates(db, ids) == want

    rebuilt = reparse(db)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert dates(db, ids) == want


def test_a_story_read_by_url_on_new_years_morning_is_not_dated_by_the_clock() -> None:
    # Fetched by URL (no listing date) in the first minutes of 2027 in Pyongyang, still 2026 in
    # UTC, and in the first minutes of 2027 in UTC, 09:00 in Pyongyang: the year of a dateline
    # is unknown without the story's own date, and is never taken from the crawl's clock.
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>KCNA | New Year Address Made"
        "</title></head><body><main><article><div class='container'>"
        "<h1 class='text-center text-danger'>New Year Address Made</h1>"
        + "".join(f"<p>{p}</p>" for p in ADDRESS_STORY)
        + "</div></article></main></body></html>"
    ).encode()
    for fetched_at in (
        dt.datetime(2026, 12, 31, 15, 5, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC),
    ):
        reading = read_fetched_story(DETAIL + "c4" * 16, 200, page, "utf-8", None, fetched_at)
        assert reading.story is not None, fetched_at
        item = normalise_article(reading.story)
        assert item.dateline == "Pyongyang, January 1 (KCNA) --", fetched_at
        assert (item.published, item.dateline_date) == (None, None), fetched_at


def test_a_story_fetched_again_by_url_dates_its_corrected_dateline_by_its_own_date(
    tmp_path: Path,
) -> None:
    # The story filed ahead had its dateline corrected to "December 31". A user fetches it
    # again by URL (-a urls=); its page prints no date, but the archive holds the story's own,
    # [2026.12.31.]: the new dateline is 2026-12-31, not the old one's 2027-01-01 kept beside it.
    site, stories = across_the_new_year()
    root, db = tmp_path / "site", tmp_path / "archive.db"
    ahead = stories["ahead"]
    crawl(site, root, db)
    corrected = dataclasses.replace(
        ahead,
        paragraphs_html=[ahead.paragraphs_html[0].replace("January 1", "December 31"),
                         *ahead.paragraphs_html[1:]],
    )  # fmt: skip
    site.stories[site.stories.index(ahead)] = corrected

    again = crawl(site, root, db, "-a", f"urls={DETAIL}{ahead.id}")

    assert again.stat("wirecrawl/store/changed") == 1
    assert dates(db, [ahead.id]) == {
        ahead.id: ("2026-12-31", "Pyongyang, December 31 (KCNA) --", "2026-12-31", "2026-12")
    }
    assert again.rows("SELECT dateline FROM article_revisions") == [
        {"dateline": "Pyongyang, January 1 (KCNA) --"}
    ]


AGGREGATOR = "kcnawatch.test"
# The New Year address posted at 06:00 in Pyongyang on 1 January 2027 (21:00 UTC the day before),
# read at its own address (the one its teasers are kept under), and a story of the next day
# whose "More From" box teases it, with its slug, under the aggregator's date of it, December 31.
ADDRESS = f"http://{AGGREGATOR}/newstream/1798750800-1001/"
ADDRESS_LINK = ADDRESS + "new-year-address-made/"
GREETINGS = f"http://{AGGREGATOR}/newstream/1798837200-1002/greetings-come-from-abroad/"
GREETINGS_STORY = [
    "Pyongyang, January 2 (KCNA) -- Greetings came from many countries on the new year.",
    "They wished the people bigger successes in the new year. -0-",
]


def test_reparse_dates_an_aggregator_story_by_its_own_page_never_by_a_teaser(
    tmp_path: Path,
) -> None:
    # A crawl dates an aggregator's story by its own page (here the unix time in its URL, in
    # Pyongyang): 2027-01-01. Another page teases it under December 31, 2026. A reparse must
    # read it as the crawl did; taking the teaser's date put it in December, in 2026.
    teased = (ADDRESS_LINK, "The New Year address was made in the capital at midnight", EVE)
    pages = {
        urlsplit(ADDRESS).path: aggregator_page("New Year Address Made", ADDRESS_STORY, []),
        urlsplit(GREETINGS).path: aggregator_page(
            "Greetings Come From Abroad", GREETINGS_STORY, [teased]
        ),
    }
    db = tmp_path / "archive.db"
    with PageProxy(AGGREGATOR, pages) as proxy:
        crawled = run_crawl(
            proxy.proxy_url, db, "-a", f"url={ADDRESS},{GREETINGS}", spider="kcnawatch"
        )
    assert crawled.returncode == 0, crawled.log[-3000:]
    assert crawled.rows("SELECT url, published FROM teasers") == [
        {"url": ADDRESS, "published": "2026-12-31"}
    ]
    want = [
        {"url": ADDRESS, "published": "2027-01-01", "dateline_date": "2027-01-01"},
        {"url": GREETINGS, "published": "2027-01-02", "dateline_date": "2027-01-02"},
    ]
    query = "SELECT url, published, dateline_date FROM articles ORDER BY published"
    assert crawled.rows(query) == want

    rebuilt = reparse(db)

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert crawled.rows(query) == want
