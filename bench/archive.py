"""Storage for the benchmark: synthetic stories written through ``ArchiveWriter`` as the
pipeline writes them, and what loading the crawl state of a big archive costs."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wirecrawl.normalise.urls import SITE
from wirecrawl.storage import ArchiveWriter, connect_read_only, load_crawl_state, open_archive
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.render import render_article

# Synthetic stories are copies of this many stories of the imitation, whatever the scale.
MODEL_STORIES = 300
_SEEN = "2026-11-21T08:00:00+00:00"
_FIRST_DAY = dt.date(2025, 12, 1)


@dataclass(frozen=True, kw_only=True)
class _Model:
    """One story of the imitation site that synthetic stories are copied from."""

    story_id: str
    title: str
    body: str
    dateline: str | None
    category_id: str
    category_name: str
    html: bytes


@dataclass(frozen=True, kw_only=True)
class StoreResult:
    """One run of writing synthetic stories."""

    stories: int
    seconds: float
    fts_rows: int
    """Rows ``articles_fts`` matches for a word every story has, read back after the run."""

    @property
    def per_second(self) -> float:
        return self.stories / self.seconds


def _synthetic_category(category_id: str) -> str:
    # Not a category the imitation lists: a crawl into the archive must not take the
    # synthetic stories for stories its listings dropped (and mark them gone).
    return hashlib.md5(f"synthetic:{category_id}".encode(), usedforsecurity=False).hexdigest()


def models(site: Site) -> list[_Model]:
    """The stories of ``site`` as text the pipeline would store (dateline and end mark off),
    in categories of their own."""
    names = {category.id: category.name for category in site.categories}
    found = []
    for story in site.stories:
        paragraphs = story.paragraphs
        dateline = None
        first = paragraphs[0]
        if "(KCNA)" in first:
            dateline, _, rest = first.partition("(KCNA)")
            dateline += "(KCNA) --"
            paragraphs = [rest.lstrip(" -"), *paragraphs[1:]]
        body = "\n\n".join(p.removesuffix("-0-").rstrip() for p in paragraphs if p != "-0-")
        found.append(
            _Model(
                story_id=story.id,
                title=story.title,
                body=body,
                dateline=dateline,
                category_id=_synthetic_category(story.categories[0]),
                category_name=f"{names[story.categories[0]]} (synthetic)",
                html=render_article(story, site=site).encode(),
            )
        )
    return found


def _synthetic(models: list[_Model], count: int, salt: str) -> Iterator[tuple[_Model, int, str]]:
    """``count`` distinct stories: the models' text, each with an id, URL, day and number."""
    for number in range(count):
        model = models[number % len(models)]
        key = hashlib.md5(f"{salt}:{number}".encode(), usedforsecurity=False).hexdigest()
        yield model, number, key


def write_stories(
    db_path: Path, models: list[_Model], count: int, *, pages: bool, salt: str = "bench"
) -> StoreResult:
    """Write ``count`` new stories into a new archive, as the pipeline does for each story:
    its listing entry, (with ``pages``) its fetched page, then the story itself.

    Titles carry a number so that the identity rule sees ``count`` different stories.
    """
    writer = ArchiveWriter(open_archive(db_path))
    started = time.perf_counter()
    for model, number, key in _synthetic(models, count, salt):
        url = f"{SITE}/en/article/detail/{key}"
        published = (_FIRST_DAY + dt.timedelta(days=number % 355)).isoformat()
        title = f"{model.title} ({number})"
        writer.add_listing_entry(
            {
                "url": url,
                "story_key": key,
                "text": title,
                "published": published,
                "category_id": model.category_id,
                "category_name": model.category_name,
                "seen_on": f"{SITE}/en/article/list/{model.category_id}",
                "seen": _SEEN,
            }
        )
        if pages:
            html = model.html.replace(model.story_id.encode(), key.encode())
            writer.add_page(url, _SEEN, 200, html, "utf-8")
        writer.add_article(_article_row(model, key, url, title, published))
    writer.flush()
    # Closing checkpoints what the write-ahead log still holds: part of the cost of writing.
    writer.db.close()
    seconds = time.perf_counter() - started
    return StoreResult(stories=count, seconds=seconds, fts_rows=fts_matches(db_path, "kcna"))


def _article_row(model: _Model, key: str, url: str, title: str, published: str) -> dict[str, Any]:
    return {
        "id": key,
        "source": "kcna.kp",
        "language": "en",
        "url": url,
        "title": title,
        "published": published,
        "dateline": model.dateline,
        "dateline_place": model.dateline.split(",")[0] if model.dateline else None,
        "dateline_date": published if model.dateline else None,
        "agency": "KCNA" if model.dateline else None,
        # A word every story has, so that the index can be counted afterwards.
        "body": f"{model.body}\n\nKCNA",
        "seen": _SEEN,
    }


def fts_matches(db_path: Path, term: str) -> int:
    """How many rows the full-text index finds for ``term`` (checks the index is in step)."""
    with connect_read_only(db_path) as conn:
        found = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [term]
        ).fetchone()
    return int(found[0])


@dataclass(frozen=True, kw_only=True)
class StateCost:
    """What ``load_crawl_state`` costs on one archive."""

    urls: int
    seconds: float
    peak_mb: float
    """Peak of Python allocations while loading (tracemalloc), MiB."""


def crawl_state_cost(db_path: Path) -> StateCost:
    """Time and memory of the spider's start-up read of the archive."""
    gc.collect()
    started = time.perf_counter()
    state = load_crawl_state(db_path, f"{SITE}/")
    seconds = time.perf_counter() - started
    urls = len(state.stored_urls)
    del state
    gc.collect()
    tracemalloc.start()
    try:
        load_crawl_state(db_path, f"{SITE}/")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return StateCost(urls=urls, seconds=seconds, peak_mb=peak / 2**20)
