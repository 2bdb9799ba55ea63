"""SQLiteStorePipeline writes its batches on a thread of its own: in order, a failed batch
written again with the next, nothing lost; against a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import sqlite3
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler

from wirecrawl.items import ListingStateItem
from wirecrawl.pipelines.store import SQLiteStorePipeline

AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


async def feed(pipeline: SQLiteStorePipeline, item: Any) -> Any:
    """``process_item`` as Scrapy calls it: awaited when it returns a coroutine."""
    result = pipeline.process_item(item)
    return await result if inspect.isawaitable(result) else result


def state(category: str) -> ListingStateItem:
    return ListingStateItem(category_id=category, complete=True, at=AT)


def stored_categories(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT category_id FROM listing_state ORDER BY 1")]


def test_a_failed_batch_is_written_again_with_the_next(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawler = get_crawler()
    assert crawler.stats is not None
    stats = crawler.stats
    pipeline = SQLiteStorePipeline(str(db), stats, batch_size=2)

    async def crawl() -> None:
        pipeline.open_spider()
        # A fault switched on from outside: every write to listing_state fails meanwhile.
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE fault (on_ INTEGER)")
            conn.execute(
                "CREATE TRIGGER failing BEFORE INSERT ON listing_state "
                "WHEN EXISTS (SELECT 1 FROM fault) BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
            conn.execute("INSERT INTO fault VALUES (1)")
        for category in ("a", "b", "c", "d"):
            assert await feed(pipeline, state(category)) == state(category)
        # Handing over (c, d) waited for (a, b), which failed; (c, d) went with it, and failed.
        assert stats.get_value("wirecrawl/store/batch_failed") == 1
        await pipeline.written()
        assert stats.get_value("wirecrawl/store/batch_failed") == 2
        assert stored_categories(db) == []
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM fault")
        for category in ("e", "f"):
            await feed(pipeline, state(category))
        await pipeline.written()
        # The third batch carried the two that failed.
        assert stats.get_value("wirecrawl/store/batch_failed") == 2
        assert stored_categories(db) == ["a", "b", "c", "d", "e", "f"]
        pipeline.close_spider()

    asyncio.run(crawl())
    assert stored_categories(db) == ["a", "b", "c", "d", "e", "f"]


def test_batches_are_written_while_the_crawl_goes_on_and_all_at_close(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawler = get_crawler()
    assert crawler.stats is not None
    pipeline = SQLiteStorePipeline(str(db), crawler.stats, batch_size=10)

    async def crawl() -> list[str]:
        pipeline.open_spider()
        for number in range(25):
            await feed(pipeline, state(f"{number:02d}"))
        # Two batches handed over, and the first was written before the second was handed.
        during = stored_categories(db)
        pipeline.close_spider()
        return during

    during = asyncio.run(crawl())
    assert len(during) in (10, 20)
    assert during == [f"{n:02d}" for n in range(len(during))]
    assert stored_categories(db) == [f"{n:02d}" for n in range(25)]
