"""Faults of the network and the site, each tried in a real crawl against the local imitation.

Every fault test starts from the same clean archive (one crawl of the whole site) and runs a
recheck crawl (``-a recheck_days=1``: every stored story is fetched again) in which the server
answers one story with the fault on every try. Then: nothing wrong is stored, the story's row
is unchanged, the other stories are stored again, the fault is counted in the stats and in the
``runs`` row, and one log line says what happened. A second crawl shows the crawl recovering
from each passing fault. docs/reliability.md lists what protects against what.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError

from tests.conftest import run_crawl
from tests.test_crash import expected_body
from wirecrawl.middlewares import (
    describe_failure,
    html_is_complete,
    is_utf8_text,
    on_allowed_domain,
    retry_after_seconds,
)
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SERVED_HOSTS, SiteServer
from wirecrawl.testsite.snapshot import write_snapshot

# Two tries per request (RETRY_TIMES=1) and a 2 s time-out keep each crawl to a few seconds.
FAST = ("-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1")
# Enough copies of a fault to outlast every try and redirect of one request.
EVERY_TRY = 12
# Small listing pages, so that most categories have a page 2 (a POST in the page's session).
PER_PAGE = 3
# The story the faults hit: its title and body carry a curly quote and Korean text.
TARGET = 5
TITLE_WITH_QUOTE = "Korea\u2019s Farmers Send Letter to 조선 Workers"
KOREAN_PARAGRAPH = "The letter was headed 조선중앙통신 and signed by farmers\u2019 delegates."


@dataclasses.dataclass(frozen=True)
class Fault:
    """A server behaviour, what must count it, and the log line that must report it."""

    behaviour: str
    stat: str
    line: str
    """Regex; ``{url}`` stands for the story's URL."""
    args: tuple[str, ...] = ()
    read_anyway: bool = False
    """True when the story is still read correctly (a wrong or missing charset)."""
    new_page: bool = False
    """True when the page as served is kept in ``pages`` beside the good one: bytes that are
    not an article (for a later reparse), or other bytes that read correctly."""


