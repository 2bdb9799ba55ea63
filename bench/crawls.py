"""Crawls for the benchmark: the imitation site served, and `scrapy` runs measured."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import RequestRecord, SiteServer, proxy_env
from wirecrawl.testsite.snapshot import write_snapshot

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = 10  # the spider reads all ten categories of the real site
PER_PAGE = 15  # entries per listing page, as on the real site
CRAWL_TIMEOUT = 900.0


def make_site(stories: int, seed: int) -> Site:
    """A deterministic imitation of the site with ``stories`` stories in all ten categories."""
    return build_site(stories, CATEGORIES, seed)


def publish(site: Site, root: Path) -> SiteServer:
    """Write ``site`` as a snapshot under ``root`` and return a server for it (not started)."""
    write_snapshot(site, root, per_page=PER_PAGE)
    return SiteServer(root)


def with_new_stories(site: Site, count: int, seed: int) -> Site:
    """``site`` plus ``count`` stories published after all of it, as a day at the agency adds."""
    newest = max(story.published for story in site.stories)
    extra = make_site(count, seed).stories
    dated = [
        dataclasses.replace(story, published=newest + dt.timedelta(days=1 + position // 20))
        for position, story in enumerate(extra)
    ]
    return Site(categories=site.categories, stories=[*site.stories, *dated])


@dataclass(frozen=True, kw_only=True)
class ProcessRun:
    """One measured subprocess."""

    seconds: float
    """Wall time, start to exit."""
    cpu_seconds: float
    """User plus system CPU time of the process."""
    peak_rss_mb: float
    """Its peak resident memory (``ru_maxrss``), MiB."""
    returncode: int
    log: Path
    """Where its output went."""


def run_measured(command: list[str], log: Path, env: dict[str, str] | None = None) -> ProcessRun:
    """Run ``command`` from the project's root, output to ``log``; wall time, CPU and peak RSS.

    ``os.wait4`` gives the resource use of this one child, not of all children so far.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        killer = threading.Timer(CRAWL_TIMEOUT, process.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        returncode=process.returncode,
        log=log,
    )


def crawl_env(proxy_url: str) -> dict[str, str]:
    """The environment of a crawl through the imitation: every proxy variable its server."""
    return proxy_env(proxy_url)


def scrapy_command(db: Path, *args: str) -> list[str]:
    """``scrapy <args>`` with the archive at ``db`` and no politeness delay."""
    return [
        sys.executable, "-m", "scrapy", *args,
        "-s", f"WIRECRAWL_DB={db}", "-s", "DOWNLOAD_DELAY=0",
    ]  # fmt: skip


def crawl_kcna(server: SiteServer, db: Path, log: Path, settings: Sequence[str] = ()) -> ProcessRun:
    """``scrapy crawl kcna`` into ``db``, through ``server``; ``settings`` (``NAME=VALUE``)
    each given with ``-s``."""
    extra = [word for setting in settings for word in ("-s", setting)]
    command = scrapy_command(db, "crawl", "kcna", *extra)
    return run_measured(command, log, crawl_env(server.proxy_url))


def crawl_fetch_only(server: SiteServer, db: Path, log: Path) -> ProcessRun:
    """``scrapy runspider bench/fetch_only.py``: the same requests, nothing parsed or stored."""
    command = scrapy_command(db, "runspider", str(Path("bench") / "fetch_only.py"))
    return run_measured(command, log, crawl_env(server.proxy_url))


def checked(run: ProcessRun, what: str) -> ProcessRun:
    """``run``, or RuntimeError naming its log when it failed."""
    if run.returncode != 0:
        tail = run.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{what} exited {run.returncode}; log {run.log}:\n{tail}")
    return run


@dataclass(frozen=True, kw_only=True)
class RequestCount:
    """What one crawl asked the site for (robots.txt aside)."""

    listing: int
    """Listing pages: GETs of page 1 and POSTs of later pages."""
    story: int
    """Story pages."""
    other: int
    """Anything else."""
    signature: Counter[tuple[str, str, int | None]]
    """Every request as (method, path, page_num), to compare two crawls."""

    @property
    def total(self) -> int:
        return self.listing + self.story + self.other


def count_requests(records: list[RequestRecord]) -> RequestCount:
    """Sort a server's request log into listing, story and other requests."""
    wanted = [record for record in records if record.path != "/robots.txt"]
    listing = sum(record.path.startswith("/en/article/list/") for record in wanted)
    story = sum(record.path.startswith("/en/article/detail/") for record in wanted)
    return RequestCount(
        listing=listing,
        story=story,
        other=len(wanted) - listing - story,
        signature=Counter((record.method, record.path, record.page_num) for record in wanted),
    )
