"""The aggregator's article page, read by the structure of its text, in many renderings.

The renderings here are written in the test from the reviewed expectations of the seed page
(fixtures/aggregator/seed-div-soup/expected.json); each changes the markup a different way.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from wirecrawl.items import ArticleItem
from wirecrawl.normalise.article import normalise_article
from wirecrawl.pages.aggregator import AggregatorArticlePage, date_of_line

D = dt.date
SEED = json.loads(
    (
        Path(__file__).resolve().parent.parent / "fixtures/aggregator/seed-div-soup/expected.json"
    ).read_text(encoding="utf-8")
)
HEADLINE = SEED["title"]
BODY = SEED["body"].split("\n\n")
STORY = [f"{SEED['dateline']} {BODY[0]}", *BODY[1:-1], f"{BODY[-1]} -0-"]
TEASERS = [(t["url"], t["text"], D.fromisoformat(t["published"])) for t in SEED["teasers"]]
URL = "https://kcnawatch.org/newstream/1527836400-567937233/kim-jong-un-receives/"
URL_WITHOUT_TIME = "https://kcnawatch.org/article/kim-jong-un-receives/"
URL_ELSEWHERE = "https://mirror.example/newstream/1527836400-567937233/kim-jong-un-receives/"
MORE_FROM = "More From KCNA.kp (En)"
E = html.escape


def printed(day: dt.date, style: str = "%B %d, %Y") -> str:
    return day.strftime(style)


def story_paragraphs(story: list[str] = STORY) -> str:
    return "".join(f"<p>{E(line)}</p>\n" for line in story)


def page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def standard(box: str, *, before: str = "", after: str = "", head: str = "") -> str:
    """Headline, story, the box as given, More Articles."""
    return page(
        head or f"<title>{E(HEADLINE)} | KCNA Watch</title>",
        f"{before}<h1>{E(HEADLINE)}</h1>\n<div>{story_paragraphs()}</div>\n{box}"
        f"<a href='/newstream/'>More Articles</a>{after}",
    )


def runs(render: Callable[[str, str, dt.date], str]) -> str:
    return "".join(render(url, text, day) for url, text, day in TEASERS)


def card_wrapped_in_link() -> str:
    return standard(
        f"<h3>{MORE_FROM}</h3>"
        + runs(
            lambda u, t, d: (
                f"<a class='card' href='{u}'><div>{E(t)}</div><div>{printed(d)}</div>"
                f"<div>{E(t)}</div></a>"
            )
        )
    )


def dates_before_teasers_without_repeat() -> str:
    return standard(
        f"<h2>{MORE_FROM}</h2><ul>"
        + runs(lambda u, t, d: f"<li><small>{printed(d)}</small><br><a href='{u}'>{E(t)}</a></li>")
        + "</ul>"
    )


def teaser_runs_in_a_sidebar_before_the_headline() -> str:
    sidebar = "".join(
        f"<div><a href='https://kcnawatch.org/newstream/1700000000-{n}/'>Pyongyang, November"
        f" {n} (KCNA) -- A sidebar story number {n} that is not on this page</a></div>"
        f"<div>November {n:02}, 2023</div><div>Pyongyang, November {n} (KCNA) -- A sidebar story"
        f" number {n} that is not on this page</div>"
        for n in (2, 3)
    )
    return standard(
        f"<h3>{MORE_FROM}</h3>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>"),
        before=f"<aside><h4>Latest</h4>{sidebar}</aside>",
    )


def no_headings_around_the_box() -> str:
    box = runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
    return page(
        f"<title>{E(HEADLINE)}</title>",
        f"<h1>{E(HEADLINE)}</h1>{story_paragraphs()}{box}"
        "<footer><p>&copy; 2025 KCNA Watch. All rights reserved.</p>"
        "<p><a href='/terms/'>Terms of use and privacy</a></p></footer>",
    )


def no_end_mark() -> str:
    story = [*STORY[:-1], STORY[-1].removesuffix(" -0-")]
    box = runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1>{story_paragraphs(story)}<h2>{MORE_FROM}</h2>{box}"
        "<p>More Articles</p>",
    )


def preformatted_text() -> str:
    lines = "\n".join(E(line) for line in STORY)
    box = runs(lambda u, t, d: f"<a href='{u}'>{E(t)}</a>\n{printed(d)}\n{E(t)}\n")
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1><pre>\n{lines}\n{MORE_FROM}\n{box}More Articles\n</pre>",
    )


def bare_text_lines() -> str:
    # Plain text lines with no markup between them: only newlines tell them apart.
    lines = "\n".join(E(line) for line in STORY)
    box = runs(lambda u, t, d: f"<a href='{u}'>{E(t)}</a>\n{printed(d)}\n{E(t)}\n")
    return page(
        f"<title>{E(HEADLINE)}</title>",
        f"KCNA Watch\n{E(HEADLINE)}\n{lines}\n{MORE_FROM}\n{box}More Articles\nFooter text here",
    )


def date_under_the_headline() -> str:
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1><div class='meta'>June 1, 2018</div>{story_paragraphs()}"
        f"<h2>{MORE_FROM}</h2>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<p><a href='/x'>More Articles</a></p>",
    )


def headline_only_in_the_title() -> str:
    return page(
        f"<title>KCNA Watch | {E(HEADLINE)}</title>",
        f"<div class='t'><b>{E(HEADLINE)}</b></div>{story_paragraphs()}<div>{MORE_FROM}</div>"
        + runs(lambda u, t, d: f"<div><a href='{u}'>{E(t)}</a></div><div>{printed(d)}</div>")
        + "<div>More Articles</div>",
    )


def crlf_nbsp_and_short_dates() -> str:
    body = "\r\n".join(f"&nbsp;<p>&nbsp; {E(line)}&nbsp;</p>\r\n&nbsp;" for line in STORY)
    box = runs(
        lambda u, t, d: (
            f"<div>&nbsp;<a href='{u}'>&nbsp;{E(t)}</a></div>\r\n<div>&nbsp;{d:%b} {d.day}, "
            f"{d.year}&nbsp;</div>\r\n<div>{E(t)}&#160;</div>\r\n"
        )
    )
    return page("", f"<h1>\r\n{E(HEADLINE)}\r\n</h1>\r\n{body}<h4>{MORE_FROM}</h4>{box}")


def ellipsis_on_the_second_copy() -> str:
    return standard(
        f"<h3>{MORE_FROM}</h3>"
        + runs(
            lambda u, t, d: (
                f"<div><a href='{u}'>{E(t)}</a></div><div>{printed(d)}</div><div>{E(t)} …</div>"
            )
        )
    )


def dateline_in_an_element_of_its_own() -> str:
    dateline, first = STORY[0].split(" -- ", 1)
    story = [f"{dateline} --", first, *STORY[1:]]
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1>{story_paragraphs(story)}<h2>{MORE_FROM}</h2>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<p>More Articles</p>",
    )


def box_printed_twice() -> str:
    box = f"<h3>{MORE_FROM}</h3>" + runs(
        lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>"
    )
    return standard(f"<div class='desktop'>{box}</div><div class='mobile'>{box}</div>")


def date_in_the_teasers_block() -> str:
    return standard(
        f"<h3>{MORE_FROM}</h3><ul>"
        + runs(
            lambda u, t, d: (
                f"<li><a href='{u}'>{E(t)}</a> <span>&mdash; {printed(d)}</span></li>"
                f"<li>{E(t)}</li>"
            )
        )
        + "</ul>"
    )


def hidden_elements_and_scripts() -> str:
    return standard(
        f"<h3>{MORE_FROM}</h3>"
        + runs(
            lambda u, t, d: (
                f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>"
                "<p style='display: none'>Hidden promotional line with enough words in it</p>"
            )
        ),
        before="<script>document.write('Pyongyang, June 2 (KCNA) -- not the story -0-')</script>"
        "<div hidden>Pyongyang, June 2 (KCNA) -- a hidden line that is not the story</div>",
    )


def boxes_between_headline_and_story() -> str:
    latest = "".join(
        f"<p><a href='https://kcnawatch.org/newstream/1700000000-{n}/'>Pyongyang, November {n}"
        f" (KCNA) -- Latest story number {n} of the sidebar</a></p><p>November {n:02}, 2023</p>"
        for n in (2, 3)
    )
    popular = "".join(
        f"<p><a href='https://kcnawatch.org/newstream/1700000000-{n}/'>Popular story {n} of the"
        f" week</a></p><p>November {n:02}, 2023</p><p>Popular story {n} of the week</p>"
        for n in (4, 5)
    )
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1><aside><h4>Latest</h4>{latest}<h4>Popular</h4>{popular}</aside>"
        f"<div>{story_paragraphs()}</div><h3>{MORE_FROM}</h3>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<p>More Articles</p>",
    )


def date_line_above_the_story() -> str:
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1><p>Share: <a href='/t'>Twitter</a> <a href='/f'>Facebook</a></p>"
        f"<p>Posted on June 1, 2018</p>{story_paragraphs()}<h3>{MORE_FROM}</h3>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<p>More Articles</p>",
    )


def related_box_inside_the_story() -> str:
    related = "".join(
        f"<div><a href='https://kcnawatch.org/newstream/1700000000-{n}/'>Related story {n}"
        f" printed inside the story</a></div><div>November {n:02}, 2023</div>"
        f"<div>Related story {n} printed inside the story</div>"
        for n in (6, 7)
    )
    story = story_paragraphs(STORY[:5]) + f"<aside>{related}</aside>" + story_paragraphs(STORY[5:])
    return page(
        "",
        f"<h1>{E(HEADLINE)}</h1>{story}<h3>{MORE_FROM}</h3>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<p>More Articles</p>",
    )


def site_logo_in_an_h1(logo: str, head: str = "<title>KCNA Watch</title>") -> str:
    """The site's header with its logo in an ``h1`` above the headline's, the ``<title>``
    holding only the site's name (as on a site's index pages, or a theme's every page)."""
    box = runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
    return standard(
        f"<h3>{MORE_FROM}</h3>{box}",
        before=f"<header>{logo}<nav><a href='/'>Home</a> <a href='/newstream/'>Newstream</a>"
        "</nav></header>",
        head=head,
    )


