"""Browsing: a real crawl's archive, served by a real datasette (`make serve`), read through its
JSON API and in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from playwright.sync_api import BrowserContext, Page, sync_playwright

from bench.search import FACETS as SEARCH_FACETS
from tests.conftest import ROOT, run_crawl
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import write_snapshot

METADATA = ROOT / "wirecrawl" / "datasette" / "metadata.yaml"
CHROMIUM = Path("/usr/bin/chromium")
# No network here: without these flags Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server",
]  # fmt: skip
SCREENSHOT = ROOT / "build" / "datasette-search.png"
# Every query that metadata.yaml offers, whatever the archive holds.
BASE_QUERIES = {"stories_per_day", "stories_per_month", "term_per_month", "dateline_places"}
# Markup stored in a story must come back as text, on every page.
MARKUP_TITLE = "<b>Bold</b> claim & <i>counter-claim</i>"
MARKUP_BODY = "<script>window.storedScriptRan = true</script>\n\nA <b>bold</b> paragraph."

# The edits made to a copy of the archive (edited_archive).
EDITED_UNTIL = "2026-11-03T08:00:00+00:00"
REMOVED_AT = "2026-11-04T09:00:00+00:00"

# Direct connections to loopback only, whatever proxy the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Served:
    """A datasette that `make serve` started on an archive."""

    url: str
    db_path: Path

    def get(self, path: str, **params: str) -> tuple[int, str]:
        """Status and text of a GET of ``path`` with query ``params``."""
        query = urllib.parse.urlencode(params)
        joiner = "&" if "?" in path else "?"
        try:
            with _OPENER.open(f"{self.url}{path}{joiner + query if query else ''}") as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def json(self, path: str, **params: str) -> Any:
        status, text = self.get(path, **params)
        assert status == 200, text
        return json.loads(text)

    def rows(self, path: str, **params: str) -> list[dict[str, Any]]:
        """The rows of a table or query as dicts (``_shape=array``)."""
        rows: list[dict[str, Any]] = self.json(path, _shape="array", **params)
        return rows

    def sql(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a query run directly on the archive file, read-only."""
        with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(stories=40, categories=3, seed=11)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Path:
    """A real crawl of the imitation site, into a file not named wirecrawl.db."""
    root = tmp_path_factory.mktemp("browse")
    write_snapshot(site, root / "site", per_page=6)
    with SiteServer(root / "site") as server:
        result = run_crawl(server.proxy_url, root / "archive.db")
    assert result.returncode == 0, result.log
    return result.db_path


