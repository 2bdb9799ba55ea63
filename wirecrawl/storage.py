"""The archive: one SQLite file, written through sqlite-utils.

Tables (created and changed only by the recorded migrations below):

- ``articles``: one row per story; ``articles_fts`` searches its title and body.
- ``article_urls``: every URL a story was seen at (one story, many URLs).
- ``article_revisions``: earlier versions of stories the agency edited.
- ``article_categories``: which category listings a story appeared in.
- ``teasers``: every listing entry seen, once per story URL: what the agency listed, and when.
- ``pages``: the fetched HTML of every story page, zlib-compressed, once per distinct content.
- ``runs``: one row per crawl, with its counts and alarms.

Writes are batched in transactions (a killed crawl loses at most the open batch, which the
next run fetches again) and idempotent: re-storing a story keeps its row and ``first_seen``.
The identity rule that decides which row a story belongs to is in ``wirecrawl.normalise.identity``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from wirecrawl.normalise.identity import content_hash, title_key

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


def timestamp(moment: dt.datetime) -> str:
    """UTC ISO timestamp to the second: ``2026-07-19T08:00:00+00:00``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def iso_date(day: dt.date | None) -> str | None:
    """``YYYY-MM-DD`` or None."""
    return day.isoformat() if day is not None else None


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
    return db


