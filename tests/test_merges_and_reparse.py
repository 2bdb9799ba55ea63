"""Merges, the full-text index, revisions, categories and reparse, on real SQLite files written
the way a crawl writes them: each page read by the real page classes, normalised by the real
steps and stored by the real ArchiveWriter."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from wirecrawl.cli import main, reparse
from wirecrawl.extract import read_fetched_story
from wirecrawl.normalise.article import normalise_article
from wirecrawl.storage import ArchiveWriter, article_row, open_archive, timestamp

NEW = "http://www.kcna.kp/en/article/detail/"
OLD = "http://www.kcna.kp/en/article/q/"
ID_NEW = "ab" * 16
ID_OLD = "cd" * 16
URL_NEW = NEW + ID_NEW
URL_OLD = OLD + ID_OLD + ".kcmsf"
DAY = dt.date(2026, 7, 19)


def new_page(title: str, paragraphs: list[str]) -> bytes:
    ps = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>KCNA | {title}</title></head><body><main><article>"
        f'<div class="container"><h1 class="text-center text-danger">{title}</h1>'
        f"{ps}<p>-0-</p></div></article></main></body></html>"
    ).encode()


def old_page(title: str, paragraphs: list[str]) -> bytes:
    ps = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<html><head><title>KCNA</title><meta http-equiv="Content-Type" '
        'content="text/html; charset=utf-8"/></head><body><div class="container">'
        '<div class="col-md-9 col-sm-9 article-main">'
        f'<div class="article-main-title">{title}</div>'
        '<div class="article-content-body"><div class="content-wrapper">'
        f"{ps}<p>-0-</p></div></div>"
        '<div class="date-line"><span class="publish-time">www.kcna.kp (Juche115.7.19.)</span>'
        "</div></div></div></body></html>"
    ).encode()


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 7, 19, hour, tzinfo=dt.UTC)


def fetch(
    writer: ArchiveWriter, url: str, body: bytes, published: dt.date | None, when: dt.datetime
) -> None:
    """What the crawl does with a fetched story page (SQLiteStorePipeline.process_item)."""
    reading = read_fetched_story(url, 200, body, "utf-8", published, when)
    assert reading.outcome == "parsed", reading.outcome
    assert reading.story is not None
    assert reading.page is not None
    item = normalise_article(reading.story)
    page = reading.page
    seen = timestamp(when)
    writer.add_compressed_page(
        page.url, seen, page.status, page.encoding, page.sha256, page.body_zlib
    )
    if item.title and item.body:  # the store pipeline drops a story without title or body
        writer.add_article(article_row(item, seen=seen))


def listed(writer: ArchiveWriter, url: str, key: str, category: str, when: dt.datetime) -> None:
    writer.add_listing_entry(
        {
            "url": url,
            "story_key": key,
            "text": "entry",
            "published": DAY.isoformat(),
            "category_id": category,
            "category_name": category.upper(),
            "seen_on": "http://www.kcna.kp/en/article/list/" + category,
            "seen": timestamp(when),
        }
    )


def q(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, params))


TITLE = "Kim Jong Un Inspects Farm"
V1 = ["Pyongyang, July 19 (KCNA) -- The farm was inspected.", "It is a fine farm."]
V2 = ["Pyongyang, July 19 (KCNA) -- The farm was inspected.", "It is a very fine farm."]


def test_reparse_keeps_a_story_marked_gone_gone(tmp_path: Path) -> None:
    """A story the agency removed (its page answered 404) keeps its gone_at through reparse:
    the stored page says nothing about whether the agency still shows it."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    writer.mark_gone(URL_NEW, timestamp(at(20)))
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT gone_at FROM articles") == [(timestamp(at(20)),)]

    reparse(str(db), io.StringIO())

    assert q(db, "SELECT gone_at FROM articles") == [(timestamp(at(20)),)]


