"""The archive's identity rule and writes, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from wirecrawl import storage, writing
from wirecrawl.storage import MIGRATIONS, ArchiveWriter, SchemaTooNewError, open_archive, timestamp

NEW = "http://www.kcna.kp/en/article/detail/"
OLD = "http://www.kcna.kp/en/article/q/"


def story(url: str, key: str, **fields: Any) -> dict[str, Any]:
    row = {
        "id": key,
        "source": "kcna.kp",
        "language": "en",
        "url": url,
        "title": "Kim Jong Un Inspects Farm",
        "published": "2026-07-19",
        "dateline": "Pyongyang, July 19 (KCNA) --",
        "dateline_place": "Pyongyang",
        "dateline_date": "2026-07-19",
        "agency": "KCNA",
        "body": "The farm was inspected.\n\nIt is a fine farm.",
        "seen": "2026-07-19T08:00:00+00:00",
    }
    row.update(fields)
    return row


def write(db_path: Path, *rows: dict[str, Any]) -> ArchiveWriter:
    writer = ArchiveWriter(open_archive(db_path))
    for row in rows:
        writer.add_article(row)
    writer.flush()
    return writer


def rows(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute(sql))


def test_one_story_under_old_and_new_urls_is_one_row(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = write(
        db,
        story(OLD + "aa" * 16 + ".kcmsf", "aa" * 16),
        story(NEW + "bb" * 16, "bb" * 16, title="KIM JONG UN INSPECTS FARM."),
    )
    assert writer.outcomes["merged"] == 1
    assert rows(db, "SELECT id, url FROM articles") == [("aa" * 16, NEW + "bb" * 16)]
    assert sorted(rows(db, "SELECT url, article_id FROM article_urls")) == sorted(
        [(OLD + "aa" * 16 + ".kcmsf", "aa" * 16), (NEW + "bb" * 16, "aa" * 16)]
    )


@pytest.mark.parametrize(
    "second",
    [
        pytest.param({"published": "2026-07-20"}, id="same-title-another-day"),
        pytest.param({"body": "Another text altogether."}, id="same-title-same-day-other-text"),
        pytest.param({"published": None}, id="no-date-no-merge"),
    ],
)
def test_different_stories_stay_apart(tmp_path: Path, second: dict[str, Any]) -> None:
    db = tmp_path / "a.db"
    write(db, story(NEW + "aa" * 16, "aa" * 16), story(NEW + "bb" * 16, "bb" * 16, **second))
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]


def test_a_corrected_title_under_the_same_url_is_a_revision(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    url = NEW + "aa" * 16
    write(db, story(url, "aa" * 16))
    writer = write(
        db,
        story(url, "aa" * 16, title="Kim Jong Un Inspects Farms", seen="2026-07-20T08:00:00+00:00"),
    )
    assert writer.outcomes == {"changed": 1}
    assert rows(db, "SELECT title, seen_from, seen_until FROM article_revisions") == [
        ("Kim Jong Un Inspects Farm", "2026-07-19T08:00:00+00:00", "2026-07-20T08:00:00+00:00")
    ]
    assert rows(db, "SELECT title, first_seen, last_seen FROM articles") == [
        ("Kim Jong Un Inspects Farms", "2026-07-19T08:00:00+00:00", "2026-07-20T08:00:00+00:00")
    ]


def test_spacing_changes_are_not_revisions_and_dates_are_never_nulled(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    url = NEW + "aa" * 16
    write(db, story(url, "aa" * 16))
    writer = write(
        db,
        story(url, "aa" * 16, body="The farm  was inspected. It is a fine farm.", published=None,
              dateline_date=None),
    )  # fmt: skip
    assert writer.outcomes == {"unchanged": 1}
    assert rows(db, "SELECT published, dateline_date FROM articles") == [
        ("2026-07-19", "2026-07-19")
    ]
    assert rows(db, "SELECT count(*) FROM article_revisions") == [(0,)]


@pytest.mark.parametrize(
    ("second", "kept"),
    [
        pytest.param(
            {"title": "Kim Jong Un Inspects \"Farm\""}, "title", id="title-punctuation"
        ),
        pytest.param({"title": "KIM JONG UN INSPECTS FARM"}, "title", id="title-case"),
        pytest.param(
            {"dateline": "Wonsan, July 18 (KCNA) --", "dateline_place": "Wonsan",
             "dateline_date": "2026-07-18"},
            "dateline",
            id="dateline",
        ),
    ],
)  # fmt: skip
def test_a_correction_the_identity_rule_folds_away_is_still_a_revision(
    tmp_path: Path, second: dict[str, Any], kept: str
) -> None:
    # The identity rule ignores case and punctuation to find one story under two URLs; an
    # edit of them, or of the dateline, is still the agency's edit, and the earlier text kept.
    db = tmp_path / "a.db"
    url = NEW + "aa" * 16
    first = story(url, "aa" * 16)
    write(db, first)
    writer = write(db, story(url, "aa" * 16, seen="2026-07-20T08:00:00+00:00", **second))
    assert writer.outcomes == {"changed": 1}
    assert rows(db, f"SELECT {kept} FROM article_revisions") == [(first[kept],)]
    assert rows(db, f"SELECT {kept}, content_since FROM articles") == [
        (second[kept], "2026-07-20T08:00:00+00:00")
    ]


def test_a_reading_with_undecodable_bytes_never_replaces_a_stored_story(tmp_path: Path) -> None:
    # A page whose bytes its charset cannot read gives U+FFFD in place of a character: the
    # stored text stays, no revision is recorded; a story first seen so is stored as read.
    db = tmp_path / "a.db"
    url = NEW + "aa" * 16
    write(db, story(url, "aa" * 16, title="Korea\u2019s Farmers Send Letter"))
    writer = write(
        db,
        story(url, "aa" * 16, title="Korea\ufffds Farmers Send Letter",
              seen="2026-07-20T08:00:00+00:00"),
        story(NEW + "bb" * 16, "bb" * 16, title="A New \ufffd Story", body="Another text."),
    )  # fmt: skip
    assert writer.outcomes == {"garbled_kept": 1, "new": 1}
    assert rows(db, "SELECT title, last_seen FROM articles ORDER BY id") == [
        ("Korea\u2019s Farmers Send Letter", "2026-07-19T08:00:00+00:00"),
        ("A New \ufffd Story", "2026-07-19T08:00:00+00:00"),
    ]
    assert rows(db, "SELECT count(*) FROM article_revisions") == [(0,)]


def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    open_archive(db).close()
    open_archive(db).close()
    applied = [name for (name,) in rows(db, "SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == [m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]
    assert applied[:3] == ["0001_initial", "0002_urls_revisions_pages_runs", "0003_listing_state"]


def test_a_database_from_a_newer_schema_is_refused_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    open_archive(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('wirecrawl', '0099_future', '2030-01-01')"
        )
    before = db.read_bytes()
    with pytest.raises(SchemaTooNewError, match="0099_future"):
        open_archive(db)
    assert db.read_bytes() == before


def _listed(writer: ArchiveWriter, key: str, category_id: str, published: str) -> str:
    """A story seen in a category's listing, then fetched; its URL."""
    url = NEW + key
    seen = "2026-07-20T08:00:00+00:00"
    writer.add_listing_entry(
        {
            "url": url,
            "story_key": key,
            "text": f"Story {key[-4:]}",
            "published": published,
            "category_id": category_id,
            "category_name": category_id.title(),
            "seen_on": f"http://www.kcna.kp/en/article/list/{category_id}",
            "seen": seen,
        }
    )
    writer.add_article(story(url, key, title=f"Story {key[-4:]}", published=published, seen=seen))
    return url


