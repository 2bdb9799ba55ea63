"""Fixture cases: a saved page, what we know about it, and what we expect from it.

A case is a folder ``fixtures/<site>/<case>/`` with ``page.html``, ``meta.json`` (``url``,
``page_class``, ``seen`` and, for stories, ``published``: the listing's date; without it, the
date the page itself gives, if its class reads one) and ``expected.json`` (what ``extract`` gives
for the page). To add a case, save the page and run::

    .venv/bin/python -m wirecrawl.cases new fixtures/kcna/<case> --page page.html \\
        --url http://www.kcna.kp/en/article/detail/<id> --page-class KcnaArticlePage \\
        [--published 2026-07-19]

then read ``expected.json`` as a review: it is what the code extracts today.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from wirecrawl.items import ArticleItem, ListingEntry
from wirecrawl.normalise.article import normalise_article
from wirecrawl.normalise.urls import kcna_story_key
from wirecrawl.pages.aggregator import AggregatorArticlePage
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage
from wirecrawl.pages.kcna_old import KcnaOldArticlePage, KcnaOldCategoryPage, KcnaOldHomePage


class ArticlePage(Protocol):
    """What every story page class gives."""

    def title(self) -> str: ...
    def paragraphs(self) -> list[str]: ...
    def is_article(self) -> bool: ...
    def is_blocked(self) -> bool: ...


class ListingPage(Protocol):
    """What every listing page class gives."""

    def entries(self) -> list[ListingEntry]: ...
    def is_blocked(self) -> bool: ...


ARTICLE_PAGES: dict[str, Callable[[str, str], ArticlePage]] = {
    "KcnaArticlePage": KcnaArticlePage,
    "KcnaOldArticlePage": KcnaOldArticlePage,
    "AggregatorArticlePage": AggregatorArticlePage,
}
LISTING_PAGES: dict[str, Callable[[str, str], ListingPage]] = {
    "KcnaListingPage": KcnaListingPage,
    "KcnaOldCategoryPage": KcnaOldCategoryPage,
    "KcnaOldHomePage": KcnaOldHomePage,
}


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def extract(meta: dict[str, Any], html: str) -> dict[str, Any]:
    """What the page class named by ``meta["page_class"]`` (and normalising) makes of ``html``."""
    name = meta["page_class"]
    url = meta["url"]
    if name in LISTING_PAGES:
        return _extract_listing(LISTING_PAGES[name](url, html))
    page = ARTICLE_PAGES[name](url, html)
    result: dict[str, Any] = {"is_blocked": page.is_blocked(), "is_article": page.is_article()}
    if not result["is_article"]:
        return result
    # The listing's date when the case gives one, else the date the page prints (old layout,
    # aggregator); the current layout's article page prints none.
    published = _date(meta.get("published"))
    if published is None and isinstance(page, KcnaOldArticlePage | AggregatorArticlePage):
        published = page.published()
    item = ArticleItem(
        url=url,
        story_key=kcna_story_key(url) or "",
        title=page.title(),
        paragraphs=page.paragraphs(),
        published=published,
        fetched_at=dt.datetime.fromisoformat(meta["seen"]),
    )
    normalise_article(item)
    result.update(
        title=item.title,
        published=_iso(item.published),
        dateline=item.dateline,
        dateline_place=item.dateline_place,
        dateline_date=_iso(item.dateline_date),
        agency=item.agency,
        body=item.body,
    )
    if isinstance(page, KcnaArticlePage):
        result["gallery_url"] = page.gallery_url()
    if isinstance(page, AggregatorArticlePage):
        result["source_label"] = page.source_label()
        result["teasers"] = [
            {**asdict(teaser), "published": _iso(teaser.published)} for teaser in page.teasers()
        ]
    return result


def _extract_listing(listing: ListingPage) -> dict[str, Any]:
    result: dict[str, Any] = {"is_blocked": listing.is_blocked()}
    if isinstance(listing, KcnaListingPage):
        pagination = listing.pagination()
        result["pagination"] = asdict(pagination) if pagination else None
        result["form_action"] = listing.form_action()
    result["entries"] = [
        {**asdict(entry), "published": _iso(entry.published)} for entry in listing.entries()
    ]
    if isinstance(listing, KcnaListingPage):
        result["menu_categories"] = listing.menu_categories()
    if isinstance(listing, KcnaOldHomePage):
        result["categories"] = listing.categories()
    return result


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def load_case(folder: Path) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(meta, html, expected) of a case folder."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    html = (folder / "page.html").read_text(encoding="utf-8")
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return meta, html, expected


def write_case(folder: Path, page: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Create a case folder from a saved page; returns the expected output it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    if page.resolve() != (folder / "page.html").resolve():
        shutil.copyfile(page, folder / "page.html")
    html = (folder / "page.html").read_text(encoding="utf-8")
    expected = extract(meta, html)
    for name, data in (("meta.json", meta), ("expected.json", expected)):
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
    return expected


def main(argv: list[str] | None = None) -> None:
    """``python -m wirecrawl.cases new FOLDER --page P --url U --page-class C``."""
    parser = argparse.ArgumentParser(prog="python -m wirecrawl.cases")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="write a fixture case from a saved page")
    new.add_argument("folder", type=Path)
    new.add_argument("--page", type=Path, required=True, help="the saved HTML page")
    new.add_argument("--url", required=True, help="the URL the page was fetched from")
    new.add_argument("--page-class", required=True, choices=[*ARTICLE_PAGES, *LISTING_PAGES])
    new.add_argument("--published", help="the listing's date of the story (YYYY-MM-DD)")
    new.add_argument("--seen", default=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    args = parser.parse_args(argv)
    meta = {"url": args.url, "page_class": args.page_class, "seen": args.seen}
    if args.published:
        meta["published"] = args.published
    expected = write_case(args.folder, args.page, meta)
    print(json.dumps(expected, indent=2, ensure_ascii=False))
    print(f"wrote {args.folder}/: review expected.json before committing it")


if __name__ == "__main__":
    main()
