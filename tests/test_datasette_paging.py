"""The stories list and the timeline on archives of many days, through `make serve`: paging
that shows every story once, and days drawn as the listing dates they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.test_datasette import CHROMIUM, CHROMIUM_ARGS, Served, _serve
from wirecrawl.datasette.plugins.wirecrawl_archive import search_from_the_top
from wirecrawl.storage import ArchiveWriter, open_archive

SEEN = "2026-07-01T08:00:00+00:00"
SCATTER = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: n -> n * SCATTER mod 2**128 is one-to-one


def build(path: Path, per_day: int, days: int, last: dt.date) -> list[str]:
    """An archive of ``per_day`` stories on each of ``days`` days up to ``last``, written as a
    crawl writes them (listing entry, then story); returns their ids."""
    writer = ArchiveWriter(open_archive(path), batch_size=None)
    ids = []
    for day_number in range(days):
        day = (last - dt.timedelta(days=days - 1 - day_number)).isoformat()
        for _ in range(per_day):
            # Ids in no relation to the order the stories were stored in, as on the site: an
            # odd 128-bit multiplier wraps at every step, so neighbours land far apart.
            key = f"{(len(ids) * SCATTER + 1) % 2**128:032x}"
            url = f"http://www.kcna.kp/en/article/detail/{key}"
            writer.add_listing_entry(
                {"url": url, "story_key": key, "text": f"Story {len(ids)}", "published": day,
                 "category_id": "a" * 32, "category_name": "Top News",
                 "seen_on": f"http://www.kcna.kp/en/article/list/{'a' * 32}", "seen": SEEN}
            )  # fmt: skip
            writer.add_article(
                {"id": key, "source": "kcna.kp", "language": "en", "url": url,
                 "title": f"Story {len(ids)}", "published": day, "dateline": None,
                 "dateline_place": None, "dateline_date": None, "agency": None,
                 "body": f"An ordinary report, number {len(ids)}.", "seen": SEEN}
            )  # fmt: skip
            ids.append(key)
    writer.flush()
    writer.db.close()
    return ids


# --- paging: about 40 stories a day, a page break inside a day every time ----------------


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, list[str]]]:
    path = tmp_path_factory.mktemp("busy") / "busy.db"
    ids = build(path, per_day=40, days=30, last=dt.date(2026, 7, 9))
    for served in _serve(path):
        yield served, ids


def page_through(served: Served, path: str | None) -> tuple[list[str], list[str]]:
    """The ids and dates of every row, following ``next_url`` from ``path`` on."""
    seen: list[str] = []
    days: list[str] = []
    while path:
        data = served.json(path)
        seen += [row["id"] for row in data["rows"]]
        days += [row["published"] for row in data["rows"]]
        path = data["next_url"] and data["next_url"].removeprefix(served.url)
    return seen, days


def test_paging_the_stories_list_shows_every_story_once_newest_first(
    busy: tuple[Served, list[str]],
) -> None:
    served, ids = busy
    seen, days = page_through(served, "/wirecrawl/articles.json?_shape=objects")
    assert len(seen) == len(ids)
    assert set(seen) == set(ids)
    assert days == sorted(days, reverse=True)


def test_the_csv_of_all_rows_has_every_story_once(busy: tuple[Served, list[str]]) -> None:
    served, ids = busy
    status, text = served.get("/wirecrawl/articles.csv", _stream="on", _size="max")
    assert status == 200
    exported = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert sorted(exported) == sorted(ids)


@pytest.mark.parametrize(
    ("search", "numbered"),
    [
        ("_search=ordinary", lambda number: True),  # every story
        ("_search=1*&_searchmode=raw", lambda number: str(number).startswith("1")),
    ],
    ids=["every-story", "some-stories"],
)
def test_paging_a_search_shows_every_story_found_once_newest_first(
    busy: tuple[Served, list[str]], search: str, numbered: Callable[[int], bool]
) -> None:
    """datasette 0.65 sorts a table's first page by the sort column alone and the pages after
    it by that column and the primary key; a search's first page comes from a sort of the
    found rows, not from the index on (published, id), so a page break inside a day showed
    stories twice or never (docs/reliability.md, gap 62)."""
    served, ids = busy
    wanted = {key for number, key in enumerate(ids) if numbered(number)}
    seen, days = page_through(served, f"/wirecrawl/articles.json?_shape=objects&_size=7&{search}")
    assert len(seen) == len(wanted)
    assert set(seen) == wanted
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "_search=ordinary&_sort=published",
        "_sort=published",
        "_search=ordinary&_sort=id",
        "_search=ordinary&_sort_desc=dateline_place",
        "_sort_desc=dateline_place",
        "_sort=dateline_place",
    ],
    ids=[
        "search-oldest-first",
        "list-oldest-first",
        "search-by-id",
        "search-by-place-descending",
        "list-by-place-descending",
        "list-by-place",
    ],
)
def test_paging_in_another_order_shows_every_story_once(
    busy: tuple[Served, list[str]], query: str
) -> None:
    """Sorted oldest first (the published column's sort link, or the column menu's "Sort
    ascending"), or by another column, a first page in datasette's order is sorted by that
    column alone: neither a search's found rows nor the index on (``published`` DESC,
    ``id``) give the stories of one value (a day, no dateline) in the order of ``id`` that
    the pages after it use."""
    served, ids = busy
    seen, days = page_through(served, f"/wirecrawl/articles.json?_shape=objects&_size=7&{query}")
    assert len(seen) == len(ids)
    assert set(seen) == set(ids)
    if "_sort=published" in query:
        assert days == sorted(days)


@pytest.mark.parametrize("search", [{}, {"_search": "ordinary"}], ids=["the-list", "a-search"])
def test_a_streamed_csv_sorted_oldest_first_has_every_story_once(
    busy: tuple[Served, list[str]], search: dict[str, str]
) -> None:
    """A streamed CSV is paged by datasette as the pages are (its first 1,000 rows sorted by
    ``published`` alone, the rest by ``published`` and ``id``): sorted oldest first, a day
    cut at the 1,000th row showed stories twice and others never. The export form carries
    the first page's token, which the plugin takes out."""
    served, ids = busy
    status, text = served.get(
        "/wirecrawl/articles.csv", **search, _sort="published", _next="$null,", _stream="on",
        _size="max",
    )  # fmt: skip
    assert status == 200, text
    exported = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert sorted(exported) == sorted(ids)