def test_the_stories_a_listing_no_longer_shows_are_found_to_ask_for(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db))
    days = ["2026-07-10", "2026-07-15", "2026-07-15", "2026-07-18", "2026-07-19"]
    urls = [_listed(writer, f"{n:032x}", "politics", day) for n, day in enumerate(days)]
    # Another category's story, older than the stretch read: never the politics listing's.
    other = _listed(writer, "ee" * 16, "economy", "2026-07-16")
    # The story of the 19th was first read under its old-layout URL as well.
    old_url = "http://www.kcna.kp/en/article/q/" + "ab" * 32 + ".kcmsf"
    writer.add_article(story(old_url, f"{4:032x}", title="Story 0004", published="2026-07-19"))
    writer.flush()
    writer.db.close()
    before = db.read_bytes()

    # The politics listing read down to the 15th now shows the first story of that day only.
    found = storage.unlisted_stories(
        db, {"politics": dt.date(2026, 7, 15)}, {urls[1], other}, "http://www.kcna.kp/"
    )

    # The stories of the 18th and the 19th are to ask for, each by its current-layout URL. The
    # 15th's second is not: the listing's oldest entries drop off its end day by day, so the
    # day of the last entry read may have lost some that are still on the site; the 10th is
    # older than what was read.
    assert sorted(found) == [
        (urls[3], dt.date(2026, 7, 18)),
        (urls[4], dt.date(2026, 7, 19)),
    ]
    # A story with any of its URLs seen in the crawl is not one of them.
    assert (
        storage.unlisted_stories(
            db,
            {"politics": dt.date(2026, 7, 15)},
            {urls[1], old_url, urls[3]},
            "http://www.kcna.kp/",
        )
        == []
    )
    assert db.read_bytes() == before  # read only
    # A story known under two URLs of the current layout is asked for at the one it is shown
    # at (articles.url), whatever order its URLs come in.
    moved = NEW + "cd" * 16
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO article_urls VALUES (?, ?, '2026-07-20T09:00:00+00:00', "
            "'2026-07-20T09:00:00+00:00')",
            [moved, f"{3:032x}"],
        )
        conn.execute("UPDATE articles SET url = ? WHERE id = ?", [moved, f"{3:032x}"])
    found = storage.unlisted_stories(
        db, {"politics": dt.date(2026, 7, 15)}, {urls[1], other}, "http://www.kcna.kp/"
    )
    assert sorted(found) == sorted([(moved, dt.date(2026, 7, 18)), (urls[4], dt.date(2026, 7, 19))])
    assert (
        storage.unlisted_stories(tmp_path / "none.db", {"politics": dt.date(2026, 7, 1)}, set(), "")
        == []
    )
    assert not (tmp_path / "none.db").exists()


