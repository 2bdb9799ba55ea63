"""A snapshot: the imitation site as a folder of files, written the way the site serves them.

Layout under `root`:

    site.json                                          the model, so tests know what to expect
    faults.json                                        optional, read by the server at start
    www.kcna.kp/robots.txt
    www.kcna.kp/en/index.html                          the front page, served at /en
    www.kcna.kp/en/article/list/<category>/page-<n>.html   n = 1..page_cnt
    www.kcna.kp/en/article/detail/<story>.html

Listing pages hold `CSRF_TOKEN` where the site prints the session's token; the server
substitutes the token of the session it answers for.
"""

from __future__ import annotations

import datetime
import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wirecrawl.testsite.model import Category, Site, Story
from wirecrawl.testsite.render import (
    render_article,
    render_home,
    render_listing,
    render_robots,
)

SITE_HOST = "www.kcna.kp"
"""The host the snapshot imitates; its files live in a folder of that name."""
CSRF_PLACEHOLDER = "CSRF_TOKEN"
"""Stands for the session's `_csrf` token in saved listing pages."""
SITE_JSON = "site.json"
FAULTS_JSON = "faults.json"
_FORMAT = 1


def page_count(total: int, per_page: int) -> int:
    """Listing pages for `total` stories: at least one, since page 1 is printed even when empty."""
    return max(1, math.ceil(total / per_page))


def site_dir(root: Path) -> Path:
    """The folder holding the files of www.kcna.kp."""
    return root / SITE_HOST


def listing_page_path(root: Path, category_id: str, page: int) -> Path:
    """Where listing page `page` (from 1) of a category is saved."""
    return site_dir(root) / "en" / "article" / "list" / category_id / f"page-{page}.html"


def article_path(root: Path, story_id: str) -> Path:
    """Where a story page is saved."""
    return site_dir(root) / "en" / "article" / "detail" / f"{story_id}.html"


def render_listing_page(
    site: Site,
    category: Category,
    page: int,
    *,
    per_page: int,
    csrf: str,
    listed: Sequence[Story] | None = None,
) -> str:
    """Listing page `page` of a category, `per_page` entries a page; empty past the last page.

    `listed` is `site.stories_in(category.id)` when the caller has it already.
    """
    stories = site.stories_in(category.id) if listed is None else listed
    start = (page - 1) * per_page
    return render_listing(
        site,
        category,
        stories[start : start + per_page] if page >= 1 else [],
        cur_page=page,
        per_page=per_page,
        page_cnt=page_count(len(stories), per_page),
        total=len(stories),
        csrf=csrf,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_snapshot(site: Site, root: Path, *, per_page: int = 15) -> None:
    """Write every page of `site` under `root`, replacing an earlier snapshot's pages.

    Only `root/www.kcna.kp` and `root/site.json` are replaced; a `faults.json` stays.
    """
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    # A smaller site written over a bigger one must not leave the bigger one's pages behind.
    shutil.rmtree(site_dir(root), ignore_errors=True)
    _write(site_dir(root) / "robots.txt", render_robots())
    _write(site_dir(root) / "en" / "index.html", render_home(site))
    for category in site.categories:
        listed = site.stories_in(category.id)
        for page in range(1, page_count(len(listed), per_page) + 1):
            text = render_listing_page(
                site, category, page, per_page=per_page, csrf=CSRF_PLACEHOLDER, listed=listed
            )
            _write(listing_page_path(root, category.id, page), text)
    for story in site.stories:
        _write(article_path(root, story.id), render_article(story, site=site))
    _write(root / SITE_JSON, json.dumps(site_to_json(site, per_page=per_page), indent=1) + "\n")


def site_to_json(site: Site, *, per_page: int) -> dict[str, Any]:
    """The model as JSON data; `title` and `paragraphs` are plain text for tests to compare."""
    return {
        "format": _FORMAT,
        "host": SITE_HOST,
        "per_page": per_page,
        "categories": [{"id": c.id, "name": c.name} for c in site.categories],
        "stories": [
            {
                "id": story.id,
                "title": story.title,
                "title_html": story.title_html,
                "published": story.published.isoformat(),
                "categories": list(story.categories),
                "paragraphs": story.paragraphs,
                "paragraphs_html": list(story.paragraphs_html),
                "captions": list(story.captions),
            }
            for story in site.stories
        ],
    }


def site_from_json(data: dict[str, Any]) -> Site:
    """The model back from `site_to_json` data."""
    if data.get("format") != _FORMAT:
        raise ValueError(f"unknown site.json format {data.get('format')!r}")
    return Site(
        categories=[Category(id=c["id"], name=c["name"]) for c in data["categories"]],
        stories=[
            Story(
                id=s["id"],
                title_html=s["title_html"],
                published=datetime.date.fromisoformat(s["published"]),
                paragraphs_html=list(s["paragraphs_html"]),
                captions=list(s["captions"]),
                categories=list(s["categories"]),
            )
            for s in data["stories"]
        ],
    )


def _read_json(root: Path) -> dict[str, Any]:
    data = json.loads((root / SITE_JSON).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{root / SITE_JSON} does not hold a JSON object")
    return data


def load_site(root: Path) -> Site:
    """Read the model of a snapshot back from `root/site.json`."""
    return site_from_json(_read_json(root))


def snapshot_per_page(root: Path) -> int:
    """How many entries a saved listing page of the snapshot holds."""
    return int(_read_json(root)["per_page"])
