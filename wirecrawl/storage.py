"""The archive: one SQLite file, written through sqlite-utils.

Tables (created and changed only by the recorded migrations below):

- ``articles``: one row per story; ``articles_fts`` searches its title and body.
- ``article_urls``: every URL a story was seen at (one story, many URLs).
- ``article_revisions``: earlier versions of stories the agency edited.
- ``article_categories``: which category listings a story appeared in.
- ``teasers``: every listing entry seen, once per story (under ``teaser_url`` of its link): what
  the agency listed, and when.
- ``pages``: the fetched HTML of every story page, zlib-compressed, once per distinct content.
- ``runs``: one row per crawl, with its counts and alarms.

Writes are batched in transactions (a killed crawl loses at most the open batch, which the
next run fetches again) and idempotent: re-storing a story keeps its row and ``first_seen``.
``articles_fts`` is in step with ``articles`` at every commit: per row through the triggers
of ``0001_initial`` for any writer, per batch in ``ArchiveWriter`` (see ``_write_transaction``).
The identity rule that decides which row a story belongs to is in ``wirecrawl.normalise.identity``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils
from sqlite_utils.migrations import Migrations

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.identity import content_hash, identity_keys, title_key
from wirecrawl.normalise.teasers import teaser_url
from wirecrawl.pagebody import compress_page, decompress_page

MIGRATIONS = Migrations("wirecrawl")


@MIGRATIONS(name="0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db["articles"].create(  # type: ignore[union-attr]
        {
            "id": str,
            "source": str,
            "language": str,
            "url": str,
            "title": str,
            "published": str,
            "dateline": str,
            "dateline_place": str,
            "dateline_date": str,
            "agency": str,
            "body": str,
            "categories": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        not_null={"source", "language", "url", "title", "body", "first_seen", "last_seen"},
        defaults={"categories": "[]"},
    )
    db["articles"].create_index(["published"])  # type: ignore[union-attr]
    db["articles"].create_index(["url"], unique=True)  # type: ignore[union-attr]
    db["articles"].enable_fts(  # type: ignore[union-attr]
        ["title", "body"], create_triggers=True, tokenize="porter"
    )
    db["article_categories"].create(  # type: ignore[union-attr]
        {"article_id": str, "category_id": str, "category_name": str, "first_seen": str},
        pk=("article_id", "category_id"),
    )
    db["teasers"].create(  # type: ignore[union-attr]
        {
            "url": str,
            "story_key": str,
            "text": str,
            "published": str,
            "first_seen_on": str,
            "first_seen_at": str,
            "last_seen_on": str,
            "last_seen_at": str,
        },
        pk="url",
    )
    db["teasers"].create_index(["published"])  # type: ignore[union-attr]


@MIGRATIONS(name="0002_urls_revisions_pages_runs")
def _urls_revisions_pages_runs(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.add_column("title_key", str)  # type: ignore[union-attr]
    articles.add_column("content_hash", str)  # type: ignore[union-attr]
    articles.add_column("content_since", str)  # type: ignore[union-attr]
    articles.add_column("gone_at", str)  # type: ignore[union-attr]
    for row in list(db.query("SELECT id, title, body, first_seen FROM articles")):
        db.execute(
            "UPDATE articles SET title_key = ?, content_hash = ?, content_since = ? WHERE id = ?",
            [title_key(row["title"]), content_hash(row["title"], row["body"]),
             row["first_seen"], row["id"]],
        )  # fmt: skip
    articles.create_index(["title_key", "published"])  # type: ignore[union-attr]
    db["article_urls"].create(  # type: ignore[union-attr]
        {"url": str, "article_id": str, "first_seen": str, "last_seen": str}, pk="url"
    )
    db["article_urls"].create_index(["article_id"])  # type: ignore[union-attr]
    db.execute("INSERT INTO article_urls SELECT url, id, first_seen, last_seen FROM articles")
    db["article_revisions"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "article_id": str,
            "title": str,
            "body": str,
            "dateline": str,
            "content_hash": str,
            "seen_from": str,
            "seen_until": str,
        },
        pk="id",
    )
    db["article_revisions"].create_index(["article_id"])  # type: ignore[union-attr]
    db["pages"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "url": str,
            "fetched_at": str,
            "last_fetched_at": str,
            "status": int,
            "sha256": str,
            "encoding": str,
            "body": bytes,
        },
        pk="id",
        not_null={"url", "fetched_at", "sha256", "body"},
    )
    db["pages"].create_index(["url", "sha256"], unique=True)  # type: ignore[union-attr]
    db["runs"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "started": str,
            "finished": str,
            "spider": str,
            "arguments": str,
            "requests": int,
            "stories_new": int,
            "stories_changed": int,
            "stories_unchanged": int,
            "blocked": int,
            "errors": int,
            "finish_reason": str,
            "alarms": str,
        },
        pk="id",
    )


@MIGRATIONS(name="0003_listing_state")
def _listing_state(db: sqlite_utils.Database) -> None:
    # Whether the archive holds everything a category listed when it was last read through.
    db["listing_state"].create(  # type: ignore[union-attr]
        {"category_id": str, "complete": int, "updated_at": str}, pk="category_id"
    )


@MIGRATIONS(name="0004_published_month")
def _published_month(db: sqlite_utils.Database) -> None:
    # The month of publication as a column of its own, so that datasette can facet on it.
    # Generated and virtual: it costs no storage and can never disagree with `published`.
    db.execute(
        "ALTER TABLE articles ADD COLUMN published_month TEXT "
        "GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL"
    )


@MIGRATIONS(name="0005_category_index")
def _category_index(db: sqlite_utils.Database) -> None:
    # A category's stories, for the end of a crawl (unlisted_stories): without it
    # the stories of the listing's stretch were read in date order, every category's, body
    # and all (the column after the body is the one asked).
    db["article_categories"].create_index(["category_id"])  # type: ignore[union-attr]


@MIGRATIONS(name="0006_gone_index")
def _gone_index(db: sqlite_utils.Database) -> None:
    # The stories marked gone, for the start of a crawl (load_crawl_state leaves their URLs
    # out of the stored ones): a partial index, as small as the list of removed stories.
    db.execute("CREATE INDEX idx_articles_gone ON articles(id) WHERE gone_at IS NOT NULL")


@MIGRATIONS(name="0007_teaser_gone")
def _teaser_gone(db: sqlite_utils.Database) -> None:
    # When a listed story's page answered 404 (the agency removed it), stored or not: a story
    # never stored is then not asked for again by later runs, unless a listing shows it again.
    db["teasers"].add_column("gone_at", str)  # type: ignore[union-attr]


@MIGRATIONS(name="0008_listing_order_index")
def _listing_order_index(db: sqlite_utils.Database) -> None:
    # Stories newest first, and the stories of one day in the order of their id: datasette
    # sorts its first page of a table by the sort column alone and the pages after it by that
    # column and the primary key, so stories of one day (about 40) that came in another order
    # on the first page were shown twice or not at all across a page break. In this index
    # SQLite reads both in the same order. It replaces the index on `published` alone.
    db.execute("DROP INDEX IF EXISTS idx_articles_published")
    db.execute("CREATE INDEX idx_articles_published_id ON articles(published DESC, id)")


@MIGRATIONS(name="0009_category_names_once")
def _category_names_once(db: sqlite_utils.Database) -> None:
    # A category's name once in a story's `categories`: a story seen under its old-layout URL
    # and its current one is one row, listed in Top News under each layout's id of it (and an
    # old category's later pages were taken for categories of their own).
    db.execute(
        f"""UPDATE articles SET categories = ({_CATEGORY_NAMES.replace(":id", "articles.id")})
        WHERE id IN (SELECT article_id FROM article_categories GROUP BY article_id
                     HAVING count(*) > count(DISTINCT category_name))"""
    )


@MIGRATIONS(name="0010_listing_failed")
def _listing_failed(db: sqlite_utils.Database) -> None:
    # Whether the last reading of a category was given up for the site's failure, as opposed
    # to left incomplete by a crawl stopped on the way: two such readings in a row raise the
    # alarm (wirecrawl.runlog).
    db["listing_state"].add_column("failed", int, not_null_default=0)  # type: ignore[union-attr]


@MIGRATIONS(name="0011_teaser_urls")
def _teaser_urls(db: sqlite_utils.Database) -> None:
    # An aggregator's teaser kept under the story's one URL (teaser_url), not once for each
    # way a page linked it (with and without www. and its slug): the rows of one story merged.
    # Only aggregator story URLs (/newstream/...) change; kcna.kp's were canonical already.
    columns = [row[1] for row in db.execute("PRAGMA table_info(teasers)").fetchall()]
    # The URLs first (a big archive's rows are not all held at once), then the rows of the
    # stories that have another URL than their own.
    stories: dict[str, list[str]] = {}
    for (old,) in db.execute("SELECT url FROM teasers WHERE url LIKE '%/newstream/%'"):
        try:
            url = teaser_url(old)
        except ValueError:
            continue
        stories.setdefault(url, []).append(old)
    for url, urls in stories.items():
        if urls == [url]:
            continue
        rows = [
            dict(zip(columns, values, strict=True))
            for values in db.execute(
                f"SELECT * FROM teasers WHERE url IN ({', '.join('?' * len(urls))})", urls
            ).fetchall()
        ]
        merged = _merged_teaser(url, rows)
        db.conn.executemany("DELETE FROM teasers WHERE url = ?", [[row["url"]] for row in rows])
        names = ", ".join(merged)
        db.execute(
            f"INSERT INTO teasers ({names}) VALUES ({', '.join(':' + n for n in merged)})", merged
        )


def _merged_teaser(url: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One story's teaser rows as one, under ``url``, as if its sightings had been of one URL:
    first seen where the earliest was, last seen where the latest was, the first date printed
    with it, gone only if its page answered 404 after every sighting."""
    rows = sorted(rows, key=lambda row: row["first_seen_at"] or "")
    last = max(rows, key=lambda row: row["last_seen_at"] or "")
    merged = {**rows[0], "url": url}
    merged["published"] = next((r["published"] for r in rows if r["published"]), None)
    merged["last_seen_on"], merged["last_seen_at"] = last["last_seen_on"], last["last_seen_at"]
    if "gone_at" in merged:
        # (A row without sighting times, which the schema allows, has none to be after.)
        last_seen = last["last_seen_at"] or ""
        after = [
            r["gone_at"] for r in rows if r["gone_at"] is not None and r["gone_at"] >= last_seen
        ]
        merged["gone_at"] = min(after, default=None)
    return merged


