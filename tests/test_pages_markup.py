"""Markup the site's pages may carry that the fixtures do not: line breaks inside a headline or
a paragraph, a split filter-page heading, entries sharing one block, a script inside a
paragraph. Each of these was read wrong once (docs/reliability.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from wirecrawl.extract import read_fetched_listing, read_fetched_story
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage
from wirecrawl.pages.kcna_old import KcnaOldArticlePage

D = dt.date
ARTICLE_URL = "http://www.kcna.kp/en/article/detail/5b7e2f1c9a0d4e3f8b6a1c2d3e4f5a6b"
LISTING_URL = "http://www.kcna.kp/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4"
OLD_URL = "http://www.kcna.kp/en/article/q/4f1d2c3b5a6e7f8091a2b3c4d5e6f708.kcmsf"
NOW = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)


def current_article(container: str, title: str = "KCNA | Head Line") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        "<nav><a href='/en'>Home</a></nav><main class='page-container'><article>"
        f"<div class='container'>\n{container}\n</div></article></main></body></html>"
    )


# --- <br> inside a headline or a paragraph ---------------------------------------------------
# A line break is a space between the words on either side, never two words fused.


def test_br_inside_a_current_layout_paragraph_does_not_glue_sentences() -> None:
    html = current_article(
        "<h1 class='text-center text-danger'>Head Line</h1>"
        "<p>Pyongyang, June 1 (KCNA) -- The meeting opened on Monday.<br>It was attended by"
        " officials.</p><p>Second paragraph. -0-</p>"
    )
    paragraphs = KcnaArticlePage(ARTICLE_URL, html).paragraphs()
    assert paragraphs[0] == (
        "Pyongyang, June 1 (KCNA) -- The meeting opened on Monday. It was attended by officials."
    )


def test_br_inside_a_current_layout_headline_does_not_glue_words() -> None:
    html = current_article(
        "<h1 class='text-center text-danger'>Kim Jong Un Sends Greetings<br>to Vietnamese"
        " President</h1><p>Pyongyang, June 1 (KCNA) -- Text. -0-</p>"
    )
    assert KcnaArticlePage(ARTICLE_URL, html).title() == (
        "Kim Jong Un Sends Greetings to Vietnamese President"
    )


def test_br_inside_an_old_layout_paragraph_does_not_glue_sentences() -> None:
    html = (
        "<html><body><div class='article-main-title'><strong>Head Line</strong></div>"
        "<div class='article-content-body'><div class='content-wrapper'>"
        "<p>Pyongyang, June 1 (KCNA) -- First sentence.<br/>Second sentence. -0-</p>"
        "</div></div></body></html>"
    )
    assert KcnaOldArticlePage(OLD_URL, html).paragraphs() == [
        "Pyongyang, June 1 (KCNA) -- First sentence. Second sentence. -0-"
    ]


# --- "Web Page Blocked" split over lines or markup ------------------------------------------
# A filter page (HTTP 200) whose text contains "Web Page Blocked" is never a story or a listing.

BLOCKED_HEADINGS = [
    pytest.param("<h1>Web Page\n  Blocked</h1>", id="newline-inside-the-heading"),
    pytest.param("<h1>Web Page <span>Blocked</span></h1>", id="nested-span"),
    pytest.param("<h1>Web&nbsp;Page&nbsp;Blocked</h1>", id="nbsp"),
]


def filter_page(heading: str) -> str:
    return (
        "<html>\r\n<head><title>Web Page Blocked</title></head>\r\n<body>\r\n<div id='content'>"
        f"{heading}<p>Access to the web page you were trying to visit has been blocked in"
        " accordance with company policy.</p></div></body></html>"
    )


@pytest.mark.parametrize("heading", BLOCKED_HEADINGS)
def test_a_filter_page_whose_marker_is_split_is_still_blocked(heading: str) -> None:
    assert KcnaArticlePage(ARTICLE_URL, filter_page(heading)).is_blocked()


@pytest.mark.parametrize("heading", BLOCKED_HEADINGS)
def test_a_filter_page_answered_for_a_story_is_never_stored(heading: str) -> None:
    reading = read_fetched_story(
        ARTICLE_URL, 200, filter_page(heading).encode(), "utf-8", None, NOW
    )
    assert (reading.outcome, reading.page) == ("blocked", None)


@pytest.mark.parametrize("heading", BLOCKED_HEADINGS)
def test_a_filter_page_answered_for_a_listing_is_not_an_empty_listing(heading: str) -> None:
    reading = read_fetched_listing(LISTING_URL, filter_page(heading).encode(), "utf-8")
    assert reading.blocked


# --- Several listing entries in one div.article ---------------------------------------------
# The entry selector (`main div.article h5.block > a`) does not say one block per entry: in a
# block of several, each entry's date is the one after its link.


def test_entries_sharing_one_div_article_each_get_their_own_date() -> None:
    html = f"""<html><head><script>
var total = 3; var cur_page = 1; var per_page = 15; var page_cnt = 1;
</script></head><body><main class="page-container"><div class="article">
<h5 class="block"><a href="/en/article/detail/{"a" * 32}">Story A</a></h5>
<span><nobr>[2026.11.26.]</nobr></span>
<h5 class="block"><a href="/en/article/detail/{"b" * 32}">Story B</a></h5>
<span><nobr>[2026.11.25.]</nobr></span>
<h5 class="block"><a href="/en/article/detail/{"c" * 32}">Story C</a></h5>
<span><nobr><span class='fSpecCs'>Kim Jong Un</span></nobr> <nobr>[2026.11.24.]</nobr></span>
</div></main></body></html>"""
    entries = KcnaListingPage(LISTING_URL, html).entries()
    assert [(e.text, e.published) for e in entries] == [
        ("Story A", D(2026, 11, 26)),
        ("Story B", D(2026, 11, 25)),
        ("Story C", D(2026, 11, 24)),
    ]


# --- A script inside a body paragraph ------------------------------------------------------


def test_a_script_inside_a_body_paragraph_is_not_body_text() -> None:
    html = current_article(
        "<h1 class='text-center text-danger'>Head Line</h1>"
        "<p>Pyongyang, June 1 (KCNA) -- Text.<script>var views = 12;</script></p>"
    )
    assert KcnaArticlePage(ARTICLE_URL, html).paragraphs() == ["Pyongyang, June 1 (KCNA) -- Text."]