def test_a_crawl_starts_with_the_urls_of_stories_marked_gone_left_out(tmp_path: Path) -> None:
    # Listed again, a story marked gone is fetched again (tests/test_scheduled_runs.py); the
    # removed stories are found by a partial index, not by reading every story's row.
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db))
    kept, removed = (_listed(writer, key * 16, "politics", "2026-07-15") for key in ("ab", "cd"))
    writer.mark_gone(removed, "2026-07-21T08:00:00+00:00")
    writer.flush()
    writer.db.close()

    state = storage.load_crawl_state(db, "http://www.kcna.kp/")

    assert state.stored_urls == {kept}
    assert state.gone_urls == {removed}
    assert state.undated_urls == set()
    with sqlite3.connect(db) as conn:
        plans = [
            [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM articles {where}")]
            for where in ("WHERE gone_at IS NOT NULL", "WHERE published IS NULL")
        ]
    assert plans == [
        ["SCAN articles USING INDEX idx_articles_gone"],
        ["SEARCH articles USING COVERING INDEX idx_articles_published_id (published=?)"],
    ]


def test_the_end_of_crawl_check_reads_only_the_categorys_stories(tmp_path: Path) -> None:
    # Read in date order instead, a 100,000-story archive took about 0.5 s a category,
    # reading every story's body on the way (docs/benchmarks.md).
    db = tmp_path / "a.db"
    open_archive(db).close()
    with sqlite3.connect(db) as conn:
        query = storage._LISTED_STORIES_AFTER
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query, ["c", "2026"])]
    assert plan[0].startswith("SEARCH c USING INDEX idx_article_categories_category_id")
    assert plan[1].startswith("SEARCH a USING INDEX sqlite_autoindex_articles_1 (id=?)")
    # Their URLs in the same query, each story's by its index.
    assert plan[2].startswith("SEARCH u USING INDEX idx_article_urls_article_id (article_id=?)")