_last_timestamp: tuple[float, str] = (math.nan, "")
"""The second (since the epoch) last formatted by ``timestamp``, and its text."""


def timestamp(moment: dt.datetime) -> str:
    """UTC ISO timestamp to the second: ``2026-07-19T08:00:00+00:00``.

    A crawl formats the same second over and over (every story fetched in it): the last one is
    kept, which costs a sixth of formatting it again."""
    global _last_timestamp
    second = moment.timestamp() // 1
    last_second, text = _last_timestamp
    if second != last_second:
        text = moment.astimezone(dt.UTC).isoformat(timespec="seconds")
        _last_timestamp = (second, text)
    return text


def iso_date(day: dt.date | None) -> str | None:
    """``YYYY-MM-DD`` or None."""
    return day.isoformat() if day is not None else None


def article_row(item: ArticleItem, seen: str) -> dict[str, Any]:
    """The row ``ArchiveWriter.add_article`` takes for a normalised story seen at ``seen``."""
    return {
        "id": item.story_key,
        "source": item.source,
        "language": item.language,
        "url": item.url,
        "title": item.title,
        "published": iso_date(item.published),
        "dateline": item.dateline,
        "dateline_place": item.dateline_place,
        "dateline_date": iso_date(item.dateline_date),
        "agency": item.agency,
        "body": item.body,
        "seen": seen,
    }


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer wirecrawl, with migrations this one does not know."""


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the archive at ``path`` for writing, with WAL and a busy timeout; no migration."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(path, timeout=30))
    # WAL lets datasette read while a crawl writes; a busy timeout rides out short locks.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=30000")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit (about 20 ms each here): a
    # killed process still loses no committed batch; a power cut may lose the last few, which
    # the next run fetches again, as it does the batch a crash interrupts.
    db.execute("PRAGMA synchronous=NORMAL")
    # A page cache of up to 64 MiB instead of 2: the indexes of a big archive stay in memory
    # while it is written (it grows only as pages are read). And the write-ahead log copied
    # into the database every 64 MiB instead of every 4: each copy syncs, and a page written
    # many times between two copies is copied once. docs/benchmarks.md has the figures. (A
    # crawl's writing worker copies each batch when the crawl has its answer: wirecrawl.writing.)
    db.execute("PRAGMA cache_size=-65536")
    db.execute("PRAGMA wal_autocheckpoint=16384")
    return db


def connect_read_only(path: str | Path, timeout: float = 30.0) -> sqlite3.Connection:
    """A read-only connection to the archive at ``path`` (which must exist). The path goes into
    SQLite's ``file:`` URI quoted: a ``#``, ``?`` or ``%`` in a file or folder name would
    otherwise end the path or escape the next characters, and another file be opened, or made."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def open_archive(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at ``path`` and bring its schema up to date.

    Raises SchemaTooNewError, changing nothing, for a database of a newer schema, and
    sqlite3.OperationalError for one that cannot be written (a read-only file or mount):
    SQLite opens such a file read-only without a word, and only the first write would fail.
    """
    db = connect(path)
    known = {migration.name for migration in MIGRATIONS._migrations}
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
    if unknown:
        db.close()
        raise SchemaTooNewError(
            f"{path} has migrations this wirecrawl does not know ({', '.join(unknown)}): "
            "it was written by a newer version; upgrade wirecrawl"
        )
    MIGRATIONS.apply(db)
    try:
        _check_writable(db)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _check_writable(db: sqlite_utils.Database) -> None:
    """Raise sqlite3.OperationalError unless the archive takes a write (one that is undone)."""
    conn = db.conn
    conn.execute("SAVEPOINT wirecrawl_write_check")
    try:
        conn.execute(
            "UPDATE _sqlite_migrations SET name = name "
            "WHERE rowid = (SELECT min(rowid) FROM _sqlite_migrations)"
        )
    finally:
        conn.execute("ROLLBACK TO wirecrawl_write_check")
        conn.execute("RELEASE wirecrawl_write_check")


@dataclass
class CrawlState:
    """What a new crawl needs to know of the archive before it starts."""

    stored_urls: set[str] = field(default_factory=set)
    """Every URL a stored story was seen at, but a story marked gone (``gone_urls``)."""
    gone_urls: set[str] = field(default_factory=set)
    """The URLs of stories marked gone: listed again, such a story is fetched again, and
    stored again (no longer gone) if its page answers with it."""
    undated_urls: set[str] = field(default_factory=set)
    """The URLs of stored stories without a publication date (first fetched by URL, not from
    a listing): listed with a date, such a story is fetched once more to take it."""
    unstored: list[tuple[str, dt.date | None]] = field(default_factory=list)
    """Stories listed before but never stored (failed, blocked): URL and listing date; not
    those whose page answered 404 since they were last listed."""
    recheck: list[tuple[str, dt.date | None]] = field(default_factory=list)
    """Stored stories to fetch again for edits (``recheck_days``): URL and listing date."""
    complete_categories: set[str] = field(default_factory=set)
    """Categories whose last reading ended cleanly: the archive holds all they listed, so a
    run may stop paging them at the first page of stored stories."""
    failed_categories: set[str] = field(default_factory=set)
    """Categories whose last reading was given up for the site's failure (``ListingStateItem``
    ``failed``)."""
    published: dict[str, dt.date] = field(default_factory=dict)
    """The publication dates of stored stories asked for by URL (``-a urls=``), by URL: a page
    given again is read with its story's own date (its dateline takes that date's year)."""


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_crawl_state(
    path: str | Path,
    url_prefix: str,
    recheck_since: dt.datetime | None = None,
    asked: Collection[str] = (),
) -> CrawlState:
    """Read what is stored, for URLs starting with ``url_prefix``, and the dates of the stored
    stories of the ``asked`` URLs; empty for a new archive."""
    path = Path(path)
    state = CrawlState()
    if not path.exists():
        return state
    with connect_read_only(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "article_urls" not in tables:
            return state
        like = url_prefix + "%"
        state.stored_urls = {
            row[0] for row in conn.execute("SELECT url FROM article_urls WHERE url LIKE ?", [like])
        }
        state.gone_urls = {
            row[0]
            for row in conn.execute(
                "SELECT url FROM article_urls WHERE url LIKE ? AND article_id IN "
                "(SELECT id FROM articles WHERE gone_at IS NOT NULL)",
                [like],
            )
        }
        state.stored_urls -= state.gone_urls
        if asked:
            state.published = {
                url: dt.date.fromisoformat(published)
                for url, published in conn.execute(
                    "SELECT u.url, a.published FROM article_urls u JOIN articles a "
                    "ON a.id = u.article_id WHERE a.published IS NOT NULL "
                    "AND u.url IN (SELECT value FROM json_each(?))",
                    [json.dumps(sorted(asked))],
                )
            }
        # The stories without a date, by the index on `published`.
        state.undated_urls = {
            row[0]
            for row in conn.execute(
                "SELECT url FROM article_urls WHERE url LIKE ? AND article_id IN "
                "(SELECT id FROM articles WHERE published IS NULL)",
                [like],
            )
        } - state.gone_urls
        teaser_columns = {row[1] for row in conn.execute("PRAGMA table_info(teasers)")}
        not_gone = "AND gone_at IS NULL " if "gone_at" in teaser_columns else ""
        rows = conn.execute(
            "SELECT url, published FROM teasers WHERE url LIKE ? AND url NOT IN "
            f"(SELECT url FROM article_urls) {not_gone}ORDER BY published DESC",
            [like],
        )
        state.unstored = [(url, _day(published)) for url, published in rows]
        if "listing_state" in tables:
            state_columns = {row[1] for row in conn.execute("PRAGMA table_info(listing_state)")}
            failed = "failed" if "failed" in state_columns else "0"
            for category_id, complete, gave_up in conn.execute(
                f"SELECT category_id, complete, {failed} FROM listing_state"
            ):
                if complete:
                    state.complete_categories.add(category_id)
                elif gave_up:
                    state.failed_categories.add(category_id)
        if recheck_since is not None:
            since = timestamp(recheck_since)
            rows = conn.execute(
                "SELECT url, published FROM articles WHERE url LIKE ? AND first_seen >= ? "
                "AND gone_at IS NULL ORDER BY published DESC",
                [like, since],
            )
            state.recheck = [(url, _day(published)) for url, published in rows]
            if "gone_at" in teaser_columns:
                # Stories marked gone since then because their page answered 404: asked for
                # again, so that one 404 of a flaky site does not leave a story that is still
                # published gone for good (a listing shows it again only on a page a run
                # reads, and runs stop paging at the first page of stored stories).
                rows = conn.execute(
                    "SELECT a.url, a.published FROM articles a JOIN teasers t ON t.url = a.url "
                    "WHERE a.gone_at >= ? AND a.url LIKE ? AND t.gone_at IS NOT NULL "
                    "ORDER BY a.published DESC",
                    [since, like],
                )
                state.recheck += [(url, _day(published)) for url, published in rows]
    return state


def unlisted_stories(
    path: str | Path, stretches: dict[str, dt.date], seen_urls: set[str], url_prefix: str
) -> list[tuple[str, dt.date]]:
    """The stored stories, not gone, that the stretches of the category listings a crawl read
    no longer show: for each category of ``stretches``, its stories published after the date
    given (where the stretch read ends: the last entry read), none of whose URLs is in
    ``seen_urls`` (the URLs listed anywhere in the crawl, or fetched in it). Each as the URL to
    ask for, one starting with ``url_prefix`` (the one the story is shown at, ``articles.url``,
    if it does; else one of the current layout), and its date.

    Never older ones, nor that day's, even when a listing was read to its end: the listings
    reach back only about a year, the oldest entries drop off their end as new ones come, and
    a story that aged out of them is not gone. Read-only; empty for an archive not yet made.
    """
    path = Path(path)
    if not path.exists() or not stretches:
        return []
    found: dict[str, tuple[tuple[bool, bool], str, dt.date]] = {}
    seen: set[str] = set()
    with contextlib.closing(connect_read_only(path)) as conn:
        for category_id, oldest in stretches.items():
            # One row a URL: a story with any URL seen is no candidate.
            for article_id, published, shown, url in conn.execute(
                _LISTED_STORIES_AFTER, [category_id, oldest.isoformat()]
            ):
                if url in seen_urls:
                    seen.add(article_id)
                elif url is not None and url.startswith(url_prefix):
                    rank = (url == shown, "/article/detail/" in url)
                    known = found.get(article_id)
                    if known is None or rank > known[0]:
                        found[article_id] = (rank, url, dt.date.fromisoformat(published))
    return [(url, day) for key, (_, url, day) in found.items() if key not in seen]


# --- writing ------------------------------------------------------------------------------

_ARTICLE_COLUMNS = (
    "source", "language", "url", "title", "published", "dateline", "dateline_place",
    "dateline_date", "agency", "body",
)  # fmt: skip

# The JSON list of a story's category names, kept beside the table for datasette's facets.
_CATEGORY_NAMES = """
SELECT json_group_array(category_name) FROM (
    SELECT DISTINCT category_name FROM article_categories WHERE article_id = :id
    ORDER BY category_name
)
"""

# The identity rule's look-ups: the story stored under this URL; else one with the same title,
# date and text (under another URL: merged); else a row with this story's id.
_FIND_ARTICLE = """
SELECT (SELECT article_id FROM article_urls WHERE url = :url),
       (SELECT id FROM articles WHERE title_key = :title_key AND published = :published
        AND content_hash = :content_hash),
       EXISTS (SELECT 1 FROM articles WHERE id = :id)
