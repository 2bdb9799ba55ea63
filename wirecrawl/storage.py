"""The archive: one SQLite file, written through sqlite-utils.

Tables (created and changed only by the recorded migrations below):

- ``articles``: one row per story; ``articles_fts`` searches its title and body.
- ``article_categories``: which category listings a story appeared in.
- ``teasers``: every listing entry seen, once per story URL: what the agency listed, and when.

Writes are batched in transactions (a killed crawl loses at most the open batch, which the
next run fetches again) and idempotent: re-storing a story keeps its row and ``first_seen``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

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


def timestamp(moment: dt.datetime) -> str:
    """UTC ISO timestamp to the second: ``2026-07-19T08:00:00+00:00``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def iso_date(day: dt.date | None) -> str | None:
    """``YYYY-MM-DD`` or None."""
    return day.isoformat() if day is not None else None


def open_archive(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at ``path`` and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    db = sqlite_utils.Database(conn)
    # WAL lets datasette read while a crawl writes; a busy timeout rides out short locks.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA foreign_keys=ON")
    MIGRATIONS.apply(db)
    return db


_UPSERT_ARTICLE = """
INSERT INTO articles (id, source, language, url, title, published, dateline, dateline_place,
                      dateline_date, agency, body, first_seen, last_seen)
VALUES (:id, :source, :language, :url, :title, :published, :dateline, :dateline_place,
        :dateline_date, :agency, :body, :first_seen, :last_seen)
ON CONFLICT(id) DO UPDATE SET
    source = excluded.source,
    language = excluded.language,
    url = excluded.url,
    title = excluded.title,
    -- A crawl of a single page knows no listing date: never replace a known date with NULL.
    published = coalesce(excluded.published, articles.published),
    dateline = excluded.dateline,
    dateline_place = excluded.dateline_place,
    dateline_date = coalesce(excluded.dateline_date, articles.dateline_date),
    agency = excluded.agency,
    body = excluded.body,
    last_seen = excluded.last_seen
"""

_ADD_CATEGORY = """
INSERT INTO article_categories (article_id, category_id, category_name, first_seen)
VALUES (:article_id, :category_id, :category_name, :first_seen)
ON CONFLICT(article_id, category_id) DO NOTHING
"""

_UPSERT_TEASER = """
INSERT INTO teasers (url, story_key, text, published, first_seen_on, first_seen_at,
                     last_seen_on, last_seen_at)
VALUES (:url, :story_key, :text, :published, :seen_on, :seen_at, :seen_on, :seen_at)
ON CONFLICT(url) DO UPDATE SET
    published = coalesce(teasers.published, excluded.published),
    last_seen_on = excluded.last_seen_on,
    last_seen_at = excluded.last_seen_at
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


class ArchiveWriter:
    """Buffers rows and writes them in one transaction per batch."""

    def __init__(self, db: sqlite_utils.Database, batch_size: int = 100) -> None:
        self.db = db
        self.batch_size = batch_size
        self._articles: list[dict[str, Any]] = []
        self._categories: list[dict[str, Any]] = []
        self._teasers: list[dict[str, Any]] = []

    def add_article(self, row: dict[str, Any]) -> None:
        """Queue a story row (keys: the ``articles`` columns but ``categories``)."""
        self._articles.append(row)
        self._flush_if_full()

    def add_category(self, article_id: str, category_id: str, name: str, seen: str) -> None:
        """Queue the fact that a story was listed in a category."""
        self._categories.append(
            {
                "article_id": article_id,
                "category_id": category_id,
                "category_name": name,
                "first_seen": seen,
            }
        )
        self._flush_if_full()

    def add_teaser(self, row: dict[str, Any]) -> None:
        """Queue a listing entry (keys: url, story_key, text, published, seen_on, seen_at)."""
        self._teasers.append(row)
        self._flush_if_full()

    def pending(self) -> int:
        """How many rows wait for the next flush."""
        return len(self._articles) + len(self._categories) + len(self._teasers)

    def _flush_if_full(self) -> None:
        if self.pending() >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write everything queued in one transaction."""
        if not self.pending():
            return
        touched = {row["id"] for row in self._articles}
        touched.update(row["article_id"] for row in self._categories)
        with self.db.conn:
            conn = self.db.conn
            conn.executemany(_UPSERT_ARTICLE, self._articles)
            conn.executemany(_ADD_CATEGORY, self._categories)
            conn.executemany(_UPSERT_TEASER, self._teasers)
            conn.executemany(_REFRESH_CATEGORIES, [(key,) for key in sorted(touched)])
        self._articles.clear()
        self._categories.clear()
        self._teasers.clear()