def test_stored_pages_are_standard_zlib_and_pages_of_earlier_versions_still_read() -> None:
    """``pages.body`` is a zlib stream any zlib reads (sqlite3 users, other tools), and the
    pages stored before ISA-L wrote them (the standard library's zlib, level 6) still read."""
    import zlib

    from wirecrawl.pagebody import compress_page, decompress_page

    html = ("<p>Pyongyang, June 1 (KCNA) -- Kim Jong Un visited a farm. 평양</p>\n" * 200).encode()
    stored = compress_page(html)
    assert zlib.decompress(stored) == html
    assert len(stored) < len(html) / 10
    assert decompress_page(zlib.compress(html, 6)) == html
    assert decompress_page(compress_page(b"")) == b""


def test_timestamps_are_utc_to_the_second_whatever_came_before() -> None:
    # The last second formatted is kept: a moment in the same second, given in another zone,
    # must give the same text; the next second, or the same wall clock in another zone, not.
    seoul = dt.timezone(dt.timedelta(hours=9))
    first = dt.datetime(2026, 7, 19, 8, 0, 0, 100, tzinfo=dt.UTC)
    assert timestamp(first) == "2026-07-19T08:00:00+00:00"
    assert timestamp(first.replace(microsecond=999_999)) == "2026-07-19T08:00:00+00:00"
    assert timestamp(first.astimezone(seoul)) == "2026-07-19T08:00:00+00:00"
    assert timestamp(first.replace(tzinfo=seoul)) == "2026-07-18T23:00:00+00:00"
    assert timestamp(first + dt.timedelta(seconds=1)) == "2026-07-19T08:00:01+00:00"
    assert timestamp(dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=dt.UTC)) == (
        "1969-12-31T23:59:59+00:00"
    )
    assert timestamp(dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) == "1970-01-01T00:00:00+00:00"


AGGREGATOR = "https://kcnawatch.org/newstream/1764550800-568100000/"


def _teaser(url: str, seen: str, seen_on: str, published: str | None, text: str) -> dict[str, Any]:
    return {
        "url": url,
        "story_key": "kcnawatch-568100000",
        "text": text,
        "published": published,
        "category_id": None,
        "category_name": None,
        "seen_on": seen_on,
        "seen": seen,
    }


