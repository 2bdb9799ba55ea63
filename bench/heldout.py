"""``python -m bench.heldout``: the held-out measurement of the crawl's overhead.

Issue 7's test of the crawl comparison: the full crawl against the fetch-only spider, three
pairs alternated (crawl, fetch-only, crawl, ...), on imitation sites that ``make bench`` does
not use, each set's ratio the mean of its crawls' wall times over the mean of its fetch-only
runs'. A set takes about a minute on a 2,000-story site; run several, since one set's ratio
moves by ±0.05 with the machine (docs/benchmarks.md, twenty-first and twenty-second passes):

    .venv/bin/python -m bench.heldout --seeds 1341-1344
    .venv/bin/python -m bench.heldout --seeds 7,9 --pairs 5 --stories 3000
    .venv/bin/python -m bench.heldout --seeds 1331 -s 'ITEM_PIPELINES={}'

``-s NAME=VALUE`` (repeatable) is given to the crawl only, to see what a part of it costs: the
last example's crawl reads every page but normalises and stores nothing. Each set checks
that both spiders asked the site for the same pages, one by one; a set where they did not is
named, and the command exits 1. Nothing here is used by ``make bench``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import crawls
from bench.run import GOAL_RATIO


def seed_list(text: str) -> list[int]:
    """``1341-1344`` or ``7,9,12`` (or both, ``1-3,9``) as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a seed or a range of seeds: {part!r}") from None
        if high < low:
            raise argparse.ArgumentTypeError(f"a range from high to low: {part!r}")
        seeds.extend(range(low, high + 1))
    return seeds


def crawl_setting(text: str) -> str:
    """``NAME=VALUE``, as ``scrapy -s`` takes it."""
    name, equals, _value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"not NAME=VALUE: {text!r}")
    return text


@dataclass(frozen=True)
class SetResult:
    """One set's wall times, in the order they were taken."""

    seed: int
    crawl: list[float]
    fetch_only: list[float]

    @property
    def ratio(self) -> float:
        """The mean of the crawl's times over the mean of the fetch-only spider's."""
        return statistics.mean(self.crawl) / statistics.mean(self.fetch_only)

    def line(self) -> str:
        each = " ".join(f"{a / b:.3f}" for a, b in zip(self.crawl, self.fetch_only, strict=True))
        return (
            f"seed {self.seed}: ratio {self.ratio:.3f} (crawl {statistics.mean(self.crawl):.3f}"
            f" s, fetch-only {statistics.mean(self.fetch_only):.3f} s; each pair {each})"
        )


def one_set(stories: int, seed: int, pairs: int, settings: list[str], work: Path) -> SetResult:
    """Measure one set; RuntimeError if a spider failed or the two asked for other pages."""
    crawl_seconds: list[float] = []
    fetch_seconds: list[float] = []
    with crawls.publish(crawls.make_site(stories, seed), work / f"site-{seed}") as server:
        for pair in range(pairs):
            server.clear_requests()
            db = work / f"crawl-{seed}-{pair}.db"
            run = crawls.crawl_kcna(server, db, work / f"crawl-{seed}-{pair}.log", settings)
            crawl_seconds.append(crawls.checked(run, "scrapy crawl kcna").seconds)
            crawl_asked = crawls.count_requests(server.requests)
            server.clear_requests()
            db = work / f"fetch-{seed}-{pair}.db"
            run = crawls.crawl_fetch_only(server, db, work / f"fetch-{seed}-{pair}.log")
            fetch_seconds.append(crawls.checked(run, "the fetch-only spider").seconds)
            fetch_asked = crawls.count_requests(server.requests)
            if crawl_asked.signature != fetch_asked.signature:
                raise RuntimeError(
                    f"pair {pair + 1}: the crawl asked for {crawl_asked.total} "
                    f"pages, the fetch-only spider {fetch_asked.total}, not the same ones"
                )
            for path in work.glob(f"*-{seed}-{pair}.db*"):
                path.unlink()
    return SetResult(seed, crawl_seconds, fetch_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.heldout",
        description=__doc__.split("\n")[0],
        epilog="docs/benchmarks.md holds the figures of earlier runs.",
    )
    parser.add_argument("--stories", type=int, default=2000, help="stories on each site")
    parser.add_argument(
        "--seeds", type=seed_list, default=[1341], help="sites' seeds: 1341-1344 or 7,9"
    )
    parser.add_argument("--pairs", type=int, default=3, help="crawl/fetch-only pairs a set")
    parser.add_argument(
        "-s",
        dest="settings",
        type=crawl_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the crawl only (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.stories < 1 or args.pairs < 1:
        parser.error("--stories and --pairs must be at least 1")
    settings = "".join(f" -s {setting}" for setting in args.settings)
    print(
        f"{len(args.seeds)} set(s) of {args.pairs} pair(s) on {args.stories}-story sites; "
        f"crawl: scrapy crawl kcna{settings}",
        flush=True,
    )
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="heldout-") as scratch:
        for seed in args.seeds:
            try:
                result = one_set(args.stories, seed, args.pairs, args.settings, Path(scratch))
            except RuntimeError as error:
                print(f"seed {seed}: {error}", file=sys.stderr)
                return 1
            print(result.line(), flush=True)
            ratios.append(result.ratio)
    # Judged as printed, to the third decimal.
    under = sum(round(ratio, 3) <= GOAL_RATIO for ratio in ratios)
    print(
        f"mean ratio {statistics.mean(ratios):.3f} (from {min(ratios):.3f} to "
        f"{max(ratios):.3f}); {under} of {len(ratios)} set(s) at or under {GOAL_RATIO:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
