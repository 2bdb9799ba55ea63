"""Scheduled runs: incremental crawling, revisions, removals, raw pages, reparse, run log, lock.

Each test changes the imitation site between two real crawls, as the agency would between
two cron runs, and checks what the second run fetched and what the archive then holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, CrawlResult, crawl_stopped_when, run_crawl
from wirecrawl.lock import ArchiveLock
from wirecrawl.storage import open_archive
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site, Story
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import (
    article_path,
    listing_page_path,
    site_dir,
    write_snapshot,
)

CATEGORIES = 10  # the spider crawls all ten categories of the real site by default


def republish(site: Site, root: Path) -> SiteServer:
    """Write the changed site and serve it (a new server: a new day at the agency)."""
    write_snapshot(site, root, per_page=6)
    return SiteServer(root)


def unlist(site: Site, root: Path, stories: list[Story]) -> None:
    """Write the site at ``root`` again without ``stories`` in its listings, their pages
    answering as before (the agency takes them off the listings only)."""
    pages = {story.id: article_path(root, story.id).read_bytes() for story in stories}
    for story in stories:
        site.stories.remove(story)
    write_snapshot(site, root, per_page=6)
    for key, page in pages.items():
        article_path(root, key).write_bytes(page)


def new_story(site: Site) -> Story:
    """A story published after everything else, in the first category."""
    newest = max(story.published for story in site.stories)
    day = newest + dt.timedelta(days=1)
    return Story(
        id="f" * 31 + "1",
        title_html="Kim Jong Un Visits Newly Built Greenhouse Farm",
        published=day,
        paragraphs_html=[
            f"Pyongyang, {day:%B} {day.day} (KCNA) -- A new greenhouse farm was completed.",
            "Working people across the country congratulated the builders. -0-",
        ],
        categories=[site.categories[0].id],
    )


def crawled_then_one_new(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> tuple[Path, Story]:
    """The small site crawled into a new archive, its server stopped, then one story published
    after all of it (republish the site to serve it)."""
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    story = new_story(small_site)
    small_site.stories.append(story)
    return db, story


def marked_gone_by_a_404(
    tmp_path: Path, small_site: Site, site_server: SiteServer, answers: int
) -> tuple[Path, Story, str]:
    """The small site crawled, then a recheck run whose page of the first category's newest
    story answers 404 (and so do its next ``answers`` - 1 requests): that story marked gone.
    Returns the archive, the story and its ``gone_at``; the server's request log is cleared."""
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    story = small_site.stories_in(small_site.categories[0].id)[0]
    site_server.add_fault(f"/en/article/detail/{story.id}", *["404"] * answers)
    assert run_crawl(site_server.proxy_url, db, "-a", "recheck_days=1").returncode == 0
    gone_at = table(db, "SELECT gone_at FROM articles WHERE id = ?", (story.id,))[0]["gone_at"]
    assert gone_at
    site_server.clear_requests()
    return db, story, gone_at