@pytest.fixture(scope="module")
def edited_archive(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the archive with a story full of markup, an edited story and a removed one.

    ``article_revisions`` and ``articles.gone_at`` are created the way the storage
    migration creates them when this archive predates it.
    """
    path = tmp_path_factory.mktemp("edited") / "edited.db"
    with closing(sqlite3.connect(archive)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
    db = sqlite_utils.Database(path)
    articles = db.table("articles")
    if "gone_at" not in articles.columns_dict:
        articles.add_column("gone_at", str)
    if not db.table("article_revisions").exists():
        db.table("article_revisions").create(
            {"article_id": str, "title": str, "body": str, "seen_until": str}
        )
    edited, removed = [row["id"] for row in db.query("SELECT id FROM articles ORDER BY id")][:2]
    revisions = db.table("article_revisions")
    for title, until in (("First", "2026-11-02T08:00:00+00:00"), ("Second", EDITED_UNTIL)):
        revisions.insert({"article_id": edited, "title": title, "body": "-", "seen_until": until})
    articles.update(removed, {"gone_at": REMOVED_AT})
    articles.insert(
        {
            "id": "f" * 32,
            "source": "kcna.kp",
            "language": "en",
            "url": "http://www.kcna.kp/en/article/detail/" + "f" * 32,
            "title": MARKUP_TITLE,
            "published": "2026-11-30",
            "body": MARKUP_BODY,
            "categories": '["Latest News"]',
            "first_seen": "2026-11-30T08:00:00+00:00",
            "last_seen": "2026-11-30T08:00:00+00:00",
        }
    )
    db.close()
    return path


def _serve(db_path: Path) -> Iterator[Served]:
    """Run `make serve` on ``db_path`` until the test module is done."""
    port = _free_port()
    command = ["make", "--no-print-directory", "-s", "serve", f"DB={db_path}", f"PORT={port}"]
    log_path = db_path.with_suffix(".serve.log")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(f"http://127.0.0.1:{port}", db_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if served.get("/-/versions.json")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "datasette did not answer within 60 s"
            time.sleep(0.2)
        yield served
    finally:
        # make and the datasette it started share the new session's process group.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(archive: Path) -> Iterator[Served]:
    yield from _serve(archive)


@pytest.fixture(scope="module")
def served_edited(edited_archive: Path) -> Iterator[Served]:
    yield from _serve(edited_archive)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's headless Chromium with a fresh profile (scripts/ensure-chromium.sh installs it)."""
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/ensure-chromium.sh"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def _search_hits(served: Served, words: str) -> list[dict[str, Any]]:
    """Stories whose title or body matches ``words`` in SQLite's own full-text index."""
    return served.sql(
        "SELECT id, title, published FROM articles WHERE rowid IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?) ORDER BY published DESC",
        (words,),
    )


def _search_word(served: Served, text: str, hits: int) -> str:
    """The word of ``text`` whose number of stories comes nearest to ``hits``."""
    words = {word.strip(".,'\"()").lower() for word in text.split()}
    candidates = [word for word in words if len(word) >= 5 and word.isalpha()]
    return min(candidates, key=lambda word: (abs(len(_search_hits(served, word)) - hits), word))


# --- serving ----------------------------------------------------------------------------------


def test_serves_the_archive_read_only_as_wirecrawl(served: Served) -> None:
    databases = served.json("/-/databases.json")
    assert [(db["name"], db["path"]) for db in databases] == [("wirecrawl", str(served.db_path))]
    # Mutable: opened ?mode=ro, not immutable, since a crawl may be writing.
    assert databases[0]["is_mutable"] is True
    settings = served.json("/-/settings.json")
    assert settings["sql_time_limit_ms"] == 1000
    with _OPENER.open(f"{served.url}/wirecrawl/articles.json") as response:
        assert response.headers.get("Access-Control-Allow-Origin") is None
    plugins = {plugin["name"] for plugin in served.json("/-/plugins.json")}
    assert "datasette-dashboards" in plugins
    assert "wirecrawl_archive.py" in plugins


def test_writes_are_refused(served: Served) -> None:
    before = served.sql("SELECT count(*) AS n FROM articles")[0]["n"]
    status, text = served.get("/wirecrawl.json", sql="DELETE FROM articles")
    assert (status, json.loads(text)["error"]) == (400, "Statement must be a SELECT")
    # A statement that passes datasette's SELECT check still meets a read-only connection.
    for sneaky in (
        "WITH x AS (SELECT 1) DELETE FROM articles",
        "WITH x AS (SELECT 1) UPDATE articles SET title = 'changed'",
    ):
        status, text = served.get("/wirecrawl.json", sql=sneaky)
        assert json.loads(text)["error"] == "attempt to write a readonly database", text
    status, text = served.get("/wirecrawl.json", sql="SELECT 1; DELETE FROM articles")
    assert json.loads(text)["error"] == "You can only execute one statement at a time."
    assert served.sql("SELECT count(*) AS n FROM articles")[0]["n"] == before
    assert served.sql("SELECT count(*) AS n FROM articles WHERE title = 'changed'")[0]["n"] == 0


def test_every_table_and_column_is_described_and_internal_tables_hidden(served: Served) -> None:
    metadata = yaml.safe_load(METADATA.read_text())
    described = metadata["databases"]["wirecrawl"]["tables"]
    shown = {t["name"]: t for t in served.json("/wirecrawl.json")["tables"]}
    internal = {"_sqlite_migrations", "pages", "listing_state"}
    for name, table in shown.items():
        if name.startswith("articles_fts") or name in internal:
            assert table["hidden"], name
            continue
        assert not table["hidden"], name
        assert described[name].get("description") or described[name].get("description_html")
        # Every column described, and no description of a column the archive lacks.
        assert set(described[name]["columns"]) == set(table["columns"]), name
    assert metadata["title"]
    assert metadata["description"]


# --- search, facets, queries ------------------------------------------------------------------


def test_search_finds_stories_by_title_and_by_text_newest_first(served: Served, site: Site) -> None:
    story = max(site.stories, key=lambda s: s.published)
    stored = served.sql("SELECT title, body FROM articles WHERE id = ?", (story.id,))[0]
    title_words = {word.lower() for word in stored["title"].split()}
    body_only = " ".join(w for w in stored["body"].split() if w.lower() not in title_words)
    for text in (stored["title"], body_only):
        word = _search_word(served, text, hits=1)
        found = served.rows("/wirecrawl/articles.json", _search=word, _size="max")
        expected = _search_hits(served, word)
        assert story.id in {row["id"] for row in found}, word
        assert {row["id"] for row in found} == {row["id"] for row in expected}, word
        dates = [row["published"] for row in found]
        assert dates == sorted(dates, reverse=True), "not newest first"


# The stories page's "With facets" link (the benchmark times searches with it too): a search
# without them is several times faster.
FACETS = urllib.parse.urlencode(SEARCH_FACETS)


def test_facets_are_one_link_away_and_kept_by_the_search_form(served: Served) -> None:
    plain = served.json("/wirecrawl/articles.json", _search="Pyongyang", _size="0")
    assert plain["facet_results"] == {}
    status, page = served.get("/wirecrawl/articles")
    assert status == 200
    link = FACETS.replace("&", "&amp;")
    assert f'<a href="/wirecrawl/articles?{link}">With facets</a>' in page
    status, page = served.get(f"/wirecrawl/articles?{FACETS}")
    assert status == 200
    # The search form carries them, so a search made from there keeps the facets.
    for name, value in urllib.parse.parse_qsl(FACETS):
        assert f'<input type="hidden" name="{name}" value="{value}">' in page


def test_facets_count_like_sql(served: Served) -> None:
    def facet(params: dict[str, str]) -> dict[str, dict[Any, int]]:
        data = served.json(
            f"/wirecrawl/articles.json?{FACETS}", _size="0", _facet_size="max", **params
        )
        results = data["facet_results"]
        assert not any(result["truncated"] for result in results.values())
        return {
            name: {item["value"]: item["count"] for item in result["results"]}
            for name, result in results.items()
        }

    word = "Pyongyang"
    hits = {row["id"] for row in _search_hits(served, word)}
    for params, wanted in (({}, None), ({"_search": word}, hits)):
        rows = [
            row
            for row in served.sql("SELECT id, categories, dateline_place, published FROM articles")
            if wanted is None or row["id"] in wanted
        ]
        categories = Counter(name for row in rows for name in json.loads(row["categories"]))
        places = Counter(row["dateline_place"] for row in rows if row["dateline_place"])
        months = Counter(row["published"][:7] for row in rows if row["published"])
        assert facet(params) == {
            "categories": dict(categories),
            "dateline_place": dict(places),
            "published_month": dict(months),
        }


def test_stories_per_day_counts_every_day_of_the_range(served: Served, site: Site) -> None:
    per_day = Counter(story.published for story in site.stories)
    first = min(per_day) + dt.timedelta(days=3)
    last = first + dt.timedelta(days=40)
    rows = served.rows(
        "/wirecrawl/stories_per_day.json", **{"from": first.isoformat(), "to": last.isoformat()}
    )
    days = [first + dt.timedelta(days=n) for n in range(41)]
    assert rows == [{"day": day.isoformat(), "stories": per_day[day]} for day in days]
    # Empty dates: from the first story to the last.
    everything = served.rows("/wirecrawl/stories_per_day.json", **{"from": "", "to": ""})
    assert everything[0] == {"day": min(per_day).isoformat(), "stories": per_day[min(per_day)]}
    assert everything[-1]["day"] == max(per_day).isoformat()
    assert sum(row["stories"] for row in everything) == len(site.stories)


def test_stories_per_month_and_a_term_per_month(served: Served, site: Site) -> None:
    months = Counter(story.published.isoformat()[:7] for story in site.stories)
    per_month = served.rows("/wirecrawl/stories_per_month.json")
    assert per_month == [{"month": m, "stories": n} for m, n in sorted(months.items())]

    term = "Kim Jong Un"
    mentioning = Counter(
        row["published"][:7]
        for row in served.sql("SELECT title, body, published FROM articles")
        if term in row["title"] or term in row["body"]
    )
    assert mentioning, "the generated site names the leader somewhere"
    rows = served.rows("/wirecrawl/term_per_month.json", term=term)
    assert rows == [
        {
            "month": month,
            "stories_with_term": mentioning[month],
            "stories": count,
            "percent": round(100 * mentioning[month] / count, 1),
        }
        for month, count in sorted(months.items())
    ]
    # The term is a phrase, not FTS syntax: quotes and operators are no error.
    odd = served.rows("/wirecrawl/term_per_month.json", term='"Kim" OR -(')
    assert [row["month"] for row in odd] == sorted(months)


def test_most_frequent_dateline_places(served: Served) -> None:
    stored = served.sql("SELECT dateline_place, published FROM articles")
    counts = Counter(row["dateline_place"] or "(no dateline)" for row in stored)
    rows = served.rows("/wirecrawl/dateline_places.json")
    assert [(row["place"], row["stories"]) for row in rows] == sorted(
        counts.items(), key=lambda item: (-item[1], item[0])
    )
    assert rows[0]["place"] == "Pyongyang"


def test_changed_or_deleted_is_offered_only_with_the_tables_it_reads(
    served: Served, served_edited: Served
) -> None:
    def has_revision_tables(db_path: Path) -> bool:
        db = sqlite_utils.Database(db_path)
        try:
            return db.table("article_revisions").exists() and (
                "gone_at" in db.table("articles").columns_dict
            )
        finally:
            db.close()

    for server in (served, served_edited):
        queries = {query["name"] for query in server.json("/wirecrawl.json")["queries"]}
        expected = BASE_QUERIES | (
            {"changed_or_deleted"} if has_revision_tables(server.db_path) else set()
        )
        assert queries == expected

    ids = [row["id"] for row in served_edited.sql("SELECT id FROM articles ORDER BY id")]
    edited, removed = ids[:2]
    rows = served_edited.rows("/wirecrawl/changed_or_deleted.json")
    assert [(r["id"], r["earlier_versions"], r["last_edited"], r["deleted"]) for r in rows] == [
        (removed, 0, None, REMOVED_AT),
        (edited, 2, EDITED_UNTIL, None),
    ]


# --- stored markup ----------------------------------------------------------------------------


def test_stored_markup_is_shown_as_text_never_rendered(served_edited: Served) -> None:
    story = "f" * 32
    pages = {
        "table": served_edited.get("/wirecrawl/articles", id=story),
        "search": served_edited.get("/wirecrawl/articles", _search="claim"),
        "row": served_edited.get(f"/wirecrawl/articles/{story}"),
        # Not even in a column named like the Markdown plugin's default (*_markdown).
        "query": served_edited.get(
            "/wirecrawl",
            sql="SELECT title AS title_markdown, body AS body_markdown FROM articles "
            "WHERE id = :id",
            id=story,
        ),
    }
    for name, (status, html) in pages.items():
        assert status == 200, name
        assert "&lt;script&gt;window.storedScriptRan = true&lt;/script&gt;" in html, name
        assert "&lt;b&gt;Bold&lt;/b&gt; claim &amp;" in html, name
        assert "<script>window.storedScriptRan" not in html, name
        assert "<b>Bold</b>" not in html, name


# --- in a real browser ------------------------------------------------------------------------


def _loopback_only(page: Page, served: Served) -> list[str]:
    """Record every request the page makes that is not to the datasette under test."""
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(served.url) else elsewhere.append(request.url)
        ),
    )
    return elsewhere