def logo_linking_home() -> str:
    # Served from another host than its name says (URL_ELSEWHERE): the link tells it.
    return site_logo_in_an_h1("<h1 class='site-title'><a href='/' rel='home'>KCNA Watch</a></h1>")


def logo_named_like_the_host() -> str:
    return site_logo_in_an_h1("<h1 class='logo'>KCNA Watch</h1>")


def logo_named_as_the_site_says() -> str:
    meta = "<meta property='og:site_name' content='The State Media Watch'>"
    return site_logo_in_an_h1(
        "<div><h1>The State Media Watch</h1></div>",
        head=f"<title>The State Media Watch</title>{meta}"
        "<meta property='og:title' content='The State Media Watch'>",
    )


def headline_linking_to_its_short_link() -> str:
    # WordPress's headline links to the story's short link (``/?p=<id>``, its address under
    # plain permalinks): a link to the site's root with a query is no link home. The box's
    # heading is an h1 too (a theme's widget titles), the site's logo an image.
    box = runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
    return page(
        f"<title>{E(HEADLINE)} | KCNA Watch</title>",
        "<header><a href='/' rel='home'><img src='/logo.png' alt='KCNA Watch'></a></header>"
        f"<h1 class='entry-title'><a href='/?p=567937233' rel='bookmark'>{E(HEADLINE)}</a></h1>"
        f"<div>{story_paragraphs()}</div><h1 class='widget-title'>{MORE_FROM}</h1>{box}"
        "<a href='/newstream/'>More Articles</a>",
    )