"""

# A new story is inserted with the categories listed before it was fetched: one write a story.
_INSERT_ARTICLE = f"""
INSERT INTO articles (id, {", ".join(_ARTICLE_COLUMNS)}, title_key, content_hash,
                      content_since, first_seen, last_seen, categories)
VALUES (:id, {", ".join(":" + c for c in _ARTICLE_COLUMNS)}, :title_key, :content_hash,
        :seen, :seen, :seen, ({_CATEGORY_NAMES}))
"""

_UPDATE_ARTICLE = """
UPDATE articles SET
    source = :source, language = :language, url = :url, title = :title,
    -- A crawl of a single page knows no listing date: never replace a known date with NULL.
    published = coalesce(:published, published),
    dateline = :dateline, dateline_place = :dateline_place,
    dateline_date = coalesce(:dateline_date, dateline_date),
    agency = :agency, body = :body, title_key = :title_key,
    content_since = CASE WHEN :changed THEN :seen ELSE content_since END,
    content_hash = :content_hash, last_seen = :seen,
    gone_at = CASE WHEN :clear_gone THEN NULL ELSE gone_at END
WHERE id = :id
"""

_SAVE_REVISION = """
INSERT INTO article_revisions (article_id, title, body, dateline, content_hash, seen_from,
                               seen_until)
