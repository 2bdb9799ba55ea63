"""The ``wirecrawl`` command: work on the archive without the network.

    wirecrawl reparse [--db data/wirecrawl.db]

``reparse`` rebuilds ``articles`` from the pages kept in ``pages``, with today's page classes
and normalising, and reports what changed, story by story (a story kept under two URLs, its
old layout's and its current one's, is one). Run it after improving extraction. Differences
it makes are ours, not the agency's, so they are not recorded as revisions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

import sqlite_utils

from wirecrawl.extract import read_story
from wirecrawl.lock import ArchiveBusyError, ArchiveLock
from wirecrawl.normalise.article import normalise_article
from wirecrawl.normalise.urls import SITE
from wirecrawl.storage import (
    STORY_OUTCOMES,
    ArchiveWriter,
    SchemaTooNewError,
    article_row,
    connect_read_only,
    iter_page_versions,
    open_archive,
)


class Progress:
    """A one-line progress count on a terminal; a line every ``every`` items elsewhere."""

    def __init__(self, total: int, out: TextIO, every: int = 1000) -> None:
        self.total, self.out, self.every = total, out, every
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.out.isatty():
            self.out.write(f"\rreparsed {self.done}/{self.total} pages")
            if self.done == self.total:
                self.out.write("\n")
        elif self.done % self.every == 0 or self.done == self.total:
            self.out.write(f"reparsed {self.done}/{self.total} pages\n")
        self.out.flush()


def reparse(db_path: str, out: TextIO) -> Counter[str]:
    """Rebuild stories from stored pages. Returns how many stories came out each way
    (``STORY_OUTCOMES``: each story once, however many URLs it is kept under), how many URLs
    had pages (``urls``) and how many of those read as no story (``not_article``)."""
    db = open_archive(db_path)
    writer = ArchiveWriter(db, rebuilding=True)
    counts: Counter[str] = Counter()
    total = db.execute("SELECT count(DISTINCT url) FROM pages").fetchone()[0]
    progress = Progress(total, out)
    # The page prints no date: the listing's date (teasers) is the story's, else what is stored.
    # Only kcna.kp's listings date stories: an aggregator's page carries its own date, and a
    # date its "More From" box prints beside a teaser is never the story's.
    published_of = dict(
        db.execute(
            "SELECT u.url, a.published FROM article_urls u JOIN articles a ON a.id = u.article_id"
        ).fetchall()
    )
    published_of.update(
        db.execute("SELECT url, published FROM teasers WHERE url LIKE ?", [f"{SITE}/%"]).fetchall()
    )
    # Pages are read through a connection of their own, one URL at a time (memory stays flat),
    # while the writer commits its batches.
    reader = sqlite_utils.Database(connect_read_only(db_path))
    for url, versions in iter_page_versions(reader):
        # The newest version that reads as a story: a later filter or error page kept for a
        # URL must not hide the good page fetched before it.
        for page in versions:
            html = page["body"].decode(page["encoding"] or "utf-8", errors="replace")
            published = published_of.get(url)
            _outcome, item = read_story(
                url,
                html,
                dt.date.fromisoformat(published) if published else None,
                dt.datetime.fromisoformat(page["fetched_at"]),
            )
            if item is not None:
                normalise_article(item)
                # A page that leaves no title or no body (cut down to its dateline, say) is
                # no story, as in a crawl (the store pipeline drops it): an older one may be.
                if not item.title or not item.body:
                    continue
                writer.add_article(article_row(item, seen=page["fetched_at"]))
                break
        else:
            counts["not_article"] += 1
        progress.step()
    writer.flush()
    counts["urls"] = total
    counts.update(writer.stories.values())
    reader.close()
    db.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wirecrawl`` command."""
    parser = argparse.ArgumentParser(
        prog="wirecrawl",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("reparse", help="rebuild articles from the stored pages")
    command.add_argument("--db", default="data/wirecrawl.db", help="the archive (SQLite file)")
    args = parser.parse_args(argv)
    if not Path(args.db).is_file():
        # Not made: an empty archive would "reparse" nothing and say it was done.
        print(f"wirecrawl: no archive at {args.db}", file=sys.stderr)
        return 2
    try:
        with ArchiveLock(args.db):
            counts = reparse(args.db, sys.stderr)
    except ArchiveBusyError as error:
        print(f"wirecrawl: {error}", file=sys.stderr)
        return 75
    except (SchemaTooNewError, sqlite3.Error) as error:
        print(f"wirecrawl: cannot use the archive {args.db}: {error}", file=sys.stderr)
        return 2
    print(f"reparse done: {summary(counts)}")
    return 0


def summary(counts: Counter[str]) -> str:
    """What ``reparse`` did, in a line: ``2 stories from the pages of 3 URLs: 2 unchanged, 0
    changed, 0 new; 0 URLs read as no story`` (and any story kept as stored, when one was)."""
    named = ("unchanged", "changed", "new")
    kept = [outcome for outcome in STORY_OUTCOMES if outcome not in named and counts[outcome]]
    stories = sum(counts[outcome] for outcome in STORY_OUTCOMES)
    outcomes = ", ".join(f"{counts[outcome]} {outcome}" for outcome in (*named, *kept))
    return (
        f"{_many(stories, 'story', 'stories')} from the pages of {_many(counts['urls'], 'URL')}:"
        f" {outcomes}; {_many(counts['not_article'], 'URL')} read as no story"
    )


def _many(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


if __name__ == "__main__":
    sys.exit(main())