def test_search_box_in_a_real_browser(served: Served, site: Site, browser: BrowserContext) -> None:
    story = max(site.stories, key=lambda s: s.published)
    word = _search_word(served, story.title, hits=3)
    expected = _search_hits(served, word)
    page = browser.new_page()
    elsewhere = _loopback_only(page, served)
    page.goto(f"{served.url}/wirecrawl/articles")
    assert page.locator("h1").inner_text().strip() == "Stories"
    page.get_by_role("link", name="Reading view").click()
    page.locator("input#_search").fill(word)
    page.locator("input#_search").press("Enter")
    page.wait_for_url("**_search=*")

    rows = page.locator("table.rows-and-columns tbody tr")
    titles = rows.locator("td.col-title").all_inner_texts()
    dates = rows.locator("td.col-published").all_inner_texts()
    assert sorted(titles) == sorted(row["title"] for row in expected)
    assert story.title in titles
    assert dates == sorted(dates, reverse=True)
    # The reading view: headline, date, place, categories and text, nothing technical.
    columns = page.locator("table.rows-and-columns thead th").evaluate_all(
        "cells => cells.map(cell => cell.dataset.column)"
    )
    assert columns == ["id", "title", "published", "dateline_place", "categories", "body"]
    # The text keeps its paragraphs.
    body = rows.first.locator("td.col-body")
    assert body.evaluate("cell => getComputedStyle(cell).whiteSpace") == "pre-wrap"
    assert "\n\n" in body.inner_text()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(
        path=SCREENSHOT, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1500}
    )
    assert elsewhere == []
    page.close()