def test_reparse_does_not_revert_a_merged_story_to_an_older_text(tmp_path: Path) -> None:
    """One story under its new URL (listed) and its old URL (given with -a urls=), merged;
    then the agency edits it and a recheck of its URL stores the new text. Reparse must leave
    the current text (and the search index) as they are."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    fetch(writer, URL_OLD, old_page(TITLE, V1), None, at(9))
    writer.flush()
    assert writer.outcomes["merged"] == 1
    fetch(writer, URL_NEW, new_page(TITLE, V2), DAY, at(10))  # recheck: the agency edited it
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT count(*) FROM articles") == [(1,)]
    assert q(db, "SELECT body, last_seen FROM articles") == [
        ("The farm was inspected.\n\nIt is a very fine farm.", timestamp(at(10)))
    ]

    counts = reparse(str(db), io.StringIO())

    assert q(db, "SELECT body, last_seen FROM articles") == [
        ("The farm was inspected.\n\nIt is a very fine farm.", timestamp(at(10)))
    ]
    assert counts["changed"] == 0, counts


def test_reparse_does_not_store_a_story_the_crawl_refused(tmp_path: Path) -> None:
    """A page whose story has no body once its dateline is split off is not stored by a crawl
    (wirecrawl/store/incomplete); its page is kept. Reparse with the same extraction must not
    turn it into a story with an empty body."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page("Photo Session", ["Pyongyang, July 19 (KCNA) --"]), DAY, at(8))
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT count(*) FROM articles") == [(0,)]

    counts = reparse(str(db), io.StringIO())

    assert q(db, "SELECT id, title, body FROM articles") == []
    assert counts["new"] == 0, counts


def test_a_merged_story_is_counted_once_per_category(tmp_path: Path) -> None:
    """Both URLs of one story listed in the same category before the story was fetched:
    the category holds the story once (article_categories rows point at stored stories)."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    listed(writer, URL_NEW, ID_NEW, "c1", at(8))
    listed(writer, URL_OLD, ID_OLD, "c1", at(8))
    listed(writer, URL_OLD, ID_OLD, "c2", at(8))
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    fetch(writer, URL_OLD, old_page(TITLE, V1), DAY, at(8))
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT count(*) FROM articles") == [(1,)]
    assert q(db, "SELECT categories FROM articles") == [('["C1","C2"]',)]
    assert q(db, "SELECT category_id, count(*) FROM article_categories GROUP BY 1 ORDER BY 1") == [
        ("c1", 1),
        ("c2", 1),
    ]
    assert q(
        db,
        "SELECT count(*) FROM article_categories WHERE article_id NOT IN (SELECT id FROM articles)",
    ) == [(0,)]


def fts_in_step(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
        for rowid, title, body in conn.execute("SELECT rowid, title, body FROM articles"):
            for word in set((title + " " + body).replace(".", " ").replace(",", " ").split()):
                hits = [
                    r[0]
                    for r in conn.execute(
                        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?",
                        ['"' + word + '"'],
                    )
                ]
                assert rowid in hits, (word, title, body)
        for (word,) in [("fine",), ("very",), ("grand",), ("splendid",)]:
            hits = {
                r[0]
                for r in conn.execute(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [word]
                )
            }
            expected = {
                r[0]
                for r in conn.execute(
                    "SELECT rowid FROM articles WHERE (' ' || title || ' ' || "
                    "replace(replace(body, '.', ' '), char(10), ' ') || ' ') LIKE ?",
                    ["% " + word + " %"],
                )
            }
            assert hits == expected, word


def test_the_index_stays_in_step_through_edits_merges_and_a_failed_batch(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    v3 = [V1[0], "It is a grand farm."]
    v4 = [V1[0], "It is a splendid farm."]
    # insert and two edits in one batch, plus the old URL merged, in one batch
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    fetch(writer, URL_OLD, old_page(TITLE, V1), DAY, at(8))
    fetch(writer, URL_NEW, new_page(TITLE, V2), DAY, at(9))
    fetch(writer, URL_NEW, new_page(TITLE, v3), DAY, at(10))
    writer.flush()
    fts_in_step(db)
    # a batch with the same story twice, reverted to an earlier text, failing and written again
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER failing BEFORE INSERT ON listing_state BEGIN "
            "SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    fetch(writer, URL_NEW, new_page(TITLE, v4), DAY, at(11))
    fetch(writer, URL_OLD, old_page(TITLE, V1), DAY, at(12))
    writer.set_listing_state("c1", True, timestamp(at(12)))
    with pytest.raises(sqlite3.DatabaseError, match="disk trouble"):
        writer.flush()
    fts_in_step(db)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER failing")
    writer.flush()
    fts_in_step(db)
    revisions = q(db, "SELECT body, seen_from, seen_until FROM article_revisions ORDER BY id")
    assert [r[0].split("\n\n")[1] for r in revisions] == [
        "It is a fine farm.",
        "It is a very fine farm.",
        "It is a grand farm.",
        "It is a splendid farm.",
    ]
    assert [(r[1], r[2]) for r in revisions] == [
        (timestamp(at(8)), timestamp(at(9))),
        (timestamp(at(9)), timestamp(at(10))),
        (timestamp(at(10)), timestamp(at(11))),
        (timestamp(at(11)), timestamp(at(12))),
    ]
    writer.db.close()
    reparse(str(db), io.StringIO())
    fts_in_step(db)


def test_the_old_urls_page_with_another_spacing_of_the_dateline_is_no_revision(
    tmp_path: Path,
) -> None:
    """README: an edit is a changed word, case or punctuation, "not the spacing". The same
    story under its old URL prints its dateline without spaces (as the old layout does,
    fixtures/kcna_old/article-juche-date): merged, but not an edit."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    tight = ["Pyongyang,July 19 (KCNA)--The farm was inspected.", V1[1]]
    fetch(writer, URL_OLD, old_page(TITLE, tight), DAY, at(9))
    writer.flush()
    writer.db.close()
    assert writer.outcomes["merged"] == 1
    assert q(db, "SELECT count(*) FROM articles") == [(1,)]
    assert q(db, "SELECT dateline, title, body FROM article_revisions") == []
    assert writer.outcomes["changed"] == 0


