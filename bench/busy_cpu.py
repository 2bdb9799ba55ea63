"""``python -m bench.busy_cpu``: the crawl comparison, alone and beside a busy idle-priority loop.

What it shows (docs/benchmarks.md, twenty-first pass): on this two-CPU virtual machine the
fetch-only spider's time depends on whether the CPU it does not use is left idle. A request
and its answer go back and forth between the spider's thread and the site's server; when the
other CPU has halted, waking it to run the server can cost the spider far more than the
server's work. A loop at idle priority (Linux's ``SCHED_IDLE``) keeps that CPU from halting
and gives it up at once to anything else. Run it when the crawl comparison moves a lot from
one run to the next: it alternates, for each round, the crawl and the fetch-only spider, each
once alone and once beside the loop, and prints the means and both ratios.

    .venv/bin/python -m bench.busy_cpu --stories 2000 --seed 1 --rounds 3

Nothing here is used by ``make bench``; it measures the machine, not wirecrawl.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import crawls

# A busy loop that never yields on its own, at idle priority: it takes only a CPU that
# nothing else wants. (The page-reading worker is at idle priority too, and shares with it.)
_LOOP = """
import os
os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
while True:
    pass
"""


def _measure(kind: str, server: crawls.SiteServer, work: Path, label: str) -> float:
    run = crawls.crawl_kcna if kind == "crawl" else crawls.crawl_fetch_only
    db = work / f"{label}.db"
    seconds = crawls.checked(run(server, db, work / f"{label}.log"), kind).seconds
    for path in work.glob(f"{label}.db*"):
        path.unlink()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.busy_cpu", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stories", type=int, default=2000, help="stories on the imitation site")
    parser.add_argument("--seed", type=int, default=1, help="the imitation site's seed")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of four crawls each")
    args = parser.parse_args(argv)
    if not hasattr(os, "SCHED_IDLE"):
        parser.error("needs Linux's SCHED_IDLE")
    times: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="busy-cpu-") as scratch:
        work = Path(scratch)
        with crawls.publish(crawls.make_site(args.stories, args.seed), work / "site") as server:
            for number in range(args.rounds):
                for busy in (False, True):
                    for kind in ("crawl", "fetch-only"):
                        loop = subprocess.Popen([sys.executable, "-c", _LOOP]) if busy else None
                        try:
                            if loop is not None:
                                time.sleep(0.2)  # started and at idle priority
                            label = f"{kind}-{'busy' if busy else 'alone'}-{number}"
                            times.setdefault((kind, busy), []).append(
                                _measure(kind, server, work, label)
                            )
                        finally:
                            if loop is not None:
                                loop.kill()
                                loop.wait()
    print(f"{args.stories} stories, seed {args.seed}, {args.rounds} round(s); mean wall time:")
    for busy in (False, True):
        crawl = statistics.mean(times[("crawl", busy)])
        fetch = statistics.mean(times[("fetch-only", busy)])
        where = "beside the idle-priority loop" if busy else "alone"
        print(
            f"  {where:30} crawl {crawl:.3f} s, fetch-only {fetch:.3f} s, ratio {crawl / fetch:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