FAULTS = [
    Fault(
        "hang-headers",
        "wirecrawl/download/failed/timeout",
        r"Download failed: {url}: no complete answer in time",
    ),
    Fault(
        "hang-body",
        "wirecrawl/download/failed/timeout",
        r"Download failed: {url}: no complete answer in time",
    ),
    Fault(
        "reset",
        "wirecrawl/download/failed/data_loss",
        r"Download failed: {url}: the body ended before its Content-Length",
    ),
    Fault(
        "short",
        "wirecrawl/download/failed/data_loss",
        r"Download failed: {url}: the body ended before its Content-Length",
    ),
    Fault(
        "truncated",
        "wirecrawl/download/truncated",
        r"Truncated page \(\d+ bytes, no </html>\): {url}; fetching it again",
    ),
    Fault(
        "truncated-text",
        "wirecrawl/download/truncated",
        r"Truncated page \(\d+ bytes, no </html>\): {url}; fetching it again",
    ),
    Fault(
        "truncated-gzip",
        "wirecrawl/download/truncated",
        r"Truncated page \(\d+ bytes, no </html>\): {url}; fetching it again",
    ),
    Fault(
        "empty",
        "wirecrawl/download/truncated",
        r"Truncated page \(0 bytes, no </html>\): {url}; fetching it again",
    ),
    Fault(
        "429",
        "wirecrawl/download/retry_after",
        r"{url} answered 429 with Retry-After: 2; no request to www.kcna.kp for 2 s",
    ),
    Fault(
        "redirect-loop",
        "wirecrawl/article/failed",
        r"Article page failed: {url} \(max redirections reached\)",
    ),
    Fault(
        "redirect-offsite",
        "wirecrawl/download/offsite_refused",
        r"Article page failed: \S+ \(refused: www.example.com is off the allowed domains "
        r"\['kcna.kp'\], redirected from {url}\)",
    ),
    Fault(
        "redirect-https",
        "wirecrawl/download/not_plain_http_refused",
        r"Article page failed: \S+ \(refused: https://\S+: kcna.kp is served over plain HTTP "
        r"only, and an https request would not go through http_proxy, redirected from {url}\)",
    ),
    Fault(
        "huge-headers",
        "wirecrawl/download/failed/headers_too_large",
        r"Download failed: {url}: the answer's headers passed 65536 bytes",
    ),
    Fault(
        "wrong-type",
        "wirecrawl/download/wrong_type",
        r"Article page failed: {url} \(refused: served as 'image/png', not as an HTML page\)",
    ),
    Fault(
        "octet-stream",
        "wirecrawl/download/wrong_type",
        r"Article page failed: {url} \(refused: served as 'application/octet-stream'",
    ),
    Fault(
        "huge",
        "wirecrawl/download/failed/cancelled",
        r"Expected to receive \d+ bytes which is larger than download max size \(1000000\) "
        r"in request <GET {url}>",
        args=("-s", "DOWNLOAD_MAXSIZE=1000000"),
    ),
    Fault(
        "gzip-bomb",  # with wirecrawl's own DOWNLOAD_MAXSIZE (16 MiB)
        "wirecrawl/article/failed",
        r"Ignored response <200 {url}> because its body \(\d+ B compressed, \d+ B decompressed "
        r"so far\) exceeded DOWNLOAD_MAXSIZE \(16777216 B\)",
    ),
    Fault(
        "blocked",
        "wirecrawl/article/blocked",
        r"BLOCKED: a 'Web Page Blocked' filter page answered {url}",
    ),
    Fault(
        "no-title",
        "wirecrawl/article/not_article",
        r"Not an article page \(no headline or body\): {url}",
        new_page=True,
    ),
    Fault(
        "no-paragraphs",
        "wirecrawl/article/not_article",
        r"Not an article page \(no headline or body\): {url}",
        new_page=True,
    ),
    Fault(
        "wrong-charset",
        "wirecrawl/download/charset_fixed",
        r"Page is UTF-8 but declares cp1252 \(Content-Type: text/html;charset=iso-8859-1\); "
        r"read as UTF-8: {url}",
        read_anyway=True,
    ),
    Fault(
        "no-charset",
        "wirecrawl/download/charset_missing",
        r"Page declares no charset; read as UTF-8: {url}",
        read_anyway=True,
        new_page=True,
    ),
]