STORED_BODY = "The farm was inspected.\n\nIt is a fine farm."


def test_reparse_never_empties_a_stored_story(tmp_path: Path) -> None:
    """A recheck finds the page cut down to its dateline: the crawl keeps the stored story
    (wirecrawl/store/incomplete) and the page. Reparse must not replace the story's text by
    nothing."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    fetch(writer, URL_NEW, new_page(TITLE, [V1[0].split("--")[0] + "--"]), DAY, at(9))
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT body FROM articles") == [
        ("The farm was inspected.\n\nIt is a fine farm.",)
    ]

    reparse(str(db), io.StringIO())

    assert q(db, "SELECT body FROM articles") == [
        ("The farm was inspected.\n\nIt is a fine farm.",)
    ]


def test_an_aggregators_copy_never_leaves_a_row_whose_source_is_not_its_url(
    tmp_path: Path,
) -> None:
    """A kcna.kp story, then the aggregator's verbatim copy of it (same title, date, text):
    whatever the identity rule makes of them, each row's `source` is the site of its `url`."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    columns = (
        "title", "published", "dateline", "dateline_place", "dateline_date", "agency", "body",
        "language",
    )  # fmt: skip
    (stored,) = q(db, f"SELECT {', '.join(columns)} FROM articles")
    writer.add_article(
        {
            **dict(zip(columns, stored, strict=True)),
            "id": "kcnawatch-567937233",
            "source": "kcnawatch.org",
            "url": "https://www.kcnawatch.org/newstream/1784419200-567937233/kim-jong-un/",
            "seen": timestamp(at(9)),
        }
    )
    writer.flush()
    writer.db.close()
    for source, url in q(db, "SELECT source, url FROM articles"):
        assert source in url, (source, url)


