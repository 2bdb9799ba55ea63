"""Real crawls with `scrapy crawl kcnawatch`, through http_proxy, of pages served on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import PageProxy, run_crawl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "aggregator"
HOST = "kcnawatch.test"  # a reserved name: a request that escaped the proxy could go nowhere
DATED = (
    f"http://{HOST}/newstream/1527836400-567937233/kim-jong-un-receives-russian-foreign-minister/"
)
UNDATED = f"http://{HOST}/article/kim-jong-un-receives-russian-foreign-minister/"
MISSING = f"http://{HOST}/newstream/1527836400-404/gone/"


def expected(case: str) -> dict[str, Any]:
    return json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def proxy() -> Iterator[PageProxy]:
    pages = {
        urlsplit(DATED).path: (FIXTURES / "seed-div-soup" / "page.html").read_text("utf-8"),
        urlsplit(UNDATED).path: (FIXTURES / "seed-br-lines" / "page.html").read_text("utf-8"),
    }
    with PageProxy(HOST, pages) as server:
        yield server


def test_crawl_stores_the_story_and_its_teasers(tmp_path: Path, proxy: PageProxy) -> None:
    seed = expected("seed-div-soup")
    result = run_crawl(
        proxy.proxy_url,
        tmp_path / "archive.db",
        "-a",
        f"url={DATED}, {UNDATED},{MISSING}",
        spider="kcnawatch",
    )
    assert result.returncode == 0, result.log[-3000:]

    articles = {row["url"]: row for row in result.rows("SELECT * FROM articles")}
    assert set(articles) == {DATED, UNDATED}
    dated, undated = articles[DATED], articles[UNDATED]
    assert dated["id"] == "kcnawatch-567937233"
    assert undated["id"].startswith("kcnawatch-")
    for row in (dated, undated):
        assert row["source"] == HOST
        assert row["title"] == "Kim Jong Un Receives Russian Foreign Minister"
        assert row["dateline"] == "Pyongyang, June 1 (KCNA) --"
        assert row["dateline_place"] == "Pyongyang"
        assert row["body"] == seed["body"]
        assert not [t["text"] for t in seed["teasers"] if t["text"] in row["body"]]
        assert "-0-" not in row["body"]
    # From the unix time in the URL; the other page gives no date at all: never a teaser's.
    assert (dated["published"], dated["dateline_date"]) == ("2018-06-01", "2018-06-01")
    assert (undated["published"], undated["dateline_date"]) == (None, None)

    teasers = result.rows("SELECT * FROM teasers ORDER BY first_seen_on, url")
    want = sorted((t["text"], t["published"]) for t in seed["teasers"])
    for page_url, host in ((DATED, HOST), (UNDATED, "kcnawatch.org")):
        rows = [row for row in teasers if row["first_seen_on"] == page_url]
        assert len(rows) == 20, page_url
        assert sorted((row["text"], row["published"]) for row in rows) == want
        assert all(urlsplit(row["url"]).hostname == host for row in rows)
        assert all(row["story_key"].startswith("kcnawatch-5681000") for row in rows)
    assert len(teasers) == 40

    # Only the given pages (and robots.txt) were asked for: teasers are recorded, not followed.
    assert sorted(proxy.requests) == sorted([f"http://{HOST}/robots.txt", DATED, UNDATED, MISSING])
    assert result.stat("wirecrawl/article/parsed") == 2
    assert result.stat("wirecrawl/article/failed") == 1
    assert result.stat("wirecrawl/listing/entries") == 40
    assert f"Article page failed: {MISSING}" in result.log


def test_crawl_refuses_a_missing_or_relative_url(tmp_path: Path, proxy: PageProxy) -> None:
    result = run_crawl(
        proxy.proxy_url, tmp_path / "archive.db", "-a", "url=/newstream/1-2/", spider="kcnawatch"
    )
    assert result.returncode == 2
    assert "-a url= needs absolute" in result.log
    assert proxy.requests == []


def test_a_site_logo_in_an_h1_is_not_the_headline(tmp_path: Path) -> None:
    # The tables rendering, whose <title> holds only the site's name, with the site's logo in
    # an h1 of its own above the headline's (and above the menu).
    page = (FIXTURES / "seed-tables" / "page.html").read_text("utf-8")
    top = '<td class="top"><a href="/">KCNA Watch</a>'
    assert top in page
    page = page.replace(top, '<td class="top"><h1><a href="/">KCNA Watch</a></h1>', 1)
    with PageProxy(HOST, {urlsplit(DATED).path: page}) as proxy:
        result = run_crawl(
            proxy.proxy_url, tmp_path / "archive.db", "-a", f"url={DATED}", spider="kcnawatch"
        )
    assert result.returncode == 0, result.log[-3000:]
    seed = expected("seed-tables")
    assert result.rows("SELECT title, body FROM articles") == [
        {"title": seed["title"], "body": seed["body"]}
    ]


def test_a_story_teased_with_and_without_www_and_slug_is_one_teaser(tmp_path: Path) -> None:
    # One page's box links its stories as /newstream/<time>-<id>/<slug>/ on its own host; the
    # other's as http://www.<host>/newstream/<time>-<id>/, no slug: the same twenty stories.
    other = re.sub(
        r'href="https://kcnawatch\.org/newstream/([0-9]+-[0-9]+)/[^"]*"',
        rf'href="http://www.{HOST}/newstream/\1/"',
        (FIXTURES / "seed-br-lines" / "page.html").read_text("utf-8"),
    )
    assert other.count(f'href="http://www.{HOST}/newstream/') == 20
    pages = {
        urlsplit(DATED).path: (FIXTURES / "seed-div-soup" / "page.html").read_text("utf-8"),
        urlsplit(UNDATED).path: other,
    }
    with PageProxy(HOST, pages) as proxy:
        result = run_crawl(
            proxy.proxy_url,
            tmp_path / "archive.db",
            "-a",
            f"url={DATED},{UNDATED}",
            spider="kcnawatch",
        )
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("wirecrawl/listing/entries") == 40

    teasers = result.rows("SELECT * FROM teasers ORDER BY url")
    seed = expected("seed-div-soup")
    assert [row["url"] for row in teasers] == sorted(
        re.sub(
            r"^https://kcnawatch\.org(/newstream/[0-9]+-[0-9]+/).*", rf"http://{HOST}\1", t["url"]
        )
        for t in seed["teasers"]
    )
    assert sorted((row["text"], row["published"]) for row in teasers) == sorted(
        (t["text"], t["published"]) for t in seed["teasers"]
    )
    for row in teasers:
        assert {row["first_seen_on"], row["last_seen_on"]} == {DATED, UNDATED}
        assert row["story_key"].startswith("kcnawatch-5681000")