def table(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def story_url(story_id: str) -> str:
    return f"http://www.kcna.kp/en/article/detail/{story_id}"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    """All ten categories (so a clean run logs no error); the target story has non-ASCII text."""
    site = build_site(stories=40, categories=10, seed=11)
    target = site.stories[TARGET]
    site.stories[TARGET] = dataclasses.replace(
        target,
        title_html=TITLE_WITH_QUOTE,
        paragraphs_html=[*target.paragraphs_html[:-1], KOREAN_PARAGRAPH, "-0-"],
    )
    root = tmp_path_factory.mktemp("faults") / "site"
    write_snapshot(site, root, per_page=PER_PAGE)
    return site, root


@pytest.fixture(scope="module")
def clean_archive(site_root: tuple[Site, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site crawled once without a fault."""
    site, root = site_root
    db = tmp_path_factory.mktemp("clean") / "archive.db"
    with SiteServer(root) as server:
        result = run_crawl(server.proxy_url, db)
    assert result.returncode == 0, result.log
    assert result.stat("log_count/ERROR") == 0, result.log
    assert len(table(db, "SELECT id FROM articles")) == len(site.stories)
    return db


def copy_archive(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)
    return target


def test_the_target_story_is_stored_with_its_quote_and_korean_text(
    site_root: tuple[Site, Path], clean_archive: Path
) -> None:
    site, _ = site_root
    [row] = table(clean_archive, "SELECT * FROM articles WHERE id = ?", (site.stories[TARGET].id,))
    assert row["title"] == TITLE_WITH_QUOTE
    assert row["body"].endswith(KOREAN_PARAGRAPH)
    assert row["body"] == expected_body(site.stories[TARGET])


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.behaviour for fault in FAULTS])
def test_a_fault_on_recheck_stores_nothing_worse(
    fault: Fault, site_root: tuple[Site, Path], clean_archive: Path, tmp_path: Path
) -> None:
    site, root = site_root
    story = site.stories[TARGET]
    url = story_url(story.id)
    db = copy_archive(clean_archive, tmp_path / "archive.db")
    before = table(db, "SELECT * FROM articles WHERE id = ?", (story.id,))
    pages_before = table(db, "SELECT sha256 FROM pages WHERE url = ?", (url,))

    with SiteServer(root) as server:
        server.add_fault(f"/en/article/detail/{story.id}", *[fault.behaviour] * EVERY_TRY)
        result = run_crawl(server.proxy_url, db, "-a", "recheck_days=1", *FAST, *fault.args)
        hosts = {record.host for record in server.requests}

    # Only a blocked page raises an alarm (exit 3); a failed story is retried next run.
    assert result.returncode == (3 if fault.behaviour == "blocked" else 0), result.log
    after = table(db, "SELECT * FROM articles WHERE id = ?", (story.id,))
    if fault.read_anyway:
        text = ("title", "body", "dateline", "published", "content_hash", "first_seen")
        assert [{k: r[k] for k in text} for r in after] == [{k: r[k] for k in text} for r in before]
        assert result.stat("wirecrawl/store/unchanged") == len(site.stories)
    else:
        assert after == before  # not even last_seen moved
        # The crawl went on: every other story was read and stored again.
        assert result.stat("wirecrawl/store/unchanged") == len(site.stories) - 1
    assert table(db, "SELECT * FROM article_revisions") == []
    pages_after = table(db, "SELECT sha256 FROM pages WHERE url = ?", (url,))
    if fault.new_page:
        assert len(pages_after) == len(pages_before) + 1
    else:
        assert pages_after == pages_before
    assert hosts <= SERVED_HOSTS
    assert result.stat(fault.stat) >= 1, result.log
    [run] = table(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")
    if fault.behaviour == "blocked":
        assert run["blocked"] == 1
    elif fault.read_anyway:
        assert run["errors"] == 0
    else:
        assert run["errors"] >= 1
    assert re.search(fault.line.format(url=re.escape(url)), result.log), result.log


def test_passing_faults_are_recovered_and_every_story_is_stored(
    site_root: tuple[Site, Path], tmp_path: Path
) -> None:
    site, root = site_root
    # The charset fault hits the story whose title and body are not ASCII.
    once = ["wrong-charset", "no-charset", "hang-headers", "hang-body", "reset", "short",
            "truncated", "truncated-gzip", "empty", "429"]  # fmt: skip
    hit = {behaviour: site.stories[TARGET + n] for n, behaviour in enumerate(once)}
    paged = [c.id for c in site.categories if len(site.stories_in(c.id)) > PER_PAGE]
    first, second, third = paged[:3]
    with SiteServer(root) as server:
        for behaviour, story in hit.items():
            server.add_fault(f"/en/article/detail/{story.id}", behaviour)
        server.add_fault(f"/en/article/list/{first}", "reset", page_num=1)
        server.add_fault(f"/en/article/list/{second}", "truncated-gzip", page_num=2)
        server.add_fault(f"/en/article/list/{third}", "empty", page_num=2)
        result = run_crawl(server.proxy_url, tmp_path / "archive.db", "-s", "DOWNLOAD_TIMEOUT=2")
        requests = server.requests

    assert result.returncode == 0, result.log
    rows = {row["id"]: row for row in result.rows("SELECT * FROM articles")}
    assert set(rows) == {story.id for story in site.stories}
    for story in site.stories:
        assert rows[story.id]["title"] == story.title, story.id
        assert rows[story.id]["body"] == expected_body(story), story.id
    assert result.stat("wirecrawl/download/failed/timeout") == 2
    assert result.stat("wirecrawl/download/failed/data_loss") == 3  # two stories, one listing
    assert result.stat("wirecrawl/download/truncated") == 4  # three stories, one listing
    assert result.stat("wirecrawl/download/retry_after") == 1
    assert result.stat("wirecrawl/download/charset_fixed") == 1
    assert result.stat("wirecrawl/download/charset_missing") == 1
    assert result.stat("wirecrawl/listing/empty_answer") == 1
    # Recovered faults are warnings, not errors.
    assert result.rows("SELECT errors, blocked FROM runs") == [{"errors": 0, "blocked": 0}]
    # Retry-After: 2 was honoured: the story's retry came two seconds later, and once the
    # requests already on their way had gone, no request went to the site until then.
    paused = f"/en/article/detail/{hit['429'].id}"
    first_try, retry = (r.time for r in requests if r.path == paused)
    assert retry - first_try >= 1.9
    assert [r for r in requests if first_try + 0.5 < r.time < first_try + 1.9] == []


# --- the protections' pure functions ------------------------------------------------------

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("2", 2.0, id="seconds"),
        pytest.param(" 7 ", 7.0, id="spaces"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("86400", 120.0, id="capped"),
        pytest.param("Fri, 20 Nov 2026 12:00:30 GMT", 30.0, id="date"),
        pytest.param("Fri, 20 Nov 2026 11:00:00 GMT", 0.0, id="past-date"),
        pytest.param("Sat, 21 Nov 2026 12:00:00 GMT", 120.0, id="capped-date"),
        pytest.param("-5", None, id="negative"),
        pytest.param("soon", None, id="words"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW, cap=120.0) == seconds


@pytest.mark.parametrize(
    ("body", "complete"),
    [
        pytest.param(b"<!DOCTYPE html><html><body><p>x</p></body></html>\n", True, id="whole"),
        pytest.param(b"<html><body></body></HTML >", True, id="upper-case"),
        pytest.param(b"<html><body></body></html><script>f()</script>", True, id="script-after"),
        pytest.param(b"<!DOCTYPE html><html><body><p>x</p></bo", False, id="cut"),
        pytest.param(b"", False, id="empty"),
        pytest.param(b"<html><body><p>Pyongyang, June 1 (KCNA) -- </p>", False, id="cut-in-body"),
    ],
)
def test_html_is_complete(body: bytes, complete: bool) -> None:
    assert html_is_complete(body) is complete


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        pytest.param("www.kcna.kp", True, id="www"),
        pytest.param("kcna.kp", True, id="bare"),
        pytest.param("KCNA.KP.", True, id="case-and-dot"),
        pytest.param("www.example.com", False, id="other"),
        pytest.param("evilkcna.kp", False, id="suffix-trick"),
        pytest.param("kcna.kp.example.com", False, id="prefix-trick"),
        pytest.param("", False, id="empty"),
    ],
)
def test_on_allowed_domain(host: str, allowed: bool) -> None:
    assert on_allowed_domain(host, ["kcna.kp"]) is allowed


@pytest.mark.parametrize(
    ("body", "utf8"),
    [
        pytest.param(TITLE_WITH_QUOTE.encode(), True, id="utf8"),
        pytest.param(b"plain ascii", False, id="ascii"),
        pytest.param("Korea\u2019s".encode("cp1252"), False, id="latin"),
    ],
)
def test_is_utf8_text(body: bytes, utf8: bool) -> None:
    assert is_utf8_text(body) is utf8


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        pytest.param(DownloadTimeoutError("took longer than 2.0 seconds"), "timeout", id="timeout"),
        pytest.param(ResponseDataLossError(), "data_loss", id="data-loss"),
        pytest.param(ValueError("odd"), "other", id="other"),
    ],
)
def test_describe_failure(exception: Exception, kind: str) -> None:
    assert describe_failure(exception)[0] == kind
