"""Fuzzing: page classes and normalising functions never raise on bad HTML or text, and a broken
article page is either read as a whole article or not taken for one.

Inputs: generated tag soup in the sites' vocabulary (with odd links, deep nesting and huge
attribute values), real fixture pages cut at random points or with pieces cut out, and random
bytes decoded. A last test crawls a site where one story page is mangled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, run_crawl
from tests.test_pages_part import WholePageArticle
from wirecrawl.items import ArticleItem
from wirecrawl.middlewares import html_is_complete
from wirecrawl.normalise.article import normalise_article
from wirecrawl.normalise.datelines import resolve_dateline_date, split_dateline
from wirecrawl.normalise.dates import (
    date_from_unix_time_in_url,
    parse_day_first_date,
    parse_english_date,
    parse_kcna_date,
)
from wirecrawl.normalise.identity import content_hash, title_key
from wirecrawl.normalise.text import clean_text, strip_end_mark
from wirecrawl.normalise.urls import canonical_url, kcna_category_key, kcna_story_key
from wirecrawl.pages.aggregator import AggregatorArticlePage
from wirecrawl.pages.base import Page
from wirecrawl.pages.dispatch import PAGE_CLASSES, page_kind
from wirecrawl.pages.kcna_current import KcnaArticlePage, KcnaListingPage
from wirecrawl.pages.kcna_old import KcnaOldArticlePage, KcnaOldCategoryPage
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import article_path, write_snapshot

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "http://www.kcna.kp/en/article/detail/0123456789abcdef0123456789abcdef"

FIXTURES = sorted((ROOT / "fixtures").glob("*/*/page.html"))
ARTICLE_FIXTURES = [
    path for path in FIXTURES if json.loads((path.parent / "meta.json").read_text())
    .get("page_class", "").endswith("ArticlePage")
]  # fmt: skip


def page_class_of(path: Path) -> type[Page]:
    name = json.loads((path.parent / "meta.json").read_text())["page_class"]
    return CLASSES[name]


# Every page class: the kcna.kp ones the dispatcher knows, and the aggregator's.
CLASSES: dict[str, type[Page]] = {**PAGE_CLASSES, "AggregatorArticlePage": AggregatorArticlePage}
ARTICLE_CLASSES = (KcnaArticlePage, KcnaOldArticlePage, AggregatorArticlePage)


def read_everything(page: Page) -> dict[str, Any]:
    """Call every public method of a page class; return what each gave."""
    found: dict[str, Any] = {"is_blocked": page.is_blocked()}
    for name in dir(page):
        if name.startswith("_") or name in {"url", "selector", "is_blocked"}:
            continue
        value = getattr(page, name)
        found[name] = value() if callable(value) else value
    return found


def check_article(page: Page) -> None:
    """An article page class says "article" only with a title and non-empty, clean paragraphs."""
    assert isinstance(page, ARTICLE_CLASSES)
    if not page.is_article():
        return
    title, paragraphs = page.title(), page.paragraphs()
    assert title
    assert title == clean_text(title)
    assert paragraphs
    assert all(p and p == clean_text(p) for p in paragraphs)


def check_page(cls: type[Page], html: str) -> None:
    page = cls(URL, html)
    read_everything(page)
    if cls in ARTICLE_CLASSES:
        check_article(page)


# --- generated markup ----------------------------------------------------------------------

TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "Pyongyang, June 1 (KCNA) -- ", "Moscow,July 9 (KCNA)--", "-0-", " -0- ", "[2026.7.19.]",
        "[Juche113.8.4.]", "www.kcna.kp (2025.12.14.)", "More From KCNA.kp (En)",
        "December 01, 2025",
        "Web Page Blocked", "Kim Jong Un", "\u200b\u00ad", "\x00\x0c", "&amp;&#0;&#xD800;", "]]>",
        "var total = 5; var cur_page = 1; var per_page = 15; var page_cnt = 99999999999999999999;",
    ]),
)  # fmt: skip
HREF = st.one_of(
    st.sampled_from([
        "/en/article/detail/0123456789abcdef0123456789abcdef", "/en/article/list/" + "a" * 32,
        "/en/article/q/" + "b" * 64 + ".kcmsf", "/en/category/articles/q/" + "c" * 32 + ".kcmsf",
        "https://kcnawatch.org/newstream/1717200000-567937233/a-story/", "//", "http://", "https:",
        "http://[::1", "http://www.kcna.kp:99999/", "javascript:goPage(2)", "mailto:x@y", "#", "",
        " /en/article/detail/" + "D" * 32 + "?x=1#y ", "\x00", "http://kcna.kp./en",
    ]),
    st.text(max_size=30),
)  # fmt: skip
TAGS = ["div", "p", "span", "nobr", "a", "h1", "h5", "li", "ul", "main", "article", "strong",
        "table", "td", "br", "script", "title", "form", "input", "meta", "time"]  # fmt: skip
CLASSES_ATTR = ["container", "article", "block", "text-danger", "text-center", "photo",
                "article-main-title", "article-content-body", "content-wrapper", "publish-time",
                "datemark", "fSpecCs", "gallery_button", "article-link", "pointer1"]  # fmt: skip


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attributes: list[tuple[str, str]], inner: list[str], close: bool) -> str:
        attrs = "".join(f' {name}="{value}"' for name, value in attributes)
        return f"<{tag}{attrs}>{''.join(inner)}" + (f"</{tag}>" if close else "")

    attribute = st.one_of(
        st.tuples(st.just("class"), st.sampled_from(CLASSES_ATTR)),
        st.tuples(st.just("href"), HREF),
        st.tuples(st.sampled_from(["id", "name", "value", "content", "property"]), TEXT),
        st.tuples(st.just("title"), st.integers(0, 300_000).map(lambda n: "x" * n)),
    )
    return st.builds(
        build,
        st.sampled_from(TAGS),
        st.lists(attribute, max_size=3),
        st.lists(children, max_size=4),
        st.booleans(),
    )


MARKUP = st.recursive(TEXT, element, max_leaves=30)
DOCUMENTS = st.builds(
    lambda head, body: f"<html><head>{head}</head><body>{body}</body></html>",
    st.lists(MARKUP, max_size=2).map("".join),
    st.lists(MARKUP, max_size=6).map("".join),
)


@FUZZ
@given(html=DOCUMENTS, cls=st.sampled_from(sorted(CLASSES.values(), key=lambda c: c.__name__)))
def test_page_classes_read_generated_markup_without_raising(html: str, cls: type[Page]) -> None:
    check_page(cls, html)


@settings(max_examples=15, deadline=None)
@given(
    depth=st.integers(1, 5000),
    cls=st.sampled_from(sorted(CLASSES.values(), key=lambda c: c.__name__)),
)
def test_deeply_nested_markup(depth: int, cls: type[Page]) -> None:
    story = "<p>Pyongyang, June 1 (KCNA) -- A story. -0-</p>"
    html = "<html><body>" + "<div><span>" * depth + story + "</span></div>" * depth
    check_page(cls, html + "</body></html>")


@FUZZ
@given(data=st.binary(max_size=4000), cls=st.sampled_from(list(CLASSES.values())))
def test_random_bytes_decoded(data: bytes, cls: type[Page]) -> None:
    check_page(cls, data.decode("utf-8", errors="replace"))
    check_page(cls, data.decode("latin-1"))


# --- real pages, broken -------------------------------------------------------------------


@FUZZ
@given(fixture=st.sampled_from(FIXTURES), data=st.data())
def test_real_pages_with_pieces_cut_out(fixture: Path, data: st.DataObject) -> None:
    html = fixture.read_bytes()
    start = data.draw(st.integers(0, len(html)))
    end = data.draw(st.integers(start, min(len(html), start + 5000)))
    mangled = html[:start] + data.draw(st.sampled_from([b"", b"<", b"</p>", b"<div>"])) + html[end:]
    check_page(page_class_of(fixture), mangled.decode("utf-8", errors="replace"))


@FUZZ
@given(fixture=st.sampled_from(ARTICLE_FIXTURES), data=st.data())
def test_a_cut_article_page_is_refused_or_read_whole(fixture: Path, data: st.DataObject) -> None:
    """A page cut in transit reaches the page class only if it got as far as ``</html>`` (the
    crawl's CompletePageMiddleware retries the others); then it reads like the whole page."""
    html = fixture.read_bytes()
    cut = html[: data.draw(st.integers(0, len(html)))]
    cls = page_class_of(fixture)
    check_page(cls, cut.decode("utf-8", errors="replace"))
    if html_is_complete(cut):
        whole, read = cls(URL, html.decode()), cls(URL, cut.decode())
        assert read.is_article() == whole.is_article()
        assert (read.title(), read.paragraphs()) == (whole.title(), whole.paragraphs())  # type: ignore[attr-defined]


@FUZZ
@given(fixture=st.sampled_from(ARTICLE_FIXTURES), data=st.data())
def test_an_article_read_from_a_broken_page_is_stored_whole_or_not_at_all(
    fixture: Path, data: st.DataObject
) -> None:
    """What a broken article page gives passes the store's own check (title and body) or the
    page is not taken for an article: never a story without a title or a body."""
    html = fixture.read_bytes()
    start = data.draw(st.integers(0, len(html)))
    end = data.draw(st.integers(start, len(html)))
    page = page_class_of(fixture)(URL, (html[:start] + html[end:]).decode("utf-8", "replace"))
    if not page.is_article():
        return
    item = normalise_article(
        ArticleItem(
            url=URL,
            story_key="0" * 32,
            title=page.title(),  # type: ignore[attr-defined]
            paragraphs=page.paragraphs(),  # type: ignore[attr-defined]
            published=dt.date(2026, 7, 19),
            fetched_at=dt.datetime(2026, 7, 19, tzinfo=dt.UTC),
        )
    )
    assert item.title
    # An article of nothing but a dateline or an end mark has an empty body: the store drops it
    # (wirecrawl/store/incomplete); whatever it keeps has no end mark left at its end (a `-0-`
    # glued to a word, as in `T-0-` where a cut joined them, is text by the end-mark rule).
    assert strip_end_mark(item.body.split("\n\n"))[1] is False


CURRENT_ARTICLE_FIXTURES = [p for p in ARTICLE_FIXTURES if page_class_of(p) is KcnaArticlePage]
MARKUP = st.sampled_from([
    "", "<main>", "</main>", "<main class='x'>", "<!--", "-->", "<article>", "</article>",
    "<div class='container'>", "</div>", "<p>", "</p>", "<h1>", "<table>", "<title>", "</head>",
    "<script>", "</script>", "<p>Pyongyang, June 1 (KCNA) -- x</p>",
])  # fmt: skip


@FUZZ
@given(fixture=st.sampled_from(CURRENT_ARTICLE_FIXTURES), data=st.data())
def test_a_broken_story_page_reads_from_its_part_as_from_the_whole(
    fixture: Path, data: st.DataObject
) -> None:
    """Pieces cut out and stray markup put in anywhere (a second or unclosed ``<main>``, an
    open comment or script, a table): reading the page without what stands between its head
    and its ``<main>`` gives what the whole gives, whenever the page has one ``<main>``
    element."""
    html = fixture.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(html)))
        end = data.draw(
            st.integers(start, min(len(html), start + data.draw(st.sampled_from([0, 40, 2000]))))
        )
        html = html[:start] + data.draw(MARKUP) + html[end:]
    part, whole = KcnaArticlePage(URL, html), WholePageArticle(URL, html)
    check_article(part)
    if len(whole.selector.root.xpath("//main")) != 1:
        # Its one "<main" is no element of the whole page (swallowed by a broken attribute,
        # say): the part may read what the whole page's parse lost, always a whole story.
        return
    assert (part.story(), part.title(), part.paragraphs()) == (
        whole.story(),
        whole.title(),
        whole.paragraphs(),
    )