def test_an_archive_with_a_story_teased_under_several_urls_keeps_one_teaser_when_opened(
    tmp_path: Path,
) -> None:
    # Archives written before migration 0011 kept an aggregator's teaser once per URL as
    # linked: with and without www. and its slug. Opened, they hold it once, under the story's
    # canonical URL, first seen and last seen where and when it was.
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db))
    for url, seen, published, text in [
        (AGGREGATOR + "rason-municipality/", "2025-12-02T06:00:00+00:00", None, "First"),
        ("https://www.kcnawatch.org/newstream/1764550800-568100000/rason/",
         "2025-12-03T06:00:00+00:00", "2025-12-01", "Second"),
        (AGGREGATOR, "2025-12-04T06:00:00+00:00", "2025-12-01", "Third"),
    ]:  # fmt: skip
        writer.add_listing_entry(
            _teaser(url, seen, f"https://kcnawatch.org/on/{text}", published, text)
        )
    listed = "http://www.kcna.kp/en/article/detail/" + "ab" * 16
    writer.add_listing_entry(
        {**_teaser(listed, "2025-12-02T06:00:00+00:00", "http://www.kcna.kp/en", None, "Kcna"),
         "story_key": "ab" * 16}
    )  # fmt: skip
    writer.flush()
    writer.db.close()
    assert rows(db, "SELECT count(*) FROM teasers") == [(4,)]
    gone = "2025-12-05T06:00:00+00:00"  # its page answered 404 after every sighting
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE teasers SET gone_at = ? WHERE url = ?", [gone, AGGREGATOR])
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_teaser_urls'")

    open_archive(db).close()

    assert rows(
        db,
        "SELECT url, story_key, text, published, first_seen_on, first_seen_at, last_seen_on, "
        "last_seen_at, gone_at FROM teasers ORDER BY first_seen_on",
    ) == [
        (listed, "ab" * 16, "Kcna", None, "http://www.kcna.kp/en", "2025-12-02T06:00:00+00:00",
         "http://www.kcna.kp/en", "2025-12-02T06:00:00+00:00", None),
        (AGGREGATOR, "kcnawatch-568100000", "First", "2025-12-01",
         "https://kcnawatch.org/on/First", "2025-12-02T06:00:00+00:00",
         "https://kcnawatch.org/on/Third", "2025-12-04T06:00:00+00:00", gone),
    ]  # fmt: skip


def test_an_archive_whose_teaser_rows_lack_sighting_times_still_opens(tmp_path: Path) -> None:
    # The schema lets a teaser row go without its sighting times (a row written by another
    # tool, or by hand): migration 0011 merging such rows of one story, one of them marked
    # gone, must not fail, or the archive could never be opened again.
    db = tmp_path / "a.db"
    open_archive(db).close()
    gone = "2025-12-05T06:00:00+00:00"
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO teasers (url, story_key, text, published, gone_at) VALUES (?, ?, ?, ?, ?)",
            [
                (AGGREGATOR + "rason-municipality/", "kcnawatch-568100000", "First", None, None),
                (AGGREGATOR, "kcnawatch-568100000", "Second", "2025-12-01", gone),
            ],
        )
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_teaser_urls'")

    open_archive(db).close()

    assert rows(db, "SELECT url, published, last_seen_at, gone_at FROM teasers") == [
        (AGGREGATOR, "2025-12-01", None, gone)
    ]


def test_a_held_story_read_again_under_another_url_in_the_run_is_still_one_story(
    tmp_path: Path,
) -> None:
    """A crawl's writer holds a stored story without a dateline read again with another text
    until the crawl's end (gap 63). Read later in the same crawl under another of its URLs
    (its new layout's, with another key) with that same text, it is the story held, merged
    into it as it would be had the edit been written at once, not a second story."""
    db = tmp_path / "a.db"
    undated = {"dateline": None, "dateline_place": None, "dateline_date": None, "agency": None}
    write(db, story(OLD + "aa" * 16 + ".kcmsf", "aa" * 16, **undated))
    writer = ArchiveWriter(open_archive(db), batch_size=None, hold_undatelined=True)
    edited = {**undated, "body": "The farm was inspected.\n\nIt is a very fine farm."}
    writer.write(
        [
            (
                "article",
                story(
                    OLD + "aa" * 16 + ".kcmsf",
                    "aa" * 16,
                    seen="2026-07-20T08:00:00+00:00",
                    **edited,
                ),
            )
        ]
    )
    assert len(writer.held) == 1
    writer.write(
        [("article", story(NEW + "bb" * 16, "bb" * 16, seen="2026-07-20T09:00:00+00:00", **edited))]
    )
    writer.release_held()
    assert rows(db, "SELECT id, url, body FROM articles") == [
        ("aa" * 16, NEW + "bb" * 16, edited["body"])
    ]
    assert rows(db, "SELECT article_id, body FROM article_revisions") == [
        ("aa" * 16, "The farm was inspected.\n\nIt is a fine farm.")
    ]
    assert writer.outcomes["new"] == 0
    assert writer.outcomes["merged"] == 1
    assert writer.outcomes["changed"] == 1