RENDERINGS = [
    pytest.param(logo_linking_home, URL_ELSEWHERE, D(2018, 6, 1), id="logo-h1-linking-home"),
    pytest.param(logo_named_like_the_host, URL, D(2018, 6, 1), id="logo-h1-named-like-host"),
    pytest.param(logo_named_as_the_site_says, URL, D(2018, 6, 1), id="logo-h1-og-site-name"),
    pytest.param(
        headline_linking_to_its_short_link, URL, D(2018, 6, 1), id="headline-h1-short-link"
    ),
    pytest.param(related_box_inside_the_story, URL, D(2018, 6, 1), id="related-box-in-story"),
    pytest.param(boxes_between_headline_and_story, URL, D(2018, 6, 1), id="boxes-before-story"),
    pytest.param(date_line_above_the_story, URL_WITHOUT_TIME, D(2018, 6, 1), id="date-above-story"),
    pytest.param(card_wrapped_in_link, URL, D(2018, 6, 1), id="card-wrapped-in-link"),
    pytest.param(
        dates_before_teasers_without_repeat, URL, D(2018, 6, 1), id="date-first-no-repeat"
    ),
    pytest.param(
        teaser_runs_in_a_sidebar_before_the_headline,
        URL,
        D(2018, 6, 1),
        id="sidebar-runs-before-headline",
    ),
    pytest.param(
        no_headings_around_the_box, URL, D(2018, 6, 1), id="no-more-from-no-more-articles"
    ),
    pytest.param(no_end_mark, URL_WITHOUT_TIME, None, id="no-end-mark-no-date"),
    pytest.param(preformatted_text, URL, D(2018, 6, 1), id="pre"),
    pytest.param(bare_text_lines, URL, D(2018, 6, 1), id="bare-text-lines"),
    pytest.param(
        date_under_the_headline,
        "https://kcnawatch.org/newstream/1527984000-1/x/",
        D(2018, 6, 1),
        id="page-date-before-url-time",
    ),
    pytest.param(headline_only_in_the_title, URL, D(2018, 6, 1), id="headline-only-in-title"),
    pytest.param(crlf_nbsp_and_short_dates, URL, D(2018, 6, 1), id="crlf-nbsp-short-dates"),
    pytest.param(ellipsis_on_the_second_copy, URL, D(2018, 6, 1), id="ellipsis-on-second-copy"),
    pytest.param(dateline_in_an_element_of_its_own, URL, D(2018, 6, 1), id="dateline-own-element"),
    pytest.param(box_printed_twice, URL, D(2018, 6, 1), id="box-printed-twice"),
    pytest.param(date_in_the_teasers_block, URL, D(2018, 6, 1), id="date-glued-to-teaser"),
    pytest.param(hidden_elements_and_scripts, URL, D(2018, 6, 1), id="hidden-and-scripts"),
]