def table(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def reparse_from_scratch(db: Path) -> subprocess.CompletedProcess[str]:
    """Empty `articles` and `article_urls`, then run `wirecrawl reparse` as a user does."""
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM articles")
        conn.execute("DELETE FROM article_urls")
    return subprocess.run(
        [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def site_requests(server: SiteServer) -> list[str]:
    """What a crawl asked the site for, robots.txt aside: method and path."""
    return [f"{r.method} {r.path}" for r in server.requests if r.path != "/robots.txt"]


def test_rerun_with_nothing_new_makes_one_listing_request_per_category(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.clear_requests()

    second = run_crawl(site_server.proxy_url, db)

    assert second.returncode == 0, second.log
    asked = site_requests(site_server)
    assert len(asked) == CATEGORIES
    assert all(request.startswith("GET /en/article/list/") for request in asked)
    assert len(table(db, "SELECT id FROM articles")) == len(small_site.stories)


def test_an_old_entry_pinned_atop_a_listing_makes_no_story_request(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # Page 1 of a category shows, above its newest entries, its oldest story (a pinned
    # entry). The stretch of the listing this run reads ends at the last entry read, not at
    # the pinned one's date: the stored stories between them, on pages a run with nothing new
    # does not read, are not asked for as no longer listed.
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    category = small_site.categories[0].id
    oldest = small_site.stories_in(category)[-1]
    day = oldest.published
    pinned = (
        f'<div class="article"><h5 class="block"><a href="/en/article/detail/{oldest.id}">'
        f"{oldest.title_html}</a></h5><span><nobr>[{day.year}.{day.month}.{day.day}.]</nobr>"
        "</span></div>\n"
    )
    page_one = listing_page_path(site_server.root, category, 1)
    listing = page_one.read_text()
    assert oldest.id not in listing
    page_one.write_text(
        listing.replace('<div class="article-list">\n', f'<div class="article-list">\n{pinned}', 1)
    )
    site_server.clear_requests()

    second = run_crawl(site_server.proxy_url, db)

    assert second.returncode == 0, second.log
    first_pages = sum(min(6, len(small_site.stories_in(c.id))) for c in small_site.categories)
    assert second.stat("wirecrawl/listing/entries") == first_pages + 1  # the pinned one read
    asked = site_requests(site_server)
    assert [request for request in asked if "/article/detail/" in request] == []
    assert len(asked) == CATEGORIES


def test_a_new_story_is_the_only_story_fetched(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db, story = crawled_then_one_new(tmp_path, small_site, site_server)

    with republish(small_site, tmp_path / "site") as server:
        second = run_crawl(server.proxy_url, db)
        asked = site_requests(server)

    assert second.returncode == 0, second.log
    details = [r for r in asked if "/article/detail/" in r]
    assert details == [f"GET /en/article/detail/{story.id}"]
    # Page 1 of its category held a new story, so page 2 was read too; it held none: stop.
    posts = [r for r in asked if r.startswith("POST")]
    assert posts == [f"POST /en/article/list/{small_site.categories[0].id}"]
    assert len(asked) == CATEGORIES + 2
    rows = table(db, "SELECT id, title, published FROM articles WHERE id = ?", (story.id,))
    assert rows == [
        {"id": story.id, "title": story.title, "published": story.published.isoformat()}
    ]
    runs = table(db, "SELECT stories_new, requests, finish_reason FROM runs ORDER BY id")
    assert [(r["stories_new"], r["finish_reason"]) for r in runs] == [
        (len(small_site.stories) - 1, "finished"),
        (1, "finished"),
    ]


@pytest.mark.parametrize("with_dateline", [True, False], ids=["with-dateline", "without"])
def test_an_edited_story_leaves_a_revision(
    tmp_path: Path, small_site: Site, site_server: SiteServer, with_dateline: bool
) -> None:
    """An edit by the agency replaces the stored text and keeps the old one as a revision;
    for a story without a dateline, at the run's end (gap 63)."""
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    datelines = {
        row["id"]: row["dateline"] for row in table(db, "SELECT id, dateline FROM articles")
    }
    edited = [s for s in small_site.stories if (datelines[s.id] is not None) == with_dateline][-1]
    before = table(db, "SELECT title, body FROM articles WHERE id = ?", (edited.id,))[0]
    index = small_site.stories.index(edited)
    small_site.stories[index] = dataclasses.replace(
        edited,
        title_html=edited.title_html + " (Corrected)",
        paragraphs_html=[*edited.paragraphs_html[:-1], "A sentence was changed. -0-"],
    )

    with republish(small_site, tmp_path / "site") as server:
        second = run_crawl(server.proxy_url, db, "-a", "recheck_days=1")

    assert second.returncode == 0, second.log
    revisions = table(db, "SELECT article_id, title, body FROM article_revisions")
    assert revisions == [{"article_id": edited.id, **before}]
    now = table(db, "SELECT title, body FROM articles WHERE id = ?", (edited.id,))[0]
    assert now["title"].endswith("(Corrected)")
    assert now["body"].endswith("A sentence was changed.")
    assert second.stat("wirecrawl/store/changed") == 1
    assert second.stat("wirecrawl/store/unchanged") == len(small_site.stories) - 1


def test_a_removed_story_gets_gone_at_and_is_kept(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    # The agency deletes the newest story of the first category: gone from listing and site.
    removed = small_site.stories_in(small_site.categories[0].id)[0]
    small_site.stories.remove(removed)

    with republish(small_site, tmp_path / "site") as server:
        second = run_crawl(server.proxy_url, db)

    assert second.returncode == 0, second.log
    rows = table(db, "SELECT id, gone_at, body FROM articles WHERE gone_at IS NOT NULL")
    assert [row["id"] for row in rows] == [removed.id]
    assert rows[0]["body"]  # the text is kept
    assert len(table(db, "SELECT id FROM articles")) == len(small_site.stories) + 1


def test_a_story_the_listing_drops_while_its_page_stays_is_asked_for_and_not_gone(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The listing no longer shows a story, but its page still answers with it: the run asks
    # for it once to see (reason "unlisted"), and it stays as it is, without an alarm.
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    first = small_site.categories[0].id
    dropped = next(s for s in small_site.stories_in(first)[1:] if s.categories == [first])
    root = site_server.root
    unlist(small_site, root, [dropped])

    with SiteServer(root) as server:
        second = run_crawl(server.proxy_url, db)
        asked = [record.path for record in server.requests_for("/en/article/detail/")]

    assert second.returncode == 0, second.log
    assert "ALARM" not in second.log
    assert asked == [f"/en/article/detail/{dropped.id}"]
    assert second.stat("wirecrawl/article/parsed/unlisted") == 1
    assert table(db, "SELECT id FROM articles WHERE gone_at IS NOT NULL") == []
    assert table(db, "SELECT gone_at FROM teasers WHERE url LIKE ?", (f"%{dropped.id}",)) == [
        {"gone_at": None}
    ]


def test_many_stored_stories_the_listings_no_longer_show_raise_the_alarm(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # Ten stored stories missing from the listings a run reads, their pages still answering:
    # not one shifted listing, but listings that no longer show what they did (a filter,
    # another order, a markup the reader takes only part of). Nothing is marked gone, and a
    # person hears of it (exit 3). One such story raises none (the test above).
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    singles = [s for s in small_site.stories if len(s.categories) == 1]
    dropped = sorted(singles, key=lambda s: s.published, reverse=True)[:10]  # in the stretch
    root = site_server.root
    unlist(small_site, root, dropped)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE listing_state SET complete = 0")  # read them all

    with SiteServer(root) as server:
        second = run_crawl(server.proxy_url, db)

    assert second.returncode == 3, second.log[-3000:]
    assert second.stat("wirecrawl/article/parsed/unlisted") == len(dropped)
    assert "ALARM" in second.log
    assert "10 stored stories that the listings read no longer show still answer" in second.log
    assert table(db, "SELECT id FROM articles WHERE gone_at IS NOT NULL") == []


def test_a_story_page_answering_404_on_recheck_gets_gone_at(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    story = small_site.stories[5]
    site_server.add_fault(f"/en/article/detail/{story.id}", "404")

    second = run_crawl(site_server.proxy_url, db, "-a", "recheck_days=1")

    assert second.returncode == 0, second.log
    rows = table(db, "SELECT id FROM articles WHERE gone_at IS NOT NULL")
    assert rows == [{"id": story.id}]


def test_blocked_and_failed_stories_are_fetched_again_next_run(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    blocked, failing = small_site.stories[3], small_site.stories[7]
    site_server.add_fault(f"/en/article/detail/{blocked.id}", "blocked")
    site_server.add_fault(f"/en/article/detail/{failing.id}", *["500"] * 5)
    first = run_crawl(site_server.proxy_url, db)
    assert first.returncode == 3  # the blocked page raised the alarm
    assert {r["id"] for r in table(db, "SELECT id FROM articles")} == {
        s.id for s in small_site.stories
    } - {blocked.id, failing.id}
    site_server.clear_requests()

    second = run_crawl(site_server.proxy_url, db)

    assert second.returncode == 0, second.log
    details = sorted(r for r in site_requests(site_server) if "/detail/" in r)
    assert details == sorted(f"GET /en/article/detail/{s.id}" for s in (blocked, failing))
    assert len(table(db, "SELECT id FROM articles")) == len(small_site.stories)


def test_reparse_rebuilds_articles_from_stored_pages_offline(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()  # no network from here on
    before = table(db, "SELECT * FROM articles ORDER BY id")
    done = reparse_from_scratch(db)

    assert done.returncode == 0, done.stderr
    assert f": 0 unchanged, 0 changed, {len(before)} new; 0 URLs read as no story" in done.stdout
    assert f"reparsed {len(before)}/{len(before)} pages" in done.stderr
    after = table(db, "SELECT * FROM articles ORDER BY id")
    assert after == before
    hits = table(db, "SELECT count(*) AS n FROM articles_fts WHERE articles_fts MATCH 'Pyongyang'")
    assert hits[0]["n"] == sum(
        1 for row in before if "Pyongyang" in str(row["body"]) + str(row["title"])
    )


def test_pages_keep_the_fetched_html_compressed(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    import zlib

    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    pages = table(db, "SELECT url, status, body FROM pages")
    assert len(pages) == len(small_site.stories)
    story = small_site.stories[0]
    page = next(p for p in pages if str(p["url"]).endswith(story.id))
    html = zlib.decompress(page["body"]).decode()  # type: ignore[arg-type]
    served = tmp_path / "site" / "www.kcna.kp" / "en" / "article" / "detail" / f"{story.id}.html"
    assert html == served.read_text(encoding="utf-8")
    assert page["status"] == 200


def test_a_second_run_exits_at_once_while_one_holds_the_archive(
    tmp_path: Path, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    with ArchiveLock(db):
        result = run_crawl(site_server.proxy_url, db)
    assert result.returncode == 75
    assert "another wirecrawl run" in result.log
    assert site_server.requests == []
    assert not db.exists()


def test_a_run_where_every_request_fails_raises_an_alarm(tmp_path: Path) -> None:
    # A proxy that refuses every connection (a port nobody listens on): nothing answers.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_crawl(dead_proxy, tmp_path / "archive.db", "-s", "RETRY_TIMES=0")
    assert result.returncode == 3
    assert "ALARM: none of" in result.log
    runs = CrawlResult(0, "", tmp_path / "archive.db").rows("SELECT alarms FROM runs")
    assert "usable answer" in json.loads(runs[0]["alarms"])[0]


def test_a_run_that_stores_nothing_of_what_it_was_shown_raises_an_alarm(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    for story in small_site.stories:
        site_server.add_fault(f"/en/article/detail/{story.id}", *["empty"] * 10)
    result = run_crawl(site_server.proxy_url, tmp_path / "archive.db")
    assert result.returncode == 3
    assert (
        f"the listings showed {len(small_site.stories)} unstored story(ies) but none was stored"
        in result.log
    )


def test_rechecked_stories_hide_neither_alarm(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # README's cron line re-fetches recent stories (recheck_days=2). Their answers are no
    # excuse: a new story that cannot be stored, or listings that cannot be read, still make
    # the run exit 3.
    db, story = crawled_then_one_new(tmp_path, small_site, site_server)
    with republish(small_site, tmp_path / "site") as server:
        server.add_fault(f"/en/article/detail/{story.id}", *["no-paragraphs"] * 10)
        unstored = run_crawl(server.proxy_url, db, "-a", "recheck_days=2")
    with SiteServer(tmp_path / "site") as server:
        for category in small_site.categories:
            server.add_fault(f"/en/article/list/{category.id}", "404")
        unread = run_crawl(server.proxy_url, db, "-s", "RETRY_TIMES=0", "-a", "recheck_days=2")

    assert unstored.stat("wirecrawl/store/unchanged") == len(small_site.stories) - 1
    assert unstored.returncode == 3, unstored.log
    assert "ALARM: the listings showed 1 unstored story(ies) but none was stored" in unstored.log
    assert unread.stat("wirecrawl/article/parsed") >= len(small_site.stories) - 1
    assert unread.returncode == 3, unread.log
    assert "ALARM: none of the category listings could be read (" in unread.log


def test_reparse_takes_the_newest_page_that_reads_as_a_story(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    story = small_site.stories[2]
    # A recheck meets a page without its headline: kept in `pages`, the story left as it was.
    site_server.add_fault(f"/en/article/detail/{story.id}", *["no-title"] * 5)
    assert run_crawl(site_server.proxy_url, db, "-a", "recheck_days=1").returncode == 0
    versions = table(db, "SELECT count(*) AS n FROM pages WHERE url LIKE ?", (f"%{story.id}",))
    assert versions == [{"n": 2}]
    before = table(db, "SELECT title, body FROM articles WHERE id = ?", (story.id,))
    done = reparse_from_scratch(db)

    assert done.returncode == 0, done.stderr
    assert f"{len(small_site.stories)} new; 0 URLs read as no story" in done.stdout
    assert table(db, "SELECT title, body FROM articles WHERE id = ?", (story.id,)) == before


def test_a_story_older_than_the_listings_reach_is_not_marked_gone(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The listings reach back about a year: an archived story older than that is not listed,
    # and must not be taken for removed when a run reads a listing to its end.
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    category = small_site.categories[0]
    old = {"id": "0" * 32, "url": "http://www.kcna.kp/en/article/detail/" + "0" * 32}
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO articles (id, source, language, url, title, published, body, "
            "first_seen, last_seen) VALUES (:id, 'kcna.kp', 'en', :url, 'An old story', "
            "'2020-01-01', 'Its text.', '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00')",
            old,
        )
        conn.execute("INSERT INTO article_urls VALUES (:url, :id, '2020-01-01', '2020-01-01')", old)
        conn.execute(
            "INSERT INTO article_categories VALUES (?, ?, ?, '2020-01-01')",
            (old["id"], category.id, category.name),
        )
        # Make the next run read the category to its end.
        conn.execute("UPDATE listing_state SET complete = 0")

    second = run_crawl(site_server.proxy_url, db)

    assert second.returncode == 0, second.log
    assert table(db, "SELECT gone_at FROM articles WHERE id = ?", (old["id"],)) == [
        {"gone_at": None}
    ]
    assert table(db, "SELECT count(*) AS n FROM articles WHERE gone_at IS NOT NULL") == [{"n": 0}]


def test_a_story_aged_out_on_the_last_day_read_is_not_marked_gone(tmp_path: Path) -> None:
    # The listings drop their oldest entries as new ones come. A category read to its end
    # whose last day read had two stories, one of which has since dropped off the end: that
    # one's page is still on the site, and it is not taken for removed.
    site = build_site(stories=40, categories=3, seed=11)
    category = site.categories[0]
    listed = site.stories_in(category.id)
    oldest, next_oldest = listed[-1], listed[-2]
    index = site.stories.index(oldest)
    site.stories[index] = oldest = dataclasses.replace(oldest, published=next_oldest.published)
    assert site.stories_in(category.id)[-1].id == oldest.id
    root = tmp_path / "site"
    write_snapshot(site, root, per_page=50)  # each category on one page: always read to its end
    db = tmp_path / "archive.db"
    with SiteServer(root) as server:
        assert run_crawl(server.proxy_url, db).returncode == 0
    page = article_path(root, oldest.id).read_bytes()
    aged = Site(categories=site.categories, stories=[s for s in site.stories if s is not oldest])
    write_snapshot(aged, root, per_page=50)
    article_path(root, oldest.id).write_bytes(page)

    with SiteServer(root) as server:
        second = run_crawl(server.proxy_url, db)

    assert second.returncode == 0, second.log
    assert "read 1 listing page(s), to the end" in second.log
    assert table(db, "SELECT count(*) AS n FROM articles WHERE gone_at IS NOT NULL") == [{"n": 0}]


def test_a_story_marked_gone_and_listed_again_is_fetched_and_no_longer_gone(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # One 404 (a flaky answer, or a story pulled for an hour and put back) marks a story
    # gone. The listing still shows it: the next run fetches it again, and a page that
    # answers with the story clears the mark. Stories not marked gone are not fetched.
    db, story, _gone_at = marked_gone_by_a_404(tmp_path, small_site, site_server, answers=1)

    third = run_crawl(site_server.proxy_url, db)

    assert third.returncode == 0, third.log
    fetched = [r.path for r in site_server.requests if r.path.startswith("/en/article/detail/")]
    assert fetched == [f"/en/article/detail/{story.id}"]
    assert table(db, "SELECT gone_at FROM articles WHERE id = ?", (story.id,)) == [
        {"gone_at": None}
    ]
    assert table(db, "SELECT count(*) AS n FROM article_revisions") == [{"n": 0}]


def test_a_recheck_answered_with_undecodable_bytes_keeps_the_stored_story(tmp_path: Path) -> None:
    # A page labelled UTF-8 with one Windows-1252 quote in it (as a transcoding proxy leaves
    # it): read with U+FFFD in place of the quote. The good stored headline must stay, and the
    # damage is not an edit of the agency's.
    title = "Korea\u2019s Farmers Send Letter to Workers"
    site = build_site(stories=40, categories=3, seed=11)
    site.stories[5] = target = dataclasses.replace(site.stories[5], title_html=title)
    root = tmp_path / "site"
    db = tmp_path / "archive.db"
    with republish(site, root) as server:
        assert run_crawl(server.proxy_url, db).returncode == 0
    before = table(db, "SELECT * FROM articles WHERE id = ?", (target.id,))
    assert before[0]["title"] == title
    page = article_path(root, target.id)
    page.write_bytes(page.read_bytes().replace("\u2019".encode(), "\u2019".encode("cp1252")))

    with SiteServer(root) as server:
        second = run_crawl(server.proxy_url, db, "-a", "recheck_days=1")

    assert second.returncode == 0, second.log
    assert table(db, "SELECT * FROM articles WHERE id = ?", (target.id,)) == before
    assert table(db, "SELECT count(*) AS n FROM article_revisions") == [{"n": 0}]
    assert second.stat("wirecrawl/article/undecodable") == 1
    assert second.stat("wirecrawl/store/garbled_kept") == 1
    assert f"(shown as U+FFFD) in http://www.kcna.kp/en/article/detail/{target.id}" in second.log


def test_a_story_marked_gone_whose_page_still_answers_404_stays_gone_without_an_alarm(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The site lists a story whose page answers 404: each run asks for it once more, keeps it
    # marked gone, and does not take that for a run that failed to store what it was shown.
    db, story, gone_at = marked_gone_by_a_404(tmp_path, small_site, site_server, answers=3)
    path = f"/en/article/detail/{story.id}"

    third = run_crawl(site_server.proxy_url, db)

    assert third.returncode == 0, third.log
    assert "ALARM" not in third.log
    assert [r.path for r in site_server.requests if r.path.startswith("/en/article/detail/")] == [
        path
    ]
    assert third.stat("wirecrawl/article/requested/gone_listed") == 1
    assert table(db, "SELECT gone_at FROM articles WHERE id = ?", (story.id,)) == [
        {"gone_at": gone_at}
    ]


def test_a_story_removed_before_it_was_stored_is_not_asked_for_again_nor_alarmed(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # Listed, but its page already answers 404, then gone from the listings too: later runs
    # neither fetch it again nor take it for a failure to store what the listings showed.
    db = tmp_path / "archive.db"
    removed = small_site.stories[-1]
    article_path(tmp_path / "site", removed.id).unlink()
    first = run_crawl(site_server.proxy_url, db)
    assert first.returncode == 0, first.log
    assert first.stat("wirecrawl/article/not_found/new") == 1
    site_server.stop()
    small_site.stories.remove(removed)

    with republish(small_site, tmp_path / "site") as server:
        later = [run_crawl(server.proxy_url, db) for _ in range(2)]
        asked = site_requests(server)

    assert [run.returncode for run in later] == [0, 0], later[-1].log
    assert not any("ALARM" in run.log for run in later)
    assert f"GET /en/article/detail/{removed.id}" not in asked
    assert table(db, "SELECT gone_at IS NOT NULL AS gone FROM teasers WHERE url LIKE ?",
                 (f"%{removed.id}",)) == [{"gone": 1}]  # fmt: skip


def test_a_story_first_fetched_by_url_takes_its_listing_date_once_listed(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # A page fetched by hand (-a urls=) prints no date: stored undated. The next scheduled run
    # sees it listed with its date, fetches it once more and stores the date, and the dateline's
    # year with it; the run after asks for it no more.
    story = next(s for s in small_site.stories if s.paragraphs_html[0].startswith("Pyongyang, "))
    url = f"http://www.kcna.kp/en/article/detail/{story.id}"
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db, "-a", f"urls={url}").returncode == 0
    assert table(db, "SELECT published, dateline_date FROM articles") == [
        {"published": None, "dateline_date": None}
    ]

    dated = run_crawl(site_server.proxy_url, db)
    site_server.clear_requests()
    again = run_crawl(site_server.proxy_url, db)

    assert dated.returncode == again.returncode == 0, dated.log
    assert dated.stat("wirecrawl/article/requested/undated") == 1
    row = table(db, "SELECT published, dateline_date FROM articles WHERE id = ?", (story.id,))
    assert row[0]["published"] == story.published.isoformat()
    assert row[0]["dateline_date"] is not None
    assert again.stat("wirecrawl/article/requested/undated") == 0
    assert f"GET /en/article/detail/{story.id}" not in site_requests(site_server)
    assert table(db, "SELECT count(*) AS n FROM article_revisions") == [{"n": 0}]


def test_a_robots_txt_that_shuts_the_crawl_out_raises_an_alarm(
    tmp_path: Path, small_site: Site
) -> None:
    # robots.txt is obeyed: a site whose robots.txt forbids wirecrawl everything is asked for
    # nothing else, and a scheduled run must say so (exit 3), not end as if all were well.
    (site_dir(tmp_path / "site") / "robots.txt").write_text("User-agent: wirecrawl\nDisallow: /\n")
    with SiteServer(tmp_path / "site") as server:
        result = run_crawl(server.proxy_url, tmp_path / "archive.db")
        asked = [r.path for r in server.requests]

    assert asked == ["/robots.txt"]
    assert result.returncode == 3, result.log
    assert "ALARM: robots.txt forbade" in result.log


def test_a_run_through_a_symbolic_link_to_the_archive_waits_its_turn(
    tmp_path: Path, small_site: Site
) -> None:
    # The same archive reached through a link (data/wirecrawl.db -> /srv/big/kcna.db) while a
    # run given its real path writes it: the second run exits 75 at once, asking nothing.
    real = tmp_path / "big" / "kcna.db"
    real.parent.mkdir()
    link = tmp_path / "wirecrawl.db"
    link.symlink_to(real)
    with SiteServer(tmp_path / "site") as server, ArchiveLock(real):
        result = run_crawl(server.proxy_url, link)
        asked = len(server.requests)

    assert (result.returncode, asked) == (75, 0), result.log


def test_a_run_whose_every_write_fails_raises_an_alarm(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The archive refuses every new story (a failing disk, a damaged file): the crawl reads
    # the listings and every story, and stores none; cron must hear of it.
    db = tmp_path / "archive.db"
    open_archive(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER failing BEFORE INSERT ON articles "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )

    result = run_crawl(site_server.proxy_url, db)

    assert table(db, "SELECT count(*) AS n FROM articles") == [{"n": 0}]
    assert result.returncode == 3, result.log
    assert "ALARM: writing to the archive failed (" in result.log


@pytest.mark.parametrize("name", ["kcna #2", "kcna?2", "kcna%41"])
def test_an_archive_whose_path_holds_uri_characters_is_read_as_it_is(
    tmp_path: Path, small_site: Site, site_server: SiteServer, name: str
) -> None:
    # A `#`, `?` or `%` in the archive's path is no part of SQLite's URI syntax: the crawl
    # reads what is stored from that file (not from a stray file beside it), and reparse too.
    db = tmp_path / name / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.clear_requests()

    second = run_crawl(site_server.proxy_url, db)

    assert second.returncode == 0, second.log[-3000:]
    assert len(site_requests(site_server)) == CATEGORIES
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["site", name])
    rebuilt = subprocess.run(
        [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    n = len(small_site.stories)
    assert f"reparse done: {n} stories from the pages of {n} URLs: {n} unchanged" in rebuilt.stdout


def test_a_run_stopped_before_it_fetched_a_new_story_exits_4_without_an_alarm(
    tmp_path: Path,
) -> None:
    # systemctl stop while an hourly run reads the listing page that shows the day's one new
    # story (a live page takes up to 80 s): the story was never asked for, which is no sign
    # of a broken site. Exit 4 and no alarm, as for any run stopped before its end.
    site = build_site(stories=20, categories=10, seed=11)
    root, db = tmp_path / "site", tmp_path / "archive.db"
    write_snapshot(site, root, per_page=6)
    with SiteServer(root) as server:
        assert run_crawl(server.proxy_url, db).returncode == 0
    newest = max(s.published for s in site.stories) + dt.timedelta(days=1)
    story = dataclasses.replace(
        site.stories[-1], id="f" * 32, published=newest, title_html="A Story Published Today"
    )
    site.stories.append(story)
    write_snapshot(site, root, per_page=6)
    listing = f"/en/article/list/{story.categories[0]}"
    with SiteServer(root, delay=1.0) as server:
        code, log = crawl_stopped_when(server, db, lambda: bool(server.requests_for(listing)))

    assert code == 4, log[-3000:]
    assert "ALARM" not in log
    assert table(db, "SELECT finish_reason, alarms FROM runs ORDER BY id DESC LIMIT 1") == [
        {"finish_reason": "shutdown", "alarms": "[]"}
    ]


def test_a_story_marked_gone_by_one_flaky_404_below_page_one_is_restored(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The cron line's recheck gets one 404 for a story listed on page 2: marked gone. Later
    # runs stop paging at page 1 (every story there stored), so no listing page they read
    # shows it again; the recheck asks for it again, and it loses its gone mark.
    page_one = {s.id for c in small_site.categories for s in small_site.stories_in(c.id)[:6]}
    story = next(
        s for s in small_site.stories_in(small_site.categories[0].id)[6:] if s.id not in page_one
    )
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.add_fault(f"/en/article/detail/{story.id}", "404")
    assert run_crawl(site_server.proxy_url, db, "-a", "recheck_days=2").returncode == 0
    gone = (
        "SELECT a.gone_at IS NOT NULL AS gone, t.gone_at IS NOT NULL AS entry_gone "
        "FROM articles a JOIN teasers t ON t.url = a.url WHERE a.id = ?"
    )
    assert table(db, gone, (story.id,)) == [{"gone": 1, "entry_gone": 1}]

    later = run_crawl(site_server.proxy_url, db, "-a", "recheck_days=2")

    assert later.returncode == 0, later.log[-3000:]
    # Its listing entry too: its mark says that its page answered 404, and it answers again.
    assert table(db, gone, (story.id,)) == [{"gone": 0, "entry_gone": 0}]


def test_a_story_moved_to_a_new_address_is_not_marked_gone_under_its_old_one(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # The agency gives a story a new address (its old page answers 404): the listing shows it
    # under the new one, the run stores it there, and the identity rule (same title, date and
    # text) makes it the stored story. It is on the site: nothing is gone, even though its
    # old address, which the listing no longer shows, answers 404 when asked for.
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    site_server.stop()
    moved = small_site.stories_in(small_site.categories[0].id)[0]
    small_site.stories[small_site.stories.index(moved)] = dataclasses.replace(
        moved, id="e" * 31 + "2"
    )

    with republish(small_site, tmp_path / "site") as server:
        second = run_crawl(server.proxy_url, db)

    assert second.returncode == 0, second.log[-3000:]
    assert table(db, "SELECT id, gone_at FROM articles WHERE id = ?", (moved.id,)) == [
        {"id": moved.id, "gone_at": None}
    ]
    assert table(db, "SELECT id FROM articles WHERE gone_at IS NOT NULL") == []
