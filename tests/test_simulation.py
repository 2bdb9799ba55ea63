"""A simulated month of the archive's life: daily `scrapy crawl kcna` runs against an imitation
of the agency's site that changes between them, as the real one does.

Every day the agency publishes stories (some filed the evening before, some in two categories,
now and then a burst), edits some, removes one (its page answers 404) and restores one removed
earlier. Its listings show only each category's newest entries (older story pages still
answer). Each day's run is of one kind: a plain run, one with the cron line's
`recheck_days=2`, one killed (SIGKILL) or stopped (SIGTERM) part way, one during which the
agency publishes and removes, one whose listing of a category answers 503, or one that meets a
filter page ("Web Page Blocked") for a new story. After every run the archive is held against
what the site showed, as a user would check it: every listed story stored once with the
site's title, body, dates and dateline; edits kept as revisions; removed stories marked gone
and never deleted, a restored one no longer gone; full-text search finding current words and
not edited-away ones; exit codes and `runs` rows telling what happened.

One thing the archive does not promise is allowed (README: runs stop paging at the first
listing page of stored stories): a story that no run could have read (older than the
listings' reach when the archive began, or removed on the day it was published), back in a
full listing below a page of stored stories, need not be stored. The listings hold a fixed
number of entries, so a story removed while a run pages through them pulls the others up,
and one may move onto a page already read: it must not be marked gone for that.

The seed is fixed (SEED, DAYS: about 45 s); SIM_SEED and SIM_DAYS choose others for longer
manual runs, e.g. `SIM_SEED=7 SIM_DAYS=60 pytest tests/test_simulation.py`. A failure names
the seed, the day, the run and the stories, and the run's log file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, crawl_command, crawl_env, run_crawl
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Category, Site, Story
from wirecrawl.testsite.render import render_article
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import article_path, write_snapshot

SEED = 20261220
DAYS = 25
DETAIL = "http://www.kcna.kp/en/article/detail/"
# One retry, and a Retry-After of the site's 5 s cut to 1 s: a 503 day costs seconds, not ten.
FAST = ("-s", "RETRY_TIMES=1", "-s", "WIRECRAWL_RETRY_AFTER_MAX=1")
RECHECK = ("-a", "recheck_days=2")  # the README's cron line
DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w .]*?),\s*(?P<month>[A-Z][a-z]+) (?P<day>\d+) \(KCNA\)\s*--\s*"
)
DATELINE_DATE = re.compile(r"^(?P<place>[^,<]+,\s*)[A-Z][a-z]+ \d+ \(KCNA\)")
WORD = re.compile(r"\bzq[a-z]{8}\b")
KINDS = ("plain", "recheck", "recheck", "kill", "stop", "503", "blocked", "live", "live")


def expected_body(story: Story) -> str:
    """The body as the archive keeps it: paragraphs without the dateline and the end mark."""
    paragraphs = list(story.paragraphs)
    paragraphs[0] = DATELINE.sub("", paragraphs[0])
    paragraphs[-1] = paragraphs[-1].removesuffix("-0-").rstrip()
    return "\n\n".join(p for p in paragraphs if p)


def expected_dateline(story: Story) -> tuple[str | None, str | None, str | None]:
    """The dateline as printed, its place and its date (the year taken from the listing's date:
    a dateline after the listing's day is of the year before)."""
    match = DATELINE.match(story.paragraphs[0])
    if match is None:
        return None, None, None
    month = dt.datetime.strptime(match["month"], "%B").month
    day = int(match["day"])
    year = story.published.year
    if (month, day) > (story.published.month, story.published.day):
        year -= 1
    return match[0].strip(), match["place"], dt.date(year, month, day).isoformat()


@dataclass
class Agency:
    """The agency's site over time: every story ever published in its current version, the
    versions each had, which are removed, and what the listings show."""

    rng: random.Random
    root: Path
    window: int = 8
    """Entries a category's listing shows: its newest, however old."""
    per_page: int = 4
    categories: list[Category] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    """Story ids in publication order, oldest first."""
    stories: dict[str, Story] = field(default_factory=dict)
    versions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Every (title, body) a story has had, oldest first."""
    words: dict[str, list[str]] = field(default_factory=dict)
    """Every reference word a story's body has had (one at a time), oldest first."""
    removed: set[str] = field(default_factory=set)
    removed_on: dict[str, dt.date] = field(default_factory=dict)
    ever_removed: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)
    """Stories on a listing page that runs read: all listed when the archive began, and since
    then those on a category's pages up to the first that shows only stories it showed before
    (runs stop paging at the first page of stored stories)."""
    shown_before: dict[str, list[str]] = field(default_factory=dict)
    drafts: list[Story] = field(default_factory=list)
    day: dt.date = dt.date(2026, 12, 20)
    versions_written: int = 0

    def __post_init__(self) -> None:
        start = build_site(stories=60, categories=10, seed=self.rng.randrange(10**6))
        self.categories = start.categories
        for story in start.stories:
            self.add(self.with_word(story))

    def name(self, key: str) -> str:
        """A story as a failure message names it: its id and headline."""
        return f'{key} "{self.stories[key].title}"'

    def new_word(self) -> str:
        """A word no other story holds, to search the archive by."""
        return "zq" + "".join(self.rng.choice("bcdfghjklmnpstvwx") for _ in range(8))

    def with_word(self, story: Story) -> Story:
        """The story with a sentence holding a reference word of its own in its body."""
        paragraphs = list(story.paragraphs_html)
        sentence = f"The reference word of this story is {self.new_word()}."
        if len(paragraphs) == 1:
            paragraphs = [paragraphs[0].removesuffix(" -0-"), sentence + " -0-"]
        else:
            paragraphs.insert(1, sentence)
        return dataclasses.replace(story, paragraphs_html=paragraphs)

    def add(self, story: Story) -> None:
        self.order.append(story.id)
        self.stories[story.id] = story
        self.versions[story.id] = [(story.title, expected_body(story))]
        self.words[story.id] = WORD.findall(" ".join(story.paragraphs))

    def listings(self) -> dict[str, list[str]]:
        """Category id -> the ids its listing shows, newest first (as Site.stories_in)."""
        position = {key: n for n, key in enumerate(self.order)}
        shown = {}
        for category in self.categories:
            live = [
                key
                for key in self.order
                if key not in self.removed and category.id in self.stories[key].categories
            ]
            live.sort(key=lambda k: (self.stories[k].published, position[k]), reverse=True)
            shown[category.id] = live[: self.window]
        return shown

    def listed(self) -> set[str]:
        return {key for keys in self.listings().values() for key in keys}

    def live(self) -> list[str]:
        return [key for key in self.order if key not in self.removed]

    def publish(self, count: int) -> None:
        """Publish `count` stories today; one in five filed yesterday evening (its dateline
        says yesterday), three in ten listed in a second category too."""
        for _ in range(count):
            if not self.drafts:
                seed = self.rng.randrange(10**6)
                self.drafts = build_site(stories=100, categories=10, seed=seed).stories
            draft = self.drafts.pop()
            if draft.id in self.stories:
                continue
            late = self.rng.random() < 0.2
            dated = self.day - dt.timedelta(days=1) if late else self.day
            dateline = rf"\g<place>{dated:%B} {dated.day} (KCNA)"
            first = DATELINE_DATE.sub(dateline, draft.paragraphs_html[0], count=1)
            categories = draft.categories[:1]
            if self.rng.random() < 0.3:
                others = [c.id for c in self.categories if c.id not in categories]
                categories.append(self.rng.choice(others))
            story = dataclasses.replace(
                draft,
                title_html=f"{draft.title_html} {self.new_word().capitalize()}",
                published=self.day,
                paragraphs_html=[first, *draft.paragraphs_html[1:]],
                categories=categories,
            )
            self.add(self.with_word(story))

    def edit(self, key: str) -> None:
        """Change a story's reference word (its body), or add " (Updated)" to its headline."""
        story = self.stories[key]
        if self.rng.random() < 0.5:
            old, new = self.words[key][-1], self.new_word()
            paragraphs = [p.replace(old, new) for p in story.paragraphs_html]
            story = dataclasses.replace(story, paragraphs_html=paragraphs)
            self.words[key].append(new)
        else:
            story = dataclasses.replace(story, title_html=story.title_html + " (Updated)")
        self.stories[key] = story
        self.versions[key].append((story.title, expected_body(story)))

    def remove(self, key: str) -> None:
        """Take a story off the listings; its page answers 404."""
        self.removed.add(key)
        self.removed_on[key] = self.day
        self.ever_removed.add(key)

    def restore(self, key: str) -> None:
        self.removed.discard(key)

    def change_for_a_day(self) -> list[str]:
        """A day at the agency; what it did, as a failure message says it."""
        self.day += dt.timedelta(days=1)
        burst = self.rng.random() < 0.15
        count = self.rng.randint(10, 25) if burst else self.rng.randint(1, 6)
        self.publish(count)
        events = [f"published {count}"]
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            key = self.rng.choice(self.live()[-30:])
            self.edit(key)
            events.append(f"edited {self.name(key)}")
        if self.rng.random() < 0.35:
            key = self.rng.choice(self.live()[-15:])
            self.remove(key)
            events.append(f"removed {self.name(key)}")
        recent = self.day - dt.timedelta(days=4)
        back = sorted(
            key
            for key in self.removed
            if self.stories[key].published >= recent and self.removed_on[key] < self.day
        )
        if back and self.rng.random() < 0.4:
            key = self.rng.choice(back)
            self.restore(key)
            events.append(f"restored {self.name(key)}")
        return events

    def write(self) -> None:
        """Write the site as it is now into a new folder and swap it in at once (a symbolic
        link), so that a run under way sees either the old site or the new one."""
        shown = self.listings()
        listed_site = Site(
            categories=self.categories,
            stories=[
                dataclasses.replace(
                    self.stories[key],
                    categories=[c for c in self.stories[key].categories if key in shown[c]],
                )
                for key in self.order
                if any(key in keys for keys in shown.values())
            ],
        )
        for category, keys in shown.items():
            for start in range(0, len(keys), self.per_page):
                page = keys[start : start + self.per_page]
                self.known.update(page)
                if set(page) <= set(self.shown_before.get(category, [])):
                    break
        self.shown_before = shown
        self.versions_written += 1
        folder = self.root.parent / f"site-{self.versions_written}"
        write_snapshot(listed_site, folder, per_page=self.per_page)
        # Stories aged out of the listings still answer.
        for key in self.live():
            path = article_path(folder, key)
            if not path.exists():
                path.write_text(render_article(self.stories[key], site=listed_site))
        self.root.mkdir(exist_ok=True)
        shutil.copy(folder / "site.json", self.root / "site.json")
        link = self.root / "link.tmp"
        link.unlink(missing_ok=True)
        link.symlink_to(folder / "www.kcna.kp")
        os.replace(link, self.root / "www.kcna.kp")


