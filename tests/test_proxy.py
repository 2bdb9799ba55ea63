"""Every request of a crawl goes through the proxy the user gave it: the site bans addresses
and networks block it, so people crawl it through ``http_proxy`` (README). A request that went
around the proxy would reach www.kcna.kp from the user's own address. Each crawl here runs with
a name resolver that records every name looked up and resolves none (``tests/resolver.py``):
a crawl through its proxy looks up no name at all."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, CrawlResult, crawl_command, crawl_env
from tests.resolver import LOG_VARIABLE, SETTING, names_looked_up
from wirecrawl.pages.kcna_current import KcnaListingPage
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import load_site

SNAPSHOT = ROOT / "fixtures" / "snapshot"


def crawl_with_http_proxy_only(server: SiteServer, db: Path, dns_log: Path) -> CrawlResult:
    """``http_proxy=... scrapy crawl kcna``, as the README says to run it: no https_proxy."""
    env = {**crawl_env(server.proxy_url), LOG_VARIABLE: str(dns_log)}
    del env["https_proxy"]
    done = subprocess.run(
        crawl_command(db, *SETTING),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return CrawlResult(done.returncode, done.stdout + done.stderr, db)


def test_a_redirect_to_https_is_refused_not_followed_around_the_proxy(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    story = small_site.stories[0]
    site_server.add_fault(f"/en/article/detail/{story.id}", "redirect-https")
    db, dns_log = tmp_path / "archive.db", tmp_path / "dns.log"

    result = crawl_with_http_proxy_only(site_server, db, dns_log)

    assert names_looked_up(dns_log) == [], result.log[-3000:]
    assert result.stat("wirecrawl/download/not_plain_http_refused") == 1
    assert f"refused: https://www.kcna.kp/en/article/detail/{story.id}" in result.log
    assert "kcna.kp is served over plain HTTP only" in result.log
    stored = {row["id"] for row in result.rows("SELECT id FROM articles")}
    assert stored == {s.id for s in small_site.stories} - {story.id}

    again = crawl_with_http_proxy_only(site_server, db, dns_log)  # the fault is used up
    assert again.returncode == 0, again.log[-3000:]
    assert story.id in {row["id"] for row in again.rows("SELECT id FROM articles")}


def test_a_listing_form_posting_to_https_is_posted_over_plain_http() -> None:
    # The site's own form action, written absolute with https: paged over http, through
    # http_proxy, like every other request.
    html_text = (
        "<html><head><script>var total = 30; var page_cnt = 2;</script></head><body>"
        "<form id='article_form' method='POST' "
        "action='https://kcna.kp/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4'>"
        "<input type='hidden' name='_csrf' value='t'></form></body></html>"
    )
    page = KcnaListingPage(
        "http://www.kcna.kp/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4", html_text
    )
    assert page.form_action() == (
        "http://www.kcna.kp/en/article/list/6a47505ba5268fd7749c0fe11e4b24b4"
    )


def test_the_demo_never_leaves_the_machine_whatever_no_proxy_says(tmp_path: Path) -> None:
    # A user's no_proxy=* (common on build machines) would send every request straight to the
    # site; the demo replaces every proxy variable with its own server.
    settings = tmp_path / "demo_with_recording_resolver.py"
    settings.write_text(
        "from wirecrawl.settings import *  # noqa: F403\n"
        "TWISTED_DNS_RESOLVER = 'tests.resolver.Recording'\n",
        encoding="utf-8",
    )
    dns_log, db = tmp_path / "dns.log", tmp_path / "demo.db"
    env = {
        **crawl_env("http://127.0.0.1:9"),  # replaced by the demo's own server
        "no_proxy": "*",
        LOG_VARIABLE: str(dns_log),
        "SCRAPY_SETTINGS_MODULE": settings.stem,
        "PYTHONPATH": f"{tmp_path}:{ROOT}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "wirecrawl.demo", "--db", str(db)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert names_looked_up(dns_log) == [], (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored == len(load_site(SNAPSHOT).stories)