SELECT id, title, body, dateline, content_hash, content_since, :seen FROM articles WHERE id = :id
"""

_SEE_URL = """
INSERT INTO article_urls (url, article_id, first_seen, last_seen) VALUES (:url, :id, :seen, :seen)
ON CONFLICT(url) DO UPDATE SET last_seen = excluded.last_seen
"""

_ADD_CATEGORY = """
INSERT INTO article_categories (article_id, category_id, category_name, first_seen)
VALUES (coalesce((SELECT article_id FROM article_urls WHERE url = :url), :story_key),
        :category_id, :category_name, :seen)
ON CONFLICT(article_id, category_id) DO NOTHING
RETURNING article_id
"""

_UPSERT_TEASER = """
INSERT INTO teasers (url, story_key, text, published, first_seen_on, first_seen_at,
                     last_seen_on, last_seen_at)
VALUES (:url, :story_key, :text, :published, :seen_on, :seen, :seen_on, :seen)
ON CONFLICT(url) DO UPDATE SET
    published = coalesce(teasers.published, excluded.published),
    last_seen_on = excluded.last_seen_on,
    last_seen_at = excluded.last_seen_at,
    gone_at = NULL
"""

_UPSERT_PAGE = """
INSERT INTO pages (url, fetched_at, last_fetched_at, status, sha256, encoding, body)
VALUES (:url, :fetched_at, :fetched_at, :status, :sha256, :encoding, :body)
ON CONFLICT(url, sha256) DO UPDATE SET last_fetched_at = excluded.last_fetched_at
"""

# Only a list that changed is written.
_REFRESH_CATEGORIES = f"""
UPDATE articles SET categories = fresh.names
FROM (SELECT ({_CATEGORY_NAMES}) AS names) AS fresh
WHERE articles.id = :id AND articles.categories IS NOT fresh.names
"""


# A category's stored stories, not gone, published after a day: the category's rows first
# (CROSS JOIN keeps that order), then each story's row.
_LISTED_STORIES_AFTER = """
SELECT a.id, a.published, a.url, u.url
FROM article_categories c CROSS JOIN articles a ON a.id = c.article_id
LEFT JOIN article_urls u ON u.article_id = a.id
WHERE c.category_id = ? AND a.gone_at IS NULL AND a.published IS NOT NULL
AND a.published > ?
"""

# The triggers ``enable_fts(create_triggers=True)`` made in 0001_initial.
_FTS_TRIGGERS = ("articles_ai", "articles_ad", "articles_au")


class _IndexChanges:
    """What a write transaction did to the text ``articles_fts`` indexes, applied at its end.

    External-content FTS5 removes a row with the ``'delete'`` command and the values it
    indexed; a row written twice in one batch is removed once and indexed once.
    """

    def __init__(self) -> None:
        self._stale: list[tuple[int, str, str]] = []
        self._fresh: set[int] = set()

    def inserted(self, rowid: int) -> None:
        """A new ``articles`` row, to index."""
        self._fresh.add(rowid)

    def rewritten(self, rowid: int, indexed_title: str, indexed_body: str) -> None:
        """A row whose title or body changed: remove what was indexed, index the new text."""
        # A row inserted or rewritten earlier in this batch is not in the index yet.
        if rowid not in self._fresh:
            self._stale.append((rowid, indexed_title, indexed_body))
            self._fresh.add(rowid)

    def apply(self, conn: sqlite3.Connection) -> None:
        """Bring ``articles_fts`` in step; the last statements of the transaction."""
        conn.executemany(
            "INSERT INTO articles_fts (articles_fts, rowid, title, body) "
            "VALUES ('delete', ?, ?, ?)",
            self._stale,
        )
        if self._fresh:
            conn.execute(
                "INSERT INTO articles_fts (rowid, title, body) SELECT rowid, title, body "
                "FROM articles WHERE rowid IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted(self._fresh))],
            )


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[_IndexChanges]:
    """One write transaction in which the caller keeps ``articles_fts`` in step itself.

    The per-row triggers stay in the schema, so that any other writer keeps the index in step.
    But every statement that fires one opens a savepoint, and at each savepoint FTS5 writes
    its pending index out: indexing row by row that way is 3 to 5 times slower than indexing
    the batch at once. So the triggers are dropped when the transaction begins and created
    again just before it commits: no reader or other writer ever sees the schema without
    them, and a batch that fails rolls back with its trigger changes. The caller records its
    changes of title and body in the ``_IndexChanges`` it is given.
    """
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")
    try:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles' "
            "AND name IN (SELECT value FROM json_each(?)) ORDER BY name",
            [json.dumps(_FTS_TRIGGERS)],
        ).fetchall()
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        changes = _IndexChanges()
        yield changes
        changes.apply(conn)
        for _name, sql in triggers:
            conn.execute(sql)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


_SET_LISTING_STATE = """
INSERT INTO listing_state (category_id, complete, failed, updated_at)
VALUES (:category_id, :complete, :failed, :at)
ON CONFLICT(category_id) DO UPDATE SET
    complete = excluded.complete,
    failed = excluded.failed,
    updated_at = excluded.updated_at
