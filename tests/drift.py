"""The imitation site changing its markup under the crawl, as a redesign would: an archive
crawled from the site as it is, new stories published, then the site served changed
(``Drifted``). Used by ``tests/test_site_drift.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CrawlResult, run_crawl
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site, Story
from wirecrawl.testsite.server import SiteServer, _Incoming, _Reply
from wirecrawl.testsite.snapshot import write_snapshot

PER_PAGE = 6
Change = Callable[[str, str], str]
"""(html, path) -> html as the changed site serves it."""


def sub(pattern: str, replacement: str, flags: int = 0) -> Change:
    compiled = re.compile(pattern, flags)
    return lambda html, path: compiled.sub(replacement, html)


class ChangedSite(SiteServer):
    """The snapshot served with its listing pages, story pages or form posts changed."""

    def __init__(
        self,
        root: Path,
        *,
        listing: Change | None = None,
        article: Change | None = None,
        form: Callable[[dict[str, str]], dict[str, str]] | None = None,
    ) -> None:
        super().__init__(root)
        self.listing, self.article, self.form = listing, article, form

    def _respond(self, incoming: _Incoming) -> _Reply:
        if self.form is not None and incoming.method == "POST":
            incoming = dataclasses.replace(incoming, form=self.form(dict(incoming.form)))
        answer = super()._respond(incoming)
        change = None
        if incoming.path.startswith("/en/article/list/"):
            change = self.listing
        elif incoming.path.startswith("/en/article/detail/"):
            change = self.article
        if change is not None and answer.status == 200 and answer.body:
            answer.body = change(answer.body.decode("utf-8"), incoming.path).encode("utf-8")
        return answer


def rows(result: CrawlResult) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in result.rows("SELECT * FROM articles")}


def loud(result: CrawlResult) -> bool:
    """What a cron user hears of: exit 3 and an ALARM line."""
    return result.returncode == 3 and "ALARM:" in result.log


class Drifted:
    """An archive of 24 stories in 3 categories crawled from the site as it is; then ``new``
    stories published in one category, to be crawled from the site changed (``run``) or as
    it was (``run_fixed``)."""

    def __init__(self, tmp_path: Path, new: int = 8, category: int = 0) -> None:
        self.root, self.db = tmp_path / "site", tmp_path / "archive.db"
        self.site: Site = build_site(stories=24, categories=3, seed=5)
        write_snapshot(self.site, self.root, per_page=PER_PAGE)
        with SiteServer(self.root) as server:
            first = run_crawl(server.proxy_url, self.db)
        assert first.returncode == 0, first.log
        self.before = rows(first)
        self.new = self._publish(new, self.site.categories[category].id)
        write_snapshot(self.site, self.root, per_page=PER_PAGE)

    def _publish(self, count: int, category_id: str) -> list[Story]:
        newest = max(story.published for story in self.site.stories)
        made = []
        for n in range(count):
            day = newest + dt.timedelta(days=1 + n // 4)
            made.append(
                Story(
                    id=f"{n:03d}".rjust(32, "e"),
                    title_html=f"Delegation Number {n + 1} Arrives for Talks",
                    published=day,
                    paragraphs_html=[
                        f"Pyongyang, {day:%B} {day.day} (KCNA) -- A delegation arrived here "
                        f"on visit number {n + 1}.",
                        "It was greeted at the airport by officials concerned.",
                        "The talks are expected to deepen cooperation. -0-",
                    ],
                    categories=[category_id],
                )
            )
        self.site.stories.extend(made)
        return made

    def run(self, *args: str, **changes: Any) -> CrawlResult:
        with ChangedSite(self.root, **changes) as server:
            return run_crawl(server.proxy_url, self.db, *args)

    def run_fixed(self, *args: str) -> CrawlResult:
        """The site as it was (or the crawler taught its new markup): a normal run."""
        with SiteServer(self.root) as server:
            return run_crawl(server.proxy_url, self.db, *args)

    def overwritten(self, result: CrawlResult, *columns: str) -> list[str]:
        """Stored stories whose ``columns`` the run changed (the agency edited nothing)."""
        after = rows(result)
        return [
            key
            for key, row in self.before.items()
            if any(row[column] != after[key][column] for column in columns)
        ]

    def unstored(self, result: CrawlResult) -> list[Story]:
        stored = rows(result)
        return [story for story in self.new if story.id not in stored]