def normalised(page: AggregatorArticlePage) -> ArticleItem:
    item = ArticleItem(
        url=page.url,
        story_key="k",
        title=page.title(),
        paragraphs=page.paragraphs(),
        published=page.published(),
        fetched_at=dt.datetime(2025, 12, 2, tzinfo=dt.UTC),
    )
    return normalise_article(item)


@pytest.mark.parametrize(("render", "url", "published"), RENDERINGS)
def test_rendering_gives_headline_story_date_and_teasers(
    render: Callable[[], str], url: str, published: dt.date | None
) -> None:
    page = AggregatorArticlePage(url, render())
    assert page.is_article()
    assert not page.is_blocked()
    assert page.title() == HEADLINE
    assert page.published() == published
    item = normalised(page)
    assert (item.dateline, item.dateline_place) == (SEED["dateline"], "Pyongyang")
    assert item.dateline_date == (D(2018, 6, 1) if published else None)
    assert item.body == SEED["body"]
    assert [(t.url, t.text, t.published) for t in page.teasers()] == TEASERS


@pytest.mark.parametrize(("render", "url", "published"), RENDERINGS)
def test_no_teaser_leaks_into_the_story(
    render: Callable[[], str], url: str, published: dt.date | None
) -> None:
    body = normalised(AggregatorArticlePage(url, render())).body
    assert not [text for _, text, _ in TEASERS if text in body or text[40:90] in body]
    assert MORE_FROM not in body
    assert "More Articles" not in body


