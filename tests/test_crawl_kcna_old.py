"""`scrapy crawl kcna -a urls=...` on pages of the old layout (`.kcmsf`), through http_proxy.

The homepage served here is the real saved homepage of 2024-08-04 (fixtures/kcna_old/); the
old-layout story pages it links to are written by the test, in that layout's markup.
"""

from __future__ import annotations

import datetime as dt
import html
import sqlite3
from pathlib import Path

from tests.conftest import PageProxy, run_crawl
from wirecrawl.pages.kcna_old import KcnaOldHomePage
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer

HOMEPAGE = (
    Path(__file__).resolve().parent.parent / "fixtures/kcna_old/homepage-2024-08-04/page.html"
)


def old_article(title: str, published: dt.date, paragraphs: list[str], juche: bool) -> str:
    """A story page of the old layout: title, content-wrapper paragraphs, publish-time."""
    year = f"Juche{published.year - 1911}" if juche else str(published.year)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<html><head><title>KCNA</title></head><body>
<div class="article-main">
<div class="article-main-title"><strong>{html.escape(title)}</strong></div>
<div class="article-content-body"><div class="content-wrapper">{body}</div></div>
<span class="publish-time">www.kcna.kp ({year}.{published.month}.{published.day}.)</span>
</div></body></html>"""


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def test_the_real_old_homepage_gives_39_teasers_and_their_stories(tmp_path: Path) -> None:
    page = HOMEPAGE.read_text(encoding="utf-8")
    entries = KcnaOldHomePage("http://www.kcna.kp/en", page).entries()
    pages = {"/en": page}
    for entry in entries:
        assert entry.published is not None
        day = entry.published
        paragraphs = [f"Pyongyang, {day:%B} {day.day} (KCNA) -- {entry.text} was reported.",
                      "Details followed. -0-"]  # fmt: skip
        path = entry.url.removeprefix("http://www.kcna.kp")
        pages[path] = old_article(entry.text, day, paragraphs, juche=True)

    with PageProxy("www.kcna.kp", pages) as proxy:
        result = run_crawl(proxy.proxy_url, tmp_path / "a.db", "-a", "urls=http://www.kcna.kp/en")

    assert result.returncode == 0, result.log
    db = tmp_path / "a.db"
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM teasers") == [(39, 39)]
    stored = query(db, "SELECT url, title, published, dateline_date FROM articles ORDER BY url")
    assert len(stored) == 39
    expected = sorted((e.url, e.text, e.published.isoformat()) for e in entries if e.published)
    assert [row[:3] for row in stored] == expected
    assert all(row[3] == row[2] for row in stored)  # dateline on the listing's day
    # Every homepage link and story fetched once: 39 stories, the homepage, robots.txt.
    assert len(proxy.requests) == 41


def test_a_story_under_its_old_and_new_url_is_one_row(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "a.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    story = next(s for s in small_site.stories if s.paragraphs[0].startswith("Pyongyang, "))
    old_url = f"http://www.kcna.kp/en/article/q/{'ab' * 32}.kcmsf"
    page = old_article(story.title, story.published, story.paragraphs, juche=False)

    with PageProxy("www.kcna.kp", {old_url.removeprefix("http://www.kcna.kp"): page}) as proxy:
        result = run_crawl(proxy.proxy_url, db, "-a", f"urls={old_url}")

    assert result.returncode == 0, result.log
    assert result.stat("wirecrawl/store/merged") == 1
    assert query(db, "SELECT count(*) FROM articles") == [(len(small_site.stories),)]
    assert sorted(query(db, f"SELECT url FROM article_urls WHERE article_id = '{story.id}'")) == [
        (f"http://www.kcna.kp/en/article/detail/{story.id}",),
        (old_url,),
    ]
    # The story is shown under the current layout's URL.
    assert query(db, f"SELECT url FROM articles WHERE id = '{story.id}'") == [
        (f"http://www.kcna.kp/en/article/detail/{story.id}",)
    ]


def test_an_old_article_alone_takes_its_date_from_its_page(tmp_path: Path) -> None:
    day = dt.date(2019, 12, 10)
    url = f"http://www.kcna.kp/en/article/q/{'cd' * 16}.kcmsf"
    paragraphs = ["Pyongyang, December 9 (KCNA) -- A spokesman answered.", "-0-"]
    page = old_article("Spokesman Answers Question", day, paragraphs, juche=True)
    with PageProxy("www.kcna.kp", {url.removeprefix("http://www.kcna.kp"): page}) as proxy:
        result = run_crawl(proxy.proxy_url, tmp_path / "a.db", "-a", f"urls={url}")
    assert result.returncode == 0, result.log
    assert query(tmp_path / "a.db", "SELECT published, dateline_date, body FROM articles") == [
        ("2019-12-10", "2019-12-09", "A spokesman answered.")
    ]


def test_urls_that_no_page_class_reads_are_refused_before_any_request(tmp_path: Path) -> None:
    with PageProxy("www.kcna.kp", {}) as proxy:
        result = run_crawl(
            proxy.proxy_url, tmp_path / "a.db", "-a", "urls=http://www.kcna.kp/en/photo/1.kcmsf"
        )
    assert result.returncode == 2
    assert "-a urls= takes kcna.kp article or listing pages" in result.log
    assert proxy.requests == []


def test_teasers_repeated_on_a_page_are_dropped_and_counted(tmp_path: Path) -> None:
    # The real homepage prints 84 links to 39 stories (every widget twice).
    page = HOMEPAGE.read_text(encoding="utf-8")
    with PageProxy("www.kcna.kp", {"/en": page}) as proxy:
        result = run_crawl(proxy.proxy_url, tmp_path / "a.db", "-a", "urls=http://www.kcna.kp/en")
    assert result.stat("wirecrawl/teasers/kept") == 39
    assert query(tmp_path / "a.db", "SELECT count(*) FROM teasers") == [(39,)]
    # Its stories all answer 404 here: none stored, and the run says so with exit code 3.
    assert result.returncode == 3
    assert "ALARM: the listings showed 39 unstored story(ies) but none was stored" in result.log


def test_a_story_listed_twice_on_a_current_listing_page_is_one_teaser(tmp_path: Path) -> None:
    listing = Path(__file__).resolve().parent.parent / "fixtures/kcna/listing-top-news-page1"
    path = "/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4"
    page = (listing / "page.html").read_text(encoding="utf-8")
    with PageProxy("www.kcna.kp", {path: page}) as proxy:
        result = run_crawl(
            proxy.proxy_url, tmp_path / "a.db", "-a", f"urls=http://www.kcna.kp{path}"
        )
    # The page lists 3 stories, one of them twice.
    assert result.stat("wirecrawl/teasers/dropped") == 1
    assert result.stat("wirecrawl/teasers/kept") == 3
    assert query(tmp_path / "a.db", "SELECT count(*) FROM teasers") == [(3,)]
    assert query(tmp_path / "a.db", "SELECT count(*) FROM article_categories") == [(3,)]
    # Only the page asked for: the categories in its menu are not crawled in this mode.
    listings = {r for r in proxy.requests if "/article/list/" in r}
    assert listings == {f"http://www.kcna.kp{path}"}