def table(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


@dataclass(frozen=True)
class Archive:
    """The archive as a run found it: its stories by id, its revisions and its runs."""

    articles: dict[str, dict[str, Any]]
    revisions: int
    runs: int

    @classmethod
    def read(cls, db: Path) -> Archive:
        if not db.exists():
            return cls({}, 0, 0)
        return cls(
            {row["id"]: row for row in table(db, "SELECT * FROM articles")},
            table(db, "SELECT count(*) AS n FROM article_revisions")[0]["n"],
            table(db, "SELECT count(*) AS n FROM runs")[0]["n"],
        )


def found_by(db: Path, word: str) -> set[str]:
    """The stories a full-text search for `word` finds."""
    sql = (
        "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ?"
    )
    return {row["id"] for row in table(db, sql, (word,))}


def check_archive(db: Path, agency: Agency, before: Archive) -> list[str]:
    """What holds after any run, finished, stopped, killed or failing: the database sound,
    each stored story one of the site's with a version of its text and its dates and dateline,
    nothing deleted, nothing gone that the agency did not remove, search up to date."""
    problems = []
    assert table(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    now = Archive.read(db)
    names = {c.id: c.name for c in agency.categories}
    problems += [f"{agency.name(key)}: deleted" for key in before.articles.keys() - now.articles]
    for key, row in now.articles.items():
        if key not in agency.stories:
            problems.append(f"{key}: stored, but no story of the site")
            continue
        story, name = agency.stories[key], agency.name(key)
        if row["url"] != DETAIL + key:
            problems.append(f"{name}: stored under {row['url']}")
        if (row["title"], row["body"]) not in agency.versions[key]:
            problems.append(f"{name}: stored text is no version of the story's")
        if row["published"] != story.published.isoformat():
            problems.append(f"{name}: published {row['published']}, listed {story.published}")
        dateline = (row["dateline"], row["dateline_place"], row["dateline_date"])
        if dateline != expected_dateline(story):
            problems.append(f"{name}: dateline {dateline}, printed {expected_dateline(story)}")
        categories = set(json.loads(row["categories"]))
        if not categories <= {names[c] for c in story.categories}:
            problems.append(f"{name}: in categories {categories}")
        if row["gone_at"] and key not in agency.ever_removed:
            problems.append(f"{name}: marked gone, never removed")
        words = WORD.findall(row["body"])
        for word in words:
            if key not in found_by(db, word):
                problems.append(f"{name}: a search for its word {word} misses it")
        for word in set(agency.words[key]) - set(words):
            if key in found_by(db, word):
                problems.append(f"{name}: a search for {word}, edited away, finds it")
    for revision in table(db, "SELECT article_id, title, body FROM article_revisions"):
        key = revision["article_id"]
        if (revision["title"], revision["body"]) not in agency.versions.get(key, []):
            problems.append(f"{key}: a revision that is no version of the story's")
    twice = table(db, "SELECT url FROM teasers GROUP BY url HAVING count(*) > 1")
    problems += [f"{row['url']}: two listing entries" for row in twice]
    return problems


def check_revisions(db: Path, agency: Agency, before: Archive) -> list[str]:
    """Every stored text a run changed left its old text as the story's last revision."""
    problems = []
    now = Archive.read(db)
    changed = 0
    for key, old in before.articles.items():
        row = now.articles[key]
        # Spacing alone is no change (README).
        if (old["title"].split(), old["body"].split()) == (
            row["title"].split(),
            row["body"].split(),
        ):
            continue
        changed += 1
        last = table(
            db,
            "SELECT title, body FROM article_revisions WHERE article_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (key,),
        )
        if last != [{"title": old["title"], "body": old["body"]}]:
            problems.append(f"{agency.name(key)}: edited, no revision of its old text")
    if now.revisions - before.revisions != changed:
        problems.append(f"{now.revisions - before.revisions} revisions for {changed} edits")
    return problems


def check_complete(db: Path, agency: Agency, before: Archive, *, recheck: bool) -> list[str]:
    """What holds after a run that read every listing: every story listed is stored and not
    gone, every removed story in the stretch of a listing it read is gone, and after a
    recheck every story has its current text."""
    problems = []
    now = Archive.read(db)
    listings = agency.listings()
    teasers = {row["url"]: row for row in table(db, "SELECT url, gone_at FROM teasers")}
    for key in agency.listed() & agency.known:
        row, name = now.articles.get(key), agency.name(key)
        if row is None:
            problems.append(f"{name}: listed, not stored")
            continue
        if row["gone_at"]:
            restored = key in agency.ever_removed
            problems.append(f"{name}: {'restored' if restored else 'listed'}, marked gone")
        teaser = teasers.get(DETAIL + key)
        if teaser is None or teaser["gone_at"]:
            problems.append(f"{name}: listed, its listing entry missing or marked gone")
    # Page 1 of every listing is read: a story stored in a category and newer than its page
    # 1's oldest entry is gone when the page does not show it.
    first_page_oldest = {
        category: min(agency.stories[k].published for k in keys[: agency.per_page])
        for category, keys in listings.items()
        if keys
    }
    stored_in = table(db, "SELECT article_id, category_id FROM article_categories")
    not_gone = {
        key for key in agency.removed & now.articles.keys() if not now.articles[key]["gone_at"]
    }
    in_stretch = {
        link["article_id"]
        for link in stored_in
        if link["category_id"] in first_page_oldest
        and agency.stories[link["article_id"]].published > first_page_oldest[link["category_id"]]
    }
    for key in sorted(not_gone if recheck else not_gone & in_stretch):
        problems.append(f"{agency.name(key)}: removed, not marked gone")
    if recheck:
        for key, row in now.articles.items():
            if key in agency.removed or row["gone_at"]:
                continue
            if (row["title"], row["body"]) != agency.versions[key][-1]:
                problems.append(f"{agency.name(key)}: rechecked, not its current text")
    return problems


def check_run(
    db: Path,
    before: Archive,
    *,
    reason: str | None,
    alarm: str | None = None,
    errors: bool = False,
) -> list[str]:
    """The run's row: one more row, ending for `reason` (None: never ended) with the stories it
    stored and changed counted, and an alarm holding `alarm` or none."""
    now = Archive.read(db)
    if now.runs != before.runs + 1:
        return [f"{now.runs - before.runs} runs rows for one run"]
    run = table(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    if run["finish_reason"] != reason:
        return [f"runs row: finish_reason {run['finish_reason']}, expected {reason}"]
    if reason is None:
        return [] if run["finished"] is None else ["runs row of a killed run says it finished"]
    problems = []
    new = len(now.articles.keys() - before.articles.keys())
    if run["stories_new"] != new:
        problems.append(f"runs row: stories_new {run['stories_new']}, {new} stored")
    changed = now.revisions - before.revisions
    if run["stories_changed"] != changed:
        problems.append(f"runs row: stories_changed {run['stories_changed']}, {changed} edits")
    if bool(run["errors"]) != errors:
        problems.append(f"runs row: errors {run['errors']}")
    alarms = json.loads(run["alarms"])
    if (alarm is None and alarms) or (alarm and not any(alarm in a for a in alarms)):
        problems.append(f"runs row: alarms {alarms}")
    return problems


def start_crawl(server: SiteServer, db: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            crawl_command(db, *FAST, *args), cwd=ROOT, env=crawl_env(server.proxy_url),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_for_requests(server: SiteServer, crawl: subprocess.Popen[bytes], count: int) -> None:
    """Until the site has answered `count` requests, or the run has ended."""
    deadline = time.monotonic() + 60
    while crawl.poll() is None and len(server.requests) < count:
        assert time.monotonic() < deadline, f"no {count} requests in 60 s"
        time.sleep(0.002)


def finished_run(
    server: SiteServer, db: Path, log: Path, agency: Agency, before: Archive, *args: str
) -> list[str]:
    crawl = run_crawl(server.proxy_url, db, *FAST, *args)
    log.write_text(crawl.log)
    problems = [] if crawl.returncode == 0 else [f"exit {crawl.returncode}, expected 0"]
    problems += check_archive(db, agency, before)
    problems += check_complete(db, agency, before, recheck=bool(args))
    problems += check_revisions(db, agency, before)
    return problems + check_run(db, before, reason="finished")


def signalled_run(
    server: SiteServer, db: Path, log: Path, agency: Agency, before: Archive, stop: int, after: int
) -> list[str]:
    """A run sent `stop` (SIGTERM: systemctl stop; SIGKILL: a power cut) after `after`
    requests: exit 4 and a `shutdown` row for SIGTERM, a row never ended for SIGKILL; or a
    run that had finished."""
    crawl = start_crawl(server, db, log)
    wait_for_requests(server, crawl, after)
    if crawl.poll() is None:
        crawl.send_signal(stop)
    code = crawl.wait(timeout=120)
    problems = check_archive(db, agency, before)
    if code == 0:
        problems += check_complete(db, agency, before, recheck=False)
        problems += check_revisions(db, agency, before)
        return problems + check_run(db, before, reason="finished")
    if stop == signal.SIGTERM:
        problems += [] if code == 4 else [f"exit {code}, expected 4"]
        problems += check_revisions(db, agency, before)
        return problems + check_run(db, before, reason="shutdown")
    problems += [] if code == -signal.SIGKILL else [f"exit {code}, expected -9"]
    return problems + check_run(db, before, reason=None)


def run_while_the_site_changes(
    server: SiteServer, db: Path, log: Path, agency: Agency, before: Archive, after: int
) -> tuple[list[str], list[str]]:
    """A run with the cron line's recheck, during which (after `after` requests) the agency
    publishes stories and may remove one. Returns the problems, and what the agency did."""
    crawl = start_crawl(server, db, log, *RECHECK)
    wait_for_requests(server, crawl, after)
    count = agency.rng.randint(1, 8)
    agency.publish(count)
    events = [f"published {count} during the run"]
    if agency.rng.random() < 0.5:
        key = agency.rng.choice(agency.live()[-12:])
        agency.remove(key)
        events.append(f"removed {agency.name(key)} during the run")
    agency.write()
    code = crawl.wait(timeout=120)
    problems = [] if code == 0 else [f"exit {code}, expected 0"]
    problems += check_archive(db, agency, before)
    stored = Archive.read(db).articles
    for key in agency.listed():
        if key in stored and stored[key]["gone_at"]:
            problems.append(f"{agency.name(key)}: listed, marked gone")
    problems += check_revisions(db, agency, before)
    return problems + check_run(db, before, reason="finished"), events


def run_of_the_day(
    kind: str, server: SiteServer, db: Path, log: Path, agency: Agency, before: Archive
) -> tuple[str, list[str], list[str]]:
    """Run the day's kind of run. Returns what it was, its problems, and what the agency
    did during it."""
    rng = agency.rng
    if kind in ("plain", "recheck"):
        args = RECHECK if kind == "recheck" else ()
        return f"a {kind} run", finished_run(server, db, log, agency, before, *args), []
    if kind in ("kill", "stop"):
        stop, after = (signal.SIGKILL if kind == "kill" else signal.SIGTERM), rng.randint(1, 25)
        what = f"a run sent {stop.name} after {after} requests"
        return what, signalled_run(server, db, log, agency, before, stop, after), []
    if kind == "live":
        after = rng.randint(2, 14)
        problems, events = run_while_the_site_changes(server, db, log, agency, before, after)
        return f"a recheck run, the site changing after {after} requests", problems, events
    if kind == "503":
        category = rng.choice(agency.categories)
        # Page 1 and its one retry: the category is skipped, the others read.
        server.add_fault(f"/en/article/list/{category.id}", "503", "503", page_num=1)
        crawl = run_crawl(server.proxy_url, db, *FAST)
        log.write_text(crawl.log)
        problems = [] if crawl.returncode == 0 else [f"exit {crawl.returncode}, expected 0"]
        problems += check_archive(db, agency, before)
        problems += check_run(db, before, reason="finished", errors=True)
        return f"a run whose listing {category.name} answers 503", problems, []
    assert kind == "blocked"
    new = sorted((agency.listed() & agency.known) - before.articles.keys())
    if not new:
        return "a plain run", finished_run(server, db, log, agency, before), []
    key = rng.choice(new)
    server.add_fault(f"/en/article/detail/{key}", "blocked")
    crawl = run_crawl(server.proxy_url, db, *FAST)
    log.write_text(crawl.log)
    problems = [] if crawl.returncode == 3 else [f"exit {crawl.returncode}, expected 3"]
    problems += check_archive(db, agency, before)
    if key in Archive.read(db).articles:
        problems.append(f"{agency.name(key)}: stored from a filter page")
    problems += check_run(db, before, reason="finished", alarm="Web Page Blocked", errors=True)
    return f"a run meeting a filter page for {agency.name(key)}", problems, []


def test_a_simulated_month_of_daily_runs_keeps_the_archive_true_to_the_site(
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("SIM_SEED", SEED))
    days = int(os.environ.get("SIM_DAYS", DAYS))
    rng = random.Random(seed)
    agency = Agency(rng=rng, root=tmp_path / "site")
    db = tmp_path / "archive.db"
    for day in range(days + 1):
        # Day 0 starts the archive; the last day's run is the cron line's, on a quiet site.
        events = agency.change_for_a_day() if 0 < day < days else []
        agency.write()
        if day == 0:
            agency.known |= agency.listed()
        kind = "plain" if day == 0 else "recheck" if day == days else rng.choice(KINDS)
        before = Archive.read(db)
        log = tmp_path / f"day-{day:02}.log"
        with SiteServer(agency.root) as server:
            run, problems, during = run_of_the_day(kind, server, db, log, agency, before)
        if problems:
            pytest.fail(
                f"seed {seed}, day {day} ({agency.day}), {run}\n"
                f"the agency that day: {'; '.join(events + during) or 'nothing'}\n"
                + "\n".join(problems)
                + f"\nthe run's log: {log}",
                pytrace=False,
            )