def test_two_urls_of_one_story_printed_in_another_case_make_no_edits(tmp_path: Path) -> None:
    # The old layout prints the headline in its own case and quotes: one story (the identity
    # rule folds both), and fetching either page again is no edit of the agency's. The text
    # shown is the current layout's, whichever page came first.
    new = new_page("Kim Jong Un Inspects \u201cSongchon\u201d Farm", V1)
    old = old_page('Kim Jong Un inspects "Songchon" farm', V1)
    for name, pages in {
        "new-first": [(URL_NEW, new), (URL_OLD, old)],
        "old-first": [(URL_OLD, old), (URL_NEW, new)],
    }.items():
        db = tmp_path / f"{name}.db"
        writer = ArchiveWriter(open_archive(db), batch_size=None)
        for hour, (url, page) in enumerate(pages * 2, start=8):
            fetch(writer, url, page, DAY, at(hour))
            writer.flush()
        writer.db.close()
        assert writer.outcomes["merged"] == 1, name
        assert writer.outcomes["changed"] == 0, name
        assert q(db, "SELECT count(*) FROM article_revisions") == [(0,)], name
        assert q(db, "SELECT title, url FROM articles") == [
            ("Kim Jong Un Inspects \u201cSongchon\u201d Farm", URL_NEW)
        ], name


OTHER_URL = NEW + "ef" * 16
OTHER = ["Pyongyang, July 19 (KCNA) -- A bridge was opened.", "It is a long bridge."]


@pytest.mark.parametrize("from_scratch", [False, True], ids=["kept", "from-scratch"])
def test_reparse_counts_a_story_kept_under_two_urls_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], from_scratch: bool
) -> None:
    """A story under its new and its old URL (merged) beside a story of one URL: two stories,
    in the counts and in what reparse prints, whether their rows are kept or rebuilt anew."""
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    # The current layout's stories as a listing shows them (the date reparse gives them).
    listed(writer, URL_NEW, ID_NEW, "c1", at(8))
    listed(writer, OTHER_URL, "ef" * 16, "c1", at(8))
    fetch(writer, URL_NEW, new_page(TITLE, V1), DAY, at(8))
    writer.flush()
    fetch(writer, URL_OLD, old_page(TITLE, V1), DAY, at(9))
    fetch(writer, OTHER_URL, new_page("Bridge Opened", OTHER), DAY, at(10))
    writer.flush()
    writer.db.close()
    assert writer.outcomes["merged"] == 1
    if from_scratch:
        q(db, "DELETE FROM articles")
        q(db, "DELETE FROM article_urls")
    outcome = "new" if from_scratch else "unchanged"

    counts = reparse(str(db), io.StringIO())

    assert q(db, "SELECT count(*) FROM articles") == [(2,)]
    assert {k: n for k, n in counts.items() if n} == {outcome: 2, "urls": 3}, counts
    assert main(["reparse", "--db", str(db)]) == 0
    assert capsys.readouterr().out == (
        "reparse done: 2 stories from the pages of 3 URLs: 2 unchanged, 0 changed, 0 new;"
        " 0 URLs read as no story\n"
    )


def test_reparse_never_dates_an_aggregator_story_by_a_teaser(tmp_path: Path) -> None:
    """An aggregator's story dated by its own page (the unix time in its URL), teased in
    another page's box with another date: reparse keeps the page's date, as the crawl does
    (README: never from a teaser's date). Teasers date kcna.kp stories only: their listings."""
    url = "https://kcnawatch.org/newstream/1784419200-567937233/"
    page = new_page(TITLE, V1).replace(b"<title>KCNA | ", b"<title>")
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    fetch(writer, url, page, None, at(8))
    writer.add_listing_entry(
        {
            "url": url,
            "story_key": "kcnawatch-567937233",
            "text": "The farm was inspected",
            "published": "2026-07-21",
            "category_id": None,
            "category_name": None,
            "seen_on": "https://kcnawatch.org/newstream/1784505600-567937300/",
            "seen": timestamp(at(9)),
        }
    )
    writer.flush()
    writer.db.close()
    assert q(db, "SELECT published FROM articles") == [("2026-07-19",)]

    reparse(str(db), io.StringIO())

    assert q(db, "SELECT published FROM articles") == [("2026-07-19",)]
