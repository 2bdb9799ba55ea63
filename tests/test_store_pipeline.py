"""SQLiteStorePipeline hands its batches to the writing worker (or, without workers, writes
them on the crawl's thread): in order, a failed batch written again with the next, nothing
lost, outcomes counted once; against a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from wirecrawl.items import ArticleItem, ListingStateItem
from wirecrawl.pipelines.store import SQLiteStorePipeline

AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

with_and_without_worker = pytest.mark.parametrize(
    "use_worker", [True, False], ids=["worker", "crawl-thread"]
)


async def feed(pipeline: SQLiteStorePipeline, item: Any) -> Any:
    """``process_item`` as Scrapy calls it: awaited when it returns a coroutine."""
    result = pipeline.process_item(item)
    return await result if inspect.isawaitable(result) else result


def state(category: str) -> ListingStateItem:
    return ListingStateItem(category_id=category, complete=True, at=AT)


def story(number: int, text: str) -> ArticleItem:
    """A normalised story, as the text pipelines leave it."""
    return ArticleItem(
        url=f"http://www.kcna.kp/en/article/detail/{number:032x}",
        story_key=f"{number:032x}",
        source="kcna.kp",
        title=f"Story {number}",
        paragraphs=[text],
        body=text,
        published=dt.date(2026, 11, 26),
        fetched_at=AT,
    )


def fail_listing_state_writes(db: Path, failing: bool) -> None:
    """A fault switched on (or off) from outside, with a real SQLite trigger: while it is on,
    every write to ``listing_state`` fails, and with it the batch that holds it."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS fault (on_ INTEGER)")
        conn.execute(
            "CREATE TRIGGER IF NOT EXISTS failing BEFORE INSERT ON listing_state "
            "WHEN EXISTS (SELECT 1 FROM fault) BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        conn.execute("DELETE FROM fault")
        if failing:
            conn.execute("INSERT INTO fault VALUES (1)")


def new_pipeline(
    tmp_path: Path, batch_size: int, use_worker: bool
) -> tuple[Path, StatsCollector, SQLiteStorePipeline]:
    """A store pipeline for a new archive in ``tmp_path``, with a crawl's stats."""
    crawler = get_crawler()
    assert crawler.stats is not None
    db = tmp_path / "archive.db"
    return db, crawler.stats, SQLiteStorePipeline(str(db), crawler.stats, batch_size, use_worker)


def stored_categories(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT category_id FROM listing_state ORDER BY 1")]


@with_and_without_worker
def test_a_failed_batch_is_written_again_with_the_next(tmp_path: Path, use_worker: bool) -> None:
    db, stats, pipeline = new_pipeline(tmp_path, 2, use_worker)

    async def crawl() -> None:
        pipeline.open_spider()
        # A fault switched on from outside: every write to listing_state fails meanwhile.
        fail_listing_state_writes(db, True)
        for category in ("a", "b", "c", "d"):
            assert await feed(pipeline, state(category)) == state(category)
        # Handing over (c, d) waited for (a, b), which failed; (c, d) went with it (and may
        # have failed already: on the crawl's thread, a write is done when it starts).
        assert stats.get_value("wirecrawl/store/batch_failed") in (1, 2)
        await pipeline.written()
        assert stats.get_value("wirecrawl/store/batch_failed") == 2
        assert stored_categories(db) == []
        fail_listing_state_writes(db, False)
        for category in ("e", "f"):
            await feed(pipeline, state(category))
        await pipeline.written()
        # The third batch carried the two that failed.
        assert stats.get_value("wirecrawl/store/batch_failed") == 2
        assert stored_categories(db) == ["a", "b", "c", "d", "e", "f"]
        await pipeline.close_spider()

    asyncio.run(crawl())
    assert stored_categories(db) == ["a", "b", "c", "d", "e", "f"]


@with_and_without_worker
def test_batches_are_written_while_the_crawl_goes_on_and_all_at_close(
    tmp_path: Path, use_worker: bool
) -> None:
    db, _stats, pipeline = new_pipeline(tmp_path, 10, use_worker)

    async def crawl() -> list[str]:
        pipeline.open_spider()
        for number in range(25):
            await feed(pipeline, state(f"{number:02d}"))
        # Two batches handed over, and the first was written before the second was handed.
        during = stored_categories(db)
        await pipeline.close_spider()
        return during

    during = asyncio.run(crawl())
    assert len(during) in (10, 20)
    assert during == [f"{n:02d}" for n in range(len(during))]
    assert stored_categories(db) == [f"{n:02d}" for n in range(25)]


@with_and_without_worker
def test_outcomes_are_counted_once_even_when_a_batch_failed_first(
    tmp_path: Path, use_worker: bool
) -> None:
    db, stats, pipeline = new_pipeline(tmp_path, 4, use_worker)

    async def crawl() -> None:
        pipeline.open_spider()
        # The first batch's stories go in, then the fault fails the whole batch.
        fail_listing_state_writes(db, True)
        # Each story is two rows (its text and its listing state here): 2 stories a batch.
        for number in range(4):
            await feed(pipeline, story(number, f"Text of story {number}."))
            await feed(pipeline, state(f"{number}"))
        await pipeline.written()
        assert stats.get_value("wirecrawl/store/batch_failed") == 2
        assert stats.get_value("wirecrawl/store/new") is None
        fail_listing_state_writes(db, False)
        # The same two stories again (unchanged) and a third, new one.
        await feed(pipeline, story(0, "Text of story 0."))
        await feed(pipeline, story(9, "Text of story 9."))
        await pipeline.close_spider()

    asyncio.run(crawl())
    # Four new stories (written once, at close, with the rows of the failed batches), story 0
    # seen again unchanged, and story 9 new: no count from the batches that rolled back.
    assert stats.get_value("wirecrawl/store/new") == 5
    assert stats.get_value("wirecrawl/store/unchanged") == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 5


def test_a_pipeline_that_never_opened_closes_without_touching_the_archive(tmp_path: Path) -> None:
    # Scrapy may close a crawl whose opening failed (a database of a newer schema, say).
    db, stats, pipeline = new_pipeline(tmp_path, 10, True)
    asyncio.run(pipeline.close_spider())
    assert not db.exists()
    assert stats.get_value("wirecrawl/writer/worker_cpu_seconds") is None


def test_rows_queued_just_after_a_full_batch_are_written_within_flush_seconds(
    tmp_path: Path,
) -> None:
    # A batch handed over by its size, one more row, then the site stalls: that row is in the
    # archive once it has waited flush_seconds (and a little), not nearly twice that.
    db = tmp_path / "archive.db"
    pipeline = SQLiteStorePipeline(str(db), get_crawler().stats, 2, False, flush_seconds=1.0)

    async def crawl() -> list[str]:
        pipeline.open_spider()
        await asyncio.sleep(0.5)
        await feed(pipeline, state("a"))
        await feed(pipeline, state("b"))  # a full batch: handed over now
        await feed(pipeline, state("c"))  # then nothing comes
        await asyncio.sleep(1.4)
        during = stored_categories(db)
        await pipeline.close_spider()
        return during

    assert asyncio.run(crawl()) == ["a", "b", "c"]


def test_a_writing_worker_that_died_leaves_the_run_s_doubt_of_its_story_pages(
    tmp_path: Path,
) -> None:
    """A story stored with a dateline and read again without it says the story pages have
    changed (``dateline_lost_kept``); a stored story without a dateline read again with
    another text later in the same run is then kept as stored (gap 63). The writing worker
    dying in between, the crawl writes the rest itself: it must still know the run's doubt,
    not file the changed text as an edit."""
    db, stats, pipeline = new_pipeline(tmp_path, 1, use_worker=False)
    datelined = dataclasses.replace(
        story(1, "An ordinary report."), dateline="Pyongyang, November 26 (KCNA) --"
    )
    undatelined = story(2, "An anecdote.")

    async def first_run() -> None:
        pipeline.open_spider()
        await feed(pipeline, datelined)
        await feed(pipeline, undatelined)
        await pipeline.close_spider()

    asyncio.run(first_run())
    db, stats, pipeline = new_pipeline(tmp_path, 1, use_worker=True)

    async def second_run() -> None:
        pipeline.open_spider()
        # The story pages in a new markup: the dateline is read as part of the text.
        lost = dataclasses.replace(
            datelined,
            dateline=None,
            body="Pyongyang, November 26 (KCNA) -- An ordinary report.",
            fetched_at=AT + dt.timedelta(days=1),
        )
        await feed(pipeline, lost)
        await pipeline.written()
        assert stats.get_value("wirecrawl/store/dateline_lost_kept") == 1
        process = pipeline.worker._process
        assert process is not None
        process.kill()
        process.wait()
        read_wrong = dataclasses.replace(
            undatelined,
            body="www.kcna.kp (2026.11.21.) An anecdote.",
            fetched_at=AT + dt.timedelta(days=1),
        )
        await feed(pipeline, read_wrong)
        await pipeline.close_spider()

    asyncio.run(second_run())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM article_revisions").fetchone() == (0,)
        assert conn.execute("SELECT body FROM articles WHERE id = ?", [f"{2:032x}"]).fetchone() == (
            "An anecdote.",
        )
    assert stats.get_value("wirecrawl/store/changed") is None
    assert stats.get_value("wirecrawl/store/undatelined_kept") == 1


@with_and_without_worker
def test_a_story_held_in_a_batch_that_failed_is_written_once(
    tmp_path: Path, use_worker: bool
) -> None:
    """A stored story without a dateline read again with another text is held for the run's
    end (gap 63). When its batch rolls back and is written again with the next, it is held
    once, not once for each try: one edit, counted once, and no story counted unchanged."""
    db, stats, pipeline = new_pipeline(tmp_path, 2, use_worker)

    async def first_run() -> None:
        pipeline.open_spider()
        await feed(pipeline, story(2, "An anecdote."))
        await pipeline.close_spider()

    asyncio.run(first_run())
    db, stats, pipeline = new_pipeline(tmp_path, 2, use_worker)

    async def second_run() -> None:
        pipeline.open_spider()
        fail_listing_state_writes(db, True)
        edited = dataclasses.replace(
            story(2, "An anecdote, told again."), fetched_at=AT + dt.timedelta(days=1)
        )
        await feed(pipeline, edited)
        await feed(pipeline, state("a"))
        await pipeline.written()
        assert stats.get_value("wirecrawl/store/batch_failed") == 1
        fail_listing_state_writes(db, False)
        await feed(pipeline, state("b"))
        await feed(pipeline, state("c"))
        await pipeline.written()
        await pipeline.close_spider()

    asyncio.run(second_run())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT body FROM article_revisions").fetchall() == [("An anecdote.",)]
        assert conn.execute("SELECT body FROM articles").fetchall() == [
            ("An anecdote, told again.",)
        ]
    assert stats.get_value("wirecrawl/store/changed") == 1
    assert stats.get_value("wirecrawl/store/unchanged") is None
