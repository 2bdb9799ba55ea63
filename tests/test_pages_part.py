"""A current-layout story page is read without the menus between its head and its ``<main>``
when the rest holds the article, and gives exactly what the whole page gives; any other page is
read whole."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from wirecrawl.pages.base import from_element_on
from wirecrawl.pages.kcna_current import KcnaArticlePage
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.render import render_article

URL = "http://www.kcna.kp/en/article/detail/0123456789abcdef0123456789abcdef"
FIXTURES = sorted(
    path
    for path in (ROOT / "fixtures").glob("*/*/page.html")
    if json.loads((path.parent / "meta.json").read_text())["page_class"] == "KcnaArticlePage"
)


class WholePageArticle(KcnaArticlePage):
    """The same page class reading the whole page, as it did before it read a part."""

    @cached_property
    def article_root(self) -> Any:
        return self.selector.root


def reading(page: KcnaArticlePage) -> tuple[Any, ...]:
    return page.story(), page.title(), page.paragraphs(), page.is_blocked(), page.is_article()


def read_from_part(html: str) -> bool:
    """Whether the page class read ``html`` without parsing the whole page."""
    page = KcnaArticlePage(URL, html)
    page.story()
    return "selector" not in page.__dict__


PAGE = (
    "<!DOCTYPE html>\n<html><head><title>KCNA | Head Line</title></head><body>"
    "<nav><a href='/en'>Home</a></nav>{before}"
    "<main class='page-container'><article><div class='container'>"
    "<h1 class='text-center text-danger'>Head Line</h1><h1 class='text-center'></h1>"
    "<p>Pyongyang, June 1 (KCNA) -- First.</p><div class='photo'><p>A caption.</p></div>"
    "<p>Second. -0-</p></div></article></main>{after}<footer>Korean Central News Agency</footer>"
    "</body></html>"
)


def test_the_part_is_the_head_and_the_page_from_main_on() -> None:
    html = PAGE.format(before="", after="")
    part = from_element_on(html, "main")
    assert part == (
        "<!DOCTYPE html>\n<html><head><title>KCNA | Head Line</title></head><body>"
        + html[html.index("<main") :]
    )
    assert "<nav>" not in part  # the menu before <main> is left out


@pytest.mark.parametrize(
    "html",
    [
        PAGE.format(before="<main></main>", after=""),  # two <main>
        PAGE.format(before="", after="").replace("<main", "<MAIN").replace("</main>", "</MAIN>"),
        PAGE.format(before="", after="").replace("</head>", ""),  # the head is not closed
        PAGE.format(before="", after="").replace("<main class", "<mainly class"),
        "<main><article><div class='container'><h1>T</h1><p>x</p></div></article></main>",
        # A stray "</head>" in the body, or one inside the title: the part would end the head
        # there, and the open title swallow the story (a fuzzed page read one paragraph of two).
        PAGE.format(before="", after="").replace("</main>", "</head></main>"),
        PAGE.format(before="", after="").replace("Head Line", "Head</head> Line"),
    ],
    ids=[
        "two-mains",
        "upper-case",
        "open-head",
        "other-tag",
        "no-head",
        "two-heads",
        "head-in-title",
    ],
)
def test_no_part_when_the_page_has_not_one_clear_main_element(html: str) -> None:
    assert from_element_on(html, "main") is None


def test_no_part_when_main_sits_in_a_comment() -> None:
    html = (
        PAGE.format(before="", after="")
        .replace("<main", "<!-- <main")
        .replace("</main>", "</main> -->")
    )
    assert from_element_on(html, "main") is None


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.parent.name for p in FIXTURES])
def test_fixture_story_pages_are_read_from_their_part_as_from_the_whole(fixture: Path) -> None:
    html = fixture.read_text(encoding="utf-8")
    page, whole = KcnaArticlePage(URL, html), WholePageArticle(URL, html)
    assert reading(page) == reading(whole)
    assert read_from_part(html) is (whole.story() is not None and not whole.is_blocked())


def test_generated_story_pages_are_read_from_their_part_as_from_the_whole() -> None:
    # The imitation site's quirks: captions among the paragraphs, an empty second headline,
    # leader names in markup, stories without a dateline.
    site = build_site(stories=80, categories=10, seed=11)
    for story in site.stories:
        html = render_article(story, site=site)
        assert reading(KcnaArticlePage(URL, html)) == reading(WholePageArticle(URL, html))
        assert read_from_part(html), story.id


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<main>Other</main>", ""),  # two <main>: the whole page
        ("", "<script>var tpl = '<main>';</script>"),  # a second "<main" in a script
        ("", "<!-- <main> -->"),  # one in a comment
    ],
    ids=["two-mains", "main-in-a-script", "main-in-a-comment"],
)
def test_a_page_without_one_clear_main_element_is_read_whole(before: str, after: str) -> None:
    html = PAGE.format(before=before, after=after)
    page = KcnaArticlePage(URL, html)
    assert page.story() == ("Head Line", ["Pyongyang, June 1 (KCNA) -- First.", "Second. -0-"])
    assert reading(page) == reading(WholePageArticle(URL, html))
    assert not read_from_part(html)


def test_an_article_kept_outside_main_is_read_from_the_whole_page() -> None:
    # <main> holds something else; the article container is after it (the loose queries).
    html = PAGE.format(before="", after="").replace("<main class='page-container'>", "<div>")
    html = html.replace("</main>", "</div><main>Menu</main>")
    page = KcnaArticlePage(URL, html)
    assert page.story() == ("Head Line", ["Pyongyang, June 1 (KCNA) -- First.", "Second. -0-"])
    assert not read_from_part(html)


def test_a_headline_only_in_the_title_is_read_from_the_part() -> None:
    # Both headings empty: the part keeps the head, so the <title> fallback still works.
    html = PAGE.format(before="", after="").replace(
        "<h1 class='text-center text-danger'>Head Line</h1>", "<h1 class='text-center'></h1>"
    )
    page = KcnaArticlePage(URL, html)
    assert page.title() == "Head Line"
    assert reading(page) == reading(WholePageArticle(URL, html))
    assert read_from_part(html)


def test_a_blocked_page_is_still_told_from_its_whole_text() -> None:
    # The filter page's words outside <main>: the blocked check reads the whole page.
    html = PAGE.format(before="<div>Web Page Blocked</div>", after="")
    assert KcnaArticlePage(URL, html).is_blocked()


def test_a_page_with_a_head_end_in_its_title_and_its_body_is_read_whole() -> None:
    # What the fuzzing found: "</head>" inside the <title> tag and again in a paragraph.
    page = ROOT / "fixtures/kcna/article-anecdote-no-dateline/page.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace("<p>While looking", "<p></head>While looking", 1)
    html = html.replace("<title>", "<t</head>itle>", 1)
    part, whole = KcnaArticlePage(URL, html), WholePageArticle(URL, html)
    assert part.paragraphs() == whole.paragraphs()
    assert part.paragraphs()[-1].startswith("While looking")
