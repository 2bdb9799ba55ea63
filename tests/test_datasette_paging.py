"""The stories list and the timeline on archives of many days, through `make serve`: paging
that shows every story once, and days drawn as the listing dates they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.test_datasette import CHROMIUM, CHROMIUM_ARGS, Served, _serve
from wirecrawl.storage import ArchiveWriter, open_archive

SEEN = "2026-07-01T08:00:00+00:00"


def build(path: Path, per_day: int, days: int, last: dt.date) -> list[str]:
    """An archive of ``per_day`` stories on each of ``days`` days up to ``last``, written as a
    crawl writes them (listing entry, then story); returns their ids."""
    writer = ArchiveWriter(open_archive(path), batch_size=None)
    ids = []
    for day_number in range(days):
        day = (last - dt.timedelta(days=days - 1 - day_number)).isoformat()
        for _ in range(per_day):
            # Ids in no relation to the order the stories were stored in, as on the site.
            key = f"{(len(ids) * 2654435761) % 2**128:032x}"
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


def test_paging_the_stories_list_shows_every_story_once_newest_first(
    busy: tuple[Served, list[str]],
) -> None:
    served, ids = busy
    seen: list[str] = []
    days: list[str] = []
    path: str | None = "/wirecrawl/articles.json?_shape=objects"
    while path:
        data = served.json(path)
        seen += [row["id"] for row in data["rows"]]
        days += [row["published"] for row in data["rows"]]
        path = data["next_url"] and data["next_url"].removeprefix(served.url)
    assert len(seen) == len(ids)
    assert set(seen) == set(ids)
    assert days == sorted(days, reverse=True)


def test_the_csv_of_all_rows_has_every_story_once(busy: tuple[Served, list[str]]) -> None:
    served, ids = busy
    status, text = served.get("/wirecrawl/articles.csv", _stream="on", _size="max")
    assert status == 200
    exported = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert sorted(exported) == sorted(ids)


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