def test_a_search_exported_as_a_streamed_csv_from_its_page_has_every_story_found(
    busy: tuple[Served, list[str]],
) -> None:
    """The page's export form carries the first page's ``_next`` token, which datasette
    refuses in a streamed CSV; the plugin takes it out again, and has the export sorted by
    id, since a streamed CSV's first page, in datasette's order, showed ten stories twice
    and left ten out."""
    served, ids = busy
    status, page = served.get("/wirecrawl/articles", _search="ordinary")
    assert status == 200
    assert '<input type="hidden" name="_next" value="9999-12-31,">' in page
    status, text = served.get(
        "/wirecrawl/articles.csv", _search="ordinary", _next="9999-12-31,", _stream="on",
        _size="max",
    )  # fmt: skip
    assert status == 200, text
    exported = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert exported == sorted(ids)


@pytest.mark.parametrize(
    ("path", "query", "sent"),
    [
        ("/wirecrawl/articles", "_search=rice", "_search=rice&_next=9999-12-31,"),
        ("/wirecrawl/articles.json", "_search_title=rice&_size=7",
         "_search_title=rice&_size=7&_next=9999-12-31,"),
        ("/wirecrawl/articles", "_search=rice&_sort_desc=published",
         "_search=rice&_sort_desc=published&_next=9999-12-31,"),
        ("/wirecrawl/articles", "_search=rice&_sort=title",
         "_search=rice&_sort=title&_next=$null,"),  # ascending: from the start
        ("/wirecrawl/articles", "_search=rice&_sort_desc=title",
         "_search=rice&_sort_desc=title&_next=~F4~8F~BF~BF,"),  # descending: above all
        ("/wirecrawl/articles", "_sort_desc=title", "_sort_desc=title&_next=~F4~8F~BF~BF,"),
        ("/wirecrawl/articles.csv", "_sort_desc=title&_next=~F4~8F~BF~BF%2C&_stream=on",
         "_sort_desc=title&_stream=on"),
        ("/wirecrawl/articles", "_search=rice&_next=2026-07-01%2Cab", None),  # a later page
        ("/wirecrawl/articles", "_search=&_size=7", None),  # no search
        ("/wirecrawl/articles", "_search=rice&_sort=", "_search=rice&_sort=&_next=9999-12-31,"),
        # The search form's answer: datasette redirects it to _sort_desc=published (the token
        # kept), whose page gets its own.
        ("/wirecrawl/articles", "_search=rice&_sort=published&_sort_by_desc=on", None),
        ("/wirecrawl/articles", "_search=rice&_filter_column=title&_filter_op=exact", None),
        ("/wirecrawl/articles", "", None),  # the list: its index orders both alike
        ("/wirecrawl/runs", "_search=rice", None),
        ("/wirecrawl/articles.csv", "_search=rice&_next=9999-12-31%2C&_stream=on",
         "_search=rice&_stream=on&_sort=id"),
        ("/wirecrawl/articles.csv", "_search=rice&_stream=on&_sort_desc=published",
         "_search=rice&_stream=on&_sort=id"),
        ("/wirecrawl/articles.csv", "_search=rice&_stream=on&_sort=title", None),
        ("/wirecrawl/articles.csv", "_stream=on", None),  # the list: in its own order
        # Oldest first, searched or not: a token before every story in that order.
        ("/wirecrawl/articles", "_search=rice&_sort=published",
         "_search=rice&_sort=published&_next=$null,"),
        ("/wirecrawl/articles.json", "_sort=published&_size=7",
         "_sort=published&_size=7&_next=$null,"),
        ("/wirecrawl/articles", "_sort=published&_next=%24null%2C", None),
        ("/wirecrawl/articles", "_sort=published&_sort_desc=published", None),  # refused
        # Its export form's streamed CSV: the token taken out; oldest first, sorted by id.
        ("/wirecrawl/articles.csv", "_search=rice&_sort=published&_next=%24null%2C&_stream=on",
         "_search=rice&_stream=on&_sort=id"),
        ("/wirecrawl/articles.csv", "_sort=published&_stream=on", "_stream=on&_sort=id"),
        ("/wirecrawl/articles.csv", "_sort=title&_next=%24null%2C&_stream=on",
         "_sort=title&_stream=on"),
    ],
)  # fmt: skip
def test_only_a_search_s_first_page_starts_from_the_token(
    path: str, query: str, sent: str | None
) -> None:
    changed = search_from_the_top(path, query.encode())
    assert changed == (None if sent is None else sent.encode())


