"""The benchmark harness (``make bench``), run at a tiny size: it writes a table with every row.

Timings depend on the machine and are never asserted; docs/benchmarks.md holds real figures.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from bench.fetch_only import FetchOnlySpider
from bench.heldout import seed_list
from bench.search import MAKE_SERVE_OPTIONS
from tests.conftest import ROOT
from wirecrawl.spiders.kcna import KcnaSpider

EVERY_ROW = [
    "Crawl: `scrapy crawl kcna`, mean wall time",
    "Crawl: fetch-only spider, mean wall time",
    "Crawl overhead: crawl / fetch-only",
    "Scheduled re-run, nothing new",
    "Scheduled re-run, 1% new stories",
    "Reparse: `wirecrawl reparse`",
    "Extraction: `KcnaArticlePage` + `normalise_article`",
    "Extraction: trafilatura `extract`",
    "Extraction: ours / trafilatura",
    "Storage: stories into SQLite, full-text index in step",
    "Storage: stories into SQLite, full-text index in step",
    "Storage: the same with each story's page (zlib)",
    "Spider start: `load_crawl_state`",
    "Spider start: `load_crawl_state`",
    "Crawl peak RSS (Scrapy process + its two workers)",
    "Crawl peak RSS (Scrapy process + its two workers)",
    "Search: plain `datasette serve` (its defaults), median",
    "Search: plain `datasette serve`, 95th percentile",
    "Search: as `make serve` runs it",
    "Search: the same with its three facets (the *With facets* link)",
]


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every body row of the Markdown table in ``markdown``."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_a_tiny_run_writes_every_row_and_keeps_the_hand_written_text(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    hand_written = "# Benchmarks\n\nKept.\n\n<!-- bench:start -->\nstale\n<!-- bench:end -->\n"
    out.write_text(hand_written + "\n## Also kept\n", encoding="utf-8")
    command = [
        sys.executable, "-W", "error", "-m", "bench",
        "--scale", "0.02", "--pairs", "2", "--out", str(out), "--work", str(tmp_path / "work"),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    rows = table_rows(text)
    assert [row[0] for row in rows] == EVERY_ROW
    assert all(row[1] and row[2] for row in rows), rows
    # Every row with a goal says whether it was met (never a timing assertion here).
    # (Without the bench extra, trafilatura's comparison says so instead.)
    assert all(
        row[4] in {"yes", "**no**"} or row[2].startswith("no reference") for row in rows if row[3]
    ), rows
    assert "python -m bench --scale 0.02 --pairs 2" in text
    overhead = next(row for row in rows if row[0] == "Crawl overhead: crawl / fetch-only")
    assert overhead[1] == "2 pair(s), A B A B"
    ratio, each = overhead[2].removesuffix(")").split(" (each pair: ")
    first, second = sorted(float(figure) for figure in each.split(", "))
    # The ratio of the mean times lies between the two pairs' own ratios.
    assert first - 0.0005 <= float(ratio) <= second + 0.0005
    for fact in ("`nproc`", "Memory:", "Python 3.", "Scrapy 2.", "SQLite 3."):
        assert fact in text
    assert text.startswith("# Benchmarks\n\nKept.\n\n<!-- bench:start -->\n## Latest run")
    assert text.endswith("<!-- bench:end -->\n\n## Also kept\n")
    assert "stale" not in text
    assert table_rows(done.stdout) == rows


def test_the_search_is_timed_with_the_options_make_serve_passes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    passed = recipe.split("--port $(PORT)", 1)[1].split()
    assert [option.replace(f"{ROOT}/", "") for option in MAKE_SERVE_OPTIONS] == passed


def test_the_baseline_pays_no_per_call_check_that_the_crawl_does_not() -> None:
    """For a generator callback Scrapy reads and parses the callback's source at every call
    (docs/benchmarks.md, fifteenth pass): 0.1 s of a 2,000-story crawl. The ``kcna`` spider's
    callbacks are coroutines, or (story pages) plain functions that return an async generator,
    neither of which pays it; so the fetch-only spider's must not be generators either, or the
    overhead ratio flatters the crawl."""
    for name in ("parse_listing", "parse_listing_page"):
        assert inspect.iscoroutinefunction(getattr(KcnaSpider, name)), name
    story_callback = KcnaSpider.parse_article
    assert not inspect.isgeneratorfunction(story_callback)
    assert not inspect.isasyncgenfunction(story_callback)
    assert not inspect.iscoroutinefunction(story_callback)
    for name in ("parse_listing", "parse_story"):
        assert not inspect.isgeneratorfunction(getattr(FetchOnlySpider, name)), name


def loops_running() -> list[str]:
    """The processes running ``bench.busy_cpu``'s idle-priority loop, by pid."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
            if b"SCHED_IDLE" in text and b"while True" in text:
                found.append(cmdline.parent.name)
        except OSError:  # the process ended meanwhile
            continue
    return found


