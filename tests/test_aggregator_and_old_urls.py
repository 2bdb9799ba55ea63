"""A kcna.kp story and an aggregator's copy of it, and pages of the old layout given by URL:
the row a story is shown under, its date, and a failed old listing."""

from __future__ import annotations

import datetime as dt
import html
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import CrawlResult, PageProxy, run_crawl
from wirecrawl.extract import read_fetched_story
from wirecrawl.normalise.article import normalise_article
from wirecrawl.storage import ArchiveWriter, article_row, open_archive, timestamp

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "fixtures/aggregator/seed-div-soup/expected.json").read_text("utf-8"))
TEASERS = [(t["url"], t["text"], dt.date.fromisoformat(t["published"])) for t in SEED["teasers"]]
STORY = [
    f"{SEED['dateline']} {p}" if i == 0 else p for i, p in enumerate(SEED["body"].split("\n\n"))
]
STORY[-1] += " -0-"
OLD_URL = f"http://www.kcna.kp/en/article/q/{'ab' * 16}.kcmsf"
# Posted 2018-06-01 09:00 in Pyongyang (00:00 UTC): the seed page's own story.
AGG_URL = "https://kcnawatch.org/newstream/1527811200-567937233/kim-jong-un-receives/"
# The same story posted at 08:00 in Pyongyang: still May 31 in UTC.
MORNING_URL = "https://kcnawatch.org/newstream/1527807600-567937233/kim-jong-un-receives/"