def test_teasers_without_links_give_no_teasers_but_the_story() -> None:
    box = runs(lambda u, t, d: f"<p>{E(t)}</p><p>{printed(d)}</p><p>{E(t)}</p>")
    page = AggregatorArticlePage(URL, standard(f"<h3>{MORE_FROM}</h3>{box}"))
    assert page.teasers() == []
    assert normalised(page).body == SEED["body"]


def test_teaser_dates_are_never_the_story_date() -> None:
    page = AggregatorArticlePage(URL_WITHOUT_TIME, card_wrapped_in_link())
    assert page.published() is None
    assert page.source_label() == "KCNA.kp (En)"


@pytest.mark.parametrize(
    ("html_text", "why"),
    [
        pytest.param(
            page("", "<h1>Web Page Blocked</h1><p>Access denied by policy.</p>"),
            "blocked",
            id="blocked-filter-page",
        ),
        pytest.param(
            page(
                "<title>Newstream | KCNA Watch</title>",
                f"<h2>{MORE_FROM}</h2>"
                + runs(
                    lambda u, t, d: (
                        f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>"
                    )
                ),
            ),
            "listing",
            id="listing-of-teasers-only",
        ),
        pytest.param(
            page(
                "<title>About | KCNA Watch</title>",
                "<h1>About</h1><p>KCNA Watch is a service that republishes North Korean state"
                " media for research.</p>",
            ),
            "about",
            id="page-without-dateline-or-end-mark",
        ),
        pytest.param(page("", ""), "empty", id="empty-page"),
    ],
)
def test_pages_that_are_not_articles(html_text: str, why: str) -> None:
    page = AggregatorArticlePage(URL, html_text)
    assert not page.is_article()
    assert page.is_blocked() is (why == "blocked")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("December 01, 2025", D(2025, 12, 1), id="teaser-date"),
        pytest.param("Dec 1, 2025", D(2025, 12, 1), id="abbreviated"),
        pytest.param("\xa0June 1, 2018\xa0", D(2018, 6, 1), id="nbsp"),
        pytest.param("Published June 1, 2018", D(2018, 6, 1), id="label"),
        pytest.param("Posted on: June 1, 2018 07:00 AM KST", D(2018, 6, 1), id="label-and-time"),
        pytest.param("June 1, 2018 at 16:05", D(2018, 6, 1), id="at-time"),
        pytest.param("2018-06-01", D(2018, 6, 1), id="iso"),
        pytest.param("2018-06-01T16:05:00+09:00", D(2018, 6, 1), id="iso-with-zone-as-printed"),
        pytest.param("[2025.12.1.]", D(2025, 12, 1), id="kcna-style"),
        pytest.param("(Juche113.8.4.)", D(2024, 8, 4), id="juche"),
        pytest.param("2018-02-30", None, id="impossible-iso"),
        pytest.param("opened on November 26, 2025 at the hall", None, id="date-inside-a-sentence"),
        pytest.param("Pyongyang, December 1 (KCNA) -- It has been four years", None, id="teaser"),
        pytest.param("More Articles", None, id="words"),
        pytest.param("", None, id="empty"),
    ],
)
def test_date_of_line(text: str, expected: dt.date | None) -> None:
    assert date_of_line(text) == expected


def test_a_teaser_whose_link_is_no_web_address_is_left_out() -> None:
    # Found by test_fuzz: a page cut so that an href became "https:>Pyongyang, ..." made
    # teasers() raise instead of leaving that one link out.
    fixture = Path(__file__).resolve().parent.parent / "fixtures/aggregator/seed-semantic"
    url = json.loads((fixture / "meta.json").read_text("utf-8"))["url"]
    whole = (fixture / "page.html").read_text("utf-8")
    teasers = AggregatorArticlePage(url, whole).teasers()
    assert len(teasers) > 1
    # Another scheme than the page's: urljoin leaves it as it is, without a host.
    # The first teaser's link as the page writes it (its slug after the story's address).
    link = re.search(rf'href="({re.escape(teasers[0].url)}[^"]*)"', whole)
    assert link is not None
    cut = whole.replace(link[0], 'href="http:>Pyongyang"')
    assert cut != whole
    assert AggregatorArticlePage(url, cut).teasers() == teasers[1:]


