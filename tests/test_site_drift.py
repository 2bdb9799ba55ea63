"""When www.kcna.kp changes its markup again, in part or in whole, a cron user hears of it
(exit 3, an ALARM line), nothing stored is overwritten with a worse reading, and once the
site (or the crawler) is right again the next runs store and date every story it hid.

Each test crawls the imitation site as it is, publishes 8 new stories, and crawls the site
changed (``tests/drift.py``), with the README's cron line where it matters.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CrawlResult, crawl_stopped_when, run_crawl
from tests.drift import Change, Drifted, loud, rows, sub
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import write_snapshot

CRON = ("-a", "recheck_days=2")


def only_in(category_id: str, change: Change) -> Change:
    return lambda html, path: change(html, path) if path.endswith(category_id) else html


@pytest.mark.parametrize(
    ("change", "first_run_loud"),
    [
        pytest.param(sub(r"var page_cnt", "var pageCnt"), True, id="counters-renamed"),
        # Page 1 with counters and no entries is a failed session at first (the site has
        # those): the second run that cannot read the category raises the alarm.
        pytest.param(
            sub(r'<h5 class="block">(.*?)</h5>', r'<h4 class="block">\1</h4>'),
            False,
            id="entries-in-h4",
        ),
    ],
)
def test_one_category_whose_listing_changed_is_not_lost_silently(
    tmp_path: Path, change: Change, first_run_loud: bool
) -> None:
    drifted = Drifted(tmp_path, category=1)
    changed = only_in(drifted.site.categories[1].id, change)

    first, second = (drifted.run(*CRON, listing=changed) for _hour in range(2))

    assert drifted.unstored(second) == drifted.new
    assert loud(first) == first_run_loud, first.log[-3000:]
    assert loud(second), second.log[-3000:]
    assert drifted.unstored(drifted.run_fixed(*CRON)) == []


def test_a_listing_that_ignores_the_page_posted_for_is_not_taken_for_its_later_pages(
    tmp_path: Path,
) -> None:
    drifted = Drifted(tmp_path)  # 6 entries a page: 2 of the 8 new stories push onto page 2
    # The form's field is now `pageNo`, and the site reads it alone.
    result = drifted.run(
        listing=sub(r'name="page_num" id="page_num"', 'name="pageNo" id="pageNo"'),
        form=lambda form: {**form, "page_num": form.get("pageNo", "1")},
    )

    assert loud(result), result.log[-3000:]
    assert result.stat("wirecrawl/listing/wrong_page") >= 1
    assert "ALARM: 1 listing page(s) answered another page than the one asked for" in result.log
    assert drifted.unstored(drifted.run_fixed()) == []


def test_later_listing_pages_failing_run_after_run_raise_the_alarm(tmp_path: Path) -> None:
    drifted = Drifted(tmp_path)
    no_token = sub(r'<input type="hidden" name="_csrf"[^>]*>', "")  # in a <meta> tag only

    first, second = (drifted.run(*CRON, listing=no_token) for _hour in range(2))

    assert "Gave up on category" in first.log
    assert drifted.unstored(second)
    assert loud(second), second.log[-3000:]
    assert "category listing(s) given up in this run and in the one before" in (second.log)
    assert drifted.unstored(drifted.run_fixed(*CRON)) == []


def test_listing_dates_in_a_new_form_are_said_and_every_story_dated_later(
    tmp_path: Path,
) -> None:
    drifted = Drifted(tmp_path)

    def iso_dates(html: str, path: str) -> str:
        return re.sub(
            r"<nobr>\[(\d{4})\.(\d+)\.(\d+)\.\]</nobr>",
            lambda m: f"<nobr>{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}</nobr>",
            html,
        )

    result = drifted.run(*CRON, listing=iso_dates)
    fixed = rows(drifted.run_fixed(*CRON))

    assert loud(result), result.log[-3000:]
    assert "listing page(s) with no entry whose date reads" in result.log
    assert {story.id: fixed[story.id]["published"] for story in drifted.new} == {
        story.id: story.published.isoformat() for story in drifted.new
    }


def test_a_page_title_naming_the_site_is_no_headline(tmp_path: Path) -> None:
    drifted = Drifted(tmp_path)

    def redesign(html: str, path: str) -> str:
        html = re.sub(r'<h1 class="text-center text-danger">(.*?)</h1>', r"<h2>\1</h2>", html)
        return re.sub(
            r"<title>.*?</title>", "<title>KCNA | Korean Central News Agency</title>", html
        )

    result = drifted.run(*CRON, article=redesign)

    assert drifted.overwritten(result, "title", "body") == []
    assert "Korean Central News Agency" not in {row["title"] for row in rows(result).values()}
    assert loud(result), result.log[-3000:]


DATELINE = r"^<p>([A-Z][\w .]*?),\s*([A-Z][a-z]+) (\d+) \(KCNA\)\s*--"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            sub(r'(<h1 class="text-center"></h1>)', r"\1\n<p>www.kcna.kp (2026.11.21.)</p>"),
            id="date-line-as-first-paragraph",
        ),
        pytest.param(
            sub(
                r'(<h1 class="text-center"></h1>\n(?:<div class="photo">.*\n)?)(<p>.*</p>)',
                r'\1<div class="lead">\2</div>',
            ),
            id="lead-paragraph-in-a-div",
        ),
        pytest.param(sub(DATELINE, r"<p>\1, \3 \2 (KCNA) --", re.M), id="dateline-day-month"),
        pytest.param(
            sub(
                r"^<p>([A-Z][\w .]*?,\s*[A-Z][a-z]+ \d+ \(KCNA\)\s*--)\s*",
                r'<div class="dateline">\1</div>\n<p>',
                re.M,
            ),
            id="dateline-in-its-own-element",
        ),
    ],
)
def test_story_pages_that_lose_their_dateline_overwrite_nothing_and_say_so(
    tmp_path: Path, change: Change
) -> None:
    drifted = Drifted(tmp_path)

    result = drifted.run(*CRON, article=change)

    # Stories with a dateline keep their stored text. One without (an anecdote) has nothing
    # to tell its reading by, but the run has: its changed text waits for the run's end, and
    # the stories with a dateline read without it say the pages changed, so it is kept too,
    # and no edit is recorded (gap 63).
    datelined = {key for key, row in drifted.before.items() if row["dateline"] is not None}
    undatelined = set(drifted.before) - datelined
    assert undatelined
    assert drifted.overwritten(result, "title", "body", "dateline") == []
    assert result.rows("SELECT * FROM article_revisions") == []
    assert result.stat("wirecrawl/store/dateline_lost_kept") == len(datelined)
    assert result.stat("wirecrawl/store/changed") == 0
    assert loud(result), result.log[-3000:]
    assert "read again without their dateline, kept as stored" in result.log
    held = result.stat("wirecrawl/store/undatelined_kept")
    assert held <= len(undatelined)
    if held:
        assert f"{held} stored story(ies) without a dateline read again with another text" in (
            result.log
        )


def test_a_line_before_every_story_keeps_the_stories_without_a_dateline_too(
    tmp_path: Path,
) -> None:
    """The redesign above that changes every story's reading, the undatelined ones too."""
    drifted = Drifted(tmp_path)
    change = sub(r'(<h1 class="text-center"></h1>)', r"\1\n<p>www.kcna.kp (2026.11.21.)</p>")
    undatelined = {key for key, row in drifted.before.items() if row["dateline"] is None}

    result = drifted.run(*CRON, article=change)

    assert drifted.overwritten(result, "title", "body") == []
    assert result.stat("wirecrawl/store/undatelined_kept") == len(undatelined)
    assert result.rows("SELECT * FROM article_revisions") == []
    # Once the crawler reads the site again (here: the site as it was), all is as stored.
    fixed = drifted.run_fixed(*CRON)
    assert fixed.returncode == 0, fixed.log[-3000:]
    assert drifted.overwritten(fixed, "title", "body") == []
    assert fixed.stat("wirecrawl/store/undatelined_kept") == 0


