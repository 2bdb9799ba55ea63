"""Crashes: `scrapy crawl` killed with SIGKILL at many moments loses nothing and breaks nothing.

Each trial starts a crawl into a new archive and kills it (SIGKILL: no clean-up of any kind):
once the server has seen a given share of the crawl's requests; just after the last request,
while the crawl writes its last batch and closes; or, on a site big enough to need several
batches, just after the first batch is committed. Then it checks the archive the kill left:
SQLite's integrity check passes, no story is stored twice, every stored story is complete. Then
an ordinary run must complete the archive to exactly the site's stories. A reader beside a
crawl is tried too.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, CrawlResult, crawl_command, crawl_env, run_crawl
from wirecrawl.storage import open_archive
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site, Story
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import page_count, write_snapshot

PER_PAGE = 6
STORIES = 100
# Big enough for a crawl to commit a batch before its end: about 1,600 rows for 500 stories,
# written in batches of BATCH_SIZE rows (or every 10 seconds).
BIG_STORIES = 500
BATCH_SIZE = 200
SERVER_DELAY = 0.005  # per response: the crawl cannot run far past the request count
# Kill points on the small site: the share of a whole crawl's requests seen by the server...
SHARES = (0.05, 0.2, 0.35, 0.5, 0.65, 0.9)
# ... or seconds after the last request, while the crawl writes its only batch and closes.
AFTER_LAST = (0.0, 0.02, 0.05, 0.1)
# Kill points on the big site: requests after the archive first shows committed stories.
AFTER_FIRST_BATCH = (0, 25)

_DATELINE = re.compile(r"^[A-Z][\w .]*?,\s*[A-Z][a-z]+ \d+ \(KCNA\)\s*--\s*")


def expected_body(story: Story) -> str:
    """The body the archive should hold for a story: its text without dateline and end mark."""
    paragraphs = list(story.paragraphs)
    paragraphs[0] = _DATELINE.sub("", paragraphs[0])
    paragraphs[-1] = paragraphs[-1].removesuffix("-0-").rstrip()
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


@dataclass
class Reference:
    """A site to crawl, and how many requests an uninterrupted crawl of it makes."""

    site: Site
    root: Path
    requests: int


def make_site(root: Path, stories: int) -> Reference:
    site = build_site(stories=stories, categories=10, seed=5)
    write_snapshot(site, root, per_page=PER_PAGE)
    # robots.txt, every listing page (page 1 of an empty category too) and every story.
    listing_pages = sum(page_count(len(site.stories_in(c.id)), PER_PAGE) for c in site.categories)
    return Reference(site, root, 1 + listing_pages + len(site.stories))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return make_site(tmp_path_factory.mktemp("crash") / "site", STORIES)


@pytest.fixture(scope="module")
def big_reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return make_site(tmp_path_factory.mktemp("crash-big") / "site", BIG_STORIES)


def start_crawl(proxy_url: str, db: Path, log: Path) -> subprocess.Popen[bytes]:
    """`scrapy crawl kcna` as run_crawl starts it, but in the background (to be killed)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            crawl_command(db, "-s", f"WIRECRAWL_BATCH_SIZE={BATCH_SIZE}"),
            cwd=ROOT,
            env=crawl_env(proxy_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], bool], timeout: float = 60, poll: float = 0.001) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the crawl never got there")
        time.sleep(poll)