@pytest.mark.parametrize(
    "machine_time",
    [
        '<meta property="article:published_time" content="2018-05-31T23:05:00+00:00">',
        '<meta itemprop="datePublished" content="2018-05-31T23:05:00Z">',
    ],
    ids=["meta-with-offset", "meta-in-utc-z"],
)
def test_a_machine_time_in_utc_dates_a_pyongyang_morning_story_on_its_own_day(
    machine_time: str,
) -> None:
    # 23:05 UTC on May 31 is 08:05 on June 1 in Pyongyang (UTC+9 from May 2018): the story's
    # day, as the page prints it under its headline and as the unix time in its URL says.
    html_text = standard(
        f"<h2>{MORE_FROM}</h2>", head=f"<title>{E(HEADLINE)}</title>{machine_time}"
    )
    article = AggregatorArticlePage(URL_WITHOUT_TIME, html_text)
    assert article.published() == dt.date(2018, 6, 1)


def test_a_machine_time_without_an_offset_is_taken_as_written() -> None:
    meta = '<meta property="article:published_time" content="2018-05-31T23:05:00">'
    html_text = standard(f"<h2>{MORE_FROM}</h2>", head=f"<title>{E(HEADLINE)}</title>{meta}")
    assert AggregatorArticlePage(URL_WITHOUT_TIME, html_text).published() == dt.date(2018, 5, 31)


def test_a_story_sentence_opening_with_more_from_is_story_text_not_the_box_heading() -> None:
    sentence = "More from the Russian side were present at the talks, the report said."
    story = [*STORY[:2], sentence, *STORY[2:]]
    html_text = page(
        f"<title>{E(HEADLINE)} | KCNA Watch</title>",
        f"<h1>{E(HEADLINE)}</h1><div>{story_paragraphs(story)}</div><h2>{MORE_FROM}</h2>"
        + runs(lambda u, t, d: f"<p><a href='{u}'>{E(t)}</a></p><p>{printed(d)}</p><p>{E(t)}</p>")
        + "<a href='/newstream/'>More Articles</a>",
    )
    article = AggregatorArticlePage(URL, html_text)
    found = article.story()
    assert found is not None
    assert found[1] == story
    assert article.source_label() == "KCNA.kp (En)"
    assert [teaser.url for teaser in article.teasers()] == [url for url, _t, _d in TEASERS]


def aggregator_fixture(name: str, source: str, end_mark: bool) -> AggregatorArticlePage:
    """A saved aggregator page whose box names ``source``, with or without its end mark."""
    folder = Path(__file__).resolve().parent.parent / "fixtures/aggregator" / name
    html = (folder / "page.html").read_text(encoding="utf-8")
    html = html.replace("More From KCNA.kp (En)", f"More From {source}")
    if not end_mark:
        html = html.replace("-0-", "")  # a story without it (Rodong Sinmun's): the box ends it
    url = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["url"]
    return AggregatorArticlePage(url, html)


@pytest.mark.parametrize(
    "source",
    ["Committee for the Peaceful Reunification of the Country", "Ministry of Foreign Affairs"],
)
@pytest.mark.parametrize("name", ["seed-semantic", "seed-tables"])
@pytest.mark.parametrize("end_mark", [True, False], ids=["end-mark", "no-end-mark"])
def test_a_box_heading_naming_a_long_source_ends_the_story(
    name: str, source: str, end_mark: bool
) -> None:
    known = aggregator_fixture(name, "KCNA.kp (En)", end_mark).story()
    page = aggregator_fixture(name, source, end_mark)
    assert known is not None
    assert page.story() == known
    assert page.source_label() == source
    assert len(page.teasers()) == len(TEASERS)
