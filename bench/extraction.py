"""Extraction for the benchmark: our page class and normalising against trafilatura."""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path

from wirecrawl.extract import read_story
from wirecrawl.items import ArticleItem
from wirecrawl.normalise.article import normalise_article
from wirecrawl.normalise.urls import SITE
from wirecrawl.testsite.snapshot import article_path

_PUBLISHED = dt.date(2026, 7, 19)
_FETCHED = dt.datetime(2026, 7, 19, 8, tzinfo=dt.UTC)


@dataclass(frozen=True, kw_only=True)
class ExtractionResult:
    """Pages read per second by one extractor."""

    pages: int
    seconds: float
    kilobytes: float
    """Mean page size, KiB."""

    @property
    def per_second(self) -> float:
        return self.pages / self.seconds


def story_pages(root: Path, story_ids: list[str]) -> list[tuple[str, str]]:
    """(URL, HTML) of the snapshot's story pages."""
    return [
        (f"{SITE}/en/article/detail/{story_id}", article_path(root, story_id).read_text("utf-8"))
        for story_id in story_ids
    ]


def read_ours(url: str, html: str) -> ArticleItem:
    """A story page read as a crawl reads it (``read_story``: the page class's checks and
    fields), then normalised as the pipelines do."""
    outcome, item = read_story(url, html, _PUBLISHED, _FETCHED)
    if item is None:
        raise ValueError(f"{outcome}, not a story: {url}")
    return normalise_article(item)


def time_ours(pages: list[tuple[str, str]]) -> ExtractionResult:
    """``read_story`` (``KcnaArticlePage``) plus ``normalise_article`` over ``pages``."""
    started = time.perf_counter()
    for url, html in pages:
        read_ours(url, html)
    return _result(pages, time.perf_counter() - started)


def trafilatura_installed() -> bool:
    """True when the reference extractor (the ``bench`` extra) is installed."""
    return importlib.util.find_spec("trafilatura") is not None


def time_trafilatura(pages: list[tuple[str, str]]) -> ExtractionResult:
    """trafilatura's main-text extraction of the same pages (a general-purpose reference)."""
    import trafilatura  # the bench extra; imported here so the rest runs without it

    started = time.perf_counter()
    for url, html in pages:
        if trafilatura.extract(html, url=url) is None:
            raise ValueError(f"trafilatura found no text in {url}")
    return _result(pages, time.perf_counter() - started)


def _result(pages: list[tuple[str, str]], seconds: float) -> ExtractionResult:
    size = sum(len(html.encode()) for _url, html in pages) / max(1, len(pages)) / 1024
    return ExtractionResult(pages=len(pages), seconds=seconds, kilobytes=size)