# --- the timeline, as a browser draws it --------------------------------------------------


def timeline_bars(served: Served, timezone: str) -> list[str]:
    """The per-day chart's bars, as their labels say, in Chromium set to ``timezone``."""
    assert CHROMIUM.exists()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(timezone_id=timezone).new_page()
            page.goto(f"{served.url}/-/dashboards/timeline")
            bars = page.locator("#chart-stories-per-day svg.marks g.mark-rect path")
            bars.first.wait_for(timeout=15_000)
            labels: list[str] = bars.evaluate_all(
                "els => els.map(e => e.getAttribute('aria-label'))"
            )
        finally:
            browser.close()
    return labels


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("three") / "three.db"
    build(path, per_day=2, days=3, last=dt.date(2026, 6, 12))
    yield from _serve(path)


@pytest.mark.parametrize("timezone", ["Asia/Pyongyang", "UTC", "America/New_York"])
def test_the_timeline_draws_each_listing_date_in_any_time_zone(
    three_days: Served, timezone: str
) -> None:
    assert sorted(timeline_bars(three_days, timezone)) == [
        "Published: Jun 10, 2026; Stories: 2",
        "Published: Jun 11, 2026; Stories: 2",
        "Published: Jun 12, 2026; Stories: 2",
    ]


@pytest.fixture(scope="module")
def long_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("long") / "long.db"
    build(path, per_day=1, days=1100, last=dt.date(2026, 6, 30))
    yield from _serve(path)


def test_the_timeline_of_more_than_1000_days_shows_the_newest(long_archive: Served) -> None:
    bars = timeline_bars(long_archive, "UTC")
    assert len(bars) == 1000
    assert "Published: Jun 30, 2026; Stories: 1" in bars
    first_drawn = dt.date(2026, 6, 30) - dt.timedelta(days=999)
    assert f"Published: {first_drawn:%b %d, %Y}; Stories: 1" in bars
    assert f"Published: {first_drawn - dt.timedelta(days=1):%b %d, %Y}; Stories: 1" not in bars
