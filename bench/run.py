"""The benchmark: crawl overhead, scheduled re-runs, extraction, storage, memory, search, reparse.

    python -m bench                      # the full run (make bench), a few minutes
    BENCH_SCALE=0.05 python -m bench     # the same at a twentieth of the size, for a smoke run

Everything runs on this machine: a generated imitation of the site served on 127.0.0.1, real
``scrapy`` processes through ``http_proxy``, SQLite files in a scratch folder, datasette on
loopback. The table is printed and written to ``docs/benchmarks.md`` (between its marks).
Figures are measurements, never assertions: goals missed are marked, not raised.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import archive, crawls, extraction, search
from bench.report import Row, load_average, number, section, write_section
from wirecrawl import settings as project_settings
from wirecrawl.storage import BATCH_ROWS
from wirecrawl.testsite.server import SiteServer

DEFAULT_OUT = crawls.ROOT / "docs" / "benchmarks.md"
GOAL_RATIO = 1.10
GOAL_SPEEDUP = 10.0
EXTRACTION_ROUNDS = 3
GOAL_STORIES_PER_SECOND = 10_000
GOAL_RSS_MB = 250
GOAL_MEDIAN_MS = 50.0
REFERENCE = "Extraction: trafilatura `extract`"


@dataclass(frozen=True, kw_only=True)
class Sizes:
    """How big each part of the run is; ``scale`` 1 is ``make bench``."""

    scale: float
    pairs: int

    def _scaled(self, full: int, least: int) -> int:
        return max(least, round(full * self.scale))

    @property
    def crawl_stories(self) -> int:
        """Stories of the site crawled for overhead, re-runs, extraction and reparse."""
        return self._scaled(2000, 60)

    @property
    def new_stories(self) -> int:
        """1% new stories for the second scheduled run."""
        return max(1, round(self.crawl_stories / 100))

    @property
    def reference_pages(self) -> int:
        """Pages both extractors read (trafilatura takes ~10 ms a page)."""
        return min(self.crawl_stories, self._scaled(400, 20))

    @property
    def archive_sizes(self) -> tuple[int, int]:
        """Stories written for the storage figures, and held by the archives crawled into."""
        return self._scaled(10_000, 200), self._scaled(100_000, 2000)

    @property
    def memory_site_stories(self) -> int:
        """Stories of the new site crawled into the big archives."""
        return self._scaled(300, 30)

    @property
    def search_rounds(self) -> int:
        """Rounds of every search term (after one warm-up round)."""
        return 3 if self.scale >= 0.5 else 1


def _stat(log: Path, name: str) -> int:
    """A counter from a crawl's closing stats dump (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log.read_text("utf-8", errors="replace"))
    return int(found.group(1)) if found else 0