def aggregator_page(
    headline: str, story: list[str], teasers: list[tuple[str, str, dt.date]] = TEASERS
) -> str:
    """The seed page's shape: headline, story, then the "More From" box of teaser runs."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story)
    runs = "".join(
        f"<p><a href='{url}'>{html.escape(text)}</a></p><p>{day:%B %d, %Y}</p>"
        f"<p>{html.escape(text)}</p>"
        for url, text, day in teasers
    )
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(headline)} | KCNA Watch</title></head>"
        f"<body><h1>{html.escape(headline)}</h1><div>{paragraphs}</div>"
        f"<h3>More From KCNA.kp (En)</h3>{runs}<p><a href='/newstream/'>More Articles</a></p>"
        "</body></html>"
    )


def old_kcna_page(title: str, story: list[str], date: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story)
    return (
        "<html><head><title>KCNA</title></head><body><div class='article-main'>"
        f"<div class='article-main-title'><strong>{html.escape(title)}</strong></div>"
        f"<div class='article-content-body'><div class='content-wrapper'>{paragraphs}</div></div>"
        f"<span class='publish-time'>www.kcna.kp ({date})</span></div></body></html>"
    )


def store(writer: ArchiveWriter, url: str, page: str, hour: int) -> None:
    """What a crawl stores of a page fetched at ``hour`` (UTC) given by URL (no listing date)."""
    when = dt.datetime(2025, 12, 2, hour, tzinfo=dt.UTC)
    reading = read_fetched_story(url, 200, page.encode(), "utf-8", None, when)
    assert reading.story is not None, reading.outcome
    writer.add_article(article_row(normalise_article(reading.story), seen=timestamp(when)))
    writer.flush()


def rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT source, url, published FROM articles"))


def test_a_kcna_story_stays_shown_under_its_own_url_whichever_copy_came_first(
    tmp_path: Path,
) -> None:
    old_page = old_kcna_page(SEED["title"], STORY, "Juche107.6.1.")
    for name, order in {
        "original-first": [(OLD_URL, old_page), (AGG_URL, aggregator_page(SEED["title"], STORY))],
        "copy-first": [(AGG_URL, aggregator_page(SEED["title"], STORY)), (OLD_URL, old_page)],
    }.items():
        db = tmp_path / f"{name}.db"
        writer = ArchiveWriter(open_archive(db), batch_size=None)
        for hour, (url, page) in enumerate(order, start=8):
            store(writer, url, page, hour)
        writer.db.close()
        assert rows(db) == [("kcna.kp", OLD_URL, "2018-06-01")], name


def test_an_aggregator_story_posted_in_the_pyongyang_morning_is_of_that_day(
    tmp_path: Path,
) -> None:
    # Its date is the agency's (Pyongyang's), so it is one story with the kcna.kp original.
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    store(writer, MORNING_URL, aggregator_page(SEED["title"], STORY), 8)
    assert rows(db) == [("kcnawatch.org", MORNING_URL, "2018-06-01")]
    store(writer, OLD_URL, old_kcna_page(SEED["title"], STORY, "Juche107.6.1."), 9)
    writer.db.close()
    assert rows(db) == [("kcna.kp", OLD_URL, "2018-06-01")]


def test_a_failed_old_category_page_raises_the_alarm_a_failed_listing_does(tmp_path: Path) -> None:
    # Given with -a urls= beside a story: the category page answers 404, the story is stored,
    # and the run says that no listing could be read (exit 3), as for the current layout.
    category = "/en/category/articles/q/5394b80bdae203fadef02522cfb578c0.kcmsf"
    story_path = f"/en/article/q/{'cd' * 16}.kcmsf"
    story = old_kcna_page(
        "Spokesman Answers Question",
        ["Pyongyang, December 9 (KCNA) -- A spokesman answered.", "-0-"],
        "Juche108.12.10.",
    )
    with PageProxy("www.kcna.kp", {story_path: story}) as proxy:
        result = run_crawl(
            proxy.proxy_url,
            tmp_path / "a.db",
            "-a",
            f"urls=http://www.kcna.kp{category},http://www.kcna.kp{story_path}",
        )
    assert result.rows("SELECT count(*) AS n FROM articles") == [{"n": 1}]
    assert result.returncode == 3, result.log[-2000:]
    assert "Listing page failed, category skipped: http://www.kcna.kp" + category in result.log
    assert "ALARM: none of the category listings could be read (1 failed)" in result.log


def test_a_story_teased_in_its_own_box_keeps_its_opening(tmp_path: Path) -> None:
    # The "More From" box lists the source's latest stories, the page's own among them; its
    # teaser (about 130 characters) may be the whole of the story's first paragraph.
    own = "https://kcnawatch.org/newstream/1764468000-568101111/mausoleum-of-king-kongmin/"
    story = [
        "Pyongyang, November 30 (KCNA) -- The Mausoleum of King Kongmin is the tomb of King"
        " Kyonghyo, the 31st King of Koryo (1352-1374).",
        "It is situated in Kaephung District of Kaesong City. The mausoleum was built in 1365"
        " and is a national treasure of the DPRK.",
        "It has been well preserved by the state. -0-",
    ]
    teasers = [(own, story[0], dt.date(2025, 11, 30)), *TEASERS[:5]]
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    store(writer, own, aggregator_page("Mausoleum of King Kongmin", story, teasers), 8)
    writer.db.close()
    with sqlite3.connect(db) as conn:
        dateline, body = conn.execute("SELECT dateline, body FROM articles").fetchone()
    assert dateline == "Pyongyang, November 30 (KCNA) --"
    assert body.startswith("The Mausoleum of King Kongmin is the tomb of King Kyonghyo")
    assert body.endswith("It has been well preserved by the state.")


def test_two_stories_teased_with_the_same_words_are_both_recorded(tmp_path: Path) -> None:
    # Greetings of one day open alike: cut to about 130 characters, two of them print the same
    # teaser under two links. Each is a story of its own in the archive's record of teasers.
    same = (
        "Pyongyang, December 1 (KCNA) -- Kim Jong Un, general secretary of the Workers' Party of"
        " Korea and president of the State Affairs of the"
    )
    day = dt.date(2025, 12, 1)
    laos = "https://kcnawatch.org/newstream/1764550800-568100101/message-to-laos/"
    romania = "https://kcnawatch.org/newstream/1764550900-568100102/message-to-romania/"
    page = aggregator_page(SEED["title"], STORY, [(laos, same, day), (romania, same, day)])
    reading = read_fetched_story(
        AGG_URL, 200, page.encode(), "utf-8", None, dt.datetime.now(dt.UTC)
    )
    assert [entry.url for entry in reading.teasers] == [
        "https://kcnawatch.org/newstream/1764550800-568100101/",
        "https://kcnawatch.org/newstream/1764550900-568100102/",
    ]


def test_an_old_category_page_gives_its_stories_the_name_it_prints(tmp_path: Path) -> None:
    # articles.categories holds names: the old page prints "Top News", not its hex id.
    category = "/en/category/articles/q/5394b80bdae203fadef02522cfb578c0.kcmsf"
    page = (ROOT / "fixtures/kcna_old/category-top-news/page.html").read_text("utf-8")
    story_path = "/en/article/q/7d2a4c6e8f0b1d3e5a7c9e1b3d5f7a9c.kcmsf"
    story = old_kcna_page(
        '"Tripartite Cooperation" Denounced: KCNA Commentary',
        ["Pyongyang, June 14 (KCNA) -- The commentary says it.", "It ends here. -0-"],
        "2024.6.14.",
    )
    with PageProxy("www.kcna.kp", {category: page, story_path: story}) as proxy:
        result = run_crawl(
            proxy.proxy_url, tmp_path / "a.db", "-a", f"urls=http://www.kcna.kp{category}"
        )
    assert result.rows("SELECT categories FROM articles") == [{"categories": '["Top News"]'}]
    assert result.rows("SELECT DISTINCT category_name FROM article_categories") == [
        {"category_name": "Top News"}
    ]


def test_the_date_an_aggregator_page_prints_wins_over_its_machine_time() -> None:
    # Under the headline, the common form: the machine time in UTC, the date a reader sees.
    under = "<p>Published <time datetime='2018-05-31T23:05:00+00:00'>June 1, 2018</time></p>"
    page = aggregator_page(SEED["title"], STORY).replace("</h1>", "</h1>" + under, 1)
    url = "https://kcnawatch.org/article/kim-jong-un-receives/"
    reading = read_fetched_story(url, 200, page.encode(), "utf-8", None, dt.datetime.now(dt.UTC))
    assert reading.story is not None
    assert reading.story.published == dt.date(2018, 6, 1)


OLD_TOP_NEWS = "5394b80bdae203fadef02522cfb578c0"  # the old layout's id (the saved homepage)
NEW_TOP_NEWS = "6a47505ba5268fd7749c0fe11e4b24b4"  # the current layout's
SPOKESMAN = "Foreign Ministry Spokesman Answers Question of KCNA"
SPOKESMAN_STORY = [
    "Pyongyang, June 14 (KCNA) -- A spokesman for the Foreign Ministry of the DPRK gave the"
    " following answer to a question raised by KCNA on Friday:",
    "The recent moves of the U.S. in the region are an open challenge to peace and stability.",
    "We will watch every move closely and take countermeasures as required. -0-",
]
# The dashboard's "Stories per category" (wirecrawl/datasette/metadata.yaml), without its dates.
STORIES_PER_CATEGORY = (
    "SELECT c.category_name AS category, count(DISTINCT a.id) AS stories "
    "FROM article_categories AS c JOIN articles AS a ON a.id = c.article_id "
    "GROUP BY c.category_name ORDER BY stories DESC"
)


def old_category_page(entries: list[tuple[str, str, str]], heading: str = "Top News") -> str:
    """An old-layout category page: a menu, a heading when given, the entries."""
    menu = "".join(
        f"<a href='/en/category/articles/q/{key}.kcmsf'>{name}</a>"
        for key, name in [("1ee9bdb7186944f765208f34ecfb5407", "Latest News"),
                          (OLD_TOP_NEWS, "Top News")]
    )  # fmt: skip
    items = "".join(
        f"<li><a href='/en/article/q/{key}.kcmsf'>{html.escape(title)}"
        f" <span class='publish-time'>[{date}]</span></a></li>"
        for key, title, date in entries
    )
    title = f"<div class='category-title'>{heading}</div>" if heading else ""
    return (
        f"<html><head><title>KCNA</title></head><body><div class='menu'>{menu}</div>"
        f"<div class='container'>{title}<ul class='article-link'>{items}</ul></div></body></html>"
    )


def current_listing(category: str, entries: list[tuple[str, str, str]]) -> str:
    """Page 1 of a current-layout listing of one page."""
    blocks = "".join(
        f'<div class="article"><h5 class="block"><a href="/en/article/detail/{key}">'
        f"{html.escape(title)}</a></h5><span><nobr>[{date}]</nobr></span></div>"
        for key, title, date in entries
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>KCNA | Top News</title>"
        f"<script>var total = {len(entries)}; var cur_page = 1; var per_page = 15;"
        " var page_cnt = 1;</script></head><body><main class='container'>"
        f"<form id='article_form' method='POST' action='/en/article/list/{category}'>"
        "<input type='hidden' name='page_num' value='1'>"
        "<input type='hidden' name='_csrf' value='abc'></form>"
        f"{blocks}</main></body></html>"
    )


def current_article(title: str, story: list[str]) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>KCNA | {html.escape(title)}"
        "</title></head><body><main><article><div class='container'>"
        f"<h1 class='text-center text-danger'>{html.escape(title)}</h1>{paragraphs}"
        "</div></article></main></body></html>"
    )


def crawl_pages(tmp_path: Path, pages: dict[str, str], *paths: str) -> CrawlResult:
    """``pages`` served as www.kcna.kp, the pages at ``paths`` crawled with -a urls=."""
    urls = "urls=" + ",".join(f"http://www.kcna.kp{path}" for path in paths)
    with PageProxy("www.kcna.kp", pages) as proxy:
        result = run_crawl(proxy.proxy_url, tmp_path / "a.db", "-a", urls)
    assert result.returncode == 0, result.log[-3000:]
    return result


def crawl_one_story_in_both_layouts(tmp_path: Path) -> CrawlResult:
    """One story listed in Top News of the current layout and of the old one, each page
    crawled with -a urls=: one row under its current and its old URL."""
    new_key, old_key = "a1" * 16, "b2" * 16
    pages = {
        f"/en/article/list/{NEW_TOP_NEWS}": current_listing(
            NEW_TOP_NEWS, [(new_key, SPOKESMAN, "2024.6.14.")]
        ),
        f"/en/article/detail/{new_key}": current_article(SPOKESMAN, SPOKESMAN_STORY),
        f"/en/category/articles/q/{OLD_TOP_NEWS}.kcmsf": old_category_page(
            [(old_key, SPOKESMAN, "2024.06.14")]
        ),
        f"/en/article/q/{old_key}.kcmsf": old_kcna_page(
            SPOKESMAN, SPOKESMAN_STORY, "Juche113.6.14."
        ),
    }
    listing, category = (
        f"/en/article/list/{NEW_TOP_NEWS}",
        f"/en/category/articles/q/{OLD_TOP_NEWS}.kcmsf",
    )
    return crawl_pages(tmp_path, pages, listing, category)


def test_a_story_listed_in_top_news_of_both_layouts_is_in_it_once(tmp_path: Path) -> None:
    # One story under its current and its old URL is one row; each layout has its own id for
    # Top News. Its categories, and the dashboard's count of Top News, name it once.
    assert_one_story_in_top_news_once(crawl_one_story_in_both_layouts(tmp_path))


def test_reparse_counts_the_story_of_both_layouts_once(tmp_path: Path) -> None:
    # Its pages are kept under both URLs: reparse reads both, and reports one story.
    result = crawl_one_story_in_both_layouts(tmp_path)
    assert result.rows("SELECT count(DISTINCT url) AS n FROM pages") == [{"n": 2}]
    done = subprocess.run(
        [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(result.db_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "reparse done: 1 story from the pages of 2 URLs: 1 unchanged, 0 changed, 0 new;"
        " 0 URLs read as no story\n"
    )
    assert result.rows("SELECT count(*) AS n FROM articles") == [{"n": 1}]


def assert_one_story_in_top_news_once(result: CrawlResult) -> None:
    assert result.rows("SELECT categories FROM articles") == [{"categories": '["Top News"]'}]
    assert result.rows(STORIES_PER_CATEGORY) == [{"category": "Top News", "stories": 1}]


def test_an_archive_with_a_category_named_twice_names_it_once_when_opened(tmp_path: Path) -> None:
    # Archives written before migration 0009 held such a story's "Top News" twice.
    db = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(db), batch_size=None)
    store(writer, OLD_URL, old_kcna_page(SEED["title"], STORY, "Juche107.6.1."), 9)
    writer.db.close()
    with sqlite3.connect(db) as conn:
        [(story_id,)] = conn.execute("SELECT id FROM articles")
        for category in (OLD_TOP_NEWS, NEW_TOP_NEWS):
            conn.execute(
                "INSERT INTO article_categories (article_id, category_id, category_name) "
                "VALUES (?, ?, 'Top News')",
                (story_id, category),
            )
        conn.execute('UPDATE articles SET categories = \'["Top News","Top News"]\'')
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0009_category_names_once'")
    open_archive(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT categories FROM articles").fetchall() == [('["Top News"]',)]


def test_a_later_page_of_an_old_category_is_no_category_of_its_own(tmp_path: Path) -> None:
    # Later pages of an old category have opaque 64-hex URLs: a story seen on page 1 in one
    # capture and on a later page in another is in one category, under the category's id.
    story_key, later_page = "c3" * 16, "d4" * 32
    entries = [(story_key, SPOKESMAN, "2024.06.14")]
    pages = {
        f"/en/category/articles/q/{OLD_TOP_NEWS}.kcmsf": old_category_page(entries),
        f"/en/category/articles/q/{later_page}.kcmsf": old_category_page(entries),
        f"/en/article/q/{story_key}.kcmsf": old_kcna_page(SPOKESMAN, SPOKESMAN_STORY, "2024.6.14."),
    }
    first, later = (
        f"/en/category/articles/q/{OLD_TOP_NEWS}.kcmsf",
        f"/en/category/articles/q/{later_page}.kcmsf",
    )
    result = crawl_pages(tmp_path, pages, first, later)
    assert_one_story_in_top_news_once(result)
    assert result.rows("SELECT DISTINCT category_id FROM article_categories") == [
        {"category_id": OLD_TOP_NEWS}
    ]


def crawl_one_old_category_page(tmp_path: Path, page_key: str, story_key: str) -> CrawlResult:
    """An old category page without its heading, listing one story, crawled with -a urls=."""
    pages = {
        f"/en/category/articles/q/{page_key}.kcmsf": old_category_page(
            [(story_key, SPOKESMAN, "2024.06.14")], heading=""
        ),
        f"/en/article/q/{story_key}.kcmsf": old_kcna_page(SPOKESMAN, SPOKESMAN_STORY, "2024.6.14."),
    }
    return crawl_pages(tmp_path, pages, f"/en/category/articles/q/{page_key}.kcmsf")


def test_a_later_page_that_does_not_say_its_category_records_none(tmp_path: Path) -> None:
    story_key = "c3" * 16
    result = crawl_one_old_category_page(tmp_path, "d4" * 32, story_key)
    assert result.rows("SELECT categories FROM articles") == [{"categories": "[]"}]
    assert result.rows("SELECT count(*) AS n FROM article_categories") == [{"n": 0}]
    assert result.rows("SELECT url FROM teasers") == [
        {"url": f"http://www.kcna.kp/en/article/q/{story_key}.kcmsf"}
    ]


def test_an_old_category_page_without_a_heading_is_named_as_its_menu_names_it(
    tmp_path: Path,
) -> None:
    result = crawl_one_old_category_page(tmp_path, OLD_TOP_NEWS, "e5" * 16)
    assert result.rows("SELECT categories FROM articles") == [{"categories": '["Top News"]'}]