def stored_now(db: Path) -> int:
    """Stories committed so far, as a reader sees them (0 before the schema exists)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    # A read-write connection: the first one after a kill recovers the WAL, as the next run would.
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def check_consistent(db: Path) -> int:
    """Assert what must hold of the archive at any moment; returns how many stories it holds."""
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT url FROM articles GROUP BY url HAVING count(*) > 1") == []
    assert rows(db, "SELECT 1 FROM articles GROUP BY title, published HAVING count(*) > 1") == []
    incomplete = rows(
        db,
        "SELECT id FROM articles WHERE coalesce(title, '') = '' OR coalesce(body, '') = '' "
        "OR coalesce(published, '') = '' OR body LIKE '%-0-%'",
    )
    assert incomplete == []
    # Every story has its URL row and its full-text entry: written in the same transaction.
    orphans = "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM article_urls)"
    assert rows(db, orphans) == []
    [(stored,)] = rows(db, "SELECT count(*) FROM articles")
    assert rows(db, "SELECT count(*) FROM articles_fts") == [(stored,)]
    return int(stored)


def check_stored_as_printed(db: Path, site: Site) -> set[str]:
    """Assert every stored story is the site's story, as printed; returns the stored ids."""
    check_consistent(db)
    stored = {
        row[0]: row[1:]
        for row in rows(db, "SELECT id, title, body, published, gone_at FROM articles")
    }
    for story in site.stories:
        if story.id in stored:
            title, body, published, gone_at = stored[story.id]
            assert (title, published, gone_at) == (story.title, story.published.isoformat(), None)
            assert body == expected_body(story), story.id
    assert set(stored) <= {story.id for story in site.stories}
    return {str(key) for key in stored}


def check_complete(db: Path, site: Site) -> None:
    """Assert the archive holds exactly the site's stories, each as the site printed it."""
    assert check_stored_as_printed(db, site) == {story.id for story in site.stories}


def listed(db: Path) -> set[str]:
    """Ids of the stories whose listing entries the archive holds."""
    if not db.exists():
        return set()
    return {str(url).rsplit("/", 1)[-1] for (url,) in rows(db, "SELECT url FROM teasers")}


@dataclass(frozen=True)
class Trial:
    """What one kill left behind."""

    point: str
    killed: bool
    """False if the crawl had ended before the signal came."""
    stored: int
    """Stories in the archive right after the kill."""
    finished_runs: int
    """`runs` rows with a finish time right after the kill."""
    missing: int
    """Stories of the site still missing after the next run."""


KILL_POINTS = [f"share {share}" for share in SHARES] + [f"after last +{s}s" for s in AFTER_LAST]
BIG_KILL_POINTS = [f"first batch +{n} requests" for n in AFTER_FIRST_BATCH]


def wait_for_kill_point(point: str, reference: Reference, server: SiteServer, db: Path) -> None:
    if point.startswith("share "):
        seen = max(1, round(float(point.removeprefix("share ")) * reference.requests))
        wait_for(lambda: len(server.requests) >= seen)
    elif point.startswith("after last +"):
        wait_for(lambda: len(server.requests) >= reference.requests)
        time.sleep(float(point.removeprefix("after last +").removesuffix("s")))
    else:
        wait_for(lambda: stored_now(db) > 0, poll=0.01)
        seen = len(server.requests) + int(point.split("+")[1].split()[0])
        wait_for(lambda: len(server.requests) >= seen)


def kill_and_complete(point: str, reference: Reference, workdir: Path) -> Trial:
    """Kill a crawl at `point`, check what it left, then check that a new run completes it."""
    workdir.mkdir()
    db = workdir / "archive.db"
    with SiteServer(reference.root, delay=SERVER_DELAY) as server:
        crawl = start_crawl(server.proxy_url, db, workdir / "killed.log")
        try:
            wait_for_kill_point(point, reference, server, db)
            crawl.send_signal(signal.SIGKILL)
        finally:
            crawl.kill()
            crawl.wait()
        killed = crawl.returncode == -signal.SIGKILL
        stored = check_consistent(db) if db.exists() else 0
        finished = len(rows(db, "SELECT 1 FROM runs WHERE finished IS NOT NULL")) if stored else 0
        seen = listed(db)
        # The lock is an flock: the kernel let go of it with the process; the run goes ahead.
        after = run_crawl(server.proxy_url, db)

    assert after.returncode == 0, f"{point}: {after.log}"
    assert "another wirecrawl run" not in after.log, point
    now = check_stored_as_printed(db, reference.site)
    # Nothing the killed run had seen is lost.
    assert seen <= now, f"{point}: {len(seen - now)} listed stories lost"
    assert rows(db, "SELECT finished FROM runs ORDER BY id DESC LIMIT 1")[0][0] is not None
    return Trial(point, killed, stored, finished, len(reference.site.stories) - len(now))