"""


# Rows a batch holds by default (a story is 2 or 3: its listing entry, page and text), for
# bulk writing such as reparse: the fewer the commits, the fewer times the same index pages
# are written (to the write-ahead log, then to the database); a batch of 2,000 rows writes
# 100,000 stories at about 4,800 a second, one of 8,000 at about 6,300 (docs/benchmarks.md).
# A crawl writes smaller ones (WIRECRAWL_BATCH_SIZE).
BATCH_ROWS = 8000

Batch = list[tuple[str, dict[str, Any]]]
"""Rows queued by ``ArchiveRows``: (kind, row) in the order they came."""


class ArchiveRows:
    """Rows queued for the archive, in the order they came, until they are ``take``n and
    written (``ArchiveWriter.write``): what a crawl hands its writing worker."""

    def __init__(self) -> None:
        self._queue: Batch = []

    def add_article(self, row: dict[str, Any]) -> None:
        """Queue a story: the ``articles`` columns, ``id`` (the site's key) and ``seen``.

        Its identity keys are computed when it is written, by whichever process writes.
        """
        self._add("article", dict(row))

    def add_listing_entry(self, row: dict[str, Any]) -> None:
        """Queue a listing entry: url, story_key, text, published, seen_on, seen and, for a
        category listing, category_id and category_name."""
        self._add("entry", row)

    def add_page(self, url: str, fetched_at: str, status: int, body: bytes, encoding: str) -> None:
        """Queue a fetched story page; a content already stored for the URL is kept once."""
        sha256 = hashlib.sha256(body).hexdigest()
        self.add_compressed_page(url, fetched_at, status, encoding, sha256, compress_page(body))

    def add_compressed_page(
        self, url: str, fetched_at: str, status: int, encoding: str, sha256: str, body_zlib: bytes
    ) -> None:
        """``add_page`` for a body hashed (``sha256`` of it, hex) and compressed
        (``compress_page``) already, as the crawl's page-reading worker does."""
        row = {
            "url": url,
            "fetched_at": fetched_at,
            "status": status,
            "sha256": sha256,
            "encoding": encoding,
            "body": body_zlib,
        }
        self._add("page", row)

    def set_listing_state(
        self, category_id: str, complete: bool, at: str, failed: bool = False
    ) -> None:
        """Queue whether a category's listing was read through cleanly, or given up for a
        failure of the site's (see CrawlState)."""
        self._add(
            "listing_state",
            {"category_id": category_id, "complete": complete, "failed": failed, "at": at},
        )

    def mark_gone(self, url: str, seen: str, since: str | None = None) -> None:
        """Queue the fact that a listed story's page answered 404 (the agency removed it): a
        stored story is marked gone, and so is its listing entry, stored or not. With
        ``since`` (when the crawl started), a story read from a page in this run (under
        another of its URLs: the agency gave it a new address) is on the site, and is not
        marked gone; its listing entry under this URL is."""
        self._add("gone", {"url": url, "seen": seen, "since": since})

    def pending(self) -> int:
        """How many rows wait for the next flush."""
        return len(self._queue)

    def _add(self, kind: str, row: dict[str, Any]) -> None:
        self._queue.append((kind, row))

    def take(self) -> Batch:
        """The rows queued so far, in order; the queue is left empty."""
        batch, self._queue = self._queue, []
        return batch


STORY_OUTCOMES = ("new", "changed", "garbled_kept", "dateline_lost_kept", "unchanged")
"""What a write does to a story: its row made, its text changed, a reading kept out (bytes its
charset could not read, a dateline lost), or nothing. For a story written under several URLs,
the first of these that any of them did."""


class ArchiveWriter(ArchiveRows):
    """Writes queued rows into the archive, one transaction per batch (a crawl's writing
    worker, ``wirecrawl reparse``, the bench).

    ``outcomes`` counts what happened to stories, once for each URL written: ``new``,
    ``changed``, ``unchanged`` and ``merged`` (a known story seen under another URL); ``gone``
    counts stories marked gone, ``undatelined_kept`` stories held and then kept as stored
    (``release_held``). When rebuilding, ``stories`` also says it once per story.

    It writes a batch whenever ``batch_size`` rows are queued; with ``batch_size`` None the
    caller decides: ``take`` the queued rows and ``write`` them (only ``write`` and ``flush``
    touch the database).
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        batch_size: int | None = BATCH_ROWS,
        rebuilding: bool = False,
        hold_undatelined: bool = False,
    ) -> None:
        super().__init__()
        self.db = db
        self.batch_size = batch_size
        self.rebuilding = rebuilding
        """Stories rebuilt from stored pages (``wirecrawl reparse``): what changes is ours, not
        the agency's, so no revision is recorded, a story marked gone stays gone, and a page
        fetched before the one a story's text came from (under another of its URLs) never
        replaces it."""
        self.hold_undatelined = hold_undatelined
        """A crawl's writer: a stored story without a dateline, read again with another text,
        is held (``held``) for ``release_held`` at the crawl's end instead of written. Such a
        story has nothing of its own to tell an edit by the agency from a changed page read
        wrong; the crawl's other stories may have (``pages_doubted``)."""
        self.held: list[dict[str, Any]] = []
        self.pages_doubted = False
        """Set once a story read again lost the dateline it was stored with, the sign of story
        pages in a changed markup (``dateline_lost_kept``); for as long as this writer lives."""
        self.read_in_run: set[str] = set()
        """The ids of the stories this writer was given from a page (whatever it then did
        with them): such a story is on the site, and a 404 of another of its URLs in the same
        run does not mark it gone (``mark_gone``)."""
        self.whole_run = True
        """Whether this writer has written every batch of its run (``read_in_run`` is then
        complete): a crawl's thread that took over from a writing worker that died has not."""
        self.outcomes: Counter[str] = Counter()
        self.stories: dict[str, str] = {}
        """When rebuilding: each story written, by the id of its row, with what its URLs made
        of it together (``STORY_OUTCOMES``): a story kept under two URLs is written twice, and
        is one story."""

    def _add(self, kind: str, row: dict[str, Any]) -> None:
        super()._add(kind, row)
        if self.batch_size is not None and len(self._queue) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write everything queued, in order, in one transaction. If that fails, the rows
        stay queued for the next flush."""
        batch = self.take()
        try:
            self.write(batch)
        except BaseException:
            self._queue[:0] = batch
            raise

    def write(self, batch: Batch) -> None:
        """Write ``batch`` (from ``take``) in one transaction; all of it, or nothing."""
        # What a batch that rolls back held or doubted is taken back with it: the batch is
        # written again (with the next), and holds its stories again.
        held, doubted = len(self.held), self.pages_doubted
        try:
            self._write_rows(batch)
        except BaseException:
            del self.held[held:]
            self.pages_doubted = doubted
            raise

    def _write_rows(self, batch: Batch) -> None:
        if not batch:
            return
        touched: set[str] = set()
        read: set[str] = set()
        conn = self.db.conn
        with _write_transaction(conn) as index:
            for kind, row in batch:
                if kind == "article":
                    article_id, how = self._write_article(conn, index, row)
                    read.add(article_id)
                    if how == "merged":
                        # The story found under another URL takes this URL's categories.
                        touched.add(article_id)
                    elif how == "new":
                        # Inserted just now with every category listed so far.
                        touched.discard(article_id)
                elif kind == "entry":
                    conn.execute(_UPSERT_TEASER, row)
                    if row.get("category_id"):
                        # A category already known for the story adds no row, and changes
                        # nothing; a new one gives the id of the story it was added to.
                        for (article_id,) in conn.execute(_ADD_CATEGORY, row).fetchall():
                            touched.add(article_id)
                elif kind == "page":
                    conn.execute(_UPSERT_PAGE, row)
                elif kind == "listing_state":
                    conn.execute(_SET_LISTING_STATE, row)
                elif kind == "gone":
                    self._mark_gone(conn, row, read)
                    conn.execute(
                        "UPDATE teasers SET gone_at = :seen WHERE url = :url AND gone_at IS NULL",
                        row,
                    )
            conn.executemany(_REFRESH_CATEGORIES, [{"id": key} for key in sorted(touched)])
        # Once committed (a batch that rolls back is written again, and read again).
        self.read_in_run |= read

    def _mark_gone(self, conn: sqlite3.Connection, row: dict[str, Any], read: set[str]) -> None:
        """A story's page answered 404: the story marked gone, unless it is gone already or,
        with ``since`` (a crawl's start), was read from a page in this run, under this URL
        or another. A writer that wrote the whole run knows which those are; one that took
        over from a writing worker that died (``whole_run`` false) also leaves alone a story
        last seen since the crawl's start, to the second (which may be the previous run's
        last second)."""
        found = conn.execute("SELECT article_id FROM article_urls WHERE url = :url", row).fetchone()
        if found is None:
            return
        article_id = str(found[0])
        since = row["since"]
        if since is not None and (article_id in read or article_id in self.read_in_run):
            return
        self.outcomes["gone"] += conn.execute(
            "UPDATE articles SET gone_at = :seen WHERE id = :id AND gone_at IS NULL "
            "AND (:since IS NULL OR :whole_run OR last_seen < :since)",
            {**row, "id": article_id, "whole_run": self.whole_run},
        ).rowcount

    def release_held(self) -> None:
        """The crawl's end: write the stories held (``hold_undatelined``) as edits, in one
        transaction, unless the crawl met story pages read without their dateline
        (``pages_doubted``): then the pages have most likely changed, and each held story is
        kept as stored (counted ``undatelined_kept``); a later run reads it again."""
        held, self.held = self.held, []
        if not held:
            return
        if self.pages_doubted:
            self.outcomes["undatelined_kept"] += len(held)
            return
        self.hold_undatelined = False
        try:
            self.write([("article", row) for row in held])
        finally:
            self.hold_undatelined = True

    def _write_article(
        self, conn: sqlite3.Connection, index: _IndexChanges, row: dict[str, Any]
    ) -> tuple[str, str]:
        """Store one story by the identity rule; returns the id of its row and how it was
        found: ``new``, ``merged`` (under another URL) or ``known``."""
        how = "known"
        keys = identity_keys(row["title"], row["body"])
        row = {**row, "title_key": keys[0], "content_hash": keys[1]}
        # The three ways a story may be stored already, looked up in one statement.
        by_url, same, by_id = conn.execute(_FIND_ARTICLE, row).fetchone()
        article_id = None if by_url is None else str(by_url)
        if article_id is None and same is None and self.held:
            # The text of a story held for the crawl's end is not stored yet: a URL of the
            # story read with it is that story's all the same.
            same = self._held_story(row)
        if article_id is None and same is not None:
            article_id, how = str(same), "merged"
            self.outcomes["merged"] += 1  # a URL's outcome, not a story's
            # Categories seen under this URL's own key belong to the story found.
            conn.execute(
                "UPDATE OR IGNORE article_categories SET article_id = ? WHERE article_id = ?",
                [article_id, row["id"]],
            )
            if article_id != row["id"]:
                # What the story found has already (UPDATE OR IGNORE left it under this key).
                conn.execute("DELETE FROM article_categories WHERE article_id = ?", [row["id"]])
        if article_id is None and by_id:
            article_id = row["id"]
        if article_id is None:
            # Inserted with the categories listed so far, so its list needs no refresh.
            rowid = conn.execute(_INSERT_ARTICLE, row).lastrowid
            assert rowid is not None
            index.inserted(rowid)
            article_id, how = row["id"], "new"
            self._count(article_id, "new")
        else:
            rowid, title, body, dateline, url, source, last_seen, gone_at = conn.execute(
                "SELECT rowid, title, body, dateline, url, source, last_seen, gone_at "
                "FROM articles WHERE id = ?",
                [article_id],
            ).fetchone()
            kept = None
            if self.rebuilding and row["seen"] < last_seen:
                # Its text came from a page fetched later, under another of its URLs.
                kept = "unchanged"
            elif _undecodable(row["title"], row["body"]) > _undecodable(title, body):
                # Bytes the page's charset could not read (U+FFFD) that the stored text has not:
                # a damaged answer, never an edit. The stored story stays as it is.
                kept = "garbled_kept"
            elif dateline is not None and row["dateline"] is None and not self.rebuilding:
                # Read again without the dateline it was stored with: the agency does not take
                # datelines off its stories, a changed page (the dateline in an element of its
                # own, a line before it) does. Kept as stored, and the run raises the alarm.
                kept = "dateline_lost_kept"
            if kept is not None:
                self._count(article_id, kept)
                self.pages_doubted |= kept == "dateline_lost_kept"
                conn.execute(_SEE_URL, {"url": row["url"], "id": article_id, "seen": row["seen"]})
                return article_id, how
            # An edit is any change of the words as stored, their case and punctuation included
            # (the identity rule's folded keys would miss those), and of the dateline; not of
            # the spacing or of where the paragraphs break (nor, in a dateline, of where the
            # spaces go: the old layout printed "Pyongyang,July 19 (KCNA)--").
            changed = _words(title, body) != _words(row["title"], row["body"]) or _unspaced(
                dateline
            ) != _unspaced(row["dateline"])
            shown_at = _preferred_url(url, row["url"])
            if changed and row["url"] != url and content_hash(title, body) == row["content_hash"]:
                # Another URL's copy of the story (its old layout's, an aggregator's), apart
                # from the shown one's only in case, punctuation or spacing: no edit. The
                # text stays the shown URL's, and becomes this one's if it is shown from now.
                changed = False
                if shown_at != row["url"]:
                    row = {**row, "title": title, "body": body, "dateline": dateline}
            if changed and self.hold_undatelined and dateline is None and row["dateline"] is None:
                self.held.append({**row, "held_for": article_id})
                conn.execute(_SEE_URL, {"url": row["url"], "id": article_id, "seen": row["seen"]})
                return article_id, how
            values = {
                **row,
                "id": article_id,
                "url": shown_at,
                # The source of the URL the story is shown at (an aggregator's copy merged
                # into a kcna.kp story leaves it kcna.kp's).
                "source": row["source"] if shown_at == row["url"] else source,
                "changed": changed,
                "clear_gone": not self.rebuilding,
            }
            if changed:
                if not self.rebuilding:
                    conn.execute(_SAVE_REVISION, values)
                self._count(article_id, "changed")
            else:
                self._count(article_id, "unchanged")
            if (title, body) != (row["title"], row["body"]):
                index.rewritten(rowid, title, body)
            conn.execute(_UPDATE_ARTICLE, values)
            if gone_at is not None and not self.rebuilding:
                # Its page answers with it again: its listing entry's mark (a 404) goes too,
                # whether or not a listing page of this run shows it.
                conn.execute("UPDATE teasers SET gone_at = NULL WHERE url = ?", [row["url"]])
        conn.execute(_SEE_URL, {"url": row["url"], "id": article_id, "seen": row["seen"]})
        return article_id, how

    def _held_story(self, row: dict[str, Any]) -> str | None:
        """The id of the story held (``held``) with the text of ``row`` (its identity keys
        and date, as ``_FIND_ARTICLE`` finds a stored one), if one is."""
        if row["published"] is None:
            return None
        keys = (row["title_key"], row["published"], row["content_hash"])
        for held in self.held:
            if (held["title_key"], held["published"], held["content_hash"]) == keys:
                return str(held["held_for"])
        return None

    def _count(self, article_id: str, outcome: str) -> None:
        """Count what a write did to a story (one of ``STORY_OUTCOMES``)."""
        self.outcomes[outcome] += 1
        if self.rebuilding:
            known = self.stories.get(article_id)
            if known is None or STORY_OUTCOMES.index(outcome) < STORY_OUTCOMES.index(known):
                self.stories[article_id] = outcome


def _words(*texts: str | None) -> tuple[list[str], ...]:
    """``texts`` as their words, split at any whitespace: what an edit must change."""
    return tuple((text or "").split() for text in texts)


def _unspaced(text: str | None) -> str:
    """``text`` without any whitespace."""
    return "".join((text or "").split())


def _undecodable(*texts: str | None) -> int:
    """How many characters of ``texts`` stand for bytes their page's charset could not read
    (U+FFFD, the replacement character)."""
    return sum(text.count("\ufffd") for text in texts if text)


def _preferred_url(stored: str, seen: str) -> str:
    """The URL a story is shown under: the agency's own in its current layout, else in its old
    one (``.kcmsf``), else an aggregator's copy's; between two of a kind, the one stored."""
    return seen if _url_rank(seen) < _url_rank(stored) else stored


def _url_rank(url: str) -> int:
    host = urlsplit(url).hostname or ""
    if host != "kcna.kp" and not host.endswith(".kcna.kp"):
        return 2
    return 1 if url.endswith(".kcmsf") else 0


def iter_page_versions(db: sqlite_utils.Database) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every URL in ``pages`` with its stored versions, newest first, HTML decompressed; URLs
    in the order they were first fetched."""
    rows = db.conn.execute(
        "SELECT p.url, p.last_fetched_at, p.status, p.encoding, p.body FROM pages p "
        "JOIN (SELECT url, min(fetched_at) AS first FROM pages GROUP BY url) f ON f.url = p.url "
        "ORDER BY f.first, p.url, p.last_fetched_at DESC"
    )
    for url, versions in itertools.groupby(rows, key=lambda row: str(row[0])):
        yield (
            url,
            [
                {
                    "url": url,
                    "fetched_at": fetched_at,
                    "status": status,
                    "encoding": encoding,
                    "body": decompress_page(body),
                }
                for _, fetched_at, status, encoding, body in versions
            ],
        )