def open_archive(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at ``path`` and bring its schema up to date.

    Raises SchemaTooNewError, changing nothing, for a database of a newer schema.
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
    return db


@dataclass
class CrawlState:
    """What a new crawl needs to know of the archive before it starts."""

    stored_urls: set[str] = field(default_factory=set)
    """Every URL a stored story was seen at."""
    unstored: list[tuple[str, dt.date | None]] = field(default_factory=list)
    """Stories listed before but never stored (failed, blocked): URL and listing date."""
    recheck: list[tuple[str, dt.date | None]] = field(default_factory=list)
    """Stored stories to fetch again for edits (``recheck_days``): URL and listing date."""


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_crawl_state(
    path: str | Path, url_prefix: str, recheck_since: dt.datetime | None = None
) -> CrawlState:
    """Read what is stored, for URLs starting with ``url_prefix``; empty for a new archive."""
    path = Path(path)
    state = CrawlState()
    if not path.exists():
        return state
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "article_urls" not in tables:
            return state
        like = url_prefix + "%"
        state.stored_urls = {
            row[0] for row in conn.execute("SELECT url FROM article_urls WHERE url LIKE ?", [like])
        }
        rows = conn.execute(
            "SELECT url, published FROM teasers WHERE url LIKE ? AND url NOT IN "
            "(SELECT url FROM article_urls) ORDER BY published DESC",
            [like],
        )
        state.unstored = [(url, _day(published)) for url, published in rows]
        if recheck_since is not None:
            rows = conn.execute(
                "SELECT url, published FROM articles WHERE url LIKE ? AND first_seen >= ? "
                "AND gone_at IS NULL ORDER BY published DESC",
                [like, timestamp(recheck_since)],
            )
            state.recheck = [(url, _day(published)) for url, published in rows]
    return state


# --- writing ------------------------------------------------------------------------------

_ARTICLE_COLUMNS = (
    "source", "language", "url", "title", "published", "dateline", "dateline_place",
    "dateline_date", "agency", "body",
)  # fmt: skip

_INSERT_ARTICLE = f"""
INSERT INTO articles (id, {", ".join(_ARTICLE_COLUMNS)}, title_key, content_hash,
                      content_since, first_seen, last_seen)
VALUES (:id, {", ".join(":" + c for c in _ARTICLE_COLUMNS)}, :title_key, :content_hash,
        :seen, :seen, :seen)
"""

_UPDATE_ARTICLE = """
UPDATE articles SET
    source = :source, language = :language, url = :url, title = :title,
    -- A crawl of a single page knows no listing date: never replace a known date with NULL.
    published = coalesce(:published, published),
    dateline = :dateline, dateline_place = :dateline_place,
    dateline_date = coalesce(:dateline_date, dateline_date),
    agency = :agency, body = :body, title_key = :title_key,
    content_since = CASE WHEN content_hash = :content_hash THEN content_since ELSE :seen END,
    content_hash = :content_hash, last_seen = :seen, gone_at = NULL
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
"""

_UPSERT_TEASER = """
INSERT INTO teasers (url, story_key, text, published, first_seen_on, first_seen_at,
                     last_seen_on, last_seen_at)
VALUES (:url, :story_key, :text, :published, :seen_on, :seen, :seen_on, :seen)
ON CONFLICT(url) DO UPDATE SET
    published = coalesce(teasers.published, excluded.published),
    last_seen_on = excluded.last_seen_on,
    last_seen_at = excluded.last_seen_at
"""

_UPSERT_PAGE = """
INSERT INTO pages (url, fetched_at, last_fetched_at, status, sha256, encoding, body)
VALUES (:url, :fetched_at, :fetched_at, :status, :sha256, :encoding, :body)
ON CONFLICT(url, sha256) DO UPDATE SET last_fetched_at = excluded.last_fetched_at
"""

# The JSON list of a story's category names, kept beside the table for datasette's facets.
_REFRESH_CATEGORIES = """
UPDATE articles SET categories = (
    SELECT json_group_array(category_name) FROM (
        SELECT category_name FROM article_categories
        WHERE article_id = articles.id ORDER BY category_name
    )
) WHERE id = ?
"""


def compress_page(body: bytes) -> bytes:
    """Page HTML as stored in ``pages.body``."""
    return zlib.compress(body, 6)


def decompress_page(stored: bytes) -> bytes:
    """Page HTML from ``pages.body``."""
    return zlib.decompress(stored)


class ArchiveWriter:
    """Buffers what a crawl found and writes it in one transaction per batch.

    ``outcomes`` counts what happened to stories: ``new``, ``changed``, ``unchanged`` and
    ``merged`` (a known story seen under another URL); ``gone`` counts stories marked gone.
    """

    def __init__(
        self, db: sqlite_utils.Database, batch_size: int = 200, record_revisions: bool = True
    ) -> None:
        self.db = db
        self.batch_size = batch_size
        self.record_revisions = record_revisions
        self.outcomes: Counter[str] = Counter()
        self._queue: list[tuple[str, dict[str, Any]]] = []

    def add_article(self, row: dict[str, Any]) -> None:
        """Queue a story: the ``articles`` columns, ``id`` (the site's key) and ``seen``."""
        row = dict(row)
        row["title_key"] = title_key(row["title"])
        row["content_hash"] = content_hash(row["title"], row["body"])
        self._add("article", row)

    def add_listing_entry(self, row: dict[str, Any]) -> None:
        """Queue a listing entry: url, story_key, text, published, seen_on, seen and, for a
        category listing, category_id and category_name."""
        self._add("entry", row)

    def add_page(self, url: str, fetched_at: str, status: int, body: bytes, encoding: str) -> None:
        """Queue a fetched story page; a content already stored for the URL is kept once."""
        row = {
            "url": url,
            "fetched_at": fetched_at,
            "status": status,
            "sha256": hashlib.sha256(body).hexdigest(),
            "encoding": encoding,
            "body": compress_page(body),
        }
        self._add("page", row)

    def mark_gone(self, url: str, seen: str) -> None:
        """Queue the fact that a stored story's page answered 404 (the agency removed it)."""
        self._add("gone", {"url": url, "seen": seen})

    def pending(self) -> int:
        """How many rows wait for the next flush."""
        return len(self._queue)

    def _add(self, kind: str, row: dict[str, Any]) -> None:
        self._queue.append((kind, row))
        if len(self._queue) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write everything queued, in order, in one transaction."""
        if not self._queue:
            return
        touched: set[str] = set()
        with self.db.conn as conn:
            for kind, row in self._queue:
                if kind == "article":
                    touched.add(self._write_article(conn, row))
                elif kind == "entry":
                    conn.execute(_UPSERT_TEASER, row)
                    if row.get("category_id"):
                        conn.execute(_ADD_CATEGORY, row)
                        touched.add(self._article_id_of(conn, row["url"]) or row["story_key"])
                elif kind == "page":
                    conn.execute(_UPSERT_PAGE, row)
                elif kind == "gone":
                    self.outcomes["gone"] += conn.execute(
                        "UPDATE articles SET gone_at = :seen WHERE gone_at IS NULL AND id = "
                        "(SELECT article_id FROM article_urls WHERE url = :url)",
                        row,
                    ).rowcount
            conn.executemany(_REFRESH_CATEGORIES, [(key,) for key in sorted(touched)])
        self._queue.clear()

    @staticmethod
    def _article_id_of(conn: sqlite3.Connection, url: str) -> str | None:
        found = conn.execute("SELECT article_id FROM article_urls WHERE url = ?", [url]).fetchone()
        return str(found[0]) if found else None

    def _write_article(self, conn: sqlite3.Connection, row: dict[str, Any]) -> str:
        """Store one story by the identity rule; returns the id of its row."""
        article_id = self._article_id_of(conn, row["url"])
        if article_id is None and row["published"] is not None:
            same = conn.execute(
                "SELECT id FROM articles WHERE title_key = ? AND published = ? "
                "AND content_hash = ?",
                [row["title_key"], row["published"], row["content_hash"]],
            ).fetchone()
            if same is not None:
                article_id = str(same[0])
                self.outcomes["merged"] += 1
                # Categories seen under this URL's own key belong to the story found.
                conn.execute(
                    "UPDATE OR IGNORE article_categories SET article_id = ? WHERE article_id = ?",
                    [article_id, row["id"]],
                )
        if (
            article_id is None
            and conn.execute("SELECT 1 FROM articles WHERE id = ?", [row["id"]]).fetchone()
        ):
            article_id = row["id"]
        if article_id is None:
            conn.execute(_INSERT_ARTICLE, row)
            self.outcomes["new"] += 1
            article_id = row["id"]
        else:
            title, body, url = conn.execute(
                "SELECT title, body, url FROM articles WHERE id = ?", [article_id]
            ).fetchone()
            values = {**row, "id": article_id, "url": _preferred_url(url, row["url"])}
            # Compare with the stored text itself, not a stored hash that might lag behind it.
            if content_hash(title, body) != row["content_hash"]:
                if self.record_revisions:
                    conn.execute(_SAVE_REVISION, values)
                self.outcomes["changed"] += 1
            else:
                self.outcomes["unchanged"] += 1
            conn.execute(_UPDATE_ARTICLE, values)
        conn.execute(_SEE_URL, {"url": row["url"], "id": article_id, "seen": row["seen"]})
        return article_id

    def mark_vanished(
        self,
        category_id: str,
        oldest: str | None,
        reached_end: bool,
        listed_urls: set[str],
        seen: str,
    ) -> int:
        """Mark gone the stored stories of a category that its listing no longer shows.

        Only the stretch of the listing that was read counts: stories published after
        ``oldest`` (the date of the last entry read), or all of them when the listing was read
        to its end. A story listed anywhere in this crawl (``listed_urls``) is not gone.
        """
        self.flush()
        if oldest is None and not reached_end:
            return 0
        query = (
            "SELECT a.id FROM articles a JOIN article_categories c ON c.article_id = a.id "
            "WHERE c.category_id = ? AND a.gone_at IS NULL AND a.published IS NOT NULL"
        )
        params: list[Any] = [category_id]
        if not reached_end:
            query += " AND a.published > ?"
            params.append(oldest)
        gone = []
        for (article_id,) in self.db.conn.execute(query, params).fetchall():
            urls = _column(
                self.db.conn, "SELECT url FROM article_urls WHERE article_id = ?", article_id
            )
            if not urls & listed_urls:
                gone.append(article_id)
        with self.db.conn as conn:
            conn.executemany(
                "UPDATE articles SET gone_at = ? WHERE id = ?", [(seen, key) for key in gone]
            )
        self.outcomes["gone"] += len(gone)
        return len(gone)


def _column(conn: sqlite3.Connection, sql: str, *params: Any) -> set[str]:
    return {str(row[0]) for row in conn.execute(sql, params)}


def _preferred_url(stored: str, seen: str) -> str:
    """The URL a story is shown under: the current layout's wins over the old ``.kcmsf`` one."""
    if stored.endswith(".kcmsf") and not seen.endswith(".kcmsf"):
        return seen
    return stored


def iter_pages(db: sqlite_utils.Database) -> Iterable[dict[str, Any]]:
    """The newest stored page of every URL, oldest URL first, HTML decompressed."""
    rows = db.conn.execute(
        "SELECT url, max(last_fetched_at) AS fetched_at, status, encoding, body "
        "FROM pages GROUP BY url ORDER BY min(fetched_at), url"
    )
    for url, fetched_at, status, encoding, body in rows:
        yield {
            "url": url,
            "fetched_at": fetched_at,
            "status": status,
            "encoding": encoding,
            "body": decompress_page(body),
        }
