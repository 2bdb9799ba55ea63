"""The run log: one ``runs`` row per crawl, and alarms that make a scheduled run fail loudly.

A crawl that meets blocked pages, gets no good answer to any request, stores nothing
although its listings showed stories it does not have, or finds signs that the site changed
its markup (``alarms`` lists them all), logs an ``ALARM`` error line and sets
the ``wirecrawl/alarms`` stat; ``scrapy crawl`` then exits non-zero (see
``wirecrawl.commands.crawl``), so that cron's mail or systemd's status tells a person.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from wirecrawl.storage import open_archive, timestamp

UNLISTED_STILL_THERE = 10
"""How many stored stories that the listings read no longer show, their pages still answering
with them, raise the alarm in one run (``wirecrawl/article/parsed/unlisted``)."""


def _stat(stats: dict[str, Any], name: str) -> int:
    return int(stats.get(name, 0))


def alarms(stats: dict[str, Any], reason: str = "finished") -> list[str]:
    """What in a finished crawl's stats a person must hear about. A crawl stopped before its
    end (``reason`` ``shutdown``: Ctrl-C, SIGTERM) is judged by what it met, not by what it
    did not get to: it never fetched the stories it had queued."""
    found = []
    stopped = reason == "shutdown"
    blocked = _stat(stats, "wirecrawl/article/blocked") + _stat(stats, "wirecrawl/listing/blocked")
    if blocked:
        found.append(
            f"{blocked} page(s) were 'Web Page Blocked' filter pages: this network blocks the "
            "site; crawl through a proxy (http_proxy)"
        )
    requests = _stat(stats, "downloader/request_count") - _stat(stats, "robotstxt/request_count")
    read = _stat(stats, "wirecrawl/listing/pages_read")
    good = read + _stat(stats, "wirecrawl/article/parsed")
    if requests > 0 and good == 0 and not stopped:
        found.append(f"none of {requests} request(s) got a usable answer from the site")
    # Requests robots.txt forbids are never made, so never counted above.
    forbidden = _stat(stats, "robotstxt/forbidden")
    if forbidden and good == 0 and not stopped:
        found.append(
            f"robots.txt forbade {forbidden} request(s) and nothing usable was fetched: the "
            "site shuts this crawler out"
        )
    # Stories re-fetched to catch edits (recheck_days) answer too: the listings are judged
    # apart from them.
    failed = sum(
        _stat(stats, f"wirecrawl/listing/{outcome}")
        for outcome in ("failed", "not_listing", "pages_failed")
    )
    if read == 0 and failed and good and not stopped:
        found.append(f"none of the category listings could be read ({failed} failed)")
    # The site's markup or paging changed under the crawl, in part: the stories of those
    # listings would go unread, run after run, without a word.
    changed = {
        "not_listing": "listing page(s) answered with a page that reads as no listing",
        "wrong_page": "listing page(s) answered another page than the one asked for",
        "undated_pages": "listing page(s) with no entry whose date reads",
        "failed_again": "category listing(s) given up in this run and in the one before",
    }
    for outcome, what in changed.items():
        count = _stat(stats, f"wirecrawl/listing/{outcome}")
        if count and (outcome != "not_listing" or read):
            found.append(f"{count} {what}: the site may have changed (see the log's errors)")
    # Stored stories the listings read no longer show, whose pages still answer with them: one
    # or two are a listing shifted under the run's paging; many are listings that no longer
    # show what they did (a filter, another order, a markup the reader takes only part of).
    still = _stat(stats, "wirecrawl/article/parsed/unlisted")
    if still >= UNLISTED_STILL_THERE:
        found.append(
            f"{still} stored stories that the listings read no longer show still answer with "
            "their pages: the site's listings may have changed (see the log)"
        )
    kept = _stat(stats, "wirecrawl/store/dateline_lost_kept")
    if kept:
        found.append(
            f"{kept} stored story(ies) read again without their dateline, kept as stored: the "
            "site's story pages may have changed"
        )
        held = _stat(stats, "wirecrawl/store/undatelined_kept")
        if held:
            found.append(
                f"{held} stored story(ies) without a dateline read again with another text, "
                "kept as stored for the same reason"
            )
    # The stories the listings showed unstored must give at least one story. A lone page
    # answering 404 is the agency's removal, no failure of the run's; every one of several
    # answering 404 is a site that changed its addresses, or a proxy's doing.
    reasons = ("new", "unstored")
    wanted = sum(_stat(stats, f"wirecrawl/article/requested/{reason}") for reason in reasons)
    not_found = sum(_stat(stats, f"wirecrawl/article/not_found/{reason}") for reason in reasons)
    got = sum(_stat(stats, f"wirecrawl/article/parsed/{reason}") for reason in reasons)
    if wanted and not got and (wanted > not_found or not_found > 1) and not stopped:
        found.append(
            f"the listings showed {wanted} unstored story(ies) but none was stored"
            + (f" ({not_found} answered 404)" if not_found else "")
        )
    # Stories read but never written: the archive refused every batch.
    failed_batches = _stat(stats, "wirecrawl/store/batch_failed")
    stored = sum(
        _stat(stats, f"wirecrawl/store/{outcome}")
        for outcome in ("new", "changed", "unchanged", "merged")
    )
    if failed_batches and not stored:
        found.append(
            f"writing to the archive failed ({failed_batches} batch(es)) and no story was stored"
        )
    return found


class RunLog:
    """Writes the ``runs`` row of a crawl at its start and end, and raises its alarms."""

    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        extension = cls(crawler.settings.get("WIRECRAWL_DB"), crawler.stats)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        db = open_archive(self.db_path)
        try:
            with db.conn:
                cursor = db.conn.execute(
                    "INSERT INTO runs (started, spider, arguments) VALUES (?, ?, ?)",
                    [
                        timestamp(dt.datetime.now(dt.UTC)),
                        spider.name,
                        json.dumps(getattr(spider, "arguments", {}), sort_keys=True),
                    ],
                )
                self.run_id = cursor.lastrowid
        finally:
            db.close()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        raised = alarms(stats, reason)
        for alarm in raised:
            spider.logger.error("ALARM: %s", alarm)
        self.stats.set_value("wirecrawl/alarms", len(raised))
        blocked = _stat(stats, "wirecrawl/article/blocked") + _stat(
            stats, "wirecrawl/listing/blocked"
        )
        db = open_archive(self.db_path)
        try:
            with db.conn:
                db.conn.execute(
                    "UPDATE runs SET finished = ?, requests = ?, stories_new = ?, "
                    "stories_changed = ?, stories_unchanged = ?, blocked = ?, errors = ?, "
                    "finish_reason = ?, alarms = ? WHERE id = ?",
                    [
                        timestamp(dt.datetime.now(dt.UTC)),
                        _stat(stats, "downloader/request_count"),
                        _stat(stats, "wirecrawl/store/new"),
                        _stat(stats, "wirecrawl/store/changed"),
                        _stat(stats, "wirecrawl/store/unchanged"),
                        blocked,
                        _stat(stats, "log_count/ERROR"),
                        reason,
                        json.dumps(raised),
                        self.run_id,
                    ],
                )
        finally:
            db.close()