def test_story_page_and_timeline_in_a_real_browser(
    served_edited: Served, browser: BrowserContext
) -> None:
    page = browser.new_page()
    elsewhere = _loopback_only(page, served_edited)
    # A story full of markup: the text is shown, nothing runs, no element is made of it.
    page.goto(f"{served_edited.url}/wirecrawl/articles/{'f' * 32}")
    assert page.locator("h2.story-title").inner_text() == MARKUP_TITLE
    assert page.locator("div.story-body").inner_text() == MARKUP_BODY
    assert page.locator("div.story-body *, h2.story-title *").count() == 0
    assert page.evaluate("window.storedScriptRan") is None
    # The timeline: the dashboard plugin draws its charts from its own files, offline, one
    # bar per day, month or category.
    published = [row["published"] for row in served_edited.sql("SELECT published FROM articles")]
    categories = served_edited.sql("SELECT DISTINCT category_name FROM article_categories")
    bars = {
        "stories-per-day": len(set(published)),
        "stories-per-month": len({day[:7] for day in published}),
        "stories-per-category": len(categories),
    }
    page.goto(f"{served_edited.url}/-/dashboards/timeline")
    for chart, count in bars.items():
        drawing = page.locator(f"#chart-{chart} svg.marks")
        drawing.wait_for(timeout=15_000)
        box = drawing.bounding_box()
        assert box is not None, chart
        assert box["width"] > 200, chart
        assert box["height"] > 100, chart
        assert drawing.locator("g.mark-rect path").count() == count, chart
    # Between two dates: only the days of that month.
    page.goto(
        f"{served_edited.url}/-/dashboards/timeline?date_start=2026-06-01&date_end=2026-06-30"
    )
    days = page.locator("#chart-stories-per-day svg.marks g.mark-rect path")
    days.first.wait_for(timeout=15_000)
    assert days.count() == len({day for day in published if day.startswith("2026-06")})
    assert elsewhere == []
    page.close()