def test_a_killed_crawl_leaves_a_sound_archive_that_the_next_run_completes(
    reference: Reference, big_reference: Reference, tmp_path: Path
) -> None:
    trials = [(point, reference) for point in KILL_POINTS]
    trials += [(point, big_reference) for point in BIG_KILL_POINTS]
    # Two trials at a time: each is two `scrapy crawl` start-ups, mostly waiting on imports.
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(
            pool.map(
                lambda n: kill_and_complete(trials[n][0], trials[n][1], tmp_path / str(n)),
                range(len(trials)),
            )
        )

    summary = "\n".join(str(trial) for trial in done)
    # Ten kills or more landed (a crawl that ends just before its signal is still checked).
    assert sum(trial.killed for trial in done) >= 10, summary
    # Whenever the kill came, the next run completes the archive: a killed reading of a
    # listing leaves its category incomplete, so the next run reads it to its end.
    assert all(t.missing == 0 for t in done), summary
    # Kills landed between batches: the archive held some stories, not all ...
    between = [t for t in done if t.point.startswith("first batch")]
    assert all(0 < t.stored < BIG_STORIES for t in between), (
        f"no batch was committed before the end of a {BIG_STORIES}-story crawl: "
        f"a kill now loses a whole crawl's work\n{summary}"
    )
    # ... and after the last request, before the run was recorded as finished.
    closing = [t for t in done if t.point.startswith("after last") and t.finished_runs == 0]
    assert closing, summary


def test_an_interrupted_listing_is_read_to_its_end_by_the_next_run(tmp_path: Path) -> None:
    """A run that never read a category's later pages leaves the category marked incomplete,
    so the next run does not stop at the first page of stored stories."""
    site = build_site(stories=40, categories=10, seed=11)
    write_snapshot(site, tmp_path / "site", per_page=2)
    longest = max(site.categories, key=lambda c: len(site.stories_in(c.id)))
    db = tmp_path / "archive.db"
    with SiteServer(tmp_path / "site") as server:
        # The first crawl loses page 3 of the longest category (both tries answer 500) ...
        server.add_fault(f"/en/article/list/{longest.id}", "500", "500", page_num=3)
        assert run_crawl(server.proxy_url, db, "-s", "RETRY_TIMES=1").returncode == 0
        # ... and two ordinary runs follow.
        assert run_crawl(server.proxy_url, db).returncode == 0
        assert run_crawl(server.proxy_url, db).returncode == 0

    check_complete(db, site)