def test_the_same_checks_pass_on_the_site_unchanged(tmp_path: Path) -> None:
    drifted = Drifted(tmp_path)
    result = drifted.run(*CRON)
    assert result.returncode == 0, result.log[-3000:]
    assert drifted.overwritten(result, "title", "body", "dateline", "published") == []
    after = rows(result)
    for story in drifted.new:
        assert after[story.id]["published"] == story.published.isoformat()
        assert after[story.id]["dateline"] is not None


def test_a_story_stored_undated_takes_its_listing_date_under_the_cron_line(
    tmp_path: Path,
) -> None:
    # Stored an hour ago by URL (no date), it is due for a recheck, asked for first with no
    # date; the listing's dated request for it must still be made.
    site = build_site(stories=24, categories=3, seed=5)
    root, db = tmp_path / "site", tmp_path / "archive.db"
    write_snapshot(site, root, per_page=6)
    story = site.stories[0]
    url = f"http://www.kcna.kp/en/article/detail/{story.id}"
    with SiteServer(root) as server:
        assert run_crawl(server.proxy_url, db, "-a", f"urls={url}").returncode == 0
        hourly = run_crawl(server.proxy_url, db, *CRON)

    assert hourly.returncode == 0, hourly.log[-3000:]
    assert rows(hourly)[story.id]["published"] == story.published.isoformat()


def give_up_on_page_2(drifted: Drifted) -> CrawlResult:
    """A run in which the site's sessions fail on page 2 of the category after every renewal."""
    listing = f"/en/article/list/{drifted.site.categories[0].id}"
    with SiteServer(drifted.root) as server:
        server.add_fault(listing, *["drop-session"] * 10, page_num=2)
        result = run_crawl(server.proxy_url, drifted.db)
    assert "Gave up on category" in result.log
    return result


def test_one_give_up_after_a_run_that_was_stopped_raises_no_alarm(tmp_path: Path) -> None:
    # The run before was stopped (SIGTERM) while it paged the category: incomplete, but
    # failed nothing. The site's sessions failing now is a passing failure, as after a clean
    # run: no alarm.
    drifted = Drifted(tmp_path)
    listing = f"/en/article/list/{drifted.site.categories[0].id}"
    with SiteServer(drifted.root, delay=1.0) as server:
        posted = lambda: any(r.method == "POST" for r in server.requests_for(listing))  # noqa: E731
        code, log = crawl_stopped_when(server, drifted.db, posted)
    assert code == 4, log[-3000:]

    after = give_up_on_page_2(drifted)

    assert after.returncode == 0, after.log[-3000:]
    assert "ALARM" not in after.log


def test_a_give_up_after_a_clean_run_raises_no_alarm_and_a_second_in_a_row_does(
    tmp_path: Path,
) -> None:
    drifted = Drifted(tmp_path)
    first = give_up_on_page_2(drifted)
    assert first.returncode == 0, first.log[-3000:]
    second = give_up_on_page_2(drifted)
    assert loud(second), second.log[-3000:]
    assert "1 category listing(s) given up in this run and in the one before" in (second.log)