def test_the_idle_cpu_comparison_runs_both_spiders_alone_and_beside_the_loop() -> None:
    """``python -m bench.busy_cpu`` (docs/benchmarks.md, twenty-first pass) at a tiny size:
    four real crawls, a line of times and their ratio for each setting, no loop left behind."""
    command = [
        sys.executable, "-W", "error", "-m", "bench.busy_cpu",
        "--stories", "20", "--seed", "3", "--rounds", "1",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "20 stories, seed 3, 1 round(s); mean wall time:"
    assert [line.split()[0] for line in lines[1:]] == ["alone", "beside"]
    for line in lines[1:]:
        numbers = [float(word) for word in line.replace(",", " ").split() if word[0].isdigit()]
        crawl, fetch, ratio = numbers
        assert crawl > 0
        assert fetch > 0
        assert abs(ratio - crawl / fetch) < 0.002
    assert loops_running() == []


SET_LINE = re.compile(
    r"seed (?P<seed>\d+): ratio (?P<ratio>[\d.]+) \(crawl (?P<crawl>[\d.]+) s, "
    r"fetch-only (?P<fetch>[\d.]+) s; each pair (?P<each>[\d. ]+)\)"
)
SUMMARY_LINE = re.compile(
    r"mean ratio (?P<mean>[\d.]+) \(from (?P<low>[\d.]+) to (?P<high>[\d.]+)\); "
    r"(?P<under>\d+) of 2 set\(s\) at or under 1\.10"
)


def heldout(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m bench.heldout`` with ``arguments``, run to its end."""
    command = [sys.executable, "-W", "error", "-m", "bench.heldout", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_the_held_out_measurement_gives_each_sets_ratio_and_their_mean() -> None:
    """``python -m bench.heldout`` (issue 7's held-out measurement) at a tiny size: real crawls
    and fetch-only runs on two sites, a line for each set whose ratio is that of its times, and
    the mean of the sets' ratios."""
    done = heldout("--stories", "20", "--seeds", "3-4", "--pairs", "2")

    assert done.returncode == 0, done.stderr[-3000:]
    header, *sets, summary = done.stdout.splitlines()
    assert header == "2 set(s) of 2 pair(s) on 20-story sites; crawl: scrapy crawl kcna"
    ratios = []
    for seed, line in zip((3, 4), sets, strict=True):
        found = SET_LINE.fullmatch(line)
        assert found, line
        assert int(found["seed"]) == seed
        ratio, crawl, fetch = (float(found[name]) for name in ("ratio", "crawl", "fetch"))
        each = [float(word) for word in found["each"].split()]
        assert crawl > 0
        assert fetch > 0
        assert abs(ratio - crawl / fetch) < 0.002  # the times are printed to the millisecond
        assert len(each) == 2
        assert min(each) - 0.001 <= ratio <= max(each) + 0.001
        ratios.append(ratio)
    found = SUMMARY_LINE.fullmatch(summary)
    assert found, summary
    assert abs(float(found["mean"]) - sum(ratios) / 2) < 0.002
    assert (float(found["low"]), float(found["high"])) == (min(ratios), max(ratios))
    assert int(found["under"]) == sum(ratio <= 1.10 for ratio in ratios)


def test_the_held_out_measurement_refuses_a_crawl_that_asks_for_other_pages() -> None:
    """A crawl setting that changes what the crawl fetches (here a depth limit that leaves out
    the stories of listing pages after the first) makes its ratio meaningless: the set is
    named, with both counts, and the command fails."""
    done = heldout("--stories", "200", "--seeds", "3", "--pairs", "1", "-s", "DEPTH_LIMIT=1")

    assert done.returncode == 1
    assert "seed 3: pair 1: the crawl asked for " in done.stderr
    assert "not the same ones" in done.stderr
    assert "mean ratio" not in done.stdout


def test_the_held_out_measurement_takes_seeds_as_ranges_and_lists() -> None:
    assert seed_list("1341-1344") == [1341, 1342, 1343, 1344]
    assert seed_list("7,9, 12-13") == [7, 9, 12, 13]
    done = heldout("--seeds", "5-2")
    assert done.returncode == 2
    assert "a range from high to low: '5-2'" in done.stderr