class Benchmark:
    """Runs every part in order and collects the rows and notes of the table."""

    def __init__(self, sizes: Sizes, work: Path) -> None:
        self.sizes = sizes
        self.work = work
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.site = crawls.make_site(sizes.crawl_stories, seed=1)
        self.site_root = work / "site"
        self.crawled_db = work / "crawled.db"

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def say(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    # 1 and 2: crawls of the imitation site ------------------------------------------------

    def crawl_overhead_and_reruns(self) -> None:
        with crawls.publish(self.site, self.site_root) as server:
            self._overhead(server)
            self._rerun_nothing_new(server)
        self._rerun_with_new_stories()

    def _overhead(self, server: SiteServer) -> None:
        full: list[crawls.ProcessRun] = []
        fetch: list[crawls.ProcessRun] = []
        asked: dict[str, crawls.RequestCount] = {}
        for pair in range(1, self.sizes.pairs + 1):
            self.say(f"crawl overhead, pair {pair} of {self.sizes.pairs}")
            db = self.work / f"full-{pair}.db"
            server.clear_requests()
            run = crawls.crawl_kcna(server, db, self.log(f"crawl-full-{pair}"))
            full.append(crawls.checked(run, "scrapy crawl kcna"))
            asked["full"] = crawls.count_requests(server.requests)
            server.clear_requests()
            run = crawls.crawl_fetch_only(server, self.work / "fetch.db", self.log(f"fetch-{pair}"))
            fetch.append(crawls.checked(run, "scrapy runspider bench/fetch_only.py"))
            asked["fetch"] = crawls.count_requests(server.requests)
            if pair < self.sizes.pairs:
                db.unlink()
        shutil.move(self.work / f"full-{self.sizes.pairs}.db", self.crawled_db)
        stored = _stat(full[-1].log, "wirecrawl/store/new")
        same = asked["full"].signature == asked["fetch"].signature
        full_mean = statistics.mean(run.seconds for run in full)
        fetch_mean = statistics.mean(run.seconds for run in fetch)
        ratio = full_mean / fetch_mean
        # Each pair's own ratio too: how far one pair's figure strays shows the machine's
        # noise (docs/benchmarks.md, twenty-first pass).
        own = ", ".join(f"{a.seconds / b.seconds:.3f}" for a, b in zip(full, fetch, strict=True))
        each = f" (each pair: {own})" if len(full) > 1 else ""
        requests = asked["full"].total
        size = f"{number(len(self.site.stories))} stories, {number(requests)} requests"
        self.rows += [
            Row(
                measure="Crawl: `scrapy crawl kcna`, mean wall time",
                size=size,
                result=f"{full_mean:.1f} s ({number(requests / full_mean)} requests/s); "
                f"CPU {statistics.mean(r.cpu_seconds for r in full):.1f} s",
            ),
            Row(
                measure="Crawl: fetch-only spider, mean wall time",
                size=size,
                result=f"{fetch_mean:.1f} s ({number(requests / fetch_mean)} requests/s); "
                f"CPU {statistics.mean(r.cpu_seconds for r in fetch):.1f} s",
            ),
            Row(
                measure="Crawl overhead: crawl / fetch-only",
                size=f"{self.sizes.pairs} pair(s), " + " ".join(["A B"] * self.sizes.pairs),
                result=f"{ratio:.3f}{each}"
                + ("" if same else " (the two made different requests)"),
                goal=f"≤ {GOAL_RATIO:.2f}",
                met=ratio <= GOAL_RATIO and same,
            ),
        ]
        self.notes.append(
            "Crawl overhead: the imitation site served on 127.0.0.1 from this process, both "
            "spiders through `http_proxy` with `-s DOWNLOAD_DELAY=0` and the project's other "
            f"settings (one request at a time to the site), a fresh database each time; "
            f"{'the same' if same else '**not** the same'} requests from both (compared one by "
            f"one); the crawl stored {number(stored)} stories. Wall time includes start-up."
        )

    def _rerun_nothing_new(self, server: SiteServer) -> None:
        self.say("scheduled re-run, nothing new")
        server.clear_requests()
        run = crawls.checked(
            crawls.crawl_kcna(server, self.crawled_db, self.log("rerun-nothing-new")), "re-run"
        )
        asked = crawls.count_requests(server.requests)
        self.rows.append(
            Row(
                measure="Scheduled re-run, nothing new",
                size=f"{number(len(self.site.stories))} stored",
                result=f"{asked.listing} listing + {asked.story} story requests, "
                f"{run.seconds:.1f} s",
                goal=f"{crawls.CATEGORIES} listing, 0 story",
                met=asked.listing == crawls.CATEGORIES and asked.story == 0 and not asked.other,
            )
        )

    def _rerun_with_new_stories(self) -> None:
        self.say("scheduled re-run, 1% new")
        count = self.sizes.new_stories
        grown = crawls.with_new_stories(self.site, count, seed=2)
        with crawls.publish(grown, self.site_root) as server:
            run = crawls.checked(
                crawls.crawl_kcna(server, self.crawled_db, self.log("rerun-new")), "re-run"
            )
            asked = crawls.count_requests(server.requests)
        stored = _stat(run.log, "wirecrawl/store/new")
        self.rows.append(
            Row(
                measure="Scheduled re-run, 1% new stories",
                size=f"{number(count)} new",
                result=f"{asked.listing} listing + {asked.story} story requests, "
                f"{run.seconds:.1f} s; {stored} stored",
                goal=f"{count} story",
                met=asked.story == count and stored == count,
            )
        )

    # 6: reparse -----------------------------------------------------------------------------

    def reparse(self) -> None:
        self.say("reparse")
        with sqlite3.connect(self.crawled_db) as conn:
            pages = int(conn.execute("SELECT count(DISTINCT url) FROM pages").fetchone()[0])
        command = [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(self.crawled_db)]
        run = crawls.checked(crawls.run_measured(command, self.log("reparse")), "wirecrawl reparse")
        self.rows.append(
            Row(
                measure="Reparse: `wirecrawl reparse`",
                size=f"{number(pages)} stored pages",
                result=f"{number(pages / run.seconds)} stories/s ({run.seconds:.1f} s)",
            )
        )
        self.notes.append(
            "Reparse: `python -m wirecrawl.cli reparse` on the crawled archive (after the "
            "re-runs), wall time of the process, start-up included."
        )

    # 3: extraction --------------------------------------------------------------------------

    def extraction(self) -> None:
        self.say("extraction")
        ids = [story.id for story in self.site.stories[: self.sizes.reference_pages]]
        pages = extraction.story_pages(self.site_root, ids)
        reference_installed = extraction.trafilatura_installed()
        # Rounds alternate the two extractors, so that a slow spell of this shared machine
        # falls on both; each keeps its best round.
        ours_rounds, reference_rounds = [], []
        for _ in range(EXTRACTION_ROUNDS):
            ours_rounds.append(extraction.time_ours(pages))
            if reference_installed:
                reference_rounds.append(extraction.time_trafilatura(pages))
        ours = max(ours_rounds, key=lambda r: r.per_second)
        size = f"{number(ours.pages)} pages of {ours.kilobytes:.1f} KiB"
        self.rows.append(
            Row(
                measure="Extraction: `KcnaArticlePage` + `normalise_article`",
                size=size,
                result=f"{number(ours.per_second)} pages/s",
            )
        )
        if not reference_installed:
            self.rows += [
                Row(measure=REFERENCE, size=size, result="not installed"),
                Row(
                    measure="Extraction: ours / trafilatura",
                    size=size,
                    result="no reference (pip install -e '.[bench]')",
                    goal=f"≥ {GOAL_SPEEDUP:.0f}x",
                ),
            ]
            return
        reference = max(reference_rounds, key=lambda r: r.per_second)
        speedup = ours.per_second / reference.per_second
        self.rows += [
            Row(
                measure=REFERENCE,
                size=size,
                result=f"{number(reference.per_second)} pages/s",
            ),
            Row(
                measure="Extraction: ours / trafilatura",
                size=size,
                result=f"{speedup:.1f}x",
                goal=f"≥ {GOAL_SPEEDUP:.0f}x",
                met=speedup >= GOAL_SPEEDUP,
            ),
        ]
        self.notes.append(
            f"Extraction: the same story pages of the imitation site, read from memory; "
            f"{EXTRACTION_ROUNDS} rounds, each timing ours then trafilatura, and each extractor's "
            f"best round; ours is what a crawl's page reading does per page (`read_story`: the "
            f"blocked check, `KcnaArticlePage.story()`), then the pipelines' `normalise_article`."
        )

    # 4: storage, memory, crawl state ------------------------------------------------------

    def storage_and_memory(self) -> tuple[Path, int]:
        models = archive.models(crawls.make_site(archive.MODEL_STORIES, seed=4))
        small, large = self.sizes.archive_sizes
        databases: dict[int, Path] = {}
        for count in (small, large):
            self.say(f"storage, {number(count)} stories")
            databases[count] = self.work / f"archive-{count}.db"
            result = archive.write_stories(databases[count], models, count, pages=False)
            self.rows.append(
                Row(
                    measure="Storage: stories into SQLite, full-text index in step",
                    size=f"{number(count)} stories",
                    result=f"{number(result.per_second)} stories/s ({result.seconds:.1f} s)"
                    + ("" if result.fts_rows == count else f"; index finds {result.fts_rows}"),
                    goal=f"≥ {number(GOAL_STORIES_PER_SECOND)}/s",
                    met=result.per_second >= GOAL_STORIES_PER_SECOND and result.fts_rows == count,
                )
            )
        self.say(f"storage with pages, {number(small)} stories")
        with_pages = archive.write_stories(
            self.work / "archive-pages.db", models, small, pages=True
        )
        (self.work / "archive-pages.db").unlink()
        self.rows.append(
            Row(
                measure="Storage: the same with each story's page (zlib)",
                size=f"{number(small)} stories",
                result=f"{number(with_pages.per_second)} stories/s ({with_pages.seconds:.1f} s)",
            )
        )
        self.notes.append(
            "Storage: synthetic stories (the imitation's text, each with its own id, URL and a "
            "numbered title) written through `ArchiveWriter` as the pipeline writes them: a "
            "listing entry, then the story (and, on the third line, its fetched page), in "
            f"batches of `ArchiveWriter`'s default size ({number(BATCH_ROWS)} rows, as reparse "
            f"writes; a crawl writes every {number(project_settings.WIRECRAWL_BATCH_SIZE)} rows "
            f"or {project_settings.WIRECRAWL_FLUSH_SECONDS:.0f} s), into a new archive, closed "
            "at the end (its last checkpoint included in the time); the index is counted "
            "afterwards."
        )
        for count in (small, large):
            cost = archive.crawl_state_cost(databases[count])
            self.rows.append(
                Row(
                    measure="Spider start: `load_crawl_state`",
                    size=f"{number(cost.urls)} stored URLs",
                    result=f"{cost.seconds * 1000:.0f} ms, {cost.peak_mb:.1f} MiB",
                )
            )
        memory_site = crawls.make_site(self.sizes.memory_site_stories, seed=3)
        peaks = []
        with crawls.publish(memory_site, self.work / "memory-site") as server:
            for count in (small, large):
                self.say(f"crawl into an archive of {number(count)} stories")
                run = crawls.checked(
                    crawls.crawl_kcna(server, databases[count], self.log(f"memory-{count}")),
                    "crawl into a big archive",
                )
                # The crawl is three processes, Scrapy's and its two workers (reading pages,
                # writing the archive), each with its own peak in the crawl's stats; their sum
                # bounds the crawl's peak (wait4 gives only the largest, and counts this
                # process as it was when it forked the crawl).
                crawl_mib = _stat(run.log, "wirecrawl/peak_rss_mib") or run.peak_rss_mb
                reader_mib = _stat(run.log, "wirecrawl/reader/worker_peak_rss_mib")
                writer_mib = _stat(run.log, "wirecrawl/writer/worker_peak_rss_mib")
                total = crawl_mib + reader_mib + writer_mib
                peaks.append(total)
                self.rows.append(
                    Row(
                        measure="Crawl peak RSS (Scrapy process + its two workers)",
                        size=f"into an archive of {number(count)} stories",
                        result=f"{total:.0f} MiB ({crawl_mib:.0f} + {reader_mib:.0f} + "
                        f"{writer_mib:.0f}; {run.seconds:.1f} s)",
                        goal=f"< {GOAL_RSS_MB} MiB" + (", flat" if count == large else ""),
                        met=total < GOAL_RSS_MB and (count == small or total < peaks[0] * 1.25),
                    )
                )
        self.notes.append(
            f"Memory: peak resident memory of a crawl of a new "
            f"{number(len(memory_site.stories))}-story site into the archives just written: "
            "the Scrapy process's own (`wirecrawl/peak_rss_mib`) plus its page-reading worker's "
            "(`wirecrawl/reader/worker_peak_rss_mib`) and its writing worker's "
            "(`wirecrawl/writer/worker_peak_rss_mib`), each its `VmHWM` when it ends; "
            "'flat' means within 25% of the crawl into the smaller archive. `load_crawl_state` "
            "is timed in this process; its memory is the peak of Python allocations "
            "(tracemalloc)."
        )
        return databases[large], large

    # 5: search ------------------------------------------------------------------------------

    def search(self, database: Path, stories: int) -> None:
        self.say("search")
        found = search.measure_search(database, self.sizes.search_rounds, self.log("datasette"))
        rounds = self.sizes.search_rounds
        served = search.measure_make_serve(database, rounds, self.log("datasette-make-serve"))
        faceted = search.measure_make_serve(
            database, rounds, self.log("datasette-make-serve-facets"), extra=search.FACETS
        )
        size = f"{number(stories)} stories, {found.requests} requests"
        self.rows += [
            Row(
                measure="Search: plain `datasette serve` (its defaults), median",
                size=size,
                result=f"{found.median_ms:.1f} ms",
            ),
            Row(
                measure="Search: plain `datasette serve`, 95th percentile",
                size=size,
                result=f"{found.p95_ms:.1f} ms (slowest: {found.slowest_term!r})",
            ),
            Row(
                measure="Search: as `make serve` runs it",
                size=size,
                result=f"median {served.median_ms:.1f} ms, 95th percentile {served.p95_ms:.1f} ms",
                goal=f"< {GOAL_MEDIAN_MS:.0f} ms",
                met=served.median_ms < GOAL_MEDIAN_MS,
            ),
            Row(
                measure="Search: the same with its three facets (the *With facets* link)",
                size=size,
                result=f"median {faceted.median_ms:.1f} ms, "
                f"95th percentile {faceted.p95_ms:.1f} ms",
            ),
        ]
        self.notes.append(
            f"Search: `datasette serve DB --host 127.0.0.1` on the bigger archive, "
            f"{len(search.TERMS)} fixed terms, one warm-up round then {self.sizes.search_rounds} "
            "timed round(s), one keep-alive connection, each answer checked to hold rows; "
            "`make serve`'s way with the options of the Makefile's `serve` recipe (metadata, "
            "plugins, templates, settings), and with the facets by category, dateline place "
            "and month that the stories page's *With facets* link asks for."
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="size of every part; 1 is the full run (default: $BENCH_SCALE or 1)",
    )
    parser.add_argument("--pairs", type=int, default=3, help="crawl/fetch-only pairs (default 3)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write the table into"
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and write it to ``--out``."""
    args = _parser().parse_args(argv)
    if args.scale <= 0 or args.pairs < 1:
        raise SystemExit("--scale must be above 0 and --pairs at least 1")
    sizes = Sizes(scale=args.scale, pairs=args.pairs)
    load_at_start = load_average()
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="wirecrawl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench = Benchmark(sizes, work)
        bench.crawl_overhead_and_reruns()
        bench.reparse()
        bench.extraction()
        biggest, stories = bench.storage_and_memory()
        bench.search(biggest, stories)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - started
    command = f"`python -m bench --scale {args.scale:g} --pairs {args.pairs}`"
    if args.scale == 1 and args.pairs == 3:
        command += " (what `make bench` runs)"
    generated = section(
        bench.rows,
        command=command,
        seconds=seconds,
        notes=bench.notes,
        load=(load_at_start, load_average()),
    )
    write_section(args.out, generated)
    print(generated)
    print(f"bench: written to {args.out}", file=sys.stderr)
    return 0