# --- normalising functions ------------------------------------------------------------------

ANY_TEXT = st.one_of(TEXT, st.text(), st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


@FUZZ
@given(text=ANY_TEXT)
def test_clean_text_is_tidy_and_stable(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned


@FUZZ
@given(paragraphs=st.lists(ANY_TEXT, max_size=6))
def test_strip_end_mark_is_idempotent(paragraphs: list[str]) -> None:
    once, _ = strip_end_mark(paragraphs)
    assert strip_end_mark(once) == (once, False)
    assert not once or once[-1].strip()


@FUZZ
@given(paragraph=ANY_TEXT, reference=st.none() | st.dates())
def test_datelines_and_dates_never_raise(paragraph: str, reference: dt.date | None) -> None:
    dateline, rest = split_dateline(paragraph)
    if dateline is None:
        assert rest == paragraph
    else:
        day = resolve_dateline_date(dateline.month, dateline.day, reference)
        assert day is None or (day.month, day.day) == (dateline.month, dateline.day)
    for parse in (parse_kcna_date, parse_english_date, parse_day_first_date):
        assert parse(paragraph) is None or isinstance(parse(paragraph), dt.date)
    assert date_from_unix_time_in_url(paragraph) is None or isinstance(
        date_from_unix_time_in_url(paragraph), dt.date
    )


@FUZZ
@given(month=st.integers(-2, 14), day=st.integers(-2, 33), reference=st.dates())
def test_resolve_dateline_date_stays_near_its_reference(
    month: int, day: int, reference: dt.date
) -> None:
    resolved = resolve_dateline_date(month, day, reference)
    assert resolved is None or (
        (resolved.month, resolved.day) == (month, day)
        and abs((resolved - reference).days) <= 366 * 8  # February 29 around 2100
    )


@FUZZ
@given(url=st.one_of(HREF, ANY_TEXT, HREF.map(lambda h: "http://www.kcna.kp" + h)))
def test_url_functions_never_raise_unexpectedly(url: str) -> None:
    for key in (kcna_story_key, kcna_category_key):
        found = key(url)
        assert found is None or all(c in "0123456789abcdef" for c in found)
    page_kind(url)
    try:
        canonical = canonical_url(url)
    except ValueError:
        return  # documented: not an absolute URL, or an invalid port or address
    assert canonical_url(canonical) == canonical


@FUZZ
@given(title=ANY_TEXT, body=ANY_TEXT)
def test_identity_functions_are_stable(title: str, body: str) -> None:
    assert title_key(title_key(title)) == title_key(title)
    assert content_hash(title, body) == content_hash(title + " ", " ".join(body.split()))


# --- a crawl with a page that cannot be read ------------------------------------------------


def mangle(html: str) -> str:
    """A story page whose layout changed under us: no article container any more."""
    return html.replace("<article>", "<section>").replace("</article>", "</section>")


@pytest.mark.parametrize(
    "change", [mangle, lambda html: html.replace("<p>", "<p class='x'><div>")], ids=["layout", "p"]
)
def test_a_page_that_cannot_be_read_is_counted_logged_and_kept(
    tmp_path: Path, change: Callable[[str], str]
) -> None:
    site: Site = build_site(stories=12, categories=10, seed=3)
    root = tmp_path / "site"
    write_snapshot(site, root, per_page=6)
    broken = site.stories[4]
    page = article_path(root, broken.id)
    page.write_text(change(page.read_text(encoding="utf-8")), encoding="utf-8")

    with SiteServer(root) as server:
        result = run_crawl(server.proxy_url, tmp_path / "archive.db")

    url = f"http://www.kcna.kp/en/article/detail/{broken.id}"
    assert result.returncode == 0, result.log
    assert result.stat("wirecrawl/article/not_article") == 1
    assert f"Not an article page (no headline or body): {url}" in result.log
    stored = {row["id"] for row in result.rows("SELECT id FROM articles")}
    assert stored == {story.id for story in site.stories} - {broken.id}
    [kept] = result.rows("SELECT body, encoding FROM pages WHERE url = ?", (url,))
    assert zlib.decompress(kept["body"]) == page.read_bytes()
    assert kept["encoding"] == "utf-8"
    # The story stays listed and unstored: the next run (or a reparse) tries it again.
    assert result.rows("SELECT url FROM teasers WHERE url = ?", (url,)) == [{"url": url}]
    assert dataclasses.asdict(broken)["id"] == broken.id


# --- what the fuzzing above found, fixed; each pinned here ----------------------------------


def test_a_javascript_link_in_a_listing_entry_is_no_story() -> None:
    html = '<main><div class="article"><h5 class="block"><a href="javascript:void(0)">share</a>'
    assert KcnaListingPage("http://www.kcna.kp/en/article/list/" + "a" * 32, html).entries() == []


def test_a_malformed_link_in_a_listing_menu_is_no_category() -> None:
    html = '<nav><a href="http://[::1/en/article/list/x">menu</a></nav>'
    page = KcnaListingPage("http://www.kcna.kp/en/article/list/" + "a" * 32, html)
    assert page.menu_categories() == {}


def test_a_javascript_link_in_an_old_category_page_is_no_story() -> None:
    html = '<ul class="article-link"><li><a href="javascript:x()">t</a></li></ul>'
    url = "http://www.kcna.kp/en/category/articles/q/" + "a" * 32
    assert KcnaOldCategoryPage(url, html).entries() == []


def test_deep_nesting_in_an_aggregator_page_is_read() -> None:
    # 1,500 levels: past Python's recursion limit, within what the HTML parser keeps.
    html = "<html><body>" + "<div>" * 1500 + "<p>Pyongyang, June 1 (KCNA) -- x -0-</p>"
    page = AggregatorArticlePage("https://kcnawatch.org/newstream/1-2/x/", html)
    assert page.paragraphs() == ["Pyongyang, June 1 (KCNA) -- x -0-"]


def test_a_bare_site_title_is_not_a_headline() -> None:
    html = (
        "<html><head><title>KCNA</title></head><body><main><article><div class='container'>"
        "<h1 class='text-center text-danger'></h1><p>Pyongyang, June 1 (KCNA) -- Text.</p>"
        "</div></article></main></body></html>"
    )
    page = KcnaArticlePage(URL, html)
    assert page.title() == ""
    assert not page.is_article()
