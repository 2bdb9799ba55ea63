"""The old kcna.kp layout (until July 2026): article, category page and homepage classes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from wirecrawl.normalise.dates import parse_kcna_date
from wirecrawl.pages.kcna_old import KcnaOldArticlePage, KcnaOldCategoryPage, KcnaOldHomePage

D = dt.date
HOMEPAGE = (
    Path(__file__).resolve().parent.parent / "fixtures/kcna_old/homepage-2024-08-04/page.html"
).read_text(encoding="utf-8")
LEADER = "<nobr><span class='fSpecCs'>Kim Jong Un</span></nobr>"
ARTICLE_URL = "http://www.kcna.kp/en/article/q/4f1d2c3b5a6e7f8091a2b3c4d5e6f708.kcmsf"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Strings as the real homepage of 2024-08-04 prints them.
        pytest.param("[Juche113.8.4.]", D(2024, 8, 4), id="homepage-aug-4"),
        pytest.param("[Juche113.8.3.]", D(2024, 8, 3), id="homepage-aug-3"),
        pytest.param("[Juche113.7.31.]", D(2024, 7, 31), id="homepage-two-digit-day"),
        pytest.param("[Juche113.7.8.]", D(2024, 7, 8), id="homepage-one-digit-day"),
        pytest.param("[Juche113.6.25.]", D(2024, 6, 25), id="homepage-june"),
        pytest.param("\n[Juche113.7.1.]\n", D(2024, 7, 1), id="homepage-with-newlines"),
        # The article page's publish-time and the category page's link date (kcna-site.md).
        pytest.param("www.kcna.kp (2025.12.14.)", D(2025, 12, 14), id="article-gregorian"),
        pytest.param("www.kcna.kp (Juche108.12.10.)", D(2019, 12, 10), id="article-juche"),
        pytest.param("[2024.06.15]", D(2024, 6, 15), id="category-zero-padded"),
    ],
)
def test_old_layout_date_strings(text: str, expected: dt.date) -> None:
    assert parse_kcna_date(text) == expected


def test_every_datemark_of_the_real_homepage_parses_to_2024() -> None:
    marks = re.findall(r"<span class='datemark'><nobr>([^<]*)</nobr>", HOMEPAGE)
    assert len(marks) >= 84
    days = [parse_kcna_date(mark) for mark in marks]
    assert all(day is not None and D(2024, 6, 1) <= day <= D(2024, 8, 4) for day in days)


def test_real_homepage_gives_each_of_its_39_stories_once() -> None:
    entries = KcnaOldHomePage("http://www.kcna.kp/en", HOMEPAGE).entries()
    assert len(entries) == 39
    assert len({entry.url for entry in entries}) == 39
    assert all("/en/article/q/" in entry.url for entry in entries)
    assert all(entry.published is not None for entry in entries)
    assert not [entry.text for entry in entries if "Juche" in entry.text or "[" in entry.text]
    assert entries[0].text == (
        "Respected Comrade Kim Jong Un Pays Congratulatory Visit to Helicopter Unit of KPA Air"
        " Force"
    )
    assert entries[0].published == D(2024, 8, 3)


def test_real_homepage_prints_every_story_link_twice_or_more() -> None:
    links = re.findall(r"href='(/en/article/q/[0-9a-f]+\.kcmsf)'", HOMEPAGE)
    assert len(links) == 84
    assert len(set(links)) == 39


def test_homepage_entry_without_datemark_has_no_date_of_the_next_entry() -> None:
    html = (
        f"<p class='pointer1'><a href='/en/article/q/{'a' * 32}.kcmsf'>A</a></p>"
        f"<p class='pointer1'><a href='/en/article/q/{'b' * 32}.kcmsf'>B</a>"
        " <span class='datemark'><nobr>[Juche113.8.4.]</nobr></span></p>"
    )
    entries = KcnaOldHomePage("http://www.kcna.kp/en", html).entries()
    assert [(e.text, e.published) for e in entries] == [("A", None), ("B", D(2024, 8, 4))]


def old_article(title: str, date_html: str, body: str = "<p>Body text.</p>") -> KcnaOldArticlePage:
    html = (
        f"<html><body><div class='article-main-title'>{title}</div>{date_html}"
        f"<div class='article-content-body'><div class='content-wrapper'>{body}</div></div>"
        "</body></html>"
    )
    return KcnaOldArticlePage(ARTICLE_URL, html)


@pytest.mark.parametrize(
    ("date_html", "expected"),
    [
        pytest.param(
            "<span class='publish-time'>www.kcna.kp (2025.12.14.)</span>",
            D(2025, 12, 14),
            id="gregorian",
        ),
        pytest.param(
            "<span class='publish-time'>www.kcna.kp (Juche108.12.10.)</span>",
            D(2019, 12, 10),
            id="juche",
        ),
        pytest.param(
            "<span class='publish-time'>\n www.kcna.kp\n (Juche113.8.4.) </span>",
            D(2024, 8, 4),
            id="whitespace",
        ),
        pytest.param(
            f"<ul class='article-link'><li><a href='/en/article/q/{'c' * 32}.kcmsf'>Other"
            " <span class='publish-time'>[2025.12.13]</span></a></li></ul>"
            "<span class='publish-time'>www.kcna.kp (2025.12.14.)</span>",
            D(2025, 12, 14),
            id="related-entry-date-skipped",
        ),
        pytest.param("<span class='publish-time'>www.kcna.kp</span>", None, id="no-date"),
        pytest.param(
            "<span class='publish-time'>www.kcna.kp (2025.2.30.)</span>", None, id="impossible-date"
        ),
        pytest.param("", None, id="missing"),
    ],
)
def test_old_article_published(date_html: str, expected: dt.date | None) -> None:
    assert old_article("Title", date_html).published() == expected


def test_old_article_title_dissolves_leader_markup_inside_strong() -> None:
    page = old_article(f"<strong>Respected Comrade {LEADER}\n Inspects Farm</strong>", "")
    assert page.title() == "Respected Comrade Kim Jong Un Inspects Farm"
    assert page.is_article()


@pytest.mark.parametrize(
    ("title", "body", "is_article"),
    [
        pytest.param("T", "<p>a</p><p> </p><p>b</p>", True, id="article"),
        pytest.param("", "<p>a</p>", False, id="no-title"),
        pytest.param("T", "<p>\xa0</p>", False, id="no-body"),
    ],
)
def test_old_article_is_article(title: str, body: str, is_article: bool) -> None:
    assert old_article(title, "", body).is_article() is is_article


def test_old_category_entry_text_leaves_out_its_date() -> None:
    html = (
        f"<ul class='article-link'><li><a href='/en/article/q/{'d' * 32}.kcmsf'>"
        f"{LEADER} Visits Hospital <span class='publish-time'>[2024.06.15]</span></a></li></ul>"
    )
    url = "http://www.kcna.kp/en/category/articles/q/5394b80bdae203fadef02522cfb578c0.kcmsf"
    [entry] = KcnaOldCategoryPage(url, html).entries()
    assert entry.text == "Kim Jong Un Visits Hospital"
    assert entry.published == D(2024, 6, 15)
    assert entry.url == f"http://www.kcna.kp/en/article/q/{'d' * 32}.kcmsf"