@dataclass
class Reader:
    """Reads `articles` in a loop through a read-only connection, as datasette would."""

    db: Path
    stop: threading.Event = field(default_factory=threading.Event)
    reads: int = 0
    counts: set[int] = field(default_factory=set)
    incomplete: list[tuple[object, ...]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            while not self.stop.is_set():
                try:
                    found = conn.execute(
                        "SELECT id, title, body, published FROM articles"
                    ).fetchall()
                except sqlite3.Error as error:
                    self.errors.append(str(error))
                    continue
                self.reads += 1
                self.counts.add(len(found))
                self.incomplete += [row for row in found if not all(row) or "-0-" in row[2]]
        finally:
            conn.close()


@pytest.fixture
def reader(reference: Reference, tmp_path: Path) -> Iterator[Reader]:
    db = tmp_path / "archive.db"
    open_archive(db).close()  # an archive exists before datasette is pointed at it
    reader = Reader(db)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    yield reader
    reader.stop.set()
    thread.join(timeout=10)


def test_a_reader_during_a_crawl_sees_only_whole_stories(
    reference: Reference, reader: Reader
) -> None:
    with SiteServer(reference.root, delay=SERVER_DELAY) as server:
        result: CrawlResult = run_crawl(server.proxy_url, reader.db)
    reader.stop.set()

    assert result.returncode == 0, result.log
    assert "database is locked" not in result.log
    assert reader.errors == []
    assert reader.incomplete == []
    # It read all along: before the crawl's writes, while they were made, and after.
    assert reader.reads > 20
    assert {0, STORIES} <= reader.counts
    check_complete(reader.db, reference.site)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_run_stopped_by_a_signal_keeps_what_it_stored_and_does_not_exit_0(
    tmp_path: Path, small_site: Site, stop: signal.Signals
) -> None:
    # systemctl stop, a shutdown or Ctrl-C: the crawl ends cleanly, keeps what it stored, and
    # says with exit 4 that it did not finish; the next run fetches the rest.
    db = tmp_path / "archive.db"
    with SiteServer(tmp_path / "site", delay=0.3) as server:
        crawl = subprocess.Popen(
            crawl_command(db),
            cwd=ROOT,
            env=crawl_env(server.proxy_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while len(server.requests_for("/en/article/detail/")) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        crawl.send_signal(stop)
        log, _ = crawl.communicate(timeout=120)

    assert crawl.returncode == 4, log
    stopped = CrawlResult(crawl.returncode, log, db)
    run = stopped.rows("SELECT finish_reason, stories_new FROM runs")
    assert run == [{"finish_reason": "shutdown", "stories_new": run[0]["stories_new"]}]
    kept = stopped.rows("SELECT count(*) AS n FROM articles")[0]["n"]
    assert 0 < kept < len(small_site.stories)
    with SiteServer(tmp_path / "site") as server:
        rest = run_crawl(server.proxy_url, db)
    assert rest.returncode == 0, rest.log
    assert rest.rows("SELECT count(*) AS n FROM articles") == [{"n": len(small_site.stories)}]


def test_stories_read_before_the_site_stalls_are_written_and_survive_a_kill(
    tmp_path: Path, small_site: Site
) -> None:
    # A story page that never answers holds the crawl (up to DOWNLOAD_TIMEOUT a try). The
    # stories read before it are written within WIRECRAWL_FLUSH_SECONDS all the same, no new
    # story coming: readers see them, and a kill then loses none of them.
    db = tmp_path / "archive.db"
    stories = "/en/article/detail/"

    def answered() -> int:
        return len([r for r in server.requests_for(stories) if r.status == 200])

    with SiteServer(tmp_path / "site") as server:
        crawl = subprocess.Popen(
            crawl_command(
                db, "-s", "DOWNLOAD_TIMEOUT=30", "-s", "RETRY_TIMES=0",
                "-s", "WIRECRAWL_FLUSH_SECONDS=1",
            ),
            cwd=ROOT,
            env=crawl_env(server.proxy_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            # The stall set once a few stories are read, on a story not asked for yet (the
            # order of the story requests is the scheduler's): the last such in the site.
            deadline = time.monotonic() + 30
            while answered() < 3:
                assert time.monotonic() < deadline, "the crawl read no story"
                time.sleep(0.01)
            asked = {r.path for r in server.requests_for(stories)}
            stalled = next(
                path
                for path in (stories + story.id for story in reversed(small_site.stories))
                if path not in asked
            )
            server.add_fault(stalled, "hang-headers")
            while not server.requests_for(stalled):
                assert time.monotonic() < deadline, "the crawl never reached the stalled page"
                time.sleep(0.02)
            read_before = answered()
            time.sleep(3)
            during_stall = CrawlResult(0, "", db).rows("SELECT count(*) AS n FROM articles")
            crawl.send_signal(signal.SIGKILL)
            crawl.wait(timeout=30)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()

    assert read_before >= 3
    assert during_stall == [{"n": read_before}]
    assert CrawlResult(0, "", db).rows("SELECT count(*) AS n FROM articles") == [{"n": read_before}]