SECOND = "2026-07-19T08:00:00+00:00"
"""A run's last write and the next run's start, in the same second (timestamps are to it)."""


def gone_at(db_path: Path, key: str) -> str | None:
    return rows(db_path, f"SELECT gone_at FROM articles WHERE id = '{key}'")[0][0]


def test_a_404_just_after_the_run_that_stored_the_story_still_marks_it_gone(tmp_path: Path) -> None:
    # A run stored the story in its last second; the next run, started in that same second,
    # found its page answering 404. Compared by time alone (last seen since the run's start,
    # to the second), the story passed for one read in this run and stayed ungone.
    db = tmp_path / "a.db"
    write(db, story(NEW + "aa", "a" * 32, seen=SECOND)).db.close()
    run = ArchiveWriter(open_archive(db), batch_size=None)

    run.mark_gone(NEW + "aa", SECOND, since=SECOND)
    run.flush()

    assert gone_at(db, "a" * 32) == SECOND
    assert run.outcomes["gone"] == 1


def test_a_404_of_a_story_read_in_the_run_under_its_new_url_does_not_mark_it_gone(
    tmp_path: Path,
) -> None:
    # The agency moved the story: read from its new URL in one batch, its old URL's 404 in a
    # later batch of the same run marks its old listing entry only (docs/reliability.md, gap 57).
    db = tmp_path / "a.db"
    write(db, story(OLD + "1", "b" * 32, seen="2026-07-18T08:00:00+00:00")).db.close()
    run = ArchiveWriter(open_archive(db), batch_size=None)
    run.add_article(story(NEW + "bb", "b" * 32, seen=SECOND))
    run.flush()

    run.mark_gone(OLD + "1", SECOND, since=SECOND)
    run.flush()

    assert gone_at(db, "b" * 32) is None
    assert run.outcomes["gone"] == 0


def test_a_writer_that_took_over_mid_run_leaves_a_story_last_seen_since_the_start(
    tmp_path: Path,
) -> None:
    # The crawl's thread writing after its writing worker died does not know what the worker
    # read: a story last seen since the crawl's start (to the second) may have been read in the
    # run, and is left as it is; one last seen before is marked gone.
    db = tmp_path / "a.db"
    earlier = "2026-07-19T07:59:59+00:00"
    write(
        db,
        story(NEW + "cc", "c" * 32, seen=SECOND),
        story(NEW + "dd", "d" * 32, seen=earlier, title="Another Story", body="Other text."),
    ).db.close()
    taken_over = ArchiveWriter(open_archive(db), batch_size=None)
    taken_over.whole_run = False

    taken_over.mark_gone(NEW + "cc", SECOND, since=SECOND)
    taken_over.mark_gone(NEW + "dd", SECOND, since=SECOND)
    taken_over.flush()

    assert gone_at(db, "c" * 32) is None
    assert gone_at(db, "d" * 32) == SECOND


@pytest.mark.parametrize(("worker", "marked"), [(False, SECOND), (True, None)])
def test_the_crawls_own_thread_writing_for_its_writing_worker_knows_it_missed_batches(
    tmp_path: Path, worker: bool, marked: str | None
) -> None:
    # ``wirecrawl.writing`` in the crawl's process: the crawl's only writer when it runs
    # without workers; else the writing worker has died, and wrote what came before.
    db = tmp_path / "a.db"
    write(db, story(NEW + "ee", "e" * 32, seen=SECOND)).db.close()
    gone = storage.ArchiveRows()
    gone.mark_gone(NEW + "ee", SECOND, since=SECOND)

    writing.finish(str(db), gone.take(), worker=worker)

    assert gone_at(db, "e" * 32) == marked
