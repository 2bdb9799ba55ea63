"""Steps that turn a story as read from its page into the story we store.

A crawl's text pipeline (``wirecrawl.pipelines.text``) runs the steps one after another, and
``normalise_article`` runs them in the same order for offline use (fixture tests, re-parsing
stored pages).
"""

from __future__ import annotations

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.datelines import resolve_dateline_date, split_dateline
from wirecrawl.normalise.text import strip_end_mark


def remove_end_mark(item: ArticleItem) -> bool:
    """Drop the ``-0-`` end mark from the last paragraph; True if there was one."""
    item.paragraphs, removed = strip_end_mark(item.paragraphs)
    return removed


def apply_dateline(item: ArticleItem) -> str:
    """Split the dateline off the first paragraph and resolve its year against ``published``.

    Returns what happened: ``"parsed"``, ``"year_unknown"`` (parsed, but no reference date to
    give it a year) or ``"missing"`` (no dateline: anecdotes and documents have none).
    """
    if not item.paragraphs:
        return "missing"
    dateline, rest = split_dateline(item.paragraphs[0])
    if dateline is None:
        return "missing"
    item.dateline = dateline.printed
    item.dateline_place = dateline.place
    item.agency = dateline.agency
    item.dateline_date = resolve_dateline_date(dateline.month, dateline.day, item.published)
    # A dateline that is a paragraph of its own leaves nothing behind.
    item.paragraphs = ([rest] if rest else []) + item.paragraphs[1:]
    return "parsed" if item.dateline_date is not None else "year_unknown"


def join_body(item: ArticleItem) -> int:
    """Join the paragraphs with one blank line between them; returns empty paragraphs dropped."""
    kept = [p for p in item.paragraphs if p.strip()]
    dropped = len(item.paragraphs) - len(kept)
    item.paragraphs = kept
    item.body = "\n\n".join(kept)
    return dropped


def normalise_article(item: ArticleItem) -> ArticleItem:
    """All the steps, in pipeline order: end mark, dateline, body."""
    remove_end_mark(item)
    apply_dateline(item)
    join_body(item)
    return item
